"""The shell pages: public home, personal centre, employer centre, staff workbench, partner desk, inbox."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .. import selectors
from ..exceptions import NotFound
from ..masking import MASKERS
from ..models import WorkerHeartbeat
from ..notifications import notification_mark_all_read, notification_mark_read, notifications_for
from ..permissions import Capability, has_capability
from ..services import pii_reveal

ViewFunc = Callable[..., HttpResponse]


def capability_required(capability: Capability) -> Callable[[ViewFunc], ViewFunc]:
    """Signed in and holding the capability, else 404 (a forbidden page and a missing page look the same)."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_capability(request.user, capability):  # type: ignore[arg-type]
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {
        "announcements": selectors.announcements_public(),
        "counts": selectors.platform_counts(),
    })


@capability_required(Capability.TALENT_CENTRE)
def me(request: HttpRequest) -> HttpResponse:
    from onestop.talents.selectors import talent_profile_for

    return render(request, "core/me.html", {"profile": talent_profile_for(user=request.user)})  # type: ignore[arg-type]


@capability_required(Capability.EMPLOYER_CENTRE)
def employer_home(request: HttpRequest) -> HttpResponse:
    from onestop.employers.selectors import enterprises_for

    return render(request, "core/employer_home.html", {
        "enterprises": enterprises_for(user=request.user),  # type: ignore[arg-type]
    })


@capability_required(Capability.STAFF_WORKBENCH)
def staff_home(request: HttpRequest) -> HttpResponse:
    data = selectors.registrations_by_day(days=30)
    option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [_("人才"), _("用人单位")]},
        "grid": {"left": 40, "right": 16, "top": 40, "bottom": 40},
        "xAxis": {"type": "category", "data": [d[5:] for d in data["labels"]]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"name": _("人才"), "type": "line", "smooth": True, "data": data["series"]["talent"]},
            {"name": _("用人单位"), "type": "bar", "data": data["series"]["employer"]},
        ],
    }
    return render(request, "core/staff_home.html", {
        "departments": selectors.departments_for_staff(user=request.user),  # type: ignore[arg-type]
        "chart_option": option,
        "chart_data": data,
        "counts": selectors.platform_counts(),
    })


@capability_required(Capability.PARTNER_DESK)
def partner_home(request: HttpRequest) -> HttpResponse:
    from ..models import PartnerOrganization

    partners = PartnerOrganization.objects.filter(pk__in=request.user.partner_ids())  # type: ignore[union-attr]
    return render(request, "core/partner_home.html", {"partners": partners})


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    qs = notifications_for(user=request.user)  # type: ignore[arg-type]
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "core/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        note = notification_mark_read(user=request.user, notification_id=pk)  # type: ignore[arg-type]
    except NotFound:
        raise Http404
    return render(request, "core/partials/notification.html", {"n": note})


@login_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    notification_mark_all_read(user=request.user)  # type: ignore[arg-type]
    return inbox(request)


@login_required
@require_POST
@never_cache
def pii_show(request: HttpRequest, user_id: int, field: str) -> HttpResponse:
    """htmx: swap a masked value for the real one (audited), with a button to hide it again."""
    try:
        value = pii_reveal(viewer=request.user, subject_id=user_id, field=field)  # type: ignore[arg-type]
    except NotFound:
        raise Http404
    return render(request, "core/partials/pii_value.html",
                  {"value": value, "user_id": user_id, "field": field, "revealed": True})


@login_required
@require_GET
def pii_hide(request: HttpRequest, user_id: int, field: str) -> HttpResponse:
    from ..models import User
    from ..permissions import can_unmask

    subject = User.objects.filter(pk=user_id).first()
    if field not in MASKERS or subject is None or not can_unmask(request.user, subject):  # type: ignore[arg-type]
        raise Http404
    return render(request, "core/partials/pii_value.html",
                  {"value": MASKERS[field](getattr(subject, field)), "user_id": user_id, "field": field,
                   "revealed": False})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Load balancer check: the database answers and a task worker has reported in recently."""
    from django.conf import settings

    checks: dict[str, dict[str, object]] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception:
        checks["database"] = {"ok": False}
        healthy = False
    if checks["database"]["ok"]:
        newest = WorkerHeartbeat.objects.order_by("-last_seen").first()
        age = (timezone.now() - newest.last_seen).total_seconds() if newest else None
        ok = age is not None and age <= settings.WORKER_STALE_SECONDS
        checks["worker"] = {"ok": ok, "last_seen_seconds_ago": round(age, 1) if age is not None else None}
        healthy = healthy and ok
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", {"message": _("页面不存在，或您无权访问。")}, status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No request context: the database may be the reason we are here, and context processors query it.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render({}), status=500)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)
