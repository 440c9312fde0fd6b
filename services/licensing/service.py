"""Business rules of licensing. Never commits: the caller's unit of work does."""

from __future__ import annotations

import datetime as dt

from services.contracts.counties import GILAN_COUNTIES
from services.contracts.licensing import IssueLicense, LicenseIssued
from services.contracts.tasks import InspectionOutcome
from services.kit.auth import Principal
from services.kit.db import utcnow
from services.kit.tasks import Task
from services.kit.uow import UnitOfWork
from services.licensing import repository
from services.licensing.models import Finding, License, Office

_COUNTY_NUMBER = {c.code: i + 1 for i, c in enumerate(GILAN_COUNTIES)}


def license_number(county: str, serial: int) -> str:
    """GL-<county>-<serial>: Gilan, the county's place in the list, a serial unique overall."""
    return f"GL-{_COUNTY_NUMBER.get(county, 0):02d}-{serial:06d}"


async def issue_license(uow: UnitOfWork, command: IssueLicense, *, validity_years: int
                        ) -> License:
    """Create the office and its license; asked again for the same application, it
    returns the license issued the first time and raises no second event."""
    existing = await repository.license_for_application(uow.session, command.application_id)
    if existing is not None:
        return existing
    now = utcnow()
    office = Office(county=command.county, area=command.area, address=command.address,
                    created_at=now)
    uow.session.add(office)
    await uow.session.flush()  # the office row must exist before the license points at it
    license_ = License(
        office_id=office.id,
        application_id=command.application_id,
        holder_national_code=command.holder.national_code,
        holder_name=command.holder.name,
        holder_mobile=command.holder.mobile,
        issued_at=now,
        valid_until=_add_years(now.date(), validity_years),
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
    return license_


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


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
