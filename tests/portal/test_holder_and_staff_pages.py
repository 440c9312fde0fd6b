"""The pages of a license holder (their license, complaints about their office) and of the
complaints officer, over fake services: who may open them, and forms that say what is
wrong before anything is sent."""

from __future__ import annotations

import httpx

from contextlib import AbstractAsyncContextManager

from tests.auth_fixtures import TokenIssuer
from tests.portal.conftest import (
    COMPLAINT_ID,
    LICENSE_NUMBER,
    FakeServices,
    csrf_of,
    portal_client,
    portal_settings,
    sign_in,
)


def client(issuer: TokenIssuer, services: FakeServices
           ) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return portal_client(portal_settings(issuer), services)


async def test_the_holder_sees_the_license_and_another_applicant_gets_404(
        issuer: TokenIssuer, services: FakeServices) -> None:
    async with client(issuer, services) as holder, client(issuer, services) as other:
        await sign_in(holder, "0499370899")
        page = await holder.get(f"/licenses/{LICENSE_NUMBER}")
        assert page.status_code == 200
        assert "مریم احمدی" in page.text and 'id="activity-reports"' in page.text
        # the open review takes a written answer; the month's form is there
        assert f"/licenses/{LICENSE_NUMBER}/reviews/7/answer" in page.text
        assert f"/licenses/{LICENSE_NUMBER}/activity" in page.text

        await sign_in(other, "0013542419")
        refused = await other.get(f"/licenses/{LICENSE_NUMBER}")
        assert refused.status_code == 404 and "مریم احمدی" not in refused.text
        token = await csrf_of(other, "/")
        answer = await other.post(f"/licenses/{LICENSE_NUMBER}/reviews/7/answer",
                                  data={"text": "پاسخ کسی که دارنده نیست", "csrf_token": token})
        assert answer.status_code == 404
        assert services.posted == []


async def test_a_complaint_about_the_office_is_the_holders_alone(
        issuer: TokenIssuer, services: FakeServices) -> None:
    async with client(issuer, services) as holder, client(issuer, services) as other:
        await sign_in(holder, "0499370899")
        page = await holder.get(f"/office/complaints/{COMPLAINT_ID}")
        assert page.status_code == 200
        assert "ABCDEFGH23" in page.text
        assert f"/office/complaints/{COMPLAINT_ID}/response" in page.text
        # the mobile of the complainant is never on the office's page
        assert "09123334455" not in page.text

        await sign_in(other, "0013542419")
        refused = await other.get(f"/office/complaints/{COMPLAINT_ID}")
        assert refused.status_code == 404 and "ABCDEFGH23" not in refused.text


async def test_an_empty_answer_is_refused_next_to_its_field_and_nothing_is_sent(
        issuer: TokenIssuer, services: FakeServices) -> None:
    async with client(issuer, services) as holder:
        await sign_in(holder, "0499370899")
        token = await csrf_of(holder, f"/office/complaints/{COMPLAINT_ID}")
        reply = await holder.post(f"/office/complaints/{COMPLAINT_ID}/response",
                                  data={"text": "  ", "csrf_token": token})
        assert reply.status_code == 422 and 'id="text-error"' in reply.text
        token = await csrf_of(holder, f"/licenses/{LICENSE_NUMBER}")
        reply = await holder.post(f"/licenses/{LICENSE_NUMBER}/activity",
                                  data={"year": "۱۴۰۴", "month": "3", "service_count": "بسیار",
                                        "csrf_token": token})
        assert reply.status_code == 422 and 'id="service_count-error"' in reply.text
        assert 'value="1404"' in reply.text  # Persian digits, kept as a number
        assert services.posted == []


async def test_complaint_pages_are_for_the_complaints_officer(
        issuer: TokenIssuer, services: FakeServices) -> None:
    async with client(issuer, services) as applicant, client(issuer, services) as officer:
        await sign_in(applicant, "0499370899")
        for path in ("/staff/complaints", f"/staff/complaints/{COMPLAINT_ID}", "/staff/reviews"):
            assert (await applicant.get(path)).status_code == 403
        await sign_in(officer, "complaints.officer")
        page = await officer.get(f"/staff/complaints/{COMPLAINT_ID}")
        assert page.status_code == 200 and "09123334455" in page.text


async def test_a_broken_outcome_rule_is_said_at_its_field_before_anything_is_sent(
        issuer: TokenIssuer, services: FakeServices) -> None:
    async with client(issuer, services) as officer:
        await sign_in(officer, "complaints.officer")
        token = await csrf_of(officer, "/work/complaints/t1")
        reply = await officer.post("/work/complaints/t1/complete",
                                   data={"result": "merge", "reason": "", "csrf_token": token})
        assert reply.status_code == 422
        assert 'id="reason-error"' in reply.text and 'id="duplicate_of-error"' in reply.text
        assert "کد پیگیری شکایت قبلی را بنویسید" in reply.text
        assert services.posted == []
        reply = await officer.post("/work/complaints/t1/complete",
                                   data={"result": "accept", "reason": "", "csrf_token": token})
        assert reply.status_code == 303
        assert services.posted == [("/tasks/t1/complete",
                                    {"outcome": {"result": "accept", "reason": None}})]


async def test_the_tracking_link_of_a_notice_fills_in_the_code(
        portal: httpx.AsyncClient) -> None:
    page = await portal.get("/complaints/track", params={"code": "abcdefgh23"})
    assert page.status_code == 200 and 'value="ABCDEFGH23"' in page.text


async def test_the_review_decision_shows_the_case_and_takes_a_suspension_with_its_days(
        issuer: TokenIssuer, services: FakeServices) -> None:
    async with client(issuer, services) as officer:
        await sign_in(officer, "officer.rasht")
        page = await officer.get("/work/licensing/t2")
        assert page.status_code == 200
        for shown in ("روزهای بدون فعالیت", "بازرسی محل ناموفق", "تابلو ندارد",
                      "دفتر در حال تعمیر بود."):
            assert shown in page.text
        token = await csrf_of(officer, "/work/licensing/t2")
        reply = await officer.post("/work/licensing/t2/complete",
                                   data={"result": "suspension", "reason": "تکرار تخلف",
                                         "suspension_days": "", "csrf_token": token})
        assert reply.status_code == 422 and 'id="suspension_days-error"' in reply.text
        assert services.posted == []
        reply = await officer.post("/work/licensing/t2/complete",
                                   data={"result": "suspension", "reason": "تکرار تخلف",
                                         "suspension_days": "۳۰", "csrf_token": token})
        assert reply.status_code == 303
        assert services.posted == [("/tasks/t2/complete", {"outcome": {
            "result": "suspension", "reason": "تکرار تخلف", "suspension_days": 30}})]
