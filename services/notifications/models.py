"""Notifications' tables and HTTP schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.contracts.types import Language
from services.kit.db import UTCDateTime, utcnow

SMS, EMAIL, IN_APP = "sms", "email", "in_app"
CHANNELS = (SMS, EMAIL, IN_APP)

# pending → sending → sent | failed, or back to pending for another try;
# skipped when the recipient opted out of the channel. "sending" is committed with the
# claim, before the provider is called, so a delivery found "sending" after its lease ran
# out is one whose last try may have reached the provider.
PENDING, SENDING, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"
FINAL = frozenset({SENT, FAILED, SKIPPED})

DeliveryStatus = Literal["pending", "sending", "sent", "failed", "skipped"]
ChannelName = Literal["sms", "email", "in_app"]


def _new_id() -> str:
    return uuid.uuid4().hex


class Delivery(SQLModel, table=True):
    """One notice to one recipient on one channel: never two for the same key."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("notification_key", "recipient_id", "channel"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    notification_key: str = Field(max_length=200)
    recipient_id: str = Field(index=True, max_length=200)
    channel: str = Field(max_length=20)
    address: str | None = Field(default=None, max_length=254)
    template: str = Field(max_length=50)
    case_id: str = Field(index=True, max_length=200)
    language: str = Field(max_length=2)
    # what this channel carries, in the recipient's language and in both
    subject: str | None = Field(default=None, max_length=300)
    body: str = Field(max_length=4000)
    body_fa: str = Field(max_length=4000)
    body_en: str = Field(max_length=4000)
    html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    request_message_id: str | None = Field(default=None, max_length=200)

    status: str = Field(default=PENDING, max_length=20)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # which dispatcher holds it while sending, and until when
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    provider_message_id: str | None = Field(default=None, max_length=200)
    # the last try's outcome is unknown (its lease ran out, or the provider's answer never
    # came): the next try asks the provider before sending again
    in_doubt: bool = False
    # the last transient error, and the reason of a final failure or skip
    last_error: str | None = Field(default=None, max_length=1000)
    reason: str | None = Field(default=None, max_length=1000)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # when retention emptied subject, bodies and html after NOTIFICATIONS_CONTENT_KEEP_DAYS;
    # the row stays: who was told what (the template) when, and the exactly-once key
    content_pruned_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    notification_key: str
    recipient_id: str
    channel: str
    address: str | None
    template: str
    case_id: str
    language: str
    subject: str | None
    body: str
    body_fa: str
    body_en: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    provider_message_id: str | None
    in_doubt: bool
    last_error: str | None
    reason: str | None
    created_at: dt.datetime
    completed_at: dt.datetime | None
    # set: the content is gone after its keep period, and the empty texts mean nothing
    content_pruned_at: dt.datetime | None = None


class InboxItem(SQLModel, table=True):
    """A notice in a recipient's in-app inbox: it arrives with the request's transaction."""

    __tablename__ = "inbox_item"
    __table_args__ = (
        UniqueConstraint("notification_key", "recipient_id"),
        Index("ix_inbox_item_recipient", "recipient_id", "created_at"),
    )

    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    recipient_id: str = Field(max_length=200)
    notification_key: str = Field(max_length=200)
    template: str = Field(max_length=50)
    case_id: str = Field(max_length=200)
    language: str = Field(max_length=2)
    subject: str = Field(max_length=300)
    body: str = Field(max_length=4000)
    link: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # when retention emptied subject and body after NOTIFICATIONS_CONTENT_KEEP_DAYS
    content_pruned_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class InboxItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    template: str
    case_id: str
    language: str
    subject: str
    body: str
    link: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None
    # set: the notice's text is gone after its keep period; show it as such
    content_pruned_at: dt.datetime | None = None


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int


class Preference(SQLModel, table=True):
    """How a recipient wants to hear from us. SMS cannot be switched off: the legally
    required notices go by SMS regardless, and it is how the others reach people."""

    __tablename__ = "preference"

    recipient_id: str = Field(primary_key=True, max_length=200)
    # None: the language each request carries (the one given when applying)
    language: str | None = Field(default=None, max_length=2)
    email: bool = True
    in_app: bool = True
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Language | None = None
    email: bool = True
    in_app: bool = True


class PreferencesPublic(BaseModel):
    recipient_id: str
    language: Language | None
    sms: bool = True
    email: bool
    in_app: bool
    updated_at: dt.datetime | None
