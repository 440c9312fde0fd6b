"""PostgreSQL refusing connections for a while (through a gate in front of the real server,
which is never restarted): the notice requests consumed meanwhile wait in the retry queue
and are each delivered once afterwards, none dead-lettered."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import aio_pika
from prometheus_client.parser import text_string_to_metric_families

from services.contracts import routing
from services.contracts.notifications import NotificationRequested, Recipient
from services.kit.bus import Bus
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually, postgres_database, serving
from tests.outages import gate_to

OUTAGE_SECONDS = 12
SUB = routing.NOTIFICATIONS_REQUESTS


def request(n: int) -> NotificationRequested:
    return NotificationRequested(
        notification_key=f"application-db{n}:issued", template="license_issued",
        recipient=Recipient(id="0499370899", mobile="09121234567"),
        case_id=f"application-db{n}",
        data={"application_id": f"db{n}", "license_number": f"GL-06-00012{n}",
              "valid_until": "2031-03-21"})


def through(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{port}"))


def transient_retries(metrics_text: str, queue: str) -> float:
    return sum(sample.value for family in text_string_to_metric_families(metrics_text)
               if family.name == "pishkhan_messages_transient_retries"
               for sample in family.samples
               if sample.name.endswith("_total") and sample.labels.get("queue") == queue)


async def test_messages_consumed_while_the_database_refuses_wait_and_are_handled_once(
    bus_ns: BusNamespace, peer: Bus, issuer: TokenIssuer, amqp: aio_pika.abc.AbstractChannel,
) -> None:
    async with postgres_database() as url:
        real = urlsplit(url)
        async with gate_to(real.hostname or "127.0.0.1", real.port or 5432) as gate:
            settings = NotificationsSettings(database_url=through(url, gate.port),
                                             **bus_ns.settings(), **issuer.settings())
            async with serving(create_app(settings),
                               headers=issuer.headers("ops", "ops")) as api:
                await peer.publish(request(0), correlation_id="application-db0")

                async def deliveries() -> list[dict]:
                    reply = await api.get("/ops/deliveries",
                                          params={"recipient_id": "0499370899"})
                    assert reply.status_code == 200, reply.text
                    return reply.json()

                await eventually(lambda: _count(deliveries, 2))  # sms and in-app

                gate.shut()
                for n in range(1, 6):
                    await peer.publish(request(n), correlation_id=f"application-db{n}")
                queue = f"{bus_ns.queue_prefix}{SUB.queue}"

                async def retried() -> float:
                    return transient_retries((await api.get("/metrics")).text, queue)

                await eventually(retried, timeout=10)
                await asyncio.sleep(OUTAGE_SECONDS)
                gate.reopen()

                found = await eventually(lambda: _count(deliveries, 12), timeout=40)
                await asyncio.sleep(1)
                found = await deliveries()
                keys = sorted((d["notification_key"], d["channel"]) for d in found)
                assert keys == sorted((f"application-db{n}:issued", channel)
                                      for n in range(6) for channel in ("in_app", "sms"))
                assert await retried() >= 5
                dlq = await amqp.declare_queue(f"{queue}{routing.DLQ_SUFFIX}", passive=True)
                assert dlq.declaration_result.message_count == 0
                metrics = (await api.get("/metrics")).text
                assert "pishkhan_messages_dead_lettered_total{" not in metrics


async def _count(deliveries, wanted: int) -> list[dict] | None:  # type: ignore[no-untyped-def]
    found = await deliveries()
    return found if len(found) >= wanted else None
