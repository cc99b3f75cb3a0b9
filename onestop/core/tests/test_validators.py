"""Real-name data and password rules: valid input passes normalised, bad input fails with a message naming the field
(Chinese by default, English when English is active)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from stdnum.cn import ric, uscc

from onestop.core.exceptions import ValidationFailed
from onestop.core.services import FieldErrors, check_password
from onestop.core.tests.factories import synthetic_resident_id, synthetic_uscc
from onestop.core.validators import (
    normalize_id_document,
    normalize_mobile,
    normalize_passport,
    normalize_resident_id,
    normalize_uscc,
)

VALID_ID = synthetic_resident_id(42)


def with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def wrong_check_digit(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def message_of(fn, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        fn(*args)
    return str(info.value.messages[0])


# --- resident ID ---------------------------------------------------------------------------------------------------

def test_valid_resident_id_is_normalised_to_upper_case_without_spaces():
    number = with_check_digit("11010819900307001")
    assert number.endswith("X") or number[-1].isdigit()
    given = " " + number.lower()[:6] + " " + number.lower()[6:] + " "

    assert normalize_resident_id(given) == number


def test_resident_id_with_lower_case_x_check_character_is_accepted():
    # Find a body whose check character is X, then type it in lower case.
    body = next(f"41012219900101{i:03d}" for i in range(1000)
                if ric.calc_check_digit(f"41012219900101{i:03d}0") == "X")

    assert normalize_resident_id(body + "x") == body + "X"


@pytest.mark.parametrize(("number", "expected"), [
    (wrong_check_digit(VALID_ID), "身份证号：校验位不正确，请核对。"),
    (VALID_ID[:17], "身份证号：长度应为 18 位。"),
    (VALID_ID + "1", "身份证号：长度应为 18 位。"),
    (with_check_digit("41012219900230123"), "身份证号：出生日期或地区码不存在，请核对。"),  # 30 February
    (with_check_digit("41012219901301123"), "身份证号：出生日期或地区码不存在，请核对。"),  # month 13
    (with_check_digit("99999919900101123"), "身份证号：出生日期或地区码不存在，请核对。"),  # unknown region
    ("41012219900101A23X", "身份证号：前 17 位必须是数字，最后一位是数字或 X。"),
    ("", "身份证号：请填写身份证号。"),
])
def test_bad_resident_id_is_refused_with_a_chinese_message_naming_the_field(number, expected):
    assert message_of(normalize_resident_id, number) == expected


def test_bad_resident_id_message_is_english_when_english_is_active():
    with translation.override("en"):
        text = message_of(normalize_resident_id, wrong_check_digit(VALID_ID))

    assert text == "ID card number: the check digit is incorrect. Please check the number."


def test_passport_is_accepted_for_foreigners_and_checked_for_shape():
    assert normalize_id_document("passport", " e1234567 ") == "E1234567"
    assert message_of(normalize_passport, "E12-34") == "护照号：只能包含字母和数字，长度 5 到 20 位。"
    assert message_of(normalize_id_document, "driving_licence", "123") == "证件类型：请选择居民身份证或护照。"


# --- mobile number -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("given", ["13903710042", "139 0371 0042", "+86 139-0371-0042", "+8613903710042"])
def test_mainland_mobile_is_normalised_to_eleven_digits(given):
    assert normalize_mobile(given) == "13903710042"


@pytest.mark.parametrize(("given", "expected_start"), [
    ("1390371004", "手机号："),  # ten digits
    ("139037100421", "手机号："),  # twelve digits
    ("12345678901", "手机号："),  # no such prefix
    ("+1 650 253 0000", "手机号：不是有效的中国大陆手机号。"),  # not mainland China
    ("abc", "手机号："),
    ("", "手机号：请填写手机号。"),
])
def test_bad_mobile_is_refused_naming_the_field(given, expected_start):
    text = message_of(normalize_mobile, given)

    assert text.startswith(expected_start)


def test_landline_is_refused_as_a_mobile_number():
    assert message_of(normalize_mobile, "037167890123") in (
        "手机号：请填写手机号码，而不是固定电话。", "手机号：不是有效的中国大陆手机号。")


def test_bad_mobile_message_is_english_when_english_is_active():
    with translation.override("en"):
        text = message_of(normalize_mobile, "+1 650 253 0000")

    assert text == "Mobile number: this is not a valid mainland China mobile number."


# --- unified social credit code ------------------------------------------------------------------------------------

def test_valid_uscc_is_normalised():
    code = synthetic_uscc(7)

    assert normalize_uscc(" " + code.lower() + " ") == code


@pytest.mark.parametrize(("given", "expected"), [
    (synthetic_uscc(7)[:-1] + ("0" if synthetic_uscc(7)[-1] != "0" else "1"), "统一社会信用代码：校验位不正确，请核对。"),
    (synthetic_uscc(7)[:17], "统一社会信用代码：长度应为 18 位。"),
    ("9141AB00MA12345678", "统一社会信用代码：格式不正确。"),  # letters where the region code belongs
    ("", "统一社会信用代码：请填写统一社会信用代码。"),
])
def test_bad_uscc_is_refused_naming_the_field(given, expected):
    assert message_of(normalize_uscc, given) == expected


def test_bad_uscc_message_is_english_when_english_is_active():
    code = synthetic_uscc(7)
    with translation.override("en"):
        text = message_of(normalize_uscc, code[:-1] + ("0" if code[-1] != "0" else "1"))

    assert text == "Unified social credit code: the check character is incorrect. Please check the code."


def test_synthetic_uscc_really_has_a_valid_checksum():
    assert uscc.is_valid(synthetic_uscc(3))


# --- passwords (MLPS level 3) --------------------------------------------------------------------------------------

def password_errors(password: str) -> list[str]:
    errors = FieldErrors()
    check_password(errors, password)
    return errors.errors.get("password", [])


def test_good_password_passes():
    assert password_errors("Zhang#Talent2024") == []


def test_too_short_password_is_refused():
    messages = password_errors("Ab1!x")

    assert any("8" in m for m in messages)
    assert all(m.startswith("密码：") for m in messages)


def test_password_with_only_two_character_classes_is_refused():
    messages = password_errors("onlylower123")

    assert "密码：须包含大写字母、小写字母、数字、符号中的至少 3 类。" in messages


def test_common_password_is_refused_even_with_three_classes():
    messages = password_errors("P@ssw0rd")

    assert len(messages) == 1
    assert messages[0].startswith("密码：")
    assert password_errors("P@ssw0rd-Zhengzhou-88") == []  # same classes, not common: accepted


def test_empty_password_names_the_field():
    assert password_errors("") == ["密码：请填写密码。"]


def test_password_messages_are_english_when_english_is_active():
    with translation.override("en"):
        messages = password_errors("onlylower123")

    assert messages == ["Password: must contain at least 3 of the following: uppercase letters, lowercase letters, "
                        "digits and symbols."]


def test_field_errors_raise_one_validation_failed_with_every_field():
    errors = FieldErrors()
    errors.add("phone", "手机号：x")
    errors.add("password", "密码：y")

    with pytest.raises(ValidationFailed) as info:
        errors.raise_if_any()

    assert info.value.field_errors == {"phone": ["手机号：x"], "password": ["密码：y"]}
    assert info.value.status == 422
