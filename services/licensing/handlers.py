"""Bus subscribers of licensing."""

from __future__ import annotations

from services.contracts import routing
from services.contracts.envelope import Envelope
from services.contracts.licensing import IssueLicense
from services.contracts.tasks import OpenTask
from services.kit import tasks
from services.kit.bus import Reject
from services.kit.http import Runtime
from services.kit.uow import UnitOfWork, idempotent
from services.licensing import service

OWNED_TASKS = ("site_inspection", "licensing_decision")


async def on_open_task(uow: UnitOfWork, _envelope: Envelope, command: OpenTask) -> None:
    if command.kind not in OWNED_TASKS:
        raise Reject("wrong_service", f"licensing does not own {command.kind} tasks")
    await tasks.open_task(uow.session, command)


def register(runtime: Runtime, *, validity_years: int) -> None:
    async def on_issue(uow: UnitOfWork, _envelope: Envelope, command: IssueLicense) -> None:
        await service.issue_license(uow, command, validity_years=validity_years)

    bus = runtime.bus
    for subscription, handler in (
        (routing.LICENSING_TASKS, on_open_task),
        (routing.LICENSING_ISSUE, on_issue),
    ):
        bus.subscribe(subscription, idempotent(bus.queue_name(subscription), runtime.uow, handler))
