"""What the public sees of a license: the verify page (HTML, and JSON for machines) and
the certificate (an A4 PDF in Persian, right to left, with a QR code to the verify page).

The templates live in ``templates/``, rendered by Jinja2 with autoescaping; the PDF is
drawn by WeasyPrint, whose Pango/HarfBuzz text engine joins Persian letters and lays out
right-to-left lines the way a browser does, with the Noto Naskh/Sans Arabic fonts of the
Debian package fonts-noto-core found through fontconfig."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.contracts.counties import COUNTIES_BY_CODE
from services.licensing.models import License, Office, Verification
from services.licensing.persian import jalali, local_date, persian_digits

TEMPLATES = Path(__file__).parent / "templates"

# state -> (fa, en): what the verify page and a certificate say about a license
MESSAGES: dict[str, tuple[str, str]] = {
    "valid": ("این پروانه معتبر است.", "This license is valid."),
    "suspended": (
        "این پروانه تعلیق شده است؛ دفتر تا رفع تعلیق مجاز به ارائه خدمات نیست.",
        ("This license is SUSPENDED: the office may not provide services until the "
         "suspension is lifted."),
    ),
    "revoked": (
        "این پروانه لغو شده و هیچ اعتباری ندارد.",
        "This license has been REVOKED and is not valid.",
    ),
    "expired": (
        "مدت اعتبار این پروانه به پایان رسیده است.",
        "This license has EXPIRED.",
    ),
    "not_found": (
        ("پروانه‌ای با این شماره وجود ندارد. شماره را دوباره بررسی کنید؛ "
         "گواهی‌ای که این شماره را دارد معتبر نیست."),
        ("No license with this number exists. Check the number; a certificate that bears "
         "it is not genuine."),
    ),
}


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["jalali"] = jalali
    env.filters["fa_digits"] = persian_digits
    env.filters["gregorian"] = lambda day: local_date(day).isoformat()
    # a left-to-right run (a license number, an English sentence) inside Persian text:
    # Unicode's isolates, which every bidi engine (Pango's too) honours
    env.filters["isolate"] = lambda value: f"\u2066{value}\u2069"
    return env


_ENV = _environment()


def state_of(license_: License, today: dt.date) -> str:
    """What a citizen must be told: an active license past its end date is expired even
    before the expiry has been recorded."""
    if license_.status == "active":
        return "valid" if license_.valid_until >= today else "expired"
    return license_.status


def verification(number: str, found: tuple[License, Office] | None, today: dt.date, *,
                 suspended_until: dt.date | None = None) -> Verification:
    if found is None:
        fa, en = MESSAGES["not_found"]
        return Verification(found=False, number=number, state="not_found",
                            message={"fa": fa, "en": en})
    license_, office = found
    state = state_of(license_, today)
    fa, en = MESSAGES[state]
    return Verification(
        found=True, number=license_.number or number, state=state, status=license_.status,
        holder_name=license_.holder_name, office_name=office.name,
        office_status=office.status, county=office.county, area=office.area,
        address=office.address, issued_at=license_.issued_at,
        valid_until=license_.valid_until,
        suspended_until=suspended_until if license_.status == "suspended" else None,
        message={"fa": fa, "en": en},
    )


@dataclass(frozen=True)
class Directorate:
    fa: str
    en: str


def verify_page(result: Verification, directorate: Directorate) -> str:
    county = COUNTIES_BY_CODE.get(result.county or "")
    return _ENV.get_template("verify.html.j2").render(
        **result.model_dump(), county_fa=county.name_fa if county else "",
        county_en=county.name_en if county else "", directorate_fa=directorate.fa,
        directorate_en=directorate.en,
    )


def verify_url(public_base_url: str, number: str) -> str:
    return f"{public_base_url.rstrip('/')}/verify/{quote(number, safe='')}"


def certificate_html(license_: License, office: Office, *, today: dt.date, public_base_url: str,
                     directorate: Directorate) -> str:
    number = license_.number or ""
    url = verify_url(public_base_url, number)
    # error correction M survives a scratched or badly printed wall copy
    qr = segno.make(url, error="m", micro=False)
    state = state_of(license_, today)
    fa, en = MESSAGES[state]
    county = COUNTIES_BY_CODE.get(office.county)
    context: dict[str, Any] = {
        "number": number, "holder_name": license_.holder_name, "office_name": office.name,
        "office_code": office.code, "county_fa": county.name_fa if county else office.county,
        "area": office.area, "address": office.address, "issued_at": license_.issued_at,
        "valid_until": license_.valid_until, "state": state, "message": {"fa": fa, "en": en},
        "verify_url": url, "qr_data_uri": qr.png_data_uri(scale=8, border=2),
        "directorate_fa": directorate.fa, "directorate_en": directorate.en,
    }
    return _ENV.get_template("certificate.html.j2").render(**context)


def certificate_pdf(html: str) -> bytes:
    """Render the certificate (CPU-bound, a fraction of a second: call it in a thread)."""
    from weasyprint import HTML  # imported here: heavy, and only this needs it

    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    assert pdf is not None
    return bytes(pdf)

