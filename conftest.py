"""Shared fixtures of the whole suite: accounts of every type, signed-in clients (with the second factor where the
account needs one), and clean outboxes."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, settings

BACKEND = "onestop.core.auth.PhoneOrUsernameBackend"

# Property tests judge results, not speed: on the shared 2-core CI machine one example can take longer than
# hypothesis' default 200 ms deadline, and its "too slow" health check would fail a correct test. Every example is
# still run and checked; a test that needs a tighter budget says so with its own @settings.
settings.register_profile("onestop", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("onestop")


@pytest.fixture(scope="session", autouse=True)
def _compiled_messages() -> None:
    """The English catalog is compiled at set-up (`make messages`); do it here too so a bare pytest run has it."""
    call_command("compilemessages_py", verbosity=0)


@pytest.fixture(autouse=True)
def _empty_outboxes() -> None:
    from onestop.core.sms import MemorySmsBackend

    MemorySmsBackend.outbox.clear()


def sign_in(client: Client, user, *, otp: bool = False) -> Client:  # type: ignore[no-untyped-def]
    """Log ``user`` in on ``client``; with ``otp=True`` also mark the session as having passed the second factor,
    exactly as ``django_otp.login`` does after a correct code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user, backend=BACKEND)
    session = client.session
    now = time.time()
    session["onestop_auth_at"] = now
    session["onestop_last_seen"] = now
    if otp:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        assert device is not None, f"{user} has no confirmed TOTP device"
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def login() -> Callable[..., Client]:
    """``login(user)`` → a new signed-in client; ``login(user, otp=True)`` for staff and admins."""

    def _login(user, *, otp: bool = False, client: Client | None = None) -> Client:  # type: ignore[no-untyped-def]
        return sign_in(client or Client(), user, otp=otp)

    return _login


@pytest.fixture
def department(db):  # type: ignore[no-untyped-def]
    from onestop.core.tests.factories import DepartmentFactory

    return DepartmentFactory(code="talent_office", name="人才工作领导小组办公室", name_en="Talent Office")


@pytest.fixture
def talent(db):  # type: ignore[no-untyped-def]
    from onestop.core.tests.factories import TalentFactory

    return TalentFactory()


@pytest.fixture
def other_talent(db):  # type: ignore[no-untyped-def]
    from onestop.core.tests.factories import TalentFactory

    return TalentFactory()


@pytest.fixture
def staff(db, department):  # type: ignore[no-untyped-def]
    from onestop.core.tests.factories import StaffFactory

    return StaffFactory(department=department)


@pytest.fixture
def employer(db):  # type: ignore[no-untyped-def]
    from onestop.core.tests.factories import EmployerUserFactory

    return EmployerUserFactory()


@pytest.fixture
def sys_admin(db):  # type: ignore[no-untyped-def]
    from onestop.core.choices import Role
    from onestop.core.tests.factories import AdminFactory

    return AdminFactory(role=Role.SYS_ADMIN)


@pytest.fixture
def sec_admin(db):  # type: ignore[no-untyped-def]
    from onestop.core.choices import Role
    from onestop.core.tests.factories import AdminFactory

    return AdminFactory(role=Role.SEC_ADMIN)


@pytest.fixture
def audit_admin(db):  # type: ignore[no-untyped-def]
    from onestop.core.choices import Role
    from onestop.core.tests.factories import AdminFactory

    return AdminFactory(role=Role.AUDIT_ADMIN)


@pytest.fixture
def auditor(db):  # type: ignore[no-untyped-def]
    from onestop.core.choices import Role
    from onestop.core.tests.factories import AdminFactory

    return AdminFactory(role=Role.AUDITOR)


@pytest.fixture
def staff_client(staff, login) -> Client:  # type: ignore[no-untyped-def]
    """A department staff member, signed in and past the second factor."""
    return login(staff, otp=True)


def pytest_configure(config: pytest.Config) -> None:
    # whitenoise warns when collectstatic has not run; the test server serves static files through finders.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")
