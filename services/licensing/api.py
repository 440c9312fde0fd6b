"""HTTP routes of licensing: licenses and their history, findings, and the public part
(registry of offices, the verify page, the certificate) that needs no sign-in."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from services.contracts.counties import COUNTIES_BY_CODE, GILAN_COUNTIES, CountyCode
from services.kit.auth import Principal, current_principal, forbid, require_roles
from services.licensing import documents, repository
from services.licensing.models import (
    AreaCounts,
    CountySummary,
    Finding,
    FindingPublic,
    License,
    LicenseEventPublic,
    LicensePublic,
    Office,
    OfficePage,
    RegistryOffice,
    RegistryPage,
    Verification,
)
from services.licensing.persian import license_number as normalize_number
from services.licensing.persian import local_today
from services.licensing.settings import LicensingSettings

router = APIRouter(prefix="/licenses", tags=["licenses"])

# staff who may read the history of their county's licenses
HISTORY_ROLES = ("licensing_officer", "supervisor", "inspector")


def _settings(request: Request) -> LicensingSettings:
    settings: LicensingSettings = request.app.state.settings
    return settings


def _directorate(request: Request) -> documents.Directorate:
    settings = _settings(request)
    return documents.Directorate(fa=settings.directorate_fa, en=settings.directorate_en)


def _public(license_: License, office: Office) -> LicensePublic:
    return LicensePublic(
        number=license_.number or "", status=license_.status,
        application_id=license_.application_id, holder_name=license_.holder_name,
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
    if row is None:
        raise HTTPException(404, "office not found")
    office, license_ = row
    base = _settings(request).public_base_url.rstrip("/")
    number = license_.number or ""
    return OfficePage(
        **_registry_item(office, license_), opening_hours=office.opening_hours,
        services=office.services, manager_name=office.manager_name,
        issued_at=license_.issued_at, last_activity_on=office.last_activity_on,
        verify_url=documents.verify_url(base, number),
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
    return documents.verification(wanted, row, local_today())


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
