"""Human tasks: a workflow asks the owning service to open, remind, escalate or cancel
one; the service announces its completion. The task key, chosen by the caller, makes
every command idempotent. Completing a task carries a structured outcome per kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.contracts import routing
from services.contracts.envelope import Message

TaskKind = Literal[
    "document_review", "site_inspection", "licensing_decision",
    "complaint_triage", "complaint_investigation", "review_decision",
]
TaskStatus = Literal["open", "claimed", "completed", "cancelled"]

# Which service owns which kind of task, and who may do it.
TASK_OWNER: dict[str, str] = {
    "document_review": "applications",
    "site_inspection": "licensing",
    "licensing_decision": "licensing",
    "complaint_triage": "complaints",
    "complaint_investigation": "complaints",
    "review_decision": "licensing",
}
CANDIDATE_ROLE: dict[str, str] = {
    "document_review": "clerk",
    "site_inspection": "inspector",
    "licensing_decision": "licensing_officer",
    "complaint_triage": "complaints_officer",
    "complaint_investigation": "complaints_officer",
    "review_decision": "licensing_officer",
}


# -- structured outcomes ------------------------------------------------------------

class _Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @property
    def decision(self) -> str:  # the word the workflow branches on
        raise NotImplementedError

    @property
    def summary_reason(self) -> str | None:
        return getattr(self, "reason", None)


class DocumentVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_type: str = Field(min_length=1, max_length=50)
    verdict: Literal["accept", "reject"]
    reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> DocumentVerdict:
        if self.verdict == "reject" and not (self.reason or "").strip():
            raise ValueError("reason_required")
        return self


class DocumentReviewOutcome(_Outcome):
    """Per document accept or reject; the review as a whole accepts, asks for a
    correction of the rejected documents, or rejects the application."""

    result: Literal["accept", "correction", "reject"]
    documents: list[DocumentVerdict] = Field(default_factory=list)
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> DocumentReviewOutcome:
        rejected = [d for d in self.documents if d.verdict == "reject"]
        if self.result == "accept" and rejected:
            raise ValueError("accept_with_rejected_documents")
        if self.result == "correction" and not rejected:
            raise ValueError("correction_needs_rejected_documents")
        if self.result == "reject" and not (self.reason or "").strip():
            raise ValueError("reason_required")
        return self

    @property
    def decision(self) -> str:
        return self.result


CHECKLIST_ITEMS: tuple[str, ...] = (
    "signage",
    "equipment",
    "premises_match_address",
    "staff_present",
    "tariff_displayed",
    "operator_is_holder",
    "opening_hours",
)
ChecklistItemName = Literal[
    "signage", "equipment", "premises_match_address", "staff_present", "tariff_displayed",
    "operator_is_holder", "opening_hours",
]


class ChecklistItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passed: bool
    note: str | None = Field(default=None, max_length=1000)


class InspectionOutcome(_Outcome):
    """The site-inspection checklist; a failed ``operator_is_holder`` is a finding on
    the office (the person running it is not the license holder)."""

    result: Literal["pass", "fail"]
    checklist: dict[ChecklistItemName, ChecklistItem]
    photos: list[str] = Field(default_factory=list, max_length=20)
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _complete_checklist(self) -> InspectionOutcome:
        missing = [item for item in CHECKLIST_ITEMS if item not in self.checklist]
        if missing:
            raise ValueError("checklist_incomplete")
        if self.result == "fail" and not (self.reason or "").strip():
            raise ValueError("reason_required")
        return self

    @property
    def decision(self) -> str:
        return self.result

    @property
    def failed_items(self) -> list[str]:
        return [name for name, item in self.checklist.items() if not item.passed]


class DecisionOutcome(_Outcome):
    result: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> DecisionOutcome:
        if self.result == "reject" and not (self.reason or "").strip():
            raise ValueError("reason_required")
        return self

    @property
    def decision(self) -> str:
        return self.result


SanctionKind = Literal["warning", "suspension", "revocation"]
SanctionRecommendation = Literal["none", "warning", "suspension", "revocation"]


class TriageOutcome(_Outcome):
    """A complaints officer's first look: take the complaint up, reject it as out of
    scope, or merge it into an earlier complaint about the same thing (by its tracking
    code)."""

    result: Literal["accept", "reject", "merge"]
    reason: str | None = Field(default=None, max_length=2000)
    duplicate_of: str | None = Field(default=None, min_length=4, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> TriageOutcome:
        if self.result in ("reject", "merge") and not (self.reason or "").strip():
            raise ValueError("reason_required")
        if self.result == "merge" and not self.duplicate_of:
            raise ValueError("duplicate_of_required")
        if self.result != "merge" and self.duplicate_of:
            raise ValueError("duplicate_of_only_on_merge")
        return self

    @property
    def decision(self) -> str:
        return self.result


class InvestigationOutcome(_Outcome):
    """The investigator's finding: upheld or not (with a refund ordered and a sanction
    recommended when upheld), or a site inspection first, after which the investigation
    comes back with its findings."""

    result: Literal["upheld", "not_upheld", "inspect"]
    reason: str | None = Field(default=None, max_length=2000)
    refund_ordered: bool = False
    # rials
    refund_amount: int | None = Field(default=None, gt=0, le=10_000_000_000)
    sanction_recommended: SanctionRecommendation = "none"

    @model_validator(mode="after")
    def _consistent(self) -> InvestigationOutcome:
        if not (self.reason or "").strip():
            raise ValueError("reason_required")
        if self.result != "upheld" and (self.refund_ordered or self.sanction_recommended != "none"):
            raise ValueError("remedy_only_when_upheld")
        if self.refund_ordered and self.refund_amount is None:
            raise ValueError("refund_amount_required")
        if not self.refund_ordered and self.refund_amount is not None:
            raise ValueError("refund_amount_without_refund")
        return self

    @property
    def decision(self) -> str:
        return self.result


class ReviewDecisionOutcome(_Outcome):
    """The licensing officer's decision on a supervision review."""

    result: Literal["no_action", "warning", "suspension", "revocation"]
    suspension_days: int | None = Field(default=None, ge=1, le=365)
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> ReviewDecisionOutcome:
        if self.result != "no_action" and not (self.reason or "").strip():
            raise ValueError("reason_required")
        if self.result == "suspension" and self.suspension_days is None:
            raise ValueError("suspension_days_required")
        if self.result != "suspension" and self.suspension_days is not None:
            raise ValueError("suspension_days_only_on_suspension")
        return self

    @property
    def decision(self) -> str:
        return self.result


