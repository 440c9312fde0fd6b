"""Business rules of applications. Never commits: the caller's unit of work does."""

from __future__ import annotations

from services.applications import repository
from services.applications.models import Application, ApplicationCreate, TimelineEntry
from services.contracts.applications import Applicant, ApplicationStatusChanged, ApplicationSubmitted
from services.kit.db import utcnow
from services.kit.uow import UnitOfWork


class ApplicationNotFound(Exception):
    pass


async def submit(uow: UnitOfWork, data: ApplicationCreate) -> Application:
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
            actor=f"applicant:{data.national_code}", occurred_at=now,
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
                application_id=application.id, seq=event.seq, status=event.status,
                step=event.step, actor=event.actor, note=event.note,
                occurred_at=event.occurred_at,
            )
        )
    if event.seq > application.status_seq:
        application.status_seq = event.seq
        application.status = event.status
        application.awaiting = event.awaiting
        application.updated_at = utcnow()
        if event.license_number:
            application.license_number = event.license_number
        if event.status == "rejected":
            application.decision_reason = event.note
        uow.session.add(application)
