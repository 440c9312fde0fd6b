"""Business rules of licensing. Never commits: the caller's unit of work does.

Every change of a license goes through :func:`_record`: it raises the license's version
by one, adds a row to the license's history with the values before and after, and
publishes ``LicenseChanged`` with the whole license as it now stands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.contracts.counties import COUNTIES_BY_CODE, GILAN_COUNTIES
from services.contracts.licensing import (
    AssessRenewal,
    ExpireLicense,
    IssueLicense,
    LicenseChange,
    LicenseChanged,
    LicenseIssued,
    LicenseSnapshot,
    RelocateOffice,
    RenewalAssessed,
    RenewLicense,
    TransferLicense,
)
from services.contracts.tasks import InspectionOutcome
from services.kit.auth import Principal
from services.kit.db import utcnow
from services.kit.tasks import Task
from services.kit.uow import UnitOfWork
from services.licensing import repository
from services.licensing.models import Finding, License, LicenseEvent, Office
from services.licensing.persian import local_date, persian_digits, search_key, sort_key

_COUNTY_NUMBER = {c.code: i + 1 for i, c in enumerate(GILAN_COUNTIES)}

DEFAULT_OPENING_HOURS = "شنبه تا چهارشنبه ۸ تا ۱۶، پنجشنبه ۸ تا ۱۲"

# the values a change can touch; the history keeps those that changed, before and after
TRACKED = ("holder_national_code", "holder_name", "holder_mobile", "address", "valid_until",
           "status")


class LicenseRefused(Exception):
    """A command that can never succeed on this license as it stands."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def license_number(county: str, serial: int) -> str:
    """GL-<county>-<serial>: Gilan, the county's place in the list, a serial unique overall
    (six digits: the license's row id)."""
    return f"GL-{_COUNTY_NUMBER.get(county, 0):02d}-{serial:06d}"


def imported_license_number(county: str, county_serial: int) -> str:
    """Licenses from before this system keep the directorate's old series: five digits, the
    office's number in its county, so they never meet a number issued here."""
    return f"GL-{_COUNTY_NUMBER.get(county, 0):02d}-{county_serial:05d}"


def office_code(county: str, county_serial: int) -> str:
    return f"{_COUNTY_NUMBER.get(county, 0):02d}-{county_serial:04d}"


def office_name(county: str, county_serial: int) -> str:
    """«دفتر پیشخوان خدمات دولت شماره ۱۲ رشت»"""
    county_fa = COUNTIES_BY_CODE[county].name_fa if county in COUNTIES_BY_CODE else county
    return f"دفتر پیشخوان خدمات دولت شماره {persian_digits(county_serial)} {county_fa}"


def index_office(office: Office, holder_name: str) -> None:
    """Refresh what the registry searches and sorts on: the office's name and its holder's."""
    office.search_name = f"{search_key(office.name)}|{search_key(holder_name)}"[:500]
    office.sort_name = sort_key(office.name)[:250]


def listing_of(license_: License, office: Office) -> str:
    """How the public registry lists an office: "active" only when the office works and
    its license is in force; otherwise what is wrong, the license's state first."""
    return office.status if license_.status == "active" else license_.status


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def snapshot(license_: License, office: Office) -> LicenseSnapshot:
    return LicenseSnapshot(
        number=license_.number or "", status=license_.status,  # type: ignore[arg-type]
        holder_national_code=license_.holder_national_code, holder_name=license_.holder_name,
        holder_mobile=license_.holder_mobile, office_id=office.id, office_name=office.name,
        county=office.county, area=office.area,  # type: ignore[arg-type]
        address=office.address, issued_at=license_.issued_at,
        valid_until=license_.valid_until, version=license_.version,
    )


def _values(license_: License, office: Office) -> dict[str, Any]:
    return {
        "holder_national_code": license_.holder_national_code,
        "holder_name": license_.holder_name,
        "holder_mobile": license_.holder_mobile,
        "address": office.address,
        "valid_until": license_.valid_until.isoformat(),
        "status": license_.status,
    }


