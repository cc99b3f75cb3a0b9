"""factory_boy factories for the Foundation: one factory per account type, with valid synthetic personal data.

Every phone number, resident ID and USCC here is valid in form (phonenumbers / stdnum) but made up and unique per
sequence number, so tests never collide on the blind-index unique constraints.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import factory
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.cn import ric

from onestop.core.choices import AccountType, Role
from onestop.core.demo import synthetic
from onestop.core.models import Department, Notification, PartnerOrganization, RoleAssignment, User
from onestop.employers.models import Enterprise
from onestop.talents.models import TalentProfile

PASSWORD = "Talent#2024ok"


def synthetic_phone(n: int) -> str:
    """A valid mainland mobile number, unique for n < 10,000."""
    return f"1390371{n % 10_000:04d}"


def synthetic_resident_id(n: int, *, region: str = "410122", male: bool = True) -> str:
    """A valid 18-character resident ID (region, birth date, checksum), unique per n."""
    birth = date(1985, 1, 1) + timedelta(days=n % 7000)
    seq = (n // 7000 % 50) * 10 + (n % 5) * 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def synthetic_uscc(n: int) -> str:
    return synthetic.make_uscc(random.Random(n), n)


def totp_token(device: TOTPDevice) -> str:
    """The code an authenticator app would show right now for this device."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"测试部门{n}")
    name_en = factory.Sequence(lambda n: f"Test Department {n}")
    short_name = "测试"


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerOrganization

    code = factory.Sequence(lambda n: f"partner{n}")
    name = factory.Sequence(lambda n: f"合作医院{n}")
    kind = "hospital"


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.Sequence(synthetic_uscc)
    name = factory.Sequence(lambda n: f"郑州测试科技有限公司{n}")
    industry = "electronic_info"
    status = "active"


class UserFactory(factory.django.DjangoModelFactory):
    """Base account. Phone and ID go through ``set_phone`` / ``set_id_number`` so the blind indexes are filled."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    account_type = AccountType.TALENT
    real_name = factory.Sequence(lambda n: f"测试{'甲乙丙丁戊己庚辛'[n % 8]}{n}")
    phone = None
    id_number = None
    id_type = ""
    username = None

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        phone = kwargs.pop("phone", None)
        id_number = kwargs.pop("id_number", None)
        id_type = kwargs.pop("id_type", "") or "resident_id"
        password = kwargs.pop("password", PASSWORD)
        user = model_class(**kwargs)
        user.set_phone(phone)
        if id_number:
            user.set_id_number(id_type, id_number)
        user.set_password(password)
        user.save(force_insert=True)
        return user


def grant(user: User, role: str, **scope: Any) -> RoleAssignment:
    """Grant a role directly (the service is exercised by its own tests)."""
    assignment = RoleAssignment.objects.create(user=user, role=role, **scope)
    user.forget_roles()
    return assignment


class TalentFactory(UserFactory):
    account_type = AccountType.TALENT
    phone = factory.Sequence(synthetic_phone)
    id_type = "resident_id"
    id_number = factory.Sequence(synthetic_resident_id)

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            grant(self, Role.TALENT)
            TalentProfile.objects.create(user=self, school="郑州大学", major="软件工程", education="bachelor")


class EmployerUserFactory(UserFactory):
    """An employer administrator of ``enterprise`` (a new one unless given)."""

    account_type = AccountType.EMPLOYER
    phone = factory.Sequence(lambda n: synthetic_phone(5000 + n))

    @factory.post_generation
    def enterprise(self, create: bool, extracted: Enterprise | None, **kwargs: Any) -> None:
        if create:
            grant(self, kwargs.get("role", Role.EMPLOYER_ADMIN), enterprise=extracted or EnterpriseFactory())


class StaffFactory(UserFactory):
    """Department staff (``role=dept_head`` for a head) with a confirmed TOTP device."""

    account_type = AccountType.STAFF
    username = factory.Sequence(lambda n: f"staff{n}")

    @factory.post_generation
    def department(self, create: bool, extracted: Department | None, **kwargs: Any) -> None:
        if create:
            grant(self, kwargs.get("role", Role.DEPT_STAFF), department=extracted or DepartmentFactory())

    @factory.post_generation
    def totp(self, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        if create and extracted is not False:
            TOTPDevice.objects.create(user=self, name="test", confirmed=True)


class LeaderFactory(UserFactory):
    """The leadership (领导): a staff account holding the zone-wide, read-only leader role, with a TOTP device."""

    account_type = AccountType.STAFF
    username = factory.Sequence(lambda n: f"leader{n}")

    @factory.post_generation
    def role(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            grant(self, Role.LEADER)
            TOTPDevice.objects.create(user=self, name="test", confirmed=True)


class AdminFactory(UserFactory):
    """One of the three administrators (or the read-only auditor): ``AdminFactory(role=Role.AUDIT_ADMIN)``."""

    account_type = AccountType.ADMIN
    username = factory.Sequence(lambda n: f"admin{n}")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if create:
            role = extracted or Role.SYS_ADMIN
            grant(self, role)
            if role in (Role.SYS_ADMIN, Role.SEC_ADMIN):
                User.objects.filter(pk=self.pk).update(is_staff=True)
                self.is_staff = True
            TOTPDevice.objects.create(user=self, name="test", confirmed=True)


class PartnerUserFactory(UserFactory):
    account_type = AccountType.PARTNER
    username = factory.Sequence(lambda n: f"checker{n}")

    @factory.post_generation
    def partner(self, create: bool, extracted: PartnerOrganization | None, **kwargs: Any) -> None:
        if create:
            grant(self, Role.PARTNER_CHECKER, partner=extracted or PartnerFactory())
            TOTPDevice.objects.create(user=self, name="test", confirmed=True)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(TalentFactory)
    title = factory.Sequence(lambda n: f"通知{n}：材料已受理")
    body = "请登录平台查看详情。"
