"""Talent-apartment rounds: applications, ranking, publication, the verifiable lottery and offers."""

from __future__ import annotations

import json
import secrets
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import NotificationChannel
from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors
from onestop.workflow import calendar as wd

from .. import lottery, ranking, rules
from ..choices import (
    ApplicationStatus,
    LeaseStatus,
    OfferStatus,
    ProjectKind,
    RoundStatus,
    RuleSetKind,
    UnitStatus,
)
from ..errors import NotEligible, TransitionNotAllowed
from ..models import (
    AllocationRound,
    Application,
    Lease,
    Offer,
    Publication,
    RoundUnit,
    Unit,
    payable_rent,
)
from .common import _require_staff, _transition

# --- apartment rounds ------------------------------------------------------------------------------------------------

def round_create(*, actor: User, code: str, title: str, opens_on: date, closes_on: date, unit_ids: list[int],
                 offer_days: int = 5, open_now: bool = True, today: date | None = None) -> AllocationRound:
    """A round with its window, the units it offers and the active apartment rule set (kept for the round). It is
    created as a draft (seen by housing staff only); ``open_now`` opens it at once, by the same transition as
    ``round_open``.

    Lifecycle (one service per step, each a conditional ``UPDATE … WHERE status = <from>``): draft → open
    (``round_open``) → closed (``round_close``, or implicitly by publishing after the window) → published
    (``round_publish``) → drawn (``round_draw``) → finished (``round_finish``, once no offer is open)."""
    _require_staff(actor, action="housing.round.create")
    errors = FieldErrors()
    if not code.strip():
        errors.add("code", _("批次编号：请填写。"))
    elif AllocationRound.objects.filter(code=code.strip()).exists():
        errors.add("code", _("批次编号：已存在。"))
    if closes_on < opens_on:
        errors.add("closes_on", _("申请截止：不能早于申请开始。"))
    if not 1 <= offer_days <= 30:
        errors.add("offer_days", _("确认期限：应为 1 至 30 个工作日。"))
    units = list(Unit.objects.filter(pk__in=unit_ids, building__project__kind=ProjectKind.APARTMENT,
                                     status=UnitStatus.VACANT))
    busy = set(RoundUnit.objects.filter(unit_id__in=unit_ids).exclude(
        round__status=RoundStatus.FINISHED).values_list("unit__code", flat=True))
    if not units:
        errors.add("unit_ids", _("房源：请至少选择一套空闲的人才公寓房源。"))
    elif len(units) != len(set(unit_ids)):
        errors.add("unit_ids", _("房源：只能选择空闲的人才公寓房源。"))
    if busy:
        errors.add("unit_ids", _("房源：%(u)s 已在其他未结束的批次中。") % {"u": "、".join(sorted(busy))})
    errors.raise_if_any()
    with transaction.atomic():
        rnd = AllocationRound.objects.create(
            code=code.strip(), title=title.strip() or code.strip(), rule_set=rules.active(RuleSetKind.APARTMENT),
            opens_on=opens_on, closes_on=closes_on, offer_days=offer_days, status=RoundStatus.DRAFT, created_by=actor)
        RoundUnit.objects.bulk_create([RoundUnit(round=rnd, unit=u) for u in units])
        audit_record(action="housing.round.create", actor=actor, obj=rnd,
                     after={"units": len(units), "rule_set": rnd.rule_set.sha256[:12], "status": RoundStatus.DRAFT,
                            "window": [opens_on.isoformat(), closes_on.isoformat()]})
        if open_now:
            _round_open(rnd, actor=actor, today=today)
    return rnd


def _round_transition(rnd: AllocationRound, *, source: str, target: str, doing: str, **changes: Any) -> None:
    """The round's one allowed step from ``source``: a conditional UPDATE whose row count must be 1; otherwise the
    message names the round's current state."""
    if AllocationRound.objects.filter(pk=rnd.pk, status=source).update(status=target, **changes) != 1:
        current = AllocationRound.objects.filter(pk=rnd.pk).values_list("status", flat=True).first() or ""
        label = RoundStatus(current).label if current in RoundStatus.values else current
        message = _("批次状态：当前为“%(s)s”，不能%(a)s。") % {"s": label, "a": doing}
        raise TransitionNotAllowed(message, field_errors={"status": [message]})


