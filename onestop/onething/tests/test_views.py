"""Pages and API: the talent's flow through the browser adapters, 404 for others, staff run pages and progress."""

from __future__ import annotations

import json

from onestop.policies.models import Policy

from ..choices import ApplicationStatus, BenefitMode, MatterStatus
from ..models import Application, BenefitSetting, MatchRun
from .conftest import make_talent, upload


def test_talent_applies_through_the_pages(applicant, login):
    client = login(applicant.user)
    assert client.get("/onething/").status_code == 200
    response = client.post("/onething/")
    application = Application.objects.get(applicant=applicant.user)
    assert response.url == f"/onething/{application.pk}/"
    client.post(f"/onething/{application.pk}/matters/", {"matters": ["living_allowance", "hukou"]})
    page = client.get(f"/onething/{application.pk}/").content.decode()
    assert "预审结果" in page and "缺少材料" in page and 'id="onething-submit" disabled' in page
    for code in ("id", "diploma", "contract"):
        client.post(f"/onething/{application.pk}/documents/", {"code": code, "file": upload()})
    page = client.get(f"/onething/{application.pk}/").content.decode()
    assert 'id="onething-submit" disabled' not in page
    client.post(f"/onething/{application.pk}/submit/")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    progress = client.get(f"/onething/{application.pk}/progress/").content.decode()
    assert 'data-matter="living_allowance"' in progress and "hrss部门" in progress
    am = application.matters.get(matter__code="hukou")
    client.post(f"/onething/matters/{am.pk}/withdraw/")
    am.refresh_from_db()
    assert am.status == MatterStatus.WITHDRAWN


def test_another_talent_gets_404(applicant, login):
    application = Application.objects.create(profile=applicant.profile, applicant=applicant.user)
    other, _p = make_talent()
    client = login(other)
    assert client.get(f"/onething/{application.pk}/").status_code == 404
    assert client.post(f"/onething/{application.pk}/submit/").status_code == 404
    assert client.get(f"/api/v1/onething/applications/{application.pk}/progress").status_code == 404


def test_staff_run_now_and_watch_the_progress(zone, login, django_capture_on_commit_callbacks):
    BenefitSetting.objects.create(policy=Policy.objects.get(code="young-graduate-allowance"), mode=BenefitMode.GRANT)
    make_talent()
    head = login(zone.heads["hrss"], otp=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = head.post("/onething/runs/")
    run = MatchRun.objects.get()
    assert response.url == f"/onething/runs/{run.pk}/"
    assert run.status == "done" and run.grants == 1
    page = head.get(f"/onething/runs/{run.pk}/progress/").content.decode()
    assert "<progress" in page and 'value="100"' in page and "hx-get" not in page
    assert head.get("/onething/runs/").status_code == 200
    # staff see runs but may not start one; talents see nothing
    staff = login(zone.staff["hrss"], otp=True)
    assert staff.get(f"/onething/runs/{run.pk}/").status_code == 200
    assert staff.post("/onething/runs/").status_code == 404
    talent, _p = make_talent()
    assert login(talent).get("/onething/runs/").status_code == 404


def test_api_main_actions(applicant, login, zone, django_capture_on_commit_callbacks):
    client = login(applicant.user)
    assert {m["code"] for m in client.get("/api/v1/onething/matters").json()} >= {"certification", "greencard"}
    created = client.post("/api/v1/onething/applications").json()
    pk = created["id"]
    body = json.dumps({"matters": ["living_allowance"]})
    assert client.put(f"/api/v1/onething/applications/{pk}/matters", body, content_type="application/json") \
        .status_code == 200
    refused = client.post(f"/api/v1/onething/applications/{pk}/submit")
    assert refused.status_code == 422 and "matter_living_allowance" in refused.json()["errors"]
    for code in ("id", "diploma", "contract"):
        r = client.post(f"/api/v1/onething/applications/{pk}/documents",
                        {"code": code, "file": upload()})
        assert r.status_code == 201, r.json()
    (check,) = client.get(f"/api/v1/onething/applications/{pk}/precheck").json()
    assert check["verdict"] == "likely"
    assert client.post(f"/api/v1/onething/applications/{pk}/submit").json()["status"] == "submitted"
    progress = client.get(f"/api/v1/onething/applications/{pk}/progress").json()
    assert progress["matters"][0]["status"] == "running" and progress["history"]
    BenefitSetting.objects.create(policy=Policy.objects.get(code="young-graduate-allowance"), mode=BenefitMode.OFFER)
    head = login(zone.heads["hrss"], otp=True)
    with django_capture_on_commit_callbacks(execute=True):
        run = head.post("/api/v1/onething/runs").json()
    assert head.get(f"/api/v1/onething/runs/{run['id']}").json()["status"] == "done"
    (offer,) = client.get("/api/v1/onething/offers").json()
    assert client.post(f"/api/v1/onething/offers/{offer['id']}/accept").json()["status"] == "accepted"
    assert client.post("/api/v1/onething/runs").status_code == 404
