from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onestop.core.forms import ServiceForm


class VerifyForm(ServiceForm):
    token = forms.CharField(label=_("绿卡凭证"), max_length=600,
                            widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false",
                                                         "class": "font-monospace"}))
    channel = forms.ChoiceField(label=_("方式"), choices=[("scan", _("扫码")), ("paste", _("粘贴凭证"))],
                                initial="paste", widget=forms.HiddenInput)


class ReissueForm(ServiceForm):
    reason = forms.CharField(label=_("挂失原因"), max_length=500,
                             widget=forms.TextInput(attrs={"placeholder": _("如：绿卡手机截图外泄、打印卡遗失")}))


class PhotoForm(ServiceForm):
    photo = forms.FileField(label=_("证件照（JPG/PNG，不超过 2 MB）"))


class RequestForm(ServiceForm):
    entitlement = forms.ChoiceField(label=_("服务权益"), choices=())
    detail = forms.CharField(label=_("需求说明"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, entitlements: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["entitlement"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = list(entitlements)


class MaterialForm(ServiceForm):
    message = forms.CharField(label=_("补充材料说明"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class RatingForm(ServiceForm):
    rating = forms.TypedChoiceField(label=_("满意度"), coerce=int,
                                    choices=[(5, _("5 星 非常满意")), (4, _("4 星 满意")), (3, _("3 星 一般")),
                                             (2, _("2 星 不满意")), (1, _("1 星 很不满意"))])
    comment = forms.CharField(label=_("评价"), max_length=500, required=False)


class ApiKeyCreateForm(ServiceForm):
    name = forms.CharField(label=_("名称"), max_length=64, help_text=_("密钥用途，例如“二号窗口扫码枪”。"))
    checker = forms.CharField(label=_("核验员用户名"), max_length=150, required=False,
                              help_text=_("仅安全管理员代核验员创建时填写。"))


class ApiKeyRevokeForm(ServiceForm):
    key_id = forms.CharField(label=_("密钥编号"), max_length=16)


class CardStatusForm(ServiceForm):
    """Suspend or reinstate a card (talent office): the reason is required, audited and sent to the holder."""

    reason = forms.CharField(label=_("理由"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("如：认定复核中；复核通过")}))


class CardSearchForm(forms.Form):
    q = forms.CharField(label=_("卡号或持卡人姓名"), max_length=64, required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .choices import CardStatus

        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("全部")), *CardStatus.choices]
