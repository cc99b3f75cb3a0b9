"""Imports from other systems (数据多跑路): social-insurance months, degree verifications, employer confirmations.

CSV (UTF-8, header row) or JSON (a list of objects). Every row is identified by the source's ``external_id``: a
re-import of the same row changes nothing, a corrected row updates the record. Each row is its own savepoint, so a
bad row — reported with its line and the reason in Chinese — never blocks the good ones. Every run is kept as an
``ImportRun`` with its report.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core import crypto
from onestop.core.audit import audit_record
from onestop.core.exceptions import NotFound, ValidationFailed
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability
from onestop.employers.models import Enterprise

from .choices import ContractType, EducationLevel, ImportKind, ImportSource
from .models import EducationRecord, Employment, ImportRun, SocialInsuranceMonth, TalentProfile

MAX_ROWS = 50_000
COLUMNS = {
    ImportKind.SOCIAL_INSURANCE: ("external_id", "id_number", "month", "uscc"),
    ImportKind.DEGREE: ("external_id", "id_number", "level", "school", "graduation_date", "country", "field",
                        "certificate_no"),
    ImportKind.EMPLOYMENT: ("external_id", "id_number", "uscc", "start_date", "contract_type", "job_title"),
}
REQUIRED = {
    ImportKind.SOCIAL_INSURANCE: ("external_id", "id_number", "month"),
    ImportKind.DEGREE: ("external_id", "id_number", "level", "school", "graduation_date"),
    ImportKind.EMPLOYMENT: ("external_id", "id_number", "uscc", "start_date"),
}
LEVELS = {**{str(c.value): str(c.value) for c in EducationLevel}, **{str(c.label): str(c.value) for c in EducationLevel}}
CONTRACTS = {**{str(c.value): str(c.value) for c in ContractType}, **{str(c.label): str(c.value) for c in ContractType}}


class RowError(Exception):
    pass


def parse_rows(content: bytes | str, fmt: str) -> list[tuple[int, dict[str, Any]]]:
    """(line, row) pairs: CSV lines count the header as line 1; JSON items are numbered from 1."""
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(_("文件不是有效的 JSON：第 %(l)d 行第 %(c)d 列。") % {"l": exc.lineno, "c": exc.colno},
                                   field_errors={"file": [_("文件：不是有效的 JSON。")]})
        if not isinstance(data, list):
            raise ValidationFailed(_("JSON 应为对象列表。"), field_errors={"file": [_("文件：JSON 应为对象列表。")]})
        return [(i, row if isinstance(row, dict) else {"__invalid__": True}) for i, row in enumerate(data, start=1)]
    if fmt != "csv":
        raise ValidationFailed(_("不支持的格式。"), field_errors={"format": [_("格式：只支持 csv 或 json。")]})
    reader = csv.DictReader(io.StringIO(text))
    return [(reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k}) for row in reader]


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _profile(row: dict[str, Any]) -> TalentProfile:
    number = _text(row, "id_number").upper()
    index = crypto.blind_index(f"resident_id:{number}", purpose="id")
    passport = crypto.blind_index(f"passport:{number}", purpose="id")
    profile = TalentProfile.objects.filter(user__id_number_index__in=[index, passport]).first()
    if profile is None:
        raise RowError(_("证件号码对应的人才未在平台注册"))
    return profile


def _date(row: dict[str, Any], key: str, label: str, *, month: bool = False) -> date:
    raw = _text(row, key)
    try:
        if month:
            year, mon = raw[:7].split("-")
            return date(int(year), int(mon), 1)
        return date.fromisoformat(raw)
    except (ValueError, TypeError):
        raise RowError(_("%(l)s“%(v)s”不是有效日期（应为 %(f)s）") % {
            "l": label, "v": raw, "f": "YYYY-MM" if month else "YYYY-MM-DD"})


def _enterprise(row: dict[str, Any], *, required: bool) -> Enterprise | None:
    uscc = _text(row, "uscc").upper()
    if not uscc:
        if required:
            raise RowError(_("缺少统一社会信用代码"))
        return None
    enterprise = Enterprise.objects.filter(uscc=uscc).first()
    if enterprise is None:
        raise RowError(_("统一社会信用代码 %(u)s 对应的单位未在平台注册") % {"u": uscc})
    return enterprise


def _upsert(model: Any, external_id: str, values: dict[str, Any]) -> str:
    existing = model.objects.filter(external_id=external_id).first()
    if existing is None:
        model.objects.create(external_id=external_id, **values)
        return "created"
    changed = {k: v for k, v in values.items() if getattr(existing, k if not hasattr(v, "pk") else f"{k}_id")
               != (v.pk if hasattr(v, "pk") else v)}
    if not changed:
        return "unchanged"
    model.objects.filter(pk=existing.pk).update(**changed)
    return "updated"


def _social_insurance(row: dict[str, Any]) -> str:
    profile = _profile(row)
    month = _date(row, "month", _("月份"), month=True)
    if month > timezone.localdate():
        raise RowError(_("月份 %(m)s 尚未到来") % {"m": month.strftime("%Y-%m")})
    enterprise = _enterprise(row, required=False)
    clash = SocialInsuranceMonth.objects.filter(profile=profile, month=month).exclude(
        external_id=_text(row, "external_id")).first()
    if clash is not None:
        raise RowError(_("该人员 %(m)s 的社保记录已存在（来源编号 %(e)s）") % {
            "m": month.strftime("%Y-%m"), "e": clash.external_id or _("手工录入")})
    return _upsert(SocialInsuranceMonth, _text(row, "external_id"),
                   {"profile": profile, "month": month, "enterprise": enterprise})


def _degree(row: dict[str, Any]) -> str:
    profile = _profile(row)
    level = LEVELS.get(_text(row, "level"))
    if level is None:
        raise RowError(_("学历层次“%(v)s”无效，应为 %(a)s") % {
            "v": _text(row, "level"), "a": "、".join(str(c.label) for c in EducationLevel)})
    return _upsert(EducationRecord, _text(row, "external_id"), {
        "profile": profile, "level": level, "school": _text(row, "school")[:128],
        "graduation_date": _date(row, "graduation_date", _("毕业时间")),
        "country": _text(row, "country") or "中国", "field": _text(row, "field")[:128],
        "certificate_no": _text(row, "certificate_no")[:64], "verified": True, "verified_source": "学信网核验"})


def _employment(row: dict[str, Any]) -> str:
    profile = _profile(row)
    enterprise = _enterprise(row, required=True)
    assert enterprise is not None
    contract = CONTRACTS.get(_text(row, "contract_type") or ContractType.LABOUR)
    if contract is None:
        raise RowError(_("合同类型“%(v)s”无效") % {"v": _text(row, "contract_type")})
    start = _date(row, "start_date", _("入职时间"))
    external_id = _text(row, "external_id")
    job = Employment.objects.filter(external_id=external_id).first() or profile.employments.filter(
        enterprise=enterprise, end_date__isnull=True).first()
    values = {"profile": profile, "enterprise": enterprise, "start_date": start, "contract_type": contract,
              "job_title": _text(row, "job_title")[:64]}
    if job is not None and job.external_id in (None, external_id):
        if job.external_id is None:
            Employment.objects.filter(pk=job.pk).update(external_id=external_id)
        outcome = _upsert(Employment, external_id, values)
        if job.confirmed_at is None:
            Employment.objects.filter(pk=job.pk).update(confirmed_at=timezone.now(), confirmed_source="单位确认导入")
            outcome = "updated" if outcome == "unchanged" else outcome
    else:
        current = profile.employments.filter(end_date__isnull=True).exclude(enterprise=enterprise).first()
        if current is not None:
            Employment.objects.filter(pk=current.pk).update(end_date=max(current.start_date, start))
        Employment.objects.create(external_id=external_id, confirmed_at=timezone.now(),
                                  confirmed_source="单位确认导入", **values)
        outcome = "created"
    job = Employment.objects.select_related("enterprise").get(external_id=external_id)
    if job.end_date is None:
        TalentProfile.objects.filter(pk=profile.pk).update(employer=enterprise, employed_since=start,
                                                           industry=profile.industry or enterprise.industry)
    return outcome


HANDLERS: dict[str, Callable[[dict[str, Any]], str]] = {
    ImportKind.SOCIAL_INSURANCE: _social_insurance, ImportKind.DEGREE: _degree, ImportKind.EMPLOYMENT: _employment,
}


def registry_import(*, kind: str, content: bytes | str, fmt: str, actor: User | None,
                    source: str = ImportSource.COMMAND, file_name: str = "") -> ImportRun:
    """Run one import and keep its report. ``actor=None`` is the command line (an operator on the server)."""
    if actor is not None and not has_capability(actor, Capability.REGISTRY_IMPORT):
        raise NotFound(_("页面不存在，或您无权访问。"))
    if kind not in ImportKind.values:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"kind": [_("数据类型：只能是 %(k)s。") % {"k": "、".join(ImportKind.values)}]})
    rows = parse_rows(content, fmt)
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(_("一次最多导入 %(n)d 行。") % {"n": MAX_ROWS},
                               field_errors={"file": [_("文件：一次最多导入 %(n)d 行。") % {"n": MAX_ROWS}]})
    run = ImportRun.objects.create(kind=kind, source=source, actor=actor, file_name=file_name[:200], total=len(rows))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    errors: list[dict[str, Any]] = []
    handler = HANDLERS[kind]
    seen: set[str] = set()
    for line, row in rows:
        external_id = _text(row, "external_id")
        try:
            if row.get("__invalid__"):
                raise RowError(_("该条不是对象"))
            missing = [c for c in REQUIRED[ImportKind(kind)] if not _text(row, c)]
            if missing:
                raise RowError(_("缺少必填列：%(c)s") % {"c": "、".join(missing)})
            if external_id in seen:
                raise RowError(_("来源编号 %(e)s 在本文件中重复") % {"e": external_id})
            seen.add(external_id)
            with transaction.atomic():
                counts[handler(row)] += 1
        except RowError as exc:
            errors.append({"line": line, "external_id": external_id, "reason": str(exc)})
    ImportRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), failed=len(errors), errors=errors, **counts)
    run.refresh_from_db()
    audit_record(action="registry.import", actor=actor, obj=run,
                 after={"kind": kind, "total": run.total, **counts, "failed": len(errors)})
    return run
