"""Pages of events, the 需求榜 and 万人助万企: scoped, 404 outside the scope, field errors in Chinese."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from onestop.engagement.models import Event, Need, Problem, Visit
from onestop.engagement.services import events, visits


def test_event_pages_register_qr_and_check_in(zone, login, client):
    office = login(zone.office, otp=True)
    start = timezone.localtime() + timedelta(days=5)
    response = office.post("/engagement/events/manage/", {
        "kind": "publicity", "title": "", "venue_kind": "zone", "location": "港区会议中心",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"), "ends_at": start.strftime("%Y-%m-%dT%H:%M"), "capacity": "50"})
    assert "活动名称：请填写此项。" in response.content.decode()
    office.post("/engagement/events/manage/", {
        "kind": "publicity", "title": "2024 人才政策宣讲", "venue_kind": "zone", "location": "港区会议中心",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "capacity": "50"})
    event = Event.objects.get()
    assert client.get(f"/engagement/events/{event.pk}/").status_code == 404  # not yet published
    office.post(f"/engagement/events/manage/{event.pk}/", {"action": "publish"})
    assert "2024 人才政策宣讲" in client.get("/engagement/events/").content.decode()
    talent = login(zone.talent)
    talent.post(f"/engagement/events/{event.pk}/")
    registration = event.registrations.get()
    page = talent.get(f"/engagement/registrations/{registration.pk}/").content.decode()
    assert "data:image/svg+xml;base64," in page
    assert login(zone.talent2).get(f"/engagement/registrations/{registration.pk}/").status_code == 404
    assert login(zone.hrss_staff, otp=True).post(f"/engagement/checkin/{registration.token}/").status_code == 404
    office.post(f"/engagement/checkin/{registration.token}/")
    registration.refresh_from_db()
    assert registration.checked_in_at is not None


def test_need_pages(zone, login, client):
    admin = login(zone.admin)
    response = admin.post("/engagement/needs/mine/", {"title": "锂电池热失控预警", "field": "nev", "description": "短",
                                                      "budget": "300000", "deadline": "2020-01-01"})
    body = response.content.decode()
    assert "需求描述：请具体描述技术需求（至少 20 个字）。" in body and "揭榜截止日期：应晚于今天。" in body
    admin.post("/engagement/needs/mine/", {"title": "锂电池热失控预警", "field": "nev",
                                           "description": "研发动力电池热失控早期预警算法，融合电压、温度与气体传感器数据。",
                                           "budget": "300000", "deadline": (date.today() + timedelta(days=30)).isoformat()})
    need = Need.objects.get()
    assert client.get(f"/engagement/needs/{need.pk}/").status_code == 404
    assert login(zone.other_admin).get(f"/engagement/needs/{need.pk}/").status_code == 404
    reviewer = login(zone.industry_staff, otp=True)
    assert "锂电池热失控预警" in reviewer.get("/engagement/needs/review/").content.decode()
    reviewer.post(f"/engagement/needs/{need.pk}/", {"action": "review", "decision": "approve"})
    assert client.get(f"/engagement/needs/{need.pk}/").status_code == 200
    talent = login(zone.talent)
    talent.post("/engagement/researcher/", {"institution": "清华大学", "expertise": "动力电池热失控预警与电池管理系统算法",
                                            "is_external": "on"})
    assert "锂电池热失控预警" in talent.get("/engagement/researcher/").content.decode()  # suggested by keywords
    talent.post(f"/engagement/needs/{need.pk}/", {"action": "apply", "quote": "250000",
                                                  "proposal": "基于多传感器融合的热失控早期预警模型，分两期交付算法与样机验证。"})
    application = need.applications.get()
    assert login(zone.other_admin).post(f"/engagement/needs/{need.pk}/", {
        "action": "select", "application": application.pk}).status_code == 404
    response = admin.post(f"/engagement/needs/{need.pk}/", {"action": "select", "application": application.pk})
    contract_url = response["Location"]
    assert login(zone.talent2).get(contract_url).status_code == 404
    response = admin.post(contract_url, {"action": "milestones", "milestones": "算法｜预警模型与报告｜250000｜2030-01-01"})
    assert response.status_code == 302
    response = admin.post(contract_url, {"action": "sign"}, follow=True)
    assert "知识产权归属声明：揭榜方尚未声明，不能签约。" in response.content.decode()


def test_visit_pages_scoped_to_assignments_and_problem_close_off(zone, login):
    official = login(zone.official, otp=True)
    page = official.get("/engagement/visits/").content.decode()
    assert zone.ours.name in page and zone.theirs.name not in page
    response = official.post("/engagement/visits/", {
        "action": "visit", "enterprise": zone.theirs.pk, "visited_on": "2024-09-20", "participants": "x",
        "explained": "政策"})
    assert response.status_code == 200 and Visit.objects.count() == 0  # not an assigned enterprise: not a choice
    response = official.post("/engagement/visits/", {
        "action": "visit", "enterprise": zone.ours.pk, "visited_on": "2024-09-20", "participants": "王经理",
        "explained": "人才政策包", "problem_1_title": "招工难", "problem_1_description": "一线操作工缺口 200 人",
        "problem_1_department": ""})
    assert "问题 1：请选择责任部门。" in response.content.decode() and Visit.objects.count() == 0
    official.post("/engagement/visits/", {
        "action": "visit", "enterprise": zone.ours.pk, "visited_on": "2024-09-20", "participants": "王经理",
        "explained": "人才政策包", "problem_1_title": "招工难", "problem_1_description": "一线操作工缺口 200 人",
        "problem_1_department": "hrss"})
    problem = Problem.objects.get()
    assert login(zone.other_official, otp=True).get(f"/engagement/problems/{problem.pk}/").status_code == 404
    assert login(zone.other_admin).get(f"/engagement/problems/{problem.pk}/").status_code == 404
    hrss = login(zone.hrss_staff, otp=True)
    hrss.post(f"/engagement/problems/{problem.pk}/", {"action": "reply", "text": "已对接人力资源市场"})
    hrss.post(f"/engagement/problems/{problem.pk}/", {"action": "resolve", "text": "专场招聘会已举办"})
    admin = login(zone.admin)
    response = admin.post(f"/engagement/problems/{problem.pk}/", {"action": "confirm", "satisfied": "yes"})
    assert "满意度：请选择 1 到 5 分。" in response.content.decode()
    admin.post(f"/engagement/problems/{problem.pk}/", {"action": "confirm", "satisfied": "yes", "satisfaction": "5"})
    problem.refresh_from_db()
    assert problem.status == "closed"
    xlsx = official.get("/engagement/visits/report/?month=2024-09&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert login(zone.admin).get("/engagement/visits/report/").status_code == 404


def test_event_service_refuses_a_talent_from_another_department_staff(zone):
    event = events.event_create(actor=zone.office, kind="recruitment", title="上海站", venue_kind="shanghai_station",
                                location="上海人才服务站", starts_at=timezone.now() + timedelta(days=3),
                                ends_at=timezone.now() + timedelta(days=3, hours=2), capacity=10)
    from onestop.core.exceptions import NotFound

    try:
        events.event_publish(actor=zone.hrss_staff, event=event)
    except NotFound:
        pass
    else:  # pragma: no cover
        raise AssertionError("another department published the event")
    assert visits.FIRST_REPLY_WORKING_DAYS == 7


def test_the_problem_ledger_sends_an_anonymous_visitor_to_sign_in(db, client):
    for method in ("get", "post"):
        response = getattr(client, method)("/engagement/problems/")
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/?next=/engagement/problems/")


def test_the_problem_ledger_is_404_to_roles_without_one_and_open_to_officials_and_enterprises(zone, login):
    from onestop.core.choices import Role
    from onestop.core.tests.factories import AdminFactory, LeaderFactory, PartnerUserFactory

    _post = login(zone.official, otp=True).post
    _post("/engagement/visits/", {
        "action": "visit", "enterprise": zone.ours.pk, "visited_on": "2024-09-20", "participants": "王经理",
        "explained": "人才政策包", "problem_1_title": "招工难", "problem_1_description": "一线操作工缺口 200 人",
        "problem_1_department": "hrss"})
    problem = Problem.objects.get()
    outsiders = {"leader": login(LeaderFactory(), otp=True),
                 "auditor": login(AdminFactory(role=Role.AUDITOR), otp=True),
                 "partner": login(PartnerUserFactory(), otp=True),
                 "sys_admin": login(AdminFactory(role=Role.SYS_ADMIN), otp=True), "talent": login(zone.talent)}

    for who, client in outsiders.items():
        assert client.get("/engagement/problems/").status_code == 404, who
        assert client.post("/engagement/problems/").status_code == 404, who
        assert client.get("/api/v1/engagement/problems").status_code == 404, who

    for client in (login(zone.hrss_staff, otp=True), login(zone.admin), login(zone.official, otp=True)):
        page = client.get("/engagement/problems/")
        assert page.status_code == 200 and f"/engagement/problems/{problem.pk}/" in page.content.decode()
        assert [p["id"] for p in client.get("/api/v1/engagement/problems").json()] == [problem.pk]
    other = login(zone.industry_staff, otp=True)  # department staff of another department: an empty ledger
    assert other.get("/engagement/problems/").status_code == 200
    assert other.get("/api/v1/engagement/problems").json() == []
