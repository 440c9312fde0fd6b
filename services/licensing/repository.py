"""Every query of the licensing service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.licensing.models import (
    Finding,
    InspectionPhoto,
    License,
    LicenseEvent,
    Office,
    OfficeActivity,
    Review,
    UpheldComplaint,
)
from services.licensing.persian import license_number as normalize_number
from services.licensing.persian import search_key


async def license_for_application(session: AsyncSession, application_id: str) -> License | None:
    return (await session.exec(select(License).where(License.application_id == application_id))).first()


async def license_by_number(session: AsyncSession, number: str) -> tuple[License, Office] | None:
    row = (
        await session.exec(
            select(License, Office).join(Office, col(Office.id) == col(License.office_id)).where(
                License.number == number)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def licenses(session: AsyncSession, *, application_id: str | None, county: str | None,
                   limit: int, offset: int) -> list[tuple[License, Office]]:
    query = select(License, Office).join(Office, col(Office.id) == col(License.office_id))
    if application_id:
        query = query.where(License.application_id == application_id)
    if county:
        query = query.where(Office.county == county)
    query = query.order_by(col(License.id)).offset(offset).limit(limit)
    return [(lic, off) for lic, off in (await session.exec(query)).all()]


async def licenses_of_holder(session: AsyncSession, national_code: str
                             ) -> list[tuple[License, Office]]:
    query = (select(License, Office).join(Office, col(Office.id) == col(License.office_id))
             .where(License.holder_national_code == national_code).order_by(col(License.id)))
    return [(lic, off) for lic, off in (await session.exec(query)).all()]


async def existing_numbers(session: AsyncSession, numbers: Iterable[str]) -> set[str]:
    wanted = list(numbers)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found.update(n for n in (await session.exec(
            select(License.number).where(col(License.number).in_(chunk)))).all() if n)
    return found


async def next_county_serial(session: AsyncSession, county: str) -> int:
    top = (await session.exec(
        select(func.max(Office.county_serial)).where(Office.county == county))).one()
    return int(top or 0) + 1


# -- history ----------------------------------------------------------------------------

async def history(session: AsyncSession, license_id: int) -> list[LicenseEvent]:
    rows = await session.exec(select(LicenseEvent).where(LicenseEvent.license_id == license_id)
                              .order_by(col(LicenseEvent.version)))
    return list(rows.all())


async def change_for_application(session: AsyncSession, license_id: int, application_id: str,
                                 change: str) -> LicenseEvent | None:
    return (await session.exec(
        select(LicenseEvent).where(LicenseEvent.application_id == application_id,
                                   LicenseEvent.change == change,
                                   LicenseEvent.license_id == license_id))).first()


async def application_ids(session: AsyncSession, license_id: int) -> list[str]:
    rows = await session.exec(
        select(LicenseEvent.application_id).where(
            LicenseEvent.license_id == license_id,
            col(LicenseEvent.application_id).is_not(None)).distinct())
    return [a for a in rows.all() if a]


# -- renewal assessment -----------------------------------------------------------------

async def open_findings(session: AsyncSession, office_id: str, application_ids: list[str]
                        ) -> list[Finding]:
    """Open findings on the office, or on the cases that created or changed its license
    (a new office's inspection finds things before the office has an id)."""
    about = col(Finding.office_id) == office_id
    if application_ids:
        about = or_(about, col(Finding.application_id).in_(application_ids))
    rows = await session.exec(select(Finding).where(about, col(Finding.open).is_(True))
                              .order_by(col(Finding.id)))
    return list(rows.all())


async def upheld_complaints_since(session: AsyncSession, office_id: str, since: dt.datetime
                                  ) -> int:
    return int((await session.exec(
        select(func.count()).select_from(UpheldComplaint).where(
            UpheldComplaint.office_id == office_id,
            col(UpheldComplaint.upheld_at) >= since))).one())


# -- the public registry ----------------------------------------------------------------

@dataclass(frozen=True)
class RegistryFilter:
    county: str | None = None
    area: str | None = None
    status: str = "active"
    name: str | None = None
    number: str | None = None


def _registry_conditions(f: RegistryFilter) -> tuple[list[Any], bool]:
    """The WHERE of a registry search, and whether it needs the license table."""
    conditions: list[Any] = []
    if f.status != "all":
        conditions.append(col(Office.listing) == f.status)
    if f.county:
        conditions.append(col(Office.county) == f.county)
    if f.area:
        conditions.append(col(Office.area) == f.area)
    if f.name and search_key(f.name):
        conditions.append(col(Office.search_name).contains(search_key(f.name), autoescape=True))
    if f.number:
        conditions.append(col(License.number) == normalize_number(f.number))
    return conditions, bool(f.number)


_ORDER = (col(Office.county), col(Office.sort_name), col(Office.id))


async def registry_search(session: AsyncSession, f: RegistryFilter, *, limit: int, offset: int
                          ) -> tuple[list[tuple[Office, License]], int]:
    """A page of offices with their licenses, and the total.

    Everything but a license number is filtered on the office table alone, whose indexes
    hold the order: the page's ids are read off an index (however deep the page), then
    only those offices are joined to their licenses."""
    conditions, needs_license = _registry_conditions(f)
    with_license = col(License.office_id) == col(Office.id)
    ids = select(Office.id)
    counted = select(func.count()).select_from(Office)
    if needs_license:
        ids = ids.join(License, with_license)
        counted = counted.join(License, with_license)
    page = ids.where(*conditions).order_by(*_ORDER).offset(offset).limit(limit).subquery()
    rows = (await session.exec(
        select(Office, License).join(License, with_license)
        .join(page, col(page.c.id) == col(Office.id)).order_by(*_ORDER)
    )).all()
    total = (await session.exec(counted.where(*conditions))).one()
    return [(office, lic) for office, lic in rows], int(total)


async def registry_office(session: AsyncSession, office_id: str) -> tuple[Office, License] | None:
    row = (await session.exec(
        select(Office, License).join(License, col(License.office_id) == col(Office.id))
        .where(Office.id == office_id))).first()
    return (row[0], row[1]) if row else None


async def active_offices_by_county(session: AsyncSession) -> dict[tuple[str, str], int]:
    rows = await session.exec(
        select(Office.county, Office.area, func.count())
        .where(col(Office.listing) == "active")
        .group_by(col(Office.county), col(Office.area)))
    return {(county, area): int(n) for county, area, n in rows.all()}


async def licenses_by_status(session: AsyncSession) -> list[tuple[str, str, str, int]]:
    rows = await session.exec(
        select(License.status, Office.county, Office.area, func.count())
        .join(Office, col(Office.id) == col(License.office_id))
        .group_by(col(License.status), col(Office.county), col(Office.area)))
    return [(status, county, area, int(n)) for status, county, area, n in rows.all()]


async def findings(session: AsyncSession, *, county: str | None, kind: str | None, limit: int,
                   offset: int) -> list[Finding]:
    query = select(Finding)
    if county is not None:
        query = query.where(Finding.county == county)
    if kind:
        query = query.where(Finding.kind == kind)
    rows = await session.exec(query.order_by(col(Finding.id)).offset(offset).limit(limit))
    return list(rows.all())


# -- office activity --------------------------------------------------------------------

async def activity_for_month(session: AsyncSession, office_id: str, year: int, month: int
                             ) -> OfficeActivity | None:
    return (await session.exec(select(OfficeActivity).where(
        OfficeActivity.office_id == office_id, OfficeActivity.year == year,
        OfficeActivity.month == month))).first()


async def activity(session: AsyncSession, office_id: str, *, limit: int, offset: int
                   ) -> list[OfficeActivity]:
    rows = await session.exec(
        select(OfficeActivity).where(OfficeActivity.office_id == office_id)
        .order_by(col(OfficeActivity.year).desc(), col(OfficeActivity.month).desc())
        .offset(offset).limit(limit))
    return list(rows.all())


# -- supervision reviews ----------------------------------------------------------------

async def review(session: AsyncSession, review_id: str) -> Review | None:
    """A review by its id as the bus and the URLs carry it (text); anything that is not
    one of our ids is simply not found."""
    if not review_id.isdigit() or len(review_id) > 9:  # beyond any id, and PostgreSQL's integer
        return None
    return await session.get(Review, int(review_id))


async def open_review(session: AsyncSession, office_id: str) -> Review | None:
    return (await session.exec(
        select(Review).where(Review.open_office_id == office_id))).first()


async def review_by_case(session: AsyncSession, case_id: str) -> Review | None:
    return (await session.exec(select(Review).where(Review.case_id == case_id))).first()


async def reviews(session: AsyncSession, *, county: str | None, status: str | None,
                  license_number: str | None = None, limit: int, offset: int
                  ) -> tuple[list[Review], int]:
    conditions: list[Any] = []
    if county is not None:
        conditions.append(col(Review.county) == county)
    if status:
        conditions.append(col(Review.status) == status)
    if license_number is not None:
        conditions.append(col(Review.license_number) == license_number)
    total = (await session.exec(
        select(func.count()).select_from(Review).where(*conditions))).one()
    rows = await session.exec(select(Review).where(*conditions)
                              .order_by(col(Review.id).desc()).offset(offset).limit(limit))
    return list(rows.all()), int(total)


@dataclass(frozen=True)
class SweepCandidate:
    office: Office
    license: License


async def sweep_candidates(session: AsyncSession) -> list[SweepCandidate]:
    """Offices whose license is active or suspended and that have no open review."""
    rows = await session.exec(
        select(Office, License).join(License, col(License.office_id) == col(Office.id))
        .outerjoin(Review, col(Review.open_office_id) == col(Office.id))
        .where(col(License.status).in_(("active", "suspended")), col(Review.id).is_(None))
        .order_by(col(Office.id)))
    return [SweepCandidate(office, lic) for office, lic in rows.all()]


async def last_decided(session: AsyncSession) -> dict[str, dt.datetime]:
    """Every office's last decided review: what came before it has been dealt with."""
    rows = await session.exec(
        select(Review.office_id, func.max(Review.decided_at))
        .where(Review.status == "decided").group_by(col(Review.office_id)))
    return {office_id: at for office_id, at in rows.all() if at is not None}


async def offices_reviewed_by_sweep(session: AsyncSession, sweep_id: str) -> set[str]:
    rows = await session.exec(select(Review.office_id).where(Review.sweep_id == sweep_id))
    return set(rows.all())


async def upheld_since(session: AsyncSession, since: dt.datetime
                       ) -> list[tuple[str, dt.datetime]]:
    rows = await session.exec(select(UpheldComplaint.office_id, UpheldComplaint.upheld_at)
                              .where(col(UpheldComplaint.upheld_at) >= since))
    return [(office_id, at) for office_id, at in rows.all()]


async def open_office_findings(session: AsyncSession, kinds: Iterable[str]
                               ) -> list[tuple[str, str, dt.datetime]]:
    """(office, kind, found at) of the open findings of these kinds made on an office."""
    rows = await session.exec(
        select(Finding.office_id, Finding.kind, Finding.found_at)
        .where(col(Finding.kind).in_(list(kinds)), col(Finding.open).is_(True),
               col(Finding.office_id).is_not(None)))
    return [(office_id, kind, at) for office_id, kind, at in rows.all() if office_id]


async def last_suspension(session: AsyncSession, license_id: int) -> LicenseEvent | None:
    """The change that suspended the license last: its case is the one that suspended it."""
    return (await session.exec(
        select(LicenseEvent).where(LicenseEvent.license_id == license_id,
                                   LicenseEvent.change == "suspended")
        .order_by(col(LicenseEvent.version).desc()).limit(1))).first()


async def review_facts(session: AsyncSession) -> list[tuple[list[str], str, str | None,
                                                            bool | None]]:
    """(reasons, status, decision, applied) of every review, for the gauges. The reasons are
    a JSON list, which PostgreSQL's json type cannot group by: they are counted here."""
    rows = await session.exec(
        select(Review.reasons, Review.status, Review.decision, Review.applied))
    return [(list(reasons or []), status, decision, applied)
            for reasons, status, decision, applied in rows.all()]


# -- photos of site inspections ---------------------------------------------------------

async def inspection_photos(session: AsyncSession, task_id: str) -> list[InspectionPhoto]:
    rows = await session.exec(select(InspectionPhoto).where(InspectionPhoto.task_id == task_id)
                              .order_by(col(InspectionPhoto.id)))
    return list(rows.all())


async def inspection_photo(session: AsyncSession, task_id: str, sha256: str
                           ) -> InspectionPhoto | None:
    return (await session.exec(select(InspectionPhoto).where(
        InspectionPhoto.task_id == task_id, InspectionPhoto.sha256 == sha256))).first()
