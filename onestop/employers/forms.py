"""Forms of the employer pages. Field names match the services' error keys so their Chinese errors land next to
the field; money is entered in 元 and passed on in 分."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onestop.core.forms import ServiceForm

from .choices import EvaluationGrade, Industry
from .models import EDUCATION_VALUES

DATE = forms.DateInput(attrs={"type": "date"})
EDUCATION_CHOICES = list(zip(EDUCATION_VALUES, [_("高中及以下"), _("大专"), _("本科"), _("硕士"), _("博士")], strict=True))


def fen(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


class LicenceForm(ServiceForm):
    licence = forms.FileField(label=_("营业执照（PDF、JPEG 或 PNG）"))


class ReviewForm(ServiceForm):
    decision = forms.ChoiceField(label=_("核验结论"), choices=[("approve", _("通过")), ("reject", _("退回"))])
    reason = forms.CharField(label=_("核验意见"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class InviteForm(ServiceForm):
    real_name = forms.CharField(label=_("姓名"), max_length=64)
    phone = forms.CharField(label=_("手机号"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"}))


class AcceptForm(ServiceForm):
    password = forms.CharField(label=_("设置密码"), max_length=128, widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))


class DecideForm(ServiceForm):
    decision = forms.ChoiceField(label=_("结论"), choices=[("confirm", _("确认在职")), ("deny", _("否认在职"))])
    reason = forms.CharField(label=_("理由"), required=False, max_length=500)


class NominateForm(ServiceForm):
    track = forms.ChoiceField(label=_("认定类别"), choices=[("standard", _("人才分类认定")), ("medical", _("医学科学城人才"))])
    claimed_tier = forms.ChoiceField(label=_("推荐层次"), choices=[
        ("A", "A"), ("B", "B"), ("C", "C"), ("D", "D"), ("E", "E"),
        ("国际一流", _("国际一流")), ("国内一流", _("国内一流")), ("省内一流", _("省内一流"))])
    equivalent_claim = forms.BooleanField(label=_("按“或相当于上述层次”推荐（专家委员会评审）"), required=False)
    statement = forms.CharField(label=_("推荐理由"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class JobForm(ServiceForm):
    title = forms.CharField(label=_("岗位名称"), max_length=100)
    industry = forms.ChoiceField(label=_("所属产业"), choices=Industry.choices)
    education_min = forms.ChoiceField(label=_("最低学历"), choices=EDUCATION_CHOICES)
    description = forms.CharField(label=_("岗位职责与要求"), widget=forms.Textarea(attrs={"rows": 4}))
    salary_min = forms.DecimalField(label=_("月薪下限（元）"), min_value=0, decimal_places=2, max_digits=12)
    salary_max = forms.DecimalField(label=_("月薪上限（元）"), min_value=0, decimal_places=2, max_digits=12)
    headcount = forms.IntegerField(label=_("招聘人数"), min_value=1, initial=1)
    location = forms.CharField(label=_("工作地点"), max_length=100, initial="郑州航空港区")
    publish = forms.BooleanField(label=_("立即发布"), required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("salary_min"), data.get("salary_max")
        if low is not None and high is not None and high < low:
            self.add_error("salary_max", _("月薪上限：不能低于月薪下限。"))
        return data


class JobSearchForm(forms.Form):
    industry = forms.ChoiceField(label=_("产业"), choices=[("", _("全部产业")), *Industry.choices], required=False)
    education = forms.ChoiceField(label=_("我的学历"), choices=[("", _("不限")), *EDUCATION_CHOICES], required=False)
    q = forms.CharField(label=_("关键词"), required=False, max_length=50)


class FundingForm(ServiceForm):
    certificate = forms.TypedChoiceField(label=_("经认定的高层次人才"), coerce=int, choices=[])
    statement = forms.CharField(label=_("引进或培养情况说明"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, certificates: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["certificate"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(c.pk, f"{c.profile.user.display_name} · {c.get_tier_display()} · {c.number}")
                         for c in certificates]


class PaymentForm(ServiceForm):
    amount = forms.DecimalField(label=_("拨付金额（元）"), min_value=Decimal("0.01"), decimal_places=2, max_digits=12)
    paid_on = forms.DateField(label=_("拨付日期"), widget=DATE)
    voucher_no = forms.CharField(label=_("凭证号"), max_length=64)


class PlacementForm(ServiceForm):
    talent = forms.IntegerField(label=_("人才账号编号"))
    uscc = forms.CharField(label=_("用人单位统一社会信用代码"), max_length=24)
    contract_no = forms.CharField(label=_("合同编号"), max_length=64)
    position = forms.CharField(label=_("岗位"), max_length=100)
    start_date = forms.DateField(label=_("开始日期"), widget=DATE)
    end_date = forms.DateField(label=_("结束日期"), widget=DATE)
    monthly_cost = forms.DecimalField(label=_("月度费用（元）"), min_value=Decimal("0.01"), decimal_places=2,
                                      max_digits=12)
    zone_share_pct = forms.IntegerField(label=_("区财政承担比例（%）"), min_value=0, max_value=100)


class EvaluationForm(ServiceForm):
    period = forms.CharField(label=_("考核期（如 2024-Q3）"), max_length=7)
    grade = forms.ChoiceField(label=_("考核等次"), choices=EvaluationGrade.choices)
    comment = forms.CharField(label=_("考核评语"), widget=forms.Textarea(attrs={"rows": 3}))


class RenewForm(ServiceForm):
    end_date = forms.DateField(label=_("续聘至"), widget=DATE)


class EndForm(ServiceForm):
    ended_on = forms.DateField(label=_("终止日期"), widget=DATE)
    reason = forms.CharField(label=_("终止原因"), max_length=300)
