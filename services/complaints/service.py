"""Business rules of complaints. Never commits: the caller's unit of work does."""

from __future__ import annotations

import datetime as dt
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from services.complaints import repository
from services.complaints.models import (
    Attachment,
    Complaint,
    ComplaintCreate,
    LicenseView,
    LookupFailure,
    Rating,
    TimelineEntry,
)
from services.complaints.settings import ComplaintsSettings
from services.contracts.complaints import (
    FINAL_COMPLAINT_STATUSES,
    Complainant,
    ComplaintFiled,
    ComplaintOffice,
    ComplaintReopened,
    ComplaintResolution,
    ComplaintResolved,
    ComplaintStatusChanged,
)
from services.contracts.licensing import LicenseChanged
from services.contracts.types import to_latin_digits
from services.kit.auth import Principal
from services.kit.db import utcnow
from services.kit.errors import FieldError
from services.kit.storage import StoredFile
from services.kit.uow import UnitOfWork

STAFF_ROLES = ("complaints_officer", "admin")
# while the complaint is here the office may answer in writing, until its due time
ANSWER_STATUSES = frozenset({"investigation", "inspection"})
RATEABLE_STATUSES = frozenset({"resolved", "closed"})
# read aloud over the phone: no 0/O, 1/I/L
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_CODE_LENGTH = 10
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


class ComplaintNotFound(Exception):
    pass


class Refused(Exception):
    """A rule says no; rendered as the kit's error body with this service's wording."""

    def __init__(self, status: int, code: str, field: str | None = None, *,
                 retry_after: int | None = None, **values: object) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.field = field
        self.retry_after = retry_after
        self.values = values


def not_found() -> Refused:
    # one answer for an unknown code and for a wrong mobile: the reply tells nothing
    return Refused(404, "complaint_not_found")


def normalize_tracking_code(text: str) -> str:
    return re.sub(r"[\s-]", "", str(to_latin_digits(text))).upper()


def normalize_license_number(text: str) -> str:
    return re.sub(r"\s", "", str(to_latin_digits(text))).upper()


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))


# -- throttling ------------------------------------------------------------------------

def _wait(times: Sequence[dt.datetime], limit: int, window: dt.timedelta, now: dt.datetime
          ) -> int | None:
    """Seconds until one more fits in the window, or None when it fits now."""
    if len(times) < limit:
        return None
    frees_at = times[len(times) - limit] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))


async def check_filing_rate(uow: UnitOfWork, settings: ComplaintsSettings, *, mobile: str,
                            client_address: str | None) -> None:
    """Counted from the database, so every replica sees the same flood."""
    now = utcnow()
    session = uow.session
    by_mobile = await repository.filed_since(session, now - DAY, mobile=mobile)
    waits = [w for w in (
        _wait([t for t in by_mobile if t >= now - HOUR], settings.max_per_mobile_per_hour,
              HOUR, now),
        _wait(by_mobile, settings.max_per_mobile_per_day, DAY, now),
    ) if w is not None]
    if waits:
        raise _too_many("too_many_from_mobile", max(waits), field="mobile")
    if client_address is not None:
        by_address = await repository.filed_since(session, now - HOUR,
                                                  client_address=client_address)
        wait = _wait(by_address, settings.max_per_address_per_hour, HOUR, now)
        if wait is not None:
            raise _too_many("too_many_from_address", wait)


async def check_lookup_rate(uow: UnitOfWork, settings: ComplaintsSettings,
                            client_address: str) -> None:
    now = utcnow()
    failures = await repository.lookup_failures_since(uow.session, client_address, now - HOUR)
    wait = _wait(failures, settings.max_failed_lookups_per_hour, HOUR, now)
    if wait is not None:
        raise _too_many("too_many_lookups", wait)


async def record_lookup_failure(uow: UnitOfWork, client_address: str) -> None:
    now = utcnow()
    # only the last hour counts: older rows are forgotten as new ones come
    await repository.forget_lookup_failures_before(uow.session, now - DAY)
    uow.session.add(LookupFailure(client_address=client_address, at=now))


