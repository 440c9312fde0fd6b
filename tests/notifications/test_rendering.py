"""Every template in Persian and English: compared with a reviewed sample (golden file),
Jalali dates and Persian digits in fa, SMS within its budget, HTML escaped.

After changing a template on purpose, rewrite the samples and review the diff:
    PISHKHAN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/notifications/test_rendering.py
"""

from __future__ import annotations

import os
import re
import typing
from pathlib import Path
from typing import Any

import pytest

from services.contracts.notifications import NotificationTemplate
from services.notifications.rendering import (
    Renderer,
    Rendition,
    Unrenderable,
    persian_digits,
    sms_segments,
    sms_units,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PISHKHAN_UPDATE_GOLDEN") == "1"
APPLICATION_ID = "3f9a1c2e7b4d4e0f9a8b7c6d5e4f3a2b"
BUDGET = 3  # the service's default number of SMS segments

# One sample per template (and per variant): the data a workflow would send.
SAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "application_received": ("application_received", {
        "applicant_name": "مریم احمدی", "submitted_at": "2025-07-23T06:30:00+00:00"}),
    "application_step": ("application_step", {
        "status": "inspection", "occurred_at": "2025-07-26T08:15:00+00:00"}),
    "correction_requested": ("correction_requested", {
        "documents": [
            {"type": "premises_document", "reason": "اجاره‌نامه امضا ندارد"},
            {"type": "national_id_card", "reason": "تصویر ناخوانا است"},
        ],
        "reason": "", "deadline": "2025-08-06"}),
    "inspection_scheduled": ("inspection_scheduled", {
        "due_at": "2025-08-02T05:30:00+00:00", "inspector": "علی کریمی"}),
    "decision_made": ("decision_made", {"decision": "approve"}),
    "decision_made.reject": ("decision_made", {
        "decision": "reject", "reason": "محل دفتر با طرح جامع شهری مغایرت دارد."}),
    "license_issued": ("license_issued", {
        "license_number": "GL-06-000123", "valid_until": "2031-03-21"}),
    "application_rejected": ("application_rejected", {
        "step": "site_inspection", "reason": "محل دفتر ورودی مستقل از خیابان ندارد."}),
    "application_withdrawn": ("application_withdrawn", {
        "withdrawn_at": "2025-07-30T11:00:00+00:00"}),
    "application_abandoned": ("application_abandoned", {"deadline": "2025-08-06"}),
    "task_reminder": ("task_reminder", {
        "task_kind": "document_review", "task_id": "7c1e0b9d2f3a4c5d8e9f0a1b2c3d4e5f",
        "due_at": "2025-07-28T12:30:00+00:00"}),
    "task_escalated": ("task_escalated", {
        "task_kind": "site_inspection", "task_id": "7c1e0b9d2f3a4c5d8e9f0a1b2c3d4e5f",
        "due_at": "2025-07-28T12:30:00+00:00", "level": 2, "assignee": "علی کریمی"}),
    "expiry_reminder": ("expiry_reminder", {
        "license_number": "GL-06-000123", "valid_until": "2026-03-20"}),
    "complaint_received": ("complaint_received", {
        "complaint_id": "c5b7e2d1a9f84c3b", "tracking_code": "195-140405-0042",
        "received_at": "2025-07-27T09:45:00+00:00"}),
    "complaint_received.office": ("complaint_received", {
        "complaint_id": "c5b7e2d1a9f84c3b", "tracking_code": "195-140405-0042",
        "received_at": "2025-07-27T09:45:00+00:00", "audience": "office",
        "office_name": "پیشخوان مرکزی رشت"}),
    "complaint_response_requested": ("complaint_response_requested", {
        "complaint_id": "c5b7e2d1a9f84c3b", "tracking_code": "195-140405-0042",
        "category": "fee_above_tariff", "deadline": "2025-08-03T20:29:59+00:00",
        "office_name": "پیشخوان مرکزی رشت"}),
    "complaint_triaged": ("complaint_triaged", {
        "complaint_id": "c5b7e2d1a9f84c3b", "tracking_code": "195-140405-0042",
        "result": "rejected",
        "reason": "موضوع شکایت به اداره ثبت احوال مربوط است، نه به دفتر پیشخوان."}),
    "complaint_triaged.merged": ("complaint_triaged", {
        "complaint_id": "c5b7e2d1a9f84c3b", "tracking_code": "195-140405-0042",
        "result": "merged", "reason": "همان دریافت وجه اضافه در همان روز",
        "duplicate_of": "195-140405-0017"}),
    "complaint_resolved": ("complaint_resolved", {
        "complaint_id": "c5b7e2d1a9f84c3b", "tracking_code": "195-140405-0042",
        "resolved_at": "2025-08-10T07:00:00+00:00", "resolution": "upheld",
        "summary": "دفتر برای صدور کارت سوخت بیش از تعرفه مصوب وجه گرفته بود.",
        "refund_amount": 1250000, "reopen_until": "2025-08-24T20:29:59+00:00"}),
    "complaint_resolved.not_upheld": ("complaint_resolved", {
        "complaint_id": "c5b7e2d1a9f84c3b", "tracking_code": "195-140405-0042",
        "resolved_at": "2025-08-10T07:00:00+00:00", "resolution": "not_upheld"}),
    "review_opened": ("review_opened", {
        "license_number": "GL-06-000123", "review_id": "9e8d7c6b5a4f4e3d",
        "reasons": ["upheld_complaints", "operator_not_holder"],
        "answer_deadline": "2025-09-10T20:29:59+00:00"}),
    "review_opened.idle": ("review_opened", {
        "license_number": "GL-06-000123", "review_id": "9e8d7c6b5a4f4e3d",
        "reasons": ["idle"], "answer_deadline": "2025-09-10T20:29:59+00:00"}),
    "review_closed": ("review_closed", {
        "license_number": "GL-06-000123", "review_id": "9e8d7c6b5a4f4e3d",
        "decision": "no_action"}),
    "sanction_imposed": ("sanction_imposed", {
        "license_number": "GL-06-000123", "sanction": "suspension",
        "reason": "دریافت وجه بیش از تعرفه مصوب", "effective_from": "2025-09-01",
        "until": "2025-10-01"}),
    "sanction_imposed.warning": ("sanction_imposed", {
        "license_number": "GL-06-000123", "sanction": "warning",
        "reason": "دو شکایت واردشده درباره رفتار نامناسب", "effective_from": "2025-09-01"}),
    "sanction_imposed.revocation": ("sanction_imposed", {
        "license_number": "GL-06-000123", "sanction": "revocation",
        "reason": "اداره دفتر توسط فردی غیر از دارنده پروانه",
        "effective_from": "2025-09-01"}),
    "suspension_lifted": ("suspension_lifted", {
        "license_number": "GL-06-000123", "lifted_at": "2025-10-01T20:30:00+00:00"}),
    "license_renewed": ("license_renewed", {
        "license_number": "GL-06-000123", "valid_until": "2032-03-20"}),
    "transfer_consent_requested": ("transfer_consent_requested", {
        "license_number": "GL-06-000123", "holder_name": "مریم احمدی",
        "deadline": "2025-09-15"}),
    "license_transferred": ("license_transferred", {
        "license_number": "GL-06-000123", "audience": "previous", "other_name": "رضا محمدی"}),
    "license_transferred.new": ("license_transferred", {
        "license_number": "GL-06-000123", "audience": "new", "other_name": "مریم احمدی"}),
    "address_changed": ("address_changed", {
        "license_number": "GL-06-000123",
        "address": "رشت، خیابان سعدی، نبش کوچه 12، پلاک 8"}),
    "license_expired": ("license_expired", {
        "license_number": "GL-06-000123", "valid_until": "2026-03-20"}),
}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(timezone="Asia/Tehran", public_base_url="https://pishkhan.example.ir",
                    sms_max_segments=BUDGET)


