"""ReviewWorkflow, one per review case (id ``review-<id>``), opened by licensing for an
office the supervision sweep flagged or a complaint recommended a sanction for: the holder
is told and may answer in writing → site inspection → the licensing officer decides (no
action, warning, suspension for some days, revocation) once the holder has answered or
their time is up → licensing applies it to the license (history, registry, verification)
→ the holder is told; a suspension lifts itself at its end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.licensing import (
        DecideReview,
        LicenseChanged,
        ReinstateLicense,
        ReviewAnswered,
        ReviewDecided,
    )
    from services.contracts.notifications import NotificationRequested, Recipient
    from services.contracts.tasks import (
        CANDIDATE_ROLE,
        OpenTask,
        ReviewDecisionOutcome,
        TaskCompleted,
    )
    from workflows import search_attributes as sa
    from workflows.activities import BusActivities
    from workflows.human_task import HumanTasks, count_deadline, wait_until
    from workflows.review.inputs import ReviewInput, ReviewResult

ACTIVITY_TIMEOUT = timedelta(seconds=30)


@workflow.defn
class ReviewWorkflow:
    def __init__(self) -> None:
        self.tasks = HumanTasks()
        self.answer: ReviewAnswered | None = None
        self.decided: ReviewDecided | None = None
        self.current_status = "opened"

    @workflow.signal
    def task_completed(self, event: TaskCompleted) -> None:
        self.tasks.completed(event)

    @workflow.signal
    def answered(self, event: ReviewAnswered) -> None:
        self.answer = event  # a later answer before the decision replaces the earlier

    @workflow.signal
    def review_decided(self, event: ReviewDecided) -> None:
        if self.decided is None:
            self.decided = event

    @workflow.signal
    def license_changed(self, event: LicenseChanged) -> None:
        """The bridge tells the case of every license change it caused; ReviewDecided
        already carries what this workflow needs."""

    @workflow.query
    def status(self) -> str:
        return self.current_status

    @workflow.run
    async def run(self, case: ReviewInput) -> ReviewResult:
        self.case = case
        review = case.review
        workflow.upsert_search_attributes([sa.COUNTY.value_set(review.county),
                                           sa.STATUS.value_set("opened")])
        answer_deadline = workflow.now() + case.policies.answer_window
        await self.tell_holder("opened", "review_opened", {
            "reasons": list(review.reasons), "answer_deadline": answer_deadline.isoformat()})

        inspection = await self.step("site_inspection", {"ordered_because": review.reasons})
        failed = [name for name, item in inspection.data.get("checklist", {}).items()
                  if not item.get("passed", True)]
        # the holder may answer until the deadline; the decision waits for it
        self.set_status("awaiting_answer")
        left = answer_deadline - workflow.now()
        if left > timedelta(0):
            await wait_until(lambda: self.answer is not None, left)

        done = await self.step("review_decision", {
            "inspection": {"result": inspection.outcome, "reason": inspection.reason,
                           "failed_items": failed, "inspector": inspection.actor,
                           "task_id": inspection.task_id},
            "answer": self.answer.text if self.answer else None,
        })
        outcome = ReviewDecisionOutcome.model_validate(done.data)
        self.set_status("deciding")
        await workflow.execute_activity_method(
            BusActivities.decide_review,
            DecideReview(review_id=review.review_id, case_id=review.case_id,
                         license_number=review.license_number, decision=outcome.result,
                         suspension_days=outcome.suspension_days, reason=outcome.reason,
                         actor=done.actor),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
        await workflow.wait_condition(lambda: self.decided is not None)
        decided = self.decided
        assert decided is not None
        result = ReviewResult(decision=decided.decision, applied=decided.applied,
                              refusal=decided.refusal, suspended_until=decided.suspended_until,
                              answered=self.answer is not None)
        if not decided.applied:
            self.set_status("refused")
            return result
        if decided.decision == "no_action":
            self.set_status("closed")
            await self.tell_holder("closed", "review_closed", {"decision": "no_action"})
            return result
        await self.tell_holder("sanction", "sanction_imposed", {
            "sanction": decided.decision, "reason": outcome.reason or "",
            "effective_from": decided.decided_at.isoformat(),
            **({"until": decided.suspended_until.isoformat()} if decided.suspended_until else {}),
        })
        if decided.decision != "suspension":
            self.set_status("sanctioned")
            return result

        self.set_status("suspended")
        assert outcome.suspension_days is not None
        await workflow.sleep(timedelta(days=outcome.suspension_days))
        await workflow.execute_activity_method(
            BusActivities.reinstate_license,
            ReinstateLicense(license_number=review.license_number, case_id=review.case_id,
                             review_id=review.review_id,
                             reason=f"end of a {outcome.suspension_days}-day suspension"),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
        await self.tell_holder("lifted", "suspension_lifted",
                               {"lifted_at": workflow.now().isoformat()})
        self.set_status("lifted")
        result.lifted = True
        return result

    async def step(self, kind: str, extra: dict[str, Any]) -> TaskCompleted:
        review = self.case.review
        policy = self.case.policies.steps[kind]
        self.set_status(kind)
        done = await self.tasks.run(
            OpenTask(
                task_key=f"{review.case_id}:{kind}",
                kind=kind,  # type: ignore[arg-type]
                case_id=review.case_id,
                candidate_role=CANDIDATE_ROLE[kind],
                county=review.county,
                due_at=workflow.now() + policy.due,
                data={"review_id": review.review_id, "office_id": review.office_id,
                      "office_name": review.office_name,
                      "license_number": review.license_number, "reasons": list(review.reasons),
                      "details": review.details, "recommended": review.recommended,
                      "holder_name": review.holder_name, "case_kind": "review", **extra},
            ),
            policy,
            interrupted=lambda: False,
            on_deadline=self.on_deadline,
        )
        assert done is not None  # nothing interrupts a review's task
        return done

    async def on_deadline(self, task: OpenTask, stage: str, level: int) -> None:
        count_deadline(task, stage)

    def set_status(self, status: str) -> None:
        self.current_status = status
        workflow.upsert_search_attributes([sa.STATUS.value_set(status)])

    async def tell_holder(self, key: str, template: str, data: dict[str, Any]) -> None:
        review = self.case.review
        await workflow.execute_activity_method(
            BusActivities.request_notification,
            NotificationRequested(
                notification_key=f"{review.case_id}:{key}",
                template=template,  # type: ignore[arg-type]
                recipient=Recipient(id=review.holder_national_code, mobile=review.holder_mobile),
                case_id=review.case_id,
                data={"license_number": review.license_number, "review_id": review.review_id,
                      **data},
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