def _too_many(code: str, wait_seconds: int, field: str | None = None) -> Refused:
    return Refused(429, code, field, retry_after=wait_seconds,
                   minutes=max(1, math.ceil(wait_seconds / 60)))


# -- intake ----------------------------------------------------------------------------

async def office_of(uow: UnitOfWork, data: ComplaintCreate) -> LicenseView:
    if data.license_number:
        view = await repository.license_view(uow.session,
                                             normalize_license_number(data.license_number))
        if view is None:
            raise FieldError("license_number", "office_unknown")
        return view
    if data.office_id:
        view = await repository.license_of_office(uow.session, data.office_id.strip())
        if view is None:
            raise FieldError("office_id", "office_unknown")
        return view
    raise FieldError("license_number", "office_required")


async def file(uow: UnitOfWork, data: ComplaintCreate, settings: ComplaintsSettings, *,
               channel: str, filed_by: str | None, client_address: str | None) -> Complaint:
    """Record the complaint and, in the same transaction, announce it to the workflow."""
    view = await office_of(uow, data)
    await check_filing_rate(uow, settings, mobile=data.mobile, client_address=client_address)
    session = uow.session
    code = new_tracking_code()
    while await repository.tracking_code_taken(session, code):
        code = new_tracking_code()
    now = utcnow()
    complaint = Complaint(
        tracking_code=code, channel=channel, category=data.category, mobile=data.mobile,
        name=data.name, language=data.language, description=data.description.strip(),
        amount_charged=data.amount_charged, service_name=data.service_name,
        filed_by=filed_by, client_address=client_address, office_id=view.office_id,
        license_number=view.number, office_name=view.office_name, county=view.county,
        holder_national_code=view.holder_national_code, filed_at=now, updated_at=now,
    )
    session.add(complaint)
    await session.flush()  # the timeline entry points at the complaint row
    session.add(TimelineEntry(complaint_id=complaint.id, kind="filed", status="received",
                              step="filed", actor=filed_by or "complainant", occurred_at=now))
    uow.publish(
        ComplaintFiled(
            complaint_id=complaint.id, case_id=complaint.case_id, tracking_code=code,
            channel=channel,  # type: ignore[arg-type]
            category=data.category,
            complainant=Complainant(mobile=data.mobile, name=data.name, language=data.language),
            office=ComplaintOffice(
                office_id=view.office_id, license_number=view.number,
                office_name=view.office_name, county=view.county,
                holder_national_code=view.holder_national_code, holder_name=view.holder_name,
                holder_mobile=view.holder_mobile, manager_mobile=view.office_manager_mobile,
            ),
            description=complaint.description, amount_charged=data.amount_charged,
            service_name=data.service_name, filed_by=filed_by, filed_at=now,
        ),
        correlation_id=complaint.case_id,
    )
    return complaint


# -- the complainant, with the tracking code and their mobile -------------------------

async def find_for_complainant(uow: UnitOfWork, settings: ComplaintsSettings, *,
                               tracking_code: str, mobile: str, client_address: str
                               ) -> Complaint | None:
    """The complaint, if the code and the mobile belong together. A miss is recorded against
    the caller's address: the caller commits it before refusing, so it counts."""
    await check_lookup_rate(uow, settings, client_address)
    complaint = await repository.by_tracking_code(uow.session,
                                                  normalize_tracking_code(tracking_code))
    if complaint is None or not secrets.compare_digest(complaint.mobile, mobile):
        await record_lookup_failure(uow, client_address)
        return None
    return complaint


def reopen_deadline(complaint: Complaint, settings: ComplaintsSettings) -> dt.datetime | None:
    if complaint.reopen_until is not None:
        return complaint.reopen_until
    if complaint.resolved_at is not None:
        return complaint.resolved_at + dt.timedelta(days=settings.reopen_days)
    return None


def reopen_refusal(complaint: Complaint, settings: ComplaintsSettings) -> str | None:
    """Why the complainant may not reopen now, or None when they may."""
    if complaint.status != "resolved":
        return "not_reopenable"
    if complaint.reopen_requested_round == complaint.round:
        return "reopen_already_requested"
    deadline = reopen_deadline(complaint, settings)
    if deadline is None or utcnow() > deadline:
        return "reopen_window_passed"
    return None


