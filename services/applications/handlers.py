"""Bus subscribers of applications: thin, they hand the parsed contract to the service."""

from __future__ import annotations

from services.applications import service
from services.contracts import routing
from services.contracts.applications import ApplicationStatusChanged
from services.contracts.envelope import Envelope
from services.contracts.tasks import OpenTask
from services.kit import tasks
from services.kit.bus import Reject
from services.kit.http import Runtime
from services.kit.uow import UnitOfWork, idempotent


async def on_open_task(uow: UnitOfWork, _envelope: Envelope, command: OpenTask) -> None:
    if command.kind != "document_review":
        raise Reject("wrong_service", f"applications does not own {command.kind} tasks")
    await tasks.open_task(uow.session, command)


async def on_status_changed(uow: UnitOfWork, _envelope: Envelope,
                            event: ApplicationStatusChanged) -> None:
    try:
        await service.record_status(uow, event)
    except service.ApplicationNotFound as exc:
        raise Reject("unknown_application", str(exc)) from exc


def register(runtime: Runtime) -> None:
    bus = runtime.bus
    for subscription, handler in (
        (routing.APPLICATIONS_TASKS, on_open_task),
        (routing.APPLICATIONS_STATUS, on_status_changed),
    ):
        bus.subscribe(subscription, idempotent(bus.queue_name(subscription), runtime.uow, handler))
