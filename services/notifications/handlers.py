"""Bus subscribers of notifications."""

from __future__ import annotations

from services.contracts import routing
from services.contracts.envelope import Envelope
from services.contracts.notifications import NotificationRequested
from services.kit.bus import Reject
from services.kit.http import Runtime
from services.kit.uow import UnitOfWork, idempotent
from services.notifications import service
from services.notifications.dispatch import Dispatcher
from services.notifications.metrics import NotificationsMetrics
from services.notifications.models import FINAL, PENDING, Delivery
from services.notifications.rendering import Renderer, Unrenderable


def register(runtime: Runtime, *, renderer: Renderer, dispatcher: Dispatcher,
             metrics: NotificationsMetrics) -> None:
    subscription = routing.NOTIFICATIONS_REQUESTS
    consumer = runtime.bus.queue_name(subscription)

    async def on_request(envelope: Envelope, request: NotificationRequested) -> None:
        recorded: list[Delivery] = []

        async def record(uow: UnitOfWork, envelope: Envelope,
                         request: NotificationRequested) -> None:
            try:
                recorded.extend(await service.accept(uow, request, renderer=renderer,
                                                     message_id=envelope.message_id))
            except Unrenderable as exc:
                raise Reject("unrenderable", str(exc)) from exc

        await idempotent(consumer, runtime.uow, record)(envelope, request)
        # committed: count what is settled already, and wake the dispatcher for the rest
        for delivery in recorded:
            if delivery.status in FINAL:
                metrics.deliveries.labels(delivery.channel, delivery.status).inc()
        if any(delivery.status == PENDING for delivery in recorded):
            dispatcher.nudge()

    runtime.bus.subscribe(subscription, on_request)