async def rating_refusal(uow: UnitOfWork, complaint: Complaint) -> str | None:
    if complaint.status not in RATEABLE_STATUSES or complaint.resolution_round == 0:
        return "not_resolved_yet"
    if await repository.rating(uow.session, complaint.id, complaint.resolution_round):
        return "already_rated"
    return None


async def rate(uow: UnitOfWork, complaint: Complaint, rating: int, comment: str | None) -> Rating:
    """One rating per resolution: a reopened complaint's next resolution is rated anew."""
    refusal = await rating_refusal(uow, complaint)
    if refusal is not None:
        raise Refused(409, refusal)
    row = Rating(complaint_id=complaint.id, round=complaint.resolution_round, rating=rating,
                 comment=(comment or "").strip() or None)
    uow.session.add(row)
    return row


async def reopen(uow: UnitOfWork, complaint: Complaint, reason: str,
                 settings: ComplaintsSettings) -> None:
    refusal = reopen_refusal(complaint, settings)
    if refusal is not None:
        raise Refused(409, refusal)
    now = utcnow()
    next_round = complaint.round + 1
    complaint.reopen_requested_round = complaint.round
    complaint.reopen_count += 1
    complaint.updated_at = now
    uow.session.add(complaint)
    uow.session.add(TimelineEntry(complaint_id=complaint.id, kind="reopen_requested",
                                  status=complaint.status, step="reopen_requested",
                                  actor="complainant", round=complaint.round, occurred_at=now))
    uow.publish(
        ComplaintReopened(complaint_id=complaint.id, case_id=complaint.case_id,
                          reason=reason.strip(), round=next_round, reopened_at=now),
        correlation_id=complaint.case_id,
        # two requests racing: the second one's outbox row clashes with the first's
        message_id=f"{complaint.case_id}:reopened:{next_round}",
    )


async def add_attachment(uow: UnitOfWork, complaint: Complaint, stored: StoredFile, name: str,
                         settings: ComplaintsSettings) -> Attachment:
    if complaint.status in FINAL_COMPLAINT_STATUSES:
        raise Refused(409, "complaint_final")
    if await repository.attachment_count(uow.session, complaint.id) >= settings.max_attachments:
        raise Refused(409, "too_many_attachments", "file", limit=settings.max_attachments)
    attachment = Attachment(complaint_id=complaint.id, sha256=stored.sha256, size=stored.size,
                            content_type=stored.content_type, original_name=name)
    uow.session.add(attachment)
    return attachment


# -- the office's license holder --------------------------------------------------------

async def is_holder(uow: UnitOfWork, complaint: Complaint, who: Principal) -> bool:
    """The one who holds the office's license now (a transfer hands the answer on)."""
    if not who.has("applicant"):
        return False
    view = await repository.license_view(uow.session, complaint.license_number)
    holder = view.holder_national_code if view else complaint.holder_national_code
    return who.sub == holder


def answer_refusal(complaint: Complaint) -> str | None:
    if complaint.status not in ANSWER_STATUSES or complaint.office_response_due is None:
        return "answer_not_awaited"
    if utcnow() > complaint.office_response_due:
        return "answer_too_late"
    return None


async def answer(uow: UnitOfWork, complaint: Complaint, who: Principal, text: str) -> None:
    """The office's written answer; a later one replaces the earlier until the due time."""
    refusal = answer_refusal(complaint)
    if refusal is not None:
        raise Refused(409, refusal)
    now = utcnow()
    complaint.office_response = text.strip()
    complaint.office_response_at = now
    complaint.updated_at = now
    uow.session.add(complaint)
    uow.session.add(TimelineEntry(complaint_id=complaint.id, kind="office_answered",
                                  status=complaint.status, step="office_answered",
                                  actor=who.actor, round=complaint.round, occurred_at=now))


# -- staff ------------------------------------------------------------------------------

