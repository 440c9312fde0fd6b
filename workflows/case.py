"""What every applicant's case has in common: its input, the signals the bus bridge sends
it, the steps people take (with correction rounds), its timeline events, the notices to
the applicant, and how it ends. Each process (new license, renewal, transfer, change of
address) is a subclass with its own ``run``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.applications import (
        Applicant,
        ApplicationConsented,
        ApplicationCorrected,
        ApplicationStatusChanged,
        ApplicationWithdrawn,
    )
    from services.contracts.licensing import (
        LicenseChanged,
        LicenseChangeRefused,
        LicenseIssued,
        RenewalAssessed,
    )
    from services.contracts.notifications import NotificationRequested, Recipient
    from services.contracts.tasks import CANDIDATE_ROLE, GO_ON, OpenTask, TaskCompleted
    from services.contracts.types import Area
    from workflows import search_attributes as sa
    from workflows.activities import BusActivities
    from workflows.human_task import HumanTasks, count_deadline, deadline_note, wait_until
    from workflows.policies import CasePolicies

ACTIVITY_TIMEOUT = timedelta(seconds=30)

# the status a case has while each kind of task waits
WAITING_STATUS = {
    "document_review": "document_review",
    "site_inspection": "inspection",
    "licensing_decision": "decision",
}


class CaseInput(BaseModel):
    application_id: str
    case_id: str
    applicant: Applicant
    county: str
    area: Area
    address: str
    submitted_at: datetime
    policies: CasePolicies
    # the license a renewal, transfer or change of address is about
    license_number: str | None = None
    # a transfer's new holder
    new_holder: Applicant | None = None


class CaseResult(BaseModel):
    status: str
    license_number: str | None = None
    rejected_at_step: str | None = None
    reason: str | None = None
    actor: str | None = None
    review_rounds: int = 1


class CaseWorkflow:
    """Base of the case workflows; not a workflow itself."""

    def __init__(self) -> None:
        self.tasks = HumanTasks()
        self.license: LicenseIssued | None = None
        self.changes: list[LicenseChanged] = []
        self.assessment: RenewalAssessed | None = None
        self.refusal: LicenseChangeRefused | None = None
        self.correction: ApplicationCorrected | None = None
        self.withdrawal: ApplicationWithdrawn | None = None
        self.consent: ApplicationConsented | None = None
        self.seq = 0
        self.current_status = "submitted"
        # once the license is being issued or changed, withdrawal is too late
        self.committed = False

    # -- signals and queries -------------------------------------------------------------

    @workflow.signal
    def task_completed(self, event: TaskCompleted) -> None:
        self.tasks.completed(event)

    @workflow.signal
    def license_issued(self, event: LicenseIssued) -> None:
        if self.license is None:
            self.license = event

    @workflow.signal
    def license_changed(self, event: LicenseChanged) -> None:
        self.changes.append(event)

    @workflow.signal
    def license_refused(self, event: LicenseChangeRefused) -> None:
        if self.refusal is None:
            self.refusal = event

    @workflow.signal
    def renewal_assessed(self, event: RenewalAssessed) -> None:
        if self.assessment is None:
            self.assessment = event

    @workflow.signal
    def correction_submitted(self, event: ApplicationCorrected) -> None:
        if self.current_status == "correction_requested":
            self.correction = event

    @workflow.signal
    def consented(self, event: ApplicationConsented) -> None:
        if self.consent is None:
            self.consent = event

    @workflow.signal
    def withdraw(self, event: ApplicationWithdrawn) -> None:
        if not self.committed and self.withdrawal is None:
            self.withdrawal = event

    @workflow.query
    def status(self) -> str:
        return self.current_status

    # -- steps ---------------------------------------------------------------------------

    async def begin(self, case: CaseInput) -> None:
        """Every case starts the same way: searchable by county, the applicant told."""
        self.case = case
        workflow.upsert_search_attributes(
            [sa.COUNTY.value_set(case.county), sa.STATUS.value_set("submitted")]
        )
        await self.notify("received", "application_received", {
            "applicant_name": case.applicant.name,
            "submitted_at": case.submitted_at.isoformat(),
        })

    @property
    def applicant_actor(self) -> str:
        return self.case.applicant.national_code

    async def review_documents(self, actor: str) -> tuple[TaskCompleted | CaseResult, int]:
        """Document review with as many correction rounds as the clerk asks for. Returns
        the accepting review, or the case's end (rejected, withdrawn, abandoned)."""
        clerk: str | None = None
        rounds = 0
        while True:
            rounds += 1
            done = await self.step("document_review", rounds, actor, assignee=clerk)
            if done is None:
                return await self.withdrawn(rounds), rounds
            if done.outcome == "correction":
                if not await self.await_correction(done):
                    return (await self.withdrawn(rounds) if self.withdrawal
                            else await self.abandoned(rounds)), rounds
                clerk = done.actor  # the case returns to the same clerk
                actor = self.applicant_actor
                continue
            if done.outcome != GO_ON["document_review"]:
                return await self.reject("document_review", done, rounds), rounds
            return done, rounds

    async def step(self, kind: str, attempt: int, actor: str, *, assignee: str | None = None
                   ) -> TaskCompleted | None:
        """Open the step's task, say so on the timeline, and wait for its completion."""
        policy = self.case.policies.steps[kind]
        due_at = workflow.now() + policy.due
        role = CANDIDATE_ROLE[kind]
        status = WAITING_STATUS[kind]
        if kind != "document_review":
            await self.notify(f"step-{status}", "application_step", {
                "status": status, "occurred_at": workflow.now().isoformat()})
        if kind == "site_inspection":
            await self.notify("inspection", "inspection_scheduled",
                              {"due_at": due_at.isoformat()})
        await self.set_status(status, step=kind, actor=actor, awaiting=role, due_at=due_at)
        data: dict[str, Any] = {"applicant_name": self.case.applicant.name,
                                "area": self.case.area, "address": self.case.address,
                                "attempt": attempt, "case_kind": self.kind}
        if self.case.license_number:
            data["license_number"] = self.case.license_number
        return await self.tasks.run(
            OpenTask(
                task_key=f"{self.case.case_id}:{kind}:{attempt}",
                kind=kind,  # type: ignore[arg-type]
                case_id=self.case.case_id,
                application_id=self.case.application_id,
                candidate_role=role,
                county=self.case.county,
                due_at=due_at,
                assignee=assignee,
                data=data,
            ),
            self.case.policies.steps[kind],
            interrupted=lambda: self.withdrawal is not None,
            on_deadline=self.on_deadline,
        )

    kind = "case"

    async def on_deadline(self, task: OpenTask, stage: str, level: int) -> None:
        count_deadline(task, stage)
        await self.set_status(self.current_status, step=task.kind, actor="system",
                              note=deadline_note(task, stage, level), kind=stage)

    async def await_correction(self, review: TaskCompleted) -> bool:
        """Ask the applicant for corrected documents; True when they came in time."""
        deadline = workflow.now() + self.case.policies.correction_deadline
        documents = [d for d in review.data.get("documents", []) if d.get("verdict") == "reject"]
        self.correction = None
        await self.set_status("correction_requested", step="document_review", actor=review.actor,
                              note=review.reason, awaiting="applicant", due_at=deadline,
                              documents=[d["document_type"] for d in documents])
        await self.notify(f"correction-{review.task_key}", "correction_requested", {
            "documents": [{"type": d["document_type"], "reason": d.get("reason") or ""}
                          for d in documents],
            "reason": review.reason or "",
            "deadline": deadline.isoformat(),
        })
        return await wait_until(
            lambda: self.correction is not None or self.withdrawal is not None,
            self.case.policies.correction_deadline,
        ) and self.withdrawal is None

    async def decide(self, actor: str) -> TaskCompleted | CaseResult:
        """The licensing officer's decision: the approving task, or the case's end."""
        done = await self.step("licensing_decision", 1, actor)
        if done is None:
            return await self.withdrawn(1)
        await self.notify("decision", "decision_made", {
            "decision": done.outcome, "reason": done.reason or ""})
        if done.outcome != GO_ON["licensing_decision"]:
            return await self.reject("licensing_decision", done, 1)
        return done

    async def license_change(self, change: str, step: str) -> LicenseChanged | CaseResult:
        """Wait for licensing to report the change this case asked for, or its refusal
        (the license was revoked or changed meanwhile), which ends the case."""
        def arrived() -> LicenseChanged | None:
            return next((c for c in self.changes if c.change == change
                         and c.application_id == self.case.application_id), None)

        await workflow.wait_condition(lambda: arrived() is not None or self.refusal is not None)
        found = arrived()
        if found is None:
            return await self.refused(step)
        return found

    async def assessed(self) -> RenewalAssessed | CaseResult:
        """Wait for licensing's assessment of a renewal, or its refusal."""
        await workflow.wait_condition(
            lambda: self.assessment is not None or self.refusal is not None)
        if self.assessment is None:
            return await self.refused("renewal")
        return self.assessment

    async def refused(self, step: str) -> CaseResult:
        assert self.refusal is not None
        reason = self.refusal.code + (f": {self.refusal.detail}" if self.refusal.detail else "")
        await self.set_status("rejected", step=step, actor="licensing", note=reason,
                              license_number=self.case.license_number)
        await self.notify("refused", "application_rejected", {"step": step, "reason": reason})
        return CaseResult(status="rejected", rejected_at_step=step, reason=reason,
                          actor="licensing", license_number=self.case.license_number)

    # -- endings -------------------------------------------------------------------------

    async def reject(self, step: str, done: TaskCompleted, rounds: int) -> CaseResult:
        await self.set_status("rejected", step=step, actor=done.actor, note=done.reason)
        if step != "licensing_decision":  # a decision was already told as a decision
            await self.notify("rejected", "application_rejected", {
                "step": step, "reason": done.reason or ""})
        return CaseResult(status="rejected", rejected_at_step=step, reason=done.reason,
                          actor=done.actor, review_rounds=rounds,
                          license_number=self.case.license_number)

    async def withdrawn(self, rounds: int) -> CaseResult:
        assert self.withdrawal is not None
        await self.set_status("withdrawn", step="withdrawal", actor=self.applicant_actor,
                              note=self.withdrawal.reason)
        await self.notify("withdrawn", "application_withdrawn", {
            "withdrawn_at": self.withdrawal.withdrawn_at.isoformat()})
        return CaseResult(status="withdrawn", reason=self.withdrawal.reason,
                          actor=self.applicant_actor, review_rounds=rounds,
                          license_number=self.case.license_number)

    async def abandoned(self, rounds: int, *, step: str = "document_review",
                        note: str = "no correction before the deadline") -> CaseResult:
        await self.set_status("abandoned", step=step, actor="system", note=note)
        await self.notify("abandoned", "application_abandoned",
                          {"deadline": workflow.now().isoformat()})
        return CaseResult(status="abandoned", reason=note, review_rounds=rounds,
                          license_number=self.case.license_number)

    # -- side effects, each an activity --------------------------------------------------

    async def set_status(self, status: str, *, step: str, actor: str, note: str | None = None,
                         awaiting: str | None = None, license_number: str | None = None,
                         due_at: datetime | None = None, kind: str = "status",
                         documents: list[str] | None = None) -> None:
        self.seq += 1
        self.current_status = status
        workflow.upsert_search_attributes(
            [sa.STATUS.value_set(status), sa.STEP.value_set(step)]
        )
        await workflow.execute_activity_method(
            BusActivities.publish_status,
            ApplicationStatusChanged(
                application_id=self.case.application_id, case_id=self.case.case_id,
                seq=self.seq, status=status, step=step, actor=actor, note=note,  # type: ignore[arg-type]
                awaiting=awaiting, license_number=license_number, kind=kind,  # type: ignore[arg-type]
                due_at=due_at, documents=documents, occurred_at=workflow.now(),
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )

    async def notify(self, key: str, template: str, data: dict[str, Any],
                     to: Applicant | None = None) -> None:
        person = to or self.case.applicant
        await workflow.execute_activity_method(
            BusActivities.request_notification,
            NotificationRequested(
                notification_key=f"{self.case.case_id}:{key}",
                template=template,  # type: ignore[arg-type]
                recipient=Recipient(id=person.national_code, mobile=person.mobile,
                                    email=person.email, language=person.language),
                case_id=self.case.case_id,
                data={"application_id": self.case.application_id, **data},
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
