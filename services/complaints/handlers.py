"""Bus subscribers of complaints: thin, they hand the parsed contract to the service."""

from __future__ import annotations

from services.complaints import service
from services.complaints.metrics import ComplaintMetrics
from services.contracts import routing
from services.contracts.complaints import ComplaintStatusChanged
from services.contracts.envelope import Envelope
from services.contracts.licensing import LicenseChanged
from services.kit.bus import Reject
from services.kit.http import Runtime
from services.kit.uow import UnitOfWork, idempotent


async def on_license_changed(uow: UnitOfWork, _envelope: Envelope, event: LicenseChanged) -> None:
    await service.record_license(uow, event)


def register(runtime: Runtime, metrics: ComplaintMetrics) -> None:
    bus = runtime.bus
    bus.subscribe(routing.COMPLAINTS_LICENSES, idempotent(
        bus.queue_name(routing.COMPLAINTS_LICENSES), runtime.uow, on_license_changed))

    status_queue = bus.queue_name(routing.COMPLAINTS_STATUS)

    async def on_status_changed(envelope: Envelope, event: ComplaintStatusChanged) -> None:
        recorded: list[service.Resolved] = []

        async def fold(uow: UnitOfWork, envelope: Envelope, event: ComplaintStatusChanged
                       ) -> None:
            try:
                resolved = await service.record_status(uow, event, envelope.message_id)
            except service.ComplaintNotFound as exc:
                raise Reject("unknown_complaint", str(exc)) from exc
            if resolved is not None:
                recorded.append(resolved)

        await idempotent(status_queue, runtime.uow, fold)(envelope, event)
        # measured only once committed: a failed commit is redelivered and measured then
        for resolved in recorded:
            metrics.resolution.labels(resolved.category).observe(resolved.seconds)

    bus.subscribe(routing.COMPLAINTS_STATUS, on_status_changed)
