"""Upload checks: the content decides the type (magic bytes), never the file name; a size limit; a hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings

SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Content refused wherever it appears, even behind a valid PDF/JPEG/PNG header: a ZIP inside (polyglot files — a
# "PDF" that is also an archive or an Office document) and the EICAR anti-virus test signature (the hook where a
# real scanner's verdict would go).
FORBIDDEN_CONTENT = (b"PK\x03\x04", b"PK\x05\x06", b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE")


def max_upload_bytes() -> int:
    return int(getattr(settings, "ONESTOP_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str
    size: int
    sha256: str


def sniff(upload: Any) -> Sniffed | None:
    """The real type of an uploaded file from its first bytes, or ``None`` when it is not PDF/JPEG/PNG."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for magic, content_type, ext in SIGNATURES:
        if head.startswith(magic):
            digest = hashlib.sha256()
            size = 0
            tail = b""
            for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
                digest.update(chunk)
                size += len(chunk)
                window = tail + chunk
                if any(marker in window for marker in FORBIDDEN_CONTENT):
                    upload.seek(0)
                    return None
                tail = chunk[-64:]
            upload.seek(0)
            return Sniffed(content_type, ext, size, digest.hexdigest())
    return None
