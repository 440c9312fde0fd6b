"""NewLicenseWorkflow: application → document check → site inspection → decision →
issuance, telling the applicant at each step. Workflow id = the case id."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.applications import ApplicationStatusChanged
    from services.contracts.licensing import IssueLicense, LicenseIssued
    from services.contracts.notifications import NotificationRequested, Recipient
    from services.contracts.tasks import OpenTask, TaskCompleted
    from workflows import search_attributes as sa
    from workflows.activities import BusActivities
    from workflows.human_task import HumanTasks
    from workflows.new_license.inputs import NewLicenseInput, NewLicenseResult

ACTIVITY_TIMEOUT = timedelta(seconds=30)

# (task kind, who does it, the status while it waits, the outcome that lets the case go on)
STEPS: tuple[tuple[str, str, str, str], ...] = (
    ("document_review", "clerk", "document_review", "accept"),
    ("site_inspection", "inspector", "inspection", "pass"),
    ("licensing_decision", "licensing_officer", "decision", "approve"),
)


@workflow.defn
class NewLicenseWorkflow:
    def __init__(self) -> None:
        self.tasks = HumanTasks()
        self.license: LicenseIssued | None = None
        self.seq = 0
        self.current_status = "submitted"

    @workflow.signal
    def task_completed(self, event: TaskCompleted) -> None:
        self.tasks.completed(event)

    @workflow.signal
    def license_issued(self, event: LicenseIssued) -> None:
        if self.license is None:
            self.license = event

    @workflow.query
    def status(self) -> str:
        return self.current_status

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

        actor = "system"
        for attempt_kind, role, waiting_status, go_on in STEPS:
            if attempt_kind != "document_review":
                await self.notify(f"step-{waiting_status}", "application_step", {
                    "status": waiting_status, "occurred_at": workflow.now().isoformat(),
                })
            await self.set_status(waiting_status, step=attempt_kind, actor=actor, awaiting=role)
            done = await self.tasks.run(
                OpenTask(
                    task_key=f"{case.case_id}:{attempt_kind}:1",
                    kind=attempt_kind,  # type: ignore[arg-type]
                    case_id=case.case_id,
                    application_id=case.application_id,
                    candidate_role=role,
                    county=case.county,
                    data={"applicant_name": case.applicant.name, "area": case.area,
                          "address": case.address},
                )
            )
            if done.outcome != go_on:
                return await self.reject(attempt_kind, done)
            actor = done.actor

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
                                actor=actor)

    async def reject(self, step: str, done: TaskCompleted) -> NewLicenseResult:
        await self.set_status("rejected", step=step, actor=done.actor, note=done.reason)
        await self.notify("rejected", "application_rejected", {
            "step": step, "reason": done.reason or "",
        })
        return NewLicenseResult(status="rejected", rejected_at_step=step, reason=done.reason,
                                actor=done.actor)

    async def set_status(self, status: str, *, step: str, actor: str, note: str | None = None,
                         awaiting: str | None = None, license_number: str | None = None) -> None:
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
                awaiting=awaiting, license_number=license_number,
                occurred_at=workflow.now(),
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
