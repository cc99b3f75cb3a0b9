"""Who may see which part of the registry.

* The talent sees their own everything.
* Children's data (PIPL: sensitive) is shown only to the talent and to staff of the departments that serve
  children (``CHILD_DATA_DEPARTMENTS``); everyone else sees at most a count.
* Documents: the owner, and reviewers who hold (or held) a task on a certification case of this talent in their own
  department or enterprise.
"""

from __future__ import annotations

from onestop.core.choices import DEPARTMENT_ROLES
from onestop.core.models import Department, User

from .models import Document, TalentProfile

CHILD_DATA_DEPARTMENTS = frozenset({"education", "health"})


def can_see_children(user: User, profile: TalentProfile) -> bool:
    if not user.is_authenticated:
        return False
    if profile.user_id == user.pk:
        return True
    dept_ids = user.department_ids(*DEPARTMENT_ROLES)
    return bool(dept_ids) and Department.objects.filter(pk__in=dept_ids, code__in=CHILD_DATA_DEPARTMENTS).exists()


def is_reviewer_of(user: User, profile: TalentProfile) -> bool:
    """Holds a task (any state) on a certification case of this talent, in the user's department or enterprise."""
    from onestop.workflow.models import Task
    from onestop.workflow.permissions import task_scope_q

    if not user.is_authenticated:
        return False
    return Task.objects.filter(task_scope_q(user), case__definition__code="talent_certification",
                               case__applicant_id=profile.user_id).exists()


def can_download(user: User, document: Document) -> bool:
    profile = document.profile
    return bool(user.is_authenticated and (profile.user_id == user.pk or is_reviewer_of(user, profile)))
