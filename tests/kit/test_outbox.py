"""The outbox: a committed state change's event reaches the bus even when the relay was
down at commit time; an uncommitted one never does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import pytest
from sqlmodel import select

from services.applications.app import MIGRATIONS
from services.contracts import routing
from services.contracts.applications import Applicant, ApplicationSubmitted
from services.kit.http import Runtime, build_runtime
from services.kit.outbox import OutboxMessage
from services.kit.settings import ServiceSettings
from services.kit.uow import UnitOfWork
from tests.conftest import BusNamespace, eventually, migrate


@pytest.fixture
async def runtime(database_url: str, bus_ns: BusNamespace) -> AsyncIterator[Runtime]:
    # a service's database (any has the outbox) and the kit's settings alone
    runtime = build_runtime("outbox-test", ServiceSettings(database_url=database_url,
                                                           **bus_ns.settings()), MIGRATIONS)
    await migrate(runtime.db)
    await runtime.bus.start()
    yield runtime
    await runtime.relay.stop()
    await runtime.bus.stop()
    await runtime.db.dispose()


def submitted(n: int) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        application_id=f"app{n}", case_id=f"application-app{n}", kind="new_license",
        applicant=Applicant(national_code="0499370899", name="Maryam Ahmadi",
                            mobile="09121234567"),
        county="rasht", area="urban", address="Rasht, Imam Khomeini St. 12",
        submitted_at=datetime.now(UTC),
    )


async def drain(channel: aio_pika.abc.AbstractChannel, queue_name: str) -> list[dict]:
    queue = await channel.get_queue(queue_name, ensure=True)
    bodies = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        bodies.append(json.loads(message.body))
    return bodies


async def test_events_committed_while_the_relay_was_down_are_published_when_it_starts(
    runtime: Runtime, amqp: aio_pika.abc.AbstractChannel
) -> None:
    queue = runtime.bus.queue_name(routing.WORKFLOWS_SUBMITTED)
    runtime.relay.start()
    await runtime.relay.stop()  # the relay is down when the changes commit
    ids = []
    for n in range(3):
        async with UnitOfWork(runtime.db) as uow:
            ids.append(uow.publish(submitted(n), correlation_id=f"application-app{n}").message_id)
            await uow.commit()

    assert await drain(amqp, queue) == []  # nothing left the database yet

    runtime.relay.start()  # and comes back

    received: list[dict] = []

    async def all_arrived() -> bool:
        received.extend(await drain(amqp, queue))
        return len(received) >= 3

    await eventually(all_arrived)
    assert [m["message_id"] for m in received] == ids  # in commit order
    assert received[0]["type"] == routing.APPLICATION_SUBMITTED
    assert received[0]["correlation_id"] == "application-app0"

    async with runtime.db.sessionmaker() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    assert all(row.sent_at is not None for row in rows)


async def test_a_rolled_back_change_publishes_nothing(runtime: Runtime,
                                                      amqp: aio_pika.abc.AbstractChannel) -> None:
    with pytest.raises(RuntimeError):
        async with UnitOfWork(runtime.db) as uow:
            uow.publish(submitted(9), correlation_id="application-app9")
            await uow.session.flush()
            raise RuntimeError("the business rule failed after staging the event")

    runtime.relay.start()
    await runtime.relay.flush()
    assert await drain(amqp, runtime.bus.queue_name(routing.WORKFLOWS_SUBMITTED)) == []
    async with runtime.db.sessionmaker() as session:
        assert (await session.exec(select(OutboxMessage))).all() == []
