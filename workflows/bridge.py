"""The bus bridge: starts workflows from bus events and turns completion events into
signals. Services never learn that Temporal exists.

While the Temporal server is away the bridge's messages wait in their retry queues (the
bus asks ``services.kit.faults``, which learns Temporal's transient errors here) and go
through once it is back: none is dead-lettered for an outage."""

from __future__ import annotations

import logging

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from services.contracts import routing
from services.contracts.applications import (
    ApplicationConsented,
    ApplicationCorrected,
    ApplicationSubmitted,
    ApplicationWithdrawn,
)
from services.contracts.complaints import ComplaintFiled, ComplaintReopened
from services.contracts.envelope import Envelope
from services.contracts.licensing import (
    LicenseChanged,
    LicenseChangeRefused,
    LicenseIssued,
    RenewalAssessed,
    ReviewAnswered,
    ReviewDecided,
    ReviewOpened,
)
from services.contracts.notifications import Recipient
from services.contracts.tasks import TaskCompleted
from services.kit.bus import Bus, Reject
from services.kit.faults import register_transient
from workflows.address_change.workflow import AddressChangeWorkflow
from workflows.case import CaseInput
from workflows.complaint.inputs import ComplaintInput
from workflows.complaint.workflow import ComplaintWorkflow
from workflows.license_term.workflow import LicenseTermInput, LicenseTermWorkflow
from workflows.new_license.workflow import NewLicenseWorkflow
from workflows.policies import CasePolicies, ComplaintPolicies, ReviewPolicies, TermPolicy
from workflows.renewal.workflow import RenewalWorkflow
from workflows.review.inputs import ReviewInput
from workflows.review.workflow import ReviewWorkflow
from workflows.transfer.workflow import TransferWorkflow

# which workflow runs each kind of application
CASE_WORKFLOWS = {
    "new_license": NewLicenseWorkflow,
    "renewal": RenewalWorkflow,
    "transfer": TransferWorkflow,
    "address_change": AddressChangeWorkflow,
}
# changes that begin a license's term; the others are told to a running term
TERM_STARTS = ("issued", "imported")

log = logging.getLogger(__name__)

# the server is down, restarting, overloaded or slow: all pass if we wait
TRANSIENT_RPC_STATUSES = frozenset({
    RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.ABORTED, RPCStatusCode.CANCELLED,
})


def temporal_is_away(exc: BaseException) -> bool:
    """Whether a Temporal call failed because the server could not answer just now."""
    return isinstance(exc, RPCError) and exc.status in TRANSIENT_RPC_STATUSES


