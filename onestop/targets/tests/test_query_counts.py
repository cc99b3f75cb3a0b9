"""List views pin their query counts: the same number of queries for few records and for many (no N+1)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onestop.core.tests.factories import EnterpriseFactory, TalentFactory
from onestop.talents.models import Employment, TalentProfile

from .conftest import target

pytestmark = pytest.mark.django_db


def _count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def _jobs(n: int) -> None:
    for i in range(n):
        enterprise = EnterpriseFactory(industry=["electronic_info", "aerospace", "logistics"][i % 3])
        profile = TalentProfile.objects.get(user=TalentFactory())
        Employment.objects.create(profile=profile, enterprise=enterprise, start_date=date(2024, 1 + i % 8, 3))


def test_dashboard_records_and_reports_do_not_grow_with_rows(org, login, settings):
    settings.TARGETS_SNAPSHOT_SECONDS = 3600
    client = login(org.office_head, otp=True)
    t = target("employed_new")
    pages = ("/targets/?year=2024", f"/targets/{t.pk}/records/", f"/targets/{t.pk}/records/?month=2",
             f"/targets/{t.pk}/records/?dim=industry&key=aerospace", "/targets/reports/",
             "/targets/screen/panel/?year=2024", f"/targets/{t.pk}/")
    _jobs(3)
    client.get("/api/v1/targets/dashboard?year=2024&fresh=true")
    few = {u: _count(client, u) for u in pages}
    _jobs(12)
    client.get("/api/v1/targets/dashboard?year=2024&fresh=true")
    many = {u: _count(client, u) for u in pages}
    assert few == many
    assert max(many.values()) <= 40, many


def test_the_cached_data_endpoint_is_a_handful_of_queries(org, login, django_assert_max_num_queries, settings):
    settings.TARGETS_SNAPSHOT_SECONDS = 3600
    client = login(org.office_head, otp=True)
    client.get("/api/v1/targets/dashboard?year=2024")
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/targets/dashboard?year=2024").json()["source"] == "snapshot"
