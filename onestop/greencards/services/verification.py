"""Verification by partners: the session path (``card_verify``) and the API-key path (``card_verify_m2m``), the
scan log, the rate limits and the partner's field set."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.utils import CursorWrapper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.models import PartnerOrganization, User

from .. import credential, keys
from ..choices import CardClass, CardStatus, VerifyChannel, VerifyReason, VerifyResult
from ..fieldsets import (
    CARD_CLASS,
    EMPLOYER,
    FIELD_SETS,
    NAME,
    PHOTO,
    VALID_UNTIL,
    entitlement_codes,
    fields_for,
)
from ..models import ApiKey, ClassEntitlement, Entitlement, GreenCard, Verification
from .apikeys import API_KEY_PREFIX, Unauthenticated, api_key_hash
from .common import PartnerInfo, RateLimited, checker_partner

# --- verification ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ScanRecord:
    """The scan-log row just written (``Verification``), as the caller needs it: id, verdict and time."""

    pk: int
    card_id: int | None
    result: str
    reason: str
    channel: str
    checked_at: datetime


@dataclass
class VerifyOutcome:
    verification: ScanRecord
    reason: str
    partner: PartnerInfo
    card: CardRow | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.reason == VerifyReason.OK

    @property
    def message(self) -> str:
        return str(VerifyReason(self.reason).label)


STATUS_REASONS = {
    CardStatus.REVOKED: VerifyReason.REVOKED, CardStatus.SUSPENDED: VerifyReason.SUSPENDED,
    CardStatus.REPLACED: VerifyReason.REPLACED, CardStatus.EXPIRED: VerifyReason.EXPIRED,
}


# The verification hot path is plain SQL valid on SQLite and PostgreSQL (the tests run it on both): on this
# platform's 2-core servers the ORM spends longer compiling a query than the database spends answering it
# (docs/performance.md). The API-key path makes two statements — one SELECT for the key, its scope, its recent
# attempts and the card, one INSERT for the scan log; the session path three (rate count, card, log). On PostgreSQL
# they are prepared once per connection (``_cursor``) and the INSERT is its own transaction (ADR 0010).


def _cursor() -> CursorWrapper:
    """A cursor for this module's statements. On PostgreSQL with psycopg 3 and ``prepare_threshold`` set in the
    database OPTIONS (config/settings/base.py): a cursor that binds its parameters on the server, so psycopg prepares
    each statement after that many executions on a connection and PostgreSQL plans the key-and-card SELECT once per
    connection instead of on every request (planning it cost more than running it; ADR 0010). Django's own cursors
    bind on the client and are never prepared, so this changes nothing else. Elsewhere: Django's ordinary cursor.

    Built the way ``connection.cursor()`` builds one (health check, connect, Django's error wrapping and query
    logging), with Django's ``ServerBindingCursor`` — the class its ``server_side_binding`` option uses — in place of
    the connection's default cursor class."""
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: each attribute of the ``connection`` proxy costs a lookup
    if db.vendor != "postgresql" or db.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        return db.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor  # psycopg 3 (the project's driver)

    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        raw = ServerBindingCursor(db.connection)  # type: ignore[call-arg]
        return db._prepare_cursor(raw)  # type: ignore[attr-defined,no-any-return]

# Every entitlement some partner kind may be shown: the card query answers all of them (an EXISTS each, on indexes)
# so one statement serves every partner; ``_present`` keeps only the partner's own.
_ALL_ENTITLEMENT_CODES: tuple[str, ...] = tuple(sorted({code for fields in FIELD_SETS.values()
                                                        for code in entitlement_codes(fields)}))


@dataclass(frozen=True, slots=True)
class CardRow:
    """What verification reads of a card: status, class, validity, photo, the holder's name, the employer's name and
    which of ``_ALL_ENTITLEMENT_CODES`` the card's class carries. Never the ID number, phone or family."""

    pk: int
    card_id: str
    status: str
    card_class: str
    valid_until: date
    photo: str
    holder_id: int
    holder_name: str
    employer_name: str
    entitlements: frozenset[str]


