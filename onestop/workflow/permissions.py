"""Who may see and act on a task. Selectors use ``task_scope_q`` for lists; services call ``task_policy.check``.

A department task is seen by the department's staff and head; it is acted on by those holding one of the step's
allowed roles *in that department*. An employer task is the same with the applicant's enterprise. Someone who cannot
see a task gets 404 (NotFound), exactly as for a missing one; someone who sees it but may not do this action gets a
Chinese explanation (403).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from onestop.core.choices import DEPARTMENT_ROLES, EMPLOYER_ROLES, Role
from onestop.core.exceptions import NotFound, PermissionDenied
from onestop.core.models import User

from .choices import TaskAction, TaskState
from .errors import TransitionNotAllowed
from .models import Case, Task

# Allowed source states of every action, and the state it leads to (REASSIGN keeps/sets "in progress").
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    TaskAction.CLAIM: (frozenset({TaskState.PENDING}), TaskState.IN_PROGRESS),
    TaskAction.RELEASE: (frozenset({TaskState.IN_PROGRESS}), TaskState.PENDING),
    TaskAction.REASSIGN: (frozenset({TaskState.PENDING, TaskState.IN_PROGRESS}), TaskState.IN_PROGRESS),
    TaskAction.APPROVE: (frozenset({TaskState.PENDING, TaskState.IN_PROGRESS}), TaskState.APPROVED),
    TaskAction.REJECT: (frozenset({TaskState.PENDING, TaskState.IN_PROGRESS}), TaskState.REJECTED),
    TaskAction.REQUEST_INFO: (frozenset({TaskState.PENDING, TaskState.IN_PROGRESS}), TaskState.INFO_REQUESTED),
}
SUPERVISOR_ROLES = {"department": Role.DEPT_HEAD, "employer": Role.EMPLOYER_ADMIN}


def task_scope_q(user: User, prefix: str = "") -> Q:
    """The tasks ``user`` may see: their departments' and their enterprises' tasks."""
    depts = user.department_ids(*DEPARTMENT_ROLES)
    ents = user.enterprise_ids(*EMPLOYER_ROLES)
    if not depts and not ents:
        return Q(pk__in=[])
    return Q(**{f"{prefix}department_id__in": depts}) | Q(**{f"{prefix}enterprise_id__in": ents})


def _roles_in_scope(user: User, task: Task) -> set[str]:
    rows = user.role_rows()
    if task.department_id is not None:
        return {r for r, d, _e, _p in rows if d == task.department_id}
    if task.enterprise_id is not None:
        return {r for r, _d, e, _p in rows if e == task.enterprise_id}
    return set()


class TaskPolicy:
    def can_see(self, user: User, task: Task) -> bool:
        return bool(user.is_authenticated and user.is_active and _roles_in_scope(user, task))

    def is_actor(self, user: User, task: Task) -> bool:
        """Holds one of the step's allowed roles in the task's department / enterprise."""
        return bool(_roles_in_scope(user, task) & set(task.step.allowed_roles))

    def is_supervisor(self, user: User, task: Task) -> bool:
        owner = "department" if task.department_id else "employer"
        return SUPERVISOR_ROLES[owner] in _roles_in_scope(user, task)

    def allowed_actions(self, user: User, task: Task) -> list[str]:
        """The actions the user may take now (used to show buttons; services re-check under the lock)."""
        if not self.can_see(user, task) or not self.is_actor(user, task) or not task.case.is_open:
            return []
        out = []
        mine = task.assignee_id == user.pk
        boss = self.is_supervisor(user, task)
        for action, (sources, _target) in TRANSITIONS.items():
            if task.state not in sources:
                continue
            if action == TaskAction.CLAIM or task.state == TaskState.PENDING or mine or boss:
                out.append(action)
        return out

    def check(self, user: User, action: str, task: Task) -> None:
        """Raise NotFound (cannot see), PermissionDenied (wrong role, someone else's task) or TransitionNotAllowed."""
        if not self.can_see(user, task):
            raise NotFound(_("任务不存在，或您无权访问。"))
        if not self.is_actor(user, task):
            raise PermissionDenied(_("您的角色不能办理“%(step)s”环节。") % {"step": task.step.name})
        if not task.case.is_open:
            raise TransitionNotAllowed(_("办件已办结，不能再办理。"))
        sources, _target = TRANSITIONS[action]
        if task.state not in sources:
            raise TransitionNotAllowed(
                _("当前状态为“%(state)s”，不能%(action)s。") % {
                    "state": TaskState(task.state).label, "action": TaskAction(action).label})
        if task.state != TaskState.PENDING and task.assignee_id != user.pk and not self.is_supervisor(user, task):
            raise PermissionDenied(_("该任务已由 %(name)s 认领，只有经办人或部门负责人可以办理。")
                                   % {"name": task.assignee.display_name if task.assignee else ""})

    def may_be_assigned(self, user: User, task: Task) -> bool:
        return bool(user.is_active and self.is_actor(user, task))


task_policy = TaskPolicy()


def can_see_case(user: User, case: Case) -> bool:
    """The applicant, or anyone who can see one of the case's tasks."""
    if not user.is_authenticated:
        return False
    if case.applicant_id == user.pk:
        return True
    return case.tasks.filter(task_scope_q(user)).exclude(state=TaskState.SKIPPED).exists()
