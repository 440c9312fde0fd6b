"""Business rules of licensing. Never commits: the caller's unit of work does.

Every change of a license goes through :func:`_record`: it raises the license's version
by one, adds a row to the license's history with the values before and after, and
publishes ``LicenseChanged`` with the whole license as it now stands."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.contracts.complaints import ComplaintResolved
from services.contracts.counties import COUNTIES_BY_CODE, GILAN_COUNTIES
from services.contracts.licensing import (
    AssessRenewal,
    DecideReview,
    ExpireLicense,
    IssueLicense,
    LicenseChange,
    LicenseChanged,
    LicenseIssued,
    LicenseSnapshot,
    OfficeActivityReported,
    ReinstateLicense,
    RelocateOffice,
    RenewalAssessed,
    RenewLicense,
    ReviewAnswered,
    ReviewDecided,
    ReviewOpened,
    ReviewReason,
    SweepOffices,
    TransferLicense,
)
from services.contracts.tasks import InspectionOutcome
from services.kit.auth import Principal
from services.kit.db import utcnow
from services.kit.errors import FieldError
from services.kit.storage import StoredFile
from services.kit.tasks import Task, TaskError
from services.kit.uow import UnitOfWork
from services.licensing import repository
from services.licensing.models import (
    Finding,
    InspectionPhoto,
    License,
    LicenseEvent,
    Office,
    OfficeActivity,
    OfficeActivityReport,
    Review,
    UpheldComplaint,
)
from services.licensing.persian import (
    jalali_month,
    jalali_month_end,
    local_date,
    persian_digits,
    search_key,
    sort_key,
)

log = logging.getLogger(__name__)

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
        office_manager_mobile=office.manager_mobile, county=office.county,
        area=office.area,  # type: ignore[arg-type]
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

async def _set_status(uow: UnitOfWork, number: str, *, to: str | None,
                      allowed_from: tuple[str, ...], change: LicenseChange, actor: str,
                      reason: str, case_id: str | None) -> LicenseEvent:
    """``to`` None: the change leaves the status as it is (a warning)."""
    license_, office = await _license(uow, number)
    if license_.status not in allowed_from:
        raise LicenseRefused(f"license_{license_.status}", f"{number} cannot be {change}")
    before = _values(license_, office)
    if to is not None:
        license_.status = to
    return _record(uow, license_, office, change=change, actor=actor, before=before,
                   reason=reason, case_id=case_id)


async def suspend(uow: UnitOfWork, number: str, *, actor: str, reason: str,
                  case_id: str | None = None) -> LicenseEvent:
    """Suspend an active license; a suspended one takes a new suspension, whose case then
    owns it (the earlier case's end no longer lifts it)."""
    return await _set_status(uow, number, to="suspended", allowed_from=("active", "suspended"),
                             change="suspended", actor=actor, reason=reason, case_id=case_id)


async def warn(uow: UnitOfWork, number: str, *, actor: str, reason: str,
               case_id: str | None = None) -> LicenseEvent:
    """A formal warning: a change in the license's history, its status unchanged."""
    return await _set_status(uow, number, to=None, allowed_from=("active", "suspended"),
                             change="warned", actor=actor, reason=reason, case_id=case_id)


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
    """After a site inspection, findings for supervision: a failed "operator is the
    holder" item, the sign of a license traded through a power of attorney; and a failed
    inspection of an office already licensed (a review's, a complaint's, a renewal's: the
    task names the office). A new office failing its first inspection is the application's
    matter, settled by its decision, not a mark against an office that does not exist yet."""
    if not isinstance(outcome, InspectionOutcome):
        return
    found: list[tuple[str, str | None]] = []
    if outcome.result == "fail" and task.data.get("office_id"):
        failed = ", ".join(outcome.failed_items)
        note = f"{outcome.reason or ''} [{failed}]" if failed else outcome.reason
        found.append(("failed_inspection", (note or "")[:1000] or None))
    item = outcome.checklist.get("operator_is_holder")
    if item is not None and not item.passed:
        found.append(("operator_not_holder", item.note))
    for kind, note in found:
        uow.session.add(
            Finding(
                kind=kind,
                office_id=task.data.get("office_id"),
                application_id=task.application_id,
                case_id=task.case_id,
                task_id=task.id,
                county=task.county,
                note=note,
                found_by=who.actor,
            )
        )


# as many as an inspection's outcome may name
MAX_INSPECTION_PHOTOS = 20
PHOTO_TYPES = ("image/jpeg", "image/png")


def check_photo_upload(task: Task, who: Principal) -> None:
    """Only the inspector who holds a site inspection adds photos to it, while it is
    theirs: checked before anything is stored."""
    if task.kind != "site_inspection":
        raise TaskError(404, "only a site inspection takes photos")
    if task.assignee != who.sub:
        raise TaskError(403, "only the inspector who holds the task adds photos")
    if task.status != "claimed":
        raise TaskError(409, "the task is closed")


async def add_inspection_photo(uow: UnitOfWork, task: Task, who: Principal,
                               stored: StoredFile) -> tuple[InspectionPhoto, bool]:
    """Record a stored photo for the inspection; the same photo again is the same record.
    Returns the record and whether it is new."""
    check_photo_upload(task, who)
    existing = await repository.inspection_photo(uow.session, task.id, stored.sha256)
    if existing is not None:
        return existing, False
    if len(await repository.inspection_photos(uow.session, task.id)) >= MAX_INSPECTION_PHOTOS:
        raise FieldError("file", "too_many_photos")
    photo = InspectionPhoto(task_id=task.id, sha256=stored.sha256, size=stored.size,
                            content_type=stored.content_type, uploaded_by=who.actor)
    uow.session.add(photo)
    return photo, True


async def check_inspection_photos(uow: UnitOfWork, task: Task, outcome: object,
                                  who: Principal) -> None:
    """An inspection's outcome names only photos uploaded for that inspection."""
    if not isinstance(outcome, InspectionOutcome) or not outcome.photos:
        return
    uploaded = {p.sha256 for p in await repository.inspection_photos(uow.session, task.id)}
    if any(photo not in uploaded for photo in outcome.photos):
        raise FieldError("outcome.photos", "photo_not_uploaded")


# -- office activity --------------------------------------------------------------------

async def report_activity(uow: UnitOfWork, office: Office, license_: License,
                          report: OfficeActivityReport, *, actor: str, today: dt.date
                          ) -> OfficeActivity:
    """Record an office's services for a Jalali month; a later report for the month
    replaces the earlier one.

    A month with services moves the office's last activity to that month's last day (today
    for the current month), never backwards: reporting an old month late, or a month
    without services, does not make an idle office look active."""
    if (report.year, report.month) > jalali_month(today):
        raise FieldError("month", "activity_month_in_future")
    now = utcnow()
    row = await repository.activity_for_month(uow.session, office.id, report.year,
                                              report.month)
    if row is None:
        row = OfficeActivity(office_id=office.id, year=report.year, month=report.month,
                             service_count=report.service_count, reported_by=actor,
                             reported_at=now)
    else:
        row.service_count, row.reported_by, row.reported_at = report.service_count, actor, now
    uow.session.add(row)
    if report.service_count > 0:
        day = min(today, jalali_month_end(report.year, report.month))
        if office.last_activity_on is None or day > office.last_activity_on:
            office.last_activity_on = day
            office.updated_at = now
            uow.session.add(office)
    uow.publish(
        OfficeActivityReported(
            office_id=office.id, license_number=license_.number, county=office.county,
            year=report.year, month=report.month, service_count=report.service_count,
            reported_by=actor, reported_at=now,
        ),
        correlation_id=f"office-{office.id}",
    )
    return row


# -- supervision reviews ----------------------------------------------------------------

FINDING_REASONS: tuple[ReviewReason, ...] = ("failed_inspection", "operator_not_holder")
# of two sanctions recommended for one review, the heavier stands
_SEVERITY = {"warning": 1, "suspension": 2, "revocation": 3}


async def _open_review(uow: UnitOfWork, office: Office, license_: License, *,
                       reasons: list[ReviewReason], details: dict[str, str],
                       recommended: str | None = None, sweep_id: str | None = None,
                       message_id: str | None = None) -> Review:
    """Open a review and announce it. Two openings for one office at once: the unique
    open-review index lets one commit; the other is retried and finds it open."""
    now = utcnow()
    review = Review(
        office_id=office.id, open_office_id=office.id, license_number=license_.number or "",
        county=office.county, reasons=list(reasons), details=dict(details),
        recommended=recommended, sweep_id=sweep_id, opened_at=now,
        # unique beyond this database: it names the review's workflow on a shared Temporal
        case_id=f"review-{uuid.uuid4().hex}",
    )
    uow.session.add(review)
    await uow.session.flush()
    uow.publish(
        ReviewOpened(
            review_id=str(review.id), case_id=review.case_id, office_id=office.id,
            office_name=office.name, license_number=review.license_number,
            county=office.county, holder_national_code=license_.holder_national_code,
            holder_name=license_.holder_name, holder_mobile=license_.holder_mobile,
            reasons=list(reasons), details=dict(details),
            recommended=recommended,  # type: ignore[arg-type]
            opened_at=now,
        ),
        correlation_id=review.case_id, message_id=message_id,
    )
    return review


def _sweep_message_id(sweep_id: str, office_id: str) -> str:
    """The same sweep and office always give the same id: a re-run publishes nothing new
    (the outbox's unique message id and every consumer's inbox see to that)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"pishkhan:review-opened:{sweep_id}:{office_id}").hex


async def sweep(uow: UnitOfWork, command: SweepOffices) -> list[Review]:
    """Open one review, with all its reasons, for every office that needs one as of
    ``command.as_of`` and has none open.

    Only what happened since the office's last decided review counts: a decision dealt
    with what came before it. An active license is reviewed for idleness too; a suspended
    one (not working anyway) only for complaints and findings. ``as_of`` is the clock, so a
    schedule run late or a time-skipped test sees the day it means."""
    session = uow.session
    today = local_date(command.as_of)
    already = await repository.offices_reviewed_by_sweep(session, command.sweep_id)
    decided = await repository.last_decided(session)
    upheld: dict[str, list[dt.datetime]] = defaultdict(list)
    since = command.as_of - dt.timedelta(days=command.lookback_days)
    for office_id, at in await repository.upheld_since(session, since):
        upheld[office_id].append(at)
    findings: dict[str, list[tuple[str, dt.datetime]]] = defaultdict(list)
    for office_id, kind, at in await repository.open_office_findings(session, FINDING_REASONS):
        findings[office_id].append((kind, at))

    opened: list[Review] = []
    for candidate in await repository.sweep_candidates(session):
        office, license_ = candidate.office, candidate.license
        if office.id in already:
            continue
        last = decided.get(office.id)

        def since_last(at: dt.datetime, last: dt.datetime | None = last) -> bool:
            return last is None or at > last

        reasons: list[ReviewReason] = []
        details: dict[str, str] = {}
        if license_.status == "active":
            reference = max(d for d in (office.last_activity_on, local_date(license_.issued_at),
                                        local_date(last) if last else None) if d is not None)
            idle = (today - reference).days
            if idle > command.idle_days:
                reasons.append("idle")
                details["idle_days"] = str(idle)
                if office.last_activity_on:
                    details["last_activity_on"] = office.last_activity_on.isoformat()
        count = sum(1 for at in upheld.get(office.id, ()) if since_last(at))
        if count >= command.upheld_threshold:
            reasons.append("upheld_complaints")
            details["upheld_complaints"] = str(count)
        for kind in FINDING_REASONS:
            n = sum(1 for k, at in findings.get(office.id, ()) if k == kind and since_last(at))
            if n:
                reasons.append(kind)
                details[kind] = str(n)
        if reasons:
            opened.append(await _open_review(
                uow, office, license_, reasons=reasons, details=details,
                sweep_id=command.sweep_id,
                message_id=_sweep_message_id(command.sweep_id, office.id)))
    return opened


async def complaint_resolved(uow: UnitOfWork, event: ComplaintResolved) -> Review | None:
    """Keep the office's upheld complaints as the complaint's last resolution says, and put
    a recommended sanction before a review: a new one, or the one already open."""
    session = uow.session
    row = await session.get(UpheldComplaint, event.complaint_id)
    if not event.resolution.upheld:
        if row is not None:  # reopened and resolved again, this time not upheld
            await session.delete(row)
        return None
    if row is None:
        row = UpheldComplaint(complaint_id=event.complaint_id, office_id=event.office_id,
                              upheld_at=event.resolved_at)
    else:
        row.office_id, row.upheld_at = event.office_id, event.resolved_at
    session.add(row)

    kind = event.resolution.sanction_recommended
    if kind == "none":
        return None
    found = await repository.registry_office(session, event.office_id)
    if found is None or found[1].status not in ("active", "suspended"):
        # nothing left to sanction (revoked or expired meanwhile), or an office unknown here
        log.warning("no review for complaint %s: office %s has no license in force",
                    event.tracking_code, event.office_id)
        return None
    office, license_ = found
    review = await repository.open_review(session, office.id)
    if review is None:
        return await _open_review(uow, office, license_, reasons=["complaint_sanction"],
                                  details={"complaint_tracking_code": event.tracking_code},
                                  recommended=kind)
    # a review is under way: the complaint joins it (new objects, so the JSON columns are
    # seen to change)
    if "complaint_sanction" not in review.reasons:
        review.reasons = [*review.reasons, "complaint_sanction"]
    codes = [c for c in review.details.get("complaint_tracking_code", "").split(",") if c]
    if event.tracking_code not in codes:
        codes.append(event.tracking_code)
    review.details = {**review.details, "complaint_tracking_code": ",".join(codes)}
    if _SEVERITY[kind] > _SEVERITY.get(review.recommended or "", 0):
        review.recommended = kind
    session.add(review)
    return review


async def _review(uow: UnitOfWork, review_id: str) -> Review:
    found = await repository.review(uow.session, review_id)
    if found is None:
        raise LicenseRefused("unknown_review", review_id)
    return found


def _decided(review: Review) -> ReviewDecided:
    assert review.case_id and review.decision and review.decided_at
    return ReviewDecided(
        review_id=str(review.id), case_id=review.case_id, license_number=review.license_number,
        decision=review.decision,  # type: ignore[arg-type]
        applied=bool(review.applied), refusal=review.refusal,
        suspended_until=review.suspended_until, decided_at=review.decided_at,
    )


async def decide_review(uow: UnitOfWork, command: DecideReview, *, today: dt.date
                        ) -> ReviewDecided:
    """Apply the officer's decision to the license and close the review.

    A license that cannot take it (revoked or expired meanwhile) leaves the decision
    unapplied, with the reason; the review closes all the same, and ReviewDecided is always
    published, so the workflow waiting for it never waits forever. Asked again for a
    decided review, it changes nothing and answers as the first time."""
    review = await _review(uow, command.review_id)
    assert review.case_id is not None
    if review.status == "decided":
        answer = _decided(review)
        uow.publish(answer, correlation_id=review.case_id)
        return answer
    if command.decision == "suspension" and command.suspension_days is None:
        raise LicenseRefused("suspension_days_required", review.case_id)
    reason = command.reason or f"supervision review {review.case_id}"
    suspended_until: dt.date | None = None
    applied, refusal = True, None
    try:
        number = review.license_number
        if command.decision == "warning":
            await warn(uow, number, actor=command.actor, reason=reason, case_id=review.case_id)
        elif command.decision == "suspension":
            assert command.suspension_days is not None
            suspended_until = today + dt.timedelta(days=command.suspension_days)
            await suspend(uow, number, actor=command.actor, reason=reason,
                          case_id=review.case_id)
        elif command.decision == "revocation":
            await revoke(uow, number, actor=command.actor, reason=reason,
                         case_id=review.case_id)
    except LicenseRefused as exc:
        applied, refusal, suspended_until = False, exc.code, None
    review.status = "decided"
    review.open_office_id = None
    review.decision = command.decision
    review.suspension_days = command.suspension_days
    review.suspended_until = suspended_until
    review.decision_reason = command.reason
    review.decided_by = command.actor
    review.decided_at = utcnow()
    review.applied, review.refusal = applied, refusal
    uow.session.add(review)
    answer = _decided(review)
    uow.publish(answer, correlation_id=review.case_id)
    return answer


async def reinstate_after_review(uow: UnitOfWork, command: ReinstateLicense
                                 ) -> LicenseEvent | None:
    """Lift a review's suspension at its end, if that review still holds the license
    suspended; if it was lifted, replaced by a later suspension, revoked or expired
    meanwhile, there is nothing to do."""
    license_, _ = await _license(uow, command.license_number)
    assert license_.id is not None
    if license_.status != "suspended":
        return None
    last = await repository.last_suspension(uow.session, license_.id)
    if last is None or last.case_id != command.case_id:
        return None
    return await reinstate(uow, command.license_number, actor="system", reason=command.reason,
                           case_id=command.case_id)


async def suspended_until(session: AsyncSession, license_: License) -> dt.date | None:
    """When the license's suspension ends, if a review suspended it (a suspension without
    one has no set end)."""
    if license_.status != "suspended" or license_.id is None:
        return None
    last = await repository.last_suspension(session, license_.id)
    if last is None or not last.case_id:
        return None
    review = await repository.review_by_case(session, last.case_id)
    return review.suspended_until if review is not None else None


def answer_review(uow: UnitOfWork, review: Review, text: str) -> Review:
    """The holder's written answer, while the review is open; a later answer replaces the
    earlier one (the officer decides on the last word), and each is announced."""
    if review.status != "open":
        raise FieldError("review", "review_closed", status_code=409)
    assert review.case_id is not None
    review.answer = text
    review.answered_at = utcnow()
    uow.session.add(review)
    uow.publish(ReviewAnswered(review_id=str(review.id), case_id=review.case_id, text=text,
                               answered_at=review.answered_at),
                correlation_id=review.case_id)
    return review