def render(renderer: Renderer, sample: str) -> dict[str, Rendition]:
    template, data = SAMPLES[sample]
    return renderer.render(template, {"application_id": APPLICATION_ID, **data})


def as_golden(rendition: Rendition) -> str:
    return (
        f"subject: {rendition.subject}\n"
        f"--- sms ({sms_segments(rendition.sms)} segments) ---\n{rendition.sms}\n"
        f"--- e-mail text ---\n{rendition.email_text}\n"
        f"--- e-mail html ---\n{rendition.html}\n"
    )


def test_every_template_has_a_sample() -> None:
    templates = set(typing.get_args(NotificationTemplate))
    assert {template for template, _ in SAMPLES.values()} == templates


@pytest.mark.parametrize("language", ["fa", "en"])
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_each_template_renders_as_its_reviewed_sample(renderer: Renderer, sample: str,
                                                     language: str) -> None:
    rendition = render(renderer, sample)[language]
    path = GOLDEN / f"{sample}.{language}.txt"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(as_golden(rendition), encoding="utf-8")
    assert path.exists(), f"no sample for {sample}/{language}: rerun with PISHKHAN_UPDATE_GOLDEN=1"
    assert as_golden(rendition) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_sms_fits_the_budget_whole_and_ends_with_the_link(renderer: Renderer,
                                                          sample: str) -> None:
    for language, rendition in render(renderer, sample).items():
        assert sms_segments(rendition.sms) <= BUDGET, (language, rendition.sms)
        assert rendition.sms.endswith(f"\n{rendition.link}")
        assert "…" not in rendition.sms and "..." not in rendition.sms, "a sample was shortened"
        assert rendition.link.startswith("https://pishkhan.example.ir/")


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_persian_is_in_persian_digits_and_english_in_latin(renderer: Renderer,
                                                           sample: str) -> None:
    renditions = render(renderer, sample)
    for part in (renditions["fa"].subject, renditions["fa"].text):
        # Latin digits may remain only inside codes (the case id, a tracking code)
        without_codes = re.sub(r"[0-9a-f]{8}|195-\d+-\d+", "", part)
        assert not re.search(r"[0-9]", without_codes), part
    for part in (renditions["en"].subject, renditions["en"].text):
        assert not re.search(r"[۰-۹]", part), part


