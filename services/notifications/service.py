"""Business rules of notifications. Never commits: the caller's unit of work does."""

from __future__ import annotations

import logging

from services.contracts.notifications import DeliveryCompleted, NotificationRequested, Recipient
from services.kit.db import utcnow
from services.kit.uow import UnitOfWork
from services.notifications import repository
from services.notifications.models import (
    CHANNELS,
    EMAIL,
    FAILED,
    FINAL,
    IN_APP,
    SENT,
    SKIPPED,
    SMS,
    Delivery,
    InboxItem,
    Preference,
    PreferencesUpdate,
)
from services.notifications.rendering import Renderer, Rendition

log = logging.getLogger(__name__)

# Notices the law requires us to serve. They go by SMS whatever the recipient's
# preferences: SMS is the one channel nobody can switch off.
LEGALLY_REQUIRED = frozenset(
    {"decision_made", "application_rejected", "license_issued", "sanction_imposed"}
)


# the size of the body columns; a template with a very long reason is cut, not refused
BODY_LIMIT = 4000
SUBJECT_LIMIT = 300


def address(channel: str, recipient: Recipient) -> str | None:
    """Where this recipient is reached on this channel; None when they are not."""
    if channel == SMS:
        return recipient.mobile
    if channel == EMAIL:
        return str(recipient.email) if recipient.email else None
    return recipient.id if recipient.account else None


def refusal(channel: str, preference: Preference | None) -> str | None:
    """Why a notice must not go to this recipient on this channel, or None. There is no
    opting out of SMS, which is how the legally required notices are served."""
    if channel == SMS or preference is None:
        return None
    if channel == EMAIL and not preference.email:
        return "the recipient opted out of e-mail"
    if channel == IN_APP and not preference.in_app:
        return "the recipient opted out of in-app notices"
    return None


def _content(channel: str, rendition: Rendition) -> str:
    """What the channel carries: the SMS within its budget, the e-mail's plain part with
    the link and signature, the inbox's text."""
    if channel == SMS:
        return rendition.sms
    if channel == EMAIL:
        return rendition.email_text[:BODY_LIMIT]
    return rendition.text[:BODY_LIMIT]


async def accept(uow: UnitOfWork, request: NotificationRequested, *, renderer: Renderer,
                 message_id: str | None = None) -> list[Delivery]:
    """Render the notice in fa and en and record one delivery per channel that reaches the
    recipient; a (key, recipient, channel) recorded before is not recorded again.

    SMS and e-mail wait as pending for the dispatcher, which sends them after this
    transaction. The in-app notice is the inbox item itself, so it is delivered here;
    so is the outcome of a channel the recipient opted out of (skipped)."""
    recipient = request.recipient
    renditions = renderer.render(request.template, request.data)
    preference = await repository.preference(uow.session, recipient.id)
    language = (preference.language if preference and preference.language
                else recipient.language)
    done = await repository.delivered_channels(uow.session, request.notification_key,
                                               recipient.id)
    if recipient.mobile is None and request.template in LEGALLY_REQUIRED:
        log.warning("legally required notice %s for %s has no mobile number to go to",
                    request.notification_key, recipient.id)
    now = utcnow()
    made: list[Delivery] = []
    for channel in CHANNELS:
        where = address(channel, recipient)
        if where is None or channel in done:
            continue
        chosen = renditions[language]
        delivery = Delivery(
            notification_key=request.notification_key,
            recipient_id=recipient.id,
            channel=channel,
            address=where,
            template=request.template,
            case_id=request.case_id,
            language=language,
            subject=chosen.subject[:SUBJECT_LIMIT],
            body=_content(channel, chosen),
            body_fa=_content(channel, renditions["fa"]),
            body_en=_content(channel, renditions["en"]),
            html=chosen.html if channel == EMAIL else None,
            request_message_id=message_id,
            next_attempt_at=now,
        )
        why_not = refusal(channel, preference)
        if why_not is not None:
            delivery.status, delivery.reason, delivery.completed_at = SKIPPED, why_not, now
        elif channel == IN_APP:
            uow.session.add(InboxItem(
                recipient_id=recipient.id, notification_key=request.notification_key,
                template=request.template, case_id=request.case_id, language=language,
                subject=chosen.subject[:SUBJECT_LIMIT], body=chosen.text[:BODY_LIMIT],
                link=chosen.link[:500], created_at=now,
            ))
            delivery.status, delivery.attempts, delivery.completed_at = SENT, 1, now
        uow.session.add(delivery)
        if delivery.status in FINAL:
            announce(uow, delivery)
        made.append(delivery)
    return made


def announce(uow: UnitOfWork, delivery: Delivery) -> None:
    """Stage the delivery's final outcome on the outbox, in the caller's transaction."""
    uow.publish(
        DeliveryCompleted(
            delivery_id=delivery.id,
            notification_key=delivery.notification_key,
            recipient_id=delivery.recipient_id,
            case_id=delivery.case_id,
            template=delivery.template,
            channel=delivery.channel,  # type: ignore[arg-type]
            status=delivery.status,  # type: ignore[arg-type]
            attempts=delivery.attempts,
            reason=delivery.reason if delivery.status in (FAILED, SKIPPED) else None,
            provider_message_id=delivery.provider_message_id,
            completed_at=delivery.completed_at or utcnow(),
        ),
        correlation_id=delivery.case_id,
        causation_id=delivery.request_message_id,
    )


async def set_preferences(uow: UnitOfWork, recipient_id: str,
                          update: PreferencesUpdate) -> Preference:
    preference = await repository.preference(uow.session, recipient_id)
    if preference is None:
        preference = Preference(recipient_id=recipient_id)
    preference.language = update.language
    preference.email = update.email
    preference.in_app = update.in_app
    preference.updated_at = utcnow()
    uow.session.add(preference)
    return preference
