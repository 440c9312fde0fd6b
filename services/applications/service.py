"""Business rules of applications. Never commits: the caller's unit of work does."""

from __future__ import annotations

from services.applications import repository
from services.applications.models import (
    Application,
    ApplicationCreate,
    Document,
    LicenseView,
    NewHolder,
    TimelineEntry,
)
from services.contracts.applications import (
    FINAL_STATUSES,
    REQUIRED_DOCUMENTS_BY_KIND,
    WITHDRAWABLE_STATUSES,
    Applicant,
    ApplicationConsented,
    ApplicationCorrected,
    ApplicationStatusChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
)
from services.contracts.licensing import LicenseChanged
from services.kit.auth import Principal
from services.kit.db import utcnow
from services.kit.errors import FieldError
from services.kit.storage import StoredFile
from services.kit.uow import UnitOfWork

STAFF_ROLES = ("clerk", "inspector", "licensing_officer", "supervisor")
# while these hold, the applicant may still add or replace documents
UPLOAD_STATUSES = frozenset(
    {"submitted", "awaiting_consent", "document_review", "correction_requested"})


class ApplicationNotFound(Exception):
    pass


class Conflict(Exception):
    """The case is not in a state that allows this; the reply is 409."""


def may_see(application: Application, who: Principal) -> bool:
    if who.has("admin"):
        return True
    if is_owner(application, who) or is_new_holder(application, who):
        return True
    return who.county == application.county and who.has(*STAFF_ROLES)


def is_owner(application: Application, who: Principal) -> bool:
    return who.has("applicant") and who.national_code == application.national_code


def is_new_holder(application: Application, who: Principal) -> bool:
    return (who.has("applicant") and application.new_holder_national_code is not None
            and who.national_code == application.new_holder_national_code)


async def submit(uow: UnitOfWork, data: ApplicationCreate, who: Principal) -> Application:
    if data.national_code != who.national_code:
        raise FieldError("national_code", "national_code_not_yours", status_code=403)
    application = Application(
        kind="new_license",
        national_code=data.national_code,
        applicant_name=data.name,
        mobile=data.mobile,
        email=str(data.email) if data.email else None,
        language=data.language,
        county=data.county,
        area=data.area,
        address=data.address,
    )
    return await _open(uow, application, who)


async def open_license_case(uow: UnitOfWork, who: Principal, kind: str, license_number: str, *,
                            county: str | None = None, address: str | None = None,
                            new_holder: NewHolder | None = None) -> Application:
    """A holder's renewal, transfer or change of address of a license they hold."""
    view = await repository.license_view(uow.session, license_number)
    if view is None or view.holder_national_code != who.national_code:
        raise FieldError("license_number", "license_not_yours")
    if view.status != "active":
        raise FieldError("license_number", "license_not_active", status_code=409)
    if kind == "address_change" and county != view.county:
        # a move to another county is a new license there, not a change of address
        raise FieldError("county", "county_must_match")
    if new_holder is not None and new_holder.national_code == who.national_code:
        raise FieldError("new_holder.national_code", "transfer_to_self")
    if await repository.open_case_for_license(uow.session, license_number, kind):
        raise FieldError("license_number", "case_already_open", status_code=409)
    application = Application(
        kind=kind,
        national_code=view.holder_national_code,
        applicant_name=view.holder_name,
        mobile=view.holder_mobile,
        county=view.county,
        area=view.area,
        address=address or view.address,
        license_number=license_number,
        awaiting="new_holder" if new_holder else "clerk",
    )
    if new_holder is not None:
        application.new_holder_national_code = new_holder.national_code
        application.new_holder_name = new_holder.name
        application.new_holder_mobile = new_holder.mobile
        application.new_holder_email = str(new_holder.email) if new_holder.email else None
        application.new_holder_language = new_holder.language
    return await _open(uow, application, who)


async def _open(uow: UnitOfWork, application: Application, who: Principal) -> Application:
    now = utcnow()
    application.created_at = application.updated_at = now
    application.awaiting = application.awaiting or "clerk"
    uow.session.add(application)
    await uow.session.flush()  # the timeline entry points at the application row
    uow.session.add(
        TimelineEntry(
            application_id=application.id, seq=0, status="submitted", step="submission",
            actor=who.actor, occurred_at=now,
        )
    )
    new_holder = None
    if application.new_holder_national_code:
        new_holder = Applicant(
            national_code=application.new_holder_national_code,
            name=application.new_holder_name or "", mobile=application.new_holder_mobile or "",
            email=application.new_holder_email,
            language=application.new_holder_language or "fa",  # type: ignore[arg-type]
        )
    uow.publish(
        ApplicationSubmitted(
            application_id=application.id,
            case_id=application.case_id,
            kind=application.kind,  # type: ignore[arg-type]
            applicant=Applicant(
                national_code=application.national_code, name=application.applicant_name,
                mobile=application.mobile, email=application.email,
                language=application.language,  # type: ignore[arg-type]
            ),
            county=application.county,
            area=application.area,  # type: ignore[arg-type]
            address=application.address,
            submitted_at=now,
            license_number=application.license_number,
            new_holder=new_holder,
        ),
        correlation_id=application.case_id,
    )
    return application


async def consent(uow: UnitOfWork, application: Application, who: Principal) -> None:
    """The new holder of a transfer agrees to take the license on."""
    if not is_new_holder(application, who):
        raise PermissionError("only the named new holder consents")
    if application.consented_at or application.status in FINAL_STATUSES \
            or application.withdrawal_requested_at:
        raise Conflict("no consent is awaited on this case")
    now = utcnow()
    application.consented_at = now
    application.awaiting = "clerk"
    uow.session.add(application)
    uow.publish(
        ApplicationConsented(application_id=application.id, case_id=application.case_id,
                             national_code=who.national_code or "", consented_at=now),
        correlation_id=application.case_id,
    )


async def record_license(uow: UnitOfWork, event: LicenseChanged) -> None:
    """Keep the newest state of each license; a late older event changes nothing."""
    snapshot = event.license
    view = await uow.session.get(LicenseView, snapshot.number)
    if view is not None and view.version >= snapshot.version:
        return
    view = view or LicenseView(number=snapshot.number, status=snapshot.status,
                               holder_national_code=snapshot.holder_national_code,
                               holder_name=snapshot.holder_name,
                               holder_mobile=snapshot.holder_mobile, county=snapshot.county,
                               area=snapshot.area, address=snapshot.address,
                               valid_until=snapshot.valid_until, version=snapshot.version)
    for field in ("status", "holder_national_code", "holder_name", "holder_mobile", "county",
                  "area", "address", "valid_until", "version"):
        setattr(view, field, getattr(snapshot, field))
    uow.session.add(view)


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
    if not (is_owner(application, who) or is_new_holder(application, who)):
        raise PermissionError("only the applicant uploads documents")
    if application.status not in UPLOAD_STATUSES or application.withdrawal_requested_at:
        raise Conflict("documents can no longer be changed on this case")
    if document_type not in REQUIRED_DOCUMENTS_BY_KIND[application.kind]:
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