def test_dates_are_jalali_in_persian_and_gregorian_in_english(renderer: Renderer) -> None:
    received = render(renderer, "application_received")
    # 06:30 UTC on 23 July 2025 is 10:00 in Tehran on 1 Mordad 1404
    assert "۱۴۰۴/۰۵/۰۱ ۱۰:۰۰" in received["fa"].text
    assert "۱ مرداد ۱۴۰۴، ساعت ۱۰:۰۰" in received["fa"].html
    assert "2025-07-23 10:00" in received["en"].text
    assert "23 July 2025, 10:00" in received["en"].html
    issued = render(renderer, "license_issued")
    assert "۱۴۱۰/۰۱/۰۱" in issued["fa"].text and "2031-03-21" in issued["en"].text
    assert "GL-۰۶-۰۰۰۱۲۳" in issued["fa"].text and "GL-06-000123" in issued["en"].text


def test_a_long_message_is_shortened_to_the_budget_keeping_the_link(renderer: Renderer) -> None:
    long_reason = "دلیل بسیار مفصلی که کارشناس نوشته است " * 20
    renditions = renderer.render("application_rejected", {
        "application_id": APPLICATION_ID, "step": "decision", "reason": long_reason})
    fa = renditions["fa"]
    assert sms_segments(fa.sms) == BUDGET
    assert fa.sms.endswith(f"…\n{fa.link}")
    assert fa.text.startswith(fa.sms.split("…")[0])
    assert long_reason.strip() in fa.text  # the inbox and the e-mail say it all
    english = renderer.render("application_rejected", {
        "application_id": APPLICATION_ID, "step": "decision", "reason": "too long " * 80})["en"]
    units, ucs2 = sms_units(english.sms)
    assert not ucs2 and units <= 3 * 153 and english.sms.endswith(f"...\n{english.link}")


def test_a_license_change_refused_by_licensing_names_its_step(renderer: Renderer) -> None:
    for step, fa, en in (("renewal", "تمدید پروانه", "renewal of the license"),
                         ("transfer", "انتقال پروانه", "transfer of the license"),
                         ("address_change", "تغییر نشانی دفتر", "change of the office's address")):
        renditions = renderer.render("application_rejected", {
            "application_id": APPLICATION_ID, "step": step,
            "reason": "license_revoked: GL-06-000123"})
        assert fa in renditions["fa"].text and en in renditions["en"].text


def test_complaint_links_go_to_the_tracking_page_or_the_office_portal(
        renderer: Renderer) -> None:
    base = "https://pishkhan.example.ir"
    for sample in ("complaint_received", "complaint_triaged", "complaint_resolved"):
        assert render(renderer, sample)["fa"].link == (
            f"{base}/complaints/track?code=195-140405-0042"), sample
    for sample in ("complaint_received.office", "complaint_response_requested"):
        assert render(renderer, sample)["en"].link == (
            f"{base}/office/complaints/c5b7e2d1a9f84c3b"), sample
    odd = renderer.render("complaint_resolved", {
        "complaint_id": "c1", "tracking_code": "195 & 1", "resolved_at": "2025-08-10",
        "resolution": "not_upheld"})
    assert odd["en"].link == f"{base}/complaints/track?code=195%20%26%201"


def test_sums_of_money_have_persian_digits_and_separators(renderer: Renderer) -> None:
    resolved = render(renderer, "complaint_resolved")
    assert "۱٬۲۵۰٬۰۰۰ ریال" in resolved["fa"].text and "۱٬۲۵۰٬۰۰۰ ریال" in resolved["fa"].sms
    assert "1,250,000 rials" in resolved["en"].text
    as_text = renderer.render("complaint_resolved", {
        "complaint_id": "c1", "tracking_code": "1", "resolved_at": "2025-08-10",
        "resolution": "upheld", "refund_amount": "500000"})
    assert "۵۰۰٬۰۰۰ ریال" in as_text["fa"].text


