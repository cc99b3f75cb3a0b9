"""The in-app inbox, htmx mark-read, and SMS/email copies sent by the background task after commit."""

from __future__ import annotations

import pytest
from django.core import mail

from onestop.core.models import Notification, NotificationDelivery
from onestop.core.notifications import notification_send, unread_count
from onestop.core.sms import MemorySmsBackend
from onestop.core.tests.factories import NotificationFactory, TalentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_inbox_lists_my_notifications_newest_first_and_not_others(talent, other_talent, login):
    notification_send(recipient=talent, title="人才认定申请已受理")
    notification_send(recipient=talent, title="补贴已发放")
    notification_send(recipient=other_talent, title="别人的通知")

    html = login(talent).get("/inbox/").content.decode()

    assert html.index("补贴已发放") < html.index("人才认定申请已受理")
    assert "别人的通知" not in html


def test_unread_badge_counts_my_unread_notifications(talent, login):
    NotificationFactory.create_batch(3, recipient=talent)

    html = login(talent).get("/me/").content.decode()

    assert 'badge text-bg-warning">3</span>' in html


def test_mark_read_through_htmx_returns_the_updated_item(talent, login):
    note = notification_send(recipient=talent, title="请补充材料")

    response = login(talent).post(f"/inbox/{note.pk}/read/", HTTP_HX_REQUEST="true")

    note.refresh_from_db()
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="n-{note.pk}"' in html
    assert "标为已读" not in html
    assert "<html" not in html
    assert note.read_at is not None
    assert unread_count(user=talent) == 0


def test_marking_another_users_notification_is_404(talent, other_talent, login):
    theirs = notification_send(recipient=other_talent, title="别人的通知")

    response = login(talent).post(f"/inbox/{theirs.pk}/read/", HTTP_HX_REQUEST="true")

    theirs.refresh_from_db()
    assert response.status_code == 404
    assert theirs.read_at is None


def test_mark_all_read(talent, other_talent, login):
    NotificationFactory.create_batch(2, recipient=talent)
    NotificationFactory(recipient=other_talent)

    login(talent).post("/inbox/read-all/")

    assert unread_count(user=talent) == 0
    assert unread_count(user=other_talent) == 1


def test_mark_read_needs_post(talent, login):
    note = NotificationFactory(recipient=talent)

    assert login(talent).get(f"/inbox/{note.pk}/read/").status_code == 405


def test_api_lists_and_marks_my_notifications_only(talent, other_talent, login):
    mine = NotificationFactory(recipient=talent, title="我的通知")
    theirs = NotificationFactory(recipient=other_talent)
    client = login(talent)

    listing = client.get("/api/v1/notifications")
    read = client.post(f"/api/v1/notifications/{mine.pk}/read")
    forbidden = client.post(f"/api/v1/notifications/{theirs.pk}/read")

    assert [n["title"] for n in listing.json()["items"]] == ["我的通知"]
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert forbidden.status_code == 404
    assert forbidden.json()["code"] == "not_found"


def test_sms_copy_is_sent_after_commit_through_the_configured_backend(talent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note = notification_send(recipient=talent, title="您的人才绿卡已签发", channels=["sms"])

    assert len(callbacks) == 1
    assert MemorySmsBackend.outbox == [{"phone": talent.phone, "text": "【OneStop】您的人才绿卡已签发"}]
    delivery = NotificationDelivery.objects.get(notification=note, channel="sms")
    assert delivery.status == "sent"
    assert delivery.attempts == 1


def test_nothing_is_sent_when_the_transaction_does_not_commit(talent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notification_send(recipient=talent, title="未提交", channels=["sms"])

    assert MemorySmsBackend.outbox == []


def test_email_copy_is_sent(db, django_capture_on_commit_callbacks):
    user = TalentFactory(email="talent@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=user, title="面试邀请", body="请于周一上午到场。", channels=["email"])

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["talent@example.org"]
    assert mail.outbox[0].subject == "面试邀请"


def test_failed_delivery_keeps_the_inbox_copy_and_records_the_error(db, django_capture_on_commit_callbacks):
    no_phone = UserFactory(username="nophone", account_type="talent")

    with django_capture_on_commit_callbacks(execute=True):
        note = notification_send(recipient=no_phone, title="无手机号", channels=["sms"])

    delivery = NotificationDelivery.objects.get(notification=note)
    assert Notification.objects.filter(pk=note.pk).exists()
    assert delivery.status == "failed"
    assert "no phone" in delivery.last_error
    assert MemorySmsBackend.outbox == []


def test_inbox_query_count_does_not_grow_with_notifications(talent, login, django_assert_max_num_queries):
    NotificationFactory.create_batch(45, recipient=talent)
    client = login(talent)

    with django_assert_max_num_queries(6):
        response = client.get("/inbox/")

    assert response.content.decode().count('class="list-group-item') == 20  # one page
