"""RenewalWorkflow: the holder applies → document review (with corrections) → a site
inspection only when licensing finds open findings or upheld complaints → the officer's
decision → validity extended. Workflow id = the case id."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.licensing import AssessRenewal, RenewLicense
    from services.contracts.tasks import GO_ON
    from workflows.activities import BusActivities
    from workflows.case import ACTIVITY_TIMEOUT, CaseInput, CaseResult, CaseWorkflow


@workflow.defn
class RenewalWorkflow(CaseWorkflow):
    kind = "renewal"

    @workflow.run
    async def run(self, case: CaseInput) -> CaseResult:
        await self.begin(case)
        assert case.license_number is not None
        review, rounds = await self.review_documents(self.applicant_actor)
        if isinstance(review, CaseResult):
            return review
        actor = review.actor

        await workflow.execute_activity_method(
            BusActivities.assess_renewal,
            AssessRenewal(application_id=case.application_id, case_id=case.case_id,
                          license_number=case.license_number),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
        assessment = await self.assessed()
        if isinstance(assessment, CaseResult):
            return assessment
        if assessment.needs_inspection:
            inspection = await self.step("site_inspection", 1, actor)
            if inspection is None:
                return await self.withdrawn(rounds)
            if inspection.outcome != GO_ON["site_inspection"]:
                return await self.reject("site_inspection", inspection, rounds)
            actor = inspection.actor

        decision = await self.decide(actor)
        if isinstance(decision, CaseResult):
            decision.review_rounds = rounds
            return decision

        self.committed = True
        await workflow.execute_activity_method(
            BusActivities.renew_license,
            RenewLicense(application_id=case.application_id, case_id=case.case_id,
                         license_number=case.license_number, approved_by=decision.actor),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
        renewed = await self.license_change("renewed", "renewal")
        if isinstance(renewed, CaseResult):
            return renewed
        until = renewed.license.valid_until.isoformat()
        await self.set_status("renewed", step="renewal", actor=decision.actor,
                              note=f"valid until {until}", license_number=case.license_number)
        await self.notify("renewed", "license_renewed", {
            "license_number": case.license_number, "valid_until": until})
        return CaseResult(status="renewed", license_number=case.license_number,
                          actor=decision.actor, review_rounds=rounds)