@lru_cache(maxsize=1)
def _card_sql() -> tuple[str, str]:
    """(columns, joins) of the card part: ``c`` the card by ``card_id = %s``, left-joined so that a missing card (or
    no card id at all) still gives the row of the API-key query, with NULLs."""
    from onestop.employers.models import Enterprise
    from onestop.talents.models import TalentProfile

    # One correlated subquery: bit i set when the card's class carries _ALL_ENTITLEMENT_CODES[i] (and it is active).
    bits = " ".join(f"WHEN %s THEN {1 << i}" for i in range(len(_ALL_ENTITLEMENT_CODES)))
    entitlement_bits = (f"(SELECT COALESCE(SUM(CASE e.code {bits} ELSE 0 END), 0) "  # noqa: S608
                        f"FROM {ClassEntitlement._meta.db_table} ce JOIN {Entitlement._meta.db_table} e "
                        "ON e.id = ce.entitlement_id WHERE ce.card_class = c.card_class AND e.is_active)")
    columns = (f"c.id, c.status, c.card_class, c.valid_until, c.photo, c.holder_id, h.real_name, ent.name, "
               f"{entitlement_bits}")
    joins = (f"LEFT JOIN {GreenCard._meta.db_table} c ON c.card_id = %s "
             f"LEFT JOIN {User._meta.db_table} h ON h.id = c.holder_id "
             f"LEFT JOIN {TalentProfile._meta.db_table} tp ON tp.user_id = c.holder_id "
             f"LEFT JOIN {Enterprise._meta.db_table} ent ON ent.id = tp.employer_id")
    return columns, joins


def _card_from(card_id: str | None, row: tuple[Any, ...] | list[Any]) -> CardRow | None:
    if card_id is None or row[0] is None:
        return None
    pk, status, card_class, valid_until, photo, holder_id, holder_name, employer_name = row[:8]
    if isinstance(valid_until, str):
        valid_until = date.fromisoformat(valid_until)
    bits = int(row[8] or 0)
    held = frozenset(code for i, code in enumerate(_ALL_ENTITLEMENT_CODES) if bits & (1 << i))
    return CardRow(int(pk), card_id, status, card_class, valid_until, photo or "", int(holder_id), holder_name or "",
                   employer_name or "", held)


def _card_row(card_id: str) -> CardRow | None:
    """The card, for the session path (the API-key path reads it in its key query)."""
    columns, joins = _card_sql()
    with _cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM (SELECT 1 AS one) one_row {joins}",  # noqa: S608
                       [*_ALL_ENTITLEMENT_CODES, card_id])
        row = cursor.fetchone()
    return _card_from(card_id, row)


def _rate_exceeded(checker: User, moment: datetime, *, api_key_id: int | None = None) -> bool:
    """At most GREENCARD_VERIFY_RATE_PER_MINUTE attempts per checker (GREENCARD_M2M_RATE_PER_MINUTE per API key) in
    any 60 s (sliding window over the scan log, so it holds across processes and servers; two racing requests may
    overshoot by one — a limit, not an invariant)."""
    if api_key_id is not None:
        column, value, limit = "api_key_id", api_key_id, int(settings.GREENCARD_M2M_RATE_PER_MINUTE)
    else:
        column, value, limit = "checker_id", checker.pk, int(settings.GREENCARD_VERIFY_RATE_PER_MINUTE)
    since = connection.ops.adapt_datetimefield_value(moment - timedelta(seconds=60))
    with _cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {Verification._meta.db_table} "  # noqa: S608
                       f"WHERE {column} = %s AND checked_at > %s LIMIT %s) recent", [value, since, limit])
        row = cursor.fetchone()
    return int(row[0]) >= limit


