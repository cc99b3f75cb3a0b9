"""Talent self-registration through the form and the API: success, one Chinese error per bad field naming it,
duplicates as field errors, and nothing half-saved when anything fails."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from stdnum.cn import ric

from onestop.core.choices import Role
from onestop.core.models import AuditEvent, RoleAssignment, User
from onestop.core.tests.factories import TalentFactory, synthetic_phone, synthetic_resident_id
from onestop.talents.models import TalentProfile
from onestop.talents.services import talent_register

pytestmark = pytest.mark.django_db

PASSWORD = "Zhang#Talent2024"
FEMALE_ID = synthetic_resident_id(321, male=False)


def valid_form(**overrides: str) -> dict[str, str]:
    data = {"real_name": "王小红", "id_type": "resident_id", "id_number": FEMALE_ID, "phone": synthetic_phone(8001),
            "password": PASSWORD, "password2": PASSWORD, "agree_terms": "on"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def valid_payload(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {"real_name": "王小红", "id_type": "resident_id", "id_number": FEMALE_ID,
                               "phone": synthetic_phone(8001), "password": PASSWORD, "agree_terms": True}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def snapshot() -> tuple[int, int, int, int]:
    return (User.objects.count(), TalentProfile.objects.count(), RoleAssignment.objects.count(),
            AuditEvent.objects.filter(action="talent.register").count())


def field_errors(html: str, field: str) -> str:
    marker = f'id="id_{field}_errors"'
    assert marker in html, f"no error shown next to {field}"
    start = html.index(marker)
    return html[start:html.index("</div></div>", start)]


def post_api(client: Client, payload: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/accounts/register/talent", json.dumps(payload), content_type="application/json")


# --- the form --------------------------------------------------------------------------------------------------------

def test_registration_form_creates_account_profile_role_and_signs_in():
    client = Client()

    response = client.post("/account/register/", valid_form())

    assert response.status_code == 302
    assert response["Location"] == "/me/"
    user = User.objects.get_by_phone(synthetic_phone(8001))
    assert user.real_name == "王小红"
    assert user.id_number == FEMALE_ID
    assert user.role_set() == {Role.TALENT}
    profile = TalentProfile.objects.get(user=user)
    assert profile.gender == "female"
    assert profile.birth_date == ric.get_birth_date(FEMALE_ID)
    assert client.session["_auth_user_id"] == str(user.pk)
    assert AuditEvent.objects.filter(action="talent.register", actor=user).count() == 1


def test_after_registration_the_personal_centre_shows_the_id_masked():
    client = Client()
    client.post("/account/register/", valid_form())

    html = client.get("/me/").content.decode()

    assert FEMALE_ID[:4] + "**********" + FEMALE_ID[-4:] in html
    assert FEMALE_ID not in html
    assert "注册成功" in html


BAD_FIELDS = [
    ("real_name", "", "姓名：请填写此项。"),
    ("id_number", FEMALE_ID[:-1] + ("0" if FEMALE_ID[-1] != "0" else "1"), "身份证号：校验位不正确，请核对。"),
    ("id_number", FEMALE_ID[:17], "身份证号：长度应为 18 位。"),
    ("id_number", "", "证件号码：请填写此项。"),
    ("id_type", "driving_licence", "证件类型：请选择有效的选项。"),
    ("phone", "1390371", "手机号："),
    ("phone", "", "手机号：请填写此项。"),
    ("password", "short1A", "密码："),
    ("password", "onlylowercase1", "密码：须包含大写字母、小写字母、数字、符号中的至少 3 类。"),
    ("password2", "Other#Password1", "确认密码：两次输入的密码不一致。"),
    ("agree_terms", None, "用户协议：请阅读并同意用户协议与隐私政策。"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_FIELDS)
def test_each_bad_field_gets_a_chinese_message_next_to_it_and_nothing_is_saved(field, value, message):
    before = snapshot()
    form = valid_form(**{field: value}) if value is not None else {k: v for k, v in valid_form().items()
                                                                   if k != field}

    response = Client().post("/account/register/", form)

    assert response.status_code == 200
    assert message in field_errors(response.content.decode(), field)
    assert snapshot() == before


def test_impossible_birth_date_is_refused():
    body = "41012219900230123"
    number = body + ric.calc_check_digit(body + "0")

    response = Client().post("/account/register/", valid_form(id_number=number))

    assert "身份证号：出生日期或地区码不存在，请核对。" in field_errors(response.content.decode(), "id_number")


def test_duplicate_phone_is_a_field_error_and_nothing_is_half_saved():
    existing = TalentFactory()
    before = snapshot()

    response = Client().post("/account/register/", valid_form(phone=existing.phone))

    assert "手机号：该手机号已注册，请直接登录。" in field_errors(response.content.decode(), "phone")
    assert snapshot() == before


def test_duplicate_id_number_is_a_field_error_even_with_a_lower_case_x():
    body = next(f"41012219920101{i:03d}" for i in range(1000) if ric.calc_check_digit(f"41012219920101{i:03d}0") == "X")
    TalentFactory(id_number=body + "X")
    before = snapshot()

    response = Client().post("/account/register/", valid_form(id_number=body + "x"))

    assert "证件号码：该证件号码已注册。" in field_errors(response.content.decode(), "id_number")
    assert snapshot() == before


def test_every_field_error_is_english_when_english_is_selected():
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    response = client.post("/account/register/", valid_form(real_name="", password2="Other#Password1"))

    html = response.content.decode()
    assert "Full name: this field is required." in field_errors(html, "real_name")
    assert "请填写此项" not in html
    assert "两次输入的密码不一致" not in html


def test_passport_registration_for_a_foreigner():
    user = talent_register(phone=synthetic_phone(8002), password=PASSWORD, real_name="John Smith",
                           id_type="passport", id_number="e1234567")

    assert user.id_type == "passport"
    assert user.id_number == "E1234567"
    assert user.talent_profile.birth_date is None


def test_failure_after_the_account_insert_rolls_everything_back(monkeypatch):
    """If a later step of registration fails, the account row must not survive."""
    before = snapshot()

    def broken_create(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("profile table unavailable")

    monkeypatch.setattr(TalentProfile.objects, "create", broken_create)
    with pytest.raises(RuntimeError):
        talent_register(phone=synthetic_phone(8003), password=PASSWORD, real_name="李四", id_type="resident_id",
                        id_number=synthetic_resident_id(8003))

    assert snapshot() == before


# --- the API ---------------------------------------------------------------------------------------------------------

def test_api_registration_succeeds_with_masked_phone():
    response = post_api(Client(), valid_payload())

    body = response.json()
    assert response.status_code == 201
    assert body["account_type"] == "talent"
    assert body["phone_masked"] == "139****8001"
    assert synthetic_phone(8001) not in response.content.decode()
    assert User.objects.get(pk=body["id"]).role_set() == {Role.TALENT}


API_BAD_FIELDS = [
    ("real_name", "  ", "姓名：请填写真实姓名。"),
    ("id_number", FEMALE_ID[:17], "身份证号：长度应为 18 位。"),
    ("id_number", FEMALE_ID[:-1] + ("0" if FEMALE_ID[-1] != "0" else "1"), "身份证号：校验位不正确，请核对。"),
    ("phone", "12345", "手机号："),
    ("password", "onlylowercase1", "密码：须包含大写字母、小写字母、数字、符号中的至少 3 类。"),
    ("agree_terms", False, "用户协议：请阅读并同意用户协议与隐私政策。"),
    ("agree_terms", "maybe", "用户协议：应为 true 或 false。"),
]


@pytest.mark.parametrize(("field", "value", "message"), API_BAD_FIELDS)
def test_api_bad_field_is_a_422_naming_the_field_and_nothing_is_saved(field, value, message):
    before = snapshot()

    response = post_api(Client(), valid_payload(**{field: value}))

    body = response.json()
    assert response.status_code == 422
    assert body["code"] == "invalid"
    assert any(m.startswith(message) for m in body["errors"][field]), body["errors"]
    assert snapshot() == before


@pytest.mark.parametrize(("field", "label"), [("phone", "手机号"), ("id_number", "证件号码"),
                                              ("password", "密码"), ("real_name", "姓名")])
def test_api_missing_field_is_named(field, label):
    payload = valid_payload()
    del payload[field]

    response = post_api(Client(), payload)

    assert response.status_code == 422
    assert response.json()["errors"][field] == [f"{label}：请填写此项。"]


def test_api_reports_every_bad_field_at_once():
    response = post_api(Client(), valid_payload(phone="12345", password="weak", real_name=" "))

    assert set(response.json()["errors"]) >= {"phone", "password", "real_name"}


def test_api_duplicate_phone_is_a_field_error():
    existing = TalentFactory()
    before = snapshot()

    response = post_api(Client(), valid_payload(phone=existing.phone))

    assert response.status_code == 422
    assert response.json()["errors"]["phone"] == ["手机号：该手机号已注册，请直接登录。"]
    assert snapshot() == before


def test_api_duplicate_id_number_is_a_field_error():
    existing = TalentFactory()

    response = post_api(Client(), valid_payload(id_number=existing.id_number))

    assert response.status_code == 422
    assert response.json()["errors"]["id_number"] == ["证件号码：该证件号码已注册。"]


def test_api_errors_are_english_when_english_is_selected():
    client = Client()
    client.cookies["django_language"] = "en"

    response = post_api(client, valid_payload(phone="+1 650 253 0000"))

    body = response.json()
    assert body["message"] == "Some of the information submitted is incorrect. Please correct it as indicated."
    assert body["errors"]["phone"] == ["Mobile number: this is not a valid mainland China mobile number."]


def test_api_malformed_json_is_a_chinese_problem_not_a_500():
    response = Client().post("/api/v1/accounts/register/talent", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "请求体不是有效的 JSON。",
                               "errors": {"body": ["请求体不是有效的 JSON。"]}}
    assert User.objects.count() == 0


def test_registration_welcomes_the_talent_in_the_inbox_and_by_sms(django_capture_on_commit_callbacks):
    from onestop.core.models import Notification
    from onestop.core.sms import MemorySmsBackend

    with django_capture_on_commit_callbacks(execute=True):
        user = talent_register(phone=synthetic_phone(8004), password=PASSWORD, real_name="陈静",
                               id_type="resident_id", id_number=synthetic_resident_id(8004))

    note = Notification.objects.get(recipient=user)
    assert note.link == "/me/"
    assert MemorySmsBackend.outbox == [{"phone": synthetic_phone(8004), "text": f"【OneStop】{note.title}"}]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("real_name", "王" * 65, "姓名：不能超过 64 个字符。"),
    ("real_name", None, "姓名：应为文本。"),
    ("phone", "1" * 300, "手机号："),
    ("id_number", "9" * 300, "身份证号：长度应为 18 位。"),
])
def test_api_odd_values_are_field_errors_not_server_errors(field, value, message):
    payload = valid_payload()
    payload[field] = value

    response = post_api(Client(), payload)

    assert response.status_code == 422
    assert response.json()["errors"][field][0].startswith(message)
    assert User.objects.count() == 0


def test_api_passport_without_number_names_the_field():
    response = post_api(Client(), valid_payload(id_type="passport", id_number=""))

    assert response.json()["errors"]["id_number"] == ["护照号：请填写护照号。"]
