"""The workflows process: a Temporal worker and the bus bridge, with health and metrics."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from datetime import timedelta
from types import TracebackType

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RetryConfig, RPCError, RPCStatusCode
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from services.kit.bus import Bus
from services.kit.metrics import KitMetrics
from workflows import search_attributes
from workflows.activities import BusActivities
from workflows.address_change.workflow import AddressChangeWorkflow
from workflows.bridge import Bridge
from workflows.complaint.workflow import ComplaintWorkflow
from workflows.license_term.workflow import LicenseTermWorkflow
from workflows.new_license.workflow import NewLicenseWorkflow
from workflows.renewal.workflow import RenewalWorkflow
from workflows.review.workflow import ReviewWorkflow
from workflows.settings import WorkflowsSettings
from workflows.supervision.schedule import ensure_sweep_schedule, sweep_schedule
from workflows.supervision.workflow import SupervisionSweepWorkflow
from workflows.transfer.workflow import TransferWorkflow

log = logging.getLogger(__name__)

WORKFLOWS = [NewLicenseWorkflow, RenewalWorkflow, TransferWorkflow, AddressChangeWorkflow,
             LicenseTermWorkflow, ComplaintWorkflow, ReviewWorkflow, SupervisionSweepWorkflow]


def workflow_runner() -> SandboxedWorkflowRunner:
    # validation libraries our contracts load lazily; they hold no workflow state
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            "pydantic", "email_validator", "idna", "services.contracts",
        )
    )


# The bridge's calls give up on an absent server within a couple of seconds: its message then
# waits in the bus's retry queue, rather than on the consumer's prefetch slot inside the
# client's own retries (ten seconds by default).
BRIDGE_RETRY = RetryConfig(initial_interval_millis=100, max_interval_millis=1000,
                           max_elapsed_time_millis=2000, max_retries=3)


async def connect(settings: WorkflowsSettings, *, runtime: Runtime | None = None,
                  retry_config: RetryConfig | None = None) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
        retry_config=retry_config,
    )


async def ensure_search_attributes(client: Client, namespace: str) -> None:
    """Register our search attributes; already registered is fine."""
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=namespace,
                search_attributes={
                    key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
                    for key in search_attributes.ALL
                },
            )
        )
    except RPCError as exc:
        if exc.status not in (RPCStatusCode.ALREADY_EXISTS,):
            raise


class WorkflowsProcess:
    """Async context: connects bus and Temporal, runs the bridge and the worker."""

    def __init__(self, settings: WorkflowsSettings, *, client: Client | None = None,
                 runtime: Runtime | None = None) -> None:
        self.settings = settings
        self.metrics = KitMetrics("workflows")
        self.bus = Bus(settings, service="workflows", metrics=self.metrics)
        self._client = client
        self._runtime = runtime
        self._stack = AsyncExitStack()
        self.worker: Worker | None = None
        self._worker_task: asyncio.Task[None] | None = None

    @property
    def client(self) -> Client:
        assert self._client is not None
        return self._client

    async def __aenter__(self) -> WorkflowsProcess:
        if self._client is None:
            self._client = await connect(self.settings, runtime=self._runtime)
            bridge_client = await connect(self.settings, runtime=self._runtime,
                                          retry_config=BRIDGE_RETRY)
        else:
            bridge_client = self._client
        await ensure_search_attributes(self.client, self.settings.temporal_namespace)
        Bridge(self.bus, bridge_client, self.settings.task_queue,
               self.settings.case_policies(), self.settings.term_policy(),
               self.settings.workflow_id_prefix,
               complaint_policies=self.settings.complaint_policies(),
               review_policies=self.settings.review_policies()).register()
        if self.settings.supervision_schedule_enabled:
            await self.schedule_sweeps()
        activities = BusActivities(self.bus)
        self.worker = Worker(
            self.client,
            task_queue=self.settings.task_queue,
            workflows=WORKFLOWS,
            activities=activities.all(),
            workflow_runner=workflow_runner(),
        )
        await self.bus.start()
        self._stack.push_async_callback(self.bus.stop)
        self._worker_task = asyncio.create_task(self.worker.run(), name="temporal-worker")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.worker is not None and self._worker_task is not None:
            await self.worker.shutdown()
            try:
                await self._worker_task
            except Exception:
                log.exception("worker ended with an error")
        await self._stack.aclose()

    @property
    def sweep_schedule_id(self) -> str:
        return f"{self.settings.workflow_id_prefix}supervision-sweep"

    async def schedule_sweeps(self) -> None:
        settings = self.settings
        await ensure_sweep_schedule(self.client, self.sweep_schedule_id, sweep_schedule(
            settings.sweep_policy(),
            every=timedelta(hours=settings.supervision_sweep_every_hours),
            task_queue=settings.task_queue, workflow_id=self.sweep_schedule_id))

    async def ready(self) -> dict[str, bool]:
        worker_ok = self._worker_task is not None and not self._worker_task.done()
        try:
            temporal_ok = await asyncio.wait_for(self.client.service_client.check_health(), 3)
        except Exception:
            temporal_ok = False
        return {"broker": await self.bus.ping(), "temporal": bool(temporal_ok),
                "worker": worker_ok}


def sdk_runtime(settings: WorkflowsSettings) -> Runtime | None:
    if not settings.sdk_metrics_address:
        return None
    return Runtime(telemetry=TelemetryConfig(
        metrics=PrometheusConfig(
            bind_address=settings.sdk_metrics_address, durations_as_seconds=True,
            # a 0.2 s bucket, so the 200 ms schedule-to-start alert is not interpolated
            histogram_bucket_overrides={"temporal_workflow_task_schedule_to_start_latency":
                                        [0.01, 0.05, 0.1, 0.2, 0.5, 1, 5, 10, 60]})))
