"""Private storage for the registry's documents: outside MEDIA_ROOT, never served by URL.

Files are read back only through ``views.document_download`` (owner or authorised reviewer, as an attachment). The
location comes from the ``ONESTOP_PRIVATE_MEDIA_ROOT`` setting at every access, so tests can point it elsewhere.
"""

from __future__ import annotations

import os
import secrets
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        return str(getattr(settings, "ONESTOP_PRIVATE_MEDIA_ROOT", settings.BASE_DIR / "var" / "private"))

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("private documents have no URL; use the download view")


_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _storage


def random_document_name(instance: Any, filename: str) -> str:
    """A random stored name; the extension comes from the sniffed type (set by the service), never the upload."""
    ext = getattr(instance, "_sniffed_ext", "bin")
    today = date.today()
    return f"talents/{today:%Y/%m}/{secrets.token_hex(16)}.{ext}"
