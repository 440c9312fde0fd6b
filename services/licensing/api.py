"""HTTP routes of licensing: licenses and their history, findings, offices' activity
reports, supervision reviews, and the public part (registry of offices, the verify page,
the certificate) that needs no sign-in."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Depends,
    File,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import IntegrityError

from services.contracts.counties import COUNTIES_BY_CODE, GILAN_COUNTIES, CountyCode
from services.kit.auth import Principal, current_principal, forbid, require_roles
from services.kit.errors import FieldError
from services.kit.storage import UploadRejected, inspect_upload
from services.kit.tasks import Page, Task, TaskError, TaskModule
from services.kit.uow import UnitOfWork
from services.licensing import documents, repository, service
from services.licensing.metrics import LicensingMetrics
from services.licensing.models import (
    AreaCounts,
    CountySummary,
    Finding,
    FindingPublic,
    InspectionPhotoPublic,
    License,
    LicenseEventPublic,
    LicensePublic,
    Office,
    OfficeActivity,
    OfficeActivityPublic,
    OfficeActivityReport,
    OfficePage,
    RegistryOffice,
    RegistryPage,
    Review,
    ReviewAnswer,
    ReviewPublic,
    Verification,
)
from services.licensing.persian import license_number as normalize_number
from services.licensing.persian import local_today
from services.licensing.settings import LicensingSettings

router = APIRouter(prefix="/licenses", tags=["licenses"])

# staff who may read the history of their county's licenses
HISTORY_ROLES = ("licensing_officer", "supervisor", "inspector")
# staff who may read their county's offices' activity and supervision reviews
SUPERVISION_ROLES = ("licensing_officer", "supervisor")
# staff who may see their county's inspection photos (besides whoever may see the task)
PHOTO_ROLES = ("inspector", "licensing_officer", "supervisor")

def _is_holder(who: Principal, license_: License) -> bool:
    """The license holder signs in as an applicant with their national code."""
    return who.has("applicant") and who.sub == license_.holder_national_code


def _county_staff(who: Principal, county: str, roles: tuple[str, ...]) -> bool:
    return who.has("admin") or (who.has(*roles) and who.county == county)


def _settings(request: Request) -> LicensingSettings:
    settings: LicensingSettings = request.app.state.settings
    return settings


def _directorate(request: Request) -> documents.Directorate:
    settings = _settings(request)
    return documents.Directorate(fa=settings.directorate_fa, en=settings.directorate_en)


def _public(license_: License, office: Office) -> LicensePublic:
    return LicensePublic(
        number=license_.number or "", status=license_.status, office_id=office.id,
        office_name=office.name, application_id=license_.application_id, holder_name=license_.holder_name,
        county=office.county, area=office.area, address=office.address,
        issued_at=license_.issued_at, valid_until=license_.valid_until,
    )


@router.get("", response_model=list[LicensePublic])
async def list_licenses(
    request: Request,
    application_id: str | None = None,
    county: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> list[LicensePublic]:
    async with request.app.state.runtime.uow() as uow:
        rows = await repository.licenses(uow.session, application_id=application_id,
                                         county=county, limit=limit, offset=offset)
    return [_public(lic, off) for lic, off in rows]


@router.get("/mine", response_model=list[LicensePublic])
async def my_licenses(
    request: Request, who: Annotated[Principal, Depends(require_roles("applicant"))],
) -> list[LicensePublic]:
    """The licenses the signed-in applicant holds (their national code is their sub)."""
    async with request.app.state.runtime.uow() as uow:
        rows = await repository.licenses_of_holder(uow.session, who.sub)
    return [_public(lic, off) for lic, off in rows]


@router.get("/{number}", response_model=LicensePublic)
async def get_license(request: Request, number: str) -> LicensePublic:
    async with request.app.state.runtime.uow() as uow:
        row = await repository.license_by_number(uow.session, normalize_number(number))
    if row is None:
        raise HTTPException(404, "license not found")
    return _public(*row)


@router.get("/{number}/certificate.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, 404: {}})
async def certificate(request: Request, number: str) -> Response:
    """The license certificate to hang on the office wall: public, like the license."""
    async with request.app.state.runtime.uow() as uow:
        row = await repository.license_by_number(uow.session, normalize_number(number))
    if row is None:
        raise HTTPException(404, "license not found")
    settings = _settings(request)
    html = documents.certificate_html(*row, today=local_today(),
                                      public_base_url=settings.public_base_url,
                                      directorate=_directorate(request))
    pdf = await asyncio.to_thread(documents.certificate_pdf, html)
    filename = f"license-{row[0].number}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="{filename}"',
                             "cache-control": "no-cache"})


@router.get("/{number}/history", response_model=list[LicenseEventPublic])
async def license_history(request: Request, number: str,
                          who: Annotated[Principal, Depends(current_principal)]
                          ) -> list[LicenseEventPublic]:
    """Every change of the license, oldest first, with the values before and after: for
    its county's staff, an admin, and its holder."""
    async with request.app.state.runtime.uow() as uow:
        row = await repository.license_by_number(uow.session, normalize_number(number))
        license_, office = row if row else (None, None)
        staff = who.has("admin") or (
            office is not None and who.has(*HISTORY_ROLES) and who.county == office.county)
        holder = (license_ is not None and who.national_code is not None
                  and who.national_code == license_.holder_national_code)
        if license_ is None or not (staff or holder):
            # whether a license has a history to read is for those who may read it
            forbid(request, who, "not staff of the county nor the holder", status=404,
                   detail="license not found")
        assert license_ is not None and license_.id is not None
        events = await repository.history(uow.session, license_.id)
    items = [LicenseEventPublic(version=e.version, change=e.change, at=e.at, actor=e.actor,
                                reason=e.reason, case_id=e.case_id,
                                application_id=e.application_id, before=e.before, after=e.after)
             for e in events]
    if not staff:
        items = [_without_others(item, who.national_code or "", license_.holder_mobile)
                 for item in items]
    return items


