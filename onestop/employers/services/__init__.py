"""Writes of the employer side. Each validates every field first (Chinese errors naming the field), checks
permission (what the actor may not see is ``NotFound``), changes in one transaction, and audits.

Split by concern into modules; every name callers use is re-exported here."""

from __future__ import annotations

from .common import (
    PLACEMENT_DEPARTMENTS,
    REVIEW_DEPARTMENT,
    _admins,
    _notify_enterprise,
    in_department,
    own_enterprise,
)
from .employments import employment_decide
from .funding import (
    FUNDING_CAP_PARAM,
    FUNDING_DEFINITION,
    FUNDING_POLICY,
    FUNDING_RULE,
    FundingQuote,
    _param_in_force,
    funding_apply,
    funding_eligible_certificates,
    funding_ledger_charge,
    funding_payment_record,
    funding_quote,
    on_funding_approved,
    on_funding_ended,
)
from .hr import (
    INVITATION_DAYS,
    _token_hash,
    hr_invitation_accept,
    hr_invitation_revoke,
    hr_invite,
    invitation_by_token,
)
from .jobs import job_create, job_set_status
from .placements import placement_create, placement_end, placement_evaluate, placement_renew
from .registration import enterprise_register, enterprise_review, licence_upload

__all__ = [
    "FUNDING_CAP_PARAM",
    "FUNDING_DEFINITION",
    "FUNDING_POLICY",
    "FUNDING_RULE",
    "INVITATION_DAYS",
    "PLACEMENT_DEPARTMENTS",
    "REVIEW_DEPARTMENT",
    "FundingQuote",
    "_admins",
    "_notify_enterprise",
    "_param_in_force",
    "_token_hash",
    "employment_decide",
    "enterprise_register",
    "enterprise_review",
    "funding_apply",
    "funding_eligible_certificates",
    "funding_ledger_charge",
    "funding_payment_record",
    "funding_quote",
    "hr_invitation_accept",
    "hr_invitation_revoke",
    "hr_invite",
    "in_department",
    "invitation_by_token",
    "job_create",
    "job_set_status",
    "licence_upload",
    "on_funding_approved",
    "on_funding_ended",
    "own_enterprise",
    "placement_create",
    "placement_end",
    "placement_evaluate",
    "placement_renew",
]
