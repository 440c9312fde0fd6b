"""The portal clicked through in Chromium by every person a new-license case needs, then by
a complainant, a 195 operator and the complaints officer about the new office, then by the
holder, the inspector and the licensing officer in the supervision review the complaint's
recommended sanction opens, in Persian and in English, against the real services, RabbitMQ
and Temporal."""

from __future__ import annotations

import datetime as dt
import re

import jdatetime
from playwright.async_api import Page, expect

from services.licensing.persian import local_today
from services.portal.i18n import persian_digits
from tests.browser.conftest import Platform, reload_until, shot
from tests.conftest import eventually

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# the smallest valid PNG: one transparent pixel, as a phone's camera photo stands in
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000050001 0d0a2db40000000049454e44ae426082".replace(" ", ""))
DOCUMENTS = ("national_id_card", "education_certificate", "premises_document",
             "clearance_certificate")


async def upload(page: Page, document_type: str, name: str, content: bytes = PDF) -> None:
    await page.select_option("#f-document_type", document_type)
    await page.set_input_files("#f-file", files=[{"name": name, "mimeType": "application/pdf",
                                                  "buffer": content}])
    await page.click("form.upload button[type=submit]")
    await page.wait_for_load_state()


async def open_task(page: Page, view: str, kind_label: str) -> None:
    await page.goto(f"/work?view={view}")

    async def listed() -> bool:
        return await page.get_by_role("link", name=kind_label).count() > 0

    await reload_until(page, listed)
    await page.get_by_role("link", name=kind_label).first.click()
    await page.wait_for_load_state()


