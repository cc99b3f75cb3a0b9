"""Model fields that keep personal data encrypted at rest."""

from __future__ import annotations

from typing import Any

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Stores ``crypto.encrypt(value)``; the Python value is the plaintext.

    Encrypted values cannot be compared in SQL: pair the field with a blind-index column for exact lookups.
    """

    description = "Text encrypted at rest (AES-GCM, key id stored with the value)"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in {"isnull"}:
            raise TypeError(f"encrypted field {self.name} cannot be filtered by {lookup_name}; use its blind index")
        return super().get_lookup(lookup_name)
