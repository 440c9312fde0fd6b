"""Retention of the kit's tables: published outbox rows and handled message ids go after
their keep periods, in batches; what is unpublished or recent stays, a kept message id
still stops a duplicate, and the tables stay bounded under a steady stream."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, update
from sqlmodel import SQLModel, col, select

from services.contracts.applications import Applicant, ApplicationSubmitted
from services.contracts.envelope import Envelope
from services.kit.bus import Duplicate
from services.kit.http import Runtime, build_runtime
from services.kit.inbox import InboxMessage
from services.kit.outbox import OutboxMessage
from services.kit.retention import PruneRule
from services.kit.settings import ServiceSettings
from services.kit.uow import UnitOfWork, idempotent
from services.applications.app import MIGRATIONS
from tests.conftest import eventually, migrate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)


async def create_tables(runtime: Runtime) -> None:
    """The one place this file sets up its tables: a service's migrations (any has the
    kit's outbox and inbox)."""
    await migrate(runtime.db)


@pytest.fixture
async def make_runtime(database_url: str) -> AsyncIterator[Callable[..., Any]]:
    made: list[Runtime] = []

    async def make(**settings: Any) -> Runtime:
        runtime = build_runtime("retention-test",
                                ServiceSettings(database_url=database_url, **settings),
                                MIGRATIONS)
        await create_tables(runtime)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        await runtime.retention.stop()
        await runtime.db.dispose()


def published(n: int, *, created: datetime, sent: datetime | None) -> OutboxMessage:
    return OutboxMessage(message_id=f"m{n}", routing_key="applications.application.submitted",
                         correlation_id=f"application-{n}", envelope="{}", created_at=created,
                         sent_at=sent)


def handled(message_id: str, *, at: datetime, consumer: str = "licensing.events") -> InboxMessage:
    return InboxMessage(consumer=consumer, message_id=message_id,
                        message_type="applications.application.submitted", received_at=at)


def envelope(application_id: str) -> Envelope:
    return Envelope.wrap(
        ApplicationSubmitted(
            application_id=application_id, case_id=f"application-{application_id}",
            kind="new_license",
            applicant=Applicant(national_code="0499370899", name="Maryam Ahmadi",
                                mobile="09121234567"),
            county="rasht", area="urban", address="Rasht, Imam Khomeini St. 12",
            submitted_at=datetime.now(UTC)),
        correlation_id=f"application-{application_id}")


async def add(runtime: Runtime, rows: list[SQLModel]) -> None:
    async with runtime.db.sessionmaker() as session:
        session.add_all(rows)
        await session.commit()


async def count(runtime: Runtime, table: type[SQLModel]) -> int:
    async with runtime.db.sessionmaker() as session:
        return int((await session.exec(select(func.count()).select_from(table))).one())


def pruned_metric(runtime: Runtime, table: str) -> float:
    value = runtime.metrics.registry.get_sample_value("pishkhan_retention_pruned_total",
                                                      {"table": table})
    assert value is not None, f"no pishkhan_retention_pruned_total series for {table}"
    return value


async def test_published_outbox_rows_go_after_the_keep_period_unpublished_and_recent_stay(
    make_runtime: Callable[..., Any]
) -> None:
    runtime = await make_runtime()  # OUTBOX_KEEP_HOURS 24 by default
    await add(runtime, [
        published(1, created=NOW - 30 * DAY, sent=NOW - 30 * DAY),
        published(2, created=NOW - 25 * HOUR, sent=NOW - 25 * HOUR),
        published(3, created=NOW - 25 * HOUR, sent=NOW - 23 * HOUR),  # published late: recent
        published(4, created=NOW - 40 * DAY, sent=None),  # never published: it must stay
        published(5, created=NOW - HOUR, sent=None),
    ])

    assert (await runtime.retention.run_once(NOW))["outbox"] == 2

    async with runtime.db.sessionmaker() as session:
        left = (await session.exec(select(OutboxMessage.message_id)
                                   .order_by(col(OutboxMessage.id)))).all()
    assert left == ["m3", "m4", "m5"]
    assert pruned_metric(runtime, "outbox") == 2
    # what was waiting is still waiting, and the backlog gauges say so
    await runtime.relay.refresh_gauges()
    registry = runtime.metrics.registry
    assert registry.get_sample_value("pishkhan_outbox_backlog") == 2
    assert registry.get_sample_value("pishkhan_outbox_oldest_age_seconds") >= 39 * 86400
    assert await runtime.relay.backlog() == 2


async def test_old_message_ids_go_and_a_kept_one_still_stops_its_duplicate(
    make_runtime: Callable[..., Any]
) -> None:
    runtime = await make_runtime()  # INBOX_KEEP_DAYS 30 by default
    effects: list[str] = []

    async def handler(uow: UnitOfWork, envelope: Envelope, payload: Any) -> None:
        effects.append(envelope.message_id)

    consume = idempotent("licensing.events", runtime.uow, handler)
    old, recent = envelope("app-old"), envelope("app-recent")
    for message in (old, recent):
        await consume(message, None)
    assert effects == [old.message_id, recent.message_id]
    # the first was handled 31 days before the run, the other 29
    now = datetime.now(UTC)
    async with runtime.db.sessionmaker() as session:
        for message, age in ((old, 31 * DAY), (recent, 29 * DAY)):
            await session.execute(update(InboxMessage)
                                  .where(col(InboxMessage.message_id) == message.message_id)
                                  .values(received_at=now - age))
        await session.commit()

    assert (await runtime.retention.run_once(now))["inbox"] == 1

    async with runtime.db.sessionmaker() as session:
        left = (await session.exec(select(InboxMessage.message_id))).all()
    assert left == [recent.message_id]
    assert pruned_metric(runtime, "inbox") == 1
    with pytest.raises(Duplicate):  # redelivered within the window: skipped
        await consume(recent, None)
    # Past the window the id is forgotten, so a replay that late is handled again: what the
    # dead-letter runbook warns of, and why the window is far longer than any redelivery.
    await consume(old, None)
    assert effects == [old.message_id, recent.message_id, old.message_id]


