"""HTTP routes of licensing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from services.kit.auth import Principal, require_roles
from services.licensing import repository
from services.licensing.models import Finding, FindingPublic, License, LicensePublic, Office

router = APIRouter(prefix="/licenses", tags=["licenses"])


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
        row = await repository.license_by_number(uow.session, number)
    if row is None:
        raise HTTPException(404, "license not found")
    return _public(*row)


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
