"""Template helpers of the workflow pages: state badges and the workbench queue card."""

from __future__ import annotations

from typing import Any

from django import template

from ..choices import CaseStatus, TaskState

register = template.Library()

STATE_CLASSES = {
    TaskState.PENDING: "text-bg-warning", TaskState.IN_PROGRESS: "text-bg-primary",
    TaskState.INFO_REQUESTED: "text-bg-info", TaskState.APPROVED: "text-bg-success",
    TaskState.REJECTED: "text-bg-danger", TaskState.CANCELLED: "text-bg-secondary",
    TaskState.WITHDRAWN: "text-bg-secondary", TaskState.SKIPPED: "text-bg-light border",
    CaseStatus.OPEN: "text-bg-primary",
}


@register.filter
def state_class(state: str) -> str:
    return str(STATE_CLASSES.get(state, "text-bg-light border"))  # type: ignore[call-overload]


@register.filter
def state_label(state: str) -> str:
    if state in TaskState.values:
        return str(TaskState(state).label)
    if state in CaseStatus.values:
        return str(CaseStatus(state).label)
    return state


@register.inclusion_tag("workflow/partials/queue_card.html", takes_context=True)
def workflow_queue_card(context: Any) -> dict[str, Any]:
    """The workbench's "my department's tasks" card: counts per state, the most urgent tasks, calendar warnings."""
    from ..calendar import today
    from ..selectors import queue_summary

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"summary": None}
    return {"summary": queue_summary(user=user), "today": today()}
