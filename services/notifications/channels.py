"""Delivery channels. Here each channel records the message; real SMS and e-mail
gateways plug in behind the same interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.contracts.notifications import Recipient


@dataclass(frozen=True)
class Outcome:
    status: str
    detail: str | None = None


class Channel(Protocol):
    name: str

    def address(self, recipient: Recipient) -> str | None:
        """Where this recipient is reached on this channel; None when they are not."""

    async def send(self, address: str, body: str) -> Outcome: ...


class RecordingChannel:
    """Keeps the message as delivered without sending it anywhere."""

    def __init__(self, name: str) -> None:
        self.name = name

    def address(self, recipient: Recipient) -> str | None:
        if self.name == "sms":
            return recipient.mobile
        if self.name == "email":
            return str(recipient.email) if recipient.email else None
        return recipient.id

    async def send(self, address: str, body: str) -> Outcome:
        return Outcome(status="recorded")


def default_channels() -> list[Channel]:
    return [RecordingChannel("sms"), RecordingChannel("email"), RecordingChannel("in_app")]
