"""Number formatting of the dashboard: thousands separated the same way in every language (12,345; 2,500.5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def num(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        number = float(value)
        if number.is_integer():
            return f"{int(number):,}"
        return f"{number:,.2f}".rstrip("0").rstrip(".")
    return str(value)


@register.filter
def num_round(value: Any) -> str:
    """What is due by the pace: whole units from 100 up, one decimal below (91,781 rather than 91,780.82)."""
    if value is None or value == "":
        return "—"
    number = float(value)
    return num(round(number) if abs(number) >= 100 else round(number, 1))
