"""Verifying a license: the public page says clearly whether it is in force, suspended,
revoked or expired, and that a forged number does not exist; the same for machines; the
certificate is a real A4 PDF in Persian whose QR code leads to that page."""

from __future__ import annotations

import datetime as dt
import io

import httpx
import jdatetime
import pypdf
import pytest
import zxingcpp

from services.contracts.licensing import ExpireLicense
from services.kit.http import Runtime
from services.licensing import service
from services.licensing.persian import JALALI_MONTHS, local_today, persian_digits
from tests.licensing.conftest import Holder, a_national_code, add_license


async def set_state(store: Runtime, number: str, state: str) -> None:
    """Through the service's own rules, each leaving its row in the history."""
    async with store.uow() as uow:
        if state == "suspended":
            await service.suspend(uow, number, actor="officer.rasht", reason="charging above tariff")
        elif state == "revoked":
            await service.revoke(uow, number, actor="officer.rasht", reason="sold by proxy")
        elif state == "expired":
            license_, _ = await service._license(uow, number)
            await service.expire(uow, ExpireLicense(license_number=number,
                                                    valid_until=license_.valid_until,
                                                    case_id=f"license-{number}"))
        await uow.commit()


@pytest.mark.parametrize("state, marker_fa, marker_en", [
    ("valid", "این پروانه معتبر است", "This license is valid."),
    ("suspended", "این پروانه تعلیق شده است", "SUSPENDED"),
    ("revoked", "این پروانه لغو شده", "REVOKED"),
    ("expired", "مدت اعتبار این پروانه به پایان رسیده است", "EXPIRED"),
])
async def test_the_verify_page_says_what_state_the_license_is_in(
    licensing: httpx.AsyncClient, store: Runtime, state: str, marker_fa: str, marker_en: str
) -> None:
    holder = Holder(a_national_code(), "مریم احمدی", "09121234567")
    number = await add_license(store, county="rasht", serial=12, holder=holder)
    await set_state(store, number, state)

    reply = await licensing.get(f"/verify/{number}")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    html = reply.text
    assert '<html lang="fa" dir="rtl">' in html
    assert f'class="state state-{state}"' in html and f'data-state="{state}"' in html
    assert marker_fa in html and marker_en in html
    assert number in html and "مریم احمدی" in html
    assert "دفتر پیشخوان خدمات دولت شماره ۱۲ رشت" in html
    assert holder.national_code not in html and holder.mobile not in html
    # the other states' messages are not there
    others = {"valid": "این پروانه معتبر است", "suspended": "تعلیق شده است",
              "revoked": "لغو شده", "expired": "به پایان رسیده"}
    for other, text in others.items():
        if other != state:
            assert text not in html, other

    as_json = await licensing.get(f"/verify/{number}.json")
    assert as_json.status_code == 200
    facts = as_json.json()
    assert facts["found"] is True and facts["state"] == state
    assert facts["number"] == number and facts["holder_name"] == "مریم احمدی"
    assert facts["office_name"] == "دفتر پیشخوان خدمات دولت شماره ۱۲ رشت"
    assert marker_en in facts["message"]["en"] and marker_fa in facts["message"]["fa"]
    assert "holder_national_code" not in facts and holder.national_code not in as_json.text
    assert (await licensing.get(f"/verify/{number}", params={"format": "json"})).json() == facts


async def test_a_license_past_its_end_reads_as_expired_before_the_expiry_is_recorded(
    licensing: httpx.AsyncClient, store: Runtime
) -> None:
    number = await add_license(store, valid_for_days=-3)
    facts = (await licensing.get(f"/verify/{number}.json")).json()
    assert (facts["status"], facts["state"]) == ("active", "expired")


async def test_a_forged_number_is_a_404_that_says_no_such_license_exists(
    licensing: httpx.AsyncClient, store: Runtime
) -> None:
    await add_license(store)
    reply = await licensing.get("/verify/GL-06-99999")
    assert reply.status_code == 404
    assert reply.headers["content-type"].startswith("text/html")
    assert '<html lang="fa" dir="rtl">' in reply.text
    assert "پروانه‌ای با این شماره وجود ندارد" in reply.text
    assert "No license with this number exists" in reply.text
    assert 'data-state="not_found"' in reply.text
    as_json = await licensing.get("/verify/GL-06-99999.json")
    assert as_json.status_code == 404
    assert as_json.json()["found"] is False and as_json.json()["state"] == "not_found"
    # what is typed is escaped, never run
    hostile = await licensing.get("/verify/<script>alert(1)</script>")
    assert hostile.status_code == 404 and "<script>" not in hostile.text


async def test_the_certificate_is_an_a4_persian_pdf_with_a_qr_code_to_the_verify_page(
    licensing: httpx.AsyncClient, store: Runtime
) -> None:
    holder = Holder(a_national_code(), "مریم احمدی", "09121234567")
    number = await add_license(store, county="rasht", area="rural", serial=12, holder=holder,
                               address="رشت، روستای پیربست، جنب دهیاری")
    reply = await licensing.get(f"/licenses/{number}/certificate.pdf")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/pdf"
    assert reply.content.startswith(b"%PDF-")

    pdf = pypdf.PdfReader(io.BytesIO(reply.content))
    assert len(pdf.pages) == 1
    page = pdf.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = page.extract_text()
    for expected in ("پروانه دفتر پیشخوان خدمات دولت", number, "مریم احمدی", "رشت",
                     "روستایی", "پیربست", "اداره کل ارتباطات و فناوری اطلاعات استان گیلان"):
        assert expected in text, expected
    # dates in the Jalali calendar, in Persian digits (a PDF's text comes out in the order
    # it is drawn, so only the month's name and the digits are checked here)
    issued = jdatetime.date.fromgregorian(date=local_today() - dt.timedelta(days=30))
    assert JALALI_MONTHS[issued.month - 1] in text
    assert persian_digits(issued.year) in text or persian_digits(issued.year)[::-1] in text
    assert holder.national_code not in text and holder.mobile not in text

    verify_url = f"https://pishkhan.test/verify/{number}"
    decoded = [result.text for image in page.images
               for result in zxingcpp.read_barcodes(image.image)]
    assert decoded == [verify_url]
    links = {annotation.get_object()["/A"]["/URI"] for annotation in page.get("/Annots", [])}
    assert links == {verify_url}


async def test_a_certificate_of_a_revoked_license_says_so_and_unknown_numbers_have_none(
    licensing: httpx.AsyncClient, store: Runtime
) -> None:
    number = await add_license(store)
    await set_state(store, number, "revoked")
    reply = await licensing.get(f"/licenses/{number}/certificate.pdf")
    text = pypdf.PdfReader(io.BytesIO(reply.content)).pages[0].extract_text()
    assert "REVOKED" in text
    assert (await licensing.get("/licenses/GL-06-99999/certificate.pdf")).status_code == 404
