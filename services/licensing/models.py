"""Licensing's tables and HTTP schemas."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from services.kit.db import UTCDateTime, utcnow


class Office(SQLModel, table=True):
    __tablename__ = "office"

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    county: str = Field(index=True, max_length=50)
    area: str = Field(index=True, max_length=10)
    address: str = Field(max_length=500)
    status: str = Field(default="active", index=True, max_length=20)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class License(SQLModel, table=True):
    __tablename__ = "license"

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, unique=True, max_length=30)
    office_id: str = Field(foreign_key="office.id", index=True, max_length=32)
    # one license per application, however often issuance is asked for
    application_id: str = Field(unique=True, max_length=32)
    holder_national_code: str = Field(index=True, max_length=10)
    holder_name: str = Field(max_length=120)
    holder_mobile: str = Field(max_length=11)
    status: str = Field(default="active", index=True, max_length=20)
    issued_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    valid_until: dt.date
    approved_by: str = Field(max_length=200)


class LicensePublic(BaseModel):
    number: str
    status: str
    application_id: str
    holder_name: str
    county: str
    area: str
    address: str
    issued_at: dt.datetime
    valid_until: dt.date


class Finding(SQLModel, table=True):
    """Something an inspection found wrong with an office, kept for supervision: above
    all, that the person running the office is not the license holder."""

    __tablename__ = "finding"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True, max_length=50)
    office_id: str | None = Field(default=None, index=True, max_length=32)
    application_id: str | None = Field(default=None, index=True, max_length=32)
    case_id: str = Field(index=True, max_length=200)
    task_id: str = Field(max_length=32)
    county: str = Field(index=True, max_length=50)
    note: str | None = Field(default=None, max_length=1000)
    found_by: str = Field(max_length=100)
    found_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    open: bool = True


class FindingPublic(BaseModel):
    id: int
    kind: str
    office_id: str | None
    application_id: str | None
    case_id: str
    county: str
    note: str | None
    found_by: str
    found_at: dt.datetime
    open: bool
