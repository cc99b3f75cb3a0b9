"""Demo data for ``manage.py seed_demo``: the matter catalogue, three policies marked 免申即享 (two granted outright,
one offered for confirmation) and one matching run over the demo registry. Idempotent: a rerun adds no offers."""

from __future__ import annotations

from typing import Any

from .catalogue import matter_catalogue_load
from .choices import BenefitMode, RunStatus
from .models import BenefitSetting, MatchRun

DEMO_MODES = {"young-graduate-allowance": BenefitMode.GRANT, "skilled-talent-subsidy": BenefitMode.GRANT,
              "talent-hukou": BenefitMode.OFFER}


def seed_demo_onething() -> dict[str, Any]:
    from onestop.policies.models import Policy
    from onestop.policies.services import policy_load_package

    from .matching import match_run_create, match_run_execute

    policy_load_package()
    catalogue = matter_catalogue_load()
    for policy in Policy.objects.filter(code__in=list(DEMO_MODES)):
        BenefitSetting.objects.get_or_create(policy=policy, defaults={"mode": DEMO_MODES[policy.code]})
    if MatchRun.objects.filter(is_active=True).exists() or MatchRun.objects.filter(status=RunStatus.DONE).exists():
        return {"matters": catalogue, "run": None}
    run = match_run_execute(run_id=match_run_create(actor=None, trigger="demo").pk)
    return {"matters": catalogue, "run": run.pk, "grants": run.grants, "offers": run.offers}
