"""The Temporal server dies for a minute while cases flow: the bridge's messages wait in
their retry queues and every case still ends with a license, with no replay by an operator
and nothing dead-lettered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.contracts import routing
from services.kit.dlq import DeadLetterQueues
from services.kit.settings import ServiceSettings
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually
from tests.e2e.conftest import Stack
from tests.e2e.test_new_license import (
    APPLICANT,
    People,
    apply,
    claim_and_complete,
    inspect_and_decide,
    review,
    status_of,
)
from tests.outages import TemporalDevServer

OUTAGE_SECONDS = 60


def national_code(n: int) -> str:
    """A valid national code of its own for the n-th applicant."""
    head = f"{1357000 + n:09d}"
    remainder = sum(int(head[i]) * (10 - i) for i in range(9)) % 11
    return head + str(remainder if remainder < 2 else 11 - remainder)


@pytest.fixture
async def temporal_server(tmp_path: Path) -> AsyncIterator[TemporalDevServer]:
    server = TemporalDevServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def temporal_address(temporal_server: TemporalDevServer) -> str:
    """The stack of these tests talks to their own server, which they kill."""
    return temporal_server.address


async def queue_depths(bus_ns: BusNamespace) -> tuple[int, int]:
    """(dead letters, messages waiting to retry) over every queue of the topology."""
    async with DeadLetterQueues(ServiceSettings(**bus_ns.settings())) as queues:
        counts = await queues.counts()
    return (sum(c.messages or 0 for c in counts), sum(c.retrying or 0 for c in counts))


@pytest.mark.timeout(240)
async def test_cases_complete_after_the_temporal_server_comes_back(
    staffed: Stack, temporal_server: TemporalDevServer, issuer: TokenIssuer,
    bus_ns: BusNamespace,
) -> None:
    stack = staffed
    started = time.monotonic()
    # three cases wait for their document review when the server dies
    waiting = []
    for n in range(3):
        people = People(issuer, national_code(n))
        application = await apply(stack, people.applicant,
                                  {**APPLICANT, "national_code": national_code(n)})
        await status_of(stack, people.applicant, application["id"], "document_review")
        waiting.append((people, application))

    temporal_server.kill()
    killed = time.monotonic()
    # the clerk reviews the waiting cases and three more are submitted, all while it is down
    for people, application in waiting:
        await claim_and_complete(stack.applications, people.clerk, application["case_id"],
                                 "document_review", review("accept"))
    submitted = []
    for n in range(3, 6):
        people = People(issuer, national_code(n))
        application = await apply(stack, people.applicant,
                                  {**APPLICANT, "national_code": national_code(n)})
        submitted.append((people, application))

    bridge = stack.workflows.bus

    def retried(subscription: routing.Subscription) -> float:
        queue = bridge.queue_name(subscription)
        return sum(sample.value for metric in bridge.metrics.retried_transient.collect()
                   for sample in metric.samples
                   if sample.name.endswith("_total") and sample.labels["queue"] == queue)

    async def both_waiting() -> bool:
        return (retried(routing.WORKFLOWS_TASK_COMPLETED) >= 3
                and retried(routing.WORKFLOWS_SUBMITTED) >= 3)

    # the bridge's messages are waiting their turn, not dead-lettered
    await eventually(both_waiting, timeout=30)
    assert (await queue_depths(bus_ns))[0] == 0
    await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - killed)))
    temporal_server.start()

    async def reviewed_then_decided(people: People, application: dict) -> str:
        await status_of(stack, people.applicant, application["id"], "inspection")
        await inspect_and_decide(stack, people, application["case_id"])
        return (await status_of(stack, people.applicant, application["id"], "issued")
                )["license_number"]

    async def reviewed_and_decided(people: People, application: dict) -> str:
        await status_of(stack, people.applicant, application["id"], "document_review")
        await claim_and_complete(stack.applications, people.clerk, application["case_id"],
                                 "document_review", review("accept"))
        return await reviewed_then_decided(people, application)

    numbers = await asyncio.gather(
        *(reviewed_then_decided(p, a) for p, a in waiting),
        *(reviewed_and_decided(p, a) for p, a in submitted))
    assert len(set(numbers)) == 6 and all(n.startswith("GL-") for n in numbers)

    async def settled() -> tuple[int, int] | None:
        depths = await queue_depths(bus_ns)
        return depths if depths == (0, 0) else None

    await eventually(settled, timeout=10)
    assert bridge.metrics.dead_lettered.collect()[0].samples == []
    ready = await stack.workflows.ready()
    assert ready == {"broker": True, "temporal": True, "worker": True}
    assert time.monotonic() - started < 180
