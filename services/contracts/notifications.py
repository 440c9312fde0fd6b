"""Asking the notifications service to tell someone something."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.contracts import routing
from services.contracts.envelope import Message
from services.contracts.types import Language, Mobile

# Each template and the data it reads (besides application_id, always present for cases):
#   application_received   applicant_name, submitted_at
#   application_step       status, occurred_at
#   correction_requested   documents: [{type, reason}], reason, deadline
#   inspection_scheduled   due_at, inspector (optional)
#   decision_made          decision (approve | reject), reason (optional)
#   license_issued         license_number, valid_until
#   application_rejected   step, reason
#   application_withdrawn  withdrawn_at
#   application_abandoned  deadline
#   task_reminder          task_kind, task_id, due_at                    (to the assignee)
#   task_escalated         task_kind, task_id, due_at, level, assignee   (to a supervisor)
NotificationTemplate = Literal[
    "application_received",
    "application_step",
    "correction_requested",
    "inspection_scheduled",
    "decision_made",
    "license_issued",
    "application_rejected",
    "application_withdrawn",
    "application_abandoned",
    "task_reminder",
    "task_escalated",
]


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    mobile: Mobile | None = None
    email: EmailStr | None = None
    language: Language = "fa"


class NotificationRequested(Message):
    """One notice to one recipient. ``notification_key`` identifies the notice: however
    often the same key arrives, each channel delivers it once."""

    KIND: ClassVar = "command"
    ROUTING_KEY: ClassVar = routing.NOTIFICATION_REQUEST

    notification_key: str = Field(min_length=1, max_length=200)
    template: NotificationTemplate
    recipient: Recipient
    case_id: str
    data: dict[str, Any] = Field(default_factory=dict)
