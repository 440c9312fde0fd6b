"""Human tasks: a workflow asks the owning service to open one; the service announces
its completion. The task key, chosen by the caller, makes opening idempotent."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from services.contracts import routing
from services.contracts.envelope import Message

TaskKind = Literal["document_review", "site_inspection", "licensing_decision"]

# The outcomes a person may choose for each kind of task; the first one lets the case go on.
TASK_OUTCOMES: dict[str, tuple[str, ...]] = {
    "document_review": ("accept", "reject"),
    "site_inspection": ("pass", "fail"),
    "licensing_decision": ("approve", "reject"),
}

# Which service owns which kind of task.
TASK_OWNER: dict[str, str] = {
    "document_review": "applications",
    "site_inspection": "licensing",
    "licensing_decision": "licensing",
}


class OpenTask(Message):
    KIND: ClassVar = "command"

    task_key: str = Field(min_length=1, max_length=200)
    kind: TaskKind
    case_id: str = Field(min_length=1, max_length=200)
    application_id: str | None = None
    candidate_role: str
    county: str
    due_at: datetime | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class OpenApplicationsTask(OpenTask):
    ROUTING_KEY: ClassVar = routing.APPLICATIONS_TASK_OPEN


class OpenLicensingTask(OpenTask):
    ROUTING_KEY: ClassVar = routing.LICENSING_TASK_OPEN


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


OPEN_TASK_BY_SERVICE: dict[str, type[OpenTask]] = {
    "applications": OpenApplicationsTask,
    "licensing": OpenLicensingTask,
}
TASK_COMPLETED_BY_SERVICE: dict[str, type[TaskCompleted]] = {
    "applications": ApplicationsTaskCompleted,
    "licensing": LicensingTaskCompleted,
}
