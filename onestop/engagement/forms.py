from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onestop.core.forms import ServiceForm
from onestop.employers.choices import Industry

from .choices import EventKind, EventVenue

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def fen(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


class EventForm(ServiceForm):
    kind = forms.ChoiceField(label=_("活动类型"), choices=EventKind.choices)
    title = forms.CharField(label=_("活动名称"), max_length=120)
    venue_kind = forms.ChoiceField(label=_("举办地"), choices=EventVenue.choices)
    location = forms.CharField(label=_("地点"), max_length=200)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M"])
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M"])
    capacity = forms.IntegerField(label=_("名额"), min_value=1)
    description = forms.CharField(label=_("活动介绍"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CheckinForm(ServiceForm):
    token = forms.CharField(label=_("签到码（扫码或输入）"), max_length=64)


class NeedForm(ServiceForm):
    title = forms.CharField(label=_("需求名称"), max_length=120)
    field = forms.ChoiceField(label=_("技术领域"), choices=Industry.choices)
    description = forms.CharField(label=_("需求描述"), widget=forms.Textarea(attrs={"rows": 4}))
    budget = forms.DecimalField(label=_("预算（元）"), min_value=Decimal("0.01"), decimal_places=2, max_digits=14)
    deadline = forms.DateField(label=_("揭榜截止日期"), widget=DATE)


class ReviewForm(ServiceForm):
    decision = forms.ChoiceField(label=_("审核结论"), choices=[("approve", _("通过并发布")), ("reject", _("退回"))])
    reason = forms.CharField(label=_("审核意见"), required=False, max_length=500)


class ResearcherForm(ServiceForm):
    institution = forms.CharField(label=_("所在单位"), max_length=120)
    title = forms.CharField(label=_("职称/职务"), max_length=64, required=False)
    expertise = forms.CharField(label=_("研究方向与专长"), widget=forms.Textarea(attrs={"rows": 3}))
    is_external = forms.BooleanField(label=_("我来自航空港区以外的高校或院所"), required=False)


class ApplyForm(ServiceForm):
    proposal = forms.CharField(label=_("揭榜方案"), widget=forms.Textarea(attrs={"rows": 4}))
    quote = forms.DecimalField(label=_("报价（元）"), min_value=Decimal("0.01"), decimal_places=2, max_digits=14)


class MilestonesForm(ServiceForm):
    milestones = forms.CharField(label=_("里程碑（每行：名称｜交付成果｜金额（元）｜计划完成日期 YYYY-MM-DD）"),
                                 widget=forms.Textarea(attrs={"rows": 4}))

    def parsed(self) -> list[dict[str, Any]]:
        from datetime import date

        out: list[dict[str, Any]] = []
        for i, line in enumerate(self.cleaned_data["milestones"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("|", "｜").split("｜")]
            if len(parts) != 4:
                self.add_error("milestones", _("里程碑：第 %(i)d 行应有 4 项，用“｜”分隔。") % {"i": i})
                continue
            try:
                amount = int(Decimal(parts[2]) * 100)
                due = date.fromisoformat(parts[3])
            except Exception:
                self.add_error("milestones", _("里程碑：第 %(i)d 行的金额或日期格式不正确。") % {"i": i})
                continue
            out.append({"title": parts[0], "deliverable": parts[1], "amount_fen": amount, "due_date": due})
        return out


class DeclareForm(ServiceForm):
    ip_declaration = forms.CharField(label=_("知识产权归属声明"), widget=forms.Textarea(attrs={"rows": 3}))
    coi_declaration = forms.CharField(label=_("利益冲突声明"), widget=forms.Textarea(attrs={"rows": 3}))


class SubmissionForm(ServiceForm):
    submission = forms.CharField(label=_("成果说明"), widget=forms.Textarea(attrs={"rows": 3}))


class PlanForm(ServiceForm):
    enterprise = forms.TypedChoiceField(label=_("企业"), coerce=int, choices=[])
    planned_date = forms.DateField(label=_("计划走访日期"), widget=DATE)
    topic = forms.CharField(label=_("走访主题"), max_length=200)

    def __init__(self, *args: Any, enterprises: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enterprise"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(e.pk, e.name) for e in enterprises]


class VisitForm(PlanForm):
    """A visit with up to three problems (rows left empty are ignored)."""

    planned_date = None  # type: ignore[assignment]
    topic = None  # type: ignore[assignment]
    visited_on = forms.DateField(label=_("走访日期"), widget=DATE)
    participants = forms.CharField(label=_("参加人员"), max_length=300)
    explained = forms.CharField(label=_("宣讲的政策"), widget=forms.Textarea(attrs={"rows": 2}))
    needs_heard = forms.CharField(label=_("企业诉求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, departments: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *[(d.code, d.name) for d in departments]]
        for i in (1, 2, 3):
            self.fields[f"problem_{i}_title"] = forms.CharField(label=_("问题 %(i)d") % {"i": i}, required=False,
                                                                max_length=200)
            self.fields[f"problem_{i}_description"] = forms.CharField(label=_("问题 %(i)d 描述") % {"i": i},
                                                                      required=False)
            self.fields[f"problem_{i}_department"] = forms.ChoiceField(label=_("问题 %(i)d 责任部门") % {"i": i},
                                                                       choices=choices, required=False)
            self.fields[f"problem_{i}_talent"] = forms.BooleanField(
                label=_("问题 %(i)d 为人才相关问题（转人才办办件）") % {"i": i}, required=False)

    def problems(self) -> list[dict[str, Any]]:
        d = self.cleaned_data
        return [{"title": d[f"problem_{i}_title"], "description": d[f"problem_{i}_description"],
                 "owner_department": d[f"problem_{i}_department"], "talent_related": d[f"problem_{i}_talent"]}
                for i in (1, 2, 3) if d.get(f"problem_{i}_title") or d.get(f"problem_{i}_description")]

    def apply_error(self, exc: Any) -> None:
        """``problems.2.title`` → ``problem_2_title``."""
        for key in list(exc.field_errors):
            if key.startswith("problems."):
                _p, i, name = key.split(".")
                target = {"owner_department": "department"}.get(name, name)
                exc.field_errors[f"problem_{i}_{target}"] = exc.field_errors.pop(key)
        super().apply_error(exc)


class ProblemActionForm(ServiceForm):
    text = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 2}))


class ConfirmForm(ServiceForm):
    satisfied = forms.ChoiceField(label=_("是否已解决"), choices=[("yes", _("已解决，同意销号")), ("no", _("未解决，退回"))])
    satisfaction = forms.TypedChoiceField(label=_("满意度"), coerce=int, required=False, empty_value=None,
                                          choices=[("", "—"), (5, "5"), (4, "4"), (3, "3"), (2, "2"), (1, "1")])
    comment = forms.CharField(label=_("评价"), required=False, max_length=500)