def _record(uow: UnitOfWork, license_: License, office: Office, *, change: LicenseChange,
            actor: str, before: dict[str, Any] | None, reason: str | None = None,
            case_id: str | None = None, application_id: str | None = None,
            previous_holder: str | None = None, previous_address: str | None = None,
            always: Sequence[str] = ()) -> LicenseEvent:
    """Write the change into the history and the outbox. ``before`` is ``_values`` taken
    before the change, or None for a license's first event."""
    now = utcnow()
    after_values = _values(license_, office)
    if before is None:
        old: dict[str, Any] = {}
        new = after_values
    else:
        keys = [k for k in TRACKED if before[k] != after_values[k] or k in always]
        old = {k: before[k] for k in keys}
        new = {k: after_values[k] for k in keys}
        license_.version += 1
    license_.updated_at = now
    office.listing = listing_of(license_, office)
    uow.session.add(license_)
    uow.session.add(office)
    assert license_.id is not None and license_.number is not None
    event = LicenseEvent(
        license_id=license_.id, license_number=license_.number, version=license_.version,
        change=change, at=now, actor=actor, reason=reason, case_id=case_id,
        application_id=application_id, before=old, after=new,
    )
    uow.session.add(event)
    uow.publish(
        LicenseChanged(
            change=change, license=snapshot(license_, office), actor=actor, reason=reason,
            case_id=case_id, application_id=application_id,
            previous_holder_national_code=previous_holder, previous_address=previous_address,
            occurred_at=now,
        ),
        correlation_id=case_id or f"license-{license_.number}",
    )
    return event


# -- issuance and import ---------------------------------------------------------------

async def issue_license(uow: UnitOfWork, command: IssueLicense, *, validity_years: int
                        ) -> License:
    """Create the office and its license; asked again for the same application, it
    returns the license issued the first time and raises no second event."""
    existing = await repository.license_for_application(uow.session, command.application_id)
    if existing is not None:
        return existing
    now = utcnow()
    # two issuances in one county at once: the unique (county, serial) lets one through
    # and the other is retried from the bus with the next serial
    serial = await repository.next_county_serial(uow.session, command.county)
    office = Office(
        code=office_code(command.county, serial), county=command.county, county_serial=serial,
        name=office_name(command.county, serial), search_name="", sort_name="",
        area=command.area, address=command.address, manager_name=command.holder.name,
        manager_mobile=command.holder.mobile, opening_hours=DEFAULT_OPENING_HOURS,
        last_activity_on=local_date(now), created_at=now, updated_at=now,
    )
    index_office(office, command.holder.name)
    uow.session.add(office)
    await uow.session.flush()  # the office row must exist before the license points at it
    license_ = License(
        office_id=office.id,
        application_id=command.application_id,
        holder_national_code=command.holder.national_code,
        holder_name=command.holder.name,
        holder_mobile=command.holder.mobile,
        issued_at=now,
        valid_until=add_years(local_date(now), validity_years),
        approved_by=command.approved_by,
    )
    uow.session.add(license_)
    await uow.session.flush()
    assert license_.id is not None
    license_.number = license_number(command.county, license_.id)
    uow.session.add(license_)
    uow.publish(
        LicenseIssued(
            application_id=command.application_id,
            case_id=command.case_id,
            license_id=str(license_.id),
            license_number=license_.number,
            office_id=office.id,
            issued_at=now,
            valid_until=license_.valid_until,
        ),
        correlation_id=command.case_id,
    )
    _record(uow, license_, office, change="issued", actor=command.approved_by, before=None,
            case_id=command.case_id, application_id=command.application_id)
    return license_


@dataclass
class ImportedLicense:
    """A license that existed before this system, with its office."""

    number: str
    county: str
    county_serial: int
    area: str
    address: str
    holder_national_code: str
    holder_name: str
    holder_mobile: str
    issued_at: dt.datetime
    valid_until: dt.date
    status: str = "active"
    office_status: str = "active"
    manager_name: str | None = None
    manager_mobile: str | None = None
    opening_hours: str | None = None
    services: list[str] = field(default_factory=list)
    last_activity_on: dt.date | None = None


