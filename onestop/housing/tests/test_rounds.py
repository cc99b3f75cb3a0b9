"""Apartment rounds: eligibility and groups from the rules, tie rules, the draw, offers with the decline/lapse cascade,
the one-apartment rule, the lease lifecycle, revocation, and gifted housing from the certification events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.housing import services
from onestop.housing.choices import (
    ApplicationStatus,
    GiftStatus,
    Layout,
    LeaseStatus,
    OfferStatus,
    ProjectKind,
    RoundStatus,
    UnitStatus,
)
from onestop.housing.errors import NotEligible, TransitionNotAllowed
from onestop.housing.models import Application, Lease, Offer, Unit
from onestop.talents.events import CertificationGranted, CertificationRevoked, certification_events

from .conftest import TODAY, at, certify, employed, make_units, open_round

pytestmark = pytest.mark.django_db
AFTER = TODAY + timedelta(days=8)  # the day after the window closes


def apply(rnd, user, prefs=(Layout.ONE_BED,), when=None):
    app = services.application_submit(rnd=rnd, applicant=user, preferences=list(prefs))
    if when is not None:
        Application.objects.filter(pk=app.pk).update(applied_at=when)
    return app


def ranks(rnd):
    return {a.applicant_id: (a.group_tier, a.rank) for a in Application.objects.filter(round=rnd)}


def test_groups_points_and_tie_rules(desk, clock):
    units = make_units(3)
    rnd = open_round(desk, units)
    # C/D: the earlier certification batch first; same batch → the earlier pension start first; same → equal rank
    cd_late_batch = employed(insured_months=24, insured_from=date(2020, 1, 1))
    certify(cd_late_batch, tier="D", issued=date(2025, 9, 1))
    cd_early_pension = employed(insured_months=3, insured_from=date(2021, 1, 1))
    certify(cd_early_pension, tier="C", issued=date(2025, 6, 1))
    cd_late_pension = employed(insured_months=3, insured_from=date(2023, 1, 1))
    certify(cd_late_pension, tier="C", issued=date(2025, 6, 1))
    cd_twin = employed(insured_months=3, insured_from=date(2023, 1, 1))
    certify(cd_twin, tier="D", issued=date(2025, 6, 1))
    # young: more points first (master 30 > bachelor 20); equal points → earlier application day; same day → equal
    master = employed(education="master")
    bachelor_early = employed()
    bachelor_late = employed()
    bachelor_twin = employed()
    for user in (cd_late_batch, cd_early_pension, cd_late_pension, cd_twin):
        apply(rnd, user, when=at(TODAY + timedelta(days=3)))
    apply(rnd, master, when=at(TODAY + timedelta(days=5)))
    apply(rnd, bachelor_early, when=at(TODAY, 10))
    apply(rnd, bachelor_late, when=at(TODAY + timedelta(days=2)))
    apply(rnd, bachelor_twin, when=at(TODAY, 16))
    clock.today = AFTER
    services.round_publish(rnd=rnd, actor=desk)
    r = ranks(rnd)
    assert r[cd_early_pension.pk] == ("保障", 1)
    assert r[cd_late_pension.pk] == ("保障", 2) == r[cd_twin.pk]
    assert r[cd_late_batch.pk] == ("保障", 3)
    assert r[master.pk] == ("青年", 4)
    assert r[bachelor_early.pk] == ("青年", 5) == r[bachelor_twin.pk]
    assert r[bachelor_late.pk] == ("青年", 6)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PUBLISHED and len(rnd.seed_sha256) == 64


def test_ineligible_people_are_refused_with_reasons(desk):
    rnd = open_round(desk, make_units(1))
    unemployed = employed()
    profile = unemployed.talent_profile
    profile.employer = None
    profile.save()
    with pytest.raises(NotEligible) as exc:
        apply(rnd, unemployed)
    assert "在区内用人单位就业" in exc.value.field_errors["eligibility"][0]
    too_old = employed(birth=date(1980, 1, 1))  # no certificate, over 35: in no priority group
    with pytest.raises(NotEligible):
        apply(rnd, too_old)


def test_window_preferences_and_one_application(desk, clock):
    rnd = open_round(desk, make_units(1))
    user = employed()
    with pytest.raises(ValidationFailed):
        apply(rnd, user, prefs=(Layout.THREE_BED,))  # not offered in this round
    apply(rnd, user)
    with pytest.raises(ValidationFailed):
        apply(rnd, user)
    clock.today = AFTER
    with pytest.raises(TransitionNotAllowed):
        apply(rnd, employed())


def _drawn_round(desk, clock, *, n_units=1, n_people=3):
    rnd = open_round(desk, make_units(n_units))
    people = [employed(education="master" if i == 0 else "bachelor") for i in range(n_people)]
    for i, user in enumerate(people):
        apply(rnd, user, when=at(TODAY + timedelta(days=i)))
    clock.today = AFTER
    services.round_publish(rnd=rnd, actor=desk)
    services.round_draw(rnd=rnd, actor=desk)
    return rnd, people


def test_draw_makes_offers_in_order_and_waitlists_the_rest(desk, clock):
    rnd, people = _drawn_round(desk, clock)
    first = Application.objects.get(round=rnd, applicant=people[0])
    assert first.position == 1 and first.status == ApplicationStatus.OFFERED
    assert Offer.objects.get(application=first).deadline == AFTER + timedelta(days=5 + 2)  # 5 working days
    assert set(Application.objects.filter(round=rnd).exclude(pk=first.pk).values_list("status", flat=True)) == {
        ApplicationStatus.WAITLISTED}
    assert Unit.objects.get().status == UnitStatus.RESERVED
    with pytest.raises(TransitionNotAllowed):
        services.round_draw(rnd=rnd, actor=desk)  # only once


def test_decline_cascades_to_the_next_in_line(desk, clock):
    rnd, people = _drawn_round(desk, clock)
    first = Offer.objects.get(application__applicant=people[0])
    services.offer_decline(offer=first, actor=people[0])
    second_app = Application.objects.get(round=rnd, position=2)
    nxt = Offer.objects.get(application=second_app)
    assert nxt.status == OfferStatus.OPEN and nxt.unit_id == first.unit_id
    assert Application.objects.get(applicant=people[0], round=rnd).status == ApplicationStatus.DECLINED


def test_lapse_cascades_and_the_last_lapse_frees_the_unit(desk, clock):
    _drawn_round(desk, clock, n_people=2)
    offer = Offer.objects.get(status=OfferStatus.OPEN)
    clock.today = offer.deadline + timedelta(days=1)
    assert services.housing_tick()["offers_lapsed"] == 1
    second = Offer.objects.get(status=OfferStatus.OPEN)
    assert second.application.position == 2
    clock.today = second.deadline + timedelta(days=1)
    services.housing_tick()
    assert Unit.objects.get().status == UnitStatus.VACANT
    assert not Offer.objects.filter(status=OfferStatus.OPEN).exists()


def test_lease_lifecycle(desk, clock):
    _rnd, people = _drawn_round(desk, clock, n_people=1)
    offer = Offer.objects.get()
    with pytest.raises(NotFound):
        services.offer_accept(offer=offer, actor=desk)  # not the applicant's offer
    lease = services.offer_accept(offer=offer, actor=people[0])
    assert lease.status == LeaseStatus.ACTIVE and lease.start_date == AFTER + timedelta(days=1)
    assert lease.end_date == date(2027, 3, 11)
    assert (lease.monthly_rent_fen, lease.discount_percent, lease.payable_rent_fen, lease.deposit_fen) == (
        180000, 50, 90000, 90000)
    assert Unit.objects.get().status == UnitStatus.OCCUPIED
    assert services.lease_renew(lease=lease, actor=desk).end_date == date(2028, 3, 11)
    services.lease_renew(lease=lease, actor=desk)
    with pytest.raises(TransitionNotAllowed):
        services.lease_renew(lease=lease, actor=desk)  # max_renewals 2
    with pytest.raises(ValidationFailed) as exc:
        services.lease_move_out(lease=lease, actor=desk, moved_out_on=date(2027, 1, 1), deposit_returned_fen=50000)
    assert "deposit_note" in exc.value.field_errors
    ended = services.lease_move_out(lease=lease, actor=desk, moved_out_on=date(2027, 1, 1),
                                    deposit_returned_fen=50000, deposit_note="墙面损坏")
    assert ended.status == LeaseStatus.ENDED and ended.deposit_returned_fen == 50000
    assert Unit.objects.get().status == UnitStatus.VACANT


def test_a_person_never_holds_two_talent_apartments(desk, clock):
    _rnd, people = _drawn_round(desk, clock, n_units=2, n_people=2)
    tenant = people[0]
    services.offer_accept(offer=Offer.objects.get(application__applicant=tenant), actor=tenant)
    other_unit = Unit.objects.exclude(leases__status=LeaseStatus.ACTIVE).first()
    with pytest.raises(IntegrityError), transaction.atomic():  # the database itself refuses
        Lease.objects.create(tenant=tenant, unit=other_unit, start_date=TODAY, end_date=TODAY + timedelta(days=30),
                             monthly_rent_fen=1, discount_percent=0, payable_rent_fen=1, deposit_fen=0)
    rnd2 = services.round_create(actor=desk, code="2026-02", title="第二批", opens_on=AFTER,
                                 closes_on=AFTER + timedelta(days=5), unit_ids=[u.pk for u in make_units(
                                     1, start=50)])
    with pytest.raises(ValidationFailed) as exc:
        services.application_submit(rnd=rnd2, applicant=tenant, preferences=[Layout.ONE_BED])
    assert "每人只能承租一套" in exc.value.field_errors["round"][0]
    # an offer somehow made to a current tenant cannot be accepted either
    app = Application.objects.create(round=rnd2, applicant=tenant, code="HTEST001", status=ApplicationStatus.OFFERED)
    offer = Offer.objects.create(application=app, unit=Unit.objects.get(number="0050"), deadline=AFTER)
    with pytest.raises(Conflict):
        services.offer_accept(offer=offer, actor=tenant)


def test_revoked_certification_flags_the_lease_for_review(desk, clock):
    _rnd, people = _drawn_round(desk, clock, n_people=1)
    tenant = people[0]
    lease = services.offer_accept(offer=Offer.objects.get(), actor=tenant)
    certification_events.publish(CertificationRevoked(
        certificate_id=1, certificate_number="ZZGK-2025-C-000001", profile_id=tenant.talent_profile.pk,
        talent_user_id=tenant.pk, track="standard", tier="C", reason="材料不实", revoked_at=timezone.now(),
        actor_id=None))
    lease.refresh_from_db()
    assert lease.review_flag and "材料不实" in lease.review_reason and lease.status == LeaseStatus.ACTIVE
    assert desk.notifications.filter(title__contains="待复核").exists()
    with pytest.raises(TransitionNotAllowed):
        services.lease_renew(lease=lease, actor=desk)
    services.lease_review_clear(lease=lease, actor=desk, note="已按青年人才条件核实，继续租赁")
    lease.refresh_from_db()
    assert not lease.review_flag


def test_gifted_housing_from_the_certification(desk):
    talent = employed()
    certification_events.publish(CertificationGranted(
        certificate_id=1, certificate_number="ZZGK-2026-YX-000001", profile_id=talent.talent_profile.pk,
        talent_user_id=talent.pk, track="medical", tier="国内一流", valid_until=date(2031, 1, 1)))
    gift = talent.gifted_housing.get()
    assert (gift.max_area_m2, gift.status) == (180, GiftStatus.ENTITLED)
    too_big = make_units(1, project_code="gift1", kind=ProjectKind.GIFTED, area="190.00", layout=Layout.FOUR_BED)[0]
    right = make_units(1, project_code="gift1", kind=ProjectKind.GIFTED, area="175.50", layout=Layout.THREE_BED,
                       start=2)[0]
    with pytest.raises(ValidationFailed):
        services.gift_assign(gift=gift, unit=too_big, actor=desk)
    services.gift_assign(gift=gift, unit=right, actor=desk)
    delivered = services.gift_deliver(gift=gift, actor=desk, delivered_on=TODAY)
    assert delivered.status == GiftStatus.DELIVERED and Unit.objects.get(pk=right.pk).status == UnitStatus.OCCUPIED
    certification_events.publish(CertificationRevoked(
        certificate_id=1, certificate_number="ZZGK-2026-YX-000001", profile_id=talent.talent_profile.pk,
        talent_user_id=talent.pk, track="medical", tier="国内一流", reason="撤销", revoked_at=timezone.now(),
        actor_id=None))
    delivered.refresh_from_db()
    assert delivered.status == GiftStatus.REVIEW
    # standard-track certificates create no gifted housing
    certification_events.publish(CertificationGranted(
        certificate_id=2, certificate_number="ZZGK-2026-C-000002", profile_id=talent.talent_profile.pk,
        talent_user_id=talent.pk, track="standard", tier="C", valid_until=date(2031, 1, 1)))
    assert talent.gifted_housing.count() == 1


# --- round lifecycle: draft → open → closed → published → drawn → finished --------------------------------------------

def test_a_draft_round_is_hidden_and_takes_no_applications_until_opened(desk, clock):
    from onestop.housing import selectors

    units = make_units(1)
    rnd = services.round_create(actor=desk, code="2026-d", title="草稿批次", opens_on=TODAY,
                                closes_on=TODAY + timedelta(days=7), unit_ids=[u.pk for u in units], open_now=False)
    assert rnd.status == RoundStatus.DRAFT
    with pytest.raises(NotFound):
        selectors.round_public(code=rnd.code)
    with pytest.raises(TransitionNotAllowed):
        services.application_submit(rnd=rnd, applicant=employed(), preferences=[Layout.ONE_BED])
    assert not selectors.apartment_units_free(user=desk).filter(pk=units[0].pk).exists()  # held by the draft
    rnd = services.round_open(rnd=rnd, actor=desk)
    assert rnd.status == RoundStatus.OPEN
    assert services.application_submit(rnd=rnd, applicant=employed(), preferences=[Layout.ONE_BED])
    with pytest.raises(TransitionNotAllowed, match="申请中"):
        services.round_open(rnd=rnd, actor=desk)  # only from a draft


def test_a_draft_past_its_window_cannot_be_opened_and_only_staff_open(desk, staff, clock):
    rnd = services.round_create(actor=desk, code="2026-e", title="过期草稿", opens_on=TODAY,
                                closes_on=TODAY + timedelta(days=1), unit_ids=[u.pk for u in make_units(1)],
                                open_now=False)
    with pytest.raises(NotFound):
        services.round_open(rnd=rnd, actor=staff)  # not the housing department
    clock.today = TODAY + timedelta(days=2)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.round_open(rnd=rnd, actor=desk)
    assert "申请截止" in refused.value.field_errors["closes_on"][0]
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.DRAFT


def test_closing_early_stops_applications_and_moves_the_closing_date(desk, clock):
    rnd = open_round(desk, make_units(1))
    apply(rnd, employed())
    clock.today = TODAY + timedelta(days=2)
    rnd = services.round_close(rnd=rnd, actor=desk)
    assert rnd.status == RoundStatus.CLOSED and rnd.closes_on == TODAY + timedelta(days=2)
    with pytest.raises(TransitionNotAllowed):
        apply(rnd, employed())
    with pytest.raises(TransitionNotAllowed, match="申请截止"):
        services.round_close(rnd=rnd, actor=desk)  # once
    with pytest.raises(TransitionNotAllowed):
        services.round_open(rnd=rnd, actor=desk)  # no way back to open
    with pytest.raises(TransitionNotAllowed):
        services.round_publish(rnd=rnd, actor=desk)  # the closing day itself still counts
    clock.today = TODAY + timedelta(days=3)
    assert services.round_publish(rnd=rnd, actor=desk).status == RoundStatus.PUBLISHED


def test_a_round_finishes_only_when_every_offer_is_settled(desk, clock):
    rnd, _people = _drawn_round(desk, clock, n_people=2)
    with pytest.raises(TransitionNotAllowed, match="配租通知"):
        services.round_finish(rnd=rnd, actor=desk)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.DRAWN  # the refused step was rolled back
    first = Offer.objects.get(status=OfferStatus.OPEN)
    services.offer_decline(offer=first, actor=first.application.applicant)
    second = Offer.objects.get(status=OfferStatus.OPEN)
    services.offer_accept(offer=second, actor=second.application.applicant)
    rnd = services.round_finish(rnd=rnd, actor=desk)
    assert rnd.status == RoundStatus.FINISHED
    with pytest.raises(TransitionNotAllowed, match="已结束"):
        services.round_finish(rnd=rnd, actor=desk)


def test_finish_and_close_are_refused_in_the_wrong_state(desk, clock):
    rnd = open_round(desk, make_units(1))
    with pytest.raises(TransitionNotAllowed, match="申请中"):
        services.round_finish(rnd=rnd, actor=desk)
    clock.today = TODAY - timedelta(days=1)
    with pytest.raises(TransitionNotAllowed, match="申请开始"):
        services.round_close(rnd=rnd, actor=desk)
