"""SupervisionSweepWorkflow: what the supervision schedule runs. It asks licensing to find
the offices due for review as of the workflow's own clock (so the same rules hold under a
time-skipping test server) and to open one review per office that has none open."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.licensing import SweepOffices
    from workflows.activities import BusActivities
    from workflows.policies import SweepPolicy

ACTIVITY_TIMEOUT = timedelta(seconds=30)


@workflow.defn
class SupervisionSweepWorkflow:
    @workflow.run
    async def run(self, policy: SweepPolicy) -> str:
        info = workflow.info()
        sweep_id = f"sweep-{info.workflow_id}-{info.run_id}"
        await workflow.execute_activity_method(
            BusActivities.sweep_offices,
            SweepOffices(sweep_id=sweep_id, as_of=workflow.now(), idle_days=policy.idle_days,
                         upheld_threshold=policy.upheld_threshold,
                         lookback_days=policy.lookback_days),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
        return sweep_id