async def test_more_rows_than_a_batch_go_in_several_short_transactions(
    make_runtime: Callable[..., Any]
) -> None:
    runtime = await make_runtime(retention_batch=7)
    await add(runtime, [published(n, created=NOW - 2 * DAY, sent=NOW - 2 * DAY)
                        for n in range(50)])
    await add(runtime, [handled(f"id-{n}", at=NOW - 40 * DAY) for n in range(10)])
    deletes: list[tuple[str, int]] = []
    commits: list[int] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        if words[:2] == ["DELETE", "FROM"]:
            deletes.append((words[2], cursor.rowcount))

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "after_cursor_execute", seen)
    event.listen(engine, "commit", lambda conn: commits.append(len(deletes)))
    try:
        pruned = await runtime.retention.run_once(NOW)
    finally:
        event.remove(engine, "after_cursor_execute", seen)

    assert pruned == {"outbox": 50, "inbox": 10}
    assert deletes == [("outbox", 7)] * 7 + [("outbox", 1)] + [("inbox", 7), ("inbox", 3)]
    # every batch committed on its own: one DELETE per transaction
    assert commits == list(range(1, len(deletes) + 1))
    assert await count(runtime, OutboxMessage) == 0
    assert await count(runtime, InboxMessage) == 0
    assert pruned_metric(runtime, "outbox") == 50
    assert pruned_metric(runtime, "inbox") == 10


async def test_the_tables_stay_bounded_under_a_steady_stream(
    make_runtime: Callable[..., Any]
) -> None:
    """Sixty hours of traffic, 40 messages an hour out and 40 in, with retention every
    hour: without it the tables would hold 2400 rows each."""
    runtime = await make_runtime(outbox_keep_hours=3, inbox_keep_days=0.5, retention_batch=25)
    per_hour, hours = 40, 60
    outbox_sizes, inbox_sizes = [], []
    for hour in range(hours):
        now = NOW + hour * HOUR
        await add(runtime, [published(hour * per_hour + n, created=now, sent=now)
                            for n in range(per_hour)])
        await add(runtime, [handled(f"id-{hour}-{n}", at=now) for n in range(per_hour)])
        await runtime.retention.run_once(now)
        outbox_sizes.append(await count(runtime, OutboxMessage))
        inbox_sizes.append(await count(runtime, InboxMessage))

    # what is younger than the keep period stays (rows sent exactly then too): 3 + 1 hours
    # of the outbox, 12 + 1 of the inbox, and never more
    assert max(outbox_sizes) == 4 * per_hour == outbox_sizes[-1]
    assert max(inbox_sizes) == 13 * per_hour == inbox_sizes[-1]
    assert pruned_metric(runtime, "outbox") == (hours - 4) * per_hour
    assert pruned_metric(runtime, "inbox") == (hours - 13) * per_hour


async def test_the_job_runs_on_its_own_and_reports_its_last_run(
    make_runtime: Callable[..., Any]
) -> None:
    runtime = await make_runtime(retention_every_seconds=0.1)
    registry = runtime.metrics.registry
    started = datetime.now(UTC).timestamp()
    runtime.retention.start()
    assert registry.get_sample_value("pishkhan_retention_period_seconds") == 0.1
    # a fresh process counts from its start, not from 1970
    assert registry.get_sample_value("pishkhan_retention_last_run_timestamp_seconds") >= started
    added = datetime.now(UTC)
    await add(runtime, [published(1, created=added - 2 * DAY, sent=added - 2 * DAY)])

    async def pruned_and_reported() -> bool:
        last = registry.get_sample_value("pishkhan_retention_last_run_timestamp_seconds")
        return (await count(runtime, OutboxMessage) == 0
                and pruned_metric(runtime, "outbox") == 1 and last > added.timestamp())

    await eventually(pruned_and_reported, timeout=10)
    await runtime.retention.stop()
    assert not runtime.retention.running


async def test_a_failing_rule_leaves_the_others_running_and_the_run_unfinished(
    make_runtime: Callable[..., Any]
) -> None:
    runtime = await make_runtime()

    async def broken(session: Any, *, before: datetime, now: datetime, limit: int) -> int:
        raise RuntimeError("the table is not there")

    runtime.retention.add(PruneRule("broken", DAY, broken))
    runtime.retention.start()  # the gauge now holds the start time
    await runtime.retention.stop()
    started = runtime.metrics.registry.get_sample_value(
        "pishkhan_retention_last_run_timestamp_seconds")
    await add(runtime, [published(1, created=NOW - 2 * DAY, sent=NOW - 2 * DAY)])

    pruned = await runtime.retention.run_once(NOW)

    assert pruned == {"outbox": 1, "inbox": 0}
    assert await count(runtime, OutboxMessage) == 0
    assert runtime.metrics.registry.get_sample_value(
        "pishkhan_retention_last_run_timestamp_seconds") == started
