"""NewLicenseWorkflow: application → document check (with correction rounds) → site
inspection → decision → issuance, telling the applicant at each step; withdrawal at any
point before issuance. Workflow id = the case id."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.applications import (
        ApplicationCorrected,
        ApplicationStatusChanged,
        ApplicationWithdrawn,
    )
    from services.contracts.licensing import IssueLicense, LicenseIssued
    from services.contracts.notifications import NotificationRequested, Recipient
    from services.contracts.tasks import CANDIDATE_ROLE, GO_ON, OpenTask, TaskCompleted
    from workflows import search_attributes as sa
    from workflows.activities import BusActivities
    from workflows.human_task import HumanTasks, wait_until
    from workflows.new_license.inputs import NewLicenseInput, NewLicenseResult

ACTIVITY_TIMEOUT = timedelta(seconds=30)

# the status a case has while each kind of task waits
WAITING_STATUS = {
    "document_review": "document_review",
    "site_inspection": "inspection",
    "licensing_decision": "decision",
}


@workflow.defn
class NewLicenseWorkflow:
    def __init__(self) -> None:
        self.tasks = HumanTasks()
        self.license: LicenseIssued | None = None
        self.correction: ApplicationCorrected | None = None
        self.withdrawal: ApplicationWithdrawn | None = None
        self.seq = 0
        self.current_status = "submitted"
        self.issuing = False

    # -- signals and queries -----------------------------------------------------------

    @workflow.signal
    def task_completed(self, event: TaskCompleted) -> None:
        self.tasks.completed(event)

    @workflow.signal
    def license_issued(self, event: LicenseIssued) -> None:
        if self.license is None:
            self.license = event

    @workflow.signal
    def correction_submitted(self, event: ApplicationCorrected) -> None:
        if self.current_status == "correction_requested":
            self.correction = event

    @workflow.signal
    def withdraw(self, event: ApplicationWithdrawn) -> None:
        # once issuance has begun the license is the applicant's; withdrawal is too late
        if not self.issuing and self.withdrawal is None:
            self.withdrawal = event

    @workflow.query
    def status(self) -> str:
        return self.current_status

    # -- the case ------------------------------------------------------------------------

    @workflow.run
    async def run(self, case: NewLicenseInput) -> NewLicenseResult:
        self.case = case
        workflow.upsert_search_attributes(
            [sa.COUNTY.value_set(case.county), sa.STATUS.value_set("submitted")]
        )
        await self.notify("received", "application_received", {
            "applicant_name": case.applicant.name,
            "submitted_at": case.submitted_at.isoformat(),
        })

        # document review, with as many correction rounds as the clerk asks for
        actor = case.applicant.national_code
        clerk: str | None = None
        rounds = 0
        while True:
            rounds += 1
            done = await self.step("document_review", rounds, actor, assignee=clerk)
            if done is None:
                return await self.withdrawn(rounds)
            if done.outcome == "correction":
                if not await self.await_correction(done):
                    return (await self.withdrawn(rounds) if self.withdrawal
                            else await self.abandoned(rounds))
                clerk = done.actor  # the case returns to the same clerk
                actor = case.applicant.national_code
                continue
            if done.outcome != GO_ON["document_review"]:
                return await self.reject("document_review", done, rounds)
            actor = done.actor
            break

        for kind in ("site_inspection", "licensing_decision"):
            done = await self.step(kind, 1, actor)
            if done is None:
                return await self.withdrawn(rounds)
            if kind == "licensing_decision":
                await self.notify("decision", "decision_made", {
                    "decision": done.outcome, "reason": done.reason or ""})
            if done.outcome != GO_ON[kind]:
                return await self.reject(kind, done, rounds)
            actor = done.actor

        self.issuing = True
        await self.set_status("issuing", step="issuance", actor=actor, awaiting="system")
        await workflow.execute_activity_method(
            BusActivities.issue_license,
            IssueLicense(
                application_id=case.application_id, case_id=case.case_id,
                holder=case.applicant, county=case.county, area=case.area,
                address=case.address, approved_by=actor,
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
        await workflow.wait_condition(lambda: self.license is not None)
        assert self.license is not None
        await self.set_status("issued", step="issuance", actor="system",
                              note=self.license.license_number,
                              license_number=self.license.license_number)
        await self.notify("issued", "license_issued", {
            "license_number": self.license.license_number,
            "valid_until": self.license.valid_until.isoformat(),
        })
        return NewLicenseResult(status="issued", license_number=self.license.license_number,
                                actor=actor, review_rounds=rounds)

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
                data={"applicant_name": self.case.applicant.name, "area": self.case.area,
                      "address": self.case.address, "attempt": attempt},
            ),
            policy,
            interrupted=lambda: self.withdrawal is not None,
            on_deadline=self.on_deadline,
        )

    async def on_deadline(self, task: OpenTask, stage: str, level: int) -> None:
        counter = workflow.metric_meter().create_counter(
            "pishkhan_workflow_task_deadlines", "Reminders and escalations raised by cases")
        counter.add(1, {"kind": task.kind, "stage": stage})
        note = (f"reminder: due {task.due_at.isoformat() if task.due_at else ''}"
                if stage == "reminder" else f"escalation level {level}: past due")
        await self.set_status(self.current_status, step=task.kind, actor="system", note=note,
                              kind=stage)

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

    # -- endings -------------------------------------------------------------------------

    async def reject(self, step: str, done: TaskCompleted, rounds: int) -> NewLicenseResult:
        await self.set_status("rejected", step=step, actor=done.actor, note=done.reason)
        if step != "licensing_decision":  # a decision was already told as a decision
            await self.notify("rejected", "application_rejected", {
                "step": step, "reason": done.reason or ""})
        return NewLicenseResult(status="rejected", rejected_at_step=step, reason=done.reason,
                                actor=done.actor, review_rounds=rounds)

    async def withdrawn(self, rounds: int) -> NewLicenseResult:
        assert self.withdrawal is not None
        actor = self.case.applicant.national_code
        await self.set_status("withdrawn", step="withdrawal", actor=actor,
                              note=self.withdrawal.reason)
        await self.notify("withdrawn", "application_withdrawn", {
            "withdrawn_at": self.withdrawal.withdrawn_at.isoformat()})
        return NewLicenseResult(status="withdrawn", reason=self.withdrawal.reason, actor=actor,
                                review_rounds=rounds)

    async def abandoned(self, rounds: int) -> NewLicenseResult:
        deadline = workflow.now()
        await self.set_status("abandoned", step="document_review", actor="system",
                              note="no correction before the deadline")
        await self.notify("abandoned", "application_abandoned",
                          {"deadline": deadline.isoformat()})
        return NewLicenseResult(status="abandoned", reason="no correction before the deadline",
                                review_rounds=rounds)

    # -- side effects, each an activity ------------------------------------------------

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

    async def notify(self, key: str, template: str, data: dict[str, Any]) -> None:
        applicant = self.case.applicant
        await workflow.execute_activity_method(
            BusActivities.request_notification,
            NotificationRequested(
                notification_key=f"{self.case.case_id}:{key}",
                template=template,  # type: ignore[arg-type]
                recipient=Recipient(id=applicant.national_code, mobile=applicant.mobile,
                                    email=applicant.email, language=applicant.language),
                case_id=self.case.case_id,
                data={"application_id": self.case.application_id, **data},
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
