"""Employer registration by unified social credit code, and what an employer user may see."""

from __future__ import annotations

import pytest
from django.test import Client

from onestop.core.choices import Role
from onestop.core.exceptions import ValidationFailed
from onestop.core.models import AuditEvent, RoleAssignment, User
from onestop.core.tests.factories import EnterpriseFactory, TalentFactory, synthetic_phone, synthetic_uscc
from onestop.employers.models import Enterprise
from onestop.employers.services import enterprise_register

pytestmark = pytest.mark.django_db

PASSWORD = "Hr#Office2024"
USCC = synthetic_uscc(4242)


def valid_form(**overrides: str | None) -> dict[str, str]:
    data: dict[str, str | None] = {"uscc": USCC, "name": "郑州临空芯片科技有限公司", "industry": "electronic_info",
                                   "contact_name": "赵敏", "phone": synthetic_phone(7001), "password": PASSWORD,
                                   "password2": PASSWORD}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def snapshot() -> tuple[int, int, int, int]:
    return (User.objects.count(), Enterprise.objects.count(), RoleAssignment.objects.count(),
            AuditEvent.objects.filter(action="enterprise.register").count())


def field_errors(html: str, field: str) -> str:
    marker = f'id="id_{field}_errors"'
    assert marker in html, f"no error shown next to {field}"
    start = html.index(marker)
    return html[start:html.index("</div></div>", start)]


def test_employer_registers_by_uscc_and_becomes_its_administrator():
    client = Client()

    response = client.post("/account/register/employer/", valid_form(uscc=" " + USCC.lower() + " "))

    assert response.status_code == 302
    assert response["Location"] == "/employer/"
    enterprise = Enterprise.objects.get(uscc=USCC)
    assert enterprise.status == "pending"
    assert enterprise.industry == "electronic_info"
    user = User.objects.get_by_phone(synthetic_phone(7001))
    assert user.account_type == "employer"
    assert user.enterprise_ids(Role.EMPLOYER_ADMIN) == {enterprise.pk}
    event = AuditEvent.objects.get(action="enterprise.register")
    assert event.after["uscc"] == USCC
    page = client.get("/employer/").content.decode()
    assert "郑州临空芯片科技有限公司" in page
    assert "待核验" in page


BAD_FIELDS = [
    ("uscc", USCC[:-1] + ("0" if USCC[-1] != "0" else "1"), "统一社会信用代码：校验位不正确，请核对。"),
    ("uscc", USCC[:16], "统一社会信用代码：长度应为 18 位。"),
    ("uscc", "", "统一社会信用代码：请填写此项。"),
    ("name", "", "单位名称：请填写此项。"),
    ("industry", "mining", "所属产业：请选择有效的选项。"),
    ("contact_name", "", "联系人姓名：请填写此项。"),
    ("phone", "010-12345678", "手机号："),
    ("password", "onlylowercase1", "密码：须包含大写字母、小写字母、数字、符号中的至少 3 类。"),
    ("password2", "Other#Password1", "确认密码：两次输入的密码不一致。"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_FIELDS)
def test_each_bad_field_is_named_in_chinese_and_nothing_is_saved(field, value, message):
    before = snapshot()

    response = Client().post("/account/register/employer/", valid_form(**{field: value}))

    assert response.status_code == 200
    assert message in field_errors(response.content.decode(), field)
    assert snapshot() == before


def test_already_registered_uscc_is_a_field_error():
    EnterpriseFactory(uscc=USCC)
    before = snapshot()

    response = Client().post("/account/register/employer/", valid_form())

    assert "统一社会信用代码：该单位已注册" in field_errors(response.content.decode(), "uscc")
    assert snapshot() == before


def test_phone_already_used_by_a_talent_leaves_no_enterprise_behind():
    talent = TalentFactory()
    before = snapshot()

    response = Client().post("/account/register/employer/", valid_form(phone=talent.phone))

    assert "手机号：该手机号已注册，请直接登录。" in field_errors(response.content.decode(), "phone")
    assert snapshot() == before
    assert not Enterprise.objects.filter(uscc=USCC).exists()


def test_service_reports_every_bad_field_at_once():
    with pytest.raises(ValidationFailed) as info:
        enterprise_register(uscc="123", name=" ", industry="mining", contact_name="", phone="1", password="x")

    assert set(info.value.field_errors) == {"uscc", "name", "industry", "contact_name", "phone", "password"}
    assert info.value.field_errors["contact_name"] == ["联系人姓名：请填写联系人姓名。"]


def test_registration_errors_are_english_when_english_is_selected():
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    response = client.post("/account/register/employer/",
                           valid_form(uscc=USCC[:-1] + ("0" if USCC[-1] != "0" else "1")))

    assert ("Unified social credit code: the check character is incorrect. Please check the code."
            in field_errors(response.content.decode(), "uscc"))


def test_employer_hr_sees_the_enterprise_but_not_others(login):
    from onestop.core.tests.factories import EmployerUserFactory

    mine = EnterpriseFactory(name="郑州甲方航空科技有限公司")
    EnterpriseFactory(name="郑州乙方航空科技有限公司")
    hr = EmployerUserFactory(enterprise=mine, enterprise__role=Role.EMPLOYER_HR)

    html = login(hr).get("/employer/").content.decode()

    assert hr.role_set() == {Role.EMPLOYER_HR}
    assert "郑州甲方航空科技有限公司" in html
    assert "郑州乙方航空科技有限公司" not in html
