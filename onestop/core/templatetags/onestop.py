from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField

from ..masking import MASKERS

register = template.Library()


@register.filter
def with_class(field: BoundField, extra: str = "") -> Any:
    """Render a form field with Bootstrap classes and aria attributes for its errors."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", "")
    base = "form-check-input" if input_type in ("checkbox", "radio") else (
        "form-select" if input_type == "select" or widget.__class__.__name__ == "Select" else "form-control")
    attrs: dict[str, str | bool] = {"class": f"{base} {extra}".strip()}
    if field.errors:
        attrs["class"] = f"{attrs['class']} is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.auto_id}_errors"
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return getattr(field.field.widget, "input_type", "") == "checkbox"


@register.filter
def mask(value: str | None, kind: str) -> str:
    return MASKERS[kind](value)


@register.simple_tag(takes_context=True)
def has_cap(context: Any, cap: str) -> bool:
    return cap in context.get("caps", ())
