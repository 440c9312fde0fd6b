"""A holder's requests about their license: only their own, only while it is active, one
of a kind at a time, a change of address only within the county; the new holder of a
transfer sees the case and consents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.applications.app import create_app
from services.applications.settings import ApplicationsSettings
from services.contracts.licensing import LicenseChanged, LicenseSnapshot
from services.kit.bus import Bus
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually, serving

HOLDER = "0499370899"
NEW_HOLDER = "0013542419"
NUMBER = "GL-06-000042"


def snapshot(status: str = "active", version: int = 1, holder: str = HOLDER) -> LicenseSnapshot:
    return LicenseSnapshot(
        number=NUMBER, status=status, holder_national_code=holder,  # type: ignore[arg-type]
        holder_name="Maryam Ahmadi", holder_mobile="09121234567", office_id="o1",
        county="rasht", area="urban", address="Rasht, Golsar, 5th Ave 3",
        issued_at=datetime(2024, 1, 1, tzinfo=UTC), valid_until=date(2029, 1, 1),
        version=version)


@pytest.fixture
async def api(database_url: str, bus_ns: BusNamespace, issuer: TokenIssuer, peer: Bus,
              tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = ApplicationsSettings(database_url=database_url, documents_dir=str(tmp_path),
                                    **bus_ns.settings(), **issuer.settings())
    async with serving(create_app(settings), headers=issuer.applicant(HOLDER)) as client:
        await peer.publish(LicenseChanged(change="imported", license=snapshot(),
                                          actor="seed", occurred_at=datetime.now(UTC)),
                           correlation_id=f"license-{NUMBER}")
        yield client


async def open_case(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> httpx.Response:
    async def tried() -> httpx.Response | None:
        reply = await api.post(path, json=body)
        # until licensing's event arrives the license is unknown here
        return None if reply.status_code == 422 and reply.json()["detail"][0]["code"] == \
            "license_not_yours" else reply

    return await eventually(tried)


TRANSFER = {"license_number": NUMBER,
            "new_holder": {"national_code": NEW_HOLDER, "name": "Reza Karimi",
                           "mobile": "09111111111"}}


async def test_a_second_transfer_is_refused_while_one_is_open(api: httpx.AsyncClient,
                                                              issuer: TokenIssuer) -> None:
    first = await open_case(api, "/applications/transfer", TRANSFER)
    assert first.status_code == 201, first.text
    case = first.json()
    assert case["kind"] == "transfer" and case["license_number"] == NUMBER
    assert case["county"] == "rasht" and case["new_holder_national_code"] == NEW_HOLDER
    assert "transfer_agreement" in case["required_documents"]
    second = await api.post("/applications/transfer", json=TRANSFER)
    assert second.status_code == 409
    assert second.json()["detail"][0]["code"] == "case_already_open"
    assert second.json()["detail"][0]["message"]["fa"]

    # the named new holder sees the case and consents; nobody else may
    newcomer = issuer.applicant(NEW_HOLDER)
    seen = await api.get(f"/applications/{case['id']}", headers=newcomer)
    assert seen.status_code == 200
    assert [a["id"] for a in (await api.get("/applications", headers=newcomer)).json()] == [
        case["id"]]
    assert (await api.post(f"/applications/{case['id']}/consent")).status_code == 403
    stranger = issuer.applicant("0084575948")
    assert (await api.post(f"/applications/{case['id']}/consent",
                           headers=stranger)).status_code == 404
    agreed = await api.post(f"/applications/{case['id']}/consent", headers=newcomer)
    assert agreed.status_code == 200 and agreed.json()["consented_at"]
    assert (await api.post(f"/applications/{case['id']}/consent",
                           headers=newcomer)).status_code == 409

    # once withdrawn, a new transfer may start
    assert (await api.post(f"/applications/{case['id']}/withdraw")).status_code == 202
    assert (await api.post("/applications/transfer", json=TRANSFER)).status_code == 201


async def test_a_change_of_address_to_another_county_is_refused(api: httpx.AsyncClient) -> None:
    body = {"license_number": NUMBER, "county": "lahijan",
            "address": "Lahijan, Kashef St., No. 4"}
    reply = await open_case(api, "/applications/address-change", body)
    assert reply.status_code == 422
    error = reply.json()["detail"][0]
    assert error["field"] == "county" and error["code"] == "county_must_match"
    assert "county" in error["message"]["en"] and error["message"]["fa"]
    same = await api.post("/applications/address-change",
                          json={**body, "county": "rasht", "address": "Rasht, Manzariyeh 9"})
    assert same.status_code == 201
    assert same.json()["address"] == "Rasht, Manzariyeh 9"
    assert same.json()["required_documents"] == ["premises_document"]


async def test_only_the_holder_of_an_active_license_applies(api: httpx.AsyncClient,
                                                            issuer: TokenIssuer,
                                                            peer: Bus) -> None:
    renewal = await open_case(api, "/applications/renewal", {"license_number": NUMBER})
    assert renewal.status_code == 201
    assert renewal.json()["applicant_name"] == "Maryam Ahmadi"
    other = await api.post("/applications/renewal", json={"license_number": NUMBER},
                           headers=issuer.applicant(NEW_HOLDER))
    assert other.status_code == 422 and other.json()["detail"][0]["code"] == "license_not_yours"
    to_self = await api.post("/applications/transfer", json={
        **TRANSFER, "new_holder": {**TRANSFER["new_holder"], "national_code": HOLDER}})
    assert to_self.status_code == 422
    assert to_self.json()["detail"][0]["field"] == "new_holder.national_code"

    await peer.publish(LicenseChanged(change="suspended", license=snapshot("suspended", 2),
                                      actor="officer.rasht", occurred_at=datetime.now(UTC)),
                       correlation_id=f"license-{NUMBER}")

    async def suspended() -> bool:
        reply = await api.post("/applications/address-change", json={
            "license_number": NUMBER, "county": "rasht", "address": "Rasht, Manzariyeh 9"})
        return reply.status_code == 409

    await eventually(suspended)
