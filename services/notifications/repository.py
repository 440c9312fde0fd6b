"""Every query of the notifications service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import and_, case, func, or_, true, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.notifications.models import (
    FAILED,
    FINAL,
    PENDING,
    SENDING,
    Delivery,
    InboxItem,
    Preference,
)

# -- deliveries ---------------------------------------------------------------------------


async def delivered_channels(session: AsyncSession, key: str, recipient_id: str) -> set[str]:
    """The channels that already have a delivery of this notice to this recipient."""
    rows = await session.exec(
        select(Delivery.channel).where(
            Delivery.notification_key == key, Delivery.recipient_id == recipient_id,
        )
    )
    return set(rows.all())


async def deliveries(session: AsyncSession, *, recipient_id: str, case_id: str | None,
                     limit: int, offset: int) -> list[Delivery]:
    """One recipient's deliveries, oldest first (the order things happened to the case)."""
    query = select(Delivery).where(Delivery.recipient_id == recipient_id)
    if case_id:
        query = query.where(Delivery.case_id == case_id)
    query = query.order_by(col(Delivery.created_at), col(Delivery.id)).offset(offset).limit(limit)
    return list((await session.exec(query)).all())


async def delivery_log(session: AsyncSession, *, recipient_id: str | None = None,
                       case_id: str | None = None, status: str | None = None,
                       channel: str | None = None, template: str | None = None,
                       oldest_first: bool = False, limit: int = 50,
                       offset: int = 0) -> list[Delivery]:
    """Deliveries by any of these, newest first unless asked otherwise."""
    query = select(Delivery)
    for column, value in ((Delivery.recipient_id, recipient_id), (Delivery.case_id, case_id),
                          (Delivery.status, status), (Delivery.channel, channel),
                          (Delivery.template, template)):
        if value:
            query = query.where(column == value)
    order = (col(Delivery.created_at), col(Delivery.id))
    if not oldest_first:
        order = (order[0].desc(), order[1].desc())
    query = query.order_by(*order).offset(offset).limit(limit)
    return list((await session.exec(query)).all())


async def delivery(session: AsyncSession, delivery_id: str) -> Delivery | None:
    return await session.get(Delivery, delivery_id)


def _due(now: dt.datetime) -> Any:
    # waiting for its (next) try, or held by a dispatcher that let its lease run out
    return or_(
        and_(col(Delivery.status) == PENDING, col(Delivery.next_attempt_at) <= now),
        and_(col(Delivery.status) == SENDING, col(Delivery.claimed_until) < now),
    )


