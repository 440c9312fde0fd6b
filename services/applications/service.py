"""Business rules of applications. Never commits: the caller's unit of work does."""

from __future__ import annotations

from services.applications import repository
from services.applications.models import Application, ApplicationCreate, Document, TimelineEntry
from services.contracts.applications import (
    REQUIRED_DOCUMENTS,
    WITHDRAWABLE_STATUSES,
    Applicant,
    ApplicationCorrected,
    ApplicationStatusChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
)
from services.kit.auth import Principal
from services.kit.db import utcnow
from services.kit.errors import FieldError
from services.kit.storage import StoredFile
from services.kit.uow import UnitOfWork

STAFF_ROLES = ("clerk", "inspector", "licensing_officer", "supervisor")
# while these hold, the applicant may still add or replace documents
UPLOAD_STATUSES = frozenset({"submitted", "document_review", "correction_requested"})


class ApplicationNotFound(Exception):
    pass


class Conflict(Exception):
    """The case is not in a state that allows this; the reply is 409."""


def may_see(application: Application, who: Principal) -> bool:
    if who.has("admin"):
        return True
    if who.has("applicant") and who.national_code == application.national_code:
        return True
    return who.county == application.county and who.has(*STAFF_ROLES)


def is_owner(application: Application, who: Principal) -> bool:
    return who.has("applicant") and who.national_code == application.national_code


async def submit(uow: UnitOfWork, data: ApplicationCreate, who: Principal) -> Application:
    if data.national_code != who.national_code:
        raise FieldError("national_code", "national_code_not_yours", status_code=403)
    now = utcnow()
    application = Application(
        national_code=data.national_code,
        applicant_name=data.name,
        mobile=data.mobile,
        email=str(data.email) if data.email else None,
        language=data.language,
        county=data.county,
        area=data.area,
        address=data.address,
        created_at=now,
        updated_at=now,
        awaiting="clerk",
    )
    uow.session.add(application)
    await uow.session.flush()  # the timeline entry points at the application row
    uow.session.add(
        TimelineEntry(
            application_id=application.id, seq=0, status="submitted", step="submission",
            actor=who.actor, occurred_at=now,
        )
    )
    uow.publish(
        ApplicationSubmitted(
            application_id=application.id,
            case_id=application.case_id,
            kind="new_license",
            applicant=Applicant(
                national_code=data.national_code, name=data.name, mobile=data.mobile,
                email=data.email, language=data.language,
            ),
            county=data.county,
            area=data.area,
            address=data.address,
            submitted_at=now,
        ),
        correlation_id=application.case_id,
    )
    return application


async def record_status(uow: UnitOfWork, event: ApplicationStatusChanged) -> None:
    """Fold a workflow step into the timeline; the current status follows the highest seq,
    whatever order the events arrive in."""
    application = await repository.get(uow.session, event.application_id)
    if application is None:
        raise ApplicationNotFound(event.application_id)
    if not await repository.has_timeline_entry(uow.session, application.id, event.seq):
        uow.session.add(
            TimelineEntry(
                application_id=application.id, seq=event.seq, kind=event.kind,
                status=event.status, step=event.step, actor=event.actor, note=event.note,
                due_at=event.due_at, occurred_at=event.occurred_at,
            )
        )
    if event.seq > application.status_seq:
        application.status_seq = event.seq
        application.status = event.status
        application.updated_at = utcnow()
        if event.kind == "status":
            application.awaiting = event.awaiting
            application.awaiting_until = event.due_at
        if event.license_number:
            application.license_number = event.license_number
        if event.status == "rejected":
            application.decision_reason = event.note
        if event.status == "correction_requested" and event.kind == "status":
            application.correction_documents = list(event.documents or [])
            application.correction_requested_at = event.occurred_at
            application.correction_submitted_at = None
        uow.session.add(application)


async def add_document(uow: UnitOfWork, application: Application, who: Principal, *,
                       document_type: str, stored: StoredFile, name: str) -> Document:
    if not is_owner(application, who):
        raise PermissionError("only the applicant uploads documents")
    if application.status not in UPLOAD_STATUSES or application.withdrawal_requested_at:
        raise Conflict("documents can no longer be changed on this case")
    if document_type not in REQUIRED_DOCUMENTS:
        raise FieldError("document_type", "document_type_unknown")
    for old in await repository.documents(uow.session, application.id, current_only=True):
        if old.document_type == document_type:
            old.current = False
            uow.session.add(old)
    document = Document(
        application_id=application.id, document_type=document_type, sha256=stored.sha256,
        size=stored.size, content_type=stored.content_type, original_name=name,
        uploaded_by=who.actor,
    )
    uow.session.add(document)
    return document


async def submit_correction(uow: UnitOfWork, application: Application, who: Principal) -> None:
    if not is_owner(application, who):
        raise PermissionError("only the applicant answers a correction request")
    if (application.status != "correction_requested" or application.correction_submitted_at
            or application.withdrawal_requested_at):
        raise Conflict("no correction is awaited on this case")
    since = application.correction_requested_at
    fresh = {
        d.document_type for d in await repository.documents(uow.session, application.id,
                                                            current_only=True)
        if since is None or d.uploaded_at >= since
    }
    missing = [t for t in application.correction_documents if t not in fresh]
    if missing:
        raise FieldError("documents", "correction_documents_missing")
    now = utcnow()
    application.correction_submitted_at = now
    application.awaiting = "clerk"
    uow.session.add(application)
    uow.publish(
        ApplicationCorrected(application_id=application.id, case_id=application.case_id,
                             documents=list(application.correction_documents),
                             corrected_at=now),
        correlation_id=application.case_id,
    )


async def withdraw(uow: UnitOfWork, application: Application, who: Principal,
                   reason: str | None) -> None:
    if not is_owner(application, who):
        raise PermissionError("only the applicant withdraws")
    if application.status not in WITHDRAWABLE_STATUSES or application.withdrawal_requested_at:
        raise Conflict("this case can no longer be withdrawn")
    now = utcnow()
    application.withdrawal_requested_at = now
    uow.session.add(application)
    uow.publish(
        ApplicationWithdrawn(application_id=application.id, case_id=application.case_id,
                             reason=reason, withdrawn_at=now),
        correlation_id=application.case_id,
    )