def _round_open(rnd: AllocationRound, *, actor: User, today: date | None) -> None:
    day = today or wd.today()
    if day > rnd.closes_on:
        raise TransitionNotAllowed(_("申请截止：%(d)s 已过，不能开放申请。") % {"d": rnd.closes_on.isoformat()},
                                   field_errors={"closes_on": [_("申请截止：%(d)s 已过，不能开放申请。") % {
                                       "d": rnd.closes_on.isoformat()}]})
    _round_transition(rnd, source=RoundStatus.DRAFT, target=RoundStatus.OPEN, doing=_("开放申请"))
    rnd.status = RoundStatus.OPEN
    audit_record(action="housing.round.open", actor=actor, obj=rnd, before={"status": RoundStatus.DRAFT},
                 after={"status": RoundStatus.OPEN})


def round_open(*, rnd: AllocationRound, actor: User, today: date | None = None) -> AllocationRound:
    """Draft → open: the round becomes public and talents apply within its window."""
    _require_staff(actor, action="housing.round.open", obj=rnd)
    with transaction.atomic():
        _round_open(rnd, actor=actor, today=today)
    rnd.refresh_from_db()
    return rnd


def round_close(*, rnd: AllocationRound, actor: User, today: date | None = None) -> AllocationRound:
    """Open → closed: no more applications or withdrawals; the ranks are published afterwards. Closing before the
    window's end moves the closing date to today, so the published window and the assessment date (the closing date)
    say what really happened."""
    _require_staff(actor, action="housing.round.close", obj=rnd)
    day = today or wd.today()
    if day < rnd.opens_on:
        raise TransitionNotAllowed(_("申请开始：%(d)s 之前不能截止申请。") % {"d": rnd.opens_on.isoformat()})
    closes_on = min(rnd.closes_on, day)
    with transaction.atomic():
        _round_transition(rnd, source=RoundStatus.OPEN, target=RoundStatus.CLOSED, doing=_("截止申请"),
                          closes_on=closes_on)
        audit_record(action="housing.round.close", actor=actor, obj=rnd, before={
            "status": RoundStatus.OPEN, "closes_on": rnd.closes_on.isoformat()}, after={
            "status": RoundStatus.CLOSED, "closes_on": closes_on.isoformat()})
    rnd.refresh_from_db()
    return rnd


def round_finish(*, rnd: AllocationRound, actor: User) -> AllocationRound:
    """Drawn → finished, once every offer is settled (accepted, declined or lapsed): the waiting list stops and the
    round's vacant units may go into a new round. The status changes first and the open offers are counted in the
    same transaction, so a decline racing with it either is seen (refused) or has nothing left to cascade."""
    _require_staff(actor, action="housing.round.finish", obj=rnd)
    with transaction.atomic():
        _round_transition(rnd, source=RoundStatus.DRAWN, target=RoundStatus.FINISHED, doing=_("结束批次"))
        still_open = Offer.objects.filter(application__round=rnd, status=OfferStatus.OPEN).count()
        if still_open:
            message = _("配租通知：还有 %(n)d 份待确认，全部接受、放弃或逾期后才能结束批次。") % {"n": still_open}
            raise TransitionNotAllowed(message, field_errors={"round": [message]})
        audit_record(action="housing.round.finish", actor=actor, obj=rnd, before={"status": RoundStatus.DRAWN},
                     after={"status": RoundStatus.FINISHED})
    rnd.refresh_from_db()
    return rnd


def round_layouts(rnd: AllocationRound) -> list[str]:
    return sorted(set(rnd.round_units.values_list("unit__layout", flat=True)))


def _application_code() -> str:
    return "H" + "".join(secrets.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(7))


def _tie_keys(user: User) -> tuple[str, date | None]:
    """Certification batch (the issue date of the valid standard-track certificate: one publicity batch closes on
    one day) and the first month of local pension contributions."""
    from onestop.talents.choices import CertificateStatus, CertTrack
    from onestop.talents.models import Certificate, SocialInsuranceMonth

    batch = (Certificate.objects.filter(profile__user=user, track=CertTrack.STANDARD, status=CertificateStatus.VALID)
             .values_list("valid_from", flat=True).first())
    pension = SocialInsuranceMonth.objects.filter(profile__user=user).aggregate(m=Min("month"))["m"]
    return (batch.isoformat() if batch else ""), pension


