"""Asking the notifications service to tell someone something."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.contracts import routing
from services.contracts.envelope import Message
from services.contracts.types import Language, Mobile

NotificationTemplate = Literal[
    "application_received",
    "application_step",
    "license_issued",
    "application_rejected",
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
