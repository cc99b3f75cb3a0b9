"""Demo data for ``manage.py seed_demo``: the 2024 policy package, the certification workflow, registry details,
~300 certification applications in every state and ~150 certified talents. Bulk inserts keep it fast; a few dozen
applications go through the real services so the review queues hold live workflow cases. Idempotent."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone


def seed_demo_talents(*, applications: int = 300, certified: int = 150, live: int = 60, seed: int = 2024) -> dict[str, Any]:
    from onestop.core.choices import AccountType
    from onestop.core.exceptions import ApplicationError
    from onestop.core.models import User
    from onestop.policies.services import policy_load_package
    from onestop.workflow import calendar as wd
    from onestop.workflow.definitions import read_spec, shipped_spec_files
    from onestop.workflow.services import definition_publish

    from . import certification as cert
    from .choices import ApplicationStatus, CertTrack
    from .models import Certificate, CertificationApplication, Document, SocialInsuranceMonth, TalentProfile

    loaded = policy_load_package()
    for path in shipped_spec_files():
        definition_publish(spec=read_spec(path))
    if CertificationApplication.objects.filter(is_demo=True).exists():
        return {"policies": loaded["created"], "applications": 0}
    rng = random.Random(seed)
    today = wd.today()
    profiles = list(TalentProfile.objects.filter(user__is_demo=True, user__account_type=AccountType.TALENT)
                    .select_related("user", "employer").order_by("pk")[: applications + live])
    # Registry details read by the rules: insured months for employed talents.
    months = []
    for profile in profiles:
        if profile.employer_id and not SocialInsuranceMonth.objects.filter(profile=profile).exists():
            for k in range(rng.randint(0, 24)):
                first = (today.replace(day=1) - timedelta(days=31 * (k + 1))).replace(day=1)
                months.append(SocialInsuranceMonth(profile=profile, month=first, enterprise_id=profile.employer_id))
    SocialInsuranceMonth.objects.bulk_create(months, batch_size=2000, ignore_conflicts=True)
    # A placeholder diploma per applicant (a tiny valid PDF in private storage).
    from django.core.files.base import ContentFile

    documents = {}
    for profile in profiles[applications: applications + live]:
        doc = Document(profile=profile, kind="diploma", original_name="学位证书.pdf", content_type="application/pdf",
                       size=20, sha256="0" * 64, uploaded_by=profile.user)
        doc._sniffed_ext = "pdf"  # type: ignore[attr-defined]
        doc.file.save("demo", ContentFile(b"%PDF-1.4 demo %%EOF"), save=False)
        doc.save()
        documents[profile.pk] = doc
    # Bulk: decided applications (certified, rejected, withdrawn, publicity, revoked) without live cases.
    statuses = ([ApplicationStatus.CERTIFIED] * certified + [ApplicationStatus.PUBLICITY] * 40
                + [ApplicationStatus.REJECTED] * 45 + [ApplicationStatus.WITHDRAWN] * 15 + [ApplicationStatus.REVOKED] * 5)
    tiers = ["E"] * 60 + ["D"] * 25 + ["C"] * 10 + ["B"] * 4 + ["A"] * 1
    rows = []
    now = timezone.now()
    for profile, status in zip(profiles[:applications], statuses[:applications], strict=False):
        tier = rng.choice(tiers)
        created = now - timedelta(days=rng.randint(20, 300))
        start = today - timedelta(days=rng.randint(0, 4)) if status == ApplicationStatus.PUBLICITY else None
        rows.append(CertificationApplication(
            profile=profile, enterprise=profile.employer, applied_by=profile.user, track=CertTrack.STANDARD,
            claimed_tier=tier, proposed_tier=tier, decided_tier=tier if status != ApplicationStatus.REJECTED else "",
            status=status, created_at=created, is_demo=True,
            decided_at=None if status == ApplicationStatus.PUBLICITY else created + timedelta(days=20),
            publicity_start=start, publicity_end=wd.add_working_days(start, 5) if start else None,
            precheck={"tier": tier, "explanation": "（演示数据）"}))
    CertificationApplication.objects.bulk_create(rows, batch_size=500)
    done = CertificationApplication.objects.filter(is_demo=True, status__in=[ApplicationStatus.CERTIFIED,
                                                                             ApplicationStatus.REVOKED])
    Certificate.objects.bulk_create([Certificate(
        application=a, profile_id=a.profile_id, track=a.track, tier=a.decided_tier,
        number=f"ZZGK-{a.created_at:%Y}-{a.decided_tier}-{a.pk:06d}", valid_from=a.created_at.date(),
        valid_until=a.created_at.date() + timedelta(days=3 * 365),
        status="revoked" if a.status == ApplicationStatus.REVOKED else "valid",
        revoked_at=now if a.status == ApplicationStatus.REVOKED else None,
        revoke_reason="（演示）提供材料不实" if a.status == ApplicationStatus.REVOKED else "") for a in done],
        batch_size=500)
    # Live cases through the services: pending employer confirmation, in the office queue, at the committee.
    live_count = 0
    for i, profile in enumerate(profiles[applications: applications + live]):
        equivalent = i % 5 == 4
        try:
            application = cert.certification_apply(
                actor=profile.user, track="standard", claimed_tier="C" if equivalent else (
                    cert.certification_precheck(profile=profile, track="standard")["tier"] or "E"),
                equivalent_claim=equivalent, statement="（演示数据）具有相当于地方级领军人才的业绩。" if equivalent else "",
                document_ids=[documents[profile.pk].pk], is_demo=True)
        except ApplicationError:  # a demo profile the rules cannot place: skip it
            continue
        live_count += 1
        task = cert.case_of(application).tasks.filter(state="pending").first()  # type: ignore[union-attr]
        if task is not None and task.step.code == "employer_confirm" and i % 3:
            from onestop.workflow.services import task_approve, task_claim

            hr = User.objects.filter(role_assignments__enterprise=task.enterprise).first()
            if hr is not None:
                task_approve(task=task_claim(task=task, actor=hr), actor=hr, reason="确认在职")
    return {"policies": loaded["created"], "applications": len(rows) + live_count, "certified": done.count(),
            "live": live_count}
