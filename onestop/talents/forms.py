from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from onestop.core.forms import ServiceForm
from onestop.employers.choices import Industry

from .choices import (
    CertTrack,
    ContractType,
    DocumentKind,
    Education,
    EducationLevel,
    FamilyRelation,
    HukouType,
    ImportKind,
    QualificationKind,
    SkillLevel,
    Tier,
    TitleLevel,
)

DATE = forms.DateInput(attrs={"type": "date"})


class ProfileForm(ServiceForm):
    education = forms.ChoiceField(label=_("最高学历"), choices=[("", "—"), *Education.choices], required=False)
    school = forms.CharField(label=_("毕业院校"), max_length=128, required=False)
    major = forms.CharField(label=_("专业"), max_length=128, required=False)
    graduation_date = forms.DateField(label=_("毕业时间"), required=False, widget=DATE)
    skill_level = forms.ChoiceField(label=_("职业技能等级"), choices=SkillLevel.choices, required=False)
    industry = forms.ChoiceField(label=_("所属产业"), choices=[("", "—"), *Industry.choices], required=False)
    email = forms.EmailField(label=_("联系邮箱"), required=False)
    address = forms.CharField(label=_("通讯地址"), max_length=200, required=False)
    job_seeking = forms.BooleanField(label=_("正在来港求职面试"), required=False)
    homes_declared = forms.BooleanField(label=_("已如实申报住房情况（在郑州无房的也请勾选）"), required=False)


class EducationForm(ServiceForm):
    level = forms.ChoiceField(label=_("学历层次"), choices=EducationLevel.choices)
    school = forms.CharField(label=_("学校"), max_length=128)
    country = forms.CharField(label=_("国家/地区"), max_length=32, initial="中国")
    field = forms.CharField(label=_("专业"), max_length=128, required=False)
    graduation_date = forms.DateField(label=_("毕业时间"), widget=DATE)


class QualificationForm(ServiceForm):
    kind = forms.ChoiceField(label=_("类别"), choices=QualificationKind.choices)
    name = forms.CharField(label=_("名称"), max_length=64, help_text=_("人才称号请按规范名称填写，如：长江学者、国家杰青、中原学者"))
    title_level = forms.ChoiceField(label=_("职称级别"), choices=[("", "—"), *TitleLevel.choices], required=False)
    issuer = forms.CharField(label=_("授予单位"), max_length=128, required=False)
    awarded_on = forms.DateField(label=_("取得时间"), required=False, widget=DATE)


class EmploymentForm(ServiceForm):
    uscc = forms.CharField(label=_("用人单位统一社会信用代码"), max_length=24)
    start_date = forms.DateField(label=_("入职时间"), widget=DATE)
    contract_type = forms.ChoiceField(label=_("合同类型"), choices=ContractType.choices)
    job_title = forms.CharField(label=_("岗位"), max_length=64, required=False)
    monthly_salary_yuan = forms.IntegerField(label=_("月工资（元）"), min_value=0, required=False)


class HouseholdForm(ServiceForm):
    hukou_type = forms.ChoiceField(label=_("户籍所在地"), choices=HukouType.choices)
    since = forms.DateField(label=_("落户时间"), required=False, widget=DATE)


class HomeForm(ServiceForm):
    city = forms.CharField(label=_("住房所在城市"), max_length=32)
    area_m2 = forms.IntegerField(label=_("建筑面积（㎡）"), min_value=1, required=False)
    acquired_on = forms.DateField(label=_("取得时间"), required=False, widget=DATE)


class FamilyForm(ServiceForm):
    relation = forms.ChoiceField(label=_("关系"), choices=FamilyRelation.choices)
    name = forms.CharField(label=_("姓名"), max_length=64)
    id_number = forms.CharField(label=_("证件号码"), max_length=32, required=False)
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=DATE)
    school_stage = forms.ChoiceField(label=_("子女需要的学段"), required=False, choices=[
        ("", "—"), ("kindergarten", _("幼儿园")), ("primary", _("小学")), ("junior", _("初中")), ("senior", _("高中"))])
    spouse_employer = forms.CharField(label=_("配偶工作单位"), max_length=128, required=False)


class DocumentForm(ServiceForm):
    kind = forms.ChoiceField(label=_("材料类型"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("文件（PDF、JPEG 或 PNG，不超过 10 MB）"))


class ApplyForm(ServiceForm):
    track = forms.ChoiceField(label=_("认定类别"), choices=CertTrack.choices)
    claimed_tier = forms.ChoiceField(label=_("申报层次"), choices=Tier.choices)
    equivalent_claim = forms.BooleanField(label=_("按“或相当于上述层次”申报（由专家委员会评审）"), required=False)
    statement = forms.CharField(label=_("申报说明"), required=False, max_length=4000,
                                widget=forms.Textarea(attrs={"rows": 3}))
    document_ids = forms.MultipleChoiceField(label=_("证明材料"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: object, documents: list[tuple[int, str]] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["document_ids"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(pk), label) for pk, label in documents or []]


class DecisionForm(ServiceForm):
    action = forms.ChoiceField(label=_("办理"), choices=[("approve", _("通过")), ("reject", _("退回（不通过）")),
                                                         ("request_info", _("限期补充材料"))])
    tier = forms.ChoiceField(label=_("认定层次（审核、评审环节）"), choices=[("", "—"), *Tier.choices], required=False)
    reason = forms.CharField(label=_("理由/意见"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class MaterialForm(ServiceForm):
    message = forms.CharField(label=_("补充说明"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    document_ids = forms.MultipleChoiceField(label=_("补充的材料"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: object, documents: list[tuple[int, str]] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["document_ids"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(pk), label) for pk, label in documents or []]


class ObjectionForm(ServiceForm):
    content = forms.CharField(label=_("异议内容（事实与理由）"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(ServiceForm):
    upheld = forms.ChoiceField(label=_("核查结论"), choices=[("0", _("异议不成立")), ("1", _("异议成立"))])
    resolution = forms.CharField(label=_("处理意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RevokeForm(ServiceForm):
    reason = forms.CharField(label=_("撤销理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(ServiceForm):
    kind = forms.ChoiceField(label=_("数据类型"), choices=ImportKind.choices)
    file = forms.FileField(label=_("文件（CSV 或 JSON）"))