_LOG_COLUMNS = ("card_id", "checker_id", "partner_id", "result", "reason", "channel", "checked_at", "source_ip",
                "api_key_id")


@lru_cache(maxsize=2)
def _log_sql(asynchronous: bool) -> str:
    """The scan-log INSERT … RETURNING id. ``asynchronous`` (PostgreSQL, the INSERT its own transaction): the row comes
    from a one-row subquery that sets ``synchronous_commit`` off for this transaction only (``set_config(…, true)``
    is ``SET LOCAL``), so the commit does not wait for its WAL flush — one statement, one round trip, where
    BEGIN / SET LOCAL / INSERT / COMMIT took four. The connection's own setting is untouched (a test checks)."""
    columns = ", ".join(_LOG_COLUMNS)
    values = ", ".join(["%s"] * len(_LOG_COLUMNS))
    table = Verification._meta.db_table
    if asynchronous:
        return (f"INSERT INTO {table} ({columns}) SELECT {values} "  # noqa: S608
                "FROM (SELECT set_config('synchronous_commit', 'off', true)) durability RETURNING id")
    return f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING id"  # noqa: S608


def _log_verification(*, card_pk: int | None, checker_id: int, partner_id: int, reason: str, channel: str,
                      checked_at: datetime, source_ip: str | None, api_key_id: int | None) -> ScanRecord:
    """Append one row to the scan log (one INSERT … RETURNING id).

    Durability (docs/greencard.md): on PostgreSQL, when the INSERT is its own transaction (autocommit — every
    verification request), it does not wait for its WAL flush: a crash of the database server can lose the scan-log
    rows of the last ``wal_writer_delay`` (200 ms by default, at most three times that), never corrupt them, and never
    touch card state, whose changes keep full durability. Inside a caller's transaction the caller's commit decides.
    SQLite in autocommit: the single INSERT is its own transaction (WAL, synchronous=NORMAL)."""
    result = VerifyResult.VALID if reason == VerifyReason.OK else VerifyResult.INVALID
    db = connections[DEFAULT_DB_ALIAS]
    params = [card_pk, checker_id, partner_id, str(result), str(reason), str(channel),
              db.ops.adapt_datetimefield_value(checked_at), source_ip, api_key_id]
    asynchronous = db.vendor == "postgresql" and db.get_autocommit()
    with _cursor() as cursor:
        cursor.execute(_log_sql(asynchronous), params)
        row = cursor.fetchone()
    return ScanRecord(int(row[0]), card_pk, str(result), str(reason), str(channel), checked_at)


def _parse(token: str) -> credential.Parsed | credential.TokenError:
    try:
        return credential.parse((token or "").strip())
    except credential.TokenError as exc:
        return exc


def _check_token(parsed: credential.Parsed | credential.TokenError,
                 moment: datetime) -> tuple[str, credential.Claims | None]:
    """The reason and, when the signature held (valid, or only outside its validity), the claims."""
    if isinstance(parsed, credential.TokenError):
        return VerifyReason(str(parsed.reason)), None
    ring = keys.verifying_keys()
    try:
        claims = credential.verify_parsed(parsed, keys=ring.usable, now=int(moment.timestamp()))
    except credential.TokenError as exc:
        if exc.reason == credential.Reason.UNKNOWN_KEY and exc.detail in ring.compromised:
            return VerifyReason.KEY_COMPROMISED, None
        reason = VerifyReason(str(exc.reason))
        if reason in (VerifyReason.NOT_YET_VALID, VerifyReason.EXPIRED):
            return reason, parsed.claims  # the signature held: the token is genuine, only outside its validity
        return reason, None
    return VerifyReason.OK, claims


