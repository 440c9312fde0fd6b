"""The bus bridge: starts workflows from bus events and turns completion events into
signals. Services never learn that Temporal exists."""

from __future__ import annotations

import logging

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from services.contracts import routing
from services.contracts.applications import (
    ApplicationCorrected,
    ApplicationSubmitted,
    ApplicationWithdrawn,
)
from services.contracts.envelope import Envelope
from services.contracts.licensing import LicenseIssued
from services.contracts.tasks import TaskCompleted
from services.kit.bus import Bus, Reject
from workflows.new_license.inputs import NewLicenseInput
from workflows.new_license.workflow import NewLicenseWorkflow
from workflows.policies import CasePolicies

log = logging.getLogger(__name__)


class Bridge:
    def __init__(self, bus: Bus, client: Client, task_queue: str, policies: CasePolicies) -> None:
        self.bus = bus
        self.client = client
        self.task_queue = task_queue
        self.policies = policies

    def register(self) -> None:
        self.bus.subscribe(routing.WORKFLOWS_SUBMITTED, self.on_submitted)
        self.bus.subscribe(routing.WORKFLOWS_TASK_COMPLETED, self.on_task_completed)
        self.bus.subscribe(routing.WORKFLOWS_LICENSE_ISSUED, self.on_license_issued)
        self.bus.subscribe(routing.WORKFLOWS_APPLICANT_ACTIONS, self.on_applicant_action)

    async def on_submitted(self, _envelope: Envelope, event: ApplicationSubmitted) -> None:
        try:
            await self.client.start_workflow(
                NewLicenseWorkflow.run,
                NewLicenseInput(
                    application_id=event.application_id, case_id=event.case_id,
                    applicant=event.applicant, county=event.county, area=event.area,
                    address=event.address, submitted_at=event.submitted_at,
                    policies=self.policies,
                ),
                id=event.case_id,
                task_queue=self.task_queue,
                # a redelivered event must never start the case a second time
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            )
        except WorkflowAlreadyStartedError:
            log.info("case %s already started", event.case_id)

    async def on_task_completed(self, envelope: Envelope, event: TaskCompleted) -> None:
        plain = TaskCompleted.model_validate(event.model_dump())
        await self._signal(envelope.correlation_id, "task_completed", plain)

    async def on_license_issued(self, envelope: Envelope, event: LicenseIssued) -> None:
        await self._signal(envelope.correlation_id, "license_issued", event)

    async def on_applicant_action(self, envelope: Envelope,
                                  event: ApplicationCorrected | ApplicationWithdrawn) -> None:
        signal = "correction_submitted" if isinstance(event, ApplicationCorrected) else "withdraw"
        await self._signal(envelope.correlation_id, signal, event)

    async def _signal(self, workflow_id: str, signal: str, arg: object) -> None:
        handle = self.client.get_workflow_handle(workflow_id)
        try:
            await handle.signal(signal, arg)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            try:
                description = await handle.describe()
            except RPCError as missing:
                if missing.status == RPCStatusCode.NOT_FOUND:
                    raise Reject("unknown_case", workflow_id) from exc
                raise
            if description.status != WorkflowExecutionStatus.RUNNING:
                # a late or repeated event for a case that has ended: nothing to do
                log.info("signal %s to closed case %s ignored", signal, workflow_id)
                return
            raise
