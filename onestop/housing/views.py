"""Thin adapters: parse the form → call one service or selector → render. Talent pages need the talent centre, the
desk needs housing staff (anyone else gets 404); the round's published files are public."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onestop.core.exceptions import ApplicationError, NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability
from onestop.core.views.pages import capability_required
from onestop.workflow import calendar as wd

from . import importer, selectors, services
from .choices import Layout, OfferStatus, RoundStatus, StayStatus
from .forms import (
    ApplyForm,
    AssignForm,
    BedForm,
    BedServiceForm,
    DeliverForm,
    ImportForm,
    MoveOutForm,
    ProjectForm,
    ReasonForm,
    ReviewForm,
    RoundForm,
    StationForm,
    StayForm,
    TokenForm,
    UnitEditForm,
    UnitForm,
)
from .permissions import is_housing_staff
from .render import qr_svg

ViewFunc = Callable[..., HttpResponse]


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def staff_required(view: ViewFunc) -> ViewFunc:
    @capability_required(Capability.HOUSING_DESK)
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_housing_staff(_user(request)):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _message_error(request: HttpRequest, exc: ApplicationError) -> None:
    messages.error(request, "；".join(m for ms in exc.field_errors.values() for m in ms) or exc.message)


def _back(name: str, **kwargs: Any) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(f"housing:{name}", kwargs=kwargs or None))


def _notfound(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except NotFound:
        raise Http404


# --- talent ----------------------------------------------------------------------------------------------------------

@capability_required(Capability.TALENT_CENTRE)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(request, "housing/home.html", {
        "stays": selectors.stays_for(user=user)[:20],
        "nights_used": services.nights_used(user=user),
        "terms": services.stay_terms(),
        "applications": selectors.applications_for(user=user)[:20],
        "offers": selectors.offers_for(user=user).filter(status=OfferStatus.OPEN),
        "leases": selectors.leases_for(user=user),
        "gifts": selectors.gifts_for(user=user),
        "rounds": selectors.rounds_visible(user=user).filter(status=RoundStatus.OPEN),
        "stations": selectors.stations_open(),
    })


@capability_required(Capability.TALENT_CENTRE)
@require_http_methods(["GET", "POST"])
def stay_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    stations = list(selectors.stations_open())
    terms = services.stay_terms()
    form = StayForm(request.POST or None, stations=[(str(s.pk), f"{s.name}（{s.address}）") for s in stations],
                    initial={"check_in": terms.earliest_check_in, "station": request.GET.get("station", "")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            station = next(s for s in stations if str(s.pk) == form.cleaned_data["station"])
            try:
                booking = services.stay_book(guest=user, station=station, check_in=form.cleaned_data["check_in"],
                                             nights=form.cleaned_data["nights"], purpose=form.cleaned_data["purpose"])
                messages.success(request, _("预订成功：%(s)s。") % {"s": booking.get_status_display()})
                return _back("stay_detail", pk=booking.pk)
            except ApplicationError as exc:
                form.apply_error(exc)
        status = 422
    return render(request, "housing/stay_form.html", {
        "form": form, "terms": terms, "nights_used": services.nights_used(user=user)}, status=status)


@capability_required(Capability.TALENT_CENTRE)
@require_GET
@never_cache
def stay_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _notfound(lambda: selectors.stay_for(user=_user(request), pk=pk))
    if booking.guest_id != request.user.pk:
        raise Http404
    show_qr = booking.status in (StayStatus.CONFIRMED, StayStatus.CHECKED_IN)
    return render(request, "housing/stay_detail.html", {
        "booking": booking, "qr_svg": qr_svg(booking.token) if show_qr else "",
        "can_cancel": booking.status in (StayStatus.PENDING, StayStatus.CONFIRMED)})


@capability_required(Capability.TALENT_CENTRE)
@require_POST
def stay_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    booking = _notfound(lambda: selectors.stay_for(user=user, pk=pk))
    try:
        services.stay_cancel(booking=booking, actor=user)
        messages.success(request, _("预订已取消，晚数已退回。"))
    except NotFound:
        raise Http404
    except ApplicationError as exc:
        _message_error(request, exc)
    return _back("stay_detail", pk=pk)


@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    """Rounds are public (the lottery is verifiable by anyone); drafts only for housing staff."""
    return render(request, "housing/round_list.html", {"rounds": selectors.rounds_public()})


@require_http_methods(["GET", "POST"])
def round_detail(request: HttpRequest, code: str) -> HttpResponse:
    rnd = _notfound(lambda: selectors.round_public(code=code))
    user = _user(request) if request.user.is_authenticated else None
    mine = selectors.application_in_round(user=user, rnd=rnd) if user is not None else None
    is_talent = user is not None and user.has_role("talent")
    form = ApplyForm(request.POST or None, layouts=services.round_layouts(rnd)) if is_talent else None
    status = 200
    if request.method == "POST" and request.POST.get("action") == "withdraw":
        if mine is None or user is None:
            raise Http404
        try:
            services.application_withdraw(application=mine, actor=user)
            messages.success(request, _("申请已撤回。"))
        except ApplicationError as exc:
            _message_error(request, exc)
        return _back("round_detail", code=code)
    if request.method == "POST":
        if form is None or user is None:
            raise Http404
        if form.is_valid():
            try:
                services.application_submit(rnd=rnd, applicant=user, preferences=form.preferences())
                messages.success(request, _("申请已提交。"))
                return _back("round_detail", code=code)
            except ApplicationError as exc:
                form.apply_error(exc)
        status = 422
    today = wd.today()
    return render(request, "housing/round_detail.html", {
        "round": rnd, "mine": mine, "form": form, "is_talent": is_talent,
        "window_open": rnd.status == RoundStatus.OPEN and rnd.opens_on <= today <= rnd.closes_on,
        "units": rnd.round_units.select_related("unit__building__project"),
        "files": selectors.publications_of(rnd=rnd), "results": selectors.round_results(rnd=rnd),
        "layout_labels": dict(Layout.choices), "steps": _round_steps(rnd),
    }, status=status)


@require_GET
def round_file(request: HttpRequest, code: str, name: str) -> HttpResponse:
    """A published file, byte for byte (public: names are masked)."""
    rnd = _notfound(lambda: selectors.round_public(code=code))
    pub = _notfound(lambda: selectors.publication_of(rnd=rnd, name=name))
    content_type = "application/json" if name.endswith(".json") else "text/plain"
    response = HttpResponse(pub.content.encode("utf-8"), content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{rnd.code}-{name}"'
    response["X-Content-SHA256"] = pub.sha256
    return response


@capability_required(Capability.TALENT_CENTRE)
@require_http_methods(["GET", "POST"])
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    offer = _notfound(lambda: selectors.offer_for(user=user, pk=pk))
    if request.method == "POST":
        try:
            if request.POST.get("action") == "accept":
                lease = services.offer_accept(offer=offer, actor=user)
                messages.success(request, _("已接受配租，租赁合同已生成。"))
                return _back("lease_detail", pk=lease.pk)
            services.offer_decline(offer=offer, actor=user)
            messages.success(request, _("已放弃配租，房源将依次递补给轮候人。"))
            return _back("home")
        except ApplicationError as exc:
            _message_error(request, exc)
            return _back("offer_detail", pk=pk)
    return render(request, "housing/offer_detail.html", {"offer": offer, "unit": offer.unit})


@require_http_methods(["GET", "POST"])
def lease_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    user = _user(request)
    lease = _notfound(lambda: selectors.lease_for(user=user, pk=pk))
    staff = is_housing_staff(user)
    move_form = MoveOutForm(request.POST if request.POST.get("action") == "move_out" else None,
                            initial={"moved_out_on": wd.today(), "deposit_returned": Decimal(lease.deposit_fen) / 100})
    review_form = ReviewForm(request.POST if request.POST.get("action") == "review" else None)
    if request.method == "POST":
        if not staff:
            raise Http404
        action = request.POST.get("action")
        try:
            if action == "renew":
                services.lease_renew(lease=lease, actor=user)
                messages.success(request, _("已续租。"))
            elif action == "move_out" and move_form.is_valid():
                services.lease_move_out(lease=lease, actor=user, moved_out_on=move_form.cleaned_data["moved_out_on"],
                                        deposit_returned_fen=int(move_form.cleaned_data["deposit_returned"] * 100),
                                        deposit_note=move_form.cleaned_data["deposit_note"])
                messages.success(request, _("退租已办结。"))
            elif action == "review" and review_form.is_valid():
                services.lease_review_clear(lease=lease, actor=user, note=review_form.cleaned_data["note"])
                messages.success(request, _("复核完成。"))
            else:
                messages.error(request, _("提交的信息有误，请按提示修改。"))
        except ApplicationError as exc:
            _message_error(request, exc)
        return _back("lease_detail", pk=pk)
    return render(request, "housing/lease_detail.html", {"lease": lease, "staff": staff, "move_form": move_form,
                                                         "review_form": review_form})


# --- staff desk ------------------------------------------------------------------------------------------------------

@staff_required
@require_GET
@never_cache
def desk(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = wd.today()
    data = selectors.occupancy(user=user, start=today - timedelta(days=30), end=today + timedelta(days=14))
    return render(request, "housing/desk.html", {
        "counts": selectors.desk_counts(user=user), "pending": selectors.desk_pending(user=user)[:50],
        "arrivals": selectors.desk_arrivals(user=user)[:50], "today": today, "token_form": TokenForm(),
        "reason_form": ReasonForm(),
        "beds_chart": selectors.occupancy_chart(data, prefix="beds", title=_("驿站床位（晚）")),
        "units_chart": selectors.occupancy_chart(data, prefix="units", title=_("公寓与人才住房房源")),
    })


@staff_required
@require_POST
def stay_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    booking = _notfound(lambda: selectors.stay_for_staff(user=user, pk=pk))
    try:
        services.stay_decide(booking=booking, actor=user, approve=request.POST.get("decision") == "approve",
                             reason=request.POST.get("reason", ""))
        messages.success(request, _("已答复 %(r)s。") % {"r": booking.reference})
    except ApplicationError as exc:
        _message_error(request, exc)
    return _back("desk")


@staff_required
@require_http_methods(["GET", "POST"])
def scan(request: HttpRequest) -> HttpResponse:
    """The desk scans the booking's QR (its token) and checks the guest in or out."""
    user = _user(request)
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()
    booking = None
    if token:
        try:
            booking = services.stay_by_token(actor=user, token=token)
        except NotFound as exc:
            messages.error(request, exc.message)
    if request.method == "POST" and booking is not None:
        try:
            if request.POST.get("action") == "check_in":
                services.stay_check_in(booking=booking, actor=user)
                messages.success(request, _("已办理入住。"))
            elif request.POST.get("action") == "check_out":
                services.stay_check_out(booking=booking, actor=user)
                messages.success(request, _("已办理退房。"))
        except ApplicationError as exc:
            _message_error(request, exc)
        return HttpResponseRedirect(f"{reverse('housing:scan')}?token={booking.token}")
    return render(request, "housing/scan.html", {"booking": booking, "form": TokenForm(initial={"token": token})})


