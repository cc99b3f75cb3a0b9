"""THE access policy of OneStop, one line per URL pattern and per API operation.

Adding a URL or an API operation? Add its line here (the matrix test fails, naming the line to add, until you do).

A line is a ``Rule``: who may use it (``ok``), what everybody else gets (``deny``; anonymous visitors get ``anon``),
which kind of object its parameter names (``obj``, built in ``world.py`` with an object per owner), and, for a URL
that changes state, the rule for an empty POST (``post``). Outcomes: "ok" (2xx), "login" (302 to a sign-in page),
"otp", "redirect" (any other 302), or a status code ("403", "404", "405", "401", "422").

For an object URL, an allowed principal sees only objects they own (or that their department handles): a talent or
employer asking for the other one's object, or staff of the other department, must get ``cross`` (404 by default) —
these are the "cross-user" and "cross-department" requests of the report. ``shared=True`` marks objects that every
allowed principal may see (published policies, public events).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

ANON = frozenset({"anon"})
TALENTS = frozenset({"talent_a", "talent_b"})
EMPLOYERS = frozenset({"employer_x", "employer_y"})
STAFF = frozenset({"staff_1", "staff_2"})
PARTNER = frozenset({"partner"})
LEADER = frozenset({"leader"})  # a staff account holding only the leader role (targets.view)
AUDITOR = frozenset({"auditor"})
SYS_ADMIN = frozenset({"sys_admin"})
SEC_ADMIN = frozenset({"sec_admin"})
AUDIT_ADMIN = frozenset({"audit_admin"})
ADMINS = SYS_ADMIN | SEC_ADMIN | AUDIT_ADMIN
SIGNED_IN = TALENTS | EMPLOYERS | STAFF | LEADER | PARTNER | AUDITOR | ADMINS
EVERYONE = SIGNED_IN | ANON
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    ok: frozenset[str]
    deny: str = "404"
    anon: str = "login"
    obj: str | None = None
    kw: dict[str, str] = field(default_factory=dict)
    post: Rule | None = None
    shared: bool = False
    only_owners: bool = False  # nobody but the object's owners, whatever their role
    owners_ok: bool = False  # an object's owners may, besides ``ok`` (e.g. the person themself)
    cross: str = "404"
    missing: str = "404"
    odd: dict[str, str] = field(default_factory=dict)  # principal -> outcome, where one differs from the rule
    data: dict[str, Any] = field(default_factory=dict)  # a body for the write (form, or JSON for the API), so the check behind it is reached

    def expect(self, principal: str, owners: frozenset[str] | None, *, cross: bool) -> str:
        """``owners``: None when the URL names no object, empty for a key that does not exist."""
        if principal in self.odd:
            return self.odd[principal]
        allowed = principal in self.ok or bool(self.owners_ok and owners and principal in owners)
        if principal == "anon" and not allowed:
            return self.anon
        if cross and not self.shared:
            return self.cross
        if owners and self.only_owners and principal not in owners:
            return self.cross if allowed else self.deny
        if not allowed:
            return self.deny
        if owners is not None and not owners:
            return self.missing
        return "ok"


def R(ok: frozenset[str], **kw: Any) -> Rule:
    return Rule(ok, **kw)


def W(ok: frozenset[str], *, get405: frozenset[str] | None = None, **kw: Any) -> Rule:
    """A POST-only URL: GET answers 405 to ``get405`` (default: ``ok``, checked before the method), the declared
    refusal to the rest; the POST rule is ``R(ok, **kw)``."""
    post = Rule(ok, **kw)
    get = {k: v for k, v in kw.items() if k in ("obj", "kw", "anon", "shared", "cross", "deny")}
    return Rule(NOBODY, odd=dict.fromkeys(get405 if get405 is not None else ok, "405"), post=post, **get)


# The Django admin, every pattern: the system and security administrators only (second factor passed).
ADMIN_RULE = Rule(SYS_ADMIN | SEC_ADMIN, deny="login", anon="login")

URLS: dict[str, Rule] = {
    "set_language": R(NOBODY, deny="redirect", anon="redirect", post=R(EVERYONE)),  # switches the language cookie only
    "api-v1:openapi-json": R(EVERYONE, post=R(EVERYONE)),
    "api-v1:openapi-view": R(EVERYONE, post=R(EVERYONE)),
    "api-v1:api-root": R(NOBODY, deny="404", anon="404"),  # ninja has no root page
    "workflow:queue": R(EMPLOYERS | STAFF),
    "workflow:queue_bulk": W(EMPLOYERS | STAFF, get405=EMPLOYERS | STAFF),
    "workflow:task_detail": R(STAFF | EMPLOYERS, obj="task", only_owners=True),
    "workflow:task_claim": W(STAFF | EMPLOYERS, get405=EMPLOYERS | STAFF, obj="task", only_owners=True),
    "workflow:load": R(NOBODY),  # department heads only (WORKFLOW_LOAD); no head among the principals
    "workflow:case_list": R(TALENTS | EMPLOYERS | STAFF),  # applicants: talents, enterprises (funding), officials (visits)
    "workflow:case_detail": R(TALENTS | STAFF, obj="case", only_owners=True),
    "workflow:service_request_new": R(TALENTS, post=R(TALENTS)),
    "workflow:calendar_list": R(SYS_ADMIN),
    "workflow:calendar_edit": R(SYS_ADMIN, kw={"year": "2026"}, post=R(SYS_ADMIN, kw={"year": "2026"})),
    "policies:library": R(EVERYONE),
    "policies:calculator": R(EVERYONE, post=R(EVERYONE)),
    "policies:detail": R(EVERYONE, obj="policy", shared=True, anon="404"),
    "policies:employer_calculator_index": R(NOBODY, odd={"employer_x": "redirect", "employer_y": "redirect"}),  # to own
    "policies:employer_calculator": R(EMPLOYERS, obj="enterprise", only_owners=True),
    "policies:policy_meta_edit": R(STAFF, obj="policy", only_owners=True, post=R(STAFF, only_owners=True)),
    "policies:manage_list": R(STAFF),
    "policies:version_start": W(STAFF, obj="policy", only_owners=True),
    "policies:version_edit": R(STAFF, obj="policy_version", only_owners=True),
    "policies:version_validate": W(STAFF, obj="policy_version", only_owners=True),
    "policies:version_sandbox": W(STAFF, obj="policy_version", only_owners=True),
    "policies:version_try_on": W(STAFF, obj="policy_version", only_owners=True),
    "policies:version_submit": W(STAFF, obj="policy_version", only_owners=True),
    "policies:version_publish": W(STAFF, obj="policy_version", only_owners=True),
    "policies:version_return": W(STAFF, obj="policy_version", only_owners=True),
    "talents:profile": R(TALENTS, post=R(TALENTS)),
    "talents:record_delete": W(TALENTS, obj="education_record", only_owners=True, kw={"kind": "education"}),
    "talents:document_download": R(TALENTS | EMPLOYERS | STAFF, obj="talent_document", only_owners=True, anon="404"),  # reviewers with a task: the employer, the office
    "talents:certification_mine": R(TALENTS),
    "talents:certification_apply": R(TALENTS, post=R(TALENTS)),
    "talents:certification_employer": R(EMPLOYERS),
    "talents:certification_review": R(STAFF),
    "talents:certification_detail": R(TALENTS | EMPLOYERS | STAFF, obj="certification", only_owners=True, anon="404"),
    "talents:objection_resolve": W(STAFF, obj="objection", only_owners=True,
                                   data={"upheld": "0", "resolution": "经核实，异议不成立。"}),
    "talents:certificate_revoke": W(STAFF, obj="certificate", only_owners=True, data={"reason": "证书信息有误"}),
    "talents:certificate_pdf": R(TALENTS | EMPLOYERS | STAFF, obj="certificate", only_owners=True, anon="404"),
    "talents:children_search": R(NOBODY),  # departments serving children (education, health) only; refusals audited
    "talents:children": R(NOBODY, kw={"number": "RC0000001"}, post=R(NOBODY)),
    "talents:publicity": R(EVERYONE),
    "talents:imports": R(STAFF, post=R(STAFF)),
    "greencards:card": R(TALENTS),
    "greencards:card_pdf": R(TALENTS),  # each talent of the world holds a card (404 while a talent holds none)
    "greencards:card_photo": R(TALENTS, odd={"talent_a": "404", "talent_b": "404"}),  # 404 while the card has no photo
    "greencards:card_photo_upload": W(TALENTS),
    "greencards:card_reissue": W(TALENTS),
    "greencards:request_new": R(TALENTS, post=R(TALENTS)),
    "greencards:request_detail": R(TALENTS | STAFF, obj="greencard_request", only_owners=True),
    "greencards:verify": R(PARTNER, post=R(PARTNER)),
    "greencards:verification_photo": R(PARTNER, obj="verification", only_owners=True),
    "greencards:satisfaction": R(AUDITOR),
    "greencards:api_keys": R(PARTNER | SEC_ADMIN, post=R(PARTNER | SEC_ADMIN, odd={"partner": "422", "sec_admin": "422"})),
    "greencards:manage": R(STAFF),  # every department's staff may open it; only the talent office's list has cards
    "greencards:manage_card": R(STAFF, obj="greencard", only_owners=True),  # the talent office (staff_1) only
    "greencards:manage_suspend": W(STAFF, obj="greencard", only_owners=True),
    "greencards:manage_reinstate": W(STAFF, obj="greencard", only_owners=True),
    "onething:index": R(TALENTS, post=R(TALENTS)),
    "onething:detail": R(TALENTS, obj="onething_application", only_owners=True),
    "onething:progress": R(TALENTS, obj="onething_application", only_owners=True,
                           odd={"talent_a": "404", "talent_b": "404"}),  # a draft has no progress: 404 even to its owner
    "onething:select_matters": W(TALENTS, obj="onething_application", only_owners=True),
    "onething:attach_document": W(TALENTS, obj="onething_application", only_owners=True),
    "onething:submit": W(TALENTS, obj="onething_application", only_owners=True),
    "onething:withdraw": W(TALENTS, obj="onething_application", only_owners=True),
    "onething:matter_withdraw": W(TALENTS, obj="application_matter", only_owners=True),
    "onething:matter_info": W(TALENTS, obj="application_matter", only_owners=True),
    "onething:benefits": R(TALENTS),
    "onething:offer_decide": W(TALENTS, obj="benefit_offer", only_owners=True, kw={"action": "accept"}),
    "onething:runs": R(STAFF, post=R(NOBODY)),  # department heads start runs (BENEFITS_MANAGE)
    "onething:run": R(STAFF, obj="matching_run"),
    "onething:run_progress": R(STAFF, obj="matching_run"),
    "onething:policy_mode": R(NOBODY, obj="policy", post=R(NOBODY)),  # department heads only (BENEFITS_MANAGE)
    "housing:home": R(TALENTS),
    "housing:stay_new": R(TALENTS, post=R(TALENTS)),
    "housing:stay_detail": R(TALENTS, obj="stay", only_owners=True),
    "housing:stay_cancel": W(TALENTS, obj="stay", only_owners=True),
    "housing:round_list": R(EVERYONE),
    "housing:round_detail": R(EVERYONE, obj="round", shared=True, anon="404"),
    "housing:round_file": R(EVERYONE, obj="round", shared=True, anon="404", kw={"name": "result.json"}),
    "housing:offer_detail": R(TALENTS, obj="housing_offer", only_owners=True),
    "housing:lease_detail": R(TALENTS, obj="lease", only_owners=True, anon="404"),
    "housing:desk": R(NOBODY, post=R(NOBODY)),  # the housing department's desk; staff_1/staff_2 are not in it
    "housing:stay_decide": R(NOBODY, obj="stay", post=R(NOBODY)),  # housing department desk
    "housing:scan": R(NOBODY, post=R(NOBODY)),  # the housing department's desk; staff_1/staff_2 are not in it
    "housing:inventory": R(NOBODY, post=R(NOBODY)),  # the housing department's desk; staff_1/staff_2 are not in it
    "housing:import_template": R(NOBODY, post=R(NOBODY)),  # the housing department's desk; staff_1/staff_2 are not in it
    "housing:station_beds": R(NOBODY, obj="station"),  # housing department desk
    "housing:unit_edit": R(NOBODY, obj="unit", post=R(NOBODY)),  # housing department desk
    "housing:bed_detail": R(NOBODY, obj="bed", post=R(NOBODY)),  # housing department desk
    "housing:rounds_manage": R(NOBODY, post=R(NOBODY)),  # the housing department's desk; staff_1/staff_2 are not in it
    "housing:round_manage": R(NOBODY, obj="round", post=R(NOBODY)),  # housing department desk
    "housing:leases_manage": R(NOBODY, post=R(NOBODY)),  # the housing department's desk; staff_1/staff_2 are not in it
    "housing:gifts_manage": R(NOBODY, post=R(NOBODY)),  # the housing department's desk; staff_1/staff_2 are not in it
    "employers:licence_upload": W(EMPLOYERS),
    "employers:licence_download": R(EMPLOYERS | STAFF, obj="licence", only_owners=True, anon="404"),
    "employers:hr": R(EMPLOYERS, post=R(EMPLOYERS)),
    "employers:hr_revoke": W(EMPLOYERS, obj="hr_invitation", only_owners=True),
    "employers:invitation_accept": R(EVERYONE, obj="invitation", shared=True),  # whoever holds the link's token
    "employers:employments": R(EMPLOYERS, post=R(EMPLOYERS)),
    "employers:employment_decide": W(EMPLOYERS, obj="employment", only_owners=True,
                                     data={"decision": "confirm", "reason": ""}),
    "employers:talents": R(EMPLOYERS, post=R(EMPLOYERS)),
    "employers:nominate": R(EMPLOYERS, obj="talent_profile", only_owners=True, post=R(EMPLOYERS, only_owners=True)),
    "employers:jobs": R(EMPLOYERS, post=R(EMPLOYERS)),
    "employers:job_status": W(EMPLOYERS, obj="job", only_owners=True, data={"status": "closed"}),
    "employers:job_search": R(EVERYONE, post=R(EVERYONE)),
    "employers:job_detail": R(EVERYONE, obj="job", shared=True, anon="404"),
    "employers:funding": R(EMPLOYERS, post=R(EMPLOYERS)),
    "employers:funding_office": R(STAFF, post=R(STAFF)),
    "employers:funding_detail": R(EMPLOYERS | STAFF, obj="funding", only_owners=True, anon="404"),
    "employers:placements": R(TALENTS | EMPLOYERS | STAFF, post=R(TALENTS | EMPLOYERS | STAFF)),  # scoped; placement staff register
    "employers:placement_detail": R(TALENTS | EMPLOYERS | STAFF, obj="placement", only_owners=True, anon="404"),
    "employers:review_list": R(STAFF, post=R(STAFF)),
    "employers:review_detail": R(STAFF, obj="enterprise_review", only_owners=True),
    "engagement:event_list": R(EVERYONE),
    "engagement:event_detail": R(EVERYONE, obj="event", shared=True, anon="404"),
    "engagement:registration": R(TALENTS, obj="registration", only_owners=True, anon="404"),
    "engagement:event_manage": R(STAFF, post=R(STAFF)),
    "engagement:event_manage_detail": R(STAFF, obj="event", only_owners=True),
    "engagement:checkin": R(STAFF, kw={"token": "not-a-token"}, post=R(STAFF)),  # an unknown token renders a refusal page
    "engagement:need_list": R(EVERYONE),
    "engagement:needs_mine": R(EMPLOYERS, post=R(EMPLOYERS)),
    "engagement:need_review": R(STAFF, post=R(STAFF)),
    "engagement:need_detail": R(EVERYONE, obj="need", shared=True, anon="404"),
    "engagement:researcher": R(TALENTS, post=R(TALENTS)),
    "engagement:contract_detail": R(TALENTS | EMPLOYERS | STAFF, obj="contract", only_owners=True, anon="404"),
    "engagement:visit_home": R(STAFF, post=R(STAFF)),
    "engagement:visit_report": R(STAFF, post=R(STAFF)),
    "engagement:problems": R(EMPLOYERS | STAFF, post=R(EMPLOYERS | STAFF)),  # scoped list; no ledger for other roles
    "engagement:problem_detail": R(EMPLOYERS | STAFF, obj="problem", only_owners=True, anon="404"),
    "targets:dashboard": R(STAFF | LEADER | AUDITOR),  # departments their own targets; the office, leader, auditor all
    "targets:screen": R(STAFF | LEADER | AUDITOR),
    "targets:screen_panel": R(STAFF | LEADER | AUDITOR),
    "targets:export": R(STAFF | LEADER | AUDITOR),
    "targets:refresh": W(STAFF | LEADER | AUDITOR),
    "targets:detail": R(STAFF | LEADER | AUDITOR, obj="target", post=R(STAFF, obj="target")),  # only the owner department enters figures
    "targets:records": R(STAFF | LEADER | AUDITOR, obj="target"),
    "targets:evidence": R(STAFF | LEADER | AUDITOR, obj="reported_figure"),
    "targets:revise": W(STAFF, obj="reported_figure", get405=STAFF),
    "targets:reports": R(STAFF | LEADER | AUDITOR, post=R(STAFF | LEADER | AUDITOR)),
    "targets:report_detail": R(STAFF | LEADER | AUDITOR, obj="monthly_report"),
    "targets:report_download": R(STAFF | LEADER | AUDITOR, obj="monthly_report"),
    "greencard_public:jwks": R(EVERYONE),
    "greencard_public:revocations": R(EVERYONE),
    "greencard_public:revocations_signed": R(EVERYONE),
    # Machine-to-machine verification: an API key in the Authorization header, never a session (401 without one).
    "greencard_m2m:verify": W(NOBODY, get405=EVERYONE, anon="401", deny="401"),
    "core:home": R(EVERYONE),
    "core:login": R(EVERYONE, post=R(EVERYONE)),
    "core:logout": R(NOBODY, deny="405", anon="405", post=R(EVERYONE)),
    "core:register": R(EVERYONE, post=R(EVERYONE)),
    "core:register_employer": R(EVERYONE, post=R(EVERYONE)),
    "core:otp_enrol": R(TALENTS | EMPLOYERS, deny="otp", post=R(TALENTS | EMPLOYERS, deny="otp")),
    "core:otp_verify": R(STAFF | LEADER | PARTNER | AUDITOR | SYS_ADMIN | SEC_ADMIN | AUDIT_ADMIN, deny="otp", post=R(STAFF | LEADER | PARTNER | AUDITOR | SYS_ADMIN | SEC_ADMIN | AUDIT_ADMIN, deny="otp")),
    "core:me": R(TALENTS, post=R(TALENTS)),
    "core:employer_home": R(EMPLOYERS, post=R(EMPLOYERS)),
    "core:staff_home": R(STAFF, post=R(STAFF)),
    "core:partner_home": R(PARTNER, post=R(PARTNER)),
    "core:inbox": R(SIGNED_IN, post=R(SIGNED_IN)),
    "core:inbox_read": W(SIGNED_IN, get405=SIGNED_IN, obj="notification", only_owners=True),
    "core:inbox_read_all": W(SIGNED_IN, get405=SIGNED_IN),
    "core:pii_show": W(STAFF, get405=SIGNED_IN, obj="user", owners_ok=True, kw={"field": "phone"}),
    "core:pii_hide": R(STAFF, obj="user", owners_ok=True, kw={"field": "phone"}),
    "core:audit_list": R(AUDITOR | AUDIT_ADMIN),
    "core:audit_export": R(AUDIT_ADMIN),
    "core:healthz": R(NOBODY, deny="503", anon="503"),  # 503 in tests: no task worker heartbeat
}

API: dict[str, Rule] = {
    "GET /api/v1/departments": R(EVERYONE),
    "GET /api/v1/employers/funding": R(EMPLOYERS),
    "GET /api/v1/employers/jobs": R(EVERYONE),
    "GET /api/v1/employers/me": R(EMPLOYERS),
    "GET /api/v1/employers/talents": R(EMPLOYERS),
    "GET /api/v1/engagement/events": R(EVERYONE),
    "GET /api/v1/engagement/events/counts": R(NOBODY, deny="422"),  # needs ids=; the fuzzer covers it
    "GET /api/v1/engagement/needs": R(EVERYONE),
    "GET /api/v1/engagement/problems": R(EMPLOYERS | STAFF),
    "GET /api/v1/greencards/card": R(TALENTS),  # each talent of the world holds a card (404 while a talent holds none)
    "GET /api/v1/greencards/card/scans": R(TALENTS),
    "GET /api/v1/greencards/requests": R(TALENTS),
    "GET /api/v1/greencards/requests/{pk}": R(TALENTS, obj="greencard_request", only_owners=True),
    "GET /api/v1/housing/applications": R(TALENTS),
    "GET /api/v1/housing/leases": R(TALENTS),
    "GET /api/v1/housing/offers": R(TALENTS),
    "GET /api/v1/housing/rounds": R(EVERYONE),
    "GET /api/v1/housing/rounds/{code}/files/{name}": R(EVERYONE, obj="round", shared=True, anon="404", kw={"name": "result.json"}),
    "GET /api/v1/housing/rounds/{code}/results": R(EVERYONE, obj="round", shared=True, anon="404"),
    "GET /api/v1/housing/stations": R(TALENTS),
    "GET /api/v1/housing/stays": R(TALENTS),
    "GET /api/v1/me": R(SIGNED_IN),
    "GET /api/v1/notifications": R(SIGNED_IN),
    "GET /api/v1/onething/applications/{pk}/precheck": R(TALENTS, obj="onething_application", only_owners=True),
    "GET /api/v1/onething/applications/{pk}/progress": R(TALENTS, obj="onething_application", only_owners=True),
    "GET /api/v1/onething/matters": R(SIGNED_IN),
    "GET /api/v1/onething/offers": R(TALENTS),
    "GET /api/v1/onething/runs/{pk}": R(STAFF, obj="matching_run"),
    "GET /api/v1/policies/": R(EVERYONE),
    "GET /api/v1/policies/calculate/enterprise/{enterprise_id}": R(EMPLOYERS, obj="enterprise", only_owners=True),
    "GET /api/v1/policies/calculate/me": R(TALENTS),
    "GET /api/v1/policies/{code}": R(EVERYONE, obj="policy", shared=True, anon="404"),
    "GET /api/v1/talents/certifications": R(TALENTS),  # the applicant's own; others open one by its link
    "GET /api/v1/talents/certifications/{pk}": R(TALENTS | EMPLOYERS | STAFF, obj="certification", only_owners=True),
    "GET /api/v1/talents/me/facts": R(TALENTS),
    "GET /api/v1/targets/dashboard": R(STAFF | LEADER | AUDITOR),
    "GET /api/v1/targets/{target_id}": R(STAFF | LEADER | AUDITOR, obj="target"),
    "GET /api/v1/targets/{target_id}/records": R(STAFF | LEADER | AUDITOR, obj="target"),
    "GET /api/v1/workflow/cases": R(TALENTS | EMPLOYERS | STAFF),
    "GET /api/v1/workflow/cases/{case_id}/timeline": R(TALENTS | STAFF, obj="case", only_owners=True),
    "GET /api/v1/workflow/tasks": R(EMPLOYERS | STAFF),  # as the queue page (workflow.queue)
    "GET /api/v1/workflow/tasks/{task_id}": R(STAFF | EMPLOYERS, obj="task", only_owners=True),
    "POST /api/v1/accounts/register/talent": R(NOBODY, deny="422", anon="422"),  # the minimal body is not a valid registration
    "POST /api/v1/employers/employments/{employment_id}/decision": R(EMPLOYERS, obj="employment", only_owners=True,
                                                                     data={"confirm": True}),
    "POST /api/v1/employers/funding": R(EMPLOYERS),
    "POST /api/v1/employers/funding/{application_id}/payments": R(STAFF, obj="funding"),
    "POST /api/v1/employers/jobs": R(EMPLOYERS),
    "POST /api/v1/engagement/checkin": R(STAFF),
    "POST /api/v1/engagement/events/{event_id}/registrations": R(TALENTS | EMPLOYERS, obj="event", shared=True),  # employers for their enterprise
    "POST /api/v1/engagement/needs": R(EMPLOYERS),
    "POST /api/v1/engagement/needs/{need_id}/applications": R(TALENTS, obj="need", shared=True, deny="422", missing="422"),  # body checked first
    "POST /api/v1/engagement/problems/{problem_id}/confirm": R(EMPLOYERS, obj="problem", only_owners=True),
    "POST /api/v1/engagement/problems/{problem_id}/reply": R(STAFF, obj="problem", only_owners=True),
    "POST /api/v1/engagement/problems/{problem_id}/resolve": R(STAFF, obj="problem", only_owners=True),
    "POST /api/v1/engagement/visits": R(STAFF),
    "POST /api/v1/greencards/card/reissue": R(TALENTS),
    "POST /api/v1/greencards/cards/{pk}/suspend": R(STAFF, obj="greencard", only_owners=True),  # the talent office
    "POST /api/v1/greencards/cards/{pk}/reinstate": R(STAFF, obj="greencard", only_owners=True),
    "POST /api/v1/greencards/requests": R(TALENTS),
    "POST /api/v1/greencards/requests/{pk}/material": R(TALENTS, obj="greencard_request", only_owners=True),
    "POST /api/v1/greencards/requests/{pk}/rating": R(TALENTS, obj="greencard_request", only_owners=True),
    "POST /api/v1/greencards/verify": R(PARTNER),
    "POST /api/v1/housing/desk/rounds/{code}/draw": R(NOBODY, obj="round"),  # housing department desk
    "POST /api/v1/housing/desk/rounds/{code}/publish": R(NOBODY, obj="round"),  # housing department desk
    "POST /api/v1/housing/desk/scan": R(NOBODY, deny="422"),  # housing department desk; the token is validated first
    "POST /api/v1/housing/desk/stays/{stay_id}/decision": R(NOBODY, obj="stay"),  # housing department desk
    "POST /api/v1/housing/offers/{offer_id}/accept": R(TALENTS, obj="housing_offer", only_owners=True),
    "POST /api/v1/housing/offers/{offer_id}/decline": R(TALENTS, obj="housing_offer", only_owners=True),
    "POST /api/v1/housing/rounds/{code}/applications": R(TALENTS, obj="round", shared=True, deny="422", missing="422"),  # body checked first
    "POST /api/v1/housing/stays": R(TALENTS),
    "POST /api/v1/housing/stays/{stay_id}/cancel": R(TALENTS, obj="stay", only_owners=True),
    "POST /api/v1/notifications/{notification_id}/read": R(SIGNED_IN, obj="notification", only_owners=True),
    "POST /api/v1/onething/application-matters/{pk}/withdraw": R(TALENTS, obj="application_matter", only_owners=True),
    "POST /api/v1/onething/applications": R(TALENTS),
    "POST /api/v1/onething/applications/{pk}/documents": R(TALENTS, obj="onething_application", only_owners=True),
    "POST /api/v1/onething/applications/{pk}/submit": R(TALENTS, obj="onething_application", only_owners=True),
    "POST /api/v1/onething/applications/{pk}/withdraw": R(TALENTS, obj="onething_application", only_owners=True),
    "POST /api/v1/onething/offers/{pk}/accept": R(TALENTS, obj="benefit_offer", only_owners=True),
    "POST /api/v1/onething/runs": R(NOBODY),  # department heads (BENEFITS_MANAGE)
    "POST /api/v1/policies/calculate": R(EVERYONE),
    "POST /api/v1/talents/certifications": R(NOBODY, deny="422"),  # the minimal body is refused by validation for everyone
    "POST /api/v1/talents/certifications/{pk}/decision": R(NOBODY, obj="certification", deny="422", cross="422"),  # body checked first
    "POST /api/v1/talents/imports/{kind}": R(STAFF),
    "POST /api/v1/targets/refresh": R(STAFF | LEADER | AUDITOR),
    "POST /api/v1/targets/{target_id}/reported": R(STAFF, obj="target"),  # only the owner department's staff
    "POST /api/v1/workflow/cases/{case_id}/info": R(TALENTS, obj="case", only_owners=True),
    "POST /api/v1/workflow/service-requests": R(TALENTS, deny="403"),
    "POST /api/v1/workflow/tasks/{task_id}/actions": R(STAFF | EMPLOYERS, obj="task", only_owners=True),
    "PUT /api/v1/onething/applications/{pk}/matters": R(TALENTS, obj="onething_application", only_owners=True),
}

# The API answers 401 (a problem object), never a redirect, to an anonymous caller.
API = {op: replace(rule, anon="401") if rule.anon == "login" else rule for op, rule in API.items()}
