"""Personal data: encrypted at rest with a key id, found through a keyed blind index, masked wherever it is shown,
unmasked only by the owner or staff with the capability, and every unmasking audited."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings

from onestop.core import crypto
from onestop.core.auth import find_user
from onestop.core.choices import AuditResult
from onestop.core.masking import mask_id_number, mask_name, mask_phone
from onestop.core.models import AuditEvent, User
from onestop.core.services import pii_reveal
from onestop.core.tests.factories import TalentFactory, synthetic_phone

pytestmark = pytest.mark.django_db


def raw_columns(user: User) -> dict[str, str | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, id_number, phone_index, id_number_index FROM core_user WHERE id = %s",
                       [user.pk])
        phone, id_number, phone_index, id_index = cursor.fetchone()
    return {"phone": phone, "id_number": id_number, "phone_index": phone_index, "id_number_index": id_index}


# --- masking rules ---------------------------------------------------------------------------------------------------

def test_masking_shapes():
    assert mask_id_number("41010219900101123X") == "4101**********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("E1234567") == "E1****67"
    assert mask_name("张三明") == "张*明"
    assert mask_phone(None) == ""


# --- encryption at rest ----------------------------------------------------------------------------------------------

def test_raw_database_columns_never_hold_the_plaintext(talent):
    raw = raw_columns(talent)

    assert raw["phone"].startswith("v1:t2:")
    assert raw["id_number"].startswith("v1:t2:")
    for column in raw.values():
        assert talent.phone not in column
        assert talent.id_number not in column
        assert talent.id_number[-8:] not in column
        assert talent.phone[-8:] not in column


def test_the_same_value_encrypts_differently_each_time():
    first, second = crypto.encrypt("13903710001"), crypto.encrypt("13903710001")

    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == "13903710001"


def test_blind_index_finds_the_account_by_phone_and_id(talent):
    by_phone = User.objects.get_by_phone(talent.phone)
    by_id = User.objects.get(id_number_index=crypto.blind_index(f"resident_id:{talent.id_number}", purpose="id"))

    assert by_phone.pk == talent.pk
    assert by_id.pk == talent.pk
    assert find_user(talent.phone).pk == talent.pk
    assert find_user(synthetic_phone(9990)) is None


def test_blind_index_spaces_are_separated_by_purpose():
    assert crypto.blind_index("13903710001", purpose="phone") != crypto.blind_index("13903710001", purpose="id")


def test_encrypted_field_refuses_sql_comparisons(talent):
    with pytest.raises(TypeError):
        User.objects.filter(phone=talent.phone).count()


def test_value_encrypted_with_an_older_key_still_decrypts(talent):
    old_token = crypto.encrypt(talent.phone, key_id="t1")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_user SET phone = %s WHERE id = %s", [old_token, talent.pk])

    reloaded = User.objects.get(pk=talent.pk)

    assert crypto.key_id_of(old_token) == "t1"
    assert reloaded.phone == talent.phone


def test_saving_re_encrypts_with_the_active_key(talent):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_user SET phone = %s WHERE id = %s", [crypto.encrypt(talent.phone, key_id="t1"),
                                                                       talent.pk])
    user = User.objects.get(pk=talent.pk)

    user.save(update_fields=["phone"])

    assert raw_columns(user)["phone"].startswith("v1:t2:")


def test_unknown_key_id_and_tampering_are_refused():
    token = crypto.encrypt("41012219900101123X")
    tampered = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token.replace("v1:t2:", "v1:zz:"))
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered)


def test_retired_key_cannot_decrypt_once_removed_from_the_ring():
    token = crypto.encrypt("13903710001", key_id="t1")
    only_new = "t2:dGVzdC1maWVsZC1rZXktMi0wMDAwMDAwMDAwMDAwMDA="

    with override_settings(ONESTOP_FIELD_KEYS=only_new), pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


# --- masked on every page --------------------------------------------------------------------------------------------

def test_personal_centre_shows_id_and_phone_masked(talent, login):
    html = login(talent).get("/me/").content.decode()

    assert talent.masked_id_number in html
    assert talent.masked_phone in html
    assert talent.id_number not in html
    assert talent.phone not in html


def test_api_me_returns_masked_values_only(talent, login):
    response = login(talent).get("/api/v1/me")

    data = response.json()
    assert response.status_code == 200
    assert data["phone_masked"] == talent.masked_phone
    assert data["id_number_masked"] == talent.masked_id_number
    assert talent.phone not in response.content.decode()
    assert talent.id_number not in response.content.decode()


def test_admin_user_list_and_change_page_show_masked_values(talent, sys_admin, login):
    client = login(sys_admin, otp=True)

    listing = client.get("/admin/core/user/")
    change = client.get(f"/admin/core/user/{talent.pk}/change/")

    assert listing.status_code == 200
    assert change.status_code == 200
    for response in (listing, change):
        html = response.content.decode()
        assert talent.masked_phone in html
        assert talent.phone not in html
        assert talent.id_number not in html
    assert talent.masked_id_number in change.content.decode()


# --- unmasking -------------------------------------------------------------------------------------------------------

def test_owner_can_unmask_their_own_phone_and_it_is_audited(talent, login):
    response = login(talent).post(f"/pii/{talent.pk}/phone/show/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert talent.phone in response.content.decode()
    event = AuditEvent.objects.get(action="pii.unmask")
    assert event.actor_id == talent.pk
    assert event.object_id == str(talent.pk)
    assert event.result == AuditResult.SUCCESS
    assert event.detail == {"field": "phone"}


def test_staff_with_capability_can_unmask_a_talents_id_and_it_is_audited(talent, staff, staff_client):
    response = staff_client.post(f"/pii/{talent.pk}/id_number/show/")

    assert response.status_code == 200
    assert talent.id_number in response.content.decode()
    event = AuditEvent.objects.get(action="pii.unmask")
    assert event.actor_id == staff.pk
    assert event.role == "dept_staff"
    assert event.department == "talent_office"


def test_another_talent_cannot_unmask_and_the_attempt_is_audited(talent, other_talent, login):
    response = login(other_talent).post(f"/pii/{talent.pk}/phone/show/")

    assert response.status_code == 404
    assert talent.phone not in response.content.decode()
    event = AuditEvent.objects.get(action="pii.unmask")
    assert event.result == AuditResult.DENIED
    assert event.actor_id == other_talent.pk


def test_hiding_again_shows_the_masked_value(talent, login):
    response = login(talent).get(f"/pii/{talent.pk}/phone/hide/")

    assert response.status_code == 200
    assert talent.masked_phone in response.content.decode()
    assert talent.phone not in response.content.decode()


def test_another_talent_cannot_even_see_the_masked_value(talent, other_talent, login):
    assert login(other_talent).get(f"/pii/{talent.pk}/phone/hide/").status_code == 404


def test_unknown_field_and_unknown_user_are_404(talent, login):
    client = login(talent)

    assert client.post(f"/pii/{talent.pk}/password/show/").status_code == 404
    assert client.post("/pii/999999/phone/show/").status_code == 404
    assert not AuditEvent.objects.filter(action="pii.unmask", result=AuditResult.SUCCESS).exists()


def test_unmasking_requires_post(talent, login):
    assert login(talent).get(f"/pii/{talent.pk}/phone/show/").status_code == 405


def test_auditor_without_unmask_capability_cannot_unmask(talent, auditor):
    from onestop.core.exceptions import NotFound

    with pytest.raises(NotFound):
        pii_reveal(viewer=auditor, subject_id=talent.pk, field="id_number")


def test_passport_holder_is_masked_too(db, login):
    foreigner = TalentFactory(id_type="passport", id_number="E98765432")

    html = login(foreigner).get("/me/").content.decode()

    assert "E9*****32" in html
    assert "E98765432" not in html