async def import_license(uow: UnitOfWork, record: ImportedLicense, *, actor: str) -> License:
    now = utcnow()
    office = Office(
        code=office_code(record.county, record.county_serial), county=record.county,
        county_serial=record.county_serial, name=office_name(record.county, record.county_serial),
        search_name="", sort_name="", area=record.area, address=record.address,
        manager_name=record.manager_name, manager_mobile=record.manager_mobile,
        opening_hours=record.opening_hours, services=list(record.services),
        status=record.office_status, last_activity_on=record.last_activity_on,
        created_at=record.issued_at, updated_at=now,
    )
    index_office(office, record.holder_name)
    uow.session.add(office)
    await uow.session.flush()
    license_ = License(
        number=record.number, office_id=office.id, application_id=None,
        holder_national_code=record.holder_national_code, holder_name=record.holder_name,
        holder_mobile=record.holder_mobile, status=record.status, issued_at=record.issued_at,
        valid_until=record.valid_until, approved_by=actor,
    )
    uow.session.add(license_)
    await uow.session.flush()
    _record(uow, license_, office, change="imported", actor=actor, before=None,
            reason="imported from the directorate's register")
    return license_


# -- the rest of a license's life --------------------------------------------------------

async def _license(uow: UnitOfWork, number: str) -> tuple[License, Office]:
    found = await repository.license_by_number(uow.session, number)
    if found is None:
        raise LicenseRefused("unknown_license", number)
    return found


async def _done_before(uow: UnitOfWork, license_: License, application_id: str,
                       change: str) -> bool:
    assert license_.id is not None
    return await repository.change_for_application(
        uow.session, license_.id, application_id, change) is not None


async def renew(uow: UnitOfWork, command: RenewLicense, *, term_years: int, grace_days: int,
                today: dt.date) -> LicenseEvent | None:
    """Extend validity by the term from its end date, or from today when that has passed.

    An expired license becomes active again if the renewal comes within ``grace_days`` of
    its end date; later it cannot be renewed (a new license goes through a public call).
    A suspended license stays suspended: a renewal does not lift a sanction. A revoked one
    cannot be renewed. None when this application renewed the license already."""
    license_, office = await _license(uow, command.license_number)
    if await _done_before(uow, license_, command.application_id, "renewed"):
        return None
    if license_.status == "revoked":
        raise LicenseRefused("license_revoked", command.license_number)
    if today > license_.valid_until + dt.timedelta(days=grace_days):
        raise LicenseRefused("renewal_too_late",
                             f"{command.license_number} ended on {license_.valid_until}")
    before = _values(license_, office)
    license_.valid_until = add_years(max(today, license_.valid_until), term_years)
    if license_.status == "expired":
        license_.status = "active"
    return _record(uow, license_, office, change="renewed", actor=command.approved_by,
                   before=before, case_id=command.case_id,
                   application_id=command.application_id)


async def transfer(uow: UnitOfWork, command: TransferLicense) -> LicenseEvent | None:
    """Make the new holder the license's holder; the history keeps both."""
    license_, office = await _license(uow, command.license_number)
    if await _done_before(uow, license_, command.application_id, "transferred"):
        return None
    if license_.status != "active":
        raise LicenseRefused("license_not_active", f"{command.license_number} is {license_.status}")
    new = command.new_holder
    if new.national_code == license_.holder_national_code:
        raise LicenseRefused("same_holder", command.license_number)
    before = _values(license_, office)
    previous = license_.holder_national_code
    # an office the holder ran himself is now run by the new holder
    if office.manager_mobile == license_.holder_mobile or office.manager_name == license_.holder_name:
        office.manager_name, office.manager_mobile = new.name, new.mobile
    license_.holder_national_code = new.national_code
    license_.holder_name = new.name
    license_.holder_mobile = new.mobile
    index_office(office, new.name)
    office.updated_at = utcnow()
    return _record(uow, license_, office, change="transferred", actor=command.approved_by,
                   before=before, case_id=command.case_id,
                   application_id=command.application_id, previous_holder=previous)


async def relocate(uow: UnitOfWork, command: RelocateOffice) -> LicenseEvent | None:
    """Move the office to its new address (the caller made sure it is in the same county)."""
    license_, office = await _license(uow, command.license_number)
    if await _done_before(uow, license_, command.application_id, "relocated"):
        return None
    if license_.status != "active":
        raise LicenseRefused("license_not_active", f"{command.license_number} is {license_.status}")
    before = _values(license_, office)
    previous = office.address
    office.address = command.new_address
    office.updated_at = utcnow()
    return _record(uow, license_, office, change="relocated", actor=command.approved_by,
                   before=before, case_id=command.case_id,
                   application_id=command.application_id, previous_address=previous,
                   always=("address",))


