"""Validation of real-name data. Each function returns the normalised value or raises a ValidationError whose
message names the field in plain Chinese (English when English is active)."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import exceptions as stdnum_exc
from stdnum.cn import ric, uscc

PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")


def normalize_mobile(value: str) -> str:
    """A mainland mobile number as its 11 national digits. Accepts spaces, dashes and a +86 prefix."""
    raw = (value or "").strip()
    if not raw:
        raise ValidationError(_("手机号：请填写手机号。"), code="required")
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("手机号：格式不正确，请填写 11 位中国大陆手机号。"), code="invalid_phone")
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("手机号：不是有效的中国大陆手机号。"), code="invalid_phone")
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(_("手机号：请填写手机号码，而不是固定电话。"), code="invalid_phone")
    return str(number.national_number)


def looks_like_phone(value: str) -> bool:
    digits = re.sub(r"[\s\-+]", "", value or "")
    return digits.isdigit() and len(digits) in (11, 13)


def normalize_resident_id(value: str) -> str:
    """A mainland resident ID (居民身份证号码): 18 characters, valid region, birth date and checksum."""
    raw = (value or "").strip().upper().replace(" ", "")
    if not raw:
        raise ValidationError(_("身份证号：请填写身份证号。"), code="required")
    try:
        return str(ric.validate(raw))
    except stdnum_exc.InvalidLength:
        raise ValidationError(_("身份证号：长度应为 18 位。"), code="invalid_length")
    except stdnum_exc.InvalidFormat:
        raise ValidationError(_("身份证号：前 17 位必须是数字，最后一位是数字或 X。"), code="invalid_format")
    except stdnum_exc.InvalidChecksum:
        raise ValidationError(_("身份证号：校验位不正确，请核对。"), code="invalid_checksum")
    except stdnum_exc.InvalidComponent:
        raise ValidationError(_("身份证号：出生日期或地区码不存在，请核对。"), code="invalid_component")
    except (stdnum_exc.ValidationError, KeyError, ValueError):
        # python-stdnum raises KeyError for some region codes missing from its database.
        raise ValidationError(_("身份证号：号码无效，请核对地区码和出生日期。"), code="invalid")


def normalize_passport(value: str) -> str:
    raw = (value or "").strip().upper().replace(" ", "")
    if not raw:
        raise ValidationError(_("护照号：请填写护照号。"), code="required")
    if not PASSPORT_RE.match(raw):
        raise ValidationError(_("护照号：只能包含字母和数字，长度 5 到 20 位。"), code="invalid_passport")
    return raw


def normalize_id_document(id_type: str, value: str) -> str:
    if id_type == "resident_id":
        return normalize_resident_id(value)
    if id_type == "passport":
        return normalize_passport(value)
    raise ValidationError(_("证件类型：请选择居民身份证或护照。"), code="invalid_id_type")


def normalize_uscc(value: str) -> str:
    """Unified social credit code (统一社会信用代码): 18 characters with a checksum."""
    raw = (value or "").strip().upper().replace(" ", "")
    if not raw:
        raise ValidationError(_("统一社会信用代码：请填写统一社会信用代码。"), code="required")
    try:
        return str(uscc.validate(raw))
    except stdnum_exc.InvalidLength:
        raise ValidationError(_("统一社会信用代码：长度应为 18 位。"), code="invalid_length")
    except stdnum_exc.InvalidChecksum:
        raise ValidationError(_("统一社会信用代码：校验位不正确，请核对。"), code="invalid_checksum")
    except stdnum_exc.ValidationError:
        raise ValidationError(_("统一社会信用代码：格式不正确。"), code="invalid_format")


class CharacterClassesValidator:
    """MLPS level 3: a password mixes at least three of upper case, lower case, digits and symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    @staticmethod
    def classes(password: str) -> int:
        return sum(
            (
                any(c.isupper() for c in password),
                any(c.islower() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            )
        )

    def validate(self, password: str, user: Any = None) -> None:
        if self.classes(password) < self.min_classes:
            raise ValidationError(
                gettext_lazy("密码：须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。"),
                code="password_too_simple",
                params={"n": self.min_classes},
            )

    def get_help_text(self) -> str:
        return str(
            gettext_lazy("至少 8 位，包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {"n": self.min_classes}
        )


class MinimumLengthValidator:
    """Django's own message for this is not translated into Chinese in 5.2; this one names the field."""

    def __init__(self, min_length: int = 8) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                gettext_lazy("密码：至少 %(min_length)d 个字符。"), code="password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self) -> str:
        return str(gettext_lazy("密码：至少 %(min_length)d 个字符。") % {"min_length": self.min_length})
