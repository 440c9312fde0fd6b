"""Complaints' tables and HTTP schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.contracts.complaints import ComplaintCategory, ComplaintStatus
from services.contracts.types import Language, Mobile
from services.kit.db import UTCDateTime, utcnow


class Complaint(SQLModel, table=True):
    __tablename__ = "complaint"
    __table_args__ = (
        # the throttle counts recent complaints per mobile and per client address
        Index("ix_complaint_mobile_filed", "mobile", "filed_at"),
        Index("ix_complaint_address_filed", "client_address", "filed_at"),
    )

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    tracking_code: str = Field(unique=True, max_length=20)
    channel: str = Field(index=True, max_length=20)
    category: str = Field(index=True, max_length=40)
    status: str = Field(default="received", index=True, max_length=20)
    # the seq of the workflow step the status comes from; older steps only join the timeline
    status_seq: int = 0
    round: int = 1
    mobile: str = Field(max_length=11)
    name: str | None = Field(default=None, max_length=120)
    language: str = Field(default="fa", max_length=2)
    description: str = Field(max_length=4000)
    amount_charged: int | None = None
    service_name: str | None = Field(default=None, max_length=200)
    filed_by: str | None = Field(default=None, max_length=100)
    # the web form's client address, for the per-address throttle only
    client_address: str | None = Field(default=None, max_length=45)
    # the office as the license view knew it at filing
    office_id: str = Field(index=True, max_length=64)
    license_number: str = Field(index=True, max_length=30)
    office_name: str | None = Field(default=None, max_length=200)
    county: str = Field(index=True, max_length=50)
    holder_national_code: str = Field(max_length=10)
    office_response_due: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    office_response: str | None = Field(default=None, max_length=4000)
    office_response_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    duplicate_of: str | None = Field(default=None, max_length=20)
    # the last resolution and the round it closed; 0 while never resolved
    resolution: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    resolution_round: int = 0
    resolved_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopen_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the round the complainant asked to reopen, so a second request is refused
    reopen_requested_round: int | None = None
    reopen_count: int = 0
    filed_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def case_id(self) -> str:
        return f"complaint-{self.id}"


class TimelineEntry(SQLModel, table=True):
    """A workflow step (``seq`` set) or something this service saw itself (``seq`` empty:
    the filing, a reopen request, the office's answer)."""

    __tablename__ = "complaint_timeline"
    __table_args__ = (UniqueConstraint("complaint_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: str = Field(foreign_key="complaint.id", index=True, max_length=32)
    seq: int | None = None
    kind: str = Field(default="status", max_length=30)
    status: str = Field(max_length=20)
    step: str = Field(max_length=50)
    actor: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=2000)
    round: int = 1
    occurred_at: dt.datetime = Field(sa_type=UTCDateTime)


class Attachment(SQLModel, table=True):
    """A file the complainant added; it lives in the file store under its content hash."""

    __tablename__ = "complaint_attachment"

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    complaint_id: str = Field(foreign_key="complaint.id", index=True, max_length=32)
    sha256: str = Field(max_length=64)
    size: int
    content_type: str = Field(max_length=50)
    original_name: str = Field(max_length=120)
    uploaded_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Rating(SQLModel, table=True):
    __tablename__ = "complaint_rating"
    __table_args__ = (UniqueConstraint("complaint_id", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: str = Field(foreign_key="complaint.id", index=True, max_length=32)
    round: int
    rating: int
    comment: str | None = Field(default=None, max_length=1000)
    rated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LookupFailure(SQLModel, table=True):
    """A tracking look-up with an unknown code or the wrong mobile: counted per client
    address, so guessing codes is slowed down on every replica alike."""

    __tablename__ = "complaint_lookup_failure"
    __table_args__ = (Index("ix_lookup_failure_address_at", "client_address", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    client_address: str = Field(max_length=45)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LicenseView(SQLModel, table=True):
    """What complaints knows of a license, kept from licensing's ``license changed`` events:
    the office, its county, its holder and manager to tell about a complaint."""

    __tablename__ = "complaint_license_view"

    number: str = Field(primary_key=True, max_length=30)
    office_id: str = Field(index=True, max_length=64)
    office_name: str | None = Field(default=None, max_length=200)
    county: str = Field(max_length=50)
    area: str = Field(max_length=10)
    status: str = Field(max_length=20)
    holder_national_code: str = Field(index=True, max_length=10)
    holder_name: str = Field(max_length=120)
    holder_mobile: str = Field(max_length=11)
    office_manager_mobile: str | None = Field(default=None, max_length=11)
    version: int


TABLES = [model.__table__ for model in (  # type: ignore[attr-defined]
    Complaint, TimelineEntry, Attachment, Rating, LookupFailure, LicenseView)]


# -- HTTP schemas -------------------------------------------------------------------------

class ComplaintCreate(BaseModel):
    """The complaint form, on the web or filled in by a 195 operator for a caller."""

    model_config = ConfigDict(extra="forbid")

    mobile: Mobile
    name: str | None = PydanticField(default=None, min_length=2, max_length=120)
    language: Language = "fa"
    # the office, as picked from the public registry: one of the two
    license_number: str | None = PydanticField(default=None, min_length=3, max_length=30)
    office_id: str | None = PydanticField(default=None, min_length=1, max_length=64)
    category: ComplaintCategory
    # rials; asked for when the complaint is a fee above the tariff
    amount_charged: int | None = PydanticField(default=None, gt=0, le=10_000_000_000)
    service_name: str | None = PydanticField(default=None, min_length=2, max_length=200)
    description: str = PydanticField(min_length=10, max_length=4000)


class ComplaintFiledReply(BaseModel):
    complaint_id: str
    tracking_code: str
    status: ComplaintStatus


class MobileProof(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mobile: Mobile


class RatingCreate(MobileProof):
    rating: int = PydanticField(ge=1, le=5)
    comment: str | None = PydanticField(default=None, max_length=1000)


class ReopenRequest(MobileProof):
    reason: str = PydanticField(min_length=5, max_length=2000)


class OfficeAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = PydanticField(min_length=10, max_length=4000)


class PublicTimelineEntry(BaseModel):
    kind: str
    status: str
    step: str
    note: str | None
    occurred_at: dt.datetime


class PublicResolution(BaseModel):
    upheld: bool
    summary: str
    refund_ordered: bool
    refund_amount: int | None


class RatingPublic(BaseModel):
    round: int
    rating: int
    comment: str | None
    rated_at: dt.datetime


class TrackingView(BaseModel):
    """What the complainant sees with the tracking code and their mobile: no staff names,
    nothing of the complainant they did not already know."""

    tracking_code: str
    status: str
    category: str
    office_name: str | None
    license_number: str
    filed_at: dt.datetime
    timeline: list[PublicTimelineEntry]
    resolution: PublicResolution | None
    rating: RatingPublic | None
    can_rate: bool
    can_reopen: bool
    reopen_until: dt.datetime | None


class AttachmentPublic(BaseModel):
    id: str
    size: int
    content_type: str
    original_name: str
    uploaded_at: dt.datetime


class TimelineEntryPublic(BaseModel):
    seq: int | None
    kind: str
    status: str
    step: str
    actor: str
    note: str | None
    round: int
    occurred_at: dt.datetime


class ComplaintSummary(BaseModel):
    id: str
    tracking_code: str
    status: str
    category: str
    channel: str
    county: str
    office_id: str
    office_name: str | None
    license_number: str
    round: int
    filed_at: dt.datetime
    updated_at: dt.datetime


class ComplaintDetail(ComplaintSummary):
    """Everything, for the complaints officer."""

    case_id: str
    mobile: str
    name: str | None
    language: str
    description: str
    amount_charged: int | None
    service_name: str | None
    filed_by: str | None
    holder_national_code: str
    duplicate_of: str | None
    office_response_due: dt.datetime | None
    office_response: str | None
    office_response_at: dt.datetime | None
    resolution: dict[str, Any] | None
    resolution_round: int
    resolved_at: dt.datetime | None
    reopen_until: dt.datetime | None
    reopen_count: int
    attachments: list[AttachmentPublic]
    timeline: list[TimelineEntryPublic]
    ratings: list[RatingPublic]


class OfficeComplaint(BaseModel):
    """A complaint as the office's license holder sees it: what it is about, not who made
    it."""

    id: str
    tracking_code: str
    status: str
    category: str
    office_name: str | None
    license_number: str
    description: str
    amount_charged: int | None
    service_name: str | None
    filed_at: dt.datetime
    office_response_due: dt.datetime | None
    office_response: str | None
    office_response_at: dt.datetime | None
    can_answer: bool
