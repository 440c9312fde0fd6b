"""Issuing is idempotent on the application: asked twice, one office and one license."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from services.contracts.applications import Applicant
from services.contracts.licensing import IssueLicense
from services.kit.bus import Bus
from services.licensing.app import create_app
from services.licensing.settings import LicensingSettings
from tests.conftest import BusNamespace, eventually, service_api


@pytest.fixture
async def api(database_url: str, bus_ns: BusNamespace) -> AsyncIterator[httpx.AsyncClient]:
    async with service_api(create_app, LicensingSettings, database_url, bus_ns) as client:
        yield client




def issue(application_id: str) -> IssueLicense:
    return IssueLicense(
        application_id=application_id, case_id=f"application-{application_id}",
        holder=Applicant(national_code="0499370899", name="Maryam Ahmadi", mobile="09121234567"),
        county="anzali", area="urban", address="Bandar-e Anzali, Port Road 7",
        approved_by="officer:moradi",
    )


async def test_issuing_twice_for_one_application_gives_one_license(
    api: httpx.AsyncClient, peer: Bus
) -> None:
    # two different messages (as after a retried activity with a new id), same application
    await peer.publish(issue("a1"), correlation_id="application-a1")
    await peer.publish(issue("a1"), correlation_id="application-a1")
    await peer.publish(issue("a2"), correlation_id="application-a2")

    async def two() -> list | None:
        found = (await api.get("/licenses")).json()
        return found if len(found) >= 2 else None

    await eventually(two)
    await asyncio.sleep(0.5)
    licenses = (await api.get("/licenses")).json()
    assert sorted(lic["application_id"] for lic in licenses) == ["a1", "a2"]
    numbers = [lic["number"] for lic in licenses]
    assert len(set(numbers)) == 2 and all(n.startswith("GL-04-") for n in numbers)
    one = (await api.get(f"/licenses/{numbers[0]}")).json()
    assert one["county"] == "anzali" and one["status"] == "active"
