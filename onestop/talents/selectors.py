from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import DEPARTMENT_ROLES, AuditResult
from onestop.core.exceptions import NotFound
from onestop.core.masking import mask_id_number, mask_name
from onestop.core.models import Department, User
from onestop.core.permissions import Capability, has_capability

from .choices import FamilyRelation
from .models import FamilyMember, TalentProfile
from .permissions import CHILD_DATA_DEPARTMENTS


def talent_profile_for(*, user: User) -> TalentProfile | None:
    """The signed-in talent's own profile; nobody else's."""
    return TalentProfile.objects.select_related("employer").filter(user=user).first()


def serves_children(user: User) -> bool:
    """Staff of a department that serves children (education, health) — the only staff who see children's data."""
    if not user.is_authenticated or not has_capability(user, Capability.STAFF_WORKBENCH):
        return False
    dept_ids = user.department_ids(*DEPARTMENT_ROLES)
    return bool(dept_ids) and Department.objects.filter(pk__in=dept_ids, code__in=CHILD_DATA_DEPARTMENTS).exists()


def _mask_birth(value: str | None) -> str:
    return f"{value[:4]}-**-**" if value and len(value) >= 4 else "—"


def children_for_department(*, user: User, registry_number: str, reveal: bool = False) -> tuple[TalentProfile,
                                                                                                 list[dict[str, Any]]]:
    """A talent's children for a serving department's staff: masked by default; ``reveal=True`` shows the full
    values and is audited (``talent.children.unmask``). Anyone else — and an unknown number — gets NotFound,
    audited as denied (children's data is sensitive personal information under PIPL)."""
    digits = "".join(ch for ch in (registry_number or "") if ch.isdigit())
    profile = (TalentProfile.objects.select_related("user").filter(pk=int(digits)).first()
               if digits and len(digits) <= 12 else None)
    if profile is None or not serves_children(user):
        audit_record(action="talent.children.view", actor=user if user.is_authenticated else None,
                     object_type="talents.talentprofile", object_id=digits[:12], result=AuditResult.DENIED)
        raise NotFound(_("人才档案不存在，或您无权查看子女信息。"))
    children = list(FamilyMember.objects.filter(profile=profile, relation=FamilyRelation.CHILD).order_by("id"))
    rows = [{"pk": c.pk, "name": c.name if reveal else mask_name(c.name),
             "id_number": (c.id_number or "—") if reveal else (mask_id_number(c.id_number) if c.id_number else "—"),
             "birth_date": (c.birth_date_text or "—") if reveal else _mask_birth(c.birth_date_text),
             "school_stage": c.get_school_stage_display() if c.school_stage else "—"} for c in children]
    audit_record(action="talent.children.unmask" if reveal else "talent.children.view", actor=user, obj=profile,
                 detail={"children": len(children)})
    return profile, rows
