"""Notifications' tables and HTTP schemas."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from services.kit.db import UTCDateTime, utcnow


class Delivery(SQLModel, table=True):
    """One notice to one recipient on one channel: never two for the same key."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("notification_key", "recipient_id", "channel"),)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    notification_key: str = Field(max_length=200)
    recipient_id: str = Field(index=True, max_length=200)
    channel: str = Field(max_length=20)
    address: str | None = Field(default=None, max_length=254)
    template: str = Field(max_length=50)
    case_id: str = Field(index=True, max_length=200)
    language: str = Field(max_length=2)
    body: str = Field(max_length=4000)
    body_fa: str = Field(max_length=4000)
    body_en: str = Field(max_length=4000)
    status: str = Field(default="recorded", max_length=20)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeliveryPublic(BaseModel):
    id: str
    notification_key: str
    recipient_id: str
    channel: str
    address: str | None
    template: str
    case_id: str
    language: str
    body: str
    body_fa: str
    body_en: str
    status: str
    created_at: dt.datetime
