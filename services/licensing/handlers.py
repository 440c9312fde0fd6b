"""Bus subscribers of licensing."""

from __future__ import annotations

from typing import Any

from services.contracts import routing
from services.contracts.complaints import ComplaintResolved
from services.contracts.envelope import Envelope
from services.contracts.licensing import (
    AssessRenewal,
    DecideReview,
    ExpireLicense,
    IssueLicense,
    LicenseChangeRefused,
    ReinstateLicense,
    RelocateOffice,
    RenewLicense,
    SweepOffices,
    TransferLicense,
)
from services.kit.bus import Reject
from services.kit.db import utcnow
from services.kit.http import Runtime
from services.kit.uow import UnitOfWork, idempotent
from services.licensing import service
from services.licensing.persian import local_today
from services.licensing.settings import LicensingSettings


def register(runtime: Runtime, settings: LicensingSettings) -> None:
    async def on_issue(uow: UnitOfWork, _envelope: Envelope, command: IssueLicense) -> None:
        await service.issue_license(uow, command, validity_years=settings.license_validity_years)

    async def on_lifecycle(uow: UnitOfWork, envelope: Envelope, command: Any) -> None:
        """One queue for the rest of a license's life; the payload's type says what to do."""
        try:
            if isinstance(command, RenewLicense):
                await service.renew(uow, command, term_years=settings.license_validity_years,
                                    grace_days=settings.renewal_grace_days, today=local_today())
            elif isinstance(command, TransferLicense):
                await service.transfer(uow, command)
            elif isinstance(command, RelocateOffice):
                await service.relocate(uow, command)
            elif isinstance(command, ExpireLicense):
                await service.expire(uow, command)
            elif isinstance(command, AssessRenewal):
                await service.assess_renewal(uow, command,
                                             lookback_days=settings.complaint_lookback_days)
            elif isinstance(command, ReinstateLicense):
                await service.reinstate_after_review(uow, command)
            else:  # pragma: no cover - the subscription binds only these
                raise Reject("unexpected_command", envelope.type)
        except service.LicenseRefused as exc:
            if isinstance(command, RenewLicense | TransferLicense | RelocateOffice | AssessRenewal):
                # the case waiting for this change is told, and ends with the reason; the
                # rules refuse before they change anything, so only the refusal commits
                uow.publish(LicenseChangeRefused(
                    application_id=command.application_id, case_id=command.case_id,
                    license_number=command.license_number, command=envelope.type,
                    code=exc.code, detail=exc.detail or None, refused_at=utcnow(),
                ), correlation_id=command.case_id, causation_id=envelope.message_id)
                return
            raise Reject(exc.code, exc.detail) from exc

    async def on_supervision(uow: UnitOfWork, envelope: Envelope, command: Any) -> None:
        """The schedule's sweeps and the officers' decisions on reviews."""
        try:
            if isinstance(command, SweepOffices):
                await service.sweep(uow, command)
            elif isinstance(command, DecideReview):
                await service.decide_review(uow, command, today=local_today())
            else:  # pragma: no cover - the subscription binds only these
                raise Reject("unexpected_command", envelope.type)
        except service.LicenseRefused as exc:
            raise Reject(exc.code, exc.detail) from exc

    async def on_complaint(uow: UnitOfWork, envelope: Envelope, event: Any) -> None:
        if not isinstance(event, ComplaintResolved):  # pragma: no cover - bound to one type
            raise Reject("unexpected_event", envelope.type)
        await service.complaint_resolved(uow, event)

    bus = runtime.bus
    for subscription, handler in ((routing.LICENSING_ISSUE, on_issue),
                                  (routing.LICENSING_LIFECYCLE, on_lifecycle),
                                  (routing.LICENSING_SUPERVISION, on_supervision),
                                  (routing.LICENSING_COMPLAINTS, on_complaint)):
        bus.subscribe(subscription, idempotent(bus.queue_name(subscription), runtime.uow, handler))
