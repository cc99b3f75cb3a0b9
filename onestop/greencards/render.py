"""The card as an image: the QR code (segno) as inline SVG for the card page, and the PDF card (reportlab).

Chinese text in the PDF uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1): the PDF names the font and the
viewer supplies the glyphs, so nothing has to be shipped. The QR code is drawn as vector squares straight from segno's
matrix — sharp at any size and no image library involved.
"""

from __future__ import annotations

import io
from typing import Any

import segno
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from .choices import CardClass
from .models import GreenCard

CJK_FONT = "STSong-Light"


def qr_for(token: str) -> segno.QRCode:
    return segno.make_qr(token, error="m")


def qr_svg(token: str, *, scale: int = 4) -> str:
    """Inline SVG (no script, no style attribute: fine under the strict CSP)."""
    return str(qr_for(token).svg_inline(scale=scale, dark="#000", light="#fff", border=2, omitsize=True))


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _photo_reader(card: GreenCard) -> Any:
    if not card.photo:
        return None
    from reportlab.lib.utils import ImageReader

    try:
        with default_storage.open(card.photo, "rb") as fh:
            return ImageReader(io.BytesIO(fh.read()))
    except (OSError, ValueError):
        return None


def card_pdf(card: GreenCard, *, compress: bool = True) -> bytes:
    """A credit-card-sized card (85.6 × 54 mm, ISO/IEC 7810 ID-1) on one page: photo, name, class, validity, QR."""
    from reportlab.lib.colors import HexColor, black, white
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    _register_font()
    width, height = 85.6 * mm, 54 * mm
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1 if compress else 0)
    pdf.setTitle(_("人才绿卡"))
    pdf.setAuthor(_("郑州航空港区 人才一站式服务平台"))
    green = HexColor("#1e7d45")
    pdf.setFillColor(green)
    pdf.rect(0, height - 11 * mm, width, 11 * mm, stroke=0, fill=1)
    pdf.setFillColor(white)
    pdf.setFont(CJK_FONT, 10)
    pdf.drawString(4 * mm, height - 7 * mm, _("郑州航空港区 人才绿卡"))
    pdf.setFont(CJK_FONT, 6)
    pdf.drawRightString(width - 4 * mm, height - 7 * mm, "TALENT GREEN CARD")

    # Photo (or an empty frame).
    px, py, pw, ph = 4 * mm, 8 * mm, 20 * mm, 26 * mm
    photo = _photo_reader(card)
    if photo is not None:
        pdf.drawImage(photo, px, py, pw, ph, preserveAspectRatio=True, anchor="c")
    pdf.setStrokeColor(HexColor("#999999"))
    pdf.rect(px, py, pw, ph, stroke=1, fill=0)
    if photo is None:
        pdf.setFillColor(HexColor("#999999"))
        pdf.setFont(CJK_FONT, 6)
        pdf.drawCentredString(px + pw / 2, py + ph / 2, _("照片"))

    pdf.setFillColor(black)
    x = 27 * mm
    pdf.setFont(CJK_FONT, 11)
    pdf.drawString(x, height - 18 * mm, card.holder.real_name)
    pdf.setFont(CJK_FONT, 6.5)
    pdf.drawString(x, height - 24 * mm, str(CardClass(card.card_class).label))
    pdf.drawString(x, height - 29 * mm, _("有效期：%(a)s 至 %(b)s") % {
        "a": card.valid_from.isoformat(), "b": card.valid_until.isoformat()})
    pdf.drawString(x, height - 34 * mm, _("卡号：%(id)s") % {"id": card.card_id})
    pdf.setFont(CJK_FONT, 5)
    pdf.setFillColor(HexColor("#555555"))
    pdf.drawString(4 * mm, 3.5 * mm, _("合作机构扫码核验；挂失请登录平台个人中心。"))

    # QR code as vector modules, right-aligned.
    matrix = list(qr_for(card.token).matrix)
    size = 28 * mm
    module = size / (len(matrix) + 4)
    qx, qy = width - size - 3 * mm, 6 * mm
    pdf.setFillColor(white)
    pdf.rect(qx, qy, size, size, stroke=0, fill=1)
    pdf.setFillColor(black)
    n = len(matrix)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(qx + (c + 2) * module, qy + (n - r + 1) * module, module, module, stroke=0, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
