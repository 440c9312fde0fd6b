"""Applications' tables and HTTP schemas."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, EmailStr
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from services.contracts.counties import CountyCode
from services.contracts.types import Address, Area, Language, Mobile, NationalCode, PersonName
from services.kit.db import UTCDateTime, utcnow


class Application(SQLModel, table=True):
    __tablename__ = "application"

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    kind: str = Field(default="new_license", max_length=30)
    status: str = Field(default="submitted", index=True, max_length=30)
    # the seq of the last status event folded in; older events only add to the timeline
    status_seq: int = 0
    national_code: str = Field(index=True, max_length=10)
    applicant_name: str = Field(max_length=120)
    mobile: str = Field(max_length=11)
    email: str | None = Field(default=None, max_length=254)
    language: str = Field(default="fa", max_length=2)
    county: str = Field(index=True, max_length=50)
    area: str = Field(max_length=10)
    address: str = Field(max_length=500)
    license_number: str | None = Field(default=None, max_length=50)
    decision_reason: str | None = Field(default=None, max_length=2000)
    awaiting: str | None = Field(default=None, max_length=50)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def case_id(self) -> str:
        return f"application-{self.id}"


class TimelineEntry(SQLModel, table=True):
    __tablename__ = "timeline_entry"
    __table_args__ = (UniqueConstraint("application_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(foreign_key="application.id", index=True, max_length=32)
    seq: int
    status: str = Field(max_length=30)
    step: str = Field(max_length=50)
    actor: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=2000)
    occurred_at: dt.datetime = Field(sa_type=UTCDateTime)


class ApplicationCreate(BaseModel):
    """What an applicant submits for a new office license."""

    model_config = ConfigDict(extra="forbid")

    national_code: NationalCode
    name: PersonName
    mobile: Mobile
    email: EmailStr | None = None
    language: Language = "fa"
    county: CountyCode
    area: Area
    address: Address


class TimelineEntryPublic(BaseModel):
    seq: int
    status: str
    step: str
    actor: str
    note: str | None
    occurred_at: dt.datetime


class ApplicationPublic(BaseModel):
    id: str
    case_id: str
    kind: str
    status: str
    awaiting: str | None
    national_code: str
    applicant_name: str
    mobile: str
    email: str | None
    language: str
    county: str
    area: str
    address: str
    license_number: str | None
    decision_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    timeline: list[TimelineEntryPublic]
