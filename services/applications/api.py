"""HTTP routes of applications: thin, they authorise, call the service and shape the reply."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response

from services.applications import repository, service
from services.applications.models import (
    AddressChangeCreate,
    Application,
    ApplicationCreate,
    ApplicationPublic,
    DocumentPublic,
    LicenseCase,
    TransferCreate,
    Withdrawal,
)
from services.contracts.applications import REQUIRED_DOCUMENTS_BY_KIND
from services.kit.auth import Principal, current_principal, forbid, require_roles
from services.kit.errors import FieldError
from services.kit.storage import UploadRejected, display_name, download, inspect_upload
from services.kit.uow import UnitOfWork

router = APIRouter(prefix="/applications", tags=["applications"])
Who = Annotated[Principal, Depends(current_principal)]


async def _public(uow: UnitOfWork, application: Application) -> ApplicationPublic:
    return ApplicationPublic.build(
        application,
        documents=await repository.documents(uow.session, application.id),
        timeline=await repository.timeline(uow.session, application.id),
        required=list(REQUIRED_DOCUMENTS_BY_KIND[application.kind]),
    )


async def _load(request: Request, uow: UnitOfWork, application_id: str, who: Principal
                ) -> Application:
    application = await repository.get(uow.session, application_id)
    if application is None or not service.may_see(application, who):
        # another person's case does not exist, as far as the caller can tell
        forbid(request, who, "not this caller's case", status=404, detail="application not found")
    assert application is not None
    return application


async def _run(request: Request, who: Principal, action: object) -> None:
    try:
        await action  # type: ignore[misc]
    except PermissionError as exc:
        forbid(request, who, str(exc))
    except service.Conflict as exc:
        raise HTTPException(409, str(exc)) from exc


@router.post("", status_code=201, response_model=ApplicationPublic)
async def submit_application(
    request: Request, body: ApplicationCreate,
    who: Annotated[Principal, Depends(require_roles("applicant"))],
) -> ApplicationPublic:
    async with request.app.state.runtime.uow() as uow:
        application = await service.submit(uow, body, who)
        await uow.commit()
        return await _public(uow, application)


Applicant = Annotated[Principal, Depends(require_roles("applicant"))]


@router.post("/renewal", status_code=201, response_model=ApplicationPublic)
async def apply_for_renewal(request: Request, body: LicenseCase, who: Applicant
                            ) -> ApplicationPublic:
    async with request.app.state.runtime.uow() as uow:
        application = await service.open_license_case(uow, who, "renewal", body.license_number)
        await uow.commit()
        return await _public(uow, application)


@router.post("/transfer", status_code=201, response_model=ApplicationPublic)
async def apply_for_transfer(request: Request, body: TransferCreate, who: Applicant
                             ) -> ApplicationPublic:
    async with request.app.state.runtime.uow() as uow:
        application = await service.open_license_case(
            uow, who, "transfer", body.license_number, new_holder=body.new_holder)
        await uow.commit()
        return await _public(uow, application)


@router.post("/address-change", status_code=201, response_model=ApplicationPublic)
async def apply_for_address_change(request: Request, body: AddressChangeCreate,
                                   who: Applicant) -> ApplicationPublic:
    async with request.app.state.runtime.uow() as uow:
        application = await service.open_license_case(
            uow, who, "address_change", body.license_number, county=body.county,
            address=body.address)
        await uow.commit()
        return await _public(uow, application)


@router.post("/{application_id}/consent", response_model=ApplicationPublic)
async def consent_to_transfer(request: Request, application_id: str, who: Who
                              ) -> ApplicationPublic:
    async with request.app.state.runtime.uow() as uow:
        application = await _load(request, uow, application_id, who)
        await _run(request, who, service.consent(uow, application, who))
        await uow.commit()
        return await _public(uow, application)


@router.get("", response_model=list[ApplicationPublic])
async def list_applications(
    request: Request, who: Who,
    limit: int = Query(default=20, ge=1, le=100),
    offset: int = Query(default=0, ge=0),
) -> list[ApplicationPublic]:
    if who.has("admin"):
        scope = {"national_code": None, "county": None}
    elif who.has(*service.STAFF_ROLES) and who.county:
        scope = {"national_code": None, "county": who.county}
    elif who.has("applicant") and who.national_code:
        scope = {"national_code": who.national_code, "county": None}
    else:
        forbid(request, who, "no cases to list for this role")
    async with request.app.state.runtime.uow() as uow:
        rows = await repository.visible(uow.session, limit=limit, offset=offset, **scope)
        return [await _public(uow, a) for a in rows]


@router.get("/{application_id}", response_model=ApplicationPublic)
async def get_application(request: Request, application_id: str, who: Who) -> ApplicationPublic:
    async with request.app.state.runtime.uow() as uow:
        return await _public(uow, await _load(request, uow, application_id, who))


@router.post("/{application_id}/documents", status_code=201, response_model=DocumentPublic)
async def upload_document(
    request: Request, application_id: str, who: Who,
    document_type: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> DocumentPublic:
    settings = request.app.state.settings
    data = await file.read(settings.max_upload_bytes + 1)
    try:
        content_type = inspect_upload(data, max_bytes=settings.max_upload_bytes)
    except UploadRejected as exc:
        raise FieldError("file", exc.code, status_code=413 if exc.code == "file_too_large"
                         else 422) from exc
    async with request.app.state.runtime.uow() as uow:
        application = await _load(request, uow, application_id, who)
        if not (service.is_owner(application, who) or service.is_new_holder(application, who)):
            forbid(request, who, "only the applicant uploads documents")
        stored = await request.app.state.files.put(data, content_type)
        document = None

        async def add() -> None:
            nonlocal document
            document = await service.add_document(
                uow, application, who, document_type=document_type, stored=stored,
                name=display_name(file.filename))

        await _run(request, who, add())
        await uow.commit()
        return DocumentPublic.model_validate(document, from_attributes=True)


@router.get("/{application_id}/documents/{document_id}")
async def download_document(request: Request, application_id: str, document_id: str,
                            who: Who) -> Response:
    async with request.app.state.runtime.uow() as uow:
        await _load(request, uow, application_id, who)
        document = await repository.document(uow.session, application_id, document_id)
    if document is None:
        raise HTTPException(404, "document not found")
    data = await request.app.state.files.get(document.sha256)
    return download(data, content_type=document.content_type, file_id=document.id,
                    original_name=document.original_name)


@router.post("/{application_id}/corrections", response_model=ApplicationPublic)
async def submit_correction(request: Request, application_id: str, who: Who
                            ) -> ApplicationPublic:
    async with request.app.state.runtime.uow() as uow:
        application = await _load(request, uow, application_id, who)
        await _run(request, who, service.submit_correction(uow, application, who))
        await uow.commit()
        return await _public(uow, application)


@router.post("/{application_id}/withdraw", status_code=202, response_model=ApplicationPublic)
async def withdraw(request: Request, application_id: str, who: Who,
                   body: Withdrawal | None = None) -> ApplicationPublic:
    async with request.app.state.runtime.uow() as uow:
        application = await _load(request, uow, application_id, who)
        await _run(request, who, service.withdraw(uow, application, who,
                                                   body.reason if body else None))
        await uow.commit()
        return await _public(uow, application)