def _without_others(item: LicenseEventPublic, national_code: str, mobile: str
                    ) -> LicenseEventPublic:
    """A holder reading the history sees who held the license before, by name, but not
    that person's national code or mobile."""
    def clean(values: dict[str, Any]) -> dict[str, Any]:
        out = dict(values)
        if out.get("holder_national_code") not in (None, national_code):
            out["holder_national_code"] = None
        if out.get("holder_mobile") not in (None, mobile):
            out["holder_mobile"] = None
        return out

    return item.model_copy(update={"before": clean(item.before), "after": clean(item.after)})


@router.get("/{number}/reviews", response_model=list[ReviewPublic])
async def license_reviews(request: Request, number: str,
                          who: Annotated[Principal, Depends(current_principal)]
                          ) -> list[ReviewPublic]:
    """The supervision reviews of a license, newest first: for its holder (to answer
    them), its county's licensing staff and an admin."""
    async with request.app.state.runtime.uow() as uow:
        row = await repository.license_by_number(uow.session, normalize_number(number))
        if row is None or not (_is_holder(who, row[0])
                               or _county_staff(who, row[1].county, SUPERVISION_ROLES)):
            forbid(request, who, "not the holder nor staff of the county", status=404,
                   detail="license not found")
        assert row is not None
        items, _ = await repository.reviews(uow.session, county=None, status=None,
                                            license_number=row[0].number, limit=500, offset=0)
    return [_review_public(r) for r in items]


findings_router = APIRouter(prefix="/findings", tags=["findings"])


