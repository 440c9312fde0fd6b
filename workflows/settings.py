"""Settings of the workflows worker and bus bridge (env prefix WORKFLOWS_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings
from workflows.policies import (
    CasePolicies,
    ComplaintPolicies,
    ReviewPolicies,
    StepPolicy,
    SweepPolicy,
    TermPolicy,
)


class WorkflowsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WORKFLOWS_", extra="ignore")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "pishkhan"
    # Prefixes the ids of workflows named after a license (``license-<number>``); lets test
    # runs that reuse license numbers share one Temporal server. Cases are named by uuid.
    workflow_id_prefix: str = ""
    port: int = 8109
    # where the Temporal SDK serves its own Prometheus metrics; empty disables it
    sdk_metrics_address: str = "127.0.0.1:8110"

    # How long each step may take, when its assignee is reminded, how often a late task
    # escalates again, and whether an escalation takes the task back to the county queue.
    document_review_due_hours: float = Field(default=72, gt=0)
    site_inspection_due_hours: float = Field(default=7 * 24, gt=0)
    licensing_decision_due_hours: float = Field(default=72, gt=0)
    remind_before_hours: float = Field(default=24, ge=0)
    escalate_every_hours: float = Field(default=24, gt=0)
    escalation_returns_to_queue: bool = True
    correction_deadline_days: float = Field(default=14, gt=0)
    consent_deadline_days: float = Field(default=14, gt=0)
    # a license's end: reminders this many days before, and the grace after its date
    expiry_reminder_days: list[int] = [90, 30, 7]
    expiry_grace_days: float = Field(default=30, ge=0)

    # complaints: triage and investigation deadlines, the office's time to answer in writing,
    # and how long after a resolution the complainant may reopen it
    complaint_triage_due_hours: float = Field(default=48, gt=0)
    complaint_investigation_due_hours: float = Field(default=10 * 24, gt=0)
    complaint_office_response_days: float = Field(default=7, gt=0)
    complaint_reopen_days: float = Field(default=10, gt=0)
    # supervision: how often the sweep runs, what makes an office due for review, and the
    # review's own deadlines
    supervision_schedule_enabled: bool = True
    supervision_sweep_every_hours: float = Field(default=24, gt=0)
    supervision_idle_days: int = Field(default=90, ge=1)
    supervision_upheld_complaints: int = Field(default=3, ge=1)
    supervision_lookback_days: int = Field(default=365, ge=1)
    review_decision_due_hours: float = Field(default=5 * 24, gt=0)
    review_answer_days: float = Field(default=7, gt=0)

    def _step(self, due_hours: float) -> StepPolicy:
        return StepPolicy.from_hours(
            due=due_hours, remind_before=min(self.remind_before_hours, due_hours / 2),
            escalate_every=self.escalate_every_hours,
            return_to_queue=self.escalation_returns_to_queue,
        )

    def complaint_policies(self) -> ComplaintPolicies:
        return ComplaintPolicies(
            steps={"complaint_triage": self._step(self.complaint_triage_due_hours),
                   "complaint_investigation": self._step(self.complaint_investigation_due_hours),
                   "site_inspection": self._step(self.site_inspection_due_hours)},
            office_response_seconds=self.complaint_office_response_days * 86400,
            reopen_window_seconds=self.complaint_reopen_days * 86400,
        )

    def review_policies(self) -> ReviewPolicies:
        return ReviewPolicies(
            steps={"site_inspection": self._step(self.site_inspection_due_hours),
                   "review_decision": self._step(self.review_decision_due_hours)},
            answer_seconds=self.review_answer_days * 86400,
        )

    def sweep_policy(self) -> SweepPolicy:
        return SweepPolicy(idle_days=self.supervision_idle_days,
                           upheld_threshold=self.supervision_upheld_complaints,
                           lookback_days=self.supervision_lookback_days)

    def case_policies(self) -> CasePolicies:
        step = self._step
        return CasePolicies(
            steps={
                "document_review": step(self.document_review_due_hours),
                "site_inspection": step(self.site_inspection_due_hours),
                "licensing_decision": step(self.licensing_decision_due_hours),
            },
            correction_deadline_seconds=self.correction_deadline_days * 86400,
            consent_deadline_seconds=self.consent_deadline_days * 86400,
        )

    def term_policy(self) -> TermPolicy:
        return TermPolicy(reminder_days=sorted(self.expiry_reminder_days, reverse=True),
                          grace_days=self.expiry_grace_days)
