"""The documented offline procedure, from outside the platform: docs/greencard_verify.py runs in a separate,
isolated Python process in which importing Django or onestop fails, against files downloaded from the well-known URLs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from onestop.core.tests.factories import TalentFactory
from onestop.greencards import services

from .conftest import issue

SCRIPT = Path(settings.BASE_DIR) / "docs" / "greencard_verify.py"
BOOT = ("import runpy, sys; sys.modules['django'] = None; sys.modules['onestop'] = None; "
        "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")


def _download(client, folder: Path) -> None:
    for name in ("jwks.json", "revocations.json", "revocations.jwt"):
        (folder / name).write_bytes(client.get(f"/.well-known/greencard/{name}").content)


def _run(folder: Path, token: str, *extra: str) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-I", "-c", BOOT, str(folder / "greencard_verify.py"),
                           "--jwks", "jwks.json", *extra, token],
                          cwd=folder, capture_output=True, text=True, timeout=60, check=False)
    assert done.stderr == "", done.stderr
    return done.returncode, json.loads(done.stdout)


def test_offline_verification_script(tmp_path, client, holder, partners):
    shutil.copy(SCRIPT, tmp_path / "greencard_verify.py")
    good = issue(holder, card_class="B")
    revoked = issue(TalentFactory(), card_class="C")
    services.card_revoke(card=revoked, reason="撤销")
    lost = issue(TalentFactory(), card_class="D")
    services.card_reissue(card=lost, reason="遗失", actor=lost.holder)
    services.signing_key_rotate()  # the old key keeps verifying the cards it signed
    fresh = issue(TalentFactory(), card_class="A")
    _download(client, tmp_path)
    crl = ("--revocations", "revocations.json")

    code, out = _run(tmp_path, good.token, *crl)
    assert code == 0 and out == {"valid": True, "card_id": good.card_id, "card_class": "B",
                                 "valid_from": out["valid_from"], "valid_until": out["valid_until"]}
    assert _run(tmp_path, fresh.token, *crl)[0] == 0
    assert _run(tmp_path, revoked.token, *crl) == (1, {"valid": False, "reason": "revoked"})
    assert _run(tmp_path, lost.token, *crl) == (1, {"valid": False, "reason": "replaced"})
    assert _run(tmp_path, revoked.token, "--signed-revocations", "revocations.jwt") == (
        1, {"valid": False, "reason": "revoked"})
    flipped = good.token[:-5] + ("A" if good.token[-5] != "A" else "B") + good.token[-4:]
    code, out = _run(tmp_path, flipped, *crl)
    assert code == 1 and out["reason"] in {"bad_signature", "malformed"}
    later = str(int((timezone.now() + timedelta(days=400)).timestamp()))
    assert _run(tmp_path, good.token, *crl, "--now", later) == (1, {"valid": False, "reason": "expired"})
    # The online verification agrees.
    for card, ok in ((good, True), (fresh, True), (revoked, False), (lost, False)):
        assert services.card_verify(token=card.token, checker=partners.bank.checker).valid is ok


def test_offline_script_refuses_a_key_set_without_the_signer(tmp_path, client, card):
    shutil.copy(SCRIPT, tmp_path / "greencard_verify.py")
    (tmp_path / "jwks.json").write_text('{"keys": []}')
    assert _run(tmp_path, card.token) == (1, {"valid": False, "reason": "unknown_key"})
