"""Supervision under the time-skipping server, with the real licensing service and the
real bus bridge: the sweep finds an office idle past N days and opens one review case for
it, never two; the review's suspension takes the license out of the active registry and
lifts itself when its days have passed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from services.kit.bus import Bus
from services.kit.http import Runtime
from services.kit.metrics import KitMetrics
from services.kit.settings import ServiceSettings
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually
from tests.e2e.test_new_license import inspection
from tests.licensing.conftest import (  # noqa: F401 - fixtures
    Holder,
    Recorder,
    a_national_code,
    add_license,
    licensing,
    recorder,
    settings,
    settle,
    store,
)
from tests.workflows.conftest import policies
from tests.workflows.conftest import test_server as temporal_test_server
from workflows.activities import BusActivities
from workflows.bridge import Bridge
from workflows.policies import ReviewPolicies, StepPolicy, SweepPolicy, TermPolicy
from workflows.process import WORKFLOWS, ensure_search_attributes, workflow_runner
from workflows.review.workflow import ReviewWorkflow
from workflows.settings import WorkflowsSettings
from workflows.supervision.workflow import SupervisionSweepWorkflow

STEP = StepPolicy.from_hours(due=72, remind_before=24, escalate_every=24, return_to_queue=True)
IDLE = SweepPolicy(idle_days=30, upheld_threshold=3, lookback_days=365)


class Temporal:
    def __init__(self, env: WorkflowEnvironment, task_queue: str) -> None:
        self.env = env
        self.client: Client = env.client
        self.task_queue = task_queue

    async def sweep(self) -> None:
        # waiting for a result would let the server run ahead to the next timer of any
        # workflow; time moves only when the test says so
        with self.env.auto_time_skipping_disabled():
            await self.client.execute_workflow(
                SupervisionSweepWorkflow.run, IDLE, id=f"sweep-{uuid.uuid4().hex}",
                task_queue=self.task_queue)


@pytest.fixture
async def temporal(bus_ns: BusNamespace, licensing: httpx.AsyncClient
                   ) -> AsyncIterator[Temporal]:
    """A worker and the bus bridge on the time-skipping server, on the test's exchange."""
    bus = Bus(ServiceSettings(**bus_ns.settings()), service="workflows",
              metrics=KitMetrics("workflows-test"))
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=temporal_test_server())
    task_queue = f"test-{uuid.uuid4().hex[:8]}"
    try:
        await ensure_search_attributes(env.client, env.client.namespace)
        defaults = WorkflowsSettings()
        Bridge(bus, env.client, task_queue, policies(), TermPolicy(),
               f"test-{uuid.uuid4().hex[:8]}-",
               complaint_policies=defaults.complaint_policies(),
               review_policies=ReviewPolicies(
                   steps={"site_inspection": STEP, "review_decision": STEP},
                   answer_seconds=7 * 86400)).register()
        await bus.start()
        async with Worker(env.client, task_queue=task_queue, workflows=WORKFLOWS,
                          activities=BusActivities(bus).all(),
                          workflow_runner=workflow_runner()):
            yield Temporal(env, task_queue)
    finally:
        await bus.stop()
        await env.shutdown()


async def take_task(client: httpx.AsyncClient, headers: dict[str, str], kind: str,
                    case_id: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        reply = await client.get("/tasks/queue", params={"kind": kind, "case_id": case_id},
                                 headers=headers)
        assert reply.status_code == 200, reply.text
        items = reply.json()["items"]
        return items[0] if items else None

    task = await eventually(found)
    claimed = await client.post(f"/tasks/{task['id']}/claim", headers=headers)
    assert claimed.status_code == 200, claimed.text
    return task


async def complete(client: httpx.AsyncClient, headers: dict[str, str], task: dict[str, Any],
                   outcome: dict[str, Any]) -> None:
    reply = await client.post(f"/tasks/{task['id']}/complete", json={"outcome": outcome},
                              headers=headers)
    assert reply.status_code == 200, reply.text


async def verified(client: httpx.AsyncClient, number: str, status: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        reply = await client.get(f"/verify/{number}.json")
        return reply.json() if reply.json()["status"] == status else None

    return await eventually(check)


async def test_an_idle_office_gets_one_review_whose_suspension_lifts_at_its_end(
        temporal: Temporal, licensing: httpx.AsyncClient, store: Runtime,
        recorder: Recorder, issuer: TokenIssuer) -> None:
    holder = Holder(a_national_code(), "مریم احمدی", "09121234567")
    number = await add_license(store, holder=holder)
    officer = issuer.headers("officer.rasht", "licensing_officer", county="rasht")
    inspector = issuer.headers("inspector.rasht", "inspector", county="rasht")

    # active today: the sweep finds nothing to review
    await temporal.sweep()
    await settle()
    assert not recorder.of("licensing.review.opened")

    # a month and a day later, with no activity reported, it is idle
    await temporal.env.sleep(timedelta(days=31))
    await temporal.sweep()
    opened = (await recorder.wait_for("licensing.review.opened"))[0].payload
    assert opened["license_number"] == number and opened["reasons"] == ["idle"]
    # another sweep while the review is open opens nothing more
    await temporal.sweep()
    await settle()
    assert len(recorder.of("licensing.review.opened")) == 1
    listed = (await licensing.get("/reviews", params={"status": "open"}, headers=officer)).json()
    assert [r["case_id"] for r in listed["items"]] == [opened["case_id"]]

    # the review: an inspection, the holder's answer, the officer's suspension
    task = await take_task(licensing, inspector, "site_inspection", opened["case_id"])
    await complete(licensing, inspector, task, inspection("pass"))
    answer = await licensing.post(f"/reviews/{opened['review_id']}/answer",
                                  json={"text": "we were closed for renovation all month"},
                                  headers=issuer.applicant(holder.national_code))
    assert answer.status_code == 200, answer.text
    task = await take_task(licensing, officer, "review_decision", opened["case_id"])
    assert task["data"]["answer"] == "we were closed for renovation all month"
    await complete(licensing, officer, task, {"result": "suspension", "suspension_days": 10,
                                              "reason": "idle without notice"})
    suspended = await verified(licensing, number, "suspended")
    assert suspended["suspended_until"]
    async def listed_as(status: str) -> list[str]:
        reply = await licensing.get("/registry/offices", params={
            "county": "rasht", "number": number, "status": status})
        return [o["license_status"] for o in reply.json()["items"]]

    assert await listed_as("active") == []  # out of the active list while suspended
    assert await listed_as("suspended") == ["suspended"]

    # ten days on, the suspension lifts by itself
    review = temporal.client.get_workflow_handle_for(ReviewWorkflow.run, opened["case_id"])
    await temporal.env.sleep(timedelta(days=10, hours=1))
    result = await review.result()
    assert result.decision == "suspension" and result.lifted and result.answered
    await verified(licensing, number, "active")
    assert await listed_as("active") == ["active"]
    history = (await licensing.get(f"/licenses/{number}/history", headers=officer)).json()
    assert [e["change"] for e in history][-2:] in (["suspended", "reinstated"],
                                                   ["reinstated", "suspended"])
