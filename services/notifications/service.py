"""Business rules of notifications. Never commits: the caller's unit of work does."""

from __future__ import annotations

from collections.abc import Sequence

from services.contracts.notifications import NotificationRequested
from services.kit.uow import UnitOfWork
from services.notifications import repository
from services.notifications.channels import Channel
from services.notifications.models import Delivery
from services.notifications.rendering import Renderer


async def deliver(uow: UnitOfWork, request: NotificationRequested, *, renderer: Renderer,
                  channels: Sequence[Channel]) -> list[Delivery]:
    """Render the notice in fa and en and deliver it on every channel that reaches the
    recipient; a (key, recipient, channel) already delivered is not delivered again."""
    bodies = renderer.render(request.template, request.data)
    recipient = request.recipient
    made = []
    for channel in channels:
        address = channel.address(recipient)
        if address is None:
            continue
        if await repository.delivery_exists(uow.session, request.notification_key, recipient.id,
                                            channel.name):
            continue
        body = bodies[recipient.language]
        outcome = await channel.send(address, body)
        delivery = Delivery(
            notification_key=request.notification_key,
            recipient_id=recipient.id,
            channel=channel.name,
            address=address,
            template=request.template,
            case_id=request.case_id,
            language=recipient.language,
            body=body,
            body_fa=bodies["fa"],
            body_en=bodies["en"],
            status=outcome.status,
        )
        uow.session.add(delivery)
        made.append(delivery)
    return made
