"""Web sessions in the portal's own database, on SQLite and on PostgreSQL: they outlive a
restart, every portal on the database sees them, they end when idle, at their lifetime and
with their token, sign-out deletes them, and the database never holds a cookie's value."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import col, select

from services.kit.auth import Principal
from services.kit.db import Database, utcnow
from services.portal.app import MIGRATIONS, create_app
from services.portal.sessions import SESSION_COOKIE, SessionStore, WebSessionRow
from tests.auth_fixtures import TokenIssuer
from tests.conftest import migrate
from tests.portal.conftest import FakeServices, browser, csrf_of, portal_settings, sign_in, started

HOLDER = "0499370899"


class Clock:
    """Time the tests move by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def portal(issuer: TokenIssuer, services: FakeServices, database_url: str,
           **settings: Any) -> Any:
    return create_app(portal_settings(issuer, database_url=database_url, **settings),
                      transport=httpx.MockTransport(services))


async def rows(app: Any) -> list[WebSessionRow]:
    async with app.state.db.sessionmaker() as db:
        return list((await db.exec(select(WebSessionRow))).all())


async def signed_in(client: httpx.AsyncClient) -> bool:
    page = await client.get("/me")
    if page.status_code == 303:
        assert page.headers["location"].startswith("/signin")
        return False
    assert page.status_code == 200, page.text[:300]
    return True


def copy_cookies(source: httpx.AsyncClient, target: httpx.AsyncClient) -> None:
    target.cookies = httpx.Cookies(source.cookies)


async def test_a_session_survives_a_restart_on_the_same_database(
        issuer: TokenIssuer, services: FakeServices, database_url: str) -> None:
    first = portal(issuer, services, database_url)
    async with started(first), browser(first) as before:
        assert (await sign_in(before, HOLDER)).status_code == 303
        assert await signed_in(before)
    # the first portal is gone; a new process on the same database
    second = portal(issuer, services, database_url)
    async with started(second), browser(second) as after:
        copy_cookies(before, after)
        assert await signed_in(after)
        page = await after.get("/me")
        assert HOLDER in page.text or "/signout" in page.text


async def test_two_portals_on_one_database_share_sessions(
        issuer: TokenIssuer, services: FakeServices, database_url: str) -> None:
    one = portal(issuer, services, database_url)
    two = portal(issuer, services, database_url)
    async with started(one), started(two), browser(one) as at_one, browser(two) as at_two:
        await sign_in(at_one, HOLDER)
        copy_cookies(at_one, at_two)
        assert await signed_in(at_two)
        # signing out behind one replica ends the session behind the other
        token = await csrf_of(at_two, "/me")
        out = await at_two.post("/signout", data={"csrf_token": token})
        assert out.status_code == 303
        assert not await signed_in(at_one)
        assert await rows(one) == []


async def test_the_cookie_is_not_what_is_stored(
        issuer: TokenIssuer, services: FakeServices, database_url: str) -> None:
    app = portal(issuer, services, database_url)
    async with started(app), browser(app) as client:
        await sign_in(client, HOLDER)
        cookie = client.cookies[SESSION_COOKIE]
        # token_urlsafe(32): 256 random bits
        assert len(cookie) >= 43
        [row] = await rows(app)
        assert row.id_hash == hashlib.sha256(cookie.encode()).hexdigest()
        assert all(cookie not in str(value) for value in row.model_dump().values())
        # what the database holds does not sign anyone in
        async with browser(app) as thief:
            thief.cookies.set(SESSION_COOKIE, row.id_hash, domain="portal.test")
            assert not await signed_in(thief)
        assert row.sub == HOLDER and row.roles == ["applicant"]
        assert row.national_code == HOLDER and row.token


async def test_sign_out_deletes_the_row_and_the_old_cookie_is_refused(
        issuer: TokenIssuer, services: FakeServices, database_url: str) -> None:
    app = portal(issuer, services, database_url)
    async with started(app), browser(app) as client:
        await sign_in(client, HOLDER)
        cookie = client.cookies[SESSION_COOKIE]
        assert len(await rows(app)) == 1
        token = await csrf_of(client, "/me")
        out = await client.post("/signout", data={"csrf_token": token})
        assert out.status_code == 303 and SESSION_COOKIE not in client.cookies
        assert await rows(app) == []
        # a copy of the cookie kept from before is worth nothing now
        client.cookies.set(SESSION_COOKIE, cookie, domain="portal.test")
        replay = await client.get("/me")
        assert replay.status_code == 303 and replay.headers["location"].startswith("/signin")
        assert SESSION_COOKIE not in client.cookies


