from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import validators
from .choices import AuditResult, IdType
from .exceptions import ApplicationError


def _run(fn: Any, value: str) -> str:
    """Run a shared validator; its ValidationError already names the field."""
    return str(fn(value))


class LabelledForm(forms.Form):
    """Every built-in error message names its field: "手机号：请填写此项。" rather than a bare "必填"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            label = str(field.label or "")
            field.error_messages = {
                **field.error_messages,
                "required": _("%(label)s：请填写此项。") % {"label": label},
                "invalid": _("%(label)s：格式不正确。") % {"label": label},
                "invalid_choice": _("%(label)s：请选择有效的选项。") % {"label": label},
                "max_length": _("%(label)s：不能超过 %%(limit_value)d 个字符。") % {"label": label},
                "min_length": _("%(label)s：至少 %%(limit_value)d 个字符。") % {"label": label},
            }


class ServiceForm(LabelledForm):
    """A form whose real validation happens in a service; the service's field errors land next to the fields.

    The same validators run here first (they are shared functions, not copies), so one submission shows every
    field's error at once, even when another field is missing.
    """

    def clean_phone(self) -> str:
        return _run(validators.normalize_mobile, self.cleaned_data.get("phone", ""))

    def clean_uscc(self) -> str:
        return _run(validators.normalize_uscc, self.cleaned_data.get("uscc", ""))

    def clean_password(self) -> str:
        from django.contrib.auth import password_validation

        password = self.cleaned_data.get("password", "")
        name = self.data.get("real_name") or self.data.get("contact_name") or ""
        from .models import User

        try:
            password_validation.validate_password(password, User(real_name=name))
        except forms.ValidationError as exc:
            raise forms.ValidationError([m if m.startswith(str(_("密码"))) else f"{_('密码：')}{m}"
                                         for m in exc.messages])
        return str(password)

    def apply_error(self, exc: ApplicationError) -> None:
        placed = False
        for field, messages in exc.field_errors.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)


class LoginForm(LabelledForm):
    username = forms.CharField(label=_("手机号或用户名"), max_length=64,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("密码"), max_length=128,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class TalentRegisterForm(ServiceForm):
    real_name = forms.CharField(label=_("姓名"), max_length=64)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=IdType.choices, initial=IdType.RESIDENT_ID)
    id_number = forms.CharField(label=_("证件号码"), max_length=32)
    phone = forms.CharField(label=_("手机号"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    password = forms.CharField(label=_("密码"), max_length=128,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("确认密码"), max_length=128,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    agree_terms = forms.BooleanField(label=_("我已阅读并同意用户协议与隐私政策"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("确认密码：两次输入的密码不一致。"))
        if data.get("id_type") and self.data.get("id_number") and "id_number" not in self.errors:
            try:
                data["id_number"] = validators.normalize_id_document(data["id_type"], data.get("id_number", ""))
            except forms.ValidationError as exc:
                self.add_error("id_number", exc)
        return data


class EmployerRegisterForm(ServiceForm):
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=24)
    name = forms.CharField(label=_("单位名称"), max_length=128)
    industry = forms.ChoiceField(label=_("所属产业"))
    contact_name = forms.CharField(label=_("联系人姓名"), max_length=64)
    phone = forms.CharField(label=_("联系人手机号"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    password = forms.CharField(label=_("密码"), max_length=128,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("确认密码"), max_length=128,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from onestop.employers.choices import Industry

        industry = self.fields["industry"]
        assert isinstance(industry, forms.ChoiceField)
        industry.choices = Industry.choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("确认密码：两次输入的密码不一致。"))
        return data


class OTPForm(LabelledForm):
    token = forms.CharField(label=_("动态验证码"), min_length=6, max_length=8,
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                                          "autofocus": True}))

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError(_("动态验证码：应为 6 位数字。"))
        return token


class AuditSearchForm(LabelledForm):
    q = forms.CharField(label=_("关键词（动作、对象、操作人）"), required=False, max_length=100)
    action = forms.CharField(label=_("动作"), required=False, max_length=64)
    result = forms.ChoiceField(label=_("结果"), required=False, choices=[("", _("全部")), *AuditResult.choices])
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期：不能早于开始日期。"))
        return data