@findings_router.get("", response_model=list[FindingPublic])
async def list_findings(
    request: Request,
    who: Annotated[Principal, Depends(require_roles("supervisor", "licensing_officer", "admin"))],
    kind: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> list[Finding]:
    county = None if who.has("admin") else who.county
    async with request.app.state.runtime.uow() as uow:
        return await repository.findings(uow.session, county=county, kind=kind, limit=limit,
                                         offset=offset)


# -- offices' activity ------------------------------------------------------------------

offices_router = APIRouter(prefix="/offices", tags=["offices"])


def _activity_public(row: OfficeActivity) -> OfficeActivityPublic:
    return OfficeActivityPublic(office_id=row.office_id, year=row.year, month=row.month,
                                service_count=row.service_count, reported_by=row.reported_by,
                                reported_at=row.reported_at)


@offices_router.post("/{office_id}/activity", response_model=OfficeActivityPublic)
async def report_activity(request: Request, office_id: str, body: OfficeActivityReport,
                          who: Annotated[Principal, Depends(current_principal)]
                          ) -> OfficeActivityPublic:
    """The office's number of services in a Jalali month, from its license holder (or an
    admin entering a paper report); reporting a month again replaces its figure."""
    async with request.app.state.runtime.uow() as uow:
        row = await repository.registry_office(uow.session, office_id)
        if row is None:
            raise HTTPException(404, "office not found")
        office, license_ = row
        if not (_is_holder(who, license_) or who.has("admin")):
            forbid(request, who, "only the license holder reports the office's activity")
        report = await service.report_activity(uow, office, license_, body, actor=who.actor,
                                               today=local_today())
        await uow.commit()
    metrics: LicensingMetrics = request.app.state.metrics
    metrics.activity_reports.labels(office.county).inc()
    return _activity_public(report)


@offices_router.get("/{office_id}/activity", response_model=list[OfficeActivityPublic])
async def office_activity(
    request: Request, office_id: str, who: Annotated[Principal, Depends(current_principal)],
    limit: int = Query(default=24, ge=1, le=240), offset: int = Query(default=0, ge=0),
) -> list[OfficeActivityPublic]:
    """The office's monthly reports, latest month first."""
    async with request.app.state.runtime.uow() as uow:
        row = await repository.registry_office(uow.session, office_id)
        if row is None or not (_is_holder(who, row[1])
                               or _county_staff(who, row[0].county, SUPERVISION_ROLES)):
            forbid(request, who, "not the holder nor staff of the county", status=404,
                   detail="office not found")
        rows = await repository.activity(uow.session, office_id, limit=limit, offset=offset)
    return [_activity_public(r) for r in rows]


# -- supervision reviews ----------------------------------------------------------------

reviews_router = APIRouter(prefix="/reviews", tags=["reviews"])


def _review_public(review: Review) -> ReviewPublic:
    return ReviewPublic(
        id=str(review.id), case_id=review.case_id or "", office_id=review.office_id,
        license_number=review.license_number, county=review.county,
        reasons=list(review.reasons), details=dict(review.details),
        recommended=review.recommended, status=review.status, opened_at=review.opened_at,
        answer=review.answer, answered_at=review.answered_at, decision=review.decision,
        suspension_days=review.suspension_days, suspended_until=review.suspended_until,
        decision_reason=review.decision_reason, decided_by=review.decided_by,
        decided_at=review.decided_at, applied=review.applied, refusal=review.refusal,
    )


@reviews_router.get("", response_model=Page[ReviewPublic])
async def list_reviews(
    request: Request,
    who: Annotated[Principal, Depends(require_roles(*SUPERVISION_ROLES, "admin"))],
    status: Literal["open", "decided"] | None = None,
    county: CountyCode | None = None,
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0),
) -> Page[ReviewPublic]:
    """Reviews, newest first: an admin's of any county, staff's of their own county."""
    if not who.has("admin"):
        if who.county is None:
            forbid(request, who, "no county on the token")
        if county is not None and county != who.county:
            forbid(request, who, f"county {county} is not theirs")
        county = who.county  # type: ignore[assignment]
    async with request.app.state.runtime.uow() as uow:
        items, total = await repository.reviews(uow.session, county=county, status=status,
                                                limit=limit, offset=offset)
    return Page[ReviewPublic](items=[_review_public(r) for r in items], total=total,
                              limit=limit, offset=offset)


async def _visible_review(request: Request, uow: UnitOfWork, review_id: str, who: Principal
                          ) -> tuple[Review, bool]:
    """The review and whether the caller holds its license; 404 to anyone who may not see
    it (whether a review exists is private to those who may)."""
    review = await repository.review(uow.session, review_id)
    holder = False
    if review is not None:
        row = await repository.license_by_number(uow.session, review.license_number)
        holder = row is not None and _is_holder(who, row[0])
    if review is None or not (holder or _county_staff(who, review.county, SUPERVISION_ROLES)):
        forbid(request, who, "not the holder nor staff of the county", status=404,
               detail="review not found")
    assert review is not None
    return review, holder


@reviews_router.get("/{review_id}", response_model=ReviewPublic)
async def get_review(request: Request, review_id: str,
                     who: Annotated[Principal, Depends(current_principal)]) -> ReviewPublic:
    async with request.app.state.runtime.uow() as uow:
        review, _ = await _visible_review(request, uow, review_id, who)
    return _review_public(review)


@reviews_router.post("/{review_id}/answer", response_model=ReviewPublic)
async def answer_review(request: Request, review_id: str, body: ReviewAnswer,
                        who: Annotated[Principal, Depends(current_principal)]) -> ReviewPublic:
    """The holder's written answer before the decision; answering again replaces it."""
    async with request.app.state.runtime.uow() as uow:
        review, holder = await _visible_review(request, uow, review_id, who)
        if not holder:
            forbid(request, who, "only the license holder answers a review")
        service.answer_review(uow, review, body.text)
        await uow.commit()
    return _review_public(review)


