"""Delivery on the real broker: poison messages are dead-lettered with their reason and
the consumer keeps going; transient failures wait in the retry queue, without holding the
consumer, until they succeed; other failures are retried, then dead-lettered."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

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
    def __init__(self, failures: int = 0,
                 error: Callable[[], Exception] = lambda: ConnectionError("the database is away"),
                 ) -> None:
        self.failures = failures
        self.error = error
        self.calls: list[str] = []
        self.handled: list[str] = []

    async def __call__(self, envelope: Envelope, payload: NotificationRequested) -> None:
        self.calls.append(payload.notification_key)
        if self.calls.count(payload.notification_key) <= self.failures:
            raise self.error()
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
    recorder = Recorder(failures=100, error=lambda: KeyError("no such template field"))
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
        assert "KeyError" in collected[0].headers["x-pishkhan-error"]
        assert json.loads(collected[0].body)["payload"]["notification_key"] == "k3"
        await asyncio.sleep(0.5)
        assert recorder.calls == ["k3"] * 3  # max_attempts, then it stopped
    finally:
        await bus.stop()


async def retrying(channel: aio_pika.abc.AbstractChannel, bus: Bus) -> int:
    queue = await channel.declare_queue(f"{bus.queue_name(SUB)}{routing.RETRY_SUFFIX}",
                                        passive=True)
    return int(queue.declaration_result.message_count or 0)


async def test_transient_failures_wait_in_the_retry_queue_without_holding_the_consumer(
    bus_ns: BusNamespace, amqp: aio_pika.abc.AbstractChannel
) -> None:
    # prefetch 1: had the first message been held while it waits, the second could not pass
    bus = Bus(ServiceSettings(**{**bus_ns.settings(), "retry_backoff_seconds": 0.4},
                              prefetch=1, max_attempts=2),
              service="bus-test", metrics=KitMetrics("bus-test"))
    failures = 6  # well past max_attempts: transient failures never count towards it
    recorder = Recorder(failures=failures, error=lambda: OSError(111, "Connection refused"))
    handled_first: list[str] = []

    async def handler(envelope: Envelope, payload: NotificationRequested) -> None:
        if payload.notification_key == "slow":
            await recorder(envelope, payload)
        handled_first.append(payload.notification_key)

    bus.subscribe(SUB, handler)
    await bus.start()
    try:
        await bus.publish(request("slow"), correlation_id="application-x", message_id="slow")
        await eventually(lambda: asyncio.sleep(0, result=len(recorder.calls) >= 2))
        await bus.publish(request("quick"), correlation_id="application-x")
        # the quick one passes while the slow one is still waiting its turn
        await eventually(lambda: asyncio.sleep(0, result="quick" in handled_first), timeout=2)
        assert recorder.handled == []
        assert await retrying(amqp, bus) == 1

        await eventually(lambda: asyncio.sleep(0, result=recorder.handled == ["slow"]),
                         timeout=30)
        assert recorder.calls == ["slow"] * (failures + 1)
        assert handled_first.count("slow") == 1
        await asyncio.sleep(0.5)
        assert await dead_letters(amqp, bus) == []
        assert await retrying(amqp, bus) == 0
        queue = bus.queue_name(SUB)
        assert bus.metrics.retried_transient.labels(queue, "ConnectionRefusedError")._value.get() == failures
        assert bus.metrics.handled.labels(queue, "ok")._value.get() == 2
    finally:
        await bus.stop()


async def test_a_message_dead_lettered_after_retries_replays_to_its_first_route(
    bus: Bus, amqp: aio_pika.abc.AbstractChannel
) -> None:
    recorder = Recorder(failures=3, error=lambda: ValueError("a bug, fixed later"))
    bus.subscribe(SUB, recorder)
    await bus.start()
    try:
        await bus.publish(request("k4"), correlation_id="application-x", message_id="k4")
        collected: list[aio_pika.IncomingMessage] = []

        async def dead() -> bool:
            collected.extend(await dead_letters(amqp, bus))
            return bool(collected)

        await eventually(dead)
        headers = collected[0].headers
        # it came back through the dlx twice; the route it first took is kept
        assert headers[routing.ORIGINAL_EXCHANGE_HEADER] == bus.exchange.name
        assert headers[routing.ORIGINAL_ROUTING_KEY_HEADER] == SUB.binding
        assert headers[routing.ATTEMPT_HEADER] == 2
        assert headers[routing.REASON_HEADER] == "failed"
    finally:
        await bus.stop()


def test_the_back_off_doubles_up_to_its_cap(bus_ns: BusNamespace) -> None:
    bus = Bus(ServiceSettings(**{**bus_ns.settings(), "retry_backoff_seconds": 0.5,
                                 "retry_backoff_max_seconds": 30}),
              service="bus-test", metrics=KitMetrics("bus-test"))
    assert [bus.backoff_seconds(n) for n in (1, 2, 3, 6, 7, 1000)] == [0.5, 1, 2, 16, 30, 30]
