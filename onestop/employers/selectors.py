from __future__ import annotations

from django.db.models import QuerySet

from onestop.core.models import User

from .models import Enterprise


def enterprises_for(*, user: User) -> QuerySet[Enterprise]:
    """The enterprises the user works for as employer admin or HR; nothing else."""
    return Enterprise.objects.filter(pk__in=user.enterprise_ids())
