from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onestop.core.forms import LabelledForm, ServiceForm
from onestop.employers.choices import Industry
from onestop.talents.facts import EDUCATION_VALUES, HONOURS, SKILL_VALUES, TITLE_VALUES

from .choices import Audience, Category

YES_NO = [("", _("不确定")), ("1", _("是")), ("0", _("否"))]


class LibraryFilterForm(LabelledForm):
    q = forms.CharField(label=_("关键词"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("类别"), required=False, choices=[("", _("全部类别")), *Category.choices])
    audience = forms.ChoiceField(label=_("适用人群"), required=False, choices=[("", _("全部人群")), *Audience.choices])
    industry = forms.ChoiceField(label=_("产业"), required=False, choices=[("", _("全部产业")), *Industry.choices])


class CalculatorForm(LabelledForm):
    """The anonymous short form; a signed-in talent gets it pre-filled from the registry."""

    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    education = forms.ChoiceField(label=_("最高学历"), required=False,
                                  choices=[("", _("请选择")), *[(v, v) for v in EDUCATION_VALUES]])
    graduation_date = forms.DateField(label=_("毕业时间"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}))
    title_level = forms.ChoiceField(label=_("专业技术职称"), required=False, choices=[(v, v) for v in TITLE_VALUES])
    skill_level = forms.ChoiceField(label=_("职业技能等级"), required=False, choices=[(v, v) for v in SKILL_VALUES])
    honours = forms.MultipleChoiceField(label=_("人才称号"), required=False, choices=[(h, h) for h in HONOURS],
                                        widget=forms.CheckboxSelectMultiple)
    employed_in_zone = forms.ChoiceField(label=_("在区内用人单位就业"), required=False, choices=YES_NO)
    insured_months = forms.IntegerField(label=_("区内社保缴纳月数"), required=False, min_value=0, max_value=600)
    monthly_salary_yuan = forms.IntegerField(label=_("月工资（元）"), required=False, min_value=0, max_value=10_000_000)
    owns_home_in_city = forms.ChoiceField(label=_("在郑州有自有住房"), required=False, choices=YES_NO)
    job_seeking = forms.ChoiceField(label=_("来港求职面试"), required=False, choices=YES_NO)
    industry = forms.ChoiceField(label=_("所属产业"), required=False,
                                 choices=[("", _("请选择")), *[(str(c.label), c.label) for c in Industry]])

    def facts(self, base: dict[str, Any] | None = None) -> dict[str, Any]:
        """The form's answers as rulebook facts, over ``base`` (the profile's facts) for a signed-in talent."""
        data = self.cleaned_data
        facts = dict(base or {})

        def yes_no(value: str) -> bool | None:
            return {"1": True, "0": False}.get(value)

        facts.update({
            "birth_date": data.get("birth_date"), "education": data.get("education") or None,
            "graduation_date": data.get("graduation_date"), "title_level": data.get("title_level") or "无",
            "skill_level": data.get("skill_level") or "无", "honours": list(data.get("honours") or []),
            "employed_in_zone": yes_no(data.get("employed_in_zone", "")),
            "insured_months": data.get("insured_months"),
            "monthly_salary": (data["monthly_salary_yuan"] * 100) if data.get("monthly_salary_yuan") is not None
            else None,
            "owns_home_in_city": yes_no(data.get("owns_home_in_city", "")),
            "job_seeking": yes_no(data.get("job_seeking", "")), "industry": data.get("industry") or None,
        })
        return facts

    @staticmethod
    def initial_from(facts: dict[str, Any]) -> dict[str, Any]:
        def yn(value: Any) -> str:
            return "" if value is None else ("1" if value else "0")

        return {
            "birth_date": facts.get("birth_date"), "education": facts.get("education") or "",
            "graduation_date": facts.get("graduation_date"), "title_level": facts.get("title_level") or "无",
            "skill_level": facts.get("skill_level") or "无", "honours": facts.get("honours") or [],
            "employed_in_zone": yn(facts.get("employed_in_zone")), "insured_months": facts.get("insured_months"),
            "monthly_salary_yuan": (facts["monthly_salary"] // 100) if facts.get("monthly_salary") else None,
            "owns_home_in_city": yn(facts.get("owns_home_in_city")), "job_seeking": yn(facts.get("job_seeking")),
            "industry": facts.get("industry") or "",
        }


class VersionForm(ServiceForm):
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    effective_to = forms.DateField(label=_("失效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    change_note = forms.CharField(label=_("修订说明"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    document = forms.CharField(label=_("规则集（JSON）"), widget=forms.Textarea(
        attrs={"rows": 24, "class": "font-monospace small", "spellcheck": "false"}))
    benefits = forms.CharField(label=_("待遇说明（JSON，含示例值标注）"), required=False,
                               widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace small"}))


class ReasonForm(ServiceForm):
    reason = forms.CharField(label=_("退回理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class TryOnForm(LabelledForm):
    people = forms.CharField(label=_("人才编号（如 RC0000012，逗号或换行分隔，最多 20 人）"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def profile_ids(self) -> list[int]:
        import re

        return [int(n) for n in re.findall(r"(?:RC)?0*(\d+)", self.cleaned_data.get("people", "").upper())][:20]


class PolicyMetaForm(ServiceForm):
    """Built-in errors name their field in Chinese (LabelledForm); the service adds the business rules."""

    title = forms.CharField(label=_("政策名称"), max_length=120)
    title_en = forms.CharField(label=_("英文名称"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    audiences = forms.MultipleChoiceField(label=_("适用人群"), choices=Audience.choices,
                                          widget=forms.CheckboxSelectMultiple)
    summary = forms.CharField(label=_("政策摘要"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    summary_en = forms.CharField(label=_("英文摘要"), max_length=8000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 4}))