async def expire(uow: UnitOfWork, command: ExpireLicense) -> LicenseEvent | None:
    """Expire the license if it still ends on the date the command names (a renewal since
    moved it) and is active or suspended; otherwise nothing happens."""
    license_, office = await _license(uow, command.license_number)
    if license_.valid_until != command.valid_until or license_.status not in ("active", "suspended"):
        return None
    before = _values(license_, office)
    license_.status = "expired"
    return _record(uow, license_, office, change="expired", actor="system",
                   before=before, reason=f"not renewed; valid until {command.valid_until}",
                   case_id=command.case_id)


async def assess_renewal(uow: UnitOfWork, command: AssessRenewal, *, lookback_days: int
                         ) -> RenewalAssessed:
    """A renewal needs a site inspection when the office has open findings or upheld
    complaints within ``lookback_days``."""
    license_, office = await _license(uow, command.license_number)
    assert license_.id is not None
    cases = await repository.application_ids(uow.session, license_.id)
    if license_.application_id:
        cases.append(license_.application_id)
    reasons = [f"open_finding:{f.kind}" for f in
               await repository.open_findings(uow.session, office.id, sorted(set(cases)))]
    since = utcnow() - dt.timedelta(days=lookback_days)
    upheld = await repository.upheld_complaints_since(uow.session, office.id, since)
    if upheld:
        reasons.append(f"upheld_complaints:{upheld}")
    answer = RenewalAssessed(application_id=command.application_id, case_id=command.case_id,
                             license_number=command.license_number,
                             needs_inspection=bool(reasons), reasons=reasons)
    uow.publish(answer, correlation_id=command.case_id)
    return answer


# -- sanctions --------------------------------------------------------------------------

async def _set_status(uow: UnitOfWork, number: str, *, to: str, allowed_from: tuple[str, ...],
                      change: LicenseChange, actor: str, reason: str,
                      case_id: str | None) -> LicenseEvent:
    license_, office = await _license(uow, number)
    if license_.status not in allowed_from:
        raise LicenseRefused(f"license_{license_.status}", f"{number} cannot be {change}")
    before = _values(license_, office)
    license_.status = to
    return _record(uow, license_, office, change=change, actor=actor, before=before,
                   reason=reason, case_id=case_id)


async def suspend(uow: UnitOfWork, number: str, *, actor: str, reason: str,
                  case_id: str | None = None) -> LicenseEvent:
    return await _set_status(uow, number, to="suspended", allowed_from=("active",),
                             change="suspended", actor=actor, reason=reason, case_id=case_id)


async def reinstate(uow: UnitOfWork, number: str, *, actor: str, reason: str,
                    case_id: str | None = None) -> LicenseEvent:
    return await _set_status(uow, number, to="active", allowed_from=("suspended",),
                             change="reinstated", actor=actor, reason=reason, case_id=case_id)


async def revoke(uow: UnitOfWork, number: str, *, actor: str, reason: str,
                 case_id: str | None = None) -> LicenseEvent:
    return await _set_status(uow, number, to="revoked",
                             allowed_from=("active", "suspended", "expired"),
                             change="revoked", actor=actor, reason=reason, case_id=case_id)


# -- inspections ------------------------------------------------------------------------

async def record_findings(uow: UnitOfWork, task: Task, outcome: object, who: Principal) -> None:
    """After a site inspection: a failed "operator is the holder" item is a finding on the
    office, the sign of a license traded through a power of attorney."""
    if not isinstance(outcome, InspectionOutcome):
        return
    item = outcome.checklist.get("operator_is_holder")
    if item is None or item.passed:
        return
    uow.session.add(
        Finding(
            kind="operator_not_holder",
            office_id=task.data.get("office_id"),
            application_id=task.application_id,
            case_id=task.case_id,
            task_id=task.id,
            county=task.county,
            note=item.note,
            found_by=who.actor,
        )
    )
