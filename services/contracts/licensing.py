"""Messages of the licensing service."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from services.contracts import routing
from services.contracts.applications import Applicant
from services.contracts.envelope import Message
from services.contracts.types import Address, Area


class IssueLicense(Message):
    """Issue the license of an approved application; idempotent on application_id."""

    KIND: ClassVar = "command"
    ROUTING_KEY: ClassVar = routing.LICENSE_ISSUE

    application_id: str
    case_id: str
    holder: Applicant
    county: str
    area: Area
    address: Address
    approved_by: str


class LicenseIssued(Message):
    ROUTING_KEY: ClassVar = routing.LICENSE_ISSUED

    application_id: str
    case_id: str
    license_id: str
    license_number: str
    office_id: str
    issued_at: datetime
    valid_until: date
