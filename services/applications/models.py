"""Applications' tables and HTTP schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.contracts.applications import Applicant
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
    awaiting_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the documents the last correction request asked for, and when it asked
    correction_documents: list[str] = Field(default_factory=list,
                                            sa_column=Column(JSON, nullable=False))
    correction_requested_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    correction_submitted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawal_requested_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # a transfer's new holder, and when they agreed
    new_holder_national_code: str | None = Field(default=None, index=True, max_length=10)
    new_holder_name: str | None = Field(default=None, max_length=120)
    new_holder_mobile: str | None = Field(default=None, max_length=11)
    new_holder_email: str | None = Field(default=None, max_length=254)
    new_holder_language: str | None = Field(default=None, max_length=2)
    consented_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def case_id(self) -> str:
        return f"application-{self.id}"


class LicenseView(SQLModel, table=True):
    """What applications knows of a license, kept from licensing's ``license changed``
    events: who holds it, where, until when, and whether it is active."""

    __tablename__ = "license_view"

    number: str = Field(primary_key=True, max_length=30)
    status: str = Field(max_length=20)
    holder_national_code: str = Field(index=True, max_length=10)
    holder_name: str = Field(max_length=120)
    holder_mobile: str = Field(max_length=11)
    county: str = Field(max_length=50)
    area: str = Field(max_length=10)
    address: str = Field(max_length=500)
    valid_until: dt.date
    version: int


class TimelineEntry(SQLModel, table=True):
    __tablename__ = "timeline_entry"
    __table_args__ = (UniqueConstraint("application_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(foreign_key="application.id", index=True, max_length=32)
    seq: int
    kind: str = Field(default="status", max_length=20)
    status: str = Field(max_length=30)
    step: str = Field(max_length=50)
    actor: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=2000)
    due_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    occurred_at: dt.datetime = Field(sa_type=UTCDateTime)


class Document(SQLModel, table=True):
    """An uploaded document. The file lives in the file store under its content hash;
    a newer upload of the same type supersedes the older one, which is kept."""

    __tablename__ = "document"

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    application_id: str = Field(foreign_key="application.id", index=True, max_length=32)
    document_type: str = Field(max_length=50)
    sha256: str = Field(max_length=64)
    size: int
    content_type: str = Field(max_length=50)
    original_name: str = Field(max_length=120)
    current: bool = True
    uploaded_by: str = Field(max_length=100)
    uploaded_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


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


class LicenseCase(BaseModel):
    """A holder's request about their license."""

    model_config = ConfigDict(extra="forbid")

    license_number: str = PydanticField(min_length=3, max_length=30)


# a transfer's new holder: the same facts as any applicant
NewHolder = Applicant


class TransferCreate(LicenseCase):
    new_holder: NewHolder


class AddressChangeCreate(LicenseCase):
    county: CountyCode
    address: Address


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = PydanticField(default=None, max_length=1000)


class TimelineEntryPublic(BaseModel):
    seq: int
    kind: str
    status: str
    step: str
    actor: str
    note: str | None
    due_at: dt.datetime | None
    occurred_at: dt.datetime


class DocumentPublic(BaseModel):
    id: str
    document_type: str
    size: int
    content_type: str
    original_name: str
    current: bool
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime


class ApplicationPublic(BaseModel):
    id: str
    case_id: str
    kind: str
    status: str
    awaiting: str | None
    awaiting_until: dt.datetime | None
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
    new_holder_national_code: str | None
    new_holder_name: str | None
    consented_at: dt.datetime | None
    correction_documents: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    required_documents: list[str]
    documents: list[DocumentPublic]
    timeline: list[TimelineEntryPublic]

    @classmethod
    def build(cls, application: Application, *, documents: list[Any], timeline: list[Any],
              required: list[str]) -> ApplicationPublic:
        return cls(
            **application.model_dump(), case_id=application.case_id,
            required_documents=required,
            documents=[DocumentPublic.model_validate(d, from_attributes=True) for d in documents],
            timeline=[TimelineEntryPublic.model_validate(e, from_attributes=True)
                      for e in timeline],
        )
