"""The one way a workflow waits for a person: ask the owning service to open a task, then
wait for the ``task_completed`` signal the bus bridge delivers — reminding before the due
time, escalating at the breach and again while nobody acts, and cancelling the task when
the case is interrupted (withdrawn)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.tasks import CancelTask, OpenTask, TaskCompleted, TaskDeadline
    from workflows.activities import BusActivities
    from workflows.policies import StepPolicy

ACTIVITY_TIMEOUT = timedelta(seconds=30)

OnDeadline = Callable[[OpenTask, str, int], Awaitable[None]]


def count_deadline(task: OpenTask, stage: str) -> None:
    """Reminders and escalations, counted in the worker's SDK metrics by kind and stage."""
    workflow.metric_meter().create_counter(
        "pishkhan_workflow_task_deadlines", "Reminders and escalations raised by cases",
    ).add(1, {"kind": task.kind, "stage": stage})


def deadline_note(task: OpenTask, stage: str, level: int) -> str:
    """The timeline's words for a reminder or an escalation."""
    if stage == "reminder":
        return f"reminder: due {task.due_at.isoformat() if task.due_at else ''}"
    return f"escalation level {level}: past due"


async def wait_until(condition: Callable[[], bool], timeout: timedelta) -> bool:
    """Wait for the condition on a durable timer; False when the time ran out first."""
    try:
        await workflow.wait_condition(condition, timeout=timeout)
        return True
    except TimeoutError:
        return False


class HumanTasks:
    """Held by a workflow instance; its signal handler calls :meth:`completed`."""

    def __init__(self) -> None:
        self._done: dict[str, TaskCompleted] = {}

    def completed(self, event: TaskCompleted) -> None:
        # the first completion counts; a redelivered signal changes nothing
        self._done.setdefault(event.task_key, event)

    async def run(self, task: OpenTask, policy: StepPolicy, *,
                  interrupted: Callable[[], bool], on_deadline: OnDeadline
                  ) -> TaskCompleted | None:
        """The completion, or None when ``interrupted()`` became true first."""
        await workflow.execute_activity_method(
            BusActivities.open_task, task, start_to_close_timeout=ACTIVITY_TIMEOUT
        )
        key = task.task_key

        def finished() -> bool:
            return key in self._done or interrupted()

        remind_in = policy.due - policy.remind_before
        wait = policy.due
        if policy.remind_before > timedelta(0) and remind_in > timedelta(0):
            if not await wait_until(finished, remind_in):
                await self._deadline(task, "reminder", 0, policy)
                await on_deadline(task, "reminder", 0)
            wait = policy.remind_before
        level = 0
        while not await wait_until(finished, wait):
            level += 1
            await self._deadline(task, "escalation", level, policy)
            await on_deadline(task, "escalation", level)
            wait = policy.escalate_every
        if key in self._done:
            return self._done[key]
        await workflow.execute_activity_method(
            BusActivities.cancel_task,
            CancelTask(task_key=key, case_id=task.case_id, kind=task.kind,
                       reason="the case was withdrawn"),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
        return None

    @staticmethod
    async def _deadline(task: OpenTask, stage: str, level: int, policy: StepPolicy) -> None:
        await workflow.execute_activity_method(
            BusActivities.task_deadline,
            TaskDeadline(task_key=task.task_key, case_id=task.case_id, kind=task.kind,
                         stage=stage, level=level,  # type: ignore[arg-type]
                         return_to_queue=policy.return_to_queue and stage == "escalation"),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
