"""Filing a complaint on the web form and through the 195 line: what is published, what is
refused and how it is worded, and how a flood from one mobile or one address is held back."""

from __future__ import annotations

import re

import httpx

from services.complaints.service import TRACKING_ALPHABET
from tests.auth_fixtures import TokenIssuer
from tests.complaints.conftest import (
    HOLDER,
    MANAGER_MOBILE,
    NUMBER,
    OFFICE,
    OTHER_NUMBER,
    OTHER_OFFICE,
    StartService,
    file_when_known,
    form,
)
from tests.licensing.conftest import Recorder


async def test_a_web_complaint_is_filed_and_announced_with_its_office(
    api: httpx.AsyncClient, recorder: Recorder
) -> None:
    reply = await file_when_known(api, form(license_number=" gl-01-00042 "))
    assert reply.status_code == 201, reply.text
    filed = reply.json()
    assert filed["status"] == "received"
    assert re.fullmatch(f"[{TRACKING_ALPHABET}]{{10}}", filed["tracking_code"])

    [event] = await recorder.wait_for("complaints.complaint.filed",
                                      complaint_id=filed["complaint_id"])
    case_id = f"complaint-{filed['complaint_id']}"
    assert event.correlation_id == case_id
    payload = event.payload
    assert payload["case_id"] == case_id and payload["channel"] == "web"
    assert payload["tracking_code"] == filed["tracking_code"]
    assert payload["filed_by"] is None
    assert payload["complainant"] == {"mobile": "09121112233", "name": "Ali Rezaei",
                                      "language": "fa"}
    assert payload["office"] == {
        "office_id": OFFICE, "license_number": NUMBER, "office_name": f"Pishkhan {OFFICE}",
        "county": "rasht", "holder_national_code": HOLDER, "holder_name": "Maryam Ahmadi",
        "holder_mobile": "09121234567", "manager_mobile": MANAGER_MOBILE}


async def test_the_office_may_be_picked_by_its_registry_id(api: httpx.AsyncClient,
                                                           recorder: Recorder) -> None:
    body = form(license_number=None, office_id=OTHER_OFFICE, language="en",
                mobile="+989121112244", category="fee_above_tariff", amount_charged=750_000,
                service_name="Passport renewal")
    reply = await file_when_known(api, body)
    assert reply.status_code == 201, reply.text
    [event] = await recorder.wait_for("complaints.complaint.filed",
                                      complaint_id=reply.json()["complaint_id"])
    assert event.payload["office"]["license_number"] == OTHER_NUMBER
    assert event.payload["office"]["county"] == "lahijan"
    assert event.payload["complainant"]["mobile"] == "09121112244"
    assert event.payload["complainant"]["language"] == "en"


async def test_a_195_operator_files_for_a_caller(api: httpx.AsyncClient, issuer: TokenIssuer,
                                                 recorder: Recorder) -> None:
    operator = issuer.headers("operator195", "operator_195")
    reply = await file_when_known(api, form(name=None), "/complaints/phone", operator)
    assert reply.status_code == 201, reply.text
    [event] = await recorder.wait_for("complaints.complaint.filed",
                                      complaint_id=reply.json()["complaint_id"])
    assert event.payload["channel"] == "phone_195"
    assert event.payload["filed_by"] == "operator195"
    assert event.payload["complainant"]["name"] is None

    # the phone form is for operators only
    assert (await api.post("/complaints/phone", json=form())).status_code == 401
    citizen = issuer.headers("someone", "citizen")
    assert (await api.post("/complaints/phone", json=form(), headers=citizen)).status_code == 403


async def test_refusals_name_the_field_and_say_why_in_both_languages(
    api: httpx.AsyncClient
) -> None:
    await file_when_known(api, form(mobile="09125550000"))

    def only_error(reply: httpx.Response) -> dict:
        assert reply.status_code == 422, reply.text
        [error] = reply.json()["detail"]
        assert error["message"]["fa"] and error["message"]["en"]
        return error

    unknown = only_error(await api.post("/complaints", json=form(license_number="GL-01-99999")))
    assert unknown["field"] == "license_number" and unknown["code"] == "office_unknown"
    assert "no licensed office with this number" in unknown["message"]["en"]
    assert unknown["message"]["fa"] == "دفتری دارای پروانه با این شماره وجود ندارد."
    unknown_office = only_error(await api.post(
        "/complaints", json=form(license_number=None, office_id="no-such-office")))
    assert unknown_office["field"] == "office_id" and unknown_office["code"] == "office_unknown"

    neither = only_error(await api.post("/complaints", json=form(license_number=None)))
    assert neither["field"] == "license_number" and neither["code"] == "office_required"

    mobile = only_error(await api.post("/complaints", json=form(mobile="0912")))
    assert mobile["field"] == "mobile" and mobile["code"] == "mobile_format"

    short = only_error(await api.post("/complaints", json=form(description="bad")))
    assert short["field"] == "description" and short["code"] == "string_too_short"

    category = only_error(await api.post("/complaints", json=form(category="rude")))
    assert category["field"] == "category" and category["code"] == "literal_error"

    fee = await api.post("/complaints", json=form(category="fee_above_tariff"))
    assert fee.status_code == 422
    assert {(e["field"], e["code"]) for e in fee.json()["detail"]} == {
        ("amount_charged", "missing"), ("service_name", "missing")}
    negative = only_error(await api.post("/complaints", json=form(
        category="fee_above_tariff", amount_charged=0, service_name="Passport")))
    assert negative["field"] == "amount_charged"


