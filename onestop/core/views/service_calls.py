"""How a view calls a service: a business error lands on the form, a missing or forbidden object answers 404.

Shared by the apps' views so the mapping from service outcomes to HTTP is the same everywhere (STYLE habit 7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404

from onestop.core.exceptions import ApplicationError, NotFound
from onestop.core.forms import ServiceForm


def submit(form: ServiceForm, fn: Callable[[], Any]) -> Any:
    """Run a service; its business errors land on the form. Returns the result (``True`` for ``None``), or ``None``
    when refused. ``NotFound`` answers 404."""
    try:
        return fn() or True
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        form.apply_error(exc)
        return None


def or_404(fn: Callable[[], Any]) -> Any:
    """Run a selector or service; ``NotFound`` answers 404 (a forbidden object looks like a missing one)."""
    try:
        return fn()
    except NotFound:
        raise Http404 from None
