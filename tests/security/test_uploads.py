"""Hostile uploads (issue 11 §3): every upload path refuses the corpus; stored files come back only as attachments
with nosniff, and only to their owner (anyone else: 404).

Upload paths (grep FileField / UploadedFile / request.FILES): talent documents (talents.services.document_upload —
also behind 人才一件事 attachments, page and API), business licences (employers.services.licence_upload), the
green-card photo (greencards.services.card_photo_set). All three use the shared content check in
onestop/talents/uploads.py. The registry and inventory imports (staff only) parse CSV/JSON/XLSX and store nothing."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from onestop.core.exceptions import ApplicationError

from .world import sign_in

pytestmark = pytest.mark.django_db

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def corpus() -> dict[str, tuple[str, bytes]]:
    """name -> (file name as uploaded, content)."""
    return {
        "html renamed .pdf": ("cv.pdf", b"<!doctype html><html><script>alert(document.cookie)</script></html>"),
        "svg with script": ("photo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        "polyglot pdf/zip": ("degree.pdf", PDF + _zip({"evil.html": b"<script>alert(1)</script>"})),
        "polyglot jpeg/zip": ("photo.jpg", JPEG + _zip({"x.js": b"alert(1)"})),
        "zip bomb": ("bomb.pdf", _zip({f"{i}.txt": b"\0" * 2_000_000 for i in range(5)}, zipfile.ZIP_DEFLATED)),
        "eicar": ("eicar.pdf", EICAR),
        "eicar inside a pdf": ("report.pdf", PDF + EICAR),
        "path traversal name": ("../../../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n"),
        "windows traversal name": ("..\\..\\web.config", b"<configuration/>"),
    }


OVERSIZED = ("huge.pdf", PDF + b"0" * (11 * 1024 * 1024))


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type)


@pytest.fixture
def people(db: Any, settings: Any, tmp_path: Any) -> dict[str, Any]:
    from onestop.core.tests.factories import EmployerUserFactory, TalentFactory

    settings.ONESTOP_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return {"a": TalentFactory(), "b": TalentFactory(), "x": EmployerUserFactory()}


def test_the_shared_content_check_refuses_the_corpus() -> None:
    from onestop.talents.uploads import sniff

    accepted = [label for label, (name, data) in corpus().items() if sniff(upload(name, data)) is not None
                and label not in ("path traversal name", "windows traversal name")]
    assert accepted == []
    assert sniff(upload("ok.pdf", PDF)) is not None


def test_talent_documents_refuse_the_corpus(people: dict[str, Any]) -> None:
    from onestop.talents.models import Document
    from onestop.talents.services import document_upload

    for label, (name, data) in {**corpus(), "oversized": OVERSIZED}.items():
        with pytest.raises(ApplicationError):
            document_upload(actor=people["a"], kind="diploma", upload=upload(name, data))
        assert not Document.objects.exists(), label


def test_business_licences_refuse_the_corpus(people: dict[str, Any]) -> None:
    from onestop.core.models import RoleAssignment
    from onestop.employers.models import BusinessLicence
    from onestop.employers.services import licence_upload

    enterprise = RoleAssignment.objects.get(user=people["x"]).enterprise
    for label, (name, data) in {**corpus(), "oversized": OVERSIZED}.items():
        with pytest.raises(ApplicationError):
            licence_upload(actor=people["x"], enterprise=enterprise, upload=upload(name, data))
        assert not BusinessLicence.objects.exists(), label


def test_card_photos_refuse_the_corpus(people: dict[str, Any]) -> None:
    from onestop.greencards.services import card_photo_set

    for _name, data in corpus().values():
        for content_type in ("image/jpeg", "image/png"):
            with pytest.raises(ApplicationError, match="提交的信息有误"):
                card_photo_set(holder=people["a"], content=data, content_type=content_type)
    with pytest.raises(ApplicationError, match="提交的信息有误"):
        card_photo_set(holder=people["a"], content=JPEG + b"0" * (3 * 1024 * 1024), content_type="image/jpeg")


def test_stored_files_are_attachments_with_nosniff_and_only_for_their_owner(people: dict[str, Any]) -> None:
    from onestop.talents.services import document_upload

    document = document_upload(actor=people["a"], kind="diploma", upload=upload("../../学位证.pdf", PDF))
    assert ".." not in document.file.name and "/" not in document.original_name
    url = f"/talent/documents/{document.pk}/download/"

    response = sign_in(Client(), people["a"], otp=False).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")

    assert sign_in(Client(), people["b"], otp=False).get(url).status_code == 404
    assert sign_in(Client(), people["x"], otp=False).get(url).status_code == 404
    assert Client().get(url).status_code == 404
