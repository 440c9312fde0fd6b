"""Every query of the identity service."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, cast, delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.identity.models import LoginFailure, User


async def by_username(session: AsyncSession, username: str) -> User | None:
    rows = await session.exec(select(User).where(User.username == username))
    return rows.first()


async def find(session: AsyncSession, *, role: str | None, county: str | None, limit: int,
               offset: int) -> list[User]:
    query = select(User)
    if role is not None:
        # roles is a JSON list of known names; the quoted name matches exactly one element
        # on SQLite and PostgreSQL alike
        query = query.where(cast(User.roles, String).like(f'%"{role}"%'))
    if county is not None:
        query = query.where(User.county == county)
    rows = await session.exec(query.order_by(col(User.username)).offset(offset).limit(limit))
    return list(rows.all())


async def recent_failures(session: AsyncSession, username: str, since: dt.datetime
                          ) -> tuple[int, dt.datetime | None]:
    """How many sign-ins failed for ``username`` since ``since``, and when the first did."""
    count, first = (
        await session.exec(
            select(func.count(), func.min(LoginFailure.failed_at)).where(
                LoginFailure.username == username, col(LoginFailure.failed_at) >= since
            )
        )
    ).one()
    return int(count), first


def record_failure(session: AsyncSession, username: str, at: dt.datetime) -> None:
    session.add(LoginFailure(username=username, failed_at=at))


async def forget_failures(session: AsyncSession, *, username: str | None = None,
                          before: dt.datetime | None = None) -> None:
    query = delete(LoginFailure)
    if username is not None:
        query = query.where(col(LoginFailure.username) == username)
    if before is not None:
        query = query.where(col(LoginFailure.failed_at) < before)
    await session.exec(query)  # type: ignore[call-overload]
