"""The certification certificate as a PDF (reportlab): number, tier, track, validity and the holder's name.

Chinese text uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1, encoding UniGB-UCS2-H): the PDF names
the font and the viewer supplies the glyphs, so no font file is shipped (the same choice as the green card).
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from .choices import CertificateStatus, CertTrack
from .models import Certificate

CJK_FONT = "STSong-Light"


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def certificate_pdf(certificate: Certificate, *, compress: bool = True) -> bytes:
    """One A4 landscape page. A revoked or expired certificate says so across the page."""
    from reportlab.lib.colors import HexColor, black
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen import canvas

    _register_font()
    width, height = landscape(A4)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1 if compress else 0)
    pdf.setTitle(_("人才认定证书") + " " + certificate.number)
    pdf.setAuthor(_("郑州航空港区 人才一站式服务平台"))
    red = HexColor("#a61b1b")
    pdf.setStrokeColor(red)
    pdf.setLineWidth(3)
    pdf.rect(28, 28, width - 56, height - 56, stroke=1, fill=0)
    pdf.setLineWidth(1)
    pdf.rect(36, 36, width - 72, height - 72, stroke=1, fill=0)

    pdf.setFillColor(red)
    pdf.setFont(CJK_FONT, 34)
    pdf.drawCentredString(width / 2, height - 120, _("人才认定证书"))
    pdf.setFont(CJK_FONT, 12)
    pdf.drawCentredString(width / 2, height - 145, _("郑州航空港经济综合实验区"))

    pdf.setFillColor(black)
    holder = certificate.profile.user.real_name or certificate.profile.user.display_name
    pdf.setFont(CJK_FONT, 22)
    pdf.drawCentredString(width / 2, height - 215, holder)
    pdf.setFont(CJK_FONT, 14)
    track = str(CertTrack(certificate.track).label)
    pdf.drawCentredString(width / 2, height - 255, _("经审核、公示，认定为 %(track)s %(tier)s") % {
        "track": track, "tier": certificate.get_tier_display()})
    rows = [
        (_("证书编号"), certificate.number),
        (_("人才层次"), certificate.get_tier_display()),
        (_("有效期"), _("%(a)s 至 %(b)s") % {"a": certificate.valid_from.isoformat(),
                                            "b": certificate.valid_until.isoformat()}),
    ]
    pdf.setFont(CJK_FONT, 13)
    y = height - 305
    for label, value in rows:
        pdf.drawRightString(width / 2 - 10, y, label + _("："))
        pdf.drawString(width / 2, y, value)
        y -= 26
    pdf.setFont(CJK_FONT, 9)
    pdf.setFillColor(HexColor("#555555"))
    pdf.drawCentredString(width / 2, 56, _("有效期为示例值。证书真伪请登录郑州航空港区人才一站式服务平台核验。"))
    if certificate.status != CertificateStatus.VALID:
        pdf.saveState()
        pdf.setFillColor(HexColor("#cc0000"))
        pdf.setFont(CJK_FONT, 60)
        pdf.translate(width / 2, height / 2)
        pdf.rotate(20)
        pdf.drawCentredString(0, 0, str(CertificateStatus(certificate.status).label))
        pdf.restoreState()
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
