"""Every write of housing. Each service validates, checks who may do it, changes the data in ``transaction.atomic()``
and writes the audit entry. Status changes are conditional ``UPDATE … WHERE status = <from>`` with a row-count check;
the no-double-booking and one-apartment guarantees are the database's unique constraints (models.py).

Split by concern into modules; every name callers use is re-exported here."""

from __future__ import annotations

from datetime import date

from onestop.workflow import calendar as wd

from .common import (
    _require_staff,
    _transition,
)
from .gifts import (
    gift_assign,
    gift_deliver,
    gift_entitle,
    gifts_flag_for_revocation,
)
from .inventory import (
    MANUAL_UNIT_STATES,
    _unit_upsert,
    bed_add,
    bed_return_to_service,
    bed_take_out_of_service,
    project_save,
    station_save,
    unit_code,
    unit_save,
    unit_update,
)
from .leases import (
    lease_move_out,
    lease_renew,
    lease_review_clear,
    leases_flag_for_revocation,
)
from .rounds import (
    application_submit,
    application_withdraw,
    offer_accept,
    offer_decline,
    offers_lapse,
    preferences_bytes,
    publication_bytes,
    round_close,
    round_create,
    round_draw,
    round_finish,
    round_layouts,
    round_open,
    round_publish,
    surname_only,
)
from .stations import (
    StayTerms,
    nights_used,
    stay_book,
    stay_by_token,
    stay_cancel,
    stay_check_in,
    stay_check_out,
    stay_decide,
    stay_terms,
    stays_escalate_overdue,
    stays_release_no_shows,
)

__all__ = [
    "MANUAL_UNIT_STATES",
    "StayTerms",
    "_require_staff",
    "_transition",
    "_unit_upsert",
    "application_submit",
    "application_withdraw",
    "bed_add",
    "bed_return_to_service",
    "bed_take_out_of_service",
    "gift_assign",
    "gift_deliver",
    "gift_entitle",
    "gifts_flag_for_revocation",
    "housing_tick",
    "lease_move_out",
    "lease_renew",
    "lease_review_clear",
    "leases_flag_for_revocation",
    "nights_used",
    "offer_accept",
    "offer_decline",
    "offers_lapse",
    "preferences_bytes",
    "project_save",
    "publication_bytes",
    "round_close",
    "round_create",
    "round_draw",
    "round_finish",
    "round_layouts",
    "round_open",
    "round_publish",
    "station_save",
    "stay_book",
    "stay_by_token",
    "stay_cancel",
    "stay_check_in",
    "stay_check_out",
    "stay_decide",
    "stay_terms",
    "stays_escalate_overdue",
    "stays_release_no_shows",
    "surname_only",
    "unit_code",
    "unit_save",
    "unit_update",
]


def housing_tick(*, today: date | None = None) -> dict[str, int]:
    """What the scheduler runs daily: release no-shows, escalate undecided bookings, lapse overdue offers (cascading
    to the next in line). Idempotent."""
    day = today or wd.today()
    return {"no_shows": stays_release_no_shows(today=day), "escalated": stays_escalate_overdue(today=day),
            "offers_lapsed": offers_lapse(today=day)}
