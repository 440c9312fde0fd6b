"""AddressChangeWorkflow: the holder proposes a new address in the same county → site
inspection of the new place → the officer's decision → the address changes and the
registry shows it. Workflow id = the case id."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.licensing import RelocateOffice
    from services.contracts.tasks import GO_ON
    from workflows.activities import BusActivities
    from workflows.case import ACTIVITY_TIMEOUT, CaseInput, CaseResult, CaseWorkflow


@workflow.defn
class AddressChangeWorkflow(CaseWorkflow):
    kind = "address_change"

    @workflow.run
    async def run(self, case: CaseInput) -> CaseResult:
        await self.begin(case)
        assert case.license_number is not None
        inspection = await self.step("site_inspection", 1, self.applicant_actor)
        if inspection is None:
            return await self.withdrawn(0)
        if inspection.outcome != GO_ON["site_inspection"]:
            return await self.reject("site_inspection", inspection, 0)
        decision = await self.decide(inspection.actor)
        if isinstance(decision, CaseResult):
            return decision

        self.committed = True
        await workflow.execute_activity_method(
            BusActivities.relocate_office,
            RelocateOffice(application_id=case.application_id, case_id=case.case_id,
                           license_number=case.license_number, approved_by=decision.actor,
                           new_address=case.address),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
        relocated = await self.license_change("relocated", "address_change")
        if isinstance(relocated, CaseResult):
            return relocated
        await self.set_status("relocated", step="address_change", actor=decision.actor,
                              note=case.address, license_number=case.license_number)
        await self.notify("relocated", "address_changed", {
            "license_number": case.license_number, "address": case.address})
        return CaseResult(status="relocated", license_number=case.license_number,
                          actor=decision.actor, review_rounds=0)
