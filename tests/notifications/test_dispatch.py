"""Sending after the message's transaction: once per notice however often it arrives,
transient failures retried with back-off, permanent ones recorded with the reason and
counted, every final outcome announced on the bus, and two dispatchers never sending the
same delivery twice. Real RabbitMQ, a real database, a local SMS gateway and SMTP server."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
import pytest
from prometheus_client import CollectorRegistry
from sqlmodel import select

from services.contracts import routing
from services.contracts.notifications import (
    DeliveryCompleted,
    NotificationRequested,
    Recipient,
)
from services.kit.bus import Bus
from services.kit.db import Database, utcnow
from services.notifications.app import MIGRATIONS
from services.notifications.channels import KavenegarSms, Outgoing
from services.notifications.dispatch import Dispatcher, backoff_seconds
from services.notifications.metrics import NotificationsMetrics
from services.notifications.models import FAILED, SENDING, SENT, Delivery
from services.notifications.simulator import GatewaySimulator, Reply
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually, migrate
from tests.notifications.conftest import (
    Service,
    SmtpServer,
    notifications,
    service_settings,
)

NATIONAL_CODE = "0499370899"
MOBILE = "09121234567"
EMAIL = "maryam@example.org"


def issued(key: str, *, mobile: str = MOBILE, email: str | None = EMAIL) -> NotificationRequested:
    return NotificationRequested(
        notification_key=key, template="license_issued",
        recipient=Recipient(id=NATIONAL_CODE, mobile=mobile, email=email),
        case_id="application-d1",
        data={"application_id": "d1", "license_number": "GL-06-000123",
              "valid_until": "2031-03-21"},
    )


@pytest.fixture
async def service(database_url: str, bus_ns: BusNamespace, gateway: GatewaySimulator,
                  smtp: SmtpServer, issuer: TokenIssuer) -> AsyncIterator[Service]:
    settings = service_settings(database_url, bus_ns, gateway=gateway, smtp=smtp,
                                **issuer.settings())
    async with notifications(settings) as svc:
        yield svc


@pytest.fixture
async def events(service: Service, bus_ns: BusNamespace,
                 amqp: aio_pika.abc.AbstractChannel) -> aio_pika.abc.AbstractQueue:
    """What a peer listening for delivery outcomes would receive."""
    queue = await amqp.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(bus_ns.exchange, routing_key=routing.NOTIFICATION_DELIVERY_COMPLETED)
    return queue


async def drain(queue: aio_pika.abc.AbstractQueue) -> list[dict[str, Any]]:
    found = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        found.append(json.loads(message.body))
    return found


async def log(api: httpx.AsyncClient, issuer: TokenIssuer, **params: str) -> list[dict]:
    reply = await api.get("/ops/deliveries", params=params, headers=issuer.headers("ops-1", "ops"))
    assert reply.status_code == 200, reply.text
    return reply.json()


async def settled(api: httpx.AsyncClient, issuer: TokenIssuer, channel: str,
                  count: int = 1) -> list[dict]:
    async def check() -> list[dict] | None:
        found = [d for d in await log(api, issuer, channel=channel)
                 if d["status"] in (SENT, FAILED)]
        return found if len(found) >= count else None

    return await eventually(check)


async def test_a_notice_arriving_again_and_again_is_sent_once(
    service: Service, peer: Bus, gateway: GatewaySimulator, smtp: SmtpServer, issuer: TokenIssuer
) -> None:
    notice = issued("application-d1:issued")
    await peer.publish(notice, correlation_id="application-d1", message_id="notice-1")
    await peer.publish(notice, correlation_id="application-d1", message_id="notice-1")  # redelivered
    await peer.publish(notice, correlation_id="application-d1", message_id="notice-2")  # asked again

    await settled(service.api, issuer, "sms")
    await settled(service.api, issuer, "email")
    await asyncio.sleep(0.5)  # time for a second send, if there were one

    assert len(gateway.sent_to(MOBILE)) == 1
    assert len(smtp.sink.to(EMAIL)) == 1
    found = await log(service.api, issuer)
    assert sorted(d["channel"] for d in found) == ["email", "in_app", "sms"]
    assert all(d["status"] == SENT and d["attempts"] == 1 for d in found)
    sms = next(d for d in found if d["channel"] == "sms")
    assert sms["provider_message_id"] and sms["body"].startswith("پروانه دفتر پیشخوان")


async def test_a_transient_failure_is_retried_with_back_off_and_announced(
    service: Service, peer: Bus, gateway: GatewaySimulator, issuer: TokenIssuer,
    events: aio_pika.abc.AbstractQueue
) -> None:
    gateway.script(MOBILE, Reply(status=502, http_only=True), Reply(status=409))
    await peer.publish(issued("application-d1:issued", email=None),
                       correlation_id="application-d1")

    [sms] = await settled(service.api, issuer, "sms")
    assert sms["status"] == SENT and sms["attempts"] == 3
    assert "409" in sms["last_error"]
    first, second, third = (r.at for r in gateway.sent_to(MOBILE))
    # FAST: 50 ms after the first failure, 100 ms after the second
    assert second - first >= 0.05 and third - second >= 0.1
    assert service.metric("pishkhan_notification_delivery_retries_total", channel="sms") == 2
    assert service.metric("pishkhan_notification_deliveries_total",
                          channel="sms", outcome="sent") == 1
    assert service.metric("pishkhan_notification_provider_latency_seconds_count",
                          channel="sms", provider="kavenegar") == 3

    async def announced() -> list[dict] | None:
        found.extend(await drain(events))
        return found if {e["payload"]["channel"] for e in found} >= {"sms", "in_app"} else None

    found: list[dict] = []
    await eventually(announced)
    event = next(e for e in found if e["payload"]["channel"] == "sms")
    assert event["type"] == routing.NOTIFICATION_DELIVERY_COMPLETED
    assert event["correlation_id"] == "application-d1"
    assert event["payload"]["status"] == "sent" and event["payload"]["attempts"] == 3
    assert event["payload"]["delivery_id"] == sms["id"]
    assert event["payload"]["provider_message_id"] == sms["provider_message_id"]
    assert DeliveryCompleted.model_validate(event["payload"]).status == "sent"


async def test_a_permanent_failure_is_recorded_with_the_reason_counted_and_announced(
    service: Service, peer: Bus, gateway: GatewaySimulator, issuer: TokenIssuer,
    events: aio_pika.abc.AbstractQueue
) -> None:
    gateway.script(MOBILE, Reply(status=411))
    await peer.publish(issued("application-d1:issued", email=None),
                       correlation_id="application-d1")

    [sms] = await settled(service.api, issuer, "sms")
    assert sms["status"] == FAILED and sms["attempts"] == 1
    assert sms["reason"] == "411: the receptor is not valid (error 411)"
    assert len(gateway.sent_to(MOBILE)) == 1
    assert service.metric("pishkhan_notification_deliveries_total",
                          channel="sms", outcome="failed") == 1
    scraped = (await service.api.get("/metrics")).text
    assert ('pishkhan_notification_provider_errors_total{channel="sms",code="411",'
            'provider="kavenegar"} 1.0') in scraped

    async def announced() -> dict | None:
        found.extend(await drain(events))
        return next((e for e in found if e["payload"]["channel"] == "sms"), None)

    found: list[dict] = []
    event = await eventually(announced)
    assert event["payload"]["status"] == "failed"
    assert event["payload"]["reason"] == sms["reason"]


async def test_transient_failures_give_up_after_the_attempts_run_out(
    service: Service, peer: Bus, gateway: GatewaySimulator, issuer: TokenIssuer
) -> None:
    gateway.script(MOBILE, *[Reply(status=409)] * 10)
    await peer.publish(issued("application-d1:issued", email=None),
                       correlation_id="application-d1")

    [sms] = await settled(service.api, issuer, "sms")
    assert sms["status"] == FAILED and sms["attempts"] == 4  # FAST's dispatch_max_attempts
    assert sms["reason"].startswith("409: gave up after 4 attempts; last: the server is busy")
    assert len(gateway.sent_to(MOBILE)) == 4
    assert service.metric("pishkhan_notification_delivery_retries_total", channel="sms") == 3


def test_back_off_doubles_up_to_its_cap() -> None:
    assert [backoff_seconds(n, base=10, cap=60) for n in range(1, 6)] == [10, 20, 40, 60, 60]


# -- two replicas --------------------------------------------------------------------------

def pending(n: int, **overrides: Any) -> Delivery:
    return Delivery(**{
        "notification_key": f"key-{n}", "recipient_id": f"r{n}", "channel": "sms",
        "address": f"0912{n:07d}", "template": "license_issued", "case_id": f"application-{n}",
        "language": "fa", "body": f"پیام {n}", "body_fa": f"پیام {n}", "body_en": f"message {n}",
        **overrides,
    })


async def test_two_dispatchers_never_send_the_same_delivery_twice(
    database_url: str, bus_ns: BusNamespace, gateway: GatewaySimulator
) -> None:
    settings = service_settings(database_url, bus_ns, gateway=gateway, smtp=None,
                                dispatch_concurrency=4)
    replicas = []
    for name in ("replica-a", "replica-b"):
        # each replica with its own engine and connection pool
        db = Database(database_url, schema=MIGRATIONS)
        sms = KavenegarSms(api_key=gateway.api_key, sender=None, base_url=gateway.base_url,
                           timeout_seconds=2)
        replicas.append(Dispatcher(db=db, relay=None, channels={"sms": sms},
                                   metrics=NotificationsMetrics(CollectorRegistry()),
                                   settings=settings, worker=name))
    db = replicas[0].db
    await migrate(db)
    now = utcnow()
    async with db.sessionmaker() as session:
        for n in range(40):
            gateway.script(f"0912{n:07d}", Reply(pause=0.01))
            session.add(pending(n))
        # held by a replica that died: its lease has run out, so it is due again
        session.add(pending(40, status=SENDING, claimed_by="gone", attempts=1,
                             claimed_until=now - dt.timedelta(seconds=1)))
        # held by a live replica: not to be touched
        session.add(pending(41, status=SENDING, claimed_by="alive", attempts=1,
                             claimed_until=now + dt.timedelta(minutes=5)))
        await session.commit()

    async def work(dispatcher: Dispatcher) -> None:
        while await dispatcher.dispatch_once():
            pass

    try:
        await asyncio.gather(*(work(d) for d in replicas for _ in range(3)))
    finally:
        for dispatcher in replicas:
            await dispatcher.channels["sms"].close()

    receptors = [r.form["receptor"] for r in gateway.requests]
    assert len(receptors) == 41 and len(set(receptors)) == 41
    assert f"0912{41:07d}" not in receptors
    async with db.sessionmaker() as session:
        rows = {d.address: d for d in (await session.exec(select(Delivery))).all()}
    assert all(rows[f"0912{n:07d}"].status == SENT for n in range(41))
    assert rows[f"0912{40:07d}"].attempts == 2
    assert rows[f"0912{41:07d}"].status == SENDING
    for dispatcher in replicas:
        await dispatcher.db.dispose()


async def test_nothing_is_sent_before_it_is_due(database_url: str, bus_ns: BusNamespace,
                                               gateway: GatewaySimulator) -> None:
    settings = service_settings(database_url, bus_ns, gateway=gateway, smtp=None)
    db = Database(database_url, schema=MIGRATIONS)
    await migrate(db)
    async with db.sessionmaker() as session:
        session.add(pending(1, next_attempt_at=utcnow() + dt.timedelta(minutes=1)))
        session.add(pending(2, status=FAILED))
        await session.commit()
    sms = KavenegarSms(api_key=gateway.api_key, sender=None, base_url=gateway.base_url,
                       timeout_seconds=2)
    dispatcher = Dispatcher(db=db, relay=None, channels={"sms": sms},
                            metrics=NotificationsMetrics(CollectorRegistry()), settings=settings)
    try:
        assert await dispatcher.dispatch_once() == 0
    finally:
        await sms.close()
        await db.dispose()
    assert gateway.requests == []


# -- a try whose outcome is unknown ----------------------------------------------------------

def dispatcher_on(db: Database, settings: Any, channels: dict[str, Any],
                  registry: CollectorRegistry) -> Dispatcher:
    return Dispatcher(db=db, relay=None, channels=channels,
                      metrics=NotificationsMetrics(registry), settings=settings)


def abandoned(n: int, **overrides: Any) -> Delivery:
    """A delivery a dispatcher claimed and then vanished while sending: its lease is over."""
    return pending(n, **{"status": SENDING, "claimed_by": "gone", "attempts": 1,
                         "claimed_until": utcnow() - dt.timedelta(seconds=1), **overrides})


def status_checks(registry: CollectorRegistry, outcome: str, channel: str = "sms",
                  provider: str = "kavenegar") -> float:
    return registry.get_sample_value("pishkhan_notification_status_checks_total",
                                      {"channel": channel, "provider": provider,
                                       "outcome": outcome}) or 0.0


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, schema=MIGRATIONS)
    await migrate(database)
    yield database
    await database.dispose()


async def rows(db: Database) -> dict[str, Delivery]:
    async with db.sessionmaker() as session:
        return {d.address: d for d in (await session.exec(select(Delivery))).all()
                if d.address}


async def test_a_delivery_the_gateway_took_before_its_sender_died_is_not_sent_again(
    database_url: str, db: Database, bus_ns: BusNamespace, gateway: GatewaySimulator
) -> None:
    settings = service_settings(database_url, bus_ns, gateway=gateway, smtp=None)
    taken, unknown = abandoned(1), abandoned(2)
    taken_to, unknown_to = taken.address or "", unknown.address or ""
    sms = KavenegarSms(api_key=gateway.api_key, sender=None, base_url=gateway.base_url,
                       timeout_seconds=2)
    # the vanished dispatcher's send reached the gateway for the first, not the second
    first = await sms.send(Outgoing(delivery_id=taken.id, address=taken_to,
                                    language="fa", text=taken.body))
    async with db.sessionmaker() as session:
        session.add_all([taken, unknown])
        await session.commit()
    registry = CollectorRegistry()
    dispatcher = dispatcher_on(db, settings, {"sms": sms}, registry)
    try:
        assert await dispatcher.dispatch_once() == 2
    finally:
        await sms.close()

    assert len(gateway.sent_to(taken_to)) == 1  # the vanished dispatcher's send only
    [resent] = gateway.sent_to(unknown_to)
    assert not resent.repeat
    found = await rows(db)
    assert found[taken_to].status == SENT and found[taken_to].attempts == 2
    assert found[taken_to].provider_message_id == first.provider_message_id
    assert found[unknown_to].status == SENT
    assert not any(d.in_doubt for d in found.values())
    assert status_checks(registry, "sent") == 1 and status_checks(registry, "unknown") == 1


async def test_a_reply_that_never_came_is_asked_about_before_trying_again(
    database_url: str, db: Database, bus_ns: BusNamespace, gateway: GatewaySimulator
) -> None:
    settings = service_settings(database_url, bus_ns, gateway=gateway, smtp=None)
    delivery = pending(1)
    to = delivery.address or ""
    # the gateway takes the message and answers after the adapter stopped waiting (0.5 s)
    gateway.script(to, Reply(pause=1.0))
    async with db.sessionmaker() as session:
        session.add(delivery)
        await session.commit()
    sms = KavenegarSms(api_key=gateway.api_key, sender=None, base_url=gateway.base_url,
                       timeout_seconds=settings.sms_timeout_seconds)
    registry = CollectorRegistry()
    dispatcher = dispatcher_on(db, settings, {"sms": sms}, registry)
    try:
        assert await dispatcher.dispatch_once() == 1
        [row] = (await rows(db)).values()
        assert row.status == "pending" and row.in_doubt and "timeout" in (row.last_error or "")

        async def retried() -> bool:
            await dispatcher.dispatch_once()
            return (await rows(db))[to].status == SENT

        await eventually(retried)
    finally:
        await sms.close()
    [request] = gateway.sent_to(to)
    [row] = (await rows(db)).values()
    assert row.provider_message_id == str(request.message_id) and row.attempts == 2
    assert status_checks(registry, "sent") == 1


async def test_a_gateway_that_cannot_be_asked_gets_nothing_sent_until_it_answers(
    database_url: str, db: Database, bus_ns: BusNamespace, gateway: GatewaySimulator
) -> None:
    settings = service_settings(database_url, bus_ns, gateway=gateway, smtp=None)
    async with db.sessionmaker() as session:
        session.add(abandoned(1))
        await session.commit()
    gateway.script_status(Reply(status=502, http_only=True), Reply(status=409))
    sms = KavenegarSms(api_key=gateway.api_key, sender=None, base_url=gateway.base_url,
                       timeout_seconds=2)
    registry = CollectorRegistry()
    dispatcher = dispatcher_on(db, settings, {"sms": sms}, registry)
    try:
        await dispatcher.dispatch_once()
        [row] = (await rows(db)).values()
        assert row.status == "pending" and row.in_doubt and gateway.requests == []
        to = row.address or ""

        async def sent() -> bool:
            await dispatcher.dispatch_once()
            return (await rows(db))[to].status == SENT

        await eventually(sent)
    finally:
        await sms.close()
    # asked three times (502, 409, then "not found"), sent once
    assert len(gateway.requests) == 1 and not gateway.requests[0].repeat
    assert status_checks(registry, "error") == 2 and status_checks(registry, "unknown") == 1
    assert (await rows(db))[to].attempts == 4


async def test_an_email_in_doubt_goes_again_with_the_same_message_id(
    database_url: str, db: Database, bus_ns: BusNamespace, smtp: SmtpServer
) -> None:
    from services.notifications.channels import SmtpEmail

    settings = service_settings(database_url, bus_ns, gateway=None, smtp=smtp)
    email = SmtpEmail(host=smtp.host, port=smtp.port, username=None, password=None,
                      starttls=False, implicit_tls=False, timeout_seconds=2,
                      from_address="no-reply@pishkhan.test", from_name="پیشخوان")
    delivery = abandoned(1, channel="email", address=EMAIL, subject="پروانه")
    delivery_id = delivery.id
    await email.send(Outgoing(delivery_id=delivery.id, address=EMAIL, language="fa",
                              text=delivery.body, subject=delivery.subject))
    async with db.sessionmaker() as session:
        session.add(delivery)
        await session.commit()
    registry = CollectorRegistry()
    dispatcher = dispatcher_on(db, settings, {"email": email}, registry)
    assert await dispatcher.dispatch_once() == 1

    # SMTP cannot be asked: the repeat carries the first one's Message-ID
    first, second = smtp.sink.to(EMAIL)
    assert first["Message-ID"] == second["Message-ID"] == f"<{delivery_id}@pishkhan.test>"
    assert (await rows(db))[EMAIL].status == SENT
    assert status_checks(registry, "unknown", "email", "smtp") == 1


async def test_the_log_channel_knows_what_it_logged_in_this_process() -> None:
    from services.notifications.channels import LogChannel

    channel = LogChannel("sms")
    message = Outgoing(delivery_id="d" * 32, address=MOBILE, language="fa", text="پیام")
    assert await channel.status(message.delivery_id) is None
    await channel.send(message)
    assert await channel.status(message.delivery_id) is not None
    assert await LogChannel("sms").status(message.delivery_id) is None  # a new process
