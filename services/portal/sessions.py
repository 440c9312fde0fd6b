"""Web sessions, the one thing the portal owns: who is signed in (their token and what it
says about them), kept in the portal's own database; the browser holds only a random id in
an HttpOnly, SameSite=Lax cookie (Secure over TLS).

In the database so that a restart signs nobody out and every replica behind a load
balancer sees the same sessions. A row is found by the SHA-256 of the cookie's value, never
by the value itself: a copy of the database gives no cookie to replay (the id has 256 random
bits, so a plain hash is enough, no salt or slow hash is needed).

A session ends at the first of: sign-out (the row is deleted), ``idle_seconds`` without a
request, ``lifetime_seconds`` after sign-in, and the end of the token it carries. An ended
row is refused and deleted when it is next presented; every sign-in also deletes all ended
rows, so rows of people who never come back do not pile up.

``last_seen_at`` is written at most every ``touch_seconds`` (a minute, or a quarter of the
idle time when that is shorter), not on every page, so a busy page costs one read, no write;
the idle end is therefore up to that much early.

Sign-in stores a new row (``open``), sign-out deletes it (``close``); ``purge`` deletes
every ended row."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import JSON, Column, Text, delete, or_, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Field, SQLModel, col

from services.kit.auth import Principal
from services.kit.db import Database, UTCDateTime, utcnow

SESSION_COOKIE = "pishkhan_session"
CSRF_COOKIE = "pishkhan_csrf"
LANGUAGE_COOKIE = "pishkhan_lang"
CSRF_FIELD = "csrf_token"

# token_urlsafe(32) gives 43 characters; anything much longer is not one of ours
_MAX_COOKIE_LENGTH = 128


class WebSessionRow(SQLModel, table=True):
    """One signed-in browser."""

    __tablename__ = "web_sessions"

    # SHA-256 (hex) of the cookie's value
    id_hash: str = Field(primary_key=True, max_length=64)
    # the person's bearer token, sent to the services on their behalf
    token: str = Field(sa_type=Text)
    sub: str
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    county: str | None = None
    name: str | None = None
    national_code: str | None = None
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    last_seen_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    # the hard end: sign-in + lifetime, or the token's end when that comes first
    expires_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)


TABLES = [WebSessionRow.__table__]  # type: ignore[attr-defined]


@dataclass
class WebSession:
    id: str
    token: str
    principal: Principal
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime

    @property
    def roles(self) -> frozenset[str]:
        return self.principal.roles

    def has(self, *roles: str) -> bool:
        return self.principal.has(*roles)


def digest(session_id: str) -> str:
    """What the database keeps of a session id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    def __init__(self, db: Database, *, idle_seconds: int, lifetime_seconds: int,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.db = db
        self.idle = dt.timedelta(seconds=idle_seconds)
        self.lifetime = dt.timedelta(seconds=lifetime_seconds)
        self.touch_after = min(dt.timedelta(minutes=1), self.idle / 4)
        self.clock = clock

    async def open(self, token: str, principal: Principal, expires_in: int) -> WebSession:
        """A new session for a person just signed in; a sign-in also clears out the
        sessions that ended unseen."""
        session, row = self._new(token, principal, expires_in)
        async with self.db.sessionmaker() as db:
            await db.exec(delete(WebSessionRow).where(  # type: ignore[call-overload]
                self._ended_clause(self.clock())))
            db.add(row)
            await db.commit()
        return session

    async def close(self, session_id: str | None) -> None:
        """Sign-out: the session's row is deleted."""
        if not session_id:
            return
        async with self.db.sessionmaker() as db:
            await db.exec(delete(WebSessionRow).where(  # type: ignore[call-overload]
                col(WebSessionRow.id_hash) == digest(session_id)))
            await db.commit()

    async def get(self, session_id: str | None) -> WebSession | None:
        """The live session of a cookie's value, or None; an ended one is deleted."""
        if not session_id or len(session_id) > _MAX_COOKIE_LENGTH:
            return None
        key = digest(session_id)
        now = self.clock()
        async with self.db.sessionmaker() as db:
            row = await db.get(WebSessionRow, key)
            if row is None:
                return None
            if self._ended(row, now):
                await db.exec(delete(WebSessionRow).where(  # type: ignore[call-overload]
                    col(WebSessionRow.id_hash) == key))
                await db.commit()
                return None
            if now - row.last_seen_at >= self.touch_after:
                await db.exec(update(WebSessionRow)  # type: ignore[call-overload]
                              .where(col(WebSessionRow.id_hash) == key)
                              .values(last_seen_at=now))
                await db.commit()
                row.last_seen_at = now
            return _session(session_id, row)

    async def purge(self) -> int:
        """Delete every ended session; how many there were."""
        now = self.clock()
        async with self.db.sessionmaker() as db:
            result = await db.exec(delete(WebSessionRow).where(  # type: ignore[call-overload]
                self._ended_clause(now)))
            await db.commit()
            return int(result.rowcount or 0)

    # -- inside --------------------------------------------------------------------------------

    def _new(self, token: str, principal: Principal, expires_in: int
             ) -> tuple[WebSession, WebSessionRow]:
        now = self.clock()
        session_id = secrets.token_urlsafe(32)
        row = WebSessionRow(
            id_hash=digest(session_id), token=token, sub=principal.sub,
            roles=sorted(principal.roles), county=principal.county, name=principal.name,
            national_code=principal.national_code, created_at=now, last_seen_at=now,
            expires_at=min(now + self.lifetime, now + dt.timedelta(seconds=expires_in)))
        return _session(session_id, row), row

    def _ended(self, row: WebSessionRow, now: dt.datetime) -> bool:
        return now >= row.expires_at or now - row.last_seen_at >= self.idle

    def _ended_clause(self, now: dt.datetime) -> ColumnElement[bool]:
        return or_(col(WebSessionRow.expires_at) <= now,
                   col(WebSessionRow.last_seen_at) <= now - self.idle)


def _session(session_id: str, row: WebSessionRow) -> WebSession:
    return WebSession(
        id=session_id, token=row.token,
        principal=Principal(sub=row.sub, roles=frozenset(row.roles), county=row.county,
                            name=row.name, national_code=row.national_code),
        created_at=row.created_at, last_seen_at=row.last_seen_at, expires_at=row.expires_at)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(cookie: str | None, submitted: str | None) -> bool:
    return bool(cookie) and bool(submitted) and secrets.compare_digest(
        str(cookie), str(submitted))
