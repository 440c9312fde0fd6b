"""The supervision sweep on a real Temporal Schedule (dev server): the worker creates the
schedule from its settings, brings it up to date on a restart, and each run sends licensing
one sweep command with the settings' thresholds."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import timedelta

import aio_pika

from services.contracts import routing
from tests.conftest import BusNamespace
from workflows.process import WorkflowsProcess
from workflows.settings import WorkflowsSettings


async def sweeps(queue: aio_pika.abc.AbstractQueue, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    found: list[dict] = []
    while time.monotonic() < deadline and not found:
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            envelope = json.loads(message.body)
            if envelope["type"] == routing.SUPERVISION_SWEEP:
                found.append(envelope["payload"])
        await asyncio.sleep(0.1)
    return found


async def test_the_sweep_runs_on_a_schedule_made_from_the_settings(
        bus_ns: BusNamespace, amqp: aio_pika.abc.AbstractChannel, temporal_address: str) -> None:
    def settings(every_hours: float) -> WorkflowsSettings:
        return WorkflowsSettings(
            temporal_address=temporal_address, task_queue=f"test-{uuid.uuid4().hex[:10]}",
            workflow_id_prefix=prefix, sdk_metrics_address="",
            supervision_sweep_every_hours=every_hours, supervision_idle_days=45,
            supervision_upheld_complaints=2, **bus_ns.settings())

    prefix = f"test-{uuid.uuid4().hex[:10]}-"
    async with WorkflowsProcess(settings(6)) as first:
        schedule = first.client.get_schedule_handle(first.sweep_schedule_id)
        described = await schedule.describe()
        assert described.schedule.spec.intervals[0].every == timedelta(hours=6)
    # a restart with other settings updates the schedule instead of failing
    async with WorkflowsProcess(settings(12)) as process:
        try:
            described = await schedule.describe()
            assert described.schedule.spec.intervals[0].every == timedelta(hours=12)
            queue = await amqp.get_queue(process.bus.queue_name(routing.LICENSING_SUPERVISION))
            await schedule.trigger()
            found = await sweeps(queue)
            assert len(found) == 1, found
            assert found[0]["idle_days"] == 45 and found[0]["upheld_threshold"] == 2
            assert found[0]["lookback_days"] == 365
        finally:
            await schedule.delete()