def _assess(rnd: AllocationRound, user: User, *, as_of: date) -> dict[str, Any]:
    """Eligibility, priority group and points of one applicant from the round's rule set. The groups are rules
    (``ranking.groups[].rule``), the first granted one wins; eligible = the base rules granted and some group
    granted; refused when a base rule or every group rule is refused; otherwise undetermined (a fact is unknown)."""
    from onestop.talents.facts import facts_for_user

    facts = facts_for_user(user, as_of=as_of) or {}
    rule_set = rnd.rule_set
    ranking = rule_set.ranking
    groups = ranking.get("groups", [])
    result = rules.evaluate(rule_set, facts, as_of=as_of)
    base = rules.eligibility(rule_set, result)
    statuses = [result[g["rule"]].status for g in groups]
    group = next(((i, g) for i, g in enumerate(groups) if statuses[i] is True), None)
    verdict: bool | None
    if base is False or all(s is False for s in statuses):
        verdict = False
    elif base is True and group is not None:
        verdict = True
    else:
        verdict = None
    points = result[ranking["points_rule"]].points if ranking.get("points_rule") else 0
    batch, pension = _tie_keys(user)
    explained_rules = list(ranking.get("eligibility", [])) + ([] if group is not None else [g["rule"] for g in groups])
    return {"verdict": verdict, "group": group, "points": int(points or 0), "cert_batch": batch,
            "pension_start": pension, "explanation": rules.explanation(result, explained_rules)}


def application_submit(*, rnd: AllocationRound, applicant: User, preferences: list[str],
                       today: date | None = None) -> Application:
    day = today or wd.today()
    if rnd.status != RoundStatus.OPEN or not rnd.opens_on <= day <= rnd.closes_on:
        raise TransitionNotAllowed(_("该批次当前不在申请期内（%(a)s 至 %(b)s）。") % {
            "a": rnd.opens_on.isoformat(), "b": rnd.closes_on.isoformat()})
    offered = round_layouts(rnd)
    errors = FieldErrors()
    prefs = [p for i, p in enumerate(preferences) if p and p not in preferences[:i]]
    if not prefs:
        errors.add("preferences", _("户型意向：请至少选择一种户型。"))
    elif any(p not in offered for p in prefs):
        errors.add("preferences", _("户型意向：只能选择本批次提供的户型。"))
    if Lease.objects.filter(tenant=applicant, status=LeaseStatus.ACTIVE).exists():
        errors.add("round", _("批次：您已承租人才公寓，每人只能承租一套。"))
    if Application.objects.filter(round=rnd, applicant=applicant).exists():
        errors.add("round", _("批次：您已申请本批次。"))
    errors.raise_if_any()
    assessed = _assess(rnd, applicant, as_of=day)
    if assessed["verdict"] is False:
        reasons = [m for ms in assessed["explanation"]["missing"].values() for m in ms] or [_("不属于任何优先组")]
        raise NotEligible(_("不符合人才公寓申请条件。"), field_errors={
            "eligibility": [_("资格：不满足“%(c)s”。") % {"c": r} for r in reasons]})
    for _attempt in range(5):
        try:
            with transaction.atomic():
                app = Application.objects.create(round=rnd, applicant=applicant, code=_application_code(),
                                                 preferences=prefs, explanation=assessed["explanation"])
                audit_record(action="housing.application.submit", actor=applicant, obj=app,
                             after={"round": rnd.code, "preferences": prefs})
            break
        except IntegrityError:
            if Application.objects.filter(round=rnd, applicant=applicant).exists():
                raise Conflict(_("您已申请本批次。"), field_errors={"round": [_("批次：您已申请本批次。")]})
    else:  # pragma: no cover - seven random characters colliding five times
        raise Conflict(_("请稍后重试。"))
    notification_send(recipient=applicant, title=_("人才公寓申请已提交：%(r)s") % {"r": rnd.title},
                      body=_("申请编号 %(c)s。申请截止后按规则排序并公示，摇号结果将通知您。") % {"c": app.code},
                      link=reverse("housing:round_detail", kwargs={"code": rnd.code}))
    return app


