"""Notifications over the real bus: fa and en rendered, one delivery per key, recipient and
channel however often asked, each sent after the message's transaction (pending, then
sent), an unrenderable request dead-lettered with its reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aio_pika
import httpx
import pytest

from services.contracts.notifications import NotificationRequested, Recipient
from services.kit.bus import Bus
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually, serving


@pytest.fixture
async def api(database_url: str, bus_ns: BusNamespace, issuer: TokenIssuer
              ) -> AsyncIterator[httpx.AsyncClient]:
    # the default channels: SMS and e-mail written to the log, counted as sent
    settings = NotificationsSettings(database_url=database_url, **bus_ns.settings(),
                                     **issuer.settings())
    async with serving(create_app(settings), headers=issuer.headers("ops", "ops")) as client:
        yield client


def issued(key: str, language: str = "fa", email: str | None = None) -> NotificationRequested:
    return NotificationRequested(
        notification_key=key, template="license_issued",
        recipient=Recipient(id="0499370899", mobile="09121234567", email=email,
                            language=language),  # type: ignore[arg-type]
        case_id="application-n1",
        data={"application_id": "n1", "license_number": "GL-06-000123",
              "valid_until": "2031-03-21"},
    )


async def deliveries(api: httpx.AsyncClient) -> list[dict]:
    reply = await api.get("/ops/deliveries", params={"recipient_id": "0499370899",
                                                     "order": "oldest"})
    assert reply.status_code == 200
    return reply.json()


async def test_the_same_notice_asked_for_three_times_is_delivered_once_per_channel(
    api: httpx.AsyncClient, peer: Bus
) -> None:
    for _ in range(3):  # three different messages carrying the same notice
        await peer.publish(issued("application-n1:issued", email="m@example.org"),
                           correlation_id="application-n1")
    await peer.publish(issued("application-n1:other"), correlation_id="application-n1")

    async def settled() -> list | None:
        found = await deliveries(api)
        return found if len(found) >= 5 and all(d["status"] == "sent" for d in found) else None

    await eventually(settled)
    await asyncio.sleep(0.5)
    found = await deliveries(api)
    channels = sorted((d["notification_key"], d["channel"]) for d in found)
    assert channels == [
        ("application-n1:issued", "email"), ("application-n1:issued", "in_app"),
        ("application-n1:issued", "sms"),
        ("application-n1:other", "in_app"), ("application-n1:other", "sms"),
    ]
    sms = next(d for d in found if d["channel"] == "sms")
    # Persian: Jalali date (1410/01/01 is 2031-03-21) and Persian digits
    assert "۱۴۱۰/۰۱/۰۱" in sms["body_fa"] and "GL-۰۶-۰۰۰۱۲۳" in sms["body_fa"]
    assert "2031-03-21" in sms["body_en"] and "GL-06-000123" in sms["body_en"]
    assert sms["body"] == sms["body_fa"] and sms["address"] == "09121234567"


async def test_the_recipients_language_chooses_the_body(api: httpx.AsyncClient,
                                                        peer: Bus) -> None:
    await peer.publish(issued("application-n1:issued", language="en"),
                       correlation_id="application-n1")
    found = await eventually(lambda: deliveries(api))
    assert all(d["body"] == d["body_en"] and d["language"] == "en" for d in found)


async def test_someone_without_an_account_gets_the_sms_and_no_inbox_item(
        api: httpx.AsyncClient, peer: Bus) -> None:
    await peer.publish(NotificationRequested(
        notification_key="complaint-c1:received", template="complaint_received",
        recipient=Recipient(id="mobile:09351234567", mobile="09351234567", account=False),
        case_id="complaint-c1",
        data={"complaint_id": "c1", "tracking_code": "K7M2P9Q4RT",
              "received_at": "2026-11-29T10:00:00+00:00", "audience": "complainant"},
    ), correlation_id="complaint-c1")

    async def sent() -> list[dict] | None:
        reply = await api.get("/ops/deliveries", params={"case_id": "complaint-c1"})
        found = reply.json()
        return found if found and all(d["status"] == "sent" for d in found) else None

    found = await eventually(sent)
    await asyncio.sleep(0.3)
    reply = await api.get("/ops/deliveries", params={"case_id": "complaint-c1"})
    assert [d["channel"] for d in reply.json()] == ["sms"]
    assert "K7M2P9Q4RT" in found[0]["body"]


async def test_an_unrenderable_request_is_dead_lettered_with_its_reason(
    api: httpx.AsyncClient, peer: Bus, bus_ns: BusNamespace, amqp: aio_pika.abc.AbstractChannel
) -> None:
    broken = issued("application-n1:broken").model_copy(update={"data": {"application_id": "n1"}})
    await peer.publish(broken, correlation_id="application-n1", message_id="broken-notice")
    await peer.publish(issued("application-n1:fine"), correlation_id="application-n1")

    queue = await amqp.get_queue(
        f"{bus_ns.queue_prefix}notifications.notification-request.dlq", ensure=True)
    dead = await eventually(lambda: queue.get(no_ack=True, fail=False))
    assert dead.message_id == "broken-notice"
    assert dead.headers["x-pishkhan-reason"] == "unrenderable"
    assert "license_number" in dead.headers["x-pishkhan-error"]
    # the consumer went on with the next message
    found = await eventually(lambda: deliveries(api))
    assert {d["notification_key"] for d in found} == {"application-n1:fine"}
