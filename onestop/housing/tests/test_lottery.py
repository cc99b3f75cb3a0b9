"""The lottery: the pure allocation function, and recomputation from the published files alone — by the standalone
script in docs/housing.md run in a subprocess, and by ``manage.py housing_recompute``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from onestop.housing import lottery, services
from onestop.housing.choices import Layout
from onestop.housing.lottery import Candidate, allocate

from .conftest import TODAY, at, certify, employed, make_units, open_round

DOCS = Path(__file__).resolve().parents[3] / "docs" / "housing.md"
SEED = "ab" * 32


def test_rank_decides_and_the_lottery_only_orders_equal_ranks():
    applicants = [Candidate("X1", 2), Candidate("X2", 1), Candidate("X3", 2), Candidate("X4", 3)]
    placements = allocate(applicants=applicants, units=[("U2", "a"), ("U1", "a")], preferences={
        c.code: ["a"] for c in applicants}, seed=SEED)
    assert placements[0].code == "X2" and placements[0].unit == "U1"  # best rank first, smallest unit code first
    assert {p.code for p in placements[1:3]} == {"X1", "X3"}  # equal ranks: order by draw key
    assert placements[1].draw < placements[2].draw and placements[1].unit == "U2"
    assert placements[3].code == "X4" and placements[3].unit is None


def test_preferences_in_order_and_the_guaranteed_fallback():
    applicants = [Candidate("A", 1, guaranteed=True), Candidate("B", 1, guaranteed=True), Candidate("C", 2)]
    prefs = {"A": ["two"], "B": ["two"], "C": ["two", "one"]}
    out = {p.code: p.unit for p in allocate(applicants=applicants, units=[("T1", "two"), ("O1", "one")],
                                            preferences=prefs, seed=SEED)}
    assert sorted([out["A"], out["B"]]) == ["O1", "T1"]  # one of them falls back to the other layout (应保尽保)
    assert out["C"] is None


def test_deterministic_and_fair_between_equals():
    applicants = [Candidate(f"P{i}", 1) for i in range(4)]
    wins: Counter[str] = Counter()
    for s in range(400):
        seed = lottery.sha256_hex(str(s))
        first = allocate(applicants=applicants, units=[("U", "a")], preferences={a.code: ["a"] for a in applicants},
                         seed=seed)
        assert first == allocate(applicants=list(reversed(applicants)), units=[("U", "a")],
                                 preferences={a.code: ["a"] for a in applicants}, seed=seed)
        wins[next(p.code for p in first if p.unit)] += 1
    assert all(70 <= n <= 130 for n in wins.values()), wins


def _docs_script() -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"<!-- recompute-script -->\s*```python\n(.*?)```", text, re.S)
    assert match, "docs/housing.md has no recompute script"
    return match.group(1)


@pytest.fixture
def drawn_round(db, desk, clock):
    units = make_units(2) + make_units(1, layout=Layout.TWO_BED, start=10)
    rnd = open_round(desk, units)
    people = []
    for i in range(6):
        user = employed(insured_months=i % 2)  # pairs with equal points: real ties for the lottery
        if i == 0:
            certify(user, tier="D")
        app = services.application_submit(rnd=rnd, applicant=user,
                                          preferences=[Layout.TWO_BED, Layout.ONE_BED] if i % 3 else [Layout.ONE_BED])
        app.__class__.objects.filter(pk=app.pk).update(applied_at=at(TODAY))
        people.append(user)
    clock.today = TODAY + timedelta(days=8)
    services.round_publish(rnd=rnd, actor=desk)
    services.round_draw(rnd=rnd, actor=desk)
    return rnd


def _download(rnd, folder: Path) -> None:
    client = Client()  # anonymous: the files are public
    page = client.get(f"/housing/rounds/{rnd.code}/").content.decode()
    names = re.findall(r'class="round-file" data-name="([^"]+)"', page)
    assert sorted(names) == ["applicants.json", "preferences.json", "result.json", "seed.txt"]
    for name in names:
        response = client.get(f"/housing/rounds/{rnd.code}/files/{name}")
        assert response.status_code == 200
        (folder / name).write_bytes(response.content)


def test_standalone_script_recomputes_the_published_result_byte_for_byte(drawn_round, tmp_path):
    _download(drawn_round, tmp_path)
    script = tmp_path / "housing_recompute.py"
    script.write_text(_docs_script(), encoding="utf-8")
    run = subprocess.run([sys.executable, "-I", str(script), str(tmp_path)], capture_output=True, cwd=tmp_path,
                         timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout == (tmp_path / "result.json").read_bytes()
    assert b"OK" in run.stderr
    result = json.loads(run.stdout)
    assert result["allocated"] == 3 and result["waitlisted"] == 3
    applicants = json.loads((tmp_path / "applicants.json").read_bytes())
    assert all("*" in a["name"] for a in applicants["applicants"])  # masked names only


def test_standalone_script_detects_tampering(drawn_round, tmp_path):
    _download(drawn_round, tmp_path)
    script = tmp_path / "housing_recompute.py"
    script.write_text(_docs_script(), encoding="utf-8")
    result = json.loads((tmp_path / "result.json").read_bytes())
    result["order"][0], result["order"][1] = result["order"][1], result["order"][0]
    (tmp_path / "result.json").write_bytes(lottery.canonical_bytes(result))
    run = subprocess.run([sys.executable, "-I", str(script), str(tmp_path)], capture_output=True, timeout=60)
    assert run.returncode == 1 and b"MISMATCH" in run.stderr
    (tmp_path / "seed.txt").write_text("00" * 32)
    run = subprocess.run([sys.executable, "-I", str(script), str(tmp_path)], capture_output=True, timeout=60)
    assert run.returncode != 0 and b"seed" in run.stderr


def test_manage_command_recomputes_from_the_database_and_from_a_folder(drawn_round, tmp_path, capsys):
    call_command("housing_recompute", drawn_round.code)
    assert "OK" in capsys.readouterr().err
    _download(drawn_round, tmp_path)
    call_command("housing_recompute", drawn_round.code, "--dir", str(tmp_path))
    (tmp_path / "preferences.json").write_bytes(b'{"preferences":{},"round":"x"}\n')
    with pytest.raises(Exception, match="preferences"):
        call_command("housing_recompute", drawn_round.code, "--dir", str(tmp_path))


def test_the_seed_digest_is_published_before_the_seed(db, desk, clock):
    rnd = open_round(desk, make_units(1))
    services.application_submit(rnd=rnd, applicant=employed(), preferences=[Layout.ONE_BED])
    clock.today = TODAY + timedelta(days=8)
    services.round_publish(rnd=rnd, actor=desk)
    client = Client()
    assert client.get(f"/housing/rounds/{rnd.code}/files/seed.txt").status_code == 404
    doc = json.loads(client.get(f"/housing/rounds/{rnd.code}/files/applicants.json").content)
    rnd.refresh_from_db()
    assert doc["seed_sha256"] == lottery.sha256_hex(rnd.seed) and rnd.seed not in json.dumps(doc)
    services.round_draw(rnd=rnd, actor=desk)
    assert client.get(f"/housing/rounds/{rnd.code}/files/seed.txt").content.decode() == rnd.seed


def test_applicants_file_publishes_only_what_checks_the_ranks(drawn_round):
    doc = json.loads(services.publication_bytes(drawn_round, "applicants.json"))
    by_group = {a["guaranteed"]: a for a in doc["applicants"]}
    # given a certified (C/D) applicant and young ones, when the ranks are published,
    # then each line carries only its own group's tie keys, coarsened, and the surname only
    assert set(by_group[True]) == {"code", "name", "group", "guaranteed", "rank", "cert_batch", "pension_start"}
    assert set(by_group[False]) == {"code", "name", "group", "guaranteed", "rank", "points", "applied_on"}
    assert all(re.fullmatch(r"\d{4}|", a.get("pension_start", "")) for a in doc["applicants"])
    assert all(re.fullmatch(r".\*", a["name"]) for a in doc["applicants"])
    # and the ranks never contradict the published keys within a group
    young = sorted((a for a in doc["applicants"] if not a["guaranteed"]), key=lambda a: a["rank"])
    assert [(-a["points"], a["applied_on"]) for a in young] == sorted((-a["points"], a["applied_on"]) for a in young)


def test_surname_only():
    assert services.surname_only("张三明") == "张*" and services.surname_only("王") == "王*"
    assert services.surname_only("") == "" and services.surname_only(None) == ""