def application_withdraw(*, application: Application, actor: User) -> Application:
    if application.applicant_id != actor.pk:
        raise NotFound(_("申请不存在。"))
    if application.round.status != RoundStatus.OPEN:
        raise TransitionNotAllowed(_("申请截止后不能撤回，可在配租后放弃。"))
    with transaction.atomic():
        _transition(Application, application.pk, sources=(ApplicationStatus.SUBMITTED,),
                    status=ApplicationStatus.WITHDRAWN)
        audit_record(action="housing.application.withdraw", actor=actor, obj=application)
    application.refresh_from_db()
    return application


def _assess_batch(rnd: AllocationRound, apps: list[Application]) -> dict[int, ranking.Assessed]:
    """Every application at once: the registry's polars frame on the closing date, the round's rule set in batch
    (``evaluate_frame``), the tie keys in two queries. Keys are application ids."""
    from onestop.talents.choices import CertificateStatus, CertTrack
    from onestop.talents.facts import registry_frame
    from onestop.talents.models import Certificate, SocialInsuranceMonth, TalentProfile

    if not apps:
        return {}
    profile_of = dict(TalentProfile.objects.filter(user_id__in=[a.applicant_id for a in apps])
                      .values_list("user_id", "pk"))
    profiles = list(profile_of.values())
    frame = registry_frame(as_of=rnd.closes_on, profile_ids=profiles)
    out = rules.engine_for(rnd.rule_set).evaluate_frame(frame, as_of=rnd.closes_on, keep=["person_id"])
    by_profile = ranking.assess_frame(out, rnd.rule_set.ranking)
    batches = dict(Certificate.objects.filter(profile_id__in=profiles, track=CertTrack.STANDARD,
                                              status=CertificateStatus.VALID).values_list("profile_id", "valid_from"))
    pensions = dict(SocialInsuranceMonth.objects.filter(profile_id__in=profiles).values("profile_id")
                    .annotate(first=Min("month")).values_list("profile_id", "first"))
    result: dict[int, ranking.Assessed] = {}
    for app in apps:
        profile_id = profile_of.get(app.applicant_id)
        item = by_profile.get(profile_id) if profile_id is not None else None
        if item is None or profile_id is None:
            continue
        batch, pension = batches.get(profile_id), pensions.get(profile_id)
        item.key = app.pk
        item.cert_batch = batch.isoformat() if batch else ""
        item.pension_start = pension.isoformat() if pension else ""
        item.applied_on = timezone.localtime(app.applied_at).date().isoformat()
        item.applied_at = app.applied_at.isoformat()
        result[app.pk] = item
    return result


def preferences_bytes(rnd: AllocationRound, apps: list[Application]) -> bytes:
    return lottery.canonical_bytes({"round": rnd.code, "preferences": {a.code: list(a.preferences) for a in apps}})


