"""Demo data for ``manage.py seed_demo``: the 2024 targets and 2023 results, this year's targets carried forward
from 2024 (so the demo dashboard counts the demo records of this year), monthly reported figures with a small
evidence PDF, and — because the demo registry declares each talent's employer without an employment record — the
employment records the employment measures count (start dates spread from 2024 to today). Idempotent."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

DEMO_EVIDENCE = (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% OneStop demo evidence\n"
                 b"trailer << /Root 1 0 R >>\n%%EOF\n")
# Monthly reported figures of the demo (the owner departments' numbers, illustrative only).
REPORTED_DEMO = {
    "industry_declarations": (30, 55, "人才办产业人才申报台账（演示数据）"),
    "skilled_new": (650, 1000, "人社局职业技能等级认定系统（演示数据）"),
    "training_sessions": (1500, 2600, "人社局职业技能培训管理系统（演示数据）"),
    "rd_platforms": (0, 1, "省科技厅、工信厅认定文件（演示数据）"),
}


def _employments(rng: random.Random, today: date) -> int:
    from onestop.core.choices import AccountType
    from onestop.talents.models import Employment, TalentProfile

    if Employment.objects.filter(external_id__startswith="demo-emp-").exists():
        return 0
    first = date(2024, 1, 1)
    span = (today - first).days
    rows = []
    for profile in (TalentProfile.objects.filter(user__is_demo=True, user__account_type=AccountType.TALENT,
                                                 employer__isnull=False, employments__isnull=True).order_by("pk")):
        assert profile.employer_id is not None
        rows.append(Employment(profile=profile, enterprise_id=profile.employer_id,
                               start_date=first + timedelta(days=rng.randrange(max(span, 1))),
                               job_title=profile.job_title, confirmed_source="演示数据",
                               external_id=f"demo-emp-{profile.pk}"))
    Employment.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _reported(rng: random.Random, year: int, today: date) -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from onestop.core.models import User

    from .models import ReportedFigure, Target
    from .services import reported_figure_enter

    made = 0
    for code, (low, high, source) in REPORTED_DEMO.items():
        target = Target.objects.filter(year=year, code=code).select_related("owner_department").first()
        if target is None:
            continue
        clerk = User.objects.filter(username=f"{target.owner_department.code}_staff").first()
        if clerk is None:
            continue
        last = 12 if year < today.year else today.month
        for month in range(1, last + 1):
            day = date(year, month, 1)
            if ReportedFigure.objects.filter(target=target, month=day).exists():
                continue
            reported_figure_enter(actor=clerk, target=target, month=day, value=str(rng.randint(low, high)),
                                  source=source, note="演示数据", today=today,
                                  evidence=SimpleUploadedFile(f"{code}-{year}-{month:02d}.pdf", DEMO_EVIDENCE,
                                                              "application/pdf"))
            made += 1
    return made


def seed_demo_targets(*, seed: int = 2024) -> dict[str, Any]:
    from onestop.workflow import calendar as wd

    from .services import snapshot_invalidate, targets_carry_forward, targets_load

    today = wd.today()
    rng = random.Random(seed)
    loaded = targets_load(year=2024)
    carried = targets_carry_forward(from_year=2024, to_year=today.year) if today.year > 2024 else 0
    jobs = _employments(rng, today)
    reported = sum(_reported(rng, year, today) for year in sorted({2024, today.year}))
    for year in {2024, today.year}:
        snapshot_invalidate(year=year)
    return {"targets": loaded["created"], "carried_forward": carried, "employments": jobs, "reported": reported}
