"""Masking of personal data for display. Everything is masked by default; unmasking is a permission and audited."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """4101**********123X for an 18-character ID; passports keep the first 2 and last 2 characters."""
    if not value:
        return ""
    if len(value) == 18:
        return value[:4] + "*" * 10 + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask_phone(value: str | None) -> str:
    """138****5678."""
    if not value:
        return ""
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    return value[:2] + "*" * max(len(value) - 4, 1) + value[-2:]


def mask_name(value: str | None) -> str:
    """张*明 / 王* — used where a name is shown to someone who does not need it whole (partner desks)."""
    if not value:
        return ""
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "real_name": mask_name}