async def test_signing_in_again_ends_the_session_it_replaces(
        issuer: TokenIssuer, services: FakeServices, database_url: str) -> None:
    app = portal(issuer, services, database_url)
    async with started(app), browser(app) as client:
        await sign_in(client, HOLDER)
        first = client.cookies[SESSION_COOKIE]
        # the sign-in form is still open in another tab
        token = await csrf_of(client, "/me")
        again = await client.post("/signin", data={"username": "0013542419",
                                                   "password": "pishkhan-demo",
                                                   "csrf_token": token})
        assert again.status_code == 303 and client.cookies[SESSION_COOKIE] != first
        [row] = await rows(app)
        assert row.sub == "0013542419"


async def test_an_idle_session_ends(issuer: TokenIssuer, services: FakeServices,
                                    database_url: str) -> None:
    app = portal(issuer, services, database_url, session_idle_seconds=120,
                 session_lifetime_seconds=3600)
    clock = app.state.sessions.clock = Clock()
    async with started(app), browser(app) as client:
        await sign_in(client, HOLDER)
        clock.advance(100)
        assert await signed_in(client)
        # a request keeps it alive: idle is counted from the last one
        clock.advance(100)
        assert await signed_in(client)
        clock.advance(121)
        page = await client.get("/me")
        assert page.status_code == 303 and page.headers["location"] == "/signin?next=/me"
        assert SESSION_COOKIE not in client.cookies
        assert await rows(app) == []


async def test_a_busy_session_ends_at_its_lifetime(issuer: TokenIssuer, services: FakeServices,
                                                   database_url: str) -> None:
    app = portal(issuer, services, database_url, session_idle_seconds=120,
                 session_lifetime_seconds=300)
    clock = app.state.sessions.clock = Clock()
    async with started(app), browser(app) as client:
        await sign_in(client, HOLDER)
        for _ in range(2):
            clock.advance(100)
            assert await signed_in(client)
        clock.advance(100)
        assert not await signed_in(client)
        assert await rows(app) == []


async def test_a_session_never_outlives_its_token(issuer: TokenIssuer, services: FakeServices,
                                                  database_url: str) -> None:
    # the fake identity service's tokens last 600 s; the defaults are 30 min and 12 h
    app = portal(issuer, services, database_url)
    clock = app.state.sessions.clock = Clock()
    async with started(app), browser(app) as client:
        await sign_in(client, HOLDER)
        [row] = await rows(app)
        assert row.expires_at - row.created_at == dt.timedelta(seconds=600)
        clock.advance(599)
        assert await signed_in(client)
        clock.advance(1)
        assert not await signed_in(client)


async def test_readiness_includes_the_database(issuer: TokenIssuer, services: FakeServices,
                                               database_url: str) -> None:
    app = portal(issuer, services, database_url)
    async with started(app), browser(app) as client:
        ready = await client.get("/readyz")
        assert ready.json()["checks"]["database"] is True


# -- the store itself -------------------------------------------------------------------------

PERSON = Principal(sub="clerk.rasht", roles=frozenset({"clerk"}), county="rasht",
                   name="کارمند رشت")


async def test_the_store_refuses_and_purges_ended_sessions(database_url: str) -> None:
    db = Database(database_url, schema=MIGRATIONS)
    clock = Clock()
    store = SessionStore(db, idle_seconds=600, lifetime_seconds=3600, clock=clock)
    await migrate(db)
    try:
        idle = await store.open("t1", PERSON, 7200)
        busy = await store.open("t2", PERSON, 7200)
        assert await store.get("not-a-session") is None
        assert await store.get("x" * 1000) is None
        found = await store.get(busy.id)
        assert found is not None and found.principal == PERSON and found.token == "t2"

        # a touch within the minute is not written; after it, it is
        clock.advance(30)
        await store.get(busy.id)
        assert await last_seen(db, busy.id) == busy.last_seen_at
        clock.advance(300)
        await store.get(busy.id)
        assert await last_seen(db, busy.id) == clock.now

        clock.advance(400)  # idle for 730 s, busy for 400 s
        assert await count(db) == 2
        # a sign-in clears out the sessions that ended unseen
        fresh = await store.open("t3", PERSON, 7200)
        assert await count(db) == 2
        assert await store.get(idle.id) is None
        assert await store.get(busy.id) is not None

        # refused when presented after its end, and its row deleted then
        clock.advance(601)
        assert await store.get(busy.id) is None
        assert await count(db) == 1
        assert await store.purge() == 1
        assert await count(db) == 0
        await store.close(fresh.id)
    finally:
        await db.dispose()


async def count(db: Database) -> int:
    async with db.sessionmaker() as session:
        return int((await session.exec(select(func.count(col(WebSessionRow.id_hash))))).one())


async def last_seen(db: Database, session_id: str) -> dt.datetime:
    async with db.sessionmaker() as session:
        row = await session.get(WebSessionRow, hashlib.sha256(session_id.encode()).hexdigest())
        assert row is not None
        return row.last_seen_at