async def test_a_new_license_case_through_the_portal(platform: Platform) -> None:
    # -- the applicant, on a phone, in Persian ---------------------------------------------
    applicant_context = await platform.context(phone=True)
    me = await platform.sign_in(applicant_context, "0499370899")
    await shot(me, "fa", "01-applicant-dashboard")
    await me.click("a[href='/apply/new']")
    await me.fill("#f-name", "مریم احمدی")
    await me.fill("#f-mobile", "0912")
    await me.select_option("#f-county", "rasht")
    await me.select_option("#f-area", "urban")
    await me.fill("#f-address", "رشت، خیابان امام خمینی، پلاک ۱۲")
    await me.click("main form button[type=submit]")
    # the service's refusal, in Persian, next to the field; what was typed is kept
    await expect(me.locator("#mobile-error")).to_contain_text("شماره همراه")
    await expect(me.locator("#f-address")).to_have_value("رشت، خیابان امام خمینی، پلاک ۱۲")
    await shot(me, "fa", "02-apply-form-errors")
    await me.fill("#f-mobile", "۰۹۱۲۱۲۳۴۵۶۷")
    await me.click("main form button[type=submit]")
    await me.wait_for_url(re.compile(r"/cases/\w+$"))
    case_url = me.url.removeprefix(platform.portal_url)
    for document_type in DOCUMENTS:
        await upload(me, document_type, f"{document_type}.pdf")
    await expect(me.locator("#documents")).not_to_contain_text("هنوز بارگذاری نشده")
    await shot(me, "fa", "03-case-documents-uploaded")

    # -- the clerk asks for a correction of one document ------------------------------------
    clerk_context = await platform.context()
    clerk = await platform.sign_in(clerk_context, "clerk.rasht")
    await shot(clerk, "fa", "04-clerk-inbox")
    await open_task(clerk, "queue", "بررسی مدارک")
    await clerk.click("#claim")
    await clerk.wait_for_load_state()
    # every document opens in the browser
    links = clerk.locator("a[href*='/documents/']")
    assert await links.count() == 4
    viewed = await clerk.request.get(await links.first.get_attribute("href") or "")
    assert viewed.status == 200 and viewed.headers["content-type"] == "application/pdf"
    await clerk.check("input[name=verdict_clearance_certificate][value=reject]")
    await clerk.fill("#f-reason_clearance_certificate", "گواهی منقضی شده است")
    await clerk.check("input[name=result][value=correction]")
    await clerk.fill("#f-reason", "گواهی عدم سوءپیشینه را دوباره بفرستید")
    await shot(clerk, "fa", "05-clerk-document-review")
    await clerk.click("#complete")
    await clerk.wait_for_url(re.compile(r"/work$"))

    # -- the applicant answers the correction ------------------------------------------------
    await me.goto(case_url)

    async def correction_asked() -> bool:
        return "درخواست اصلاح" in await me.inner_text("#case-status")

    await reload_until(me, correction_asked)
    await expect(me.locator("#awaiting")).to_contain_text("شما (متقاضی)")
    await shot(me, "fa", "06-case-correction-requested")
    await upload(me, "clearance_certificate", "clearance-new.pdf", PDF + b"% renewed\n")
    await me.click("#send-correction")
    await me.wait_for_load_state()

    # -- the same clerk accepts -------------------------------------------------------------
    await open_task(clerk, "mine", "بررسی مدارک")
    if await clerk.locator("#claim").count():
        await clerk.click("#claim")
        await clerk.wait_for_load_state()
    await clerk.check("input[name=result][value=accept]")
    await clerk.click("#complete")
    await clerk.wait_for_url(re.compile(r"/work$"))

    # -- the inspector the case went to fills the checklist on a phone ------------------------
    supervisor = await platform.token("supervisor.rasht")

    async def inspection_assignee() -> str | None:
        page = (await platform.stack.licensing.get(
            "/tasks", params={"kind": "site_inspection"}, headers=supervisor)).json()
        return page["items"][0]["assignee"] if page["items"] else None

    inspector_name = await eventually(inspection_assignee, timeout=40)
    inspector_context = await platform.context(phone=True)
    inspector = await platform.sign_in(inspector_context, inspector_name)
    await open_task(inspector, "mine", "بازرسی محل")
    photos = inspector.locator("#f-photos")
    assert await photos.get_attribute("accept") == "image/*"
    assert await photos.get_attribute("capture") == "environment"
    for item in ("signage", "equipment", "premises_match_address", "staff_present",
                 "tariff_displayed", "operator_is_holder", "opening_hours"):
        await inspector.check(f"input[name=item_{item}][value=pass]")
    await photos.set_input_files(files=[{"name": "front.png", "mimeType": "image/png",
                                         "buffer": PNG}])
    await inspector.check("input[name=result][value=pass]")
    await shot(inspector, "fa", "07-inspection-checklist")
    await inspector.click("#complete")
    await inspector.wait_for_url(re.compile(r"/work$"))

    # -- the licensing officer approves -------------------------------------------------------
    officer_context = await platform.context()
    officer = await platform.sign_in(officer_context, "officer.rasht")
    await open_task(officer, "queue", "تصمیم صدور مجوز")
    await officer.click("#claim")
    await officer.wait_for_load_state()
    await officer.check("input[name=result][value=approve]")
    await shot(officer, "fa", "08-officer-decision")
    await officer.click("#complete")
    await officer.wait_for_url(re.compile(r"/work$"))

    # -- the applicant sees the license, with its certificate --------------------------------
    await me.goto(case_url)

    async def issued() -> bool:
        return "صادر شد" in await me.inner_text("#case-status")

    await reload_until(me, issued)
    number = (await me.inner_text("#license-number")).strip()
    certificate = await me.request.get(await me.get_attribute("#certificate-link", "href") or "")
    assert certificate.status == 200
    assert certificate.headers["content-type"] == "application/pdf"
    assert "روند پرونده" in await me.inner_text("main")
    await shot(me, "fa", "09-case-issued")
    await me.goto("/notifications")
    await shot(me, "fa", "10-notifications")

    # the same pages in English, remembered after the switch
    await me.goto(case_url)
    await me.click("form.lang button")
    await me.wait_for_load_state()
    await expect(me.locator("html")).to_have_attribute("dir", "ltr")
    await expect(me.locator("#case-status")).to_have_text("Issued")
    await shot(me, "en", "09-case-issued")
    await me.goto("/me")
    await expect(me.locator("html")).to_have_attribute("lang", "en")
    await shot(me, "en", "01-applicant-dashboard")
    await me.goto("/apply/new")
    await me.fill("#f-mobile", "0912")
    await me.click("main form button[type=submit]")
    await expect(me.locator("#mobile-error")).to_contain_text("A mobile number looks like")
    await shot(me, "en", "02-apply-form-errors")

    # -- another applicant cannot open this case ---------------------------------------------
    reza_context = await platform.context()
    reza = await platform.sign_in(reza_context, "0013542419")
    response = await reza.goto(case_url)
    assert response is not None and response.status == 404
    assert "مریم احمدی" not in await reza.content()
    await shot(reza, "fa", "11-another-applicants-case")

    # -- anyone: the registry and the certificate's verification, without signing in --------
    for language in ("fa", "en"):
        citizen_context = await platform.context(phone=True)
        citizen = await citizen_context.new_page()
        await citizen.goto("/")
        if language == "en":
            await citizen.click("form.lang button")
            await citizen.wait_for_load_state()
        await citizen.goto("/registry")
        await citizen.select_option("#r-county", "rasht")
        await citizen.check("input[name=area][value=urban]")
        await citizen.fill("#r-q", number)
        await citizen.click("form[role=search] button[type=submit]")
        await citizen.wait_for_load_state()
        await expect(citizen.locator(".results")).to_contain_text(number)
        await shot(citizen, language, "12-registry-search")
        await citizen.locator(".results a").first.click()
        await citizen.wait_for_load_state()
        await shot(citizen, language, "13-office-page")
        await citizen.goto(f"/verify/{number}")
        await expect(citizen.locator(".verdict")).to_have_class(re.compile("verdict-valid"))
        await shot(citizen, language, "14-verify-valid")
        forged = await citizen.goto("/verify/99-99999")
        assert forged is not None and forged.status == 404
        await shot(citizen, language, "15-verify-not-found")
        missing = await citizen.goto("/no/such/page")
        assert missing is not None and missing.status == 404
        assert "Traceback" not in await citizen.content()
        await shot(citizen, language, "16-page-not-found")
        await citizen_context.close()

    await complaint_life(platform, number)
    await supervision_life(platform, number)

    for context in (applicant_context, clerk_context, inspector_context, officer_context,
                    reza_context):
        await context.close()


