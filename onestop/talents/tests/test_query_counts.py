"""Certification list views pin their query counts: the same number of queries for 3 rows as for 12 (no N+1)."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from onestop.core.tests.factories import EmployerUserFactory, EnterpriseFactory, TalentFactory
from onestop.talents.choices import ApplicationStatus
from onestop.talents.models import CertificationApplication, TalentProfile


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


def _applications(n: int, enterprise, *, status: str = ApplicationStatus.REJECTED,
                  profile: TalentProfile | None = None) -> list[CertificationApplication]:  # type: ignore[no-untyped-def]
    out = []
    for _i in range(n):
        target = profile or TalentFactory().talent_profile
        out.append(CertificationApplication.objects.create(
            profile=target, enterprise=enterprise, applied_by=target.user, track="standard", claimed_tier="E",
            status=status))
    return out


def test_talent_certification_list_queries_do_not_grow(db, talent, login):
    client = login(talent)
    profile = talent.talent_profile
    _same_for_3_and_12(lambda n: _applications(n, None, profile=profile), client, "/talent/certification/",
                       ceiling=12)


def test_employer_certification_list_queries_do_not_grow(db, login):
    enterprise = EnterpriseFactory()
    client = login(EmployerUserFactory(enterprise=enterprise))
    _same_for_3_and_12(lambda n: _applications(n, enterprise), client, "/talent/certification/employer/",
                       ceiling=12)


def test_reviewer_certification_list_queries_do_not_grow(setup, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from onestop.talents import certification as cert
    from onestop.talents import services

    s = setup
    client = login(s["office"], otp=True)

    def make(n: int) -> None:
        for _i in range(n):
            talent = TalentFactory()
            TalentProfile.objects.filter(user=talent).update(birth_date=date(1995, 1, 1), education="master",
                                                             employer=s["enterprise"])
            document = services.document_upload(actor=talent, kind="diploma",
                                                 upload=SimpleUploadedFile("d.pdf", b"%PDF-1.4 x"))
            application = cert.certification_apply(actor=talent, track="standard", claimed_tier="E",
                                                   document_ids=[document.pk])
            cert.certification_decide(application=application, actor=s["hr"], action="approve")

    _same_for_3_and_12(make, client, "/talent/certification/review/", ceiling=14)
    _count(client, "/talent/certification/review/?state=all")
