"""Forms of the workflow pages. Every error names its field in Chinese; the services' field errors land next to the
same fields (``ServiceForm.apply_error``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onestop.core.forms import LabelledForm, ServiceForm

from .choices import ServiceKind, TaskAction, TaskState

ACTION_CHOICES = [(a.value, a.label) for a in TaskAction]


class QueueFilterForm(LabelledForm):
    definition = forms.ChoiceField(label=_("事项类型"), required=False)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[
        ("", _("全部未办结")), *[(s.value, s.label) for s in TaskState if s != TaskState.SKIPPED], ("all", _("全部"))])
    overdue = forms.BooleanField(label=_("仅看超期"), required=False)
    mine = forms.BooleanField(label=_("仅看我的"), required=False)
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=[
        ("due", _("期限由近到远")), ("-due", _("期限由远到近")), ("new", _("最新到达"))])

    def __init__(self, *args: Any, definitions: list[tuple[str, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        field = self.fields["definition"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("全部类型")), *definitions]


class TaskActionForm(ServiceForm):
    action = forms.ChoiceField(label=_("操作"), choices=ACTION_CHOICES, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("理由"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    assignee = forms.TypedChoiceField(label=_("转办对象"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, people: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("请选择")), *[(p.pk, p.display_name) for p in people]]


class BulkDecisionForm(ServiceForm):
    action = forms.ChoiceField(label=_("批量操作"), choices=[
        (TaskAction.APPROVE.value, _("批量通过")), (TaskAction.REJECT.value, _("批量退回"))])
    reason = forms.CharField(label=_("理由"), required=False, max_length=1000)


class ProvideInfoForm(ServiceForm):
    message = forms.CharField(label=_("补充说明"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("请说明补充了哪些材料，或直接回复经办部门的问题。"))


class WithdrawForm(ServiceForm):
    reason = forms.CharField(label=_("撤回原因"), required=False, max_length=1000)


class ServiceRequestForm(ServiceForm):
    kind = forms.ChoiceField(label=_("服务事项"), choices=ServiceKind.choices)
    title = forms.CharField(label=_("标题"), max_length=100)
    detail = forms.CharField(label=_("申请说明"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 4}))


def parse_day_lines(text: str, label: str) -> tuple[list[tuple[date, str]], list[str]]:
    """Lines like ``2027-01-01 元旦`` or ``2027-02-06~2027-02-13 春节`` → (date, name) pairs and Chinese errors."""
    from datetime import timedelta

    days: list[tuple[date, str]] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head, _sep, name = line.partition(" ")
        try:
            if "~" in head or ".." in head:
                first_text, last_text = head.replace("..", "~").split("~", 1)
                first, last = date.fromisoformat(first_text), date.fromisoformat(last_text)
                if last < first or (last - first).days > 31:
                    raise ValueError
                day = first
                while day <= last:
                    days.append((day, name.strip()))
                    day += timedelta(days=1)
            else:
                days.append((date.fromisoformat(head), name.strip()))
        except ValueError:
            errors.append(str(_("%(label)s：第 %(n)d 行“%(line)s”格式不正确，应为“2027-01-01 元旦”或"
                                "“2027-02-06~2027-02-13 春节”。")) % {"label": label, "n": number, "line": line})
    return days, errors


class CalendarYearForm(ServiceForm):
    year = forms.IntegerField(label=_("年份"), min_value=2000, max_value=2100)
    announcement = forms.CharField(label=_("依据文件"), max_length=200,
                                   help_text=_("国务院办公厅关于该年部分节假日安排的通知（名称或文号）。"))
    holidays = forms.CharField(label=_("法定节假日（放假日期）"), widget=forms.Textarea(attrs={"rows": 8}),
                               help_text=_("每行一天或一段：2027-01-01 元旦；2027-02-06~2027-02-13 春节。"))
    workdays = forms.CharField(label=_("调休上班日"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                               help_text=_("每行一天：2027-02-20 春节调休（需为周六或周日）。"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        holidays, errors = parse_day_lines(data.get("holidays", "") or "", str(_("法定节假日")))
        for e in errors:
            self.add_error("holidays", e)
        workdays, errors = parse_day_lines(data.get("workdays", "") or "", str(_("调休上班日")))
        for e in errors:
            self.add_error("workdays", e)
        data["holiday_days"] = holidays
        data["workday_days"] = workdays
        return data
