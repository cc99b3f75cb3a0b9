"""The JSON API over the same services: problem objects with Chinese field errors, 404 outside the scope."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from onestop.engagement.services import events


def _post(client, url, data):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(data), content_type="application/json")


def test_visit_api_logs_all_or_nothing_and_scopes(zone, login):
    official = login(zone.official, otp=True)
    bad = _post(official, "/api/v1/engagement/visits", {
        "enterprise_id": zone.ours.pk, "visited_on": "2024-09-20", "participants": "", "explained": "政策",
        "problems": [{"title": "招工难", "description": "缺工", "owner_department": "nope"}]})
    assert bad.status_code == 422
    body = bad.json()
    assert body["errors"]["participants"] == ["参加人员：请填写参加人员。"]
    assert "problems.1.owner_department" in body["errors"]
    assert _post(official, "/api/v1/engagement/visits", {
        "enterprise_id": zone.theirs.pk, "visited_on": "2024-09-20", "participants": "x", "explained": "y"}
    ).status_code == 404
    ok = _post(official, "/api/v1/engagement/visits", {
        "enterprise_id": zone.ours.pk, "visited_on": "2024-09-20", "participants": "王经理", "explained": "政策包",
        "problems": [{"title": "招工难", "description": "缺工 200 人", "owner_department": "hrss"}]})
    assert ok.status_code == 201
    problem_id = ok.json()["problems"][0]["id"]
    assert login(zone.other_admin).get("/api/v1/engagement/problems").json() == []
    assert _post(login(zone.industry_staff, otp=True), f"/api/v1/engagement/problems/{problem_id}/reply",
                 {"text": "x"}).status_code == 404
    hrss = login(zone.hrss_staff, otp=True)
    assert _post(hrss, f"/api/v1/engagement/problems/{problem_id}/reply", {"text": "已对接"}).json()["status"] == "replied"
    _post(hrss, f"/api/v1/engagement/problems/{problem_id}/resolve", {"text": "已解决"})
    admin = login(zone.admin)
    assert _post(admin, f"/api/v1/engagement/problems/{problem_id}/confirm",
                 {"satisfied": True, "satisfaction": 4}).json()["status"] == "closed"


def test_event_api_counts_and_registration(zone, login, client):
    start = timezone.now() + timedelta(days=3)
    event = events.event_create(actor=zone.office, kind="recruitment", title="招聘会", venue_kind="zone",
                                location="港区", starts_at=start, ends_at=start + timedelta(hours=2), capacity=5)
    events.event_publish(actor=zone.office, event=event)
    assert [e["id"] for e in client.get("/api/v1/engagement/events").json()] == [event.pk]
    talent = login(zone.talent)
    assert talent.post(f"/api/v1/engagement/events/{event.pk}/registrations").status_code == 201
    again = talent.post(f"/api/v1/engagement/events/{event.pk}/registrations")
    assert again.status_code == 409 and again.json()["message"] == "您已报名该活动。"
    counts = login(zone.office, otp=True).get(f"/api/v1/engagement/events/counts?year={start.year}").json()
    assert counts["recruitment"]["registrations"] == 1