class Bridge:
    def __init__(self, bus: Bus, client: Client, task_queue: str, policies: CasePolicies,
                 term_policy: TermPolicy, workflow_id_prefix: str = "", *,
                 complaint_policies: ComplaintPolicies, review_policies: ReviewPolicies) -> None:
        self.bus = bus
        self.client = client
        self.task_queue = task_queue
        self.policies = policies
        self.term_policy = term_policy
        self.workflow_id_prefix = workflow_id_prefix
        self.complaint_policies = complaint_policies
        self.review_policies = review_policies

    def register(self) -> None:
        register_transient(temporal_is_away)
        self.bus.subscribe(routing.WORKFLOWS_SUBMITTED, self.on_submitted)
        self.bus.subscribe(routing.WORKFLOWS_TASK_COMPLETED, self.on_task_completed)
        self.bus.subscribe(routing.WORKFLOWS_LICENSE_ISSUED, self.on_license_issued)
        self.bus.subscribe(routing.WORKFLOWS_APPLICANT_ACTIONS, self.on_applicant_action)
        self.bus.subscribe(routing.WORKFLOWS_LICENSE_EVENTS, self.on_license_event)
        self.bus.subscribe(routing.WORKFLOWS_COMPLAINTS, self.on_complaint)
        self.bus.subscribe(routing.WORKFLOWS_REVIEWS, self.on_review)

    async def on_complaint(self, envelope: Envelope,
                           event: ComplaintFiled | ComplaintReopened) -> None:
        if isinstance(event, ComplaintFiled):
            await self._start(ComplaintWorkflow.run,
                              ComplaintInput(complaint=event, policies=self.complaint_policies),
                              event.case_id)
        else:
            await self._signal(event.case_id, "reopen", event)

    async def on_review(self, envelope: Envelope,
                        event: ReviewOpened | ReviewAnswered | ReviewDecided) -> None:
        if isinstance(event, ReviewOpened):
            await self._start(ReviewWorkflow.run,
                              ReviewInput(review=event, policies=self.review_policies),
                              event.case_id)
        elif isinstance(event, ReviewAnswered):
            await self._signal(event.case_id, "answered", event)
        else:
            await self._signal(event.case_id, "review_decided", event)

    async def on_submitted(self, _envelope: Envelope, event: ApplicationSubmitted) -> None:
        workflow = CASE_WORKFLOWS[event.kind]
        await self._start(
            workflow.run,  # type: ignore[attr-defined]
            CaseInput(
                application_id=event.application_id, case_id=event.case_id,
                applicant=event.applicant, county=event.county, area=event.area,
                address=event.address, submitted_at=event.submitted_at,
                policies=self.policies, license_number=event.license_number,
                new_holder=event.new_holder,
            ),
            event.case_id,
        )

    async def on_license_event(self, envelope: Envelope,
                               event: LicenseChanged | RenewalAssessed | LicenseChangeRefused
                               ) -> None:
        if isinstance(event, RenewalAssessed):
            await self._signal(envelope.correlation_id, "renewal_assessed", event)
            return
        if isinstance(event, LicenseChangeRefused):
            await self._signal(event.case_id, "license_refused", event)
            return
        snapshot = event.license
        term_id = f"{self.workflow_id_prefix}license-{snapshot.number}"
        if event.change in TERM_STARTS:
            holder = Recipient(id=snapshot.holder_national_code, mobile=snapshot.holder_mobile)
            await self._start(
                LicenseTermWorkflow.run,
                LicenseTermInput(license_number=snapshot.number,
                                 valid_until=snapshot.valid_until, holder=holder,
                                 policy=self.term_policy),
                term_id,
            )
        else:
            await self._signal(term_id, "license_changed", event, missing_ok=True)
        if event.case_id and event.case_id != term_id and event.change not in TERM_STARTS:
            await self._signal(event.case_id, "license_changed", event, missing_ok=True)

    async def _start(self, run: object, arg: object, workflow_id: str) -> None:
        try:
            await self.client.start_workflow(
                run,  # type: ignore[arg-type]
                arg,
                id=workflow_id,
                task_queue=self.task_queue,
                # a redelivered event must never start the case a second time
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            )
        except WorkflowAlreadyStartedError:
            log.info("%s already started", workflow_id)

    async def on_task_completed(self, envelope: Envelope, event: TaskCompleted) -> None:
        plain = TaskCompleted.model_validate(event.model_dump())
        await self._signal(envelope.correlation_id, "task_completed", plain)

    async def on_license_issued(self, envelope: Envelope, event: LicenseIssued) -> None:
        await self._signal(envelope.correlation_id, "license_issued", event)

    async def on_applicant_action(
        self, envelope: Envelope,
        event: ApplicationCorrected | ApplicationWithdrawn | ApplicationConsented,
    ) -> None:
        if isinstance(event, ApplicationCorrected):
            signal = "correction_submitted"
        elif isinstance(event, ApplicationConsented):
            signal = "consented"
        else:
            signal = "withdraw"
        await self._signal(envelope.correlation_id, signal, event)

    async def _signal(self, workflow_id: str, signal: str, arg: object, *,
                      missing_ok: bool = False) -> None:
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
                    if missing_ok:  # e.g. a license imported before terms were kept
                        log.info("no workflow %s for %s", workflow_id, signal)
                        return
                    raise Reject("unknown_case", workflow_id) from exc
                raise
            if description.status != WorkflowExecutionStatus.RUNNING:
                # a late or repeated event for a case that has ended: nothing to do
                log.info("signal %s to closed case %s ignored", signal, workflow_id)
                return
            raise
