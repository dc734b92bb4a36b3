"""QR codes of enrolment links, as PNG images a phone reads off a poster or a projector."""

from __future__ import annotations

import io

import segno

# 10 pixels a module and the standard quiet zone of 4 modules: about 410 px for a link,
# sharp when projected or printed, small enough for Telegram's photo compression to keep.
SCALE = 10
QUIET_ZONE = 4


def qr_png(link: str) -> bytes:
    """The link as a QR code (error correction M, never a Micro QR) in PNG."""
    code = segno.make_qr(link, error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=SCALE, border=QUIET_ZONE)
    return buffer.getvalue()
