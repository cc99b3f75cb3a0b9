"""List pages pin their query counts: the same number of queries for 2 rows and for 12."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from onestop.core.tests.factories import TalentFactory
from onestop.employers import services


def _count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def _jobs(org, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        services.job_create(actor=org.admin, enterprise=org.ours, title=f"岗位{i}", industry="aerospace",
                            education_min="bachelor", description="负责研发", salary_min_fen=1, salary_max_fen=2,
                            publish=True)


def _staff_talents(org, n: int) -> None:  # type: ignore[no-untyped-def]
    from onestop.talents.services import employment_add

    for _i in range(n):
        t = TalentFactory()
        employment_add(actor=t, uscc=org.ours.uscc, start_date=date(2024, 1, 1))


def test_job_search_employments_and_talents_do_not_grow_with_rows(org, login, client):
    hr = login(org.hr)
    _jobs(org, 2)
    _staff_talents(org, 2)
    few = {u: _count(c, u) for c, u in ((client, "/employer/jobs/search/"), (hr, "/employer/employments/"),
                                         (hr, "/employer/talents/"), (hr, "/employer/jobs/"))}
    _jobs(org, 10)
    _staff_talents(org, 10)
    many = {u: _count(c, u) for c, u in ((client, "/employer/jobs/search/"), (hr, "/employer/employments/"),
                                          (hr, "/employer/talents/"), (hr, "/employer/jobs/"))}
    assert few == many
    assert max(many.values()) <= 25, many