async def track(page: Page, code: str, mobile: str) -> None:
    """The tracking form as a notice's link opens it: the code filled in, the mobile typed."""
    await page.goto(f"/complaints/track?code={code}")
    await expect(page.locator("#f-code")).to_have_value(code)
    await page.fill("#f-mobile", mobile)
    await page.click("main form button[type=submit]")
    await page.wait_for_load_state()


async def open_complaint_task(page: Page, complaint_url: str, kind_label: str) -> None:
    """The complaint's page lists its open tasks once the workflow has opened them."""
    await page.goto(complaint_url)

    async def listed() -> bool:
        return await page.get_by_role("link", name=kind_label).count() > 0

    await reload_until(page, listed)
    await page.get_by_role("link", name=kind_label).first.click()
    await page.wait_for_load_state()
    if await page.locator("#claim").count():
        await page.click("#claim")
        await page.wait_for_load_state()


async def complaint_life(platform: Platform, number: str) -> None:
    """A complaint filed on the public form and one by phone; the complaints officer triages
    and resolves the first; the complainant sees it resolved and rates it."""
    mobile = "09123334455"
    # -- a citizen, on a phone, in Persian: the office's page, then the complaint form -------
    citizen_context = await platform.context(phone=True)
    citizen = await citizen_context.new_page()
    await citizen.goto(f"/registry?q={number}")
    await citizen.locator(".results a").first.click()
    await citizen.click("main a[href^='/complaints/new?']")
    form_url = citizen.url

    async def filed() -> bool:
        if "/complaints/filed/" not in citizen.url:
            await citizen.goto(form_url)
        await citizen.select_option("#f-category", "fee_above_tariff")
        await citizen.fill("#f-service_name", "صدور گواهی")
        await citizen.fill("#f-amount_charged", "۵۰۰۰۰۰")
        await citizen.fill("#f-description", "برای صدور گواهی بیش از تعرفه پول گرفتند.")
        await citizen.fill("#f-mobile", mobile)
        await citizen.set_input_files("#f-file", files=[{
            "name": "receipt.png", "mimeType": "image/png", "buffer": PNG}])
        await citizen.click("main form button[type=submit]")
        await citizen.wait_for_load_state()
        return "/complaints/filed/" in citizen.url

    # the complaints service learns of the new license from the bus
    await eventually(filed, timeout=30, interval=1)
    code = (await citizen.inner_text("#tracking-code")).strip()
    await shot(citizen, "fa", "17-complaint-filed")

    # found again by its code and the mobile; a wrong mobile shows nothing of it
    await track(citizen, code, mobile)
    await expect(citizen.locator("#complaint-status")).not_to_be_empty()
    await shot(citizen, "fa", "18-complaint-tracked")
    await track(citizen, code, "09120000000")
    await expect(citizen.locator("#form-problems")).to_be_visible()
    assert await citizen.locator("#complaint-status").count() == 0
    assert "صدور گواهی" not in await citizen.inner_text("main")
    await shot(citizen, "fa", "19-complaint-wrong-mobile")

    # -- the 195 operator files one for a caller ----------------------------------------------
    operator_context = await platform.context()
    operator = await platform.sign_in(operator_context, "operator195")
    assert operator.url.endswith("/intake")
    await operator.fill("#f-mobile", "۰۹۱۲۵۵۵۶۶۷۷")
    await operator.select_option("#f-language", "fa")
    await operator.fill("#f-license_number", number)
    await operator.select_option("#f-category", "refused_service")
    await operator.fill("#f-description", "تماس‌گیرنده می‌گوید دفتر از ارائه خدمت خودداری کرد.")
    await operator.click("main form button[type=submit]")
    await expect(operator.locator("#tracking-code")).not_to_be_empty()
    phone_code = (await operator.inner_text("#tracking-code")).strip()
    assert phone_code and phone_code != code
    await shot(operator, "fa", "20-intake-filed")

    # -- the complaints officer: triage (accept), then the investigation (upheld, refund) ------
    officer_context = await platform.context()
    officer = await platform.sign_in(officer_context, "complaints.officer")
    await officer.goto("/staff/complaints?channel=phone_195")
    await expect(officer.locator(".results")).to_contain_text(phone_code)
    await officer.goto("/staff/complaints?channel=web")
    await officer.locator(".results a", has_text=code).click()
    await officer.wait_for_load_state()
    complaint_url = officer.url.removeprefix(platform.portal_url)
    await expect(officer.locator("main")).to_contain_text(mobile)
    attachment = officer.locator("a[href*='/attachments/']")
    viewed = await officer.request.get(await attachment.first.get_attribute("href") or "")
    assert viewed.status == 200 and viewed.headers["content-type"] == "image/png"
    await shot(officer, "fa", "21-complaint-page")

    await open_complaint_task(officer, complaint_url, "بررسی اولیه شکایت")
    await expect(officer.locator("#complaint-description")).to_contain_text("بیش از تعرفه")
    await officer.check("input[name=result][value=accept]")
    await shot(officer, "fa", "22-complaint-triage")
    await officer.click("#complete")
    await officer.wait_for_url(re.compile(r"/work$"))

    await open_complaint_task(officer, complaint_url, "رسیدگی به شکایت")
    await officer.check("input[name=result][value=upheld]")
    await officer.check("#f-refund_ordered")
    await officer.select_option("#f-sanction_recommended", "suspension")
    await officer.fill("#f-reason", "دفتر بیش از تعرفه گرفته و باید مابه‌التفاوت را بازگرداند.")
    await officer.click("#complete")
    # a refund needs its amount: said next to the field, what was chosen is kept
    await expect(officer.locator("#refund_amount-error")).to_contain_text("مبلغ بازپرداخت")
    await expect(officer.locator("#f-refund_ordered")).to_be_checked()
    await expect(officer.locator("#f-sanction_recommended")).to_have_value("suspension")
    await shot(officer, "fa", "23-complaint-investigation-errors")
    await officer.fill("#f-refund_amount", "۲۰۰٬۰۰۰")
    await officer.click("#complete")
    await officer.wait_for_url(re.compile(r"/work$"))

    await officer.goto(complaint_url)

    async def resolved_here() -> bool:
        return "رسیدگی شد" in await officer.inner_text("#complaint-status")

    await reload_until(officer, resolved_here)
    await expect(officer.locator("#resolution-finding")).to_have_text("وارد است")
    await shot(officer, "fa", "24-complaint-resolved")
    await officer.click("form.lang button")
    await officer.wait_for_load_state()
    await expect(officer.locator("#complaint-status")).to_have_text("Resolved")
    await shot(officer, "en", "24-complaint-resolved")

    # -- the complainant sees "resolved" and rates it ------------------------------------------
    await track(citizen, code, mobile)
    await expect(citizen.locator("#complaint-status")).to_have_text("رسیدگی شد")
    await citizen.check("input[name=rating][value='5']")
    await citizen.fill("#f-comment", "سریع رسیدگی شد.")
    await shot(citizen, "fa", "25-complaint-resolved-tracking")
    await citizen.click("form[action$='/rating'] button[type=submit]")
    await citizen.wait_for_load_state()
    await expect(citizen.locator("main")).to_contain_text("امتیاز شما ثبت شد")
    await shot(citizen, "fa", "26-complaint-rated")
    await citizen.click("form.lang button")
    await citizen.wait_for_load_state()
    await track(citizen, code, mobile)
    await expect(citizen.locator("#complaint-status")).to_have_text("Resolved")
    await shot(citizen, "en", "26-complaint-rated")
    for context in (citizen_context, operator_context, officer_context):
        await context.close()


