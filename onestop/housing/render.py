"""The booking's QR code (segno) as inline SVG: no script, no style attribute, fine under the strict CSP. It carries
the booking token only; the desk's scan page looks the booking up (staff only)."""

from __future__ import annotations

import segno


def qr_svg(token: str, *, scale: int = 4) -> str:
    return str(segno.make_qr(token, error="m").svg_inline(scale=scale, dark="#000", light="#fff", border=2,
                                                          omitsize=True))
