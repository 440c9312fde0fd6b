"""The one way a workflow waits for a person: ask the owning service to open a task,
then wait for the ``task_completed`` signal the bus bridge delivers."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.tasks import OpenTask, TaskCompleted
    from workflows.activities import BusActivities

ACTIVITY_TIMEOUT = timedelta(seconds=30)


class HumanTasks:
    """Held by a workflow instance; its signal handler calls :meth:`completed`."""

    def __init__(self) -> None:
        self._done: dict[str, TaskCompleted] = {}

    def completed(self, event: TaskCompleted) -> None:
        # the first completion counts; a redelivered signal changes nothing
        self._done.setdefault(event.task_key, event)

    async def run(self, task: OpenTask) -> TaskCompleted:
        await workflow.execute_activity_method(
            BusActivities.open_task, task, start_to_close_timeout=ACTIVITY_TIMEOUT
        )
        await workflow.wait_condition(lambda: task.task_key in self._done)
        return self._done[task.task_key]
