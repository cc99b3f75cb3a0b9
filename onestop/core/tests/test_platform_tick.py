"""platform_tick runs every module's periodic job and reports a failing one without skipping the rest."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_platform_tick_runs_every_job(capsys):
    call_command("platform_tick", verbosity=1)

    out = capsys.readouterr().out
    for name in ("workflow_tick", "certification_tick", "greencard_tick", "housing_tick", "engagement_tick",
                 "retention"):
        assert f"{name}: ok" in out


def test_a_failing_job_is_reported_and_the_others_still_run(monkeypatch, capsys):
    from onestop.core.management.commands import platform_tick

    real = platform_tick.call_command

    def flaky(name, *args, **kwargs):
        if name == "greencard_tick":
            raise RuntimeError("boom")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(platform_tick, "call_command", flaky)

    with pytest.raises(CommandError, match="greencard_tick: boom"):
        call_command("platform_tick", verbosity=1)
    out = capsys.readouterr().out
    assert "housing_tick: ok" in out and "engagement_tick: ok" in out
