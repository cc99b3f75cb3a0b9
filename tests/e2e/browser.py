"""What every browser journey shares: Debian's Chromium (never a downloaded browser), its flags for a container, and
the marks that skip a journey where Chromium is not installed (.ci/run installs the chromium package)."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
JOURNEY_MARKS = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium "
                       "(.ci/run installs the chromium package)"),
]


def close_loop_connections() -> None:
    """Call last inside ``with sync_playwright()``. Playwright's sync API runs an asyncio loop in the test's thread;
    while it runs, Django keeps the database connections the test opens (its fixtures, its ORM checks) in a
    context-local slot (asgiref ``Local``), apart from the thread's own connection that pytest-django closes. Left
    open, one outlives the session and PostgreSQL refuses to drop the test database ("is being accessed by other
    users")."""
    from django.db import connections

    connections.close_all()
