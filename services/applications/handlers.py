"""Bus subscribers of applications: thin, they hand the parsed contract to the service."""

from __future__ import annotations

from services.applications import service
from services.contracts import routing
from services.contracts.applications import ApplicationStatusChanged
from services.contracts.envelope import Envelope
from services.contracts.licensing import LicenseChanged
from services.kit.bus import Reject
from services.kit.http import Runtime
from services.kit.uow import UnitOfWork, idempotent


async def on_status_changed(uow: UnitOfWork, _envelope: Envelope,
                            event: ApplicationStatusChanged) -> None:
    try:
        await service.record_status(uow, event)
    except service.ApplicationNotFound as exc:
        raise Reject("unknown_application", str(exc)) from exc


async def on_license_changed(uow: UnitOfWork, _envelope: Envelope, event: LicenseChanged) -> None:
    await service.record_license(uow, event)


def register(runtime: Runtime) -> None:
    bus = runtime.bus
    for subscription, handler in (
        (routing.APPLICATIONS_STATUS, on_status_changed),
        (routing.APPLICATIONS_LICENSES, on_license_changed),
    ):
        bus.subscribe(subscription, idempotent(bus.queue_name(subscription), runtime.uow, handler))
