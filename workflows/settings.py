"""Settings of the workflows worker and bus bridge (env prefix WORKFLOWS_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings
from workflows.policies import CasePolicies, StepPolicy, TermPolicy


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

    def case_policies(self) -> CasePolicies:
        def step(due_hours: float) -> StepPolicy:
            return StepPolicy.from_hours(
                due=due_hours, remind_before=min(self.remind_before_hours, due_hours / 2),
                escalate_every=self.escalate_every_hours,
                return_to_queue=self.escalation_returns_to_queue,
            )

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