def may_see(complaint: Complaint, who: Principal) -> bool:
    if who.has("admin"):
        return True
    # complaints officers work province-wide unless their account names a county
    return who.has("complaints_officer") and who.county in (None, complaint.county)


# -- from the bus ------------------------------------------------------------------------

async def record_license(uow: UnitOfWork, event: LicenseChanged) -> None:
    """Keep the newest state of each license; a late older event changes nothing."""
    snapshot = event.license
    view = await uow.session.get(LicenseView, snapshot.number)
    if view is not None and view.version >= snapshot.version:
        return
    view = view or LicenseView(
        number=snapshot.number, office_id=snapshot.office_id, county=snapshot.county,
        area=snapshot.area, status=snapshot.status,
        holder_national_code=snapshot.holder_national_code, holder_name=snapshot.holder_name,
        holder_mobile=snapshot.holder_mobile, version=snapshot.version)
    for name in ("office_id", "office_name", "county", "area", "status", "holder_national_code",
                 "holder_name", "holder_mobile", "office_manager_mobile", "version"):
        setattr(view, name, getattr(snapshot, name))
    uow.session.add(view)


@dataclass(frozen=True)
class Resolved:
    """A resolution recorded for the first time: what the caller measures once committed."""

    category: str
    seconds: float


async def record_status(uow: UnitOfWork, event: ComplaintStatusChanged,
                        causation_id: str | None = None) -> Resolved | None:
    """Fold a workflow step into the timeline. The status follows the highest seq whatever
    order the steps arrive in; a resolution is recorded, and announced, once per round."""
    session = uow.session
    complaint = await repository.get_for_update(session, event.complaint_id)
    if complaint is None:
        raise ComplaintNotFound(event.complaint_id)
    if not await repository.has_timeline_entry(session, complaint.id, event.seq):
        session.add(TimelineEntry(
            complaint_id=complaint.id, seq=event.seq, kind=event.kind, status=event.status,
            step=event.step, actor=event.actor, note=event.note, round=event.round,
            occurred_at=event.occurred_at))
    if event.round > complaint.round:
        complaint.round = event.round
        # a reopened complaint starts over: the last round's deadlines no longer hold
        complaint.office_response_due = None
        complaint.reopen_until = None
    newest = event.seq > complaint.status_seq
    if newest:
        complaint.status_seq = event.seq
        complaint.status = event.status
    if event.round == complaint.round:
        for name in ("office_response_due", "reopen_until", "duplicate_of"):
            value = getattr(event, name)
            if value is not None and (newest or getattr(complaint, name) is None):
                setattr(complaint, name, value)
        if newest and event.status == "resolved" and complaint.resolved_at is None:
            complaint.resolved_at = event.occurred_at
    resolved = None
    if (event.status == "resolved" and event.resolution is not None
            and event.round > complaint.resolution_round):
        resolved = _resolve(uow, complaint, event.resolution, event.round, event.occurred_at,
                            causation_id)
    complaint.updated_at = utcnow()
    session.add(complaint)
    return resolved


def _resolve(uow: UnitOfWork, complaint: Complaint, resolution: ComplaintResolution,
             round_: int, resolved_at: dt.datetime, causation_id: str | None) -> Resolved:
    complaint.resolution = resolution.model_dump(mode="json")
    complaint.resolution_round = round_
    complaint.resolved_at = resolved_at
    uow.publish(
        ComplaintResolved(
            complaint_id=complaint.id, case_id=complaint.case_id,
            tracking_code=complaint.tracking_code, office_id=complaint.office_id,
            license_number=complaint.license_number, county=complaint.county,
            category=complaint.category,  # type: ignore[arg-type]
            round=round_, resolution=resolution, resolved_at=resolved_at,
        ),
        correlation_id=complaint.case_id, causation_id=causation_id,
        # the same resolution redelivered, or sent again by the workflow, is one message
        message_id=f"{complaint.case_id}:resolved:{round_}",
    )
    return Resolved(complaint.category,
                    max(0.0, (resolved_at - complaint.filed_at).total_seconds()))
