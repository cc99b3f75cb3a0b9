"""THE list table of the security harness: every page and API operation that lists records, and how a row of each
kind of world object is recognised in its answer. ``test_list_scoping`` requests each list as every principal the
policy table (policy.py) lets open it and checks that no row of an object owned by the principal's counterpart
(talent A ↔ B, employer X ↔ Y, department 1 ↔ 2) appears, while the principal's own rows do.

A row is recognised by
- ``link``: a page links to the object's own page (or the form acting on it) — the path in quotes, e.g.
  ``"/housing/stays/12/"`` — reversed from the URL name with the object's key;
- ``text``: the object's marker from world.py (a text only that object shows: an application code, a scan time …);
- ``field``: an API answer holds the object's key (``by="marker"``: its marker) as the value of that field, at any
  depth (datetimes are compared in local time to the second, as pages show them).

Adding a list page or list operation? Add its line here with the kinds of rows it shows. A line whose recogniser never
finds an own row fails the test (it would prove nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rows:
    kind: str
    link: str = ""
    kw: str = "pk"
    extra: dict[str, Any] = field(default_factory=dict)
    text: bool = False
    field: str = ""
    by: str = "key"
    own_optional: bool = False  # the list may leave some own rows out (a state filter); other owners' never


@dataclass(frozen=True)
class Listing:
    rows: tuple[Rows, ...]
    query: str = ""  # e.g. "state=all": the widest view of the list
    obj: str | None = None  # the list of one object (a target's drill-down): requested for each object of this kind
    # that the principal may open; it must show at least one own row (the others belong to other objects)


def L(*rows: Rows, **kw: Any) -> Listing:
    return Listing(rows, **kw)


def link(kind: str, name: str, **kw: Any) -> Rows:
    return Rows(kind, link=name, **kw)


def text(kind: str, **kw: Any) -> Rows:
    return Rows(kind, text=True, **kw)


def field_(kind: str, name: str = "id", **kw: Any) -> Rows:
    return Rows(kind, field=name, **kw)


INBOX_LINKS = (
    link("notification", "core:inbox_read"), link("case", "workflow:case_detail"),
    link("task", "workflow:task_detail"), link("certification", "talents:certification_detail"),
    link("stay", "housing:stay_detail"), link("housing_offer", "housing:offer_detail"),
    link("lease", "housing:lease_detail"), link("contract", "engagement:contract_detail"),
    link("problem", "engagement:problem_detail"), link("monthly_report", "targets:report_detail"),
)

# URL name (or "GET /api/v1/…" operation) → the rows it lists.
LISTS: dict[str, Listing] = {
    # core: inbox, home pages
    "core:inbox": L(*(Rows(r.kind, link=r.link, own_optional=r.kind != "notification") for r in INBOX_LINKS)),
    "core:staff_home": L(link("task", "workflow:task_detail", own_optional=True)),  # the first few tasks
    "core:employer_home": L(link("licence", "employers:licence_download")),
    "GET /api/v1/notifications": L(field_("notification")),
    # workflow: queues and cases
    "workflow:queue": L(link("task", "workflow:task_detail")),
    "workflow:case_list": L(link("case", "workflow:case_detail", own_optional=True)),  # staff: tasks, not cases
    "GET /api/v1/workflow/cases": L(field_("case", own_optional=True)),
    "GET /api/v1/workflow/tasks": L(field_("task")),
    # policies: a department's own policies and versions
    "policies:manage_list": L(link("policy", "policies:policy_meta_edit", kw="code"),
                              link("policy_version", "policies:version_edit")),
    # talents: own records, certification lists
    "talents:profile": L(link("talent_document", "talents:document_download"),
                         link("education_record", "talents:record_delete", extra={"kind": "education"})),
    "talents:certification_mine": L(link("certification", "talents:certification_detail"),
                                    link("certificate", "talents:certificate_pdf")),
    "talents:certification_employer": L(link("certification", "talents:certification_detail")),
    "talents:certification_review": L(link("certification", "talents:certification_detail"), query="state=all"),
    "GET /api/v1/talents/certifications": L(field_("certification", own_optional=True)),  # the applicant's own
    # green cards: entitlement requests and the scan log
    "greencards:card": L(link("greencard_request", "greencards:request_detail"), text("scan")),
    "GET /api/v1/greencards/requests": L(field_("greencard_request")),
    "GET /api/v1/greencards/card/scans": L(field_("scan", "checked_at", by="marker")),
    # 人才一件事 and 免申即享
    "onething:index": L(link("onething_application", "onething:detail")),
    "onething:benefits": L(link("benefit_offer", "onething:offer_decide", extra={"action": "accept"})),
    "onething:runs": L(link("matching_run", "onething:run")),
    "GET /api/v1/onething/offers": L(field_("benefit_offer")),
    # housing: stays, applications, offers, leases
    "housing:home": L(link("stay", "housing:stay_detail"), link("lease", "housing:lease_detail")),
    "GET /api/v1/housing/stays": L(field_("stay")),
    "GET /api/v1/housing/applications": L(field_("housing_application", "code", by="marker")),
    "GET /api/v1/housing/offers": L(field_("housing_offer")),
    "GET /api/v1/housing/leases": L(field_("lease")),
    # employers: HR invitations, employments, talents, jobs, funding, placements, enterprise review
    "employers:hr": L(link("hr_invitation", "employers:hr_revoke")),
    "employers:employments": L(link("employment", "employers:employment_decide")),
    "employers:talents": L(link("talent_profile", "employers:nominate", kw="profile_id")),
    "GET /api/v1/employers/talents": L(field_("talent_profile", "profile_id")),
    "employers:jobs": L(link("job", "employers:job_status")),
    "employers:funding": L(link("funding", "employers:funding_detail")),
    "employers:funding_office": L(link("funding", "employers:funding_detail")),
    "GET /api/v1/employers/funding": L(field_("funding")),
    "employers:placements": L(link("placement", "employers:placement_detail")),
    "employers:review_list": L(link("enterprise_review", "employers:review_detail")),
    # engagement: events a department manages, needs, contracts, problems
    "engagement:event_manage": L(link("event", "engagement:event_manage_detail")),
    "engagement:needs_mine": L(link("need", "engagement:need_detail")),
    "engagement:researcher": L(link("contract", "engagement:contract_detail")),
    "engagement:problems": L(link("problem", "engagement:problem_detail")),
    "GET /api/v1/engagement/problems": L(field_("problem")),
    # targets: dashboards, reports, drill-down
    "targets:dashboard": L(link("target", "targets:detail")),
    "targets:screen_panel": L(link("target", "targets:detail")),
    "targets:reports": L(link("monthly_report", "targets:report_detail")),
    "targets:records": L(text("reported_figure"), obj="target"),
    "GET /api/v1/targets/dashboard": L(field_("target")),
    "GET /api/v1/targets/{target_id}/records": L(text("reported_figure"), obj="target"),
}
