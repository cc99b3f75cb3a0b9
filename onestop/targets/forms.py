from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onestop.core.forms import ServiceForm

MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class ReportedFigureForm(ServiceForm):
    month = forms.DateField(label=_("月份"), widget=MONTH, input_formats=["%Y-%m", "%Y-%m-%d"])
    value = forms.CharField(label=_("当月数值"), max_length=20,
                            help_text=_("当月新增数，最多两位小数。"))
    source = forms.CharField(label=_("数据来源"), max_length=200,
                             help_text=_("如：人社局职业技能培训管理系统、省科技厅认定文件。"))
    evidence = forms.FileField(label=_("佐证材料"), help_text=_("PDF、JPEG 或 PNG，不超过 10 MB。"))
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ReviseForm(ServiceForm):
    value = forms.CharField(label=_("更正后的数值"), max_length=20)
    reason = forms.CharField(label=_("更正理由"), max_length=500)
    source = forms.CharField(label=_("数据来源（如有变化）"), max_length=200, required=False)
    evidence = forms.FileField(label=_("新的佐证材料（可选）"), required=False)


class ReportForm(ServiceForm):
    month = forms.DateField(label=_("报告月份"), widget=MONTH, input_formats=["%Y-%m", "%Y-%m-%d"])

    def __init__(self, *args: Any, departments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if departments:
            self.fields["department"] = forms.ChoiceField(
                label=_("范围"), required=False,
                choices=[("", _("全区"))] + [(str(d.pk), d.name) for d in departments])