# -- photos of site inspections ---------------------------------------------------------

photos_router = APIRouter(prefix="/tasks", tags=["tasks"])


def _refused(request: Request, who: Principal, exc: TaskError) -> None:
    if exc.status in (403, 404):
        forbid(request, who, exc.detail, status=exc.status, detail=exc.detail)
    raise HTTPException(exc.status, exc.detail) from exc


async def _inspection(request: Request, uow: UnitOfWork, task_id: str, who: Principal) -> Task:
    """The site inspection, to those who may see it or its county's inspections; 404 to
    anyone else (whether a task exists is private to those who may see it)."""
    task = await uow.session.get(Task, task_id)
    tasks: TaskModule = request.app.state.tasks
    if task is None or task.kind != "site_inspection" or not (
            tasks.may_see(task, who) or _county_staff(who, task.county, PHOTO_ROLES)):
        forbid(request, who, "not one who may see this inspection", status=404,
               detail="task not found")
    assert task is not None
    return task


@photos_router.post("/{task_id}/photos", status_code=201, response_model=InspectionPhotoPublic,
                    responses={200: {"description": "The same photo, uploaded before"}})
async def upload_inspection_photo(
    request: Request, response: Response, task_id: str,
    who: Annotated[Principal, Depends(current_principal)],
    file: Annotated[UploadFile, File()],
) -> InspectionPhotoPublic:
    """A photo of the site, from the inspector who holds the inspection: JPEG or PNG (read
    from the content). The answer's ``photo`` is what the outcome's ``photos`` name."""
    settings = _settings(request)
    data = await file.read(settings.max_photo_bytes + 1)
    async with request.app.state.runtime.uow() as uow:
        task = await _inspection(request, uow, task_id, who)
        try:
            service.check_photo_upload(task, who)
        except TaskError as exc:
            _refused(request, who, exc)
        try:
            content_type = inspect_upload(data, max_bytes=settings.max_photo_bytes,
                                          allowed=service.PHOTO_TYPES)
        except UploadRejected as exc:
            code = "photo_type_not_allowed" if exc.code == "file_type_not_allowed" else exc.code
            raise FieldError("file", code, status_code=413 if code == "file_too_large"
                             else 422) from exc
        stored = await request.app.state.photos.put(data, content_type)
        photo, new = await service.add_inspection_photo(uow, task, who, stored)
        try:
            await uow.commit()
        except IntegrityError:  # the same photo, sent twice at once: the other one recorded it
            await uow.session.rollback()
            new = False
    if not new:
        response.status_code = 200
    return InspectionPhotoPublic.of(photo)


@photos_router.get("/{task_id}/photos", response_model=list[InspectionPhotoPublic])
async def inspection_photos(request: Request, task_id: str,
                            who: Annotated[Principal, Depends(current_principal)]
                            ) -> list[InspectionPhotoPublic]:
    """The photos uploaded for the inspection, in the order they came."""
    async with request.app.state.runtime.uow() as uow:
        task = await _inspection(request, uow, task_id, who)
        rows = await repository.inspection_photos(uow.session, task.id)
    return [InspectionPhotoPublic.of(r) for r in rows]


