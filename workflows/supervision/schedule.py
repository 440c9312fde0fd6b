"""The Temporal Schedule that runs the supervision sweep: created when the worker starts,
brought up to date with the settings when it already exists."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from workflows.policies import SweepPolicy
from workflows.supervision.workflow import SupervisionSweepWorkflow


def sweep_schedule(policy: SweepPolicy, *, every: timedelta, task_queue: str,
                   workflow_id: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            SupervisionSweepWorkflow.run, policy, id=workflow_id, task_queue=task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # a sweep still running when the next is due: skip the next, never run two at once
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_sweep_schedule(client: Client, schedule_id: str, schedule: Schedule) -> None:
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        def update(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(update)
