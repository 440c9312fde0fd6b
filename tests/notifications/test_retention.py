"""What notices said is kept for NOTIFICATIONS_CONTENT_KEEP_DAYS: after it the running
service empties finished deliveries and in-app notices, keeps their rows (the delivery log)
and shows them as pruned; a delivery still to be sent is never touched."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from services.kit.db import Database
from services.kit.http import build_runtime
from services.notifications.app import MIGRATIONS
from services.notifications.models import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    Delivery,
    InboxItem,
)
from services.notifications.settings import NotificationsSettings
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually, migrate
from tests.notifications.conftest import Service, notifications, service_settings

MARYAM = "0499370899"
DAY = dt.timedelta(days=1)


async def prepare_database(database_url: str, rows: list[Any]) -> None:
    """The one place this file sets up its tables (the service's own and the kit's), with
    the rows the service starts on."""
    runtime = build_runtime("notifications", NotificationsSettings(database_url=database_url),
                            MIGRATIONS)
    db: Database = runtime.db
    try:
        await migrate(db)
        async with db.sessionmaker() as session:
            session.add_all(rows)
            await session.commit()
    finally:
        await db.dispose()


def delivery(name: str, status: str, *, finished_days_ago: float | None,
             created_days_ago: float, channel: str = "email") -> Delivery:
    now = datetime.now(UTC)
    return Delivery(
        id=name, notification_key=f"application-a1:{name}", recipient_id=MARYAM,
        channel=channel, address="maryam@example.org", template="application_step",
        case_id="application-a1", language="fa", subject=f"subject {name}",
        body=f"body {name}", body_fa=f"متن {name}", body_en=f"text {name}",
        html=f"<p>{name}</p>", status=status, attempts=1,
        created_at=now - created_days_ago * DAY,
        # a delivery still to be sent is due only tomorrow, so the dispatcher leaves it be
        next_attempt_at=now + DAY,
        claimed_by="elsewhere" if status == SENDING else None,
        claimed_until=now + DAY if status == SENDING else None,
        completed_at=None if finished_days_ago is None else now - finished_days_ago * DAY,
        reason="e-mail refused" if status == FAILED else None,
    )


def notice(name: str, *, days_ago: float) -> InboxItem:
    return InboxItem(id=name, recipient_id=MARYAM, notification_key=f"application-a1:{name}",
                     template="application_step", case_id="application-a1", language="fa",
                     subject=f"subject {name}", body=f"body {name}", link="/applications/a1",
                     created_at=datetime.now(UTC) - days_ago * DAY)


def counter(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


async def test_content_past_its_keep_period_is_emptied_and_the_rows_stay(
    database_url: str, bus_ns: BusNamespace, issuer: TokenIssuer
) -> None:
    await prepare_database(database_url, [
        delivery("sent-old", SENT, finished_days_ago=400, created_days_ago=400),
        delivery("failed-old", FAILED, finished_days_ago=366, created_days_ago=370),
        delivery("skipped-old", SKIPPED, finished_days_ago=500, created_days_ago=500,
                 channel="in_app"),
        delivery("sent-recent", SENT, finished_days_ago=364, created_days_ago=366),
        # still to be sent, however old: what it must send stays
        delivery("pending-old", PENDING, finished_days_ago=None, created_days_ago=400),
        delivery("sending-old", SENDING, finished_days_ago=None, created_days_ago=400),
        notice("notice-old", days_ago=366),
        notice("notice-recent", days_ago=300),
    ])
    # two rows a batch: three old deliveries take two batches
    settings = service_settings(database_url, bus_ns, gateway=None, smtp=None,
                                retention_batch=2, **issuer.settings())
    ops = issuer.headers("ops.user", "ops")
    async with notifications(settings) as service:  # the service prunes at start-up
        async def log() -> dict[str, dict[str, Any]]:
            reply = await service.api.get("/ops/deliveries", headers=ops,
                                          params={"recipient_id": MARYAM})
            assert reply.status_code == 200, reply.text
            return {row["id"]: row for row in reply.json()}

        async def pruned() -> dict[str, dict[str, Any]] | None:
            rows = await log()
            done = {name for name, row in rows.items() if row["content_pruned_at"]}
            return rows if done == {"sent-old", "failed-old", "skipped-old"} else None

        rows = await eventually(pruned, timeout=15)

        for name in ("sent-old", "failed-old", "skipped-old"):
            row = rows[name]
            assert (row["subject"], row["body"], row["body_fa"], row["body_en"]) == (
                None, "", "", ""), name
            # the log still says who was told what, when, and how it went
            assert row["template"] == "application_step" and row["recipient_id"] == MARYAM
            assert row["notification_key"] == f"application-a1:{name}"
            assert row["completed_at"] is not None
        assert [rows[n]["status"] for n in ("sent-old", "failed-old", "skipped-old")] == [
            SENT, FAILED, SKIPPED]
        for name in ("sent-recent", "pending-old", "sending-old"):
            assert rows[name]["content_pruned_at"] is None, name
            assert rows[name]["body"] == f"body {name}" and rows[name]["subject"] == f"subject {name}"
        assert rows["pending-old"]["status"] == PENDING

        # nothing left to send again
        reply = await service.api.post("/ops/deliveries/failed-old/resend", headers=ops)
        assert reply.status_code == 409, reply.text
        assert "content was removed" in reply.json()["detail"]

        items = {i["id"]: i for i in await _inbox(service, issuer)}
        assert set(items) == {"notice-old", "notice-recent"}
        assert (items["notice-old"]["subject"], items["notice-old"]["body"]) == ("", "")
        assert items["notice-old"]["content_pruned_at"] is not None
        assert items["notice-old"]["link"] == "/applications/a1"
        assert items["notice-recent"]["content_pruned_at"] is None
        assert items["notice-recent"]["body"] == "body notice-recent"

        text = (await service.api.get("/metrics")).text
        assert counter(text, "pishkhan_retention_pruned_total", table="delivery") == 3
        assert counter(text, "pishkhan_retention_pruned_total", table="inbox_item") == 1
        assert counter(text, "pishkhan_retention_pruned_total", table="outbox") == 0
        last = counter(text, "pishkhan_retention_last_run_timestamp_seconds")
        assert last is not None and last > datetime.now(UTC).timestamp() - 60

        # a second run finds nothing more to do and counts nothing twice
        again = await service.app.state.runtime.retention.run_once()
        assert again["delivery"] == again["inbox_item"] == 0
        assert service.metric("pishkhan_retention_pruned_total", table="delivery") == 3


async def _inbox(service: Service, issuer: TokenIssuer) -> list[dict[str, Any]]:
    reply = await service.api.get("/inbox", headers=issuer.applicant(MARYAM))
    assert reply.status_code == 200, reply.text
    return list(reply.json())
