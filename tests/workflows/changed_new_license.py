"""Two changes to the new-license workflow, registered under its own type name, for the
replay tests: one tells the applicant an extra notice before the decision, as a careless
edit would; the other makes the same change behind ``workflow.patched``."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from services.contracts.tasks import TaskCompleted
    from workflows.case import CaseInput, CaseResult
    from workflows.new_license.workflow import NewLicenseWorkflow

PATCH = "notice-before-decision"


@workflow.defn(name="NewLicenseWorkflow")
class NoticeBeforeDecision(NewLicenseWorkflow):
    """An extra activity before the decision's: every recorded run that reached the
    decision now meets a command its history does not have."""

    @workflow.run
    async def run(self, case: CaseInput) -> CaseResult:
        return await super().run(case)

    async def decide(self, actor: str) -> TaskCompleted | CaseResult:
        await self.notice_before_decision()
        return await super().decide(actor)

    async def notice_before_decision(self) -> None:
        await self.notify("before-decision", "application_step", {
            "status": "decision", "occurred_at": workflow.now().isoformat()})


@workflow.defn(name="NewLicenseWorkflow")
class PatchedNoticeBeforeDecision(NoticeBeforeDecision):
    """The same change as it should be made: runs started before it replay the old way."""

    @workflow.run
    async def run(self, case: CaseInput) -> CaseResult:
        return await super().run(case)

    async def notice_before_decision(self) -> None:
        if workflow.patched(PATCH):
            await super().notice_before_decision()