async def claim_due(session: AsyncSession, *, worker: str, now: dt.datetime,
                    lease_until: dt.datetime, limit: int) -> list[Delivery]:
    """Take up to ``limit`` due deliveries for ``worker``, each counting one more attempt.

    A row taken over from an expired lease is marked in doubt: its last try may have
    reached the provider (SET reads the row as it was, so ``status`` is the old one).

    One conditional UPDATE: a row is claimed only while it is still due, so two dispatchers
    never hold the same row. On PostgreSQL the inner SELECT skips rows another transaction
    has locked (FOR UPDATE SKIP LOCKED), so replicas share the work instead of queueing
    behind each other; SQLite runs one writer at a time anyway. The caller commits."""
    candidates = (
        select(Delivery.id).where(_due(now))
        .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(Delivery)
        .where(col(Delivery.id).in_(candidates.scalar_subquery()), _due(now))
        .values(status=SENDING, claimed_by=worker, claimed_until=lease_until,
                attempts=col(Delivery.attempts) + 1,
                in_doubt=case((col(Delivery.status) == SENDING, true()),
                              else_=col(Delivery.in_doubt)))
        .returning(col(Delivery.id))
        .execution_options(synchronize_session=False)
    )
    ids = list(result.scalars().all())
    if not ids:
        return []
    rows = await session.exec(
        select(Delivery).where(col(Delivery.id).in_(ids))
        .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def settle(session: AsyncSession, delivery_id: str, *, worker: str,
                 values: dict[str, Any]) -> bool:
    """Record the outcome of a send, only if ``worker`` still holds the delivery."""
    result = await session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == SENDING,
               col(Delivery.claimed_by) == worker)
        .values(claimed_by=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def reopen(session: AsyncSession, delivery_id: str, *, now: dt.datetime) -> bool:
    """Put a failed delivery back to pending with a fresh round of attempts; not one whose
    content retention has emptied (it would send nothing)."""
    result = await session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == FAILED,
               col(Delivery.content_pruned_at).is_(None))
        .values(status=PENDING, attempts=0, next_attempt_at=now, reason=None,
                completed_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def pending_by_channel(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(
        select(Delivery.channel, func.count())
        .where(col(Delivery.status).in_((PENDING, SENDING)))
        .group_by(col(Delivery.channel))
    )
    return {channel: count for channel, count in rows.all()}


async def prune_delivery_content(session: AsyncSession, *, before: dt.datetime,
                                 now: dt.datetime, limit: int) -> int:
    """Empty the subject, texts and html of up to ``limit`` deliveries finished (sent,
    failed or skipped) before ``before``; a pending or sending one keeps what it must still
    send. The caller commits."""
    batch = (
        select(Delivery.id)
        .where(col(Delivery.status).in_(FINAL), col(Delivery.completed_at) < before,
               col(Delivery.content_pruned_at).is_(None))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(Delivery)
        # the status again: a failed delivery resent meanwhile is pending, not to be touched
        .where(col(Delivery.id).in_(batch.scalar_subquery()), col(Delivery.status).in_(FINAL))
        .values(subject=None, body="", body_fa="", body_en="", html=None,
                content_pruned_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# -- preferences --------------------------------------------------------------------------


async def preference(session: AsyncSession, recipient_id: str) -> Preference | None:
    return await session.get(Preference, recipient_id)


# -- the in-app inbox ---------------------------------------------------------------------


def _owned(recipient_ids: Collection[str]) -> Any:
    return col(InboxItem.recipient_id).in_(list(recipient_ids))


async def inbox(session: AsyncSession, recipient_ids: Collection[str], *, unread_only: bool,
                limit: int, offset: int) -> list[InboxItem]:
    query = select(InboxItem).where(_owned(recipient_ids))
    if unread_only:
        query = query.where(col(InboxItem.read_at).is_(None))
    query = (query.order_by(col(InboxItem.created_at).desc(), col(InboxItem.id).desc())
             .offset(offset).limit(limit))
    return list((await session.exec(query)).all())


async def unread_count(session: AsyncSession, recipient_ids: Collection[str]) -> int:
    rows = await session.exec(
        select(func.count()).select_from(InboxItem)
        .where(_owned(recipient_ids), col(InboxItem.read_at).is_(None))
    )
    return int(rows.one())


async def inbox_item(session: AsyncSession, item_id: str,
                     recipient_ids: Collection[str]) -> InboxItem | None:
    rows = await session.exec(
        select(InboxItem).where(col(InboxItem.id) == item_id, _owned(recipient_ids))
    )
    return rows.first()


async def mark_all_read(session: AsyncSession, recipient_ids: Collection[str], *,
                        now: dt.datetime) -> int:
    result = await session.execute(
        update(InboxItem)
        .where(_owned(recipient_ids), col(InboxItem.read_at).is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def prune_inbox_content(session: AsyncSession, *, before: dt.datetime,
                              now: dt.datetime, limit: int) -> int:
    """Empty the subject and body of up to ``limit`` in-app notices that arrived before
    ``before``. The caller commits."""
    batch = (
        select(InboxItem.id)
        .where(col(InboxItem.created_at) < before, col(InboxItem.content_pruned_at).is_(None))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(InboxItem)
        .where(col(InboxItem.id).in_(batch.scalar_subquery()))
        .values(subject="", body="", content_pruned_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def failed_deliveries(session: AsyncSession, *, limit: int) -> list[Delivery]:
    return await delivery_log(session, status=FAILED, limit=limit)
