"""Workflow definitions as data: the spec format, its validation, and the spec files shipped by the apps.

A spec is JSON (or the same dict in Python)::

    {
      "code": "talent_service", "name": "人才服务申请", "subject": "workflow.servicerequest",
      "stages": [
        [ {"code": "review", "name": "人才办受理审核", "department": "talent_office", "deadline_days": 5,
           "roles": ["dept_staff", "dept_head"], "bulk": true},
          {"code": "employer", "name": "用人单位确认", "owner": "employer", "deadline_days": 3,
           "condition": {"attr": "has_employer", "op": "==", "value": true}} ],
        [ {"code": "confirm", "name": "人社部门确认", "department": "hrss", "deadline_days": 5} ]
      ]
    }

Stages run in order; the steps of one stage run in parallel and may finish in any order. A step with a
``condition`` is skipped when the condition does not hold for the case's context. Each app may ship specs as
``<app>/workflow_definitions/*.json``; ``manage.py load_workflows`` publishes them (a changed spec becomes a new
version, an unchanged one is left alone).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.apps import apps
from django.utils.translation import gettext as _

from onestop.core.choices import DEPARTMENT_ROLES, EMPLOYER_ROLES

from .choices import OwnerKind
from .conditions import condition_errors

SPEC_DIR = "workflow_definitions"
DEFAULT_ROLES = {
    OwnerKind.DEPARTMENT: [str(r) for r in DEPARTMENT_ROLES],
    OwnerKind.EMPLOYER: [str(r) for r in EMPLOYER_ROLES],
}


def spec_hash(spec: Mapping[str, Any]) -> str:
    canonical = json.dumps(spec, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def spec_errors(spec: Any, *, department_codes: set[str]) -> list[str]:
    """Every problem of a spec, each naming its place (``stages[1][0].department``) in Chinese."""
    if not isinstance(spec, Mapping):
        return [_("定义：应为 JSON 对象。")]
    errors: list[str] = []
    code = spec.get("code")
    if not isinstance(code, str) or not code.replace("_", "").replace("-", "").isalnum() or len(code) > 48:
        errors.append(_("code：请填写由字母、数字、下划线组成的流程代码（不超过 48 个字符）。"))
    if not isinstance(spec.get("name"), str) or not spec.get("name"):
        errors.append(_("name：请填写流程名称。"))
    subject = spec.get("subject")
    if subject is not None:
        try:
            apps.get_model(str(subject))
        except (LookupError, ValueError):
            errors.append(_("subject：办理对象类型 %(s)s 不存在（格式：app_label.model）。") % {"s": subject})
    stages = spec.get("stages")
    if not isinstance(stages, list) or not stages:
        errors.append(_("stages：至少需要一个阶段。"))
        return errors
    seen: set[str] = set()
    for i, stage in enumerate(stages):
        if not isinstance(stage, list) or not stage:
            errors.append(_("stages[%(i)d]：每个阶段应为非空的环节列表。") % {"i": i})
            continue
        for j, step in enumerate(stage):
            errors.extend(_step_errors(step, f"stages[{i}][{j}]", seen, department_codes))
    return errors


def _step_errors(step: Any, path: str, seen: set[str], department_codes: set[str]) -> list[str]:
    if not isinstance(step, Mapping):
        return [_("%(p)s：环节应为对象。") % {"p": path}]
    errors = []
    code = step.get("code")
    if not isinstance(code, str) or not code:
        errors.append(_("%(p)s.code：请填写环节代码。") % {"p": path})
    elif code in seen:
        errors.append(_("%(p)s.code：环节代码 %(c)s 重复。") % {"p": path, "c": code})
    else:
        seen.add(code)
    if not isinstance(step.get("name"), str) or not step.get("name"):
        errors.append(_("%(p)s.name：请填写环节名称。") % {"p": path})
    owner = step.get("owner", OwnerKind.DEPARTMENT)
    if owner not in OwnerKind.values:
        errors.append(_("%(p)s.owner：办理方只能是 department 或 employer。") % {"p": path})
    elif owner == OwnerKind.DEPARTMENT:
        if step.get("department") not in department_codes:
            errors.append(_("%(p)s.department：部门 %(d)s 不存在。") % {"p": path, "d": step.get("department")})
    elif step.get("department"):
        errors.append(_("%(p)s.department：由申请人所在单位办理的环节不能指定部门。") % {"p": path})
    days = step.get("deadline_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        errors.append(_("%(p)s.deadline_days：办理时限应为 1–365 个工作日。") % {"p": path})
    roles = step.get("roles")
    if roles is not None:
        allowed = DEFAULT_ROLES.get(OwnerKind(owner), []) if owner in OwnerKind.values else []
        if not isinstance(roles, list) or not roles or any(r not in allowed for r in roles):
            errors.append(_("%(p)s.roles：可办理角色只能取 %(r)s。") % {"p": path, "r": "、".join(allowed)})
    if "bulk" in step and not isinstance(step["bulk"], bool):
        errors.append(_("%(p)s.bulk：应为 true 或 false。") % {"p": path})
    if step.get("condition") is not None:
        errors.extend(condition_errors(step["condition"], f"{path}.condition"))
    return errors


def shipped_spec_files() -> list[Path]:
    """``<app>/workflow_definitions/*.json`` of every installed app, in app order."""
    files: list[Path] = []
    for config in apps.get_app_configs():
        folder = Path(config.path) / SPEC_DIR
        if folder.is_dir():
            files.extend(sorted(folder.glob("*.json")))
    return files


def read_spec(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
