"""Human tasks: opened once per key, completed once, with clear errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from services.applications.app import create_app
from services.applications.settings import ApplicationsSettings
from services.contracts.tasks import OpenApplicationsTask
from services.kit.bus import Bus
from tests.conftest import BusNamespace, eventually, service_api


@pytest.fixture
async def api(database_url: str, bus_ns: BusNamespace) -> AsyncIterator[httpx.AsyncClient]:
    async with service_api(create_app, ApplicationsSettings, database_url, bus_ns) as client:
        yield client




async def opened_review(api: httpx.AsyncClient, peer: Bus, case: str) -> dict:
    command = OpenApplicationsTask(task_key=f"{case}:document_review:1", kind="document_review",
                                   case_id=case, candidate_role="clerk", county="rasht")
    await peer.publish(command, correlation_id=case)
    await peer.publish(command, correlation_id=case)  # asked twice, e.g. a retried activity

    async def found() -> list | None:
        tasks = (await api.get("/tasks", params={"case_id": case})).json()
        return tasks or None

    tasks = await eventually(found)
    await asyncio.sleep(0.3)
    tasks = (await api.get("/tasks", params={"case_id": case})).json()
    assert len(tasks) == 1
    return tasks[0]


async def test_two_clerks_completing_at_once_one_wins(api: httpx.AsyncClient, peer: Bus) -> None:
    task = await opened_review(api, peer, "application-t1")
    replies = await asyncio.gather(*[
        api.post(f"/tasks/{task['id']}/complete",
                 json={"outcome": "accept", "actor": f"clerk:{n}"}) for n in range(4)
    ])
    codes = sorted(r.status_code for r in replies)
    assert codes == [200, 409, 409, 409]
    done = (await api.get(f"/tasks/{task['id']}")).json()
    assert done["status"] == "completed" and done["outcome"] == "accept"


async def test_rejecting_needs_a_reason_and_a_known_outcome(api: httpx.AsyncClient,
                                                            peer: Bus) -> None:
    task = await opened_review(api, peer, "application-t2")
    no_reason = await api.post(f"/tasks/{task['id']}/complete",
                               json={"outcome": "reject", "actor": "clerk:1"})
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["field"] == "reason"
    wrong = await api.post(f"/tasks/{task['id']}/complete",
                           json={"outcome": "approve", "actor": "clerk:1"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["code"] == "outcome_invalid"
    assert (await api.get(f"/tasks/{task['id']}")).json()["status"] == "open"
    missing = await api.post("/tasks/nope/complete", json={"outcome": "accept", "actor": "c"})
    assert missing.status_code == 404
