"""Applications folds workflow status events into the timeline over the real bus: once
per message, in step order whatever order they arrive in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.applications.app import create_app
from services.applications.settings import ApplicationsSettings
from services.contracts.applications import ApplicationStatusChanged
from services.contracts.envelope import Envelope
from services.kit.bus import Bus
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually, serving

ME = "0013542419"


@pytest.fixture
async def api(database_url: str, bus_ns: BusNamespace, issuer: TokenIssuer
              ) -> AsyncIterator[httpx.AsyncClient]:
    settings = ApplicationsSettings(database_url=database_url, **bus_ns.settings(),
                                    **issuer.settings())
    async with serving(create_app(settings), headers=issuer.applicant(ME)) as client:
        yield client




def status(application_id: str, seq: int, status: str, minutes: int) -> ApplicationStatusChanged:
    return ApplicationStatusChanged(
        application_id=application_id, case_id=f"application-{application_id}", seq=seq,
        status=status, step="step", actor=f"actor{seq}",  # type: ignore[arg-type]
        occurred_at=datetime.now(UTC) + timedelta(minutes=minutes),
    )


async def submit(api: httpx.AsyncClient) -> str:
    reply = await api.post("/applications", json={
        "national_code": ME, "name": "Reza Karimi", "mobile": "09111111111",
        "county": "fuman", "area": "urban", "address": "Fuman, Main Square 1"})
    assert reply.status_code == 201
    return reply.json()["id"]


async def test_the_same_status_message_delivered_twice_has_one_effect(
    api: httpx.AsyncClient, peer: Bus
) -> None:
    app_id = await submit(api)
    envelope = Envelope.wrap(status(app_id, 1, "document_review", 1),
                             correlation_id=f"application-{app_id}")
    for _ in range(2):
        await peer.publish_json(envelope.model_dump_json(), routing_key=envelope.type,
                                message_id=envelope.message_id,
                                correlation_id=envelope.correlation_id, mandatory=True)
    # a third, different message proves both earlier deliveries were consumed
    await peer.publish(status(app_id, 2, "inspection", 2), correlation_id=f"application-{app_id}")

    async def settled() -> dict | None:
        data = (await api.get(f"/applications/{app_id}")).json()
        return data if data["status"] == "inspection" else None

    data = await eventually(settled)
    assert [e["status"] for e in data["timeline"]] == ["submitted", "document_review", "inspection"]
    metrics = (await api.get("/metrics")).text
    assert 'pishkhan_messages_duplicate_total{queue="' in metrics
    duplicate_lines = [line for line in metrics.splitlines()
                       if line.startswith("pishkhan_messages_duplicate_total{")]
    assert duplicate_lines and duplicate_lines[0].endswith(" 1.0")


async def test_a_late_older_step_joins_the_timeline_without_moving_the_status_back(
    api: httpx.AsyncClient, peer: Bus
) -> None:
    app_id = await submit(api)
    await peer.publish(status(app_id, 2, "inspection", 2), correlation_id=f"application-{app_id}")

    async def at(wanted: str, entries: int):
        async def check() -> dict | None:
            data = (await api.get(f"/applications/{app_id}")).json()
            return data if data["status"] == wanted and len(data["timeline"]) == entries else None
        return await eventually(check)

    await at("inspection", 2)
    await peer.publish(status(app_id, 1, "document_review", 1),
                       correlation_id=f"application-{app_id}")
    data = await at("inspection", 3)
    assert [e["seq"] for e in data["timeline"]] == [0, 1, 2]
