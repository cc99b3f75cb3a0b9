"""Fixtures of the green card tests: partners of every kind with a checker each, a talent holding a card, a clock."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from onestop.core.choices import PartnerKind
from onestop.core.tests.factories import PartnerFactory, PartnerUserFactory, TalentFactory
from onestop.greencards import keys
from onestop.greencards.services import card_issue


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    """The verification key cache is per process: start and end every test without it."""
    keys.invalidate()
    yield
    keys.invalidate()


@pytest.fixture
def partners(db):
    out = {}
    for kind in PartnerKind:
        partner = PartnerFactory(code=f"p_{kind.value}", name=f"测试{kind.label}", kind=kind.value)
        out[kind.value] = SimpleNamespace(partner=partner, checker=PartnerUserFactory(partner=partner))
    return SimpleNamespace(**out)


@pytest.fixture
def holder(db):
    return TalentFactory(real_name="林知远")


@pytest.fixture
def card(holder):
    today = timezone.localdate()
    return card_issue(holder=holder, card_class="B", valid_from=today - timedelta(days=30),
                      valid_until=today + timedelta(days=3 * 365))


def issue(holder, *, card_class: str = "C", days: int = 365, start: date | None = None):
    begin = start or timezone.localdate()
    return card_issue(holder=holder, card_class=card_class, valid_from=begin, valid_until=begin + timedelta(days=days))
