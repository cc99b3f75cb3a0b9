"""List pages pin their query counts: the same number of queries for few rows and for many."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onestop.engagement.services import events, needs, visits


def _count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def _add(zone, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        visits.visit_log(actor=zone.official, enterprise=zone.ours, visited_on=date(2024, 9, 20), participants="王",
                         explained="政策", problems=[{"title": f"问题{i}", "description": "说明",
                                                     "owner_department": "hrss"}])
        start = timezone.now() + timedelta(days=3)
        event = events.event_create(actor=zone.office, kind="publicity", title=f"宣讲{i}", venue_kind="zone",
                                    location="港区", starts_at=start, ends_at=start + timedelta(hours=1), capacity=9)
        events.event_publish(actor=zone.office, event=event)
        need = needs.need_submit(actor=zone.admin, enterprise=zone.ours, title=f"需求{i}", field="aerospace",
                                 description="航空复合材料构件无损检测方法与自动化检测装备研究。", budget_fen=100,
                                 deadline=date.today() + timedelta(days=9))
        needs.need_review(actor=zone.office, need=need, approve=True)


def test_problem_event_and_need_lists_do_not_grow_with_rows(zone, login, client):
    official = login(zone.official, otp=True)
    _add(zone, 2)
    pages = ((official, "/engagement/problems/"), (client, "/engagement/events/"), (client, "/engagement/needs/"),
             (official, "/engagement/visits/"))
    few = {u: _count(c, u) for c, u in pages}
    _add(zone, 8)
    many = {u: _count(c, u) for c, u in pages}
    assert few == many
    assert max(many.values()) <= 25, many