def card_verify(*, token: str, checker: User, channel: str = VerifyChannel.API, partner_code: str = "",
                source_ip: str | None = None, now: datetime | None = None) -> VerifyOutcome:
    """Verify a scanned token for a partner checker, log it, and return only the partner's fields.

    Order: the checker's partner (404 if none) → the per-checker rate limit (every attempt counts, refused ones too;
    a refusal is logged and raised as 429) → signature, key and validity → the card's status → the field set."""
    partner = checker_partner(checker, partner_code)
    if channel not in VerifyChannel.values or channel == VerifyChannel.M2M:
        channel = VerifyChannel.API
    moment = now or timezone.now()
    if _rate_exceeded(checker, moment):
        _refuse_rate_limited(checker_id=checker.pk, partner_id=partner.pk, channel=channel, moment=moment,
                             source_ip=source_ip, api_key_id=None)
    parsed = _parse(token)
    reason, claims = _check_token(parsed, moment)
    card = _card_row(claims.card_id) if claims is not None else None
    return _conclude(reason=reason, claims=claims, card=card, checker_id=checker.pk, partner=partner,
                     channel=channel, moment=moment, source_ip=source_ip, api_key_id=None)


def _refuse_rate_limited(*, checker_id: int, partner_id: int, channel: str, moment: datetime,
                         source_ip: str | None, api_key_id: int | None) -> None:
    _log_verification(card_pk=None, checker_id=checker_id, partner_id=partner_id, reason=VerifyReason.RATE_LIMITED,
                      channel=channel, checked_at=moment, source_ip=source_ip, api_key_id=api_key_id)
    raise RateLimited(str(VerifyReason.RATE_LIMITED.label),
                      extra={"reason": VerifyReason.RATE_LIMITED, "retry_after": 60})


def _conclude(*, reason: str, claims: credential.Claims | None, card: CardRow | None, checker_id: int,
              partner: PartnerInfo, channel: str, moment: datetime, source_ip: str | None,
              api_key_id: int | None) -> VerifyOutcome:
    """The shared end of both paths: the card's state decides, the attempt is logged, the partner's fields built.
    ``card`` is only trusted when ``claims`` is (the signature held)."""
    if claims is None:
        card = None
    elif card is None:
        reason = VerifyReason.UNKNOWN_CARD
    elif reason == VerifyReason.OK and card.status != CardStatus.ACTIVE:
        reason = STATUS_REASONS[CardStatus(card.status)]
    elif reason == VerifyReason.OK and card.card_class != claims.card_class:
        reason = VerifyReason.REPLACED
    verification = _log_verification(card_pk=card.pk if card is not None else None, checker_id=checker_id,
                                     partner_id=partner.pk, reason=reason, channel=channel, checked_at=moment,
                                     source_ip=source_ip, api_key_id=api_key_id)
    outcome = VerifyOutcome(verification=verification, reason=reason, partner=partner, card=card)
    if reason == VerifyReason.OK and card is not None:
        outcome.fields = _present(card, fields_for(partner.kind), verification.pk)
    return outcome


