"""The one envelope every message on the bus travels in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """Base of every contract. ROUTING_KEY names it on the bus; KIND says whether a
    subscriber must exist (commands) or the message may go unheard (events)."""

    model_config = ConfigDict(extra="forbid")

    ROUTING_KEY: ClassVar[str]
    KIND: ClassVar[Literal["event", "command"]] = "event"


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=200)
    occurred_at: datetime
    correlation_id: str = Field(min_length=1, max_length=200)
    causation_id: str | None = Field(default=None, max_length=200)
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        message: Message,
        *,
        correlation_id: str,
        causation_id: str | None = None,
        message_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        return cls(
            message_id=message_id or uuid.uuid4().hex,
            type=message.ROUTING_KEY,
            occurred_at=occurred_at or utcnow(),
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=message.model_dump(mode="json"),
        )
