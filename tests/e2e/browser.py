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
