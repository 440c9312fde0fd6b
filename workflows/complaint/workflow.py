"""ComplaintWorkflow, one per complaint (id ``complaint-<id>``): the office and the
complainant are told → a complaints officer triages it (accept, reject as out of scope,
merge as a duplicate) → investigation, during which the office may answer in writing and
the investigator may order a site inspection (licensing's inspectors) whose findings come
back to the investigation → resolution (upheld or not, a refund ordered, a sanction
recommended) → the complainant is told and may rate it, or reopen it within the window,
which sends it back to investigation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.complaints import (
        ComplaintReopened,
        ComplaintResolution,
        ComplaintStatusChanged,
    )
    from services.contracts.notifications import NotificationRequested, Recipient
    from services.contracts.tasks import (
        CANDIDATE_ROLE,
        InvestigationOutcome,
        OpenTask,
        TaskCompleted,
    )
    from workflows import search_attributes as sa
    from workflows.activities import BusActivities
    from workflows.complaint.inputs import ComplaintInput, ComplaintResult
    from workflows.human_task import HumanTasks, count_deadline, deadline_note, wait_until

ACTIVITY_TIMEOUT = timedelta(seconds=30)

# the complaint's status while each kind of task waits, and who it waits for
WAITING = {
    "complaint_triage": ("triage", "complaints_officer"),
    "complaint_investigation": ("investigation", "complaints_officer"),
    "site_inspection": ("inspection", "inspector"),
}


@workflow.defn
class ComplaintWorkflow:
    def __init__(self) -> None:
        self.tasks = HumanTasks()
        self.reopening: ComplaintReopened | None = None
        self.seq = 0
        self.round = 1
        self.current_status = "received"
        self.office_response_due: datetime | None = None

    # -- signals and queries -------------------------------------------------------------

    @workflow.signal
    def task_completed(self, event: TaskCompleted) -> None:
        self.tasks.completed(event)

    @workflow.signal
    def reopen(self, event: ComplaintReopened) -> None:
        # one reopening per resolution; a repeated or stale request changes nothing
        if (self.current_status == "resolved" and self.reopening is None
                and event.round == self.round + 1):
            self.reopening = event

    @workflow.query
    def status(self) -> str:
        return self.current_status

    # -- the process ---------------------------------------------------------------------

    @workflow.run
    async def run(self, case: ComplaintInput) -> ComplaintResult:
        self.case = case
        filed = case.complaint
        workflow.upsert_search_attributes(
            [sa.COUNTY.value_set(filed.office.county), sa.STATUS.value_set("received")])
        await self.set_status("received", step="intake", actor=filed.filed_by or "complainant",
                              note=filed.channel)
        await self.tell_complainant("received", "complaint_received", {
            "received_at": filed.filed_at.isoformat(), "audience": "complainant"})
        await self.tell_office("received", "complaint_received", {
            "received_at": filed.filed_at.isoformat(), "audience": "office"})

        triage = await self.step("complaint_triage", 1, actor=filed.filed_by or "complainant")
        if triage.outcome in ("reject", "merge"):
            status = "rejected" if triage.outcome == "reject" else "merged"
            duplicate_of = triage.data.get("duplicate_of")
            await self.set_status(status, step="complaint_triage", actor=triage.actor,
                                  note=triage.reason, duplicate_of=duplicate_of)
            await self.tell_complainant("triaged", "complaint_triaged", {
                "result": status, "reason": triage.reason or "",
                **({"duplicate_of": duplicate_of} if duplicate_of else {})})
            return ComplaintResult(status=status, reason=triage.reason,
                                   duplicate_of=duplicate_of)

        investigator = triage.actor  # who took it up investigates it, unless reassigned
        while True:
            resolution = await self.investigate(investigator)
            investigator = resolution.resolved_by
            reopen_until = workflow.now() + case.policies.reopen_window
            await self.set_status("resolved", step="resolution", actor=resolution.resolved_by,
                                  note=resolution.summary, resolution=resolution,
                                  reopen_until=reopen_until, awaiting="complainant",
                                  due_at=reopen_until)
            await self.tell_complainant(f"resolved-{self.round}", "complaint_resolved", {
                "resolved_at": workflow.now().isoformat(),
                "resolution": "upheld" if resolution.upheld else "not_upheld",
                "summary": resolution.summary,
                "reopen_until": reopen_until.isoformat(),
                **({"refund_amount": resolution.refund_amount}
                   if resolution.refund_ordered and resolution.refund_amount else {}),
            })
            if not await wait_until(lambda: self.reopening is not None,
                                    case.policies.reopen_window):
                await self.set_status("closed", step="reopen_window", actor="system")
                return ComplaintResult(status="closed", upheld=resolution.upheld,
                                       rounds=self.round)
            reopening, self.reopening = self.reopening, None
            assert reopening is not None
            self.round = reopening.round
            await self.set_status("investigation", step="reopened", actor="complainant",
                                  note=reopening.reason)

    async def investigate(self, investigator: str | None) -> ComplaintResolution:
        """Investigation rounds until the investigator resolves: each ordered inspection
        goes to licensing's inspectors and its findings come back to the next round."""
        policies = self.case.policies
        self.office_response_due = workflow.now() + policies.office_response
        await self.tell_office(f"response-{self.round}", "complaint_response_requested", {
            "category": self.case.complaint.category,
            "deadline": self.office_response_due.isoformat(),
        })
        inspection: dict[str, Any] | None = None
        attempt = 0
        while True:
            attempt += 1
            done = await self.step(
                "complaint_investigation", attempt, actor=investigator or "system",
                assignee=investigator, extra={"inspection": inspection} if inspection else {},
                office_response_due=self.office_response_due)
            investigator = done.actor
            outcome = InvestigationOutcome.model_validate(done.data)
            if outcome.result != "inspect":
                return ComplaintResolution(
                    upheld=outcome.result == "upheld", summary=outcome.reason or "",
                    refund_ordered=outcome.refund_ordered, refund_amount=outcome.refund_amount,
                    sanction_recommended=outcome.sanction_recommended, resolved_by=done.actor)
            found = await self.step("site_inspection", attempt, actor=done.actor,
                                    extra={"ordered_because": outcome.reason})
            failed = [name for name, item in found.data.get("checklist", {}).items()
                      if not item.get("passed", True)]
            inspection = {"result": found.outcome, "reason": found.reason,
                          "failed_items": failed, "inspector": found.actor,
                          "task_id": found.task_id}
            await self.set_status("investigation", step="site_inspection", actor=found.actor,
                                  kind="inspection",
                                  note=f"{found.outcome}: {', '.join(failed) or '-'}")

    async def step(self, kind: str, attempt: int, *, actor: str, assignee: str | None = None,
                   extra: dict[str, Any] | None = None,
                   office_response_due: datetime | None = None) -> TaskCompleted:
        filed = self.case.complaint
        policy = self.case.policies.steps[kind]
        due_at = workflow.now() + policy.due
        status, awaiting = WAITING[kind]
        await self.set_status(status, step=kind, actor=actor, awaiting=awaiting, due_at=due_at,
                              office_response_due=office_response_due)
        office = filed.office
        data: dict[str, Any] = {
            "complaint_id": filed.complaint_id, "tracking_code": filed.tracking_code,
            "category": filed.category, "channel": filed.channel,
            "office_id": office.office_id, "license_number": office.license_number,
            "office_name": office.office_name, "round": self.round, "attempt": attempt,
            "description": filed.description, "amount_charged": filed.amount_charged,
            "service_name": filed.service_name, "case_kind": "complaint", **(extra or {}),
        }
        done = await self.tasks.run(
            OpenTask(
                task_key=f"{filed.case_id}:{kind}:{self.round}:{attempt}",
                kind=kind,  # type: ignore[arg-type]
                case_id=filed.case_id,
                candidate_role=CANDIDATE_ROLE[kind],
                county=office.county,
                due_at=due_at,
                assignee=assignee,
                data=data,
            ),
            policy,
            interrupted=lambda: False,
            on_deadline=self.on_deadline,
        )
        assert done is not None  # nothing interrupts a complaint's task
        return done

    async def on_deadline(self, task: OpenTask, stage: str, level: int) -> None:
        count_deadline(task, stage)
        await self.set_status(self.current_status, step=task.kind, actor="system",
                              note=deadline_note(task, stage, level), kind=stage)

    # -- side effects, each an activity --------------------------------------------------

    async def set_status(self, status: str, *, step: str, actor: str, note: str | None = None,
                         kind: str = "status", awaiting: str | None = None,
                         due_at: datetime | None = None,
                         office_response_due: datetime | None = None,
                         resolution: ComplaintResolution | None = None,
                         duplicate_of: str | None = None,
                         reopen_until: datetime | None = None) -> None:
        self.seq += 1
        self.current_status = status
        workflow.upsert_search_attributes([sa.STATUS.value_set(status), sa.STEP.value_set(step)])
        filed = self.case.complaint
        await workflow.execute_activity_method(
            BusActivities.publish_complaint_status,
            ComplaintStatusChanged(
                complaint_id=filed.complaint_id, case_id=filed.case_id, seq=self.seq,
                status=status, step=step, actor=actor, kind=kind,  # type: ignore[arg-type]
                note=note, awaiting=awaiting, due_at=due_at,
                office_response_due=office_response_due, resolution=resolution,
                duplicate_of=duplicate_of, reopen_until=reopen_until, round=self.round,
                occurred_at=workflow.now(),
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )

    async def tell_complainant(self, key: str, template: str, data: dict[str, Any]) -> None:
        person = self.case.complaint.complainant
        await self.notify(key, template, data, Recipient(
            id=f"mobile:{person.mobile}", mobile=person.mobile, language=person.language,
            account=False))

    async def tell_office(self, key: str, template: str, data: dict[str, Any]) -> None:
        """The license holder, and the office's manager when someone else runs it."""
        office = self.case.complaint.office
        data = {**data, "office_name": office.office_name or ""}
        await self.notify(key, template, data, Recipient(
            id=office.holder_national_code, mobile=office.holder_mobile))
        if office.manager_mobile and office.manager_mobile != office.holder_mobile:
            await self.notify(key, template, data, Recipient(
                id=f"manager:{office.office_id}", mobile=office.manager_mobile, account=False))

    async def notify(self, key: str, template: str, data: dict[str, Any],
                     recipient: Recipient) -> None:
        filed = self.case.complaint
        await workflow.execute_activity_method(
            BusActivities.request_notification,
            NotificationRequested(
                notification_key=f"{filed.case_id}:{key}",
                template=template,  # type: ignore[arg-type]
                recipient=recipient,
                case_id=filed.case_id,
                data={"complaint_id": filed.complaint_id, "tracking_code": filed.tracking_code,
                      **data},
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
