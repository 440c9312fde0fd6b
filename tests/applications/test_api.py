"""The applicant's side of the applications API: clear 422s, nothing stored on bad input,
only one's own case visible."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aio_pika
import httpx
import pytest

from services.applications.app import create_app
from services.applications.settings import ApplicationsSettings
from services.contracts import routing
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually, serving

GOOD = {
    "national_code": "0499370899",
    "name": "Maryam Ahmadi",
    "mobile": "09121234567",
    "county": "lahijan",
    "area": "rural",
    "address": "Lahijan, Kashef St., No. 4",
}


@pytest.fixture
async def api(database_url: str, bus_ns: BusNamespace, issuer: TokenIssuer, tmp_path
              ) -> AsyncIterator[httpx.AsyncClient]:
    settings = ApplicationsSettings(database_url=database_url, documents_dir=str(tmp_path / "d"),
                                    **bus_ns.settings(), **issuer.settings())
    async with serving(create_app(settings)) as client:
        yield client


async def stored(api: httpx.AsyncClient, issuer: TokenIssuer,
                 national_code: str = GOOD["national_code"]) -> list:
    reply = await api.get("/applications", headers=issuer.applicant(national_code))
    assert reply.status_code == 200
    return reply.json()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"national_code": "0499370898"}, "national_code", "national_code_check_digit"),
        ({"national_code": "12345"}, "national_code", "national_code_format"),
        ({"county": "tehran"}, "county", "county_unknown"),
        ({"mobile": "9121234567"}, "mobile", "mobile_format"),
        ({"area": "suburban"}, "area", "literal_error"),
        ({"name": None}, "name", "missing"),
    ],
)
async def test_bad_input_gets_422_naming_the_field_and_stores_nothing(
    api: httpx.AsyncClient, issuer: TokenIssuer, change: dict, field: str, code: str
) -> None:
    body = {**GOOD, **change}
    body = {k: v for k, v in body.items() if v is not None}
    reply = await api.post("/applications", json=body, headers=issuer.applicant(GOOD["national_code"]))
    assert reply.status_code == 422
    errors = reply.json()["detail"]
    assert [(e["field"], e["code"]) for e in errors] == [(field, code)]
    assert errors[0]["message"]["en"] and errors[0]["message"]["fa"]
    assert await stored(api, issuer) == []


async def test_a_submission_is_stored_and_announced(
    api: httpx.AsyncClient, bus_ns: BusNamespace, issuer: TokenIssuer,
    amqp: aio_pika.abc.AbstractChannel,
) -> None:
    # Persian digits are what many people type
    body = {**GOOD, "national_code": "۰۴۹۹۳۷۰۸۹۹", "mobile": "۰۹۱۲۱۲۳۴۵۶۷"}
    me = issuer.applicant("0499370899")
    reply = await api.post("/applications", json=body, headers=me)
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert created["national_code"] == "0499370899" and created["mobile"] == "09121234567"
    assert created["status"] == "submitted"
    assert [e["status"] for e in created["timeline"]] == ["submitted"]
    assert created["timeline"][0]["actor"] == "0499370899"
    assert (await api.get(f"/applications/{created['id']}", headers=me)).json()["id"] == created["id"]
    assert [a["id"] for a in await stored(api, issuer)] == [created["id"]]

    queue = await amqp.get_queue(f"{bus_ns.queue_prefix}{routing.WORKFLOWS_SUBMITTED.queue}")
    message = await eventually(lambda: queue.get(no_ack=True, fail=False))
    envelope = message.body.decode()
    assert created["id"] in envelope and created["case_id"] in envelope


async def test_nobody_applies_in_someone_elses_name(api: httpx.AsyncClient,
                                                    issuer: TokenIssuer) -> None:
    reply = await api.post("/applications", json=GOOD, headers=issuer.applicant("0013542419"))
    assert reply.status_code == 403
    assert reply.json()["detail"][0]["code"] == "national_code_not_yours"
    clerk = issuer.headers("clerk.lahijan", "clerk", county="lahijan")
    assert (await api.post("/applications", json=GOOD, headers=clerk)).status_code == 403
    assert (await api.post("/applications", json=GOOD)).status_code == 401


async def test_an_unknown_application_is_404(api: httpx.AsyncClient, issuer: TokenIssuer) -> None:
    reply = await api.get("/applications/nope", headers=issuer.applicant(GOOD["national_code"]))
    assert reply.status_code == 404
