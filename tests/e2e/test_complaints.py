"""Complaints over HTTP on the real stack (services, RabbitMQ, the Temporal dev server):
one from the public web form and one through the 195 line, through triage, an
investigation with a site inspection, resolution, rating and a reopening; the office and
the complainant told by SMS; the upheld complaint's recommended sanction becomes a
review whose revocation takes the office out of the registry."""

from __future__ import annotations

from typing import Any

import httpx

from services.kit.bus import Bus
from tests.auth_fixtures import TokenIssuer
from tests.conftest import announce_staff, eventually
from tests.e2e.conftest import Stack
from tests.e2e.test_new_license import (
    APPLICANT,
    People,
    apply,
    claim_and_complete,
    complete,
    inspect_and_decide,
    inspection,
    review,
    status_of,
    task_in,
)

COMPLAINANT = "09351234567"
CALLER = "09167654321"


async def licensed_office(stack: Stack, people: People) -> str:
    application = await apply(stack, people.applicant, APPLICANT)
    await claim_and_complete(stack.applications, people.clerk, application["case_id"],
                             "document_review", review("accept"))
    await inspect_and_decide(stack, people, application["case_id"])
    return (await status_of(stack, people.applicant, application["id"], "issued")
            )["license_number"]


async def file(stack: Stack, path: str, body: dict[str, Any],
               headers: dict[str, str] | None = None) -> dict[str, Any]:
    async def tried() -> dict[str, Any] | None:
        reply = await stack.complaints.post(path, json=body, headers=headers or {})
        if reply.status_code == 422 and "license_number" in reply.text:
            return None  # the complaints service has not heard of the new license yet
        assert reply.status_code == 201, reply.text
        return reply.json()

    return await eventually(tried)


