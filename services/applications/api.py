"""HTTP routes of applications: thin, they parse, call the service and shape the reply."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request

from services.applications import repository, service
from services.applications.models import (
    Application,
    ApplicationCreate,
    ApplicationPublic,
    TimelineEntryPublic,
)
from services.contracts.types import NationalCode
from sqlmodel.ext.asyncio.session import AsyncSession

router = APIRouter(prefix="/applications", tags=["applications"])


async def _public(session: AsyncSession, application: Application) -> ApplicationPublic:
    entries = await repository.timeline(session, application.id)
    return ApplicationPublic(
        **application.model_dump(),
        case_id=application.case_id,
        timeline=[TimelineEntryPublic.model_validate(e, from_attributes=True) for e in entries],
    )


@router.post("", status_code=201, response_model=ApplicationPublic)
async def submit_application(request: Request, body: ApplicationCreate) -> ApplicationPublic:
    async with request.app.state.runtime.uow() as uow:
        application = await service.submit(uow, body)
        await uow.commit()
        return await _public(uow.session, application)


@router.get("/{application_id}", response_model=ApplicationPublic)
async def get_application(request: Request, application_id: str) -> ApplicationPublic:
    async with request.app.state.runtime.uow() as uow:
        application = await repository.get(uow.session, application_id)
        if application is None:
            raise HTTPException(404, "application not found")
        return await _public(uow.session, application)


@router.get("", response_model=list[ApplicationPublic])
async def list_applications(
    request: Request,
    national_code: NationalCode,
    limit: int = Query(default=20, ge=1, le=100),
    offset: int = Query(default=0, ge=0),
) -> list[ApplicationPublic]:
    async with request.app.state.runtime.uow() as uow:
        rows = await repository.by_applicant(uow.session, national_code, limit=limit, offset=offset)
        return [await _public(uow.session, a) for a in rows]
