"""HTTP routes of complaints: thin, they authorise, call the service and shape the reply.

The public routes (filing, tracking, rating, reopening, attachments) need no sign-in: the
tracking code and the complainant's mobile together stand for the complainant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError

from services.complaints import messages, repository, service
from services.complaints.metrics import ComplaintMetrics
from services.complaints.models import (
    AttachmentPublic,
    Complaint,
    ComplaintCreate,
    ComplaintDetail,
    ComplaintFiledReply,
    ComplaintSummary,
    OfficeAnswer,
    OfficeComplaint,
    PublicResolution,
    PublicTimelineEntry,
    RatingCreate,
    RatingPublic,
    ReopenRequest,
    TimelineEntryPublic,
    TrackingView,
)
from services.complaints.settings import ComplaintsSettings
from services.contracts.complaints import ComplaintCategory, ComplaintChannel, ComplaintStatus
from services.contracts.types import Mobile
from services.kit.auth import Principal, current_principal, forbid, require_roles
from services.kit.errors import FieldError
from services.kit.storage import UploadRejected, display_name, download, inspect_upload
from services.kit.tasks import Page
from services.kit.uow import UnitOfWork

router = APIRouter(prefix="/complaints", tags=["complaints"])
office_router = APIRouter(prefix="/office", tags=["office"])

Staff = Annotated[Principal, Depends(require_roles(*service.STAFF_ROLES))]
Operator = Annotated[Principal, Depends(require_roles("operator_195"))]
Holder = Annotated[Principal, Depends(require_roles("applicant"))]
Who = Annotated[Principal, Depends(current_principal)]

# staff-only steps (reminders, escalations) stay off the complainant's timeline
PUBLIC_TIMELINE_KINDS = frozenset({"filed", "status", "inspection", "reopen_requested",
                                   "office_answered"})


# -- errors -------------------------------------------------------------------------------

async def refused_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, service.Refused)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return JSONResponse(status_code=exc.status,
                        content=messages.body(exc.code, exc.field, **exc.values),
                        headers=headers)


async def field_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """The kit's FieldError, worded from this service's catalogue first."""
    assert isinstance(exc, FieldError)
    return JSONResponse(status_code=exc.status_code, content=messages.body(exc.code, exc.field))


def _settings(request: Request) -> ComplaintsSettings:
    settings: ComplaintsSettings = request.app.state.settings
    return settings


def client_address(request: Request) -> str:
    """The caller's address: X-Forwarded-For counts only from a proxy uvicorn trusts (its
    FORWARDED_ALLOW_IPS setting), which has already put it here."""
    return (request.client.host if request.client else "unknown")[:45]


# -- filing ------------------------------------------------------------------------------

def _check_form(body: ComplaintCreate) -> None:
    """What the schema alone cannot say: a fee complaint names the amount and the service."""
    if body.category != "fee_above_tariff":
        return
    missing = [name for name in ("amount_charged", "service_name") if getattr(body, name) is None]
    if missing:
        raise RequestValidationError([
            {"type": "missing", "loc": ("body", name), "msg": "Field required", "input": None}
            for name in missing])


async def _file(request: Request, body: ComplaintCreate, *, channel: str,
                filed_by: str | None, address: str | None) -> ComplaintFiledReply:
    _check_form(body)
    async with request.app.state.runtime.uow() as uow:
        complaint = await service.file(uow, body, _settings(request), channel=channel,
                                       filed_by=filed_by, client_address=address)
        await uow.commit()
    metrics: ComplaintMetrics = request.app.state.complaint_metrics
    metrics.filed.labels(channel, complaint.category).inc()
    return ComplaintFiledReply(complaint_id=complaint.id, tracking_code=complaint.tracking_code,
                               status=complaint.status)  # type: ignore[arg-type]


@router.post("", status_code=201, response_model=ComplaintFiledReply,
             responses={429: {"description": "too many complaints from this mobile or address"}})
async def file_complaint(request: Request, body: ComplaintCreate) -> ComplaintFiledReply:
    """The public web form: no sign-in."""
    return await _file(request, body, channel="web", filed_by=None,
                       address=client_address(request))


@router.post("/phone", status_code=201, response_model=ComplaintFiledReply,
             responses={429: {"description": "too many complaints from this mobile"}})
async def file_phone_complaint(request: Request, body: ComplaintCreate, who: Operator
                               ) -> ComplaintFiledReply:
    """A 195 operator files for a caller; throttled by the caller's mobile alone, since all
    operators call from the same place."""
    return await _file(request, body, channel="phone_195", filed_by=who.sub, address=None)


# -- the complainant ----------------------------------------------------------------------

async def _complainant_case(request: Request, uow: UnitOfWork, tracking_code: str,
                            mobile: str) -> Complaint:
    complaint = await service.find_for_complainant(
        uow, _settings(request), tracking_code=tracking_code, mobile=mobile,
        client_address=client_address(request))
    if complaint is None:
        await uow.commit()  # the miss counts against the caller's address
        raise service.not_found()
    return complaint


async def _tracking(uow: UnitOfWork, complaint: Complaint, settings: ComplaintsSettings
                    ) -> TrackingView:
    entries = await repository.timeline(uow.session, complaint.id)
    rating = (await repository.rating(uow.session, complaint.id, complaint.resolution_round)
              if complaint.resolution_round else None)
    resolution = None
    if complaint.resolution is not None:
        # the officer's name and any sanction recommended stay inside
        resolution = PublicResolution(
            upheld=complaint.resolution["upheld"], summary=complaint.resolution["summary"],
            refund_ordered=complaint.resolution.get("refund_ordered", False),
            refund_amount=complaint.resolution.get("refund_amount"))
    return TrackingView(
        tracking_code=complaint.tracking_code, status=complaint.status,
        category=complaint.category, office_name=complaint.office_name,
        license_number=complaint.license_number, filed_at=complaint.filed_at,
        timeline=[PublicTimelineEntry(kind=e.kind, status=e.status, step=e.step, note=e.note,
                                      occurred_at=e.occurred_at)
                  for e in entries if e.kind in PUBLIC_TIMELINE_KINDS],
        resolution=resolution,
        rating=RatingPublic.model_validate(rating, from_attributes=True) if rating else None,
        can_rate=await service.rating_refusal(uow, complaint) is None,
        can_reopen=service.reopen_refusal(complaint, settings) is None,
        reopen_until=(service.reopen_deadline(complaint, settings)
                      if complaint.resolution_round else None),
    )


@router.get("/track/{tracking_code}", response_model=TrackingView,
            responses={404: {"description": "no such code with this mobile"},
                       429: {"description": "too many failed look-ups from this address"}})
async def track(request: Request, tracking_code: str, mobile: Annotated[Mobile, Query()]
                ) -> TrackingView:
    async with request.app.state.runtime.uow() as uow:
        complaint = await _complainant_case(request, uow, tracking_code, mobile)
        return await _tracking(uow, complaint, _settings(request))


@router.post("/track/{tracking_code}/rating", response_model=TrackingView)
async def rate(request: Request, tracking_code: str, body: RatingCreate) -> TrackingView:
    async with request.app.state.runtime.uow() as uow:
        complaint = await _complainant_case(request, uow, tracking_code, body.mobile)
        await service.rate(uow, complaint, body.rating, body.comment)
        try:
            await uow.commit()
        except IntegrityError as exc:  # the same rating sent twice at once
            raise service.Refused(409, "already_rated") from exc
        return await _tracking(uow, complaint, _settings(request))


@router.post("/track/{tracking_code}/reopen", status_code=202, response_model=TrackingView)
async def reopen(request: Request, tracking_code: str, body: ReopenRequest) -> TrackingView:
    settings = _settings(request)
    async with request.app.state.runtime.uow() as uow:
        complaint = await _complainant_case(request, uow, tracking_code, body.mobile)
        await service.reopen(uow, complaint, body.reason, settings)
        try:
            await uow.commit()
        except IntegrityError as exc:  # two requests at once: the outbox kept the first
            raise service.Refused(409, "reopen_already_requested") from exc
        return await _tracking(uow, complaint, settings)


@router.post("/track/{tracking_code}/attachments", status_code=201,
             response_model=AttachmentPublic)
async def add_attachment(request: Request, tracking_code: str,
                         mobile: Annotated[Mobile, Form()],
                         file: Annotated[UploadFile, File()]) -> AttachmentPublic:
    settings = _settings(request)
    data = await file.read(settings.max_attachment_bytes + 1)
    try:
        content_type = inspect_upload(data, max_bytes=settings.max_attachment_bytes)
    except UploadRejected as exc:
        raise FieldError("file", exc.code, status_code=413 if exc.code == "file_too_large"
                         else 422) from exc
    async with request.app.state.runtime.uow() as uow:
        complaint = await _complainant_case(request, uow, tracking_code, mobile)
        stored = await request.app.state.files.put(data, content_type)
        attachment = await service.add_attachment(uow, complaint, stored,
                                                  display_name(file.filename), settings)
        await uow.commit()
        return AttachmentPublic.model_validate(attachment, from_attributes=True)


# -- staff --------------------------------------------------------------------------------

@router.get("", response_model=Page[ComplaintSummary])
async def list_complaints(
    request: Request, who: Staff,
    status: ComplaintStatus | None = None, category: ComplaintCategory | None = None,
    county: str | None = None, channel: ComplaintChannel | None = None,
    limit: int = Query(default=50, ge=1, le=200), offset: int = Query(default=0, ge=0),
) -> Page[ComplaintSummary]:
    if who.county is not None and not who.has("admin"):
        if county not in (None, who.county):
            return Page[ComplaintSummary](items=[], total=0, limit=limit, offset=offset)
        county = who.county  # a county's officer sees their county's complaints
    async with request.app.state.runtime.uow() as uow:
        rows, total = await repository.page(uow.session, status=status, category=category,
                                            county=county, channel=channel, limit=limit,
                                            offset=offset)
    return Page[ComplaintSummary](
        items=[ComplaintSummary.model_validate(c, from_attributes=True) for c in rows],
        total=total, limit=limit, offset=offset)


async def _staff_case(request: Request, uow: UnitOfWork, complaint_id: str, who: Principal
                      ) -> Complaint:
    complaint = await repository.get(uow.session, complaint_id)
    if complaint is None or not service.may_see(complaint, who):
        forbid(request, who, "not a complaint this caller handles", status=404,
               detail="complaint not found")
    assert complaint is not None
    return complaint


@router.get("/{complaint_id}", response_model=ComplaintDetail)
async def get_complaint(request: Request, complaint_id: str, who: Staff) -> ComplaintDetail:
    async with request.app.state.runtime.uow() as uow:
        complaint = await _staff_case(request, uow, complaint_id, who)
        data: dict[str, Any] = complaint.model_dump()
        return ComplaintDetail(
            **data, case_id=complaint.case_id,
            attachments=[AttachmentPublic.model_validate(a, from_attributes=True)
                         for a in await repository.attachments(uow.session, complaint.id)],
            timeline=[TimelineEntryPublic.model_validate(e, from_attributes=True)
                      for e in await repository.timeline(uow.session, complaint.id)],
            ratings=[RatingPublic.model_validate(r, from_attributes=True)
                     for r in await repository.ratings(uow.session, complaint.id)],
        )


@router.get("/{complaint_id}/attachments/{attachment_id}")
async def download_attachment(request: Request, complaint_id: str, attachment_id: str,
                              who: Staff) -> Response:
    async with request.app.state.runtime.uow() as uow:
        await _staff_case(request, uow, complaint_id, who)
        attachment = await repository.attachment(uow.session, complaint_id, attachment_id)
    if attachment is None:
        raise HTTPException(404, "attachment not found")
    data = await request.app.state.files.get(attachment.sha256)
    return download(data, content_type=attachment.content_type, file_id=attachment.id,
                    original_name=attachment.original_name)


# -- the office's license holder ----------------------------------------------------------

def _office_view(complaint: Complaint) -> OfficeComplaint:
    return OfficeComplaint(
        **complaint.model_dump(include={
            "id", "tracking_code", "status", "category", "office_name", "license_number",
            "description", "amount_charged", "service_name", "filed_at",
            "office_response_due", "office_response", "office_response_at"}),
        can_answer=service.answer_refusal(complaint) is None,
    )


@office_router.get("/complaints", response_model=list[OfficeComplaint])
async def office_complaints(request: Request, who: Holder,
                            limit: int = Query(default=50, ge=1, le=200),
                            offset: int = Query(default=0, ge=0)) -> list[OfficeComplaint]:
    """Complaints about the offices whose licenses the caller holds; not who made them."""
    async with request.app.state.runtime.uow() as uow:
        rows = await repository.about_offices_of(uow.session, who.sub, limit=limit,
                                                 offset=offset)
    return [_office_view(c) for c in rows]


@router.post("/{complaint_id}/response", response_model=OfficeComplaint)
async def answer(request: Request, complaint_id: str, body: OfficeAnswer, who: Who
                 ) -> OfficeComplaint:
    async with request.app.state.runtime.uow() as uow:
        complaint = await repository.get(uow.session, complaint_id)
        if complaint is None or not await service.is_holder(uow, complaint, who):
            # a complaint about someone else's office does not exist for the caller
            forbid(request, who, "not the office's license holder", status=404,
                   detail="complaint not found")
        assert complaint is not None
        await service.answer(uow, complaint, who, body.text)
        await uow.commit()
        return _office_view(complaint)
