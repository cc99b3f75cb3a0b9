"""List views pin their query counts: the same number of queries for 3 rows as for 12 (no N+1), under a ceiling.
Also: the public library in English."""

from __future__ import annotations

from datetime import date
from html import unescape as html_unescape

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onestop.policies.choices import VersionStatus
from onestop.policies.models import Policy, PolicyVersion


def _policies(n: int, department) -> None:  # type: ignore[no-untyped-def]
    """``n`` published policies (two versions each) of ``department``, copied from a package policy."""
    source = PolicyVersion.objects.select_related("policy").filter(status=VersionStatus.PUBLISHED).first()
    assert source is not None
    start = Policy.objects.filter(code__startswith="pin-").count()
    for i in range(start, start + n):
        policy = Policy.objects.create(
            code=f"pin-{department.code}-{i}", title=f"测试政策{i}", title_en=f"Test policy {i}", issuer="测试",
            department=department, document_number=f"测{i}", category=source.policy.category, audiences=["young"],
            summary="摘要", summary_en="Summary", legal_reference="依据", search_document=" 测试 ")
        PolicyVersion.objects.create(policy=policy, number=1, status=VersionStatus.SUPERSEDED,
                                     effective_from=date(2023, 1, 1), effective_to=date(2023, 12, 31),
                                     document=source.document, published_at=timezone.now())
        PolicyVersion.objects.create(policy=policy, number=2, status=VersionStatus.PUBLISHED,
                                     effective_from=date(2024, 1, 1), document=source.document,
                                     published_at=timezone.now())


def _count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _same_for_3_and_12(make, client, url: str, ceiling: int) -> None:  # type: ignore[no-untyped-def]
    make(3)
    _count(client, url)  # warm the per-process caches (content types, session)
    three = _count(client, url)
    make(9)
    twelve = _count(client, url)
    assert twelve == three, f"{url}: {three} queries for 3 rows, {twelve} for 12"
    assert three <= ceiling, f"{url}: {three} queries"


def test_library_queries_do_not_grow_with_rows(package, client, django_assert_max_num_queries):
    PolicyVersion.objects.exclude(policy__code="talent-certification").delete()
    Policy.objects.exclude(code="talent-certification").delete()
    _same_for_3_and_12(lambda n: _policies(n, package.talent_office), client, "/policies/", ceiling=6)
    with django_assert_max_num_queries(6):
        assert client.get("/policies/?q=测试").status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/policies/").status_code == 200


def test_editor_list_queries_do_not_grow_with_rows(package, editors, login, django_assert_max_num_queries):
    client = login(editors.author, otp=True)
    Policy.objects.filter(department=package.talent_office).exclude(code="talent-certification").delete()
    _same_for_3_and_12(lambda n: _policies(n, package.talent_office), client, "/policies/manage/", ceiling=14)
    with django_assert_max_num_queries(14):
        assert client.get("/policies/manage/").status_code == 200


# --- the library in English ----------------------------------------------------------------------------------------

def test_library_and_detail_show_english_titles_and_summaries_in_english(package, client):
    policy = Policy.objects.exclude(title_en="").exclude(summary_en="").first()
    assert policy is not None
    html = client.get("/policies/").content.decode()
    assert policy.title in html and policy.title_en not in html
    client.cookies["django_language"] = "en"
    html = html_unescape(client.get("/policies/").content.decode())
    assert policy.title_en in html
    assert policy.summary_en[:60] in html
    assert f">{policy.title}<" not in html
    detail = html_unescape(client.get(f"/policies/p/{policy.code}/").content.decode())
    assert policy.title_en in detail and policy.summary_en in detail
    assert client.get("/api/v1/policies/").json()[0]["title_en"]