async def supervision_life(platform: Platform, number: str) -> None:
    """The review the upheld complaint's recommended suspension opened: the holder answers
    it and reports a month's activity on the license's page, the county's inspector visits,
    the licensing officer suspends the license; the verification page and the registry
    show it."""
    answer = "مابه‌التفاوت را به شهروند بازگرداندیم و جدول تعرفه‌ها را نصب کردیم."
    # -- the holder, on a phone: the license's page from "My licenses" ------------------------
    holder_context = await platform.context(phone=True)
    holder = await platform.sign_in(holder_context, "0499370899")
    await holder.locator("ul.results").first.locator(f"a[href='/licenses/{number}']").click()
    await holder.wait_for_load_state()
    await expect(holder.locator("#license-number")).to_have_text(number)

    async def review_listed() -> bool:
        return await holder.locator("#reviews article").count() > 0

    await reload_until(holder, review_listed)
    review = holder.locator("#reviews article").first
    await expect(review).to_contain_text("پیشنهاد مجازات")
    await review.locator("textarea[name=text]").fill(answer)
    await review.locator("button[type=submit]").click()
    await holder.wait_for_load_state()
    await expect(holder.locator("main")).to_contain_text("پاسخ شما فرستاده شد")
    await expect(holder.locator("#reviews")).to_contain_text(answer)

    # this month of the Jalali calendar, as the form offers it; the year typed in Persian
    year = await holder.input_value("#f-year")
    month = await holder.input_value("#f-month")
    await holder.fill("#f-year", persian_digits(year))
    await holder.select_option("#f-month", month)
    await holder.fill("#f-service_count", "۱۲۸")
    await holder.click("form[action$='/activity'] button[type=submit]")
    await holder.wait_for_load_state()
    await expect(holder.locator("main")).to_contain_text("آمار فعالیت ماه ثبت شد")
    reported = holder.locator("#activity-reports tbody tr").first
    await expect(reported).to_contain_text("۱۲۸")
    # a year is written as a year, without a thousands separator
    await expect(reported.locator("th")).to_contain_text(persian_digits(year))
    await expect(holder.locator("#reviews")).to_contain_text(answer)
    license_url = holder.url.removeprefix(platform.portal_url).split("?")[0].split("#")[0]
    await holder.goto(license_url)
    await shot(holder, "fa", "27-license-review-answered")

    # -- the county's inspector the review's site inspection went to --------------------------
    supervisor = await platform.token("supervisor.rasht")

    async def inspection_assignee() -> str | None:
        page = (await platform.stack.licensing.get(
            "/tasks", params={"kind": "site_inspection"}, headers=supervisor)).json()
        return next((t["assignee"] for t in page["items"]
                     if t["status"] in ("open", "claimed") and t["assignee"]), None)

    inspector_name = await eventually(inspection_assignee, timeout=40)
    inspector_context = await platform.context(phone=True)
    inspector = await platform.sign_in(inspector_context, inspector_name)
    await open_task(inspector, "mine", "بازرسی محل")
    if await inspector.locator("#claim").count():
        await inspector.click("#claim")
        await inspector.wait_for_load_state()
    for item in ("signage", "equipment", "premises_match_address", "staff_present",
                 "operator_is_holder", "opening_hours"):
        await inspector.check(f"input[name=item_{item}][value=pass]")
    await inspector.check("input[name=item_tariff_displayed][value=fail]")
    await inspector.fill("#f-note_tariff_displayed", "جدول تعرفه در دید مراجعان نیست")
    await inspector.check("input[name=result][value=fail]")
    await inspector.fill("#f-reason", "جدول تعرفه‌ها نصب نشده است.")
    await shot(inspector, "fa", "28-review-inspection")
    await inspector.click("#complete")
    await inspector.wait_for_url(re.compile(r"/work$"))

    # -- the licensing officer reads it all and suspends --------------------------------------
    officer_context = await platform.context()
    officer = await platform.sign_in(officer_context, "officer.rasht")
    await officer.goto("/staff/reviews?status=open")
    await expect(officer.locator(".results")).to_contain_text(number)
    await shot(officer, "fa", "29-staff-reviews")
    await open_task(officer, "queue", "تصمیم بازبینی نظارتی")
    await officer.click("#claim")
    await officer.wait_for_load_state()
    await expect(officer.locator("#review-reasons")).to_contain_text("پیشنهاد مجازات")
    await expect(officer.locator("#inspection-result")).to_have_text("محل رد شد")
    await expect(officer.locator("#review")).to_contain_text("تعرفه در معرض دید است")
    await expect(officer.locator("#holder-answer")).to_have_text(answer)
    await officer.check("input[name=result][value=suspension]")
    await officer.fill("#f-reason", "دریافت بیش از تعرفه و نصب نکردن جدول تعرفه‌ها.")
    await shot(officer, "fa", "30-review-decision")
    await officer.click("#complete")
    # a suspension needs its days: said next to the field, what was chosen is kept
    await expect(officer.locator("#suspension_days-error")).to_contain_text("تعداد روزهای تعلیق")
    await expect(officer.locator("input[name=result][value=suspension]")).to_be_checked()
    await shot(officer, "fa", "31-review-decision-errors")
    await officer.fill("#f-suspension_days", "۱۴")
    decided_on = local_today()
    await officer.click("#complete")
    await officer.wait_for_url(re.compile(r"/work$"))

    # -- anyone: the verification page says suspended, until when; the registry drops it ------
    citizen_context = await platform.context(phone=True)
    citizen = await citizen_context.new_page()
    await citizen.goto(f"/verify/{number}")

    async def suspended() -> bool:
        return "verdict-suspended" in (await citizen.get_attribute(".verdict", "class") or "")

    await reload_until(citizen, suspended)
    await expect(citizen.locator("#verdict-title")).to_have_text("تعلیق‌شده")
    # fourteen days from the decision (in Iran's time)
    ends = {persian_digits(jdatetime.date.fromgregorian(date=day + dt.timedelta(days=14))
                           .strftime("%Y/%m/%d")) for day in (decided_on, local_today())}
    assert (await citizen.inner_text("#suspended-until")).strip() in ends
    await shot(citizen, "fa", "32-verify-suspended")
    await citizen.goto("/registry")
    await citizen.fill("#r-q", number)
    await citizen.click("form[role=search] button[type=submit]")
    await citizen.wait_for_load_state()
    await expect(citizen.locator(".results")).not_to_contain_text(number)
    await shot(citizen, "fa", "33-registry-without-suspended")

    # -- the holder sees the decision on the license's page ----------------------------------
    await holder.goto(license_url)
    await expect(holder.locator("#license-status")).to_have_text("تعلیق‌شده")
    await expect(holder.locator("#reviews")).to_contain_text("تعلیق")
    await shot(holder, "fa", "34-license-suspended")
    for context in (holder_context, inspector_context, officer_context, citizen_context):
        await context.close()
