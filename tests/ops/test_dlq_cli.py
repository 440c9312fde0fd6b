"""The dead-letter command line on the real broker: what a consumer dead-lettered can be
counted, read, put back on its route (only what was asked, the rest in order) and purged;
a replay the broker refuses loses nothing."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest

from services.contracts import routing
from services.contracts.envelope import Envelope
from services.contracts.notifications import NotificationRequested, Recipient
from services.kit.bus import Bus, Reject
from services.kit.cli import run
from services.kit.metrics import KitMetrics
from services.kit.settings import ServiceSettings
from tests.conftest import RABBIT_URL, BusNamespace, eventually

SUB = routing.NOTIFICATIONS_REQUESTS
STAFF = routing.APPLICATIONS_STAFF


def request(key: str) -> NotificationRequested:
    return NotificationRequested(notification_key=key, template="application_received",
                                 recipient=Recipient(id="0499370899"),
                                 case_id=f"application-{key}")


class Handler:
    """A consumer whose downstream is broken until the test mends it."""

    def __init__(self) -> None:
        self.broken = True
        self.handled: list[str] = []

    async def __call__(self, envelope: Envelope, payload: NotificationRequested) -> None:
        if self.broken:
            raise Reject("downstream_broken", f"cannot send {payload.notification_key} now")
        self.handled.append(envelope.message_id)


async def cli(ns: BusNamespace, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    connection = ["--rabbit-url", RABBIT_URL, "--exchange", ns.exchange,
                  "--queue-prefix", ns.queue_prefix]
    code = await run(["dlq", *argv, *connection], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


async def dlq_ids(ns: BusNamespace, queue: str) -> list[str]:
    code, out, err = await cli(ns, "show", queue, "--limit", "100", "--json")
    assert code == 0, err
    return [json.loads(line)["message_id"] for line in out.splitlines() if line.strip()]


def dlq_name(ns: BusNamespace, sub: routing.Subscription) -> str:
    return f"{ns.queue_prefix}{sub.queue}.dlq"


async def wait_for_dead_letters(ns: BusNamespace, sub: routing.Subscription, count: int) -> None:
    async def counted() -> bool:
        _, out, _ = await cli(ns, "list", "--json")
        found = {row["queue"]: row["messages"] for row in json.loads(out)}
        return found[dlq_name(ns, sub)] == count

    await eventually(counted)


async def dead_letter_by_hand(amqp: aio_pika.abc.AbstractChannel, ns: BusNamespace,
                              sub: routing.Subscription, *, message_id: str, body: bytes,
                              reason: str = "failed", exchange: str | None = None,
                              routing_key: str | None = None) -> None:
    """Put a message in a dead-letter queue with the headers Bus.dead_letter sets."""
    queue = f"{ns.queue_prefix}{sub.queue}"
    dlx = await amqp.get_exchange(f"{ns.exchange}.dlx", ensure=False)
    await dlx.publish(
        aio_pika.Message(
            body, message_id=message_id, correlation_id=f"case-{message_id}",
            type=sub.binding, content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers={
                "x-pishkhan-reason": reason,
                "x-pishkhan-error": f"{reason} for {message_id}",
                "x-pishkhan-queue": queue,
                "x-pishkhan-original-exchange": ns.exchange if exchange is None else exchange,
                "x-pishkhan-original-routing-key": routing_key or sub.binding,
            },
        ),
        routing_key=f"{queue}.dlq",
    )


@pytest.fixture
async def consumer(bus_ns: BusNamespace) -> AsyncIterator[tuple[Bus, Handler]]:
    """A real consumer of the notification requests, as the notifications service runs it."""
    bus = Bus(ServiceSettings(**bus_ns.settings(), max_attempts=2), service="notifications",
              metrics=KitMetrics("notifications"))
    handler = Handler()
    bus.subscribe(SUB, handler)
    await bus.start()
    yield bus, handler
    await bus.stop()


async def publish_requests(bus: Bus, *keys: str) -> list[str]:
    ids = []
    for key in keys:
        envelope = await bus.publish(request(key), correlation_id=f"application-{key}")
        ids.append(envelope.message_id)
    return ids


async def test_list_counts_the_dead_letters_of_every_queue_with_their_reasons(
    bus_ns: BusNamespace, consumer: tuple[Bus, Handler], amqp: aio_pika.abc.AbstractChannel
) -> None:
    bus, _ = consumer
    await bus.broker.publish(b"{not json", exchange=bus.exchange, routing_key=SUB.binding,
                             message_id="garbled", persist=True)
    await publish_requests(bus, "k1")
    await dead_letter_by_hand(amqp, bus_ns, STAFF, message_id="staff-1", body=b"{}")
    await wait_for_dead_letters(bus_ns, SUB, 2)
    await wait_for_dead_letters(bus_ns, STAFF, 1)

    code, out, err = await cli(bus_ns, "list", "--messages", "--json")
    assert code == 0, err
    rows = {row["queue"]: row for row in json.loads(out)}
    assert set(rows) == {dlq_name(bus_ns, s) for s in routing.TOPOLOGY}
    notifications = rows[dlq_name(bus_ns, SUB)]
    assert notifications["messages"] == 2
    assert notifications["source"] == f"{bus_ns.queue_prefix}{SUB.queue}"
    first = notifications["letters"][0]
    assert (first["message_id"], first["reason"]) == ("garbled", "malformed")
    assert notifications["letters"][1]["reason"] == "downstream_broken"
    assert rows[dlq_name(bus_ns, STAFF)]["messages"] == 1
    assert sum(row["messages"] for row in rows.values()) == 3

    code, table, _ = await cli(bus_ns, "list", "--messages")
    assert code == 0
    line = next(x for x in table.splitlines() if dlq_name(bus_ns, SUB) in x and "│" in x)
    assert line.split("│")[2].strip() == "2"
    assert "reason=malformed" in table and "reason=downstream_broken" in table
    assert f"3 dead letters in {len(routing.TOPOLOGY)} queues" in table
    # reading them left them where they were
    assert await dlq_ids(bus_ns, SUB.queue) == ["garbled", notifications["letters"][1]["message_id"]]


async def test_show_prints_the_reason_the_error_the_route_and_the_body(
    bus_ns: BusNamespace, consumer: tuple[Bus, Handler]
) -> None:
    bus, _ = consumer
    bad = Envelope.wrap(request("k1"), correlation_id="application-k1", message_id="bad-payload")
    bad = bad.model_copy(update={"payload": {"template": "no such template"}})
    await bus.broker.publish(bad.model_dump_json().encode(), exchange=bus.exchange,
                             routing_key=SUB.binding, message_id="bad-payload",
                             correlation_id="application-k1", message_type=SUB.binding,
                             persist=True)
    await wait_for_dead_letters(bus_ns, SUB, 1)

    code, out, err = await cli(bus_ns, "show", SUB.queue)
    assert code == 0, err
    assert "message_id:     bad-payload" in out
    assert f"type:           {SUB.binding}" in out
    assert "case:           application-k1" in out
    assert "reason:         malformed" in out
    error = out.split("error:", 1)[1].split("queue:", 1)[0]
    assert error.lstrip().startswith("4 validation errors for NotificationRequested")
    assert "\n                template\n" in error  # multi-line errors stay aligned
    assert f"original route: {bus_ns.exchange} / {SUB.binding}  (from x-pishkhan)" in out
    body = out.split("body:\n", 1)[1]
    assert '  "message_id": "bad-payload",' in body  # indented: pretty JSON
    assert '"template": "no such template"' in body

    code, out, err = await cli(bus_ns, "show", "no-such-queue")
    assert code == 2
    assert "not a dead-letter queue of the topology" in err


async def test_replay_of_one_message_puts_exactly_it_back_and_keeps_the_rest_in_order(
    bus_ns: BusNamespace, consumer: tuple[Bus, Handler]
) -> None:
    bus, handler = consumer
    first, second, third = await publish_requests(bus, "k1", "k2", "k3")
    await wait_for_dead_letters(bus_ns, SUB, 3)
    assert await dlq_ids(bus_ns, SUB.queue) == [first, second, third]

    handler.broken = False  # the cause is mended
    code, out, err = await cli(bus_ns, "replay", dlq_name(bus_ns, SUB), "--message-id", second)
    assert code == 0, err
    assert f"replayed {second} -> {bus_ns.exchange} / {SUB.binding}" in out
    await eventually(lambda: asyncio.sleep(0, result=handler.handled == [second]))
    assert await dlq_ids(bus_ns, SUB.queue) == [first, third]

    code, out, err = await cli(bus_ns, "replay", SUB.queue, "--all", "--limit", "1")
    assert code == 0, err
    await eventually(lambda: asyncio.sleep(0, result=handler.handled == [second, first]))
    assert await dlq_ids(bus_ns, SUB.queue) == [third]

    code, out, err = await cli(bus_ns, "replay", SUB.queue, "--message-id", "not-there")
    assert code == 1
    assert "no message not-there" in err
    assert await dlq_ids(bus_ns, SUB.queue) == [third]


async def test_replay_follows_x_death_for_what_the_broker_dead_lettered_itself(
    bus_ns: BusNamespace, amqp: aio_pika.abc.AbstractChannel
) -> None:
    settings = ServiceSettings(**bus_ns.settings(), delivery_limit=2, max_attempts=2)
    bus = Bus(settings, service="notifications", metrics=KitMetrics("notifications"))
    handler = Handler()
    handler.broken = False
    bus.subscribe(SUB, handler)
    await bus.broker.connect()
    await bus.declare_topology()
    envelope = await bus.publish(request("k9"), correlation_id="application-k9")

    # a consumer that crashes before acknowledging, again and again: the broker gives up
    queue = await amqp.get_queue(f"{bus_ns.queue_prefix}{SUB.queue}", ensure=False)
    dead_letter_queue = await amqp.get_queue(dlq_name(bus_ns, SUB), ensure=False)

    async def given_up() -> bool:
        message = await queue.get(no_ack=False, fail=False)
        if message is not None:
            await message.nack(requeue=True)
        # a returned message takes a moment to be counted again
        return (await dead_letter_queue.declare()).message_count == 1

    await eventually(given_up, interval=0.05)
    code, out, _ = await cli(bus_ns, "show", SUB.queue, "--json")
    shown = json.loads(out)
    assert shown["message_id"] == envelope.message_id
    assert shown["reason"] == "delivery_limit"
    assert shown["x_death"][0]["routing_keys"] == [SUB.binding]
    assert shown["original_route"] == f"{bus_ns.exchange} / {SUB.binding}"

    await bus.start()
    try:
        code, out, err = await cli(bus_ns, "replay", SUB.queue, "--all")
        assert code == 0, err
        await eventually(lambda: asyncio.sleep(0, result=handler.handled == [envelope.message_id]))
        assert await dlq_ids(bus_ns, SUB.queue) == []
    finally:
        await bus.stop()


async def test_a_replay_the_broker_refuses_loses_nothing(
    bus_ns: BusNamespace, peer: Bus, amqp: aio_pika.abc.AbstractChannel
) -> None:
    await dead_letter_by_hand(amqp, bus_ns, SUB, message_id="unroutable", body=b'{"n": 1}',
                              routing_key="nobody.listens.here")
    await dead_letter_by_hand(amqp, bus_ns, SUB, message_id="good", body=b'{"n": 2}')
    await dead_letter_by_hand(amqp, bus_ns, SUB, message_id="no-exchange", body=b'{"n": 3}',
                              exchange=f"{bus_ns.exchange}-gone")
    await dead_letter_by_hand(amqp, bus_ns, SUB, message_id="last", body=b'{"n": 4}')
    await wait_for_dead_letters(bus_ns, SUB, 4)

    code, out, err = await cli(bus_ns, "replay", SUB.queue, "--all")
    assert code == 1
    assert "NOT replayed unroutable" in err and "unroutable" in err.split("NOT replayed")[1]
    assert "NOT replayed no-exchange" in err
    assert "2 replayed, 2 kept after a failure" in out
    # the refused ones are still there, in their order, with everything they carried
    code, out, _ = await cli(bus_ns, "show", SUB.queue, "--json")
    kept = [json.loads(line) for line in out.splitlines()]
    assert [(k["message_id"], k["body"]) for k in kept] == [("unroutable", {"n": 1}),
                                                           ("no-exchange", {"n": 3})]
    assert kept[0]["reason"] == "failed"
    # the others reached the queue they came from, once each, without their old failure
    queue = await amqp.get_queue(f"{bus_ns.queue_prefix}{SUB.queue}", ensure=False)
    arrived: list[aio_pika.abc.AbstractIncomingMessage] = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        arrived.append(message)
    assert [m.message_id for m in arrived] == ["good", "last"]
    headers: dict[str, Any] = dict(arrived[0].headers)
    assert headers["x-pishkhan-replays"] == 1
    assert not [key for key in headers if key.startswith(("x-death", "x-pishkhan-reason"))]


async def test_purge_asks_for_yes_then_empties_the_queue(
    bus_ns: BusNamespace, peer: Bus, amqp: aio_pika.abc.AbstractChannel
) -> None:
    for n in range(3):
        await dead_letter_by_hand(amqp, bus_ns, STAFF, message_id=f"m{n}", body=b"{}")
    await wait_for_dead_letters(bus_ns, STAFF, 3)

    code, _, err = await cli(bus_ns, "purge", STAFF.queue)
    assert code == 2
    assert "holds 3 dead letters" in err and "--yes" in err
    assert len(await dlq_ids(bus_ns, STAFF.queue)) == 3

    code, out, err = await cli(bus_ns, "purge", STAFF.queue, "--yes")
    assert code == 0, err
    assert f"purged 3 dead letters from {dlq_name(bus_ns, STAFF)}" in out
    await wait_for_dead_letters(bus_ns, STAFF, 0)


async def test_queues_not_declared_yet_are_reported_not_invented(bus_ns: BusNamespace) -> None:
    code, out, err = await cli(bus_ns, "list")
    assert code == 0, err
    assert f"{len(routing.TOPOLOGY)} not declared yet" in out
    code, out, _ = await cli(bus_ns, "list", "--json")
    assert {row["messages"] for row in json.loads(out)} == {None}
    code, _, err = await cli(bus_ns, "show", SUB.queue)
    assert code == 2
    assert f"queue '{dlq_name(bus_ns, SUB)}' does not exist" in err
