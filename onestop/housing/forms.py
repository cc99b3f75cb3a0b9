from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onestop.core.forms import ServiceForm

from .choices import Layout, ProjectKind, UnitStatus


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StayForm(ServiceForm):
    station = forms.ChoiceField(label=_("驿站"))
    check_in = forms.DateField(label=_("入住日期"), widget=_date())
    nights = forms.IntegerField(label=_("入住晚数"), min_value=1, max_value=31, initial=2)
    purpose = forms.CharField(label=_("来港事由（如面试单位、时间）"), max_length=200, required=False)

    def __init__(self, *args: Any, stations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["station"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = stations


class ReasonForm(ServiceForm):
    reason = forms.CharField(label=_("理由"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TokenForm(ServiceForm):
    token = forms.CharField(label=_("预订二维码内容"), max_length=64)


class ApplyForm(ServiceForm):
    first = forms.ChoiceField(label=_("第一意向户型"))
    second = forms.ChoiceField(label=_("第二意向户型"), required=False)
    third = forms.ChoiceField(label=_("第三意向户型"), required=False)

    def __init__(self, *args: Any, layouts: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(v, label) for v, label in Layout.choices if v in layouts]
        for name in ("first", "second", "third"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices if name == "first" else [("", _("（不选）")), *choices]

    def preferences(self) -> list[str]:
        return [self.cleaned_data[n] for n in ("first", "second", "third") if self.cleaned_data.get(n)]


class ProjectForm(ServiceForm):
    code = forms.SlugField(label=_("项目代码"), max_length=32)
    name = forms.CharField(label=_("项目名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=ProjectKind.choices)
    address = forms.CharField(label=_("地址"), max_length=200)


class UnitForm(ServiceForm):
    project = forms.ChoiceField(label=_("项目"))
    building = forms.CharField(label=_("楼栋"), max_length=32)
    number = forms.CharField(label=_("房号"), max_length=16)
    floor = forms.IntegerField(label=_("楼层"), min_value=-5, max_value=200)
    area_m2 = forms.DecimalField(label=_("建筑面积（㎡）"), max_digits=7, decimal_places=2, min_value=1)
    layout = forms.ChoiceField(label=_("户型"), choices=Layout.choices)
    monthly_rent = forms.DecimalField(label=_("月租金（元）"), max_digits=9, decimal_places=2, min_value=0)
    discount_percent = forms.IntegerField(label=_("租金优惠（%）"), min_value=0, max_value=100, initial=0)
    status = forms.ChoiceField(label=_("状态"), choices=[(v, label) for v, label in UnitStatus.choices
                                                      if v in (UnitStatus.VACANT, UnitStatus.MAINTENANCE)],
                               help_text=_("已预留、已入住由配租、租赁和人才住房分配自动维护。"))

    def __init__(self, *args: Any, projects: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["project"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = projects


class UnitEditForm(ServiceForm):
    area_m2 = forms.DecimalField(label=_("建筑面积（㎡）"), max_digits=7, decimal_places=2, min_value=1)
    layout = forms.ChoiceField(label=_("户型"), choices=Layout.choices)
    monthly_rent = forms.DecimalField(label=_("月租金（元）"), max_digits=9, decimal_places=2, min_value=0)
    discount_percent = forms.IntegerField(label=_("租金优惠（%）"), min_value=0, max_value=100)
    status = forms.ChoiceField(label=_("状态"), choices=UnitStatus.choices,
                               help_text=_("已预留、已入住由配租、租赁和人才住房分配自动维护。"))


class BedServiceForm(ServiceForm):
    reason = forms.CharField(label=_("停用原因 / 恢复说明"), max_length=200, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class StationForm(ServiceForm):
    code = forms.SlugField(label=_("驿站代码"), max_length=32)
    name = forms.CharField(label=_("驿站名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200)
    phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)


class BedForm(ServiceForm):
    room = forms.CharField(label=_("房间号"), max_length=16)
    label = forms.CharField(label=_("床位"), max_length=16)


class ImportForm(ServiceForm):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


class RoundForm(ServiceForm):
    code = forms.SlugField(label=_("批次编号"), max_length=32)
    title = forms.CharField(label=_("批次名称"), max_length=120)
    opens_on = forms.DateField(label=_("申请开始"), widget=_date())
    closes_on = forms.DateField(label=_("申请截止"), widget=_date())
    offer_days = forms.IntegerField(label=_("确认期限（工作日）"), min_value=1, max_value=30, initial=5)
    units = forms.MultipleChoiceField(label=_("本批次房源"), widget=forms.CheckboxSelectMultiple)
    open_now = forms.BooleanField(label=_("创建后立即开放申请（不勾选则保存为草稿，仅住建部门可见）"), required=False)

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["units"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = units


class MoveOutForm(ServiceForm):
    moved_out_on = forms.DateField(label=_("退租日"), widget=_date())
    deposit_returned = forms.DecimalField(label=_("退还押金（元）"), max_digits=9, decimal_places=2, min_value=0)
    deposit_note = forms.CharField(label=_("押金扣减说明"), max_length=200, required=False)


class ReviewForm(ServiceForm):
    note = forms.CharField(label=_("复核意见"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(ServiceForm):
    unit = forms.ChoiceField(label=_("分配房源"))

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = units


class DeliverForm(ServiceForm):
    delivered_on = forms.DateField(label=_("交付日期"), widget=_date())