OUTCOME_MODEL: dict[str, type[_Outcome]] = {
    "document_review": DocumentReviewOutcome,
    "site_inspection": InspectionOutcome,
    "licensing_decision": DecisionOutcome,
    "complaint_triage": TriageOutcome,
    "complaint_investigation": InvestigationOutcome,
    "review_decision": ReviewDecisionOutcome,
}

# The outcome that lets a case go on past each kind of task.
GO_ON: dict[str, str] = {
    "document_review": "accept",
    "site_inspection": "pass",
    "licensing_decision": "approve",
}


# -- commands from workflows ------------------------------------------------------------

class OpenTask(Message):
    KIND: ClassVar = "command"

    task_key: str = Field(min_length=1, max_length=200)
    kind: TaskKind
    case_id: str = Field(min_length=1, max_length=200)
    application_id: str | None = None
    candidate_role: str
    county: str
    due_at: datetime | None = None
    # a person the task should go to straight away (a correction returns to its clerk)
    assignee: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class OpenApplicationsTask(OpenTask):
    ROUTING_KEY: ClassVar = routing.APPLICATIONS_TASK_OPEN


class OpenLicensingTask(OpenTask):
    ROUTING_KEY: ClassVar = routing.LICENSING_TASK_OPEN


class OpenComplaintsTask(OpenTask):
    ROUTING_KEY: ClassVar = routing.COMPLAINTS_TASK_OPEN


class TaskDeadline(Message):
    """The reminder before a task's due time, or an escalation after it."""

    KIND: ClassVar = "command"

    task_key: str
    case_id: str
    kind: TaskKind
    stage: Literal["reminder", "escalation"]
    level: int = Field(default=0, ge=0)
    # on escalation: take the task from its assignee and put it back in the county queue
    return_to_queue: bool = False


class ApplicationsTaskDeadline(TaskDeadline):
    ROUTING_KEY: ClassVar = routing.APPLICATIONS_TASK_DEADLINE


class LicensingTaskDeadline(TaskDeadline):
    ROUTING_KEY: ClassVar = routing.LICENSING_TASK_DEADLINE


class ComplaintsTaskDeadline(TaskDeadline):
    ROUTING_KEY: ClassVar = routing.COMPLAINTS_TASK_DEADLINE


class CancelTask(Message):
    KIND: ClassVar = "command"

    task_key: str
    case_id: str
    kind: TaskKind
    reason: str


class CancelApplicationsTask(CancelTask):
    ROUTING_KEY: ClassVar = routing.APPLICATIONS_TASK_CANCEL


class CancelLicensingTask(CancelTask):
    ROUTING_KEY: ClassVar = routing.LICENSING_TASK_CANCEL


class CancelComplaintsTask(CancelTask):
    ROUTING_KEY: ClassVar = routing.COMPLAINTS_TASK_CANCEL


# -- events ---------------------------------------------------------------------------

class TaskCompleted(Message):
    task_key: str
    task_id: str
    kind: TaskKind
    case_id: str
    outcome: str
    reason: str | None = None
    actor: str
    completed_at: datetime
    data: dict[str, Any] = Field(default_factory=dict)


class ApplicationsTaskCompleted(TaskCompleted):
    ROUTING_KEY: ClassVar = routing.APPLICATIONS_TASK_COMPLETED


class LicensingTaskCompleted(TaskCompleted):
    ROUTING_KEY: ClassVar = routing.LICENSING_TASK_COMPLETED


class ComplaintsTaskCompleted(TaskCompleted):
    ROUTING_KEY: ClassVar = routing.COMPLAINTS_TASK_COMPLETED


OPEN_TASK_BY_SERVICE: dict[str, type[OpenTask]] = {
    "applications": OpenApplicationsTask,
    "licensing": OpenLicensingTask,
    "complaints": OpenComplaintsTask,
}
DEADLINE_BY_SERVICE: dict[str, type[TaskDeadline]] = {
    "applications": ApplicationsTaskDeadline,
    "licensing": LicensingTaskDeadline,
    "complaints": ComplaintsTaskDeadline,
}
CANCEL_BY_SERVICE: dict[str, type[CancelTask]] = {
    "applications": CancelApplicationsTask,
    "licensing": CancelLicensingTask,
    "complaints": CancelComplaintsTask,
}
TASK_COMPLETED_BY_SERVICE: dict[str, type[TaskCompleted]] = {
    "applications": ApplicationsTaskCompleted,
    "licensing": LicensingTaskCompleted,
    "complaints": ComplaintsTaskCompleted,
}