async def test_a_flood_from_one_mobile_is_held_back_on_both_channels(
    start: StartService, issuer: TokenIssuer
) -> None:
    api = await start(max_per_mobile_per_hour=2)
    assert (await file_when_known(api, form())).status_code == 201
    assert (await api.post("/complaints", json=form())).status_code == 201
    refused = await api.post("/complaints", json=form())
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    [error] = refused.json()["detail"]
    assert error["field"] == "mobile" and error["code"] == "too_many_from_mobile"
    assert "Too many complaints from this mobile number" in error["message"]["en"]
    assert "دقیقه" in error["message"]["fa"]
    # the same caller on the phone line is the same flood
    operator = issuer.headers("operator195", "operator_195")
    phoned = await api.post("/complaints/phone", json=form(), headers=operator)
    assert phoned.status_code == 429 and "retry-after" in phoned.headers
    # another mobile is not held back
    assert (await api.post("/complaints", json=form(mobile="09127778899"))).status_code == 201


async def test_a_daily_limit_per_mobile(start: StartService) -> None:
    api = await start(max_per_mobile_per_hour=5, max_per_mobile_per_day=1)
    assert (await file_when_known(api, form())).status_code == 201
    refused = await api.post("/complaints", json=form())
    assert refused.status_code == 429
    assert 3600 < int(refused.headers["retry-after"]) <= 86400


def from_address(api: httpx.AsyncClient, address: str) -> httpx.AsyncClient:
    """A client connecting from another loopback address: a peer uvicorn does not trust as a
    proxy (it trusts 127.0.0.1 unless told otherwise)."""
    return httpx.AsyncClient(base_url=api.base_url, timeout=10,
                             transport=httpx.AsyncHTTPTransport(local_address=address))


async def test_a_flood_from_one_address_is_held_back_but_not_the_195_line(
    start: StartService, issuer: TokenIssuer
) -> None:
    api = await start(max_per_address_per_hour=2)
    await file_when_known(api, form(mobile="09120000000"))  # from 127.0.0.1: another address
    async with from_address(api, "127.0.0.2") as client:
        assert (await client.post("/complaints", json=form(mobile="09120000001"))
                ).status_code == 201
        # a forged X-Forwarded-For does not make a new address: the peer is no trusted proxy
        assert (await client.post("/complaints", json=form(mobile="09120000002"),
                                  headers={"x-forwarded-for": "203.0.113.9"})).status_code == 201
        refused = await client.post("/complaints", json=form(mobile="09120000003"),
                                    headers={"x-forwarded-for": "198.51.100.4"})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        [error] = refused.json()["detail"]
        assert error["code"] == "too_many_from_address" and error["field"] is None
        assert "Too many complaints from your network" in error["message"]["en"]
        assert error["message"]["fa"]
        # 195 operators all call from one place: only the caller's mobile counts there
        operator = issuer.headers("operator195", "operator_195")
        assert (await client.post("/complaints/phone", json=form(mobile="09120000004"),
                                  headers=operator)).status_code == 201
    async with from_address(api, "127.0.0.3") as client:
        assert (await client.post("/complaints", json=form(mobile="09120000005"))
                ).status_code == 201


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(start: StartService) -> None:
    api = await start(max_per_address_per_hour=1)
    # this client stands for a proxy on the service's host, which appends what it saw
    first = await file_when_known(api, form(mobile="09120000011"),
                                  headers={"x-forwarded-for": "203.0.113.9"})
    assert first.status_code == 201
    # what the client itself put before the proxy's entry is not believed
    again = await api.post("/complaints", json=form(mobile="09120000012"),
                           headers={"x-forwarded-for": "10.0.0.1, 203.0.113.9"})
    assert again.status_code == 429
    other = await api.post("/complaints", json=form(mobile="09120000013"),
                           headers={"x-forwarded-for": "203.0.113.10"})
    assert other.status_code == 201


async def test_filing_is_counted_in_the_metrics(api: httpx.AsyncClient,
                                                issuer: TokenIssuer) -> None:
    await file_when_known(api, form())
    operator = issuer.headers("operator195", "operator_195")
    await api.post("/complaints/phone", json=form(mobile="09120000021",
                                                  category="misconduct"), headers=operator)
    metrics = (await api.get("/metrics")).text
    assert ('pishkhan_complaints_filed_total{category="refused_service",channel="web"} 1.0'
            in metrics)
    assert ('pishkhan_complaints_filed_total{category="misconduct",channel="phone_195"} 1.0'
            in metrics)
    assert 'pishkhan_complaints_open{category="refused_service",county="rasht"} 1.0' in metrics
    assert 'pishkhan_complaints_open{category="misconduct",county="rasht"} 1.0' in metrics
    assert 'pishkhan_complaints_resolved{category="misconduct"} 0.0' in metrics
    assert 'pishkhan_complaints_reopened{category="misconduct"} 0.0' in metrics
