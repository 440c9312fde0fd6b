"""The complaints service on a real database and the test's part of the broker, fed with a
license as licensing would announce it, and a recorder of what it publishes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.complaints.app import create_app
from services.complaints.settings import ComplaintsSettings
from services.contracts.complaints import ComplaintResolution, ComplaintStatusChanged
from services.contracts.envelope import Envelope
from services.contracts.licensing import LicenseChanged, LicenseSnapshot
from services.kit.bus import Bus
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually, serving
from tests.licensing.conftest import Recorder, recording

HOLDER = "0499370899"
OTHER_HOLDER = "0013542419"
NUMBER = "GL-01-00042"
OFFICE = "office-42"
OTHER_NUMBER = "GL-05-00007"
OTHER_OFFICE = "office-7"
MANAGER_MOBILE = "09119999999"
OFFICER = "complaints.officer"


def snapshot(number: str = NUMBER, office_id: str = OFFICE, *, county: str = "rasht",
             holder: str = HOLDER, version: int = 1, status: str = "active") -> LicenseSnapshot:
    return LicenseSnapshot(
        number=number, status=status, holder_national_code=holder,  # type: ignore[arg-type]
        holder_name="Maryam Ahmadi", holder_mobile="09121234567", office_id=office_id,
        office_name=f"Pishkhan {office_id}", office_manager_mobile=MANAGER_MOBILE,
        county=county, area="urban", address="Rasht, Golsar, 5th Ave 3",
        issued_at=datetime(2024, 1, 1, tzinfo=UTC), valid_until=date(2029, 1, 1),
        version=version)


async def announce_license(peer: Bus, license_: LicenseSnapshot, change: str = "imported"
                           ) -> None:
    await peer.publish(LicenseChanged(change=change, license=license_,  # type: ignore[arg-type]
                                      actor="seed", occurred_at=datetime.now(UTC)),
                       correlation_id=f"license-{license_.number}")


def form(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "mobile": "09121112233", "name": "Ali Rezaei", "license_number": NUMBER,
        "category": "refused_service",
        "description": "The office refused to renew my passport without a reason.",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


async def file_when_known(api: httpx.AsyncClient, body: dict[str, Any], path: str = "/complaints",
                          headers: dict[str, str] | None = None) -> httpx.Response:
    """File as soon as the license view knows the office (licensing's event is on its way)."""

    async def tried() -> httpx.Response | None:
        reply = await api.post(path, json=body, headers=headers)
        if reply.status_code == 422 and reply.json()["detail"][0]["code"] == "office_unknown":
            return None
        return reply

    return await eventually(tried)


def status(complaint_id: str, seq: int, status_: str, *, minutes: float = 0,
           **fields: Any) -> ComplaintStatusChanged:
    return ComplaintStatusChanged(
        complaint_id=complaint_id, case_id=f"complaint-{complaint_id}", seq=seq,
        status=status_,  # type: ignore[arg-type]
        step=fields.pop("step", status_), actor=fields.pop("actor", OFFICER),
        occurred_at=datetime.now(UTC) + timedelta(minutes=minutes), **fields)


def resolution(**overrides: Any) -> ComplaintResolution:
    values: dict[str, Any] = {"upheld": True, "summary": "The office must refund the fee.",
                              "refund_ordered": True, "refund_amount": 500_000,
                              "sanction_recommended": "warning", "resolved_by": OFFICER}
    values.update(overrides)
    return ComplaintResolution(**values)


async def send(peer: Bus, event: ComplaintStatusChanged) -> Envelope:
    return await peer.publish(event, correlation_id=event.case_id)


StartService = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def recorder(bus_ns: BusNamespace) -> AsyncIterator[Recorder]:
    """Every message the test's exchange carries under ``complaints.#``."""
    async with recording(bus_ns, "complaints.#") as recorder:
        yield recorder


@pytest.fixture
async def start(database_url: str, bus_ns: BusNamespace, issuer: TokenIssuer, peer: Bus,
                recorder: Recorder, tmp_path: Path) -> AsyncIterator[StartService]:
    """Start the service with some settings changed; the licenses are announced."""
    async with AsyncExitStack() as stack:
        async def started(**overrides: Any) -> httpx.AsyncClient:
            settings = ComplaintsSettings(database_url=database_url,
                                          attachments_dir=str(tmp_path / "attachments"),
                                          **{**bus_ns.settings(), **issuer.settings(),
                                             **overrides})
            client = await stack.enter_async_context(serving(create_app(settings)))
            await announce_license(peer, snapshot())
            await announce_license(peer, snapshot(OTHER_NUMBER, OTHER_OFFICE, county="lahijan",
                                                  holder=OTHER_HOLDER))
            return client

        yield started


@pytest.fixture
async def api(start: StartService) -> httpx.AsyncClient:
    return await start()


def staff(issuer: TokenIssuer) -> dict[str, str]:
    # the seeded complaints officer works province-wide: no county on the token
    return issuer.headers(OFFICER, "complaints_officer")
