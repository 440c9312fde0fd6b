"""Bus subscribers of licensing."""

from __future__ import annotations

from services.contracts import routing
from services.contracts.envelope import Envelope
from services.contracts.licensing import IssueLicense
from services.kit.http import Runtime
from services.kit.uow import UnitOfWork, idempotent
from services.licensing import service


def register(runtime: Runtime, *, validity_years: int) -> None:
    async def on_issue(uow: UnitOfWork, _envelope: Envelope, command: IssueLicense) -> None:
        await service.issue_license(uow, command, validity_years=validity_years)

    bus = runtime.bus
    subscription = routing.LICENSING_ISSUE
    bus.subscribe(subscription, idempotent(bus.queue_name(subscription), runtime.uow, on_issue))
