"""Licensing's tables and HTTP schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from services.kit.db import UTCDateTime, utcnow


class Office(SQLModel, table=True):
    """A counter service office: where it is, who runs it, when it is open. Its license
    (one) says who holds it and until when."""

    __tablename__ = "office"
    __table_args__ = (
        # the public registry: listed offices of a county (and area), in name order (the id
        # breaks ties, so a page and its total are read off the index alone)
        Index("ix_office_registry", "listing", "county", "sort_name", "id"),
        Index("ix_office_registry_area", "listing", "county", "area", "sort_name", "id"),
        Index("ux_office_county_serial", "county", "county_serial", unique=True),
        Index("ux_office_code", "code", unique=True),
    )

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    # «06-0012»: the county's place in the list and the office's number in its county
    code: str = Field(max_length=20)
    county: str = Field(max_length=50)
    county_serial: int
    name: str = Field(max_length=200)
    # search_key(name + holder's name) and sort_key(name): see services/licensing/persian.py
    search_name: str = Field(max_length=500)
    sort_name: str = Field(max_length=250)
    area: str = Field(max_length=10)
    address: str = Field(max_length=500)
    manager_name: str | None = Field(default=None, max_length=120)
    manager_mobile: str | None = Field(default=None, max_length=11)
    opening_hours: str | None = Field(default=None, max_length=300)
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # active or inactive: an inactive office is under review for transfer or revocation
    status: str = Field(default="active", max_length=20)
    # how the public registry lists the office, kept with every change of its license:
    # the license's status unless it is active, else the office's (active or inactive)
    listing: str = Field(default="active", max_length=20)
    last_activity_on: dt.date | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class License(SQLModel, table=True):
    __tablename__ = "license"
    __table_args__ = (
        Index("ux_license_number", "number", unique=True),
        Index("ux_license_office", "office_id", unique=True),
        # one license per application, however often issuance is asked for; imported
        # licenses have none
        Index("ux_license_application", "application_id", unique=True),
        Index("ix_license_status", "status"),
        Index("ix_license_holder", "holder_national_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=30)
    office_id: str = Field(foreign_key="office.id", max_length=32)
    application_id: str | None = Field(default=None, max_length=32)
    holder_national_code: str = Field(max_length=10)
    holder_name: str = Field(max_length=120)
    holder_mobile: str = Field(max_length=11)
    status: str = Field(default="active", max_length=20)
    issued_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    valid_until: dt.date
    approved_by: str = Field(max_length=200)
    # one more with every change; LicenseChanged carries it so readers can order events
    version: int = 1
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LicenseEvent(SQLModel, table=True):
    """Every change of a license: who, when, why, and the values before and after.
    Rows are only ever added."""

    __tablename__ = "license_event"
    __table_args__ = (
        # two changes racing for one license: only one gets the next version
        Index("ux_license_event_version", "license_id", "version", unique=True),
        Index("ix_license_event_application", "application_id", "change"),
    )

    id: int | None = Field(default=None, primary_key=True)
    license_id: int = Field(foreign_key="license.id")
    license_number: str = Field(max_length=30)
    version: int
    change: str = Field(max_length=20)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=200)
    reason: str | None = Field(default=None, max_length=2000)
    case_id: str | None = Field(default=None, max_length=200)
    application_id: str | None = Field(default=None, max_length=32)
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class UpheldComplaint(SQLModel, table=True):
    """A complaint about an office that was upheld (the last resolution stands: one
    resolved again as not upheld is removed). A renewal of that office within a year
    needs a site inspection, and enough of them open a review."""

    __tablename__ = "upheld_complaint"

    complaint_id: str = Field(primary_key=True, max_length=200)
    office_id: str = Field(index=True, max_length=32)
    upheld_at: dt.datetime = Field(sa_type=UTCDateTime)


class LicensePublic(BaseModel):
    number: str
    status: str
    office_id: str
    office_name: str
    application_id: str | None
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


class InspectionPhoto(SQLModel, table=True):
    """A photo an inspector took for a site inspection. The file lives in the file store
    under its content hash; the same photo is recorded once per task."""

    __tablename__ = "inspection_photo"
    __table_args__ = (Index("ux_inspection_photo_task_sha256", "task_id", "sha256", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(max_length=32)
    sha256: str = Field(max_length=64)
    size: int
    content_type: str = Field(max_length=50)
    uploaded_by: str = Field(max_length=100)
    uploaded_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InspectionPhotoPublic(BaseModel):
    # the reference an inspection's outcome names the photo by
    photo: str
    size: int
    content_type: str
    uploaded_by: str
    uploaded_at: dt.datetime

    @classmethod
    def of(cls, row: InspectionPhoto) -> InspectionPhotoPublic:
        return cls(photo=row.sha256, size=row.size, content_type=row.content_type,
                   uploaded_by=row.uploaded_by, uploaded_at=row.uploaded_at)


class OfficeActivity(SQLModel, table=True):
    """An office's count of services in one Jalali month, as its holder reported it; a
    later report for the same month replaces the earlier one."""

    __tablename__ = "office_activity"
    __table_args__ = (
        Index("ux_office_activity_month", "office_id", "year", "month", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    office_id: str = Field(foreign_key="office.id", max_length=32)
    year: int
    month: int
    service_count: int
    reported_by: str = Field(max_length=100)
    reported_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OfficeActivityReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # a Jalali month: 1403/7 is Mehr 1403
    year: int = PydanticField(ge=1300, le=1500)
    month: int = PydanticField(ge=1, le=12)
    service_count: int = PydanticField(ge=0, le=10_000_000)


class OfficeActivityPublic(BaseModel):
    office_id: str
    year: int
    month: int
    service_count: int
    reported_by: str
    reported_at: dt.datetime


class Review(SQLModel, table=True):
    """A supervision case about one office: why it was opened, the holder's written
    answer, and the officer's decision. An office has at most one open review."""

    __tablename__ = "review"
    __table_args__ = (
        Index("ux_review_case", "case_id", unique=True),
        # the database's own guard of "one open review per office": office_id while open,
        # NULL once decided (NULLs never collide in a unique index, on SQLite or PostgreSQL)
        Index("ux_review_open_office", "open_office_id", unique=True),
        Index("ix_review_office", "office_id", "status"),
        Index("ix_review_county", "county", "status"),
        Index("ix_review_sweep", "sweep_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # review-<uuid>: the workflow's id and every event's case
    case_id: str | None = Field(default=None, max_length=40)
    office_id: str = Field(foreign_key="office.id", max_length=32)
    open_office_id: str | None = Field(default=None, max_length=32)
    license_number: str = Field(max_length=30)
    county: str = Field(max_length=50)
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    details: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recommended: str | None = Field(default=None, max_length=20)
    status: str = Field(default="open", max_length=20)
    # the sweep that opened it, so the same sweep run again opens nothing new
    sweep_id: str | None = Field(default=None, max_length=200)
    opened_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answer: str | None = Field(default=None, max_length=4000)
    answered_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision: str | None = Field(default=None, max_length=20)
    suspension_days: int | None = None
    suspended_until: dt.date | None = None
    decision_reason: str | None = Field(default=None, max_length=2000)
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # whether the license took the decision; when not, why (license_revoked, ...)
    applied: bool | None = None
    refusal: str | None = Field(default=None, max_length=50)


class ReviewPublic(BaseModel):
    id: str
    case_id: str
    office_id: str
    license_number: str
    county: str
    reasons: list[str]
    details: dict[str, str]
    recommended: str | None
    status: str
    opened_at: dt.datetime
    answer: str | None
    answered_at: dt.datetime | None
    decision: str | None
    suspension_days: int | None
    suspended_until: dt.date | None
    decision_reason: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    applied: bool | None
    refusal: str | None


class ReviewAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = PydanticField(min_length=10, max_length=4000)


TABLES = [
    Office.__table__, License.__table__, LicenseEvent.__table__,  # type: ignore[attr-defined]
    UpheldComplaint.__table__, Finding.__table__,  # type: ignore[attr-defined]
    OfficeActivity.__table__, Review.__table__,  # type: ignore[attr-defined]
    InspectionPhoto.__table__,  # type: ignore[attr-defined]
]


# -- the public registry ----------------------------------------------------------------

class RegistryOffice(BaseModel):
    """An office as the public registry lists it: no national code, no mobile."""

    office_id: str
    code: str
    name: str
    county: str
    county_fa: str
    county_en: str
    area: str
    address: str
    status: str
    license_number: str
    license_status: str
    holder_name: str
    valid_until: dt.date


class RegistryPage(BaseModel):
    items: list[RegistryOffice]
    total: int
    limit: int
    offset: int


class OfficePage(RegistryOffice):
    opening_hours: str | None
    services: list[str]
    manager_name: str | None
    issued_at: dt.datetime
    last_activity_on: dt.date | None
    # the day a review's suspension ends, when the license is suspended by one
    suspended_until: dt.date | None = None
    verify_url: str
    certificate_url: str


class AreaCounts(BaseModel):
    urban: int
    rural: int
    total: int


class CountySummary(BaseModel):
    code: str
    name_fa: str
    name_en: str
    active_offices: AreaCounts


class LicenseEventPublic(BaseModel):
    version: int
    change: str
    at: dt.datetime
    actor: str
    reason: str | None
    case_id: str | None
    application_id: str | None
    before: dict[str, Any]
    after: dict[str, Any]


class Verification(BaseModel):
    """What the verify page says, for machines."""

    found: bool
    number: str
    # valid, suspended, revoked, expired, not_found
    state: str
    status: str | None = None
    holder_name: str | None = None
    office_name: str | None = None
    office_status: str | None = None
    county: str | None = None
    area: str | None = None
    address: str | None = None
    issued_at: dt.datetime | None = None
    valid_until: dt.date | None = None
    # the day a review's suspension ends, when the license is suspended by one
    suspended_until: dt.date | None = None
    message: dict[str, str]
