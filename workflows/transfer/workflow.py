"""TransferWorkflow: the holder names a new holder → the new holder consents and uploads
their documents (before a deadline) → document review → the officer's decision → the
holder changes, the history keeps both, both are told. Workflow id = the case id."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.licensing import TransferLicense
    from workflows.activities import BusActivities
    from workflows.case import ACTIVITY_TIMEOUT, CaseInput, CaseResult, CaseWorkflow
    from workflows.human_task import wait_until


@workflow.defn
class TransferWorkflow(CaseWorkflow):
    kind = "transfer"

    @workflow.run
    async def run(self, case: CaseInput) -> CaseResult:
        await self.begin(case)
        assert case.license_number is not None and case.new_holder is not None
        new_holder = case.new_holder
        deadline = workflow.now() + case.policies.consent_deadline
        await self.set_status("awaiting_consent", step="consent", actor=self.applicant_actor,
                              awaiting="new_holder", due_at=deadline)
        await self.notify("consent", "transfer_consent_requested", {
            "license_number": case.license_number, "holder_name": case.applicant.name,
            "deadline": deadline.isoformat()}, to=new_holder)
        if not await wait_until(lambda: self.consent is not None or self.withdrawal is not None,
                                case.policies.consent_deadline):
            return await self.abandoned(0, step="consent",
                                        note="the new holder did not consent in time")
        if self.withdrawal is not None:
            return await self.withdrawn(0)

        review, rounds = await self.review_documents(new_holder.national_code)
        if isinstance(review, CaseResult):
            return review
        decision = await self.decide(review.actor)
        if isinstance(decision, CaseResult):
            decision.review_rounds = rounds
            return decision

        self.committed = True
        await workflow.execute_activity_method(
            BusActivities.transfer_license,
            TransferLicense(application_id=case.application_id, case_id=case.case_id,
                            license_number=case.license_number, approved_by=decision.actor,
                            new_holder=new_holder),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
        transferred = await self.license_change("transferred", "transfer")
        if isinstance(transferred, CaseResult):
            return transferred
        await self.set_status("transferred", step="transfer", actor=decision.actor,
                              note=f"{case.applicant.name} → {new_holder.name}",
                              license_number=case.license_number)
        await self.notify("transferred-previous", "license_transferred", {
            "license_number": case.license_number, "audience": "previous",
            "other_name": new_holder.name})
        await self.notify("transferred-new", "license_transferred", {
            "license_number": case.license_number, "audience": "new",
            "other_name": case.applicant.name}, to=new_holder)
        return CaseResult(status="transferred", license_number=case.license_number,
                          actor=decision.actor, review_rounds=rounds)