def test_each_sanction_reads_as_itself(renderer: Renderer) -> None:
    subjects = {sample: render(renderer, sample)
                for sample in ("sanction_imposed", "sanction_imposed.warning",
                               "sanction_imposed.revocation")}
    assert subjects["sanction_imposed.warning"]["fa"].subject.startswith("اخطار کتبی")
    assert "suspended" in subjects["sanction_imposed"]["en"].subject
    assert "تا ۱۴۰۴/۰۷/۰۹" in subjects["sanction_imposed"]["fa"].text
    assert "revoked" in subjects["sanction_imposed.revocation"]["en"].text
    assert "until" not in subjects["sanction_imposed.revocation"]["en"].text


def test_an_empty_reason_is_left_out_rather_than_shown_blank(renderer: Renderer) -> None:
    # the workflows send "" when the officer wrote nothing
    for template, data in (
        ("sanction_imposed", {"license_number": "GL-1", "sanction": "revocation", "reason": "",
                              "effective_from": "2025-09-01"}),
        ("complaint_triaged", {"complaint_id": "c1", "tracking_code": "195-1-2",
                               "result": "merged", "reason": ""}),
    ):
        renditions = renderer.render(template, data)
        for word, rendition in (("دلیل", renditions["fa"]), ("Reason", renditions["en"])):
            assert word not in rendition.text and word not in rendition.sms, template
            assert "توضیح" not in rendition.text and "Note" not in rendition.text, template


def test_sms_segments_count_the_way_the_network_does() -> None:
    assert sms_segments("س" * 70) == 1 and sms_segments("س" * 71) == 2
    assert sms_segments("س" * 134) == 2 and sms_segments("س" * 135) == 3
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2
    assert sms_segments("{" * 80) == 1 and sms_segments("{" * 81) == 2  # two septets each
    assert persian_digits("GL-06 2031") == "GL-۰۶ ۲۰۳۱"


def test_html_escapes_what_people_typed_and_text_keeps_it(renderer: Renderer) -> None:
    renditions = renderer.render("application_rejected", {
        "application_id": APPLICATION_ID, "step": "decision",
        "reason": '<script>alert("x")</script> & co'})
    for rendition in renditions.values():
        assert "<script>" not in rendition.html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in rendition.html
        assert '<script>alert("x")</script> & co' in rendition.text


@pytest.mark.parametrize(("template", "data", "named"), [
    ("license_issued", {"valid_until": "2031-03-21"}, "license_number"),
    ("license_issued", {"license_number": "GL-1", "valid_until": "someday"}, "not a date"),
    ("decision_made", {"decision": "maybe"}, "approve or reject"),
    ("application_step", {"status": "no_such_step", "occurred_at": "2025-07-23"}, "no_such_step"),
    ("sanction_imposed", {"license_number": "GL-1", "sanction": "fine", "reason": "x",
                          "effective_from": "2025-09-01"}, "fine"),
    ("complaint_received", {"complaint_id": "c1", "tracking_code": "1", "audience": "press",
                            "received_at": "2025-07-23"}, "audience"),
    ("complaint_received", {"complaint_id": "c1", "received_at": "2025-07-23"},
     "tracking_code"),
    ("complaint_response_requested", {"complaint_id": "c1", "tracking_code": "1",
                                      "category": "rudeness", "deadline": "2025-07-23"},
     "rudeness"),
    ("complaint_triaged", {"complaint_id": "c1", "tracking_code": "1", "result": "accept",
                           "reason": "x"}, "rejected or merged"),
    ("complaint_resolved", {"complaint_id": "c1", "tracking_code": "1",
                            "resolved_at": "2025-07-23", "resolution": "partly"},
     "upheld or not_upheld"),
    ("complaint_resolved", {"complaint_id": "c1", "tracking_code": "1",
                            "resolved_at": "2025-07-23", "resolution": "upheld",
                            "refund_amount": "a lot"}, "not an amount"),
    ("review_opened", {"license_number": "GL-1", "review_id": "r1", "reasons": ["rumour"],
                       "answer_deadline": "2025-07-23"}, "rumour"),
    ("review_opened", {"license_number": "GL-1", "review_id": "r1", "reasons": [],
                       "answer_deadline": "2025-07-23"}, "at least one reason"),
    ("review_closed", {"license_number": "GL-1", "review_id": "r1", "decision": "warning"},
     "sanction_imposed"),
    ("suspension_lifted", {"lifted_at": "2025-07-23"}, "license_number"),
    ("license_transferred", {"license_number": "GL-1", "audience": "heir",
                             "other_name": "x"}, "audience"),
    ("license_transferred", {"license_number": "GL-1", "other_name": "x"}, "audience"),
    ("task_reminder", {"task_kind": "document_review", "due_at": "2025-07-23"}, "task_id"),
    ("no_such_template", {}, "no_such_template"),
])
def test_what_cannot_be_rendered_says_why(renderer: Renderer, template: str,
                                          data: dict[str, Any], named: str) -> None:
    with pytest.raises(Unrenderable, match=named):
        renderer.render(template, {"application_id": APPLICATION_ID, **data})
