"""Delivery on the real broker: poison messages are dead-lettered with their reason and
the consumer keeps going; failing handlers are retried, then dead-lettered."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aio_pika
import pytest

from services.contracts import routing
from services.contracts.envelope import Envelope
from services.contracts.notifications import NotificationRequested, Recipient
from services.kit.bus import Bus
from services.kit.metrics import KitMetrics
from services.kit.settings import ServiceSettings
from tests.conftest import BusNamespace, eventually

SUB = routing.NOTIFICATIONS_REQUESTS


def request(key: str) -> NotificationRequested:
    return NotificationRequested(notification_key=key, template="application_received",
                                 recipient=Recipient(id="0499370899"), case_id="application-x")


class Recorder:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: list[str] = []
        self.handled: list[str] = []

    async def __call__(self, envelope: Envelope, payload: NotificationRequested) -> None:
        self.calls.append(payload.notification_key)
        if self.calls.count(payload.notification_key) <= self.failures:
            raise ConnectionError("the database is away for a moment")
        self.handled.append(payload.notification_key)


@pytest.fixture
async def bus(bus_ns: BusNamespace) -> AsyncIterator[Bus]:
    settings = ServiceSettings(**bus_ns.settings(), max_attempts=3)
    yield Bus(settings, service="bus-test", metrics=KitMetrics("bus-test"))


async def dead_letters(channel: aio_pika.abc.AbstractChannel, bus: Bus) -> list[aio_pika.IncomingMessage]:
    queue = await channel.get_queue(f"{bus.queue_name(SUB)}.dlq", ensure=True)
    found = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        found.append(message)
    return found


async def publish_raw(bus: Bus, body: bytes) -> None:
    await bus.broker.publish(body, exchange=bus.exchange, routing_key=SUB.binding, persist=True)


async def test_poison_messages_go_to_the_dead_letter_queue_and_consuming_goes_on(
    bus: Bus, amqp: aio_pika.abc.AbstractChannel
) -> None:
    recorder = Recorder()
    bus.subscribe(SUB, recorder)
    await bus.start()
    try:
        good = Envelope.wrap(request("k1"), correlation_id="application-x")
        bad_payload = good.model_copy(update={"message_id": "bad-payload",
                                              "payload": {"template": "no such template"}})
        unknown = good.model_copy(update={"message_id": "unknown", "type": "nobody.knows.this"})
        await publish_raw(bus, b"{not json at all")
        await publish_raw(bus, bad_payload.model_dump_json().encode())
        await publish_raw(bus, unknown.model_dump_json().encode())
        await publish_raw(bus, good.model_dump_json().encode())

        await eventually(lambda: asyncio.sleep(0, result=recorder.handled == ["k1"]))

        collected: list[aio_pika.IncomingMessage] = []

        async def three_dead() -> bool:
            collected.extend(await dead_letters(amqp, bus))
            return len(collected) >= 3

        await eventually(three_dead)
        reasons = sorted(m.headers["x-pishkhan-reason"] for m in collected)
        assert reasons == ["malformed", "malformed", "unknown_type"]
        by_reason = {m.body: m.headers for m in collected}
        assert by_reason[b"{not json at all"]["x-pishkhan-original-routing-key"] == SUB.binding
        payload_error = next(m for m in collected if b"bad-payload" in m.body)
        assert "template" in payload_error.headers["x-pishkhan-error"]
        metric = bus.metrics.dead_lettered.labels(bus.queue_name(SUB), "malformed")._value.get()
        assert metric == 2
    finally:
        await bus.stop()


async def test_a_failing_handler_is_retried_then_succeeds(bus: Bus) -> None:
    recorder = Recorder(failures=2)
    bus.subscribe(SUB, recorder)
    await bus.start()
    try:
        await bus.publish(request("k2"), correlation_id="application-x")
        await eventually(lambda: asyncio.sleep(0, result=recorder.handled == ["k2"]))
        assert recorder.calls == ["k2", "k2", "k2"]
    finally:
        await bus.stop()


async def test_a_handler_that_keeps_failing_is_dead_lettered_not_requeued_forever(
    bus: Bus, amqp: aio_pika.abc.AbstractChannel
) -> None:
    recorder = Recorder(failures=100)
    bus.subscribe(SUB, recorder)
    await bus.start()
    try:
        await bus.publish(request("k3"), correlation_id="application-x", message_id="doomed")
        collected: list[aio_pika.IncomingMessage] = []

        async def dead() -> bool:
            collected.extend(await dead_letters(amqp, bus))
            return bool(collected)

        await eventually(dead)
        assert collected[0].message_id == "doomed"
        assert collected[0].headers["x-pishkhan-reason"] == "failed"
        assert "ConnectionError" in collected[0].headers["x-pishkhan-error"]
        assert json.loads(collected[0].body)["payload"]["notification_key"] == "k3"
        await asyncio.sleep(0.5)
        assert recorder.calls == ["k3"] * 3  # max_attempts, then it stopped
    finally:
        await bus.stop()
