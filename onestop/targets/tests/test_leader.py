"""The leadership (领导) on the dashboard: every department's targets, the detail and the drill-down with personal
names masked, the big screen, the Excel export and the monthly reports — and nothing that writes: no figure entry or
correction, no case work, no unmasking, no other app's staff pages (all 404). The pages cost the leader the same
number of queries as the talent office."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onestop.core.models import AuditEvent
from onestop.core.tests.factories import LeaderFactory
from onestop.targets.models import ReportedFigure
from onestop.workflow.models import Task

from .conftest import EXPECTED, evidence, target
from .test_query_counts import _jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def leader(db):  # type: ignore[no-untyped-def]
    return LeaderFactory(real_name="示例领导")


def _codes(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {t["code"] for t in response.json()["targets"]}


def test_the_leader_sees_every_departments_targets_like_the_talent_office(world, org, login, leader):
    client = login(leader, otp=True)
    response = client.get("/api/v1/targets/dashboard?year=2024")

    assert response.status_code == 200 and response.json()["scope"] == "zone"
    office = _codes(login(org.office_head, otp=True).get("/api/v1/targets/dashboard?year=2024"))
    assert _codes(response) == office and set(EXPECTED) <= office
    owners = {t["owner_department"]["id"] for t in response.json()["targets"]}
    assert {org.office.pk, org.hrss.pk, org.industry.pk, org.housing.pk} <= owners
    page = client.get("/targets/?year=2024").content.decode()
    for code in EXPECTED:
        assert f'id="target-{code}"' in page, code


def test_the_leader_opens_any_target_and_its_drill_down_with_names_masked(world, org, login, leader):
    client = login(leader, otp=True)
    housing = target("warm_stays")  # owned by the housing department, not the talent office
    assert client.get(f"/targets/{housing.pk}/").status_code == 200
    t = target("employed_new")  # owned by HRSS
    detail = client.get(f"/targets/{t.pk}/").content.decode()
    assert 'data-target-chart="trend-chart"' in detail

    page = client.get(f"/targets/{t.pk}/records/").content.decode()

    assert "共 5 条记录" in page
    name = world.p1.user.real_name
    assert name not in page
    assert name[0] + "*" * (len(name) - 2) + name[-1] in page
    assert AuditEvent.objects.filter(action="targets.records.view", actor=leader, object_id=str(t.pk)).exists()
    api = client.get(f"/api/v1/targets/{t.pk}/records").json()
    assert api["count"] == 5 and name not in str(api)


def test_the_leader_gets_the_big_screen_the_export_and_the_monthly_reports(world, org, login, leader,
                                                                           django_capture_on_commit_callbacks):
    client = login(leader, otp=True)
    assert 'class="screen"' in client.get("/targets/screen/?year=2024").content.decode()
    assert client.get("/targets/screen/panel/?year=2024").status_code == 200
    export = client.get("/targets/export/?year=2024")
    assert export.status_code == 200 and export["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="targets.export", actor=leader).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/targets/reports/", {"month": "2024-08"})
    assert response.status_code == 302
    report = client.get(response["Location"])
    assert report.status_code == 200
    assert client.get("/targets/reports/").status_code == 200


def test_the_leader_cannot_enter_or_correct_a_reported_figure(world, org, login, leader):
    client = login(leader, otp=True)
    training = target("training_sessions")  # HRSS's reported target
    before = ReportedFigure.objects.count()

    page = client.get(f"/targets/{training.pk}/").content.decode()
    assert 'name="evidence"' not in page and 'name="reason"' not in page
    assert client.post(f"/targets/{training.pk}/", {"month": "2024-08", "value": "1", "source": "x",
                                                    "evidence": evidence()}).status_code == 404
    assert client.post(f"/api/v1/targets/{training.pk}/reported", {
        "month": "2024-08-01", "value": "1", "source": "x", "evidence": evidence()}).status_code == 404
    figure = ReportedFigure.objects.get(target=training, month=date(2024, 1, 1))
    assert client.post(f"/targets/reported/{figure.pk}/revise/", {"value": "1", "reason": "x"}).status_code == 404

    figure.refresh_from_db()
    assert ReportedFigure.objects.count() == before and figure.value == 1000 and figure.revisions == 0


def test_the_leader_cannot_claim_a_queue_task_or_unmask_anyone(world, org, login, leader):
    client = login(leader, otp=True)
    task = Task.objects.get(department=org.office, state="pending")

    assert client.post(reverse("workflow:task_claim", args=[task.pk])).status_code == 404
    api = client.post(f"/api/v1/workflow/tasks/{task.pk}/actions", {"action": "claim"},
                      content_type="application/json")
    assert api.status_code == 404
    assert client.get(f"/api/v1/workflow/tasks/{task.pk}").status_code == 404
    task.refresh_from_db()
    assert task.state == "pending" and task.assignee_id is None
    for field in ("phone", "id_number"):
        assert client.post(reverse("core:pii_show", args=[org.talent.pk, field])).status_code == 404
    assert AuditEvent.objects.filter(action="pii.unmask", actor=leader, result="denied").count() == 2


@pytest.mark.parametrize("name", [
    "core:staff_home", "core:audit_list", "core:employer_home", "core:partner_home", "core:me",
    "workflow:queue", "workflow:calendar_list", "housing:desk", "onething:runs", "greencards:manage",
    "greencards:verify", "talents:certification_review", "policies:manage_list", "engagement:event_manage",
    "engagement:need_review", "engagement:visit_home", "employers:review_list", "employers:funding_office",
])
def test_the_leader_gets_404_on_other_apps_staff_pages(org, login, leader, name):
    assert login(leader, otp=True).get(reverse(name)).status_code == 404


def test_the_problem_ledger_is_404_to_the_leader(world, login, leader):
    from onestop.engagement.models import Problem

    client = login(leader, otp=True)  # the ledger is for department staff and enterprises only

    assert client.get(reverse("engagement:problems")).status_code == 404
    assert client.get("/api/v1/engagement/problems").status_code == 404
    problems = list(Problem.objects.all())
    assert problems
    for problem in problems:
        assert client.get(reverse("engagement:problem_detail", args=[problem.pk])).status_code == 404


def test_the_placement_page_is_404_to_the_leader_and_takes_no_write(world, login, leader):
    from onestop.employers.models import Placement

    client = login(leader, otp=True)  # 区聘企用 is for talents, enterprises and department staff only

    assert client.get(reverse("employers:placements")).status_code == 404
    before = Placement.objects.count()
    response = client.post(reverse("employers:placements"), {"contract_no": "X-1", "uscc": "x", "talent": "1"})
    assert response.status_code == 404 and Placement.objects.count() == before


def _count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return len(ctx)


def test_the_leaders_pages_do_not_grow_with_rows_and_cost_no_more_than_the_talent_offices(org, login, leader,
                                                                                          settings):
    settings.TARGETS_SNAPSHOT_SECONDS = 3600
    t = target("employed_new")
    pages = ("/targets/?year=2024", f"/targets/{t.pk}/", f"/targets/{t.pk}/records/",
             f"/targets/{t.pk}/records/?dim=industry&key=aerospace", "/targets/reports/",
             "/targets/screen/panel/?year=2024", "/api/v1/targets/dashboard?year=2024")
    office, client = login(org.office_head, otp=True), login(leader, otp=True)
    _jobs(3)
    client.get("/api/v1/targets/dashboard?year=2024&fresh=true")
    few = {u: _count(client, u) for u in pages}
    _jobs(12)
    client.get("/api/v1/targets/dashboard?year=2024&fresh=true")
    many = {u: _count(client, u) for u in pages}
    as_office = {u: _count(office, u) for u in pages}

    assert few == many
    # The leader skips the talent-office department lookup (one query less), never more.
    assert all(many[u] <= as_office[u] for u in pages), (many, as_office)