def _present(card: CardRow, wanted: tuple[str, ...], verification_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if NAME in wanted:
        out["name"] = card.holder_name
    if PHOTO in wanted:
        out["photo_url"] = (reverse("greencards:verification_photo", kwargs={"pk": verification_id})
                            if card.photo else None)
    if CARD_CLASS in wanted:
        out["card_class"] = card.card_class
        out["card_class_label"] = str(CardClass(card.card_class).label)
    if VALID_UNTIL in wanted:
        out["valid_until"] = card.valid_until.isoformat()
    if EMPLOYER in wanted:
        out["employer"] = card.employer_name
    codes = entitlement_codes(wanted)
    if codes:
        out["entitlements"] = {code: code in card.entitlements for code in codes}
    return out


@lru_cache(maxsize=1)
def _m2m_sql() -> str:
    from onestop.core.choices import PARTNER_ROLES
    from onestop.core.models import RoleAssignment

    columns, joins = _card_sql()
    roles = ", ".join(["%s"] * len(PARTNER_ROLES))
    return (
        f"SELECT k.id, k.secret_hash, k.checker_id, p.id, p.code, p.name, p.kind, "  # noqa: S608
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {Verification._meta.db_table} v WHERE v.api_key_id = k.id "
        f"AND v.checked_at > %s LIMIT %s) recent), {columns} "
        f"FROM {ApiKey._meta.db_table} k JOIN {User._meta.db_table} u ON u.id = k.checker_id "
        f"JOIN {PartnerOrganization._meta.db_table} p ON p.id = k.partner_id {joins} "
        "WHERE k.key_id = %s AND k.revoked_at IS NULL AND u.is_active AND p.is_active "
        f"AND EXISTS (SELECT 1 FROM {RoleAssignment._meta.db_table} r WHERE r.user_id = k.checker_id "
        f"AND r.partner_id = k.partner_id AND r.role IN ({roles}))")


def _api_key_principal(presented: str, moment: datetime, card_id: str | None
                       ) -> tuple[int, int, PartnerInfo, bool, tuple[Any, ...]]:
    """The key's id, its checker's id, its partner, whether its rate limit is reached, and the card columns, or
    ``Unauthenticated``. One indexed query: the key by its public id, still unrevoked, its checker active and still
    a checker at the key's partner, the partner active, with the key's attempts in the last 60 s (``_rate_exceeded``'s
    window) and the card named by the not yet verified token (left-joined: read, and trusted only once the signature
    has held). The hash comparison is constant-time; an unknown id, a wrong secret and a revoked key answer the
    same."""
    from onestop.core.choices import PARTNER_ROLES

    parts = (presented or "").split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or len(presented) > 200:
        raise Unauthenticated(_("接口密钥无效或已吊销。"))
    limit = int(settings.GREENCARD_M2M_RATE_PER_MINUTE)
    since = connection.ops.adapt_datetimefield_value(moment - timedelta(seconds=60))
    with _cursor() as cursor:
        cursor.execute(_m2m_sql(), [since, limit, *_ALL_ENTITLEMENT_CODES, card_id, parts[1],
                                    *[str(r) for r in PARTNER_ROLES]])
        row = cursor.fetchone()
    expected = row[1] if row is not None else "0" * 64
    if not hmac.compare_digest(expected, api_key_hash(presented)) or row is None:
        raise Unauthenticated(_("接口密钥无效或已吊销。"))
    key_pk, _hash, checker_id, partner_pk, code, name, kind, recent = row[:8]
    return (int(key_pk), int(checker_id), PartnerInfo(int(partner_pk), code, name, kind),
            int(recent) >= limit, row[8:])


def card_verify_m2m(*, presented_key: str, token: str, source_ip: str | None = None,
                    now: datetime | None = None) -> VerifyOutcome:
    """Verification for a partner's scanner or system, authenticated by an API key instead of a session. Same checks
    in the same order as ``card_verify`` (key → rate limit → signature, key and validity → card state → field set),
    same scan log (with the key), the key's partner's field set; ``Unauthenticated`` → 401. Two statements: the key
    query (which also reads the card) and the scan-log insert."""
    moment = now or timezone.now()
    parsed = _parse(token)
    card_id = parsed.claims.card_id if isinstance(parsed, credential.Parsed) else None
    key_pk, checker_id, partner, limited, card_columns = _api_key_principal(presented_key, moment, card_id)
    if limited:
        _refuse_rate_limited(checker_id=checker_id, partner_id=partner.pk, channel=VerifyChannel.M2M, moment=moment,
                             source_ip=source_ip, api_key_id=key_pk)
    reason, claims = _check_token(parsed, moment)
    return _conclude(reason=reason, claims=claims, card=_card_from(card_id, card_columns), checker_id=checker_id,
                     partner=partner, channel=VerifyChannel.M2M, moment=moment, source_ip=source_ip,
                     api_key_id=key_pk)