@photos_router.get("/{task_id}/photos/{sha256}", response_class=Response,
                   responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
async def inspection_photo(request: Request, task_id: str, sha256: str,
                           who: Annotated[Principal, Depends(current_principal)]) -> Response:
    async with request.app.state.runtime.uow() as uow:
        task = await _inspection(request, uow, task_id, who)
        row = await repository.inspection_photo(uow.session, task.id, sha256)
    if row is None:
        raise HTTPException(404, "photo not found")
    data = await request.app.state.photos.get(row.sha256)
    extension = "png" if row.content_type == "image/png" else "jpg"
    return Response(data, media_type=row.content_type, headers={
        "content-disposition": f'inline; filename="{row.sha256}.{extension}"',
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
        "cache-control": "private, no-store",
    })


# -- the public registry ----------------------------------------------------------------

registry_router = APIRouter(prefix="/registry", tags=["public registry"])


def _registry_item(office: Office, license_: License) -> dict[str, Any]:
    county = COUNTIES_BY_CODE.get(office.county)
    return {
        "office_id": office.id, "code": office.code, "name": office.name,
        "county": office.county, "county_fa": county.name_fa if county else office.county,
        "county_en": county.name_en if county else office.county, "area": office.area,
        "address": office.address, "status": office.status,
        "license_number": license_.number or "", "license_status": license_.status,
        "holder_name": license_.holder_name, "valid_until": license_.valid_until,
    }


@registry_router.get("/offices", response_model=RegistryPage)
async def search_offices(
    request: Request,
    county: CountyCode | None = None,
    area: Literal["urban", "rural"] | None = None,
    status: Literal["active", "inactive", "suspended", "revoked", "expired", "all"] = Query(
        default="active",
        description="active: offices at work with a license in force; inactive: offices "
                    "not at work (under review) whose license is in force; suspended, "
                    "revoked, expired: by the license's state; all"),
    name: str | None = Query(default=None, max_length=100,
                             description="part of the office's or the holder's name"),
    number: str | None = Query(default=None, max_length=30, description="a license number"),
    limit: int = Query(default=20, ge=1, le=100),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> RegistryPage:
    """Offices by county, area, status, name or license number, by county and name."""
    f = repository.RegistryFilter(county=county, area=area, status=status, name=name,
                                  number=number)
    async with request.app.state.runtime.uow() as uow:
        rows, total = await repository.registry_search(uow.session, f, limit=limit, offset=offset)
    return RegistryPage(items=[RegistryOffice(**_registry_item(o, lic)) for o, lic in rows],
                        total=total, limit=limit, offset=offset)


@registry_router.get("/offices/{office_id}", response_model=OfficePage)
async def office_page(request: Request, office_id: str) -> OfficePage:
    async with request.app.state.runtime.uow() as uow:
        row = await repository.registry_office(uow.session, office_id)
        until = await service.suspended_until(uow.session, row[1]) if row else None
    if row is None:
        raise HTTPException(404, "office not found")
    office, license_ = row
    base = _settings(request).public_base_url.rstrip("/")
    number = license_.number or ""
    return OfficePage(
        **_registry_item(office, license_), opening_hours=office.opening_hours,
        services=office.services, manager_name=office.manager_name,
        issued_at=license_.issued_at, last_activity_on=office.last_activity_on,
        suspended_until=until, verify_url=documents.verify_url(base, number),
        certificate_url=f"{base}/licenses/{number}/certificate.pdf",
    )


@registry_router.get("/counties", response_model=list[CountySummary])
async def counties(request: Request) -> list[CountySummary]:
    """Gilan's counties with the number of active offices in each, urban and rural."""
    async with request.app.state.runtime.uow() as uow:
        counts = await repository.active_offices_by_county(uow.session)
    out = []
    for county in GILAN_COUNTIES:
        urban, rural = counts.get((county.code, "urban"), 0), counts.get((county.code, "rural"), 0)
        out.append(CountySummary(code=county.code, name_fa=county.name_fa,
                                 name_en=county.name_en,
                                 active_offices=AreaCounts(urban=urban, rural=rural,
                                                           total=urban + rural)))
    return out


# -- verification ---------------------------------------------------------------------

verify_router = APIRouter(prefix="/verify", tags=["public registry"])

_PAGE_HEADERS = {
    # an answer about a license must be today's, and the page loads nothing from anywhere
    "cache-control": "no-cache",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
    "x-content-type-options": "nosniff",
}


async def _verify(request: Request, number: str) -> Verification:
    wanted = normalize_number(number)
    async with request.app.state.runtime.uow() as uow:
        row = await repository.license_by_number(uow.session, wanted)
        until = await service.suspended_until(uow.session, row[0]) if row else None
    return documents.verification(wanted, row, local_today(), suspended_until=until)


@verify_router.get("/{number}.json", response_model=None)
async def verify_json(request: Request, number: str) -> JSONResponse:
    result = await _verify(request, number)
    return JSONResponse(result.model_dump(mode="json"), status_code=200 if result.found else 404,
                        headers={"cache-control": "no-cache"})


@verify_router.get("/{number}", response_class=HTMLResponse, response_model=None,
                   responses={404: {"content": {"text/html": {}}}})
async def verify_page(request: Request, number: str,
                      format: Literal["html", "json"] = "html") -> Response:
    """Is this license genuine and in force? For a citizen reading a certificate's QR code."""
    if format == "json":
        return await verify_json(request, number)
    result = await _verify(request, number)
    html = documents.verify_page(result, _directorate(request))
    return HTMLResponse(html, status_code=200 if result.found else 404, headers=_PAGE_HEADERS)