def round_publish(*, rnd: AllocationRound, actor: User, today: date | None = None) -> AllocationRound:
    """After the window: assess every application with the round's rule set on the closing date, rank them (group,
    then the group's tie-breakers; equal keys share a rank), commit to a secret seed and publish the masked list, the
    ranks, the units, the preferences' digest and the seed's SHA-256."""
    _require_staff(actor, action="housing.round.publish", obj=rnd)
    day = today or wd.today()
    if day <= rnd.closes_on:
        raise TransitionNotAllowed(_("申请期 %(d)s 结束后才能排序公示。") % {"d": rnd.closes_on.isoformat()})
    groups = rnd.rule_set.ranking.get("groups", [])
    seed = secrets.token_hex(32)
    with transaction.atomic():
        _transition(AllocationRound, rnd.pk, sources=(RoundStatus.OPEN, RoundStatus.CLOSED),
                    status=RoundStatus.PUBLISHED, seed=seed, seed_sha256=lottery.sha256_hex(seed),
                    published_at=timezone.now())
        apps = list(Application.objects.filter(round=rnd, status=ApplicationStatus.SUBMITTED)
                    .select_related("applicant").order_by("code"))
        assessed = _assess_batch(rnd, apps)
        ranks = ranking.dense_ranks(assessed.values(), groups)
        ranked: list[Application] = []
        for app in apps:
            item = assessed.get(app.pk)
            if item is None or not item.eligible or item.group_order is None:
                app.status = ApplicationStatus.INELIGIBLE
                app.explanation = _assess(rnd, app.applicant, as_of=rnd.closes_on)["explanation"]
                continue
            group = groups[item.group_order]
            app.group_order, app.group_tier = item.group_order, group["tier"]
            app.group_label, app.guaranteed = group.get("label", group["tier"]), bool(group.get("guaranteed"))
            app.points, app.cert_batch = item.points, item.cert_batch
            app.pension_start = date.fromisoformat(item.pension_start) if item.pension_start else None
            app.rank = ranks[app.pk]
            app.status = ApplicationStatus.RANKED
            ranked.append(app)
        Application.objects.bulk_update(apps, ["status", "explanation", "group_order", "group_tier", "group_label",
                                               "guaranteed", "points", "cert_batch", "pension_start", "rank"])
        rnd.refresh_from_db()
        prefs = preferences_bytes(rnd, ranked)
        units = list(rnd.round_units.select_related("unit").order_by("unit__code"))
        doc = {
            "algorithm": lottery.ALGORITHM, "round": rnd.code, "title": rnd.title,
            "rule_set": {"code": rnd.rule_set.code, "version": rnd.rule_set.version,
                         "sha256": rnd.rule_set.sha256},
            "seed_sha256": rnd.seed_sha256, "preferences_sha256": lottery.sha256_hex(prefs),
            "units": [{"code": ru.unit.code, "layout": ru.unit.layout, "area_m2": str(ru.unit.area_m2)}
                      for ru in units],
            "applicants": [_public_applicant(a, groups[a.group_order or 0])
                           for a in sorted(ranked, key=lambda x: (x.rank or 0, x.code))],
        }
        _publish(rnd, "applicants.json", lottery.canonical_bytes(doc))
        audit_record(action="housing.round.publish", actor=actor, obj=rnd,
                     after={"ranked": len(ranked), "ineligible": len(apps) - len(ranked),
                            "seed_sha256": rnd.seed_sha256})
        guaranteed = sum(1 for a in ranked if a.guaranteed)
        if guaranteed > len(units):
            audit_record(action="housing.round.guarantee_shortfall", actor=actor, obj=rnd,
                         detail={"guaranteed": guaranteed, "units": len(units)})
    return rnd


def surname_only(name: str | None) -> str:
    """张* — the public lists carry the surname only: with the given name's length or last character, a few
    applicants of a small group could be recognised by colleagues."""
    return (name or "").strip()[:1] + "*" if (name or "").strip() else ""


def _public_applicant(app: Application, group: dict[str, Any]) -> dict[str, Any]:
    """One line of ``applicants.json``: what is needed to check the ranks and no more. The tie keys are published
    only for the group that uses them (``ranking.groups[].order``); the pension start only as a year (the exact
    month decides the rank, so two applicants of one year may have different ranks; each applicant sees their own
    exact keys on their page); the name with the surname only."""
    keys = {name.lstrip("-") for name in group.get("order", [])}
    row: dict[str, Any] = {"code": app.code, "name": surname_only(app.applicant.real_name), "group": app.group_label,
                           "guaranteed": app.guaranteed, "rank": app.rank}
    if "points" in keys:
        row["points"] = app.points
    if "cert_batch" in keys:
        row["cert_batch"] = app.cert_batch
    if "pension_start" in keys:
        row["pension_start"] = f"{app.pension_start:%Y}" if app.pension_start else ""
    if "applied_on" in keys:
        row["applied_on"] = timezone.localtime(app.applied_at).date().isoformat()
    if "applied_at" in keys:
        row["applied_at"] = app.applied_at.isoformat()
    return row


def _publish(rnd: AllocationRound, name: str, content: bytes) -> Publication:
    return Publication.objects.create(round=rnd, name=name, content=content.decode("utf-8"),
                                      sha256=lottery.sha256_hex(content))


