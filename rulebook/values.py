"""Exact value helpers shared by both evaluators.

Internal representation (identical in the interpreter and in the polars batch):

=============  ===============================================================
type           internal value
=============  ===============================================================
bool           ``bool``
int, money     ``int`` (money in integer fen)
decimal(s)     ``int`` scaled by ``10**s`` (``0.035`` at scale 4 is ``350``)
date           ``int`` days since 1970-01-01 (polars ``Date`` physical value)
enum, ordinal  ``int`` index into the declared values (ordinal: the rank)
set of enum    ``int`` bitmask (bit *i* = value *i* present)
missing        ``None`` (polars null)
=============  ===============================================================

Rounding is ROUND_HALF_UP in the commercial sense (ties away from zero), implemented with integer
operations only, so both evaluators give the same fen.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def date_to_days(d: dt.date) -> int:
    """Days since 1970-01-01."""
    return d.toordinal() - EPOCH_ORDINAL


def days_to_date(days: int) -> dt.date:
    """Inverse of :func:`date_to_days`."""
    return dt.date.fromordinal(days + EPOCH_ORDINAL)


def parse_date(value: object) -> dt.date:
    """Accept a ``date``/``datetime`` or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value.strip())
    raise ValueError(f"not a date: {value!r}")


def round_div(n: int, d: int) -> int:
    """``n / d`` rounded half away from zero, in integers only (``d != 0``)."""
    q = (2 * abs(n) + abs(d)) // (2 * abs(d))
    return q if (n >= 0) == (d > 0) else -q


def rescale(value: int, from_scale: int, to_scale: int) -> int:
    """Change the decimal scale of a scaled integer; shrinking rounds half away from zero."""
    if to_scale >= from_scale:
        return value * int(10 ** (to_scale - from_scale))
    return round_div(value, 10 ** (from_scale - to_scale))


def to_decimal(value: object) -> Decimal:
    """A number (int, Decimal, str, float via its shortest repr) as an exact ``Decimal``."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
        if not d.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return d
    raise ValueError(f"not a number: {value!r}")


def decimal_places(d: Decimal) -> int:
    """Number of digits after the decimal point that ``d`` needs (0 for integers)."""
    d = d.normalize()
    exp = d.as_tuple().exponent
    assert isinstance(exp, int)
    return max(0, -exp)


def decimal_to_scaled(d: Decimal, scale: int) -> int:
    """``d`` as an integer at ``scale`` decimals, rounded half away from zero."""
    scaled = d.scaleb(scale)
    whole = int(scaled.to_integral_value(rounding="ROUND_HALF_UP"))
    return whole


def float_to_scaled(x: float, scale: int) -> int:
    """A float data value at ``scale`` decimals: ``sign(x) * floor(|x| * 10**scale + 0.5)``.

    The batch evaluator computes exactly the same float operations, so both agree bit for bit.
    """
    y = math.floor(abs(x) * float(10**scale) + 0.5)
    return -y if x < 0 else y


def scaled_to_str(value: int, scale: int) -> str:
    """Render a scaled integer as a plain decimal string (``350, 4`` → ``"0.0350"``)."""
    if scale == 0:
        return str(value)
    sign = "-" if value < 0 else ""
    digits = str(abs(value)).rjust(scale + 1, "0")
    return f"{sign}{digits[:-scale]}.{digits[-scale:]}"


def fen_to_str(fen: int, lang: str = "zh") -> str:
    """Money for people: ``300000`` → ``"3,000.00 元"`` (zh) or ``"CNY 3,000.00"`` (en)."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    text = f"{sign}{yuan:,}.{cents:02d}"
    return f"{text} 元" if lang != "en" else f"CNY {text}"


def _ymd(days: int) -> tuple[int, int, int]:
    d = days_to_date(days)
    return d.year, d.month, d.day


def years_between(a: int, b: int) -> int:
    """Completed years from date ``a`` to date ``b`` (days): the anniversary must be reached."""
    ya, ma, da = _ymd(a)
    yb, mb, db = _ymd(b)
    return (yb - ya) - (1 if (mb, db) < (ma, da) else 0)


def months_between(a: int, b: int) -> int:
    """Completed months from ``a`` to ``b``: the day of month must be reached (as dateutil)."""
    ya, ma, da = _ymd(a)
    yb, mb, db = _ymd(b)
    return (yb * 12 + mb) - (ya * 12 + ma) - (1 if db < da else 0)


def days_between(a: int, b: int) -> int:
    """Calendar days from ``a`` to ``b``."""
    return b - a


DATE_FUNCTIONS = {
    "years_between": years_between,
    "months_between": months_between,
    "days_between": days_between,
}

# Every date that can appear in data: 1900-01-01 .. 2200-12-31 as days since the epoch.
MIN_DAY = date_to_days(dt.date(1900, 1, 1))
MAX_DAY = date_to_days(dt.date(2200, 12, 31))
