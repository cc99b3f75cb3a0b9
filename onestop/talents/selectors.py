from __future__ import annotations

from onestop.core.models import User

from .models import TalentProfile


def talent_profile_for(*, user: User) -> TalentProfile | None:
    """The signed-in talent's own profile; nobody else's."""
    return TalentProfile.objects.select_related("employer").filter(user=user).first()