async def track(stack: Stack, code: str, mobile: str, status: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        reply = await stack.complaints.get(f"/complaints/track/{code}",
                                           params={"mobile": mobile})
        assert reply.status_code == 200, reply.text
        view = reply.json()
        return view if view["status"] == status else None

    return await eventually(check, timeout=30)


async def mine(client: httpx.AsyncClient, headers: dict[str, str], case_id: str,
               kind: str) -> dict[str, Any]:
    return await task_in(client, headers, "mine", case_id, kind)


async def texts_to(stack: Stack, ops: dict[str, str], recipient: str, template: str,
                   case_id: str) -> list[dict[str, Any]]:
    async def sent() -> list[dict[str, Any]] | None:
        reply = await stack.notifications.get("/ops/deliveries", headers=ops, params={
            "recipient_id": recipient, "template": template, "case_id": case_id,
            "channel": "sms"})
        assert reply.status_code == 200, reply.text
        return [d for d in reply.json() if d["status"] == "sent"] or None

    return await eventually(sent, timeout=30)


async def test_complaints_from_both_channels_to_a_sanction_in_the_registry(
        staffed: Stack, issuer: TokenIssuer, peer: Bus) -> None:
    stack = staffed
    people = People(issuer, APPLICANT["national_code"])
    await announce_staff(peer, ("complaints.officer", "complaints_officer", None))
    officer = issuer.headers("complaints.officer", "complaints_officer")
    operator = issuer.headers("operator195", "operator_195")
    ops = issuer.headers("ops", "ops")
    number = await licensed_office(stack, people)

    web = await file(stack, "/complaints", {
        "mobile": COMPLAINANT, "license_number": number, "category": "fee_above_tariff",
        "amount_charged": 500000, "service_name": "تعویض گواهینامه",
        "description": "برای خدمتی با تعرفه ۱۲۰ هزار تومان ۵۰۰ هزار تومان گرفتند"})
    phone = await file(stack, "/complaints/phone", {
        "mobile": CALLER, "license_number": number, "category": "refused_service",
        "language": "en", "description": "They refused to register my passport request."},
        headers=operator)
    web_case, phone_case = (f"complaint-{c['complaint_id']}" for c in (web, phone))

    # the office's holder, and the complainant with the tracking code, are told by SMS
    await texts_to(stack, ops, APPLICANT["national_code"], "complaint_received", web_case)
    told = await texts_to(stack, ops, f"mobile:{COMPLAINANT}", "complaint_received", web_case)
    assert web["tracking_code"] in told[0]["body"]
    await texts_to(stack, ops, f"mobile:{CALLER}", "complaint_received", phone_case)

    # triage: both taken up by the complaints officer
    for case_id in (web_case, phone_case):
        await claim_and_complete(stack.complaints, officer, case_id, "complaint_triage",
                                 {"result": "accept"})

    # the web complaint: the office answers in writing; the investigator orders an
    # inspection, which licensing's inspector does, and then upholds it
    task = await mine(stack.complaints, officer, web_case, "complaint_investigation")
    assert task["data"]["amount_charged"] == 500000
    answered = await stack.complaints.post(
        f"/complaints/{web['complaint_id']}/response",
        json={"text": "تعرفه روی دیوار نصب است و مبلغ اضافه بابت پست بود"},
        headers=people.applicant)
    assert answered.status_code == 200, answered.text
    await complete(stack.complaints, officer, task,
                   {"result": "inspect", "reason": "check the tariff on the wall"})
    site = await mine(stack.licensing, people.inspector, web_case, "site_inspection")
    assert site["data"]["ordered_because"] == "check the tariff on the wall"
    await complete(stack.licensing, people.inspector, site,
                   inspection("fail", "no tariff displayed", tariff_displayed="missing"))
    task = await mine(stack.complaints, officer, web_case, "complaint_investigation")
    assert task["data"]["inspection"]["failed_items"] == ["tariff_displayed"]
    await complete(stack.complaints, officer, task, {
        "result": "upheld", "reason": "charged above the tariff", "refund_ordered": True,
        "refund_amount": 3800000, "sanction_recommended": "revocation"})

    # the phone complaint: not upheld
    task = await mine(stack.complaints, officer, phone_case, "complaint_investigation")
    await complete(stack.complaints, officer, task,
                   {"result": "not_upheld", "reason": "the service was offered the next day"})

    # the complainants follow their complaints with the code and their mobile
    view = await track(stack, web["tracking_code"], COMPLAINANT, "resolved")
    assert view["resolution"]["upheld"] and view["resolution"]["refund_amount"] == 3800000
    assert view["can_rate"] and view["can_reopen"]
    assert "complaints.officer" not in str(view)  # no staff names on the public page
    await texts_to(stack, ops, f"mobile:{COMPLAINANT}", "complaint_resolved", web_case)
    rated = await stack.complaints.post(f"/complaints/track/{web['tracking_code']}/rating",
                                        json={"mobile": COMPLAINANT, "rating": 4})
    assert rated.status_code in (200, 201), rated.text
    wrong = await stack.complaints.get(f"/complaints/track/{web['tracking_code']}",
                                       params={"mobile": CALLER})
    assert wrong.status_code == 404

    # the caller is not satisfied and reopens: back to the same investigator
    await track(stack, phone["tracking_code"], CALLER, "resolved")
    reopened = await stack.complaints.post(f"/complaints/track/{phone['tracking_code']}/reopen",
                                           json={"mobile": CALLER,
                                                 "reason": "They refused again today."})
    assert reopened.status_code in (200, 202), reopened.text
    await track(stack, phone["tracking_code"], CALLER, "investigation")
    again = await mine(stack.complaints, officer, phone_case, "complaint_investigation")
    assert again["data"]["round"] == 2
    await complete(stack.complaints, officer, again,
                   {"result": "upheld", "reason": "refused twice", "sanction_recommended": "none"})
    view = await track(stack, phone["tracking_code"], CALLER, "resolved")
    assert view["resolution"]["upheld"]

    # licensing opened a review from the recommended revocation; the holder answers, the
    # inspector visits, the officer revokes
    async def review_opened() -> dict[str, Any] | None:
        reply = await stack.licensing.get(f"/licenses/{number}/reviews",
                                          headers=people.applicant)
        assert reply.status_code == 200, reply.text
        return next(iter(reply.json()), None)

    office_review = await eventually(review_opened)
    assert "complaint_sanction" in office_review["reasons"]
    answer = await stack.licensing.post(
        f"/reviews/{office_review['id']}/answer",
        json={"text": "ما مبلغ اضافه را بازگرداندیم و تعرفه را نصب کردیم"},
        headers=people.applicant)
    assert answer.status_code == 200, answer.text
    site = await mine(stack.licensing, people.inspector, office_review["case_id"],
                      "site_inspection")
    await complete(stack.licensing, people.inspector, site, inspection("pass"))
    await claim_and_complete(stack.licensing, people.officer, office_review["case_id"],
                             "review_decision",
                             {"result": "revocation", "reason": "overcharging citizens"})

    async def revoked() -> dict[str, Any] | None:
        reply = await stack.licensing.get(f"/verify/{number}.json")
        return reply.json() if reply.json()["status"] == "revoked" else None

    await eventually(revoked, timeout=30)
    listed = await stack.licensing.get("/registry/offices", params={"number": number})
    assert listed.json()["items"] == []  # gone from the active list
    await texts_to(stack, ops, APPLICANT["national_code"], "sanction_imposed",
                   office_review["case_id"])
