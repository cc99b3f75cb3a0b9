"""The talent office suspends and reinstates cards (page with htmx, and the API): permission and department scope,
the reason required and audited, the holder notified, verification refusing a suspended card with a clear reason."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from onestop.core.models import AuditEvent, Notification
from onestop.core.tests.factories import DepartmentFactory, StaffFactory
from onestop.greencards import selectors, services
from onestop.greencards.choices import CardStatus, VerifyReason
from onestop.greencards.models import GreenCard

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def office(db):
    return StaffFactory(department=DepartmentFactory(code="talent_office", name="人才办"))


@pytest.fixture
def other_dept(db):
    return StaffFactory(department=DepartmentFactory(code="hrss", name="人社局"))


def suspend_url(card: GreenCard) -> str:
    return reverse("greencards:manage_suspend", kwargs={"pk": card.pk})


def reinstate_url(card: GreenCard) -> str:
    return reverse("greencards:manage_reinstate", kwargs={"pk": card.pk})


def test_the_talent_office_lists_and_finds_cards(card, holder, office, login):
    client = login(office, otp=True)
    page = client.get(reverse("greencards:manage"))
    assert page.status_code == 200 and card.card_id in page.content.decode()
    found = client.get(reverse("greencards:manage"), {"q": card.card_id.lower()})
    assert card.card_id in found.content.decode()
    assert card.card_id in client.get(reverse("greencards:manage"), {"q": holder.real_name}).content.decode()
    assert card.card_id not in client.get(reverse("greencards:manage"), {"q": holder.real_name[:1]}).content.decode()
    assert card.card_id not in client.get(reverse("greencards:manage"), {"status": "suspended"}).content.decode()
    detail = client.get(reverse("greencards:manage_card", kwargs={"pk": card.pk}))
    assert detail.status_code == 200 and 'id="suspend-form"' in detail.content.decode()
    # The page never shows the holder's ID number or phone.
    assert holder.id_number not in detail.content.decode() and holder.phone not in detail.content.decode()


def test_another_department_sees_no_card_and_cannot_act(card, other_dept, login):
    client = login(other_dept, otp=True)
    listing = client.get(reverse("greencards:manage"))
    assert listing.status_code == 200 and card.card_id not in listing.content.decode()
    assert 'id="manage-not-office"' in listing.content.decode()
    assert client.get(reverse("greencards:manage_card", kwargs={"pk": card.pk})).status_code == 404
    assert client.post(suspend_url(card), {"suspend-reason": "越权"}, **HTMX).status_code == 404
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE and not AuditEvent.objects.filter(action="greencard.card.suspend").exists()


def test_the_holder_and_a_partner_cannot_reach_the_pages(card, holder, partners, login):
    for user, otp in ((holder, False), (partners.hospital.checker, True)):
        client = login(user, otp=otp)
        assert client.get(reverse("greencards:manage")).status_code == 404
        assert client.post(suspend_url(card), {"suspend-reason": "x"}).status_code == 404
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE


def test_suspend_then_reinstate_through_the_page(card, holder, partners, office, login):
    client = login(office, otp=True)
    checker = partners.hospital.checker
    response = client.post(suspend_url(card), {"suspend-reason": "认定复核中"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="manage-done"' in html and 'id="reinstate-form"' in html and "认定复核中" in html
    card.refresh_from_db()
    assert (card.status, card.status_reason) == (CardStatus.SUSPENDED, "认定复核中")
    event = AuditEvent.objects.get(action="greencard.card.suspend", object_id=str(card.pk))
    assert event.actor_id == office.pk and event.detail == {"reason": "认定复核中"}
    assert Notification.objects.filter(recipient=holder, title="您的人才绿卡已暂停使用", body="认定复核中").exists()
    # Verification refuses it with a clear reason, on the session path and through the API key, and it is listed.
    outcome = services.card_verify(token=card.token, checker=checker)
    assert outcome.reason == VerifyReason.SUSPENDED and outcome.message == "绿卡已暂停使用"
    key = services.api_key_create(checker=checker, name="窗口", actor=checker).secret
    body = client.post("/api/m2m/greencards/verify", {"token": card.token}, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert (body["result"], body["reason"], body["card"]) == ("invalid", "suspended", None)
    assert {"jti": card.card_id, "reason": "suspended"}.items() <= selectors.revocation_list()["revoked"][0].items()
    # The page shows the change in the card's history.
    assert "greencard.card.suspend" in client.get(reverse("greencards:manage_card", kwargs={"pk": card.pk})
                                                  ).content.decode()
    # Reinstate: verifies again, audited, notified.
    response = client.post(reinstate_url(card), {"reinstate-reason": "复核通过"}, **HTMX)
    assert response.status_code == 200 and 'id="suspend-form"' in response.content.decode()
    card.refresh_from_db()
    assert (card.status, card.status_reason) == (CardStatus.ACTIVE, "")
    assert AuditEvent.objects.filter(action="greencard.card.reinstate", actor=office).count() == 1
    assert Notification.objects.filter(recipient=holder, title="您的人才绿卡已恢复使用").exists()
    assert services.card_verify(token=card.token, checker=checker).valid
    assert selectors.revocation_list()["revoked"] == []


def test_without_htmx_the_page_redirects_with_a_message(card, office, login):
    client = login(office, otp=True)
    response = client.post(suspend_url(card), {"suspend-reason": "认定复核中"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("greencards:manage_card", kwargs={"pk": card.pk})
    assert "绿卡已暂停使用" in response.content.decode()


def test_a_reason_is_required_and_nothing_changes_without_it(card, holder, office, login):
    client = login(office, otp=True)
    response = client.post(suspend_url(card), {"suspend-reason": "  "}, **HTMX)
    # htmx swaps only 2xx answers: the error is shown in place, next to the field.
    assert response.status_code == 200 and 'id="suspend-form"' in response.content.decode()
    assert "理由：请填写此项。" in response.content.decode()
    assert client.post(suspend_url(card), {"suspend-reason": ""}).status_code == 422  # without htmx: the status
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE
    assert not AuditEvent.objects.filter(action="greencard.card.suspend").exists()
    assert not Notification.objects.filter(recipient=holder, title="您的人才绿卡已暂停使用").exists()
    too_long = client.post(suspend_url(card), {"suspend-reason": "长" * 501}, **HTMX)
    assert "理由：" in too_long.content.decode() and GreenCard.objects.get(pk=card.pk).status == CardStatus.ACTIVE


def test_a_stale_form_is_refused_with_the_current_state(card, office, login):
    client = login(office, otp=True)
    assert client.post(reinstate_url(card), {"reinstate-reason": "恢复"}).status_code == 409
    services.card_revoke(card=card, reason="认定撤销")
    refused = client.post(suspend_url(card), {"suspend-reason": "暂停"}, **HTMX)
    assert 'id="manage-error"' in refused.content.decode() and "不能执行此操作" in refused.content.decode()
    assert 'id="card-final"' in refused.content.decode()
    assert GreenCard.objects.get(pk=card.pk).status == CardStatus.REVOKED


def test_the_api_suspends_and_reinstates(card, office, other_dept, login):
    client = login(office, otp=True)
    url = f"/api/v1/greencards/cards/{card.pk}/"
    empty = client.post(url + "suspend", json.dumps({"reason": ""}), content_type="application/json")
    assert empty.status_code == 422 and "reason" in empty.json()["errors"]
    done = client.post(url + "suspend", json.dumps({"reason": "认定复核中"}), content_type="application/json")
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["status_reason"]) == ("suspended", "认定复核中")
    again = client.post(url + "suspend", json.dumps({"reason": "再次"}), content_type="application/json")
    assert again.status_code == 409
    stranger = login(other_dept, otp=True)
    assert stranger.post(url + "reinstate", json.dumps({"reason": "越权"}),
                         content_type="application/json").status_code == 404
    back = client.post(url + "reinstate", json.dumps({"reason": "复核通过"}), content_type="application/json")
    assert back.status_code == 200 and back.json()["status"] == "active"
    assert AuditEvent.objects.filter(action__in=["greencard.card.suspend", "greencard.card.reinstate"]).count() == 2


def test_the_page_pins_its_query_count(card, office, login, django_assert_max_num_queries):
    from onestop.core.tests.factories import TalentFactory

    from .conftest import issue

    for _i in range(5):
        issue(TalentFactory())
    client = login(office, otp=True)
    client.get(reverse("greencards:manage"))
    with django_assert_max_num_queries(16):
        assert client.get(reverse("greencards:manage")).status_code == 200
