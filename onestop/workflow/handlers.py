"""Outcome handlers: how modules react when a case of their definition ends. Explicit registration, never signals.

A module registers in its ``AppConfig.ready()``::

    from onestop.workflow.handlers import outcome_handlers
    outcome_handlers.register("certification", CaseStatus.APPROVED, issue_certificate)

The engine calls every handler of the definition's code and outcome inside the transaction that closes the case, so
the module's change and the decision commit together (or not at all). A handler that starts slow work enqueues a task
with ``transaction.on_commit``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from onestop.core.models import User

    from .models import Case


class OutcomeHandler(Protocol):
    def __call__(self, *, case: Case, outcome: str, actor: User | None) -> Any: ...


class OutcomeRegistry:
    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str], list[OutcomeHandler]] = {}

    def register(self, definition_code: str, outcome: str, handler: OutcomeHandler) -> None:
        """Idempotent: registering the same callable twice keeps one."""
        handlers = self._handlers.setdefault((definition_code, str(outcome)), [])
        if handler not in handlers:
            handlers.append(handler)

    def unregister(self, definition_code: str, outcome: str, handler: OutcomeHandler) -> None:
        handlers = self._handlers.get((definition_code, str(outcome)), [])
        if handler in handlers:
            handlers.remove(handler)

    def handlers_for(self, definition_code: str, outcome: str) -> list[OutcomeHandler]:
        return list(self._handlers.get((definition_code, str(outcome)), []))

    def on(self, definition_code: str, *outcomes: str) -> Callable[[OutcomeHandler], OutcomeHandler]:
        """Decorator form: ``@outcome_handlers.on("certification", CaseStatus.APPROVED)``."""

        def decorator(handler: OutcomeHandler) -> OutcomeHandler:
            for outcome in outcomes:
                self.register(definition_code, outcome, handler)
            return handler

        return decorator

    def run(self, *, case: Case, outcome: str, actor: User | None) -> None:
        for handler in self.handlers_for(case.definition.code, outcome):
            handler(case=case, outcome=outcome, actor=actor)


outcome_handlers = OutcomeRegistry()