@staff_required
@require_http_methods(["GET", "POST"])
def inventory(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    projects = list(selectors.projects_for_staff(user=user))
    project_choices = [(p.code, p.name) for p in projects]
    action = request.POST.get("action", "")
    forms_by_action: dict[str, Any] = {
        "project": ProjectForm(request.POST if action == "project" else None, prefix="p"),
        "unit": UnitForm(request.POST if action == "unit" else None, projects=project_choices, prefix="u"),
        "station": StationForm(request.POST if action == "station" else None, prefix="s"),
        "import": ImportForm(request.POST if action == "import" else None,
                             request.FILES if action == "import" else None, prefix="i"),
    }
    report = None
    status = 200
    if request.method == "POST":
        form = forms_by_action.get(action)
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "project":
                    services.project_save(actor=user, code=data["code"], name=data["name"], kind=data["kind"],
                                          address=data["address"])
                elif action == "unit":
                    project = next(p for p in projects if p.code == data["project"])
                    services.unit_save(actor=user, project=project, building=data["building"],
                                       number=data["number"], floor=data["floor"], area_m2=data["area_m2"],
                                       layout=data["layout"], monthly_rent_fen=int(data["monthly_rent"] * 100),
                                       discount_percent=data["discount_percent"], status=data["status"])
                elif action == "station":
                    services.station_save(actor=user, code=data["code"], name=data["name"],
                                          address=data["address"], phone=data["phone"])
                elif action == "import":
                    upload = data["file"]
                    report = importer.inventory_import(actor=user, content=upload.read(), file_name=upload.name)
                    if report.ok:
                        messages.success(request, _("导入成功：房源 %(u)d 套，床位 %(b)d 张。") % {
                            "u": report.units, "b": report.beds})
                        return _back("inventory")
                    status = 422
                if action != "import":
                    messages.success(request, _("已保存。"))
                    return _back("inventory")
            except ApplicationError as exc:
                form.apply_error(exc)
                status = 422
        else:
            status = 422
    return render(request, "housing/inventory.html", {
        "projects": projects, "stations": selectors.stations_for_staff(user=user),
        "units": selectors.units_for_staff(user=user, project=request.GET.get("project", ""),
                                           status=request.GET.get("status", ""))[:300],
        "forms": forms_by_action, "report": report,
    }, status=status)


@staff_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(importer.template_bytes(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="housing-inventory-template.xlsx"'
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def station_beds(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    station = _notfound(lambda: selectors.station_for_staff(user=user, pk=pk))
    form = BedForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.bed_add(actor=user, station=station, room=form.cleaned_data["room"],
                                 label=form.cleaned_data["label"])
                messages.success(request, _("床位已添加。"))
                return _back("station_beds", pk=pk)
            except ApplicationError as exc:
                form.apply_error(exc)
        status = 422
    rooms = station.rooms.prefetch_related("beds")
    return render(request, "housing/station_beds.html", {"station": station, "rooms": rooms, "form": form},
                  status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    unit = _notfound(lambda: selectors.unit_for_staff(user=user, pk=pk))
    form = UnitEditForm(request.POST or None, initial={
        "area_m2": unit.area_m2, "layout": unit.layout, "monthly_rent": Decimal(unit.monthly_rent_fen) / 100,
        "discount_percent": unit.discount_percent, "status": unit.status})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.unit_update(actor=user, unit=unit, area_m2=d["area_m2"], layout=d["layout"],
                                     monthly_rent_fen=int(d["monthly_rent"] * 100),
                                     discount_percent=d["discount_percent"], status=d["status"])
                messages.success(request, _("房源已保存。"))
                return _back("unit_edit", pk=pk)
            except ApplicationError as exc:
                form.apply_error(exc)
        status = 422
    return render(request, "housing/unit_edit.html", {
        "unit": unit, "form": form, "rounds": selectors.unit_rounds(user=user, unit=unit)}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def bed_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A bed: take it out of service (bookings from tonight on move to other beds) or back in service."""
    user = _user(request)
    bed = _notfound(lambda: selectors.bed_for_staff(user=user, pk=pk))
    form = BedServiceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if bed.is_active:
                    services.bed_take_out_of_service(actor=user, bed=bed, reason=form.cleaned_data["reason"])
                    messages.success(request, _("床位已停用，不再接受预订。"))
                else:
                    services.bed_return_to_service(actor=user, bed=bed, note=form.cleaned_data["reason"])
                    messages.success(request, _("床位已恢复使用。"))
                return _back("bed_detail", pk=pk)
            except ApplicationError as exc:
                form.apply_error(exc)
        status = 422
    return render(request, "housing/bed_detail.html", {
        "bed": bed, "form": form,
        "nights": selectors.bed_upcoming_nights(user=user, bed=bed, today=wd.today())[:100]}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def rounds_manage(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    units = [(str(u.pk), f"{u.code} · {u.get_layout_display()} · {u.area_m2}㎡")
             for u in selectors.apartment_units_free(user=user)]
    form = RoundForm(request.POST or None, units=units)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                rnd = services.round_create(actor=user, code=d["code"], title=d["title"], opens_on=d["opens_on"],
                                            closes_on=d["closes_on"], offer_days=d["offer_days"],
                                            unit_ids=[int(u) for u in d["units"]], open_now=d["open_now"])
                messages.success(request, _("批次已创建并开放申请。") if d["open_now"] else _("批次草稿已保存。"))
                return _back("round_manage", code=rnd.code)
            except ApplicationError as exc:
                form.apply_error(exc)
        status = 422
    return render(request, "housing/rounds_manage.html", {
        "rounds": selectors.rounds_visible(user=user), "form": form}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def round_manage(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    rnd = _notfound(lambda: selectors.round_for(user=user, code=code))
    if request.method == "POST":
        try:
            if request.POST.get("action") == "publish":
                services.round_publish(rnd=rnd, actor=user)
                messages.success(request, _("排序已公示，种子摘要已公布。"))
            elif request.POST.get("action") == "draw":
                services.round_draw(rnd=rnd, actor=user)
                messages.success(request, _("摇号完成，种子与结果已公布，配租通知已发送。"))
            elif request.POST.get("action") == "open":
                services.round_open(rnd=rnd, actor=user)
                messages.success(request, _("批次已开放申请。"))
            elif request.POST.get("action") == "close":
                services.round_close(rnd=rnd, actor=user)
                messages.success(request, _("批次已截止申请。"))
            elif request.POST.get("action") == "finish":
                services.round_finish(rnd=rnd, actor=user)
                messages.success(request, _("批次已结束。"))
        except ApplicationError as exc:
            _message_error(request, exc)
        return _back("round_manage", code=code)
    return render(request, "housing/round_manage.html", {
        "round": rnd, "applications": selectors.round_applications(user=user, rnd=rnd),
        "files": selectors.publications_of(rnd=rnd), "today": wd.today(), "steps": _round_steps(rnd)})


def _round_steps(rnd: Any) -> list[dict[str, Any]]:
    """The round's lifecycle for the pages: every state, the current one marked, the past ones done."""
    order = list(RoundStatus)
    here = order.index(RoundStatus(rnd.status))
    return [{"label": s.label, "value": s.value, "current": i == here, "done": i < here} for i, s in enumerate(order)]


@staff_required
@require_GET
def leases_manage(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(request, "housing/leases_manage.html", {
        "leases": selectors.leases_for_staff(user=user, flagged=request.GET.get("flagged") == "1")[:300],
        "flagged": request.GET.get("flagged") == "1"})


@staff_required
@require_http_methods(["GET", "POST"])
def gifts_manage(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        gift = _notfound(lambda: selectors.gift_for_staff(user=user, pk=int(request.POST.get("gift", "0") or 0)))
        try:
            if request.POST.get("action") == "assign":
                unit = _notfound(lambda: selectors.unit_for_staff(user=user, pk=int(request.POST.get("unit") or 0)))
                services.gift_assign(gift=gift, unit=unit, actor=user)
                messages.success(request, _("房源已分配。"))
            elif request.POST.get("action") == "deliver":
                form = DeliverForm(request.POST)
                if form.is_valid():
                    services.gift_deliver(gift=gift, actor=user, delivered_on=form.cleaned_data["delivered_on"])
                    messages.success(request, _("已登记交付。"))
                else:
                    messages.error(request, _("交付日期：请填写日期。"))
        except (ApplicationError, ValueError) as exc:
            if isinstance(exc, ApplicationError):
                _message_error(request, exc)
            else:
                messages.error(request, _("提交的信息有误。"))
        return _back("gifts_manage")
    gifts = list(selectors.gifts_for_staff(user=user)[:200])
    free = list(selectors.gifted_units_free(user=user))  # one query; each entitlement sees the units within its limit
    rows = [(g, AssignForm(units=[(str(u.pk), f"{u.code} · {u.area_m2}㎡") for u in free if u.area_m2 <= g.max_area_m2],
                           prefix=f"g{g.pk}")) for g in gifts]
    return render(request, "housing/gifts_manage.html", {"rows": rows, "deliver_form": DeliverForm(
        initial={"delivered_on": wd.today()})})


