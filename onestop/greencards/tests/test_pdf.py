"""The PDF card: one ID-1 page, the CJK font, the holder's name and class in Chinese, the QR code, the photo."""

from __future__ import annotations

from onestop.greencards import render, services

JPEG_1PX = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a"
    "1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f000001050101010101"
    "0100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107"
    "227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a"
    "636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7"
    "c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9")


def _text(pdf: bytes) -> bytes:
    """The uncompressed PDF (``compress=False``) holds its content streams as plain text."""
    assert b"/FlateDecode" not in pdf
    return pdf


def _cid_hex(text: str) -> bytes:
    """How reportlab writes a string in a UniGB-UCS2-H CID font: UCS-2 big-endian, hex or literal."""
    return text.encode("utf-16-be")


def test_pdf_card_renders_chinese_with_the_cid_font(card, holder):
    pdf = render.card_pdf(card, compress=False)
    assert pdf.startswith(b"%PDF-") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1
    assert b"/STSong-Light" in pdf and b"UniGB-UCS2-H" in pdf
    content = _text(pdf)
    raw = _cid_hex(holder.real_name)
    assert _escaped(raw) in content
    assert _escaped(_cid_hex("人才绿卡")) in content
    assert b"MediaBox [ 0 0 242.6457 153.0709 ]" in pdf or b"242.64" in pdf  # 85.6 mm x 54 mm
    assert content.count(b" re") > 200  # the QR code's modules are drawn as rectangles


def _escaped(raw: bytes) -> bytes:
    return b"".join(bytes([b]) if 32 <= b < 127 and b not in b"()\\" else b"\\%03o" % b for b in raw)


def test_pdf_embeds_the_photo(card, holder):
    services.card_photo_set(holder=holder, content=JPEG_1PX, content_type="image/jpeg")
    card.refresh_from_db()
    pdf = render.card_pdf(card)
    assert b"/Subtype /Image" in pdf