def publication_bytes(rnd: AllocationRound, name: str) -> bytes:
    pub = Publication.objects.filter(round=rnd, name=name).first()
    if pub is None:
        raise NotFound(_("该文件尚未公布。"))
    return pub.content.encode("utf-8")


def round_draw(*, rnd: AllocationRound, actor: User, today: date | None = None) -> AllocationRound:
    """Reveal the seed and allocate with the pure function over the *published* files; create offers in order and
    put everyone else on the waiting list."""
    _require_staff(actor, action="housing.round.draw", obj=rnd)
    day = today or wd.today()
    rnd.refresh_from_db()
    with transaction.atomic():
        _transition(AllocationRound, rnd.pk, sources=(RoundStatus.PUBLISHED,), status=RoundStatus.DRAWN,
                    drawn_at=timezone.now())
        ranked = list(Application.objects.filter(round=rnd, status=ApplicationStatus.RANKED).order_by("code"))
        prefs = preferences_bytes(rnd, ranked)
        applicants_doc = json.loads(publication_bytes(rnd, "applicants.json"))
        result = lottery.recompute(applicants_doc=applicants_doc, preferences_bytes=prefs, seed=rnd.seed)
        _publish(rnd, "preferences.json", prefs)
        _publish(rnd, "seed.txt", rnd.seed.encode())
        _publish(rnd, "result.json", result)
        order = json.loads(result)["order"]
        by_code = {a.code: a for a in ranked}
        units = {u.code: u for u in Unit.objects.filter(round_offers__round=rnd)}
        deadline = wd.add_working_days(day, rnd.offer_days)
        for row in order:
            app = by_code[row["code"]]
            app.position = row["position"]
            app.status = ApplicationStatus.OFFERED if row["unit"] else ApplicationStatus.WAITLISTED
        Application.objects.bulk_update(ranked, ["position", "status"])
        for row in order:
            if row["unit"]:
                _make_offer(by_code[row["code"]], units[row["unit"]], deadline, rnd)
            else:
                notification_send(recipient=by_code[row["code"]].applicant,
                                  title=_("人才公寓摇号结果：轮候第 %(p)d 位") % {"p": row["position"]},
                                  body=_("本批次房源已配完，您在轮候名单中，有人放弃时将依次递补。"),
                                  link=reverse("housing:round_detail", kwargs={"code": rnd.code}))
        audit_record(action="housing.round.draw", actor=actor, obj=rnd,
                     after={"allocated": sum(1 for r in order if r["unit"]), "result_sha256": lottery.sha256_hex(result)})
    rnd.refresh_from_db()
    return rnd


def _make_offer(app: Application, unit: Unit, deadline: date, rnd: AllocationRound) -> Offer:
    offer = Offer.objects.create(application=app, unit=unit, deadline=deadline)
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.RESERVED)
    notification_send(recipient=app.applicant, title=_("人才公寓配租通知：%(u)s") % {"u": unit.code},
                      body=_("请在 %(d)s 前确认是否接受（%(l)s，%(a)s ㎡，实付月租金 %(r)s 元）。") % {
                          "d": deadline.isoformat(), "l": unit.get_layout_display(), "a": unit.area_m2,
                          "r": f"{unit.payable_rent_fen / 100:.2f}"},
                      link=reverse("housing:offer_detail", kwargs={"pk": offer.pk}),
                      channels=(NotificationChannel.SMS,))
    return offer


def _offer_next(rnd: AllocationRound, unit: Unit, *, today: date) -> Offer | None:
    """The freed unit goes to the first waiting applicant (in draw order) who wants its layout, or to a waiting
    guaranteed applicant; with nobody waiting the unit becomes vacant again."""
    for app in (Application.objects.filter(round=rnd, status=ApplicationStatus.WAITLISTED)
                .select_related("applicant").order_by("position")):
        if unit.layout in app.preferences or app.guaranteed:
            if Application.objects.filter(pk=app.pk, status=ApplicationStatus.WAITLISTED).update(
                    status=ApplicationStatus.OFFERED) != 1:
                continue
            offer = _make_offer(app, unit, wd.add_working_days(today, rnd.offer_days), rnd)
            audit_record(action="housing.offer.cascade", obj=offer, detail={"to": app.code, "unit": unit.code})
            return offer
    Unit.objects.filter(pk=unit.pk, status=UnitStatus.RESERVED).update(status=UnitStatus.VACANT)
    return None


