"""Bus subscribers of notifications."""

from __future__ import annotations

from collections.abc import Sequence

from services.contracts import routing
from services.contracts.envelope import Envelope
from services.contracts.notifications import NotificationRequested
from services.kit.bus import Reject
from services.kit.http import Runtime
from services.kit.uow import UnitOfWork, idempotent
from services.notifications import service
from services.notifications.channels import Channel
from services.notifications.rendering import Renderer, Unrenderable


def register(runtime: Runtime, *, renderer: Renderer, channels: Sequence[Channel]) -> None:
    async def on_request(uow: UnitOfWork, _envelope: Envelope,
                         request: NotificationRequested) -> None:
        try:
            await service.deliver(uow, request, renderer=renderer, channels=channels)
        except Unrenderable as exc:
            raise Reject("unrenderable", str(exc)) from exc

    subscription = routing.NOTIFICATIONS_REQUESTS
    runtime.bus.subscribe(
        subscription, idempotent(runtime.bus.queue_name(subscription), runtime.uow, on_request)
    )
