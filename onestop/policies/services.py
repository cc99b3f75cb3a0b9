"""Writes of the policy catalogue. Each: validate → permission → ``transaction.atomic()`` → audit.

A forbidden policy answers like a missing one (NotFound). Status changes are conditional UPDATEs with a row-count
check; the database carries "one published version", "one open draft" and the four-eyes rule as constraints.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AuditResult
from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.core.models import Department, User
from onestop.core.services import FieldErrors

from . import rules, search
from .choices import Category, VersionStatus
from .errors import FourEyesViolation, VersionTransitionNotAllowed
from .models import Policy, PolicyVersion
from .permissions import can_edit, can_publish

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "policies_2024.json"
TEXT_MAX = 200_000


def _denied(action: str, actor: User, obj: Any, message: str) -> None:
    audit_record(action=action, actor=actor, obj=obj, result=AuditResult.DENIED, detail={"message": message})


def policy_reindex(*, policy: Policy) -> None:
    """Refresh the search document: title, summaries, issuer, document number, legal text, category and the rule
    titles of the current version."""
    version = policy.versions.filter(status=VersionStatus.PUBLISHED).first()
    rule_titles = " ".join(str(r.get("title", {}).get("zh", "")) for r in (version.document.get("rules", [])
                                                                            if version else []))
    text = search.index_text(policy.title, policy.summary, policy.issuer, policy.document_number,
                             policy.legal_reference, str(Category(policy.category).label), rule_titles,
                             policy.title_en, policy.summary_en)
    Policy.objects.filter(pk=policy.pk).update(search_document=text)
    policy.search_document = text


# --- the 2024 package ---------------------------------------------------------------------------------------------

def policy_load_package(*, path: Path | None = None, today: date | None = None) -> dict[str, int]:
    """Load the zone's policy package (idempotent): each policy missing from the catalogue is created with its first
    version published. Existing policies are left alone (staff may have published newer versions)."""
    data = json.loads((path or FIXTURE).read_text(encoding="utf-8"))
    departments = {d.code: d for d in Department.objects.all()}
    created = skipped = 0
    with transaction.atomic():
        for item in data["policies"]:
            if Policy.objects.filter(code=item["code"]).exists():
                skipped += 1
                continue
            department = departments.get(item["department"])
            if department is None:
                department, _c = Department.objects.get_or_create(
                    code=item["department"], defaults={"name": item["issuer"], "name_en": item["department"]})
                departments[department.code] = department
            policy = Policy.objects.create(
                code=item["code"], subject=item.get("subject", "talent"), title=item["title"],
                title_en=item.get("title_en", ""), issuer=item["issuer"], department=department,
                document_number=item["document_number"], category=item["category"],
                audiences=item.get("audiences", []), industries=item.get("industries", []), summary=item["summary"],
                summary_en=item.get("summary_en", ""), legal_reference=item["legal_reference"])
            spec = item["version"]
            document = rules.build_document(code=policy.code, version="1", title=policy.title,
                                            title_en=policy.title_en, subject=policy.subject,
                                            parameters=spec.get("parameters", {}), rules=spec["rules"])
            effective_from = date.fromisoformat(spec["effective_from"])
            issues = rules.document_issues(document, as_of=max(effective_from, today or effective_from))
            if issues:
                raise ValidationFailed(_("政策包数据有误：%(c)s %(e)s") % {
                    "c": policy.code, "e": "；".join(f"{i.path} {i.zh}" for i in issues)})
            PolicyVersion.objects.create(
                policy=policy, number=1, status=VersionStatus.PUBLISHED, effective_from=effective_from,
                document=document, benefits=spec.get("benefits", {}),
                illustrative_notes=spec.get("illustrative_notes", []), change_note=data.get("package", ""),
                published_at=timezone.now())
            policy_reindex(policy=policy)
            audit_record(action="policy.load", obj=policy, after={"code": policy.code, "version": 1})
            created += 1
    return {"created": created, "skipped": skipped}


# --- versions -----------------------------------------------------------------------------------------------------

def _editable_policy(policy: Policy, actor: User, action: str) -> None:
    if not can_edit(actor, policy):
        _denied(action, actor, policy, "not an editor of this policy")
        raise NotFound(_("政策不存在，或您无权访问。"))


def policy_version_start(*, policy: Policy, actor: User) -> PolicyVersion:
    """A new draft copied from the published version (or the newest one)."""
    _editable_policy(policy, actor, "policy.version.start")
    source = (policy.versions.filter(status=VersionStatus.PUBLISHED).first()
              or policy.versions.order_by("-number").first())
    if source is None:
        raise NotFound(_("该政策还没有任何版本。"))
    with transaction.atomic():
        number = (policy.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        document = dict(source.document)
        document["version"] = str(number)
        try:
            with transaction.atomic():
                version = PolicyVersion.objects.create(
                    policy=policy, number=number, status=VersionStatus.DRAFT,
                    effective_from=max(source.effective_from, timezone.localdate()), document=document,
                    benefits=source.benefits, illustrative_notes=source.illustrative_notes, created_by=actor)
        except IntegrityError:
            raise Conflict(_("该政策已有一个未发布的修订版本，请先完成或退回它。"))
        audit_record(action="policy.version.start", actor=actor, obj=version,
                     after={"policy": policy.code, "number": number, "from": source.number})
    return version


def parse_document(text: str) -> tuple[dict[str, Any] | None, list[str]]:
    """JSON text → document, or the syntax error with line and column in Chinese."""
    if len(text) > TEXT_MAX:
        return None, [_("规则集：内容过长。")]
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [_("规则集：第 %(l)d 行第 %(c)d 列 JSON 格式错误（%(m)s）。") % {
            "l": exc.lineno, "c": exc.colno, "m": exc.msg}]
    if not isinstance(value, dict):
        return None, [_("规则集：应为 JSON 对象。")]
    return value, []


def version_issues(*, document: Mapping[str, Any], effective_from: date) -> list[dict[str, str]]:
    return [{"code": str(i.code), "path": i.path, "zh": i.zh, "en": i.en}
            for i in rules.document_issues(document, as_of=effective_from)]


def policy_version_update(*, version: PolicyVersion, actor: User, document_text: str, effective_from: date | None,
                          effective_to: date | None = None, change_note: str = "",
                          benefits_text: str | None = None) -> list[dict[str, str]]:
    """Save a draft. A draft may have rule problems (they are returned and shown in place); it cannot be submitted
    until it has none. A document that is not even JSON is refused."""
    _editable_policy(version.policy, actor, "policy.version.update")
    errors = FieldErrors()
    document, problems = parse_document(document_text or "")
    for p in problems:
        errors.add("document", p)
    benefits = version.benefits
    if benefits_text is not None:
        parsed, b_problems = parse_document(benefits_text or "{}")
        for p in b_problems:
            errors.add("benefits", p.replace(_("规则集"), _("待遇说明")))
        benefits = parsed or {}
    if effective_from is None:
        errors.add("effective_from", _("生效日期：请填写生效日期。"))
    elif effective_to is not None and effective_to < effective_from:
        errors.add("effective_to", _("失效日期：不能早于生效日期。"))
    if len(change_note) > 2000:
        errors.add("change_note", _("修订说明：不能超过 2000 个字符。"))
    errors.raise_if_any()
    assert document is not None and effective_from is not None
    document["id"] = version.policy.code
    document["version"] = str(version.number)
    with transaction.atomic():
        changed = PolicyVersion.objects.filter(pk=version.pk, status=VersionStatus.DRAFT).update(
            document=document, effective_from=effective_from, effective_to=effective_to, change_note=change_note,
            benefits=benefits)
        if changed != 1:
            raise VersionTransitionNotAllowed(_("只有草稿可以修改。"))
        audit_record(action="policy.version.update", actor=actor, obj=version,
                     after={"effective_from": effective_from.isoformat(), "rules": len(document.get("rules", []))})
    version.refresh_from_db()
    return version_issues(document=document, effective_from=effective_from)


def policy_version_submit(*, version: PolicyVersion, actor: User) -> PolicyVersion:
    _editable_policy(version.policy, actor, "policy.version.submit")
    issues = version_issues(document=version.document, effective_from=version.effective_from)
    if issues:
        raise ValidationFailed(_("规则集仍有问题，不能提交审核。"),
                               field_errors={"document": [f"{i['path']}：{i['zh']}" for i in issues]})
    with transaction.atomic():
        changed = PolicyVersion.objects.filter(pk=version.pk, status=VersionStatus.DRAFT).update(
            status=VersionStatus.IN_REVIEW, submitted_by=actor, submitted_at=timezone.now(), return_reason="")
        if changed != 1:
            raise VersionTransitionNotAllowed(_("只有草稿可以提交审核。"))
        audit_record(action="policy.version.submit", actor=actor, obj=version,
                     before={"status": VersionStatus.DRAFT}, after={"status": VersionStatus.IN_REVIEW})
    version.refresh_from_db()
    return version


def _check_second_person(version: PolicyVersion, actor: User, action: str) -> None:
    if not can_publish(actor, version.policy):
        if can_edit(actor, version.policy):
            _denied(action, actor, version, "needs the department head")
            raise FourEyesViolation(_("只有本部门负责人可以审核发布政策版本。"))
        _denied(action, actor, version, "not in the policy's department")
        raise NotFound(_("政策不存在，或您无权访问。"))
    if actor.pk in (version.created_by_id, version.submitted_by_id):
        _denied(action, actor, version, "four eyes")
        raise FourEyesViolation(_("四眼原则：起草或提交该版本的人不能审核发布它，请由另一位负责人发布。"))


def policy_version_return(*, version: PolicyVersion, actor: User, reason: str) -> PolicyVersion:
    """The reviewer sends the version back to its author with a reason."""
    _check_second_person(version, actor, "policy.version.return")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"reason": [_("退回理由：请写明需要修改的地方。")]})
    with transaction.atomic():
        changed = PolicyVersion.objects.filter(pk=version.pk, status=VersionStatus.IN_REVIEW).update(
            status=VersionStatus.DRAFT, return_reason=reason[:2000])
        if changed != 1:
            raise VersionTransitionNotAllowed(_("只有待审核的版本可以退回。"))
        audit_record(action="policy.version.return", actor=actor, obj=version,
                     before={"status": VersionStatus.IN_REVIEW}, after={"status": VersionStatus.DRAFT},
                     detail={"reason": reason})
    version.refresh_from_db()
    return version


def policy_version_publish(*, version: PolicyVersion, actor: User) -> PolicyVersion:
    """Four eyes: a department head other than the author and submitter publishes. The previous published version
    becomes superseded and ends the day before the new one takes effect."""
    _check_second_person(version, actor, "policy.version.publish")
    issues = version_issues(document=version.document, effective_from=version.effective_from)
    if issues:
        raise ValidationFailed(_("规则集仍有问题，不能发布。"),
                               field_errors={"document": [f"{i['path']}：{i['zh']}" for i in issues]})
    now = timezone.now()
    with transaction.atomic():
        previous = version.policy.versions.filter(status=VersionStatus.PUBLISHED).exclude(pk=version.pk).first()
        if previous is not None:
            end = max(previous.effective_from, version.effective_from - timedelta(days=1))
            if PolicyVersion.objects.filter(pk=previous.pk, status=VersionStatus.PUBLISHED).update(
                    status=VersionStatus.SUPERSEDED, effective_to=end) != 1:
                raise VersionTransitionNotAllowed(_("版本状态已被他人更改，请刷新后重试。"))
        changed = PolicyVersion.objects.filter(pk=version.pk, status=VersionStatus.IN_REVIEW).update(
            status=VersionStatus.PUBLISHED, published_by=actor, published_at=now)
        if changed != 1:
            raise VersionTransitionNotAllowed(_("只有待审核的版本可以发布。"))
        audit_record(action="policy.version.publish", actor=actor, obj=version,
                     before={"status": VersionStatus.IN_REVIEW,
                             "previous": previous.number if previous else None},
                     after={"status": VersionStatus.PUBLISHED, "effective_from": version.effective_from.isoformat()},
                     detail={"author": version.created_by_id, "submitted_by": version.submitted_by_id})
        policy_reindex(policy=version.policy)
    version.refresh_from_db()
    return version


# --- metadata -------------------------------------------------------------------------------------------------------

META_FIELDS = ("title", "title_en", "summary", "summary_en", "category", "audiences")


def policy_metadata_update(*, policy: Policy, actor: User, title: str, title_en: str = "", summary: str,
                           summary_en: str = "", category: str, audiences: list[str]) -> Policy:
    """Edit what the library shows (titles, summaries zh/en, category, audiences) — not the rules, which change
    only through a new version. Staff of the policy's own department; anyone else gets NotFound (audited). The
    search document is refreshed and the change is audited with before/after."""
    from .choices import Audience

    errors = FieldErrors()
    title, title_en = (title or "").strip(), (title_en or "").strip()
    summary, summary_en = (summary or "").strip(), (summary_en or "").strip()
    if not title:
        errors.add("title", _("政策名称：请填写政策名称。"))
    elif len(title) > 120:
        errors.add("title", _("政策名称：不能超过 120 个字符。"))
    if len(title_en) > 200:
        errors.add("title_en", _("英文名称：不能超过 200 个字符。"))
    if not summary:
        errors.add("summary", _("政策摘要：请填写面向群众的政策摘要。"))
    elif len(summary) > 4000:
        errors.add("summary", _("政策摘要：不能超过 4000 个字符。"))
    if len(summary_en) > 8000:
        errors.add("summary_en", _("英文摘要：不能超过 8000 个字符。"))
    if category not in Category.values:
        errors.add("category", _("类别：请选择有效的类别。"))
    audiences = list(dict.fromkeys(audiences or []))
    if not audiences:
        errors.add("audiences", _("适用人群：请至少选择一类适用人群。"))
    elif any(a not in Audience.values for a in audiences):
        errors.add("audiences", _("适用人群：请选择有效的选项。"))
    errors.raise_if_any()
    if not can_edit(actor, policy):
        _denied("policy.metadata.update", actor, policy, "not the policy's department")
        raise NotFound(_("政策不存在，或您无权访问。"))
    after = {"title": title, "title_en": title_en, "summary": summary, "summary_en": summary_en,
             "category": category, "audiences": audiences}
    with transaction.atomic():
        fresh = Policy.objects.select_for_update().get(pk=policy.pk)
        before = {f: getattr(fresh, f) for f in META_FIELDS}
        changed = {f: v for f, v in after.items() if before[f] != v}
        if not changed:
            return fresh
        Policy.objects.filter(pk=policy.pk).update(**changed)
        fresh.refresh_from_db()
        policy_reindex(policy=fresh)
        audit_record(action="policy.metadata.update", actor=actor, obj=fresh,
                     before={f: before[f] for f in changed}, after=changed)
    return fresh