def offer_accept(*, offer: Offer, actor: User, today: date | None = None) -> Lease:
    """Accept within the deadline: the lease starts (term, rent, discount and deposit from the unit and the round's
    rule set). The database refuses a second active talent apartment for the same person."""
    day = today or wd.today()
    app = offer.application
    if app.applicant_id != actor.pk:
        raise NotFound(_("配租通知不存在。"))
    if offer.deadline < day:
        raise TransitionNotAllowed(_("已超过确认期限 %(d)s。") % {"d": offer.deadline.isoformat()})
    rule_set = app.round.rule_set
    months = int(rules.param(rule_set, "lease_months", as_of=day))
    deposit_months = int(rules.param(rule_set, "deposit_months", as_of=day))
    unit = offer.unit
    try:
        with transaction.atomic():
            _transition(Offer, offer.pk, sources=(OfferStatus.OPEN,), status=OfferStatus.ACCEPTED,
                        decided_at=timezone.now())
            _transition(Application, app.pk, sources=(ApplicationStatus.OFFERED,), status=ApplicationStatus.ACCEPTED)
            payable = payable_rent(unit.monthly_rent_fen, unit.discount_percent)
            start = day + timedelta(days=1)
            lease = Lease.objects.create(
                tenant=actor, unit=unit, offer=offer, start_date=start, end_date=start + relativedelta(months=months),
                monthly_rent_fen=unit.monthly_rent_fen, discount_percent=unit.discount_percent,
                payable_rent_fen=payable, deposit_fen=payable * deposit_months)
            Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.OCCUPIED)
            audit_record(action="housing.offer.accept", actor=actor, obj=offer, after={"lease": lease.pk})
    except IntegrityError:
        raise Conflict(_("每人只能承租一套人才公寓，您已有在租的人才公寓。"),
                       field_errors={"offer": [_("配租：您已有在租的人才公寓。")]})
    notification_send(recipient=actor, title=_("人才公寓租赁合同已生成"),
                      body=_("%(u)s，租期 %(a)s 至 %(b)s。") % {"u": unit.code, "a": lease.start_date.isoformat(),
                                                             "b": lease.end_date.isoformat()},
                      link=reverse("housing:lease_detail", kwargs={"pk": lease.pk}))
    return lease


def offer_decline(*, offer: Offer, actor: User, today: date | None = None) -> Offer:
    day = today or wd.today()
    app = offer.application
    if app.applicant_id != actor.pk:
        raise NotFound(_("配租通知不存在。"))
    with transaction.atomic():
        _transition(Offer, offer.pk, sources=(OfferStatus.OPEN,), status=OfferStatus.DECLINED,
                    decided_at=timezone.now())
        _transition(Application, app.pk, sources=(ApplicationStatus.OFFERED,), status=ApplicationStatus.DECLINED)
        audit_record(action="housing.offer.decline", actor=actor, obj=offer)
        _offer_next(app.round, offer.unit, today=day)
    offer.refresh_from_db()
    return offer


def offers_lapse(*, today: date | None = None) -> int:
    """Open offers past their deadline lapse and go to the next in line. Idempotent; run daily."""
    day = today or wd.today()
    lapsed = 0
    for offer in Offer.objects.filter(status=OfferStatus.OPEN, deadline__lt=day).select_related(
            "application__round", "unit", "application__applicant"):
        with transaction.atomic():
            if Offer.objects.filter(pk=offer.pk, status=OfferStatus.OPEN).update(
                    status=OfferStatus.LAPSED, decided_at=timezone.now()) != 1:
                continue
            Application.objects.filter(pk=offer.application_id, status=ApplicationStatus.OFFERED).update(
                status=ApplicationStatus.LAPSED)
            audit_record(action="housing.offer.lapse", obj=offer)
            notification_send(recipient=offer.application.applicant, title=_("人才公寓配租已逾期"),
                              body=_("您未在 %(d)s 前确认，房源已依次递补。") % {"d": offer.deadline.isoformat()})
            _offer_next(offer.application.round, offer.unit, today=day)
            lapsed += 1
    return lapsed
