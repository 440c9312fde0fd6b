"""NewLicenseWorkflow: application → document check (with correction rounds) → site
inspection → decision → issuance, telling the applicant at each step; withdrawal at any
point before issuance. Workflow id = the case id."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.licensing import IssueLicense
    from services.contracts.tasks import GO_ON
    from workflows.activities import BusActivities
    from workflows.case import ACTIVITY_TIMEOUT, CaseInput, CaseResult, CaseWorkflow


@workflow.defn
class NewLicenseWorkflow(CaseWorkflow):
    kind = "new_license"

    @workflow.run
    async def run(self, case: CaseInput) -> CaseResult:
        await self.begin(case)
        review, rounds = await self.review_documents(self.applicant_actor)
        if isinstance(review, CaseResult):
            return review
        actor = review.actor

        inspection = await self.step("site_inspection", 1, actor)
        if inspection is None:
            return await self.withdrawn(rounds)
        if inspection.outcome != GO_ON["site_inspection"]:
            return await self.reject("site_inspection", inspection, rounds)
        decision = await self.decide(inspection.actor)
        if isinstance(decision, CaseResult):
            decision.review_rounds = rounds
            return decision
        actor = decision.actor

        self.committed = True
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
        return CaseResult(status="issued", license_number=self.license.license_number,
                          actor=actor, review_rounds=rounds)
