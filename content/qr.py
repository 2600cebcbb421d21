"""QR codes for 亮码接待, generated locally as SVG (no external service)."""

import io

import segno

from django.http import HttpResponse


def qr_svg_markup(url: str, scale: int = 6) -> str:
    qr = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=scale, xmldecl=False, svgns=True, title=url, border=2, nl=False)
    return buffer.getvalue().decode("utf-8")


def qr_svg_response(url: str) -> HttpResponse:
    response = HttpResponse(qr_svg_markup(url), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
