"""Managing users: only admins change them, every change is announced on the bus for the
services' staff rosters, and the county rules hold."""

from __future__ import annotations

import asyncio
import json

import aio_pika
import httpx

from services.contracts import routing
from tests.conftest import BusNamespace, eventually
from tests.identity.conftest import PASSWORD, Identity

NEW_INSPECTOR = {
    "username": "inspector.lahijan",
    "name": "بازرس لاهیجان",
    "roles": ["inspector"],
    "county": "lahijan",
    "mobile": "09131234567",
    "email": "inspector.lahijan@example.com",
    "password": PASSWORD,
}


async def staff_events(amqp: aio_pika.abc.AbstractChannel, bus_ns: BusNamespace,
                       received: list[dict]) -> list[dict]:
    """Take what has arrived on the applications' staff roster queue into ``received``."""
    queue = await amqp.get_queue(f"{bus_ns.queue_prefix}{routing.APPLICATIONS_STAFF.queue}")
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        received.append(json.loads(message.body))
    return received


async def test_admin_endpoints_refuse_anonymous_callers_and_other_roles(
    identity: Identity,
) -> None:
    await identity.add_user("admin", "admin")
    await identity.add_user("clerk.rasht", "clerk", county="rasht")
    await identity.add_user("supervisor.rasht", "supervisor", county="rasht")
    clerk = await identity.headers("clerk.rasht")
    supervisor = await identity.headers("supervisor.rasht")
    admin = await identity.headers("admin")
    client = identity.client

    calls = [
        ("POST", "/users", NEW_INSPECTOR),
        ("PATCH", "/users/clerk.rasht", {"active": False}),
        ("GET", "/users", None),
        ("GET", "/users/me", None),
    ]
    for method, path, body in calls:
        reply = await client.request(method, path, json=body)
        assert reply.status_code == 401, (method, path, reply.text)
        reply = await client.request(method, path, json=body,
                                     headers={"authorization": "Bearer not-a-token"})
        assert reply.status_code == 401, (method, path, reply.text)
    for method, path, body in calls[:3]:
        reply = await client.request(method, path, json=body, headers=clerk)
        assert reply.status_code == 403, (method, path, reply.text)
    for method, path, body in calls[:2]:
        reply = await client.request(method, path, json=body, headers=supervisor)
        assert reply.status_code == 403, (method, path, reply.text)

    # nothing changed by the refused calls
    assert (await identity.sign_in("clerk.rasht")).status_code == 200
    assert (await identity.sign_in("inspector.lahijan")).status_code == 401

    assert (await client.post("/users", json=NEW_INSPECTOR, headers=admin)).status_code == 201
    assert (await client.get("/users/me", headers=clerk)).json()["username"] == "clerk.rasht"


async def test_a_created_user_is_announced_and_each_change_raises_the_version(
    identity: Identity, bus_ns: BusNamespace, amqp: aio_pika.abc.AbstractChannel,
) -> None:
    await identity.add_user("admin", "admin")
    admin = await identity.headers("admin")
    reply = await identity.client.post("/users", json=NEW_INSPECTOR, headers=admin)
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert created["version"] == 1 and created["county"] == "lahijan"

    reply = await identity.client.patch("/users/inspector.lahijan", headers=admin,
                                        json={"county": "rudsar", "mobile": None})
    assert reply.status_code == 200, reply.text
    assert reply.json()["version"] == 2 and reply.json()["mobile"] is None
    # a change to nothing is no change
    reply = await identity.client.patch("/users/inspector.lahijan", headers=admin,
                                        json={"county": "rudsar"})
    assert reply.json()["version"] == 2

    received: list[dict] = []

    async def inspector_events() -> list[dict]:
        await staff_events(amqp, bus_ns, received)
        mine = [m for m in received if m["payload"]["username"] == "inspector.lahijan"]
        return mine if len(mine) >= 2 else []

    first, second = await eventually(inspector_events)
    for envelope in (first, second):
        assert envelope["type"] == routing.IDENTITY_USER_CHANGED
        assert envelope["correlation_id"] == "user-inspector.lahijan"
    assert first["payload"] == {
        "user_id": created["id"], "username": "inspector.lahijan", "name": "بازرس لاهیجان",
        "roles": ["inspector"], "county": "lahijan", "mobile": "09131234567",
        "email": "inspector.lahijan@example.com", "active": True, "version": 1,
    }
    assert second["payload"]["county"] == "rudsar" and second["payload"]["version"] == 2
    assert second["payload"]["mobile"] is None
    assert "password" not in json.dumps(received)


async def test_admin_changes_roles_activity_and_password(identity: Identity) -> None:
    await identity.add_user("admin", "admin")
    await identity.add_user("clerk.siahkal", "clerk", county="siahkal")
    admin = await identity.headers("admin")
    patch = identity.client.patch

    reply = await patch("/users/clerk.siahkal", headers=admin,
                        json={"roles": ["supervisor"], "name": "ناظر سیاهکل"})
    assert reply.status_code == 200, reply.text
    token = await identity.token("clerk.siahkal")
    me = (await identity.client.get("/users/me",
                                    headers={"authorization": f"Bearer {token}"})).json()
    assert me["roles"] == ["supervisor"] and me["county"] == "siahkal"

    new_password = "a brand new passphrase"
    assert (await patch("/users/clerk.siahkal", headers=admin,
                        json={"password": new_password})).status_code == 200
    assert (await identity.sign_in("clerk.siahkal")).status_code == 401
    assert (await identity.sign_in("clerk.siahkal", new_password)).status_code == 200

    reply = await patch("/users/clerk.siahkal", headers=admin, json={"active": False})
    assert reply.status_code == 200 and reply.json()["active"] is False
    assert (await identity.sign_in("clerk.siahkal", new_password)).status_code == 401

    assert (await patch("/users/nobody.here", headers=admin,
                        json={"active": False})).status_code == 404


async def test_the_county_and_username_rules(identity: Identity) -> None:
    await identity.add_user("admin", "admin")
    await identity.add_user("ops", "ops")
    admin = await identity.headers("admin")

    async def refused(method: str, path: str, body: dict) -> tuple[int, list[tuple]]:
        reply = await identity.client.request(method, path, json=body, headers=admin)
        detail = reply.json()["detail"]
        for error in detail:
            assert error["message"]["en"] and error["message"]["fa"]
        return reply.status_code, [(e["field"], e["code"]) for e in detail]

    no_county = {k: v for k, v in NEW_INSPECTOR.items() if k != "county"}
    assert await refused("POST", "/users", no_county) == (422, [("county", "county_required")])
    assert await refused("POST", "/users", {**NEW_INSPECTOR, "roles": ["complaints_officer"]}
                         ) == (422, [("county", "county_not_allowed")])
    assert await refused("POST", "/users", {**NEW_INSPECTOR, "county": "tehran"}
                         ) == (422, [("county", "county_unknown")])
    assert await refused("POST", "/users", {**NEW_INSPECTOR, "roles": ["wizard"]}
                         ) == (422, [("roles.0", "literal_error")])
    assert await refused("POST", "/users", {**NEW_INSPECTOR, "username": "9 lives"}
                         ) == (422, [("username", "username_format")])
    assert await refused("POST", "/users", {**NEW_INSPECTOR, "roles": ["applicant"],
                                            "county": None}
                         ) == (422, [("username", "applicant_username")])
    assert await refused("POST", "/users", {**NEW_INSPECTOR, "username": "admin"}
                         ) == (409, [("username", "user_exists")])
    assert await refused("PATCH", "/users/ops", {"roles": ["inspector"]}
                         ) == (422, [("county", "county_required")])
    assert await refused("PATCH", "/users/ops", {"name": None}) == (422, [("name", "missing")])
    # an admin cannot lock themselves out
    assert await refused("PATCH", "/users/admin", {"active": False}
                         ) == (422, [("active", "self_lockout")])
    assert await refused("PATCH", "/users/admin", {"roles": ["ops"]}
                         ) == (422, [("roles", "self_lockout")])

    reply = await identity.client.patch("/users/ops", headers=admin,
                                        json={"roles": ["inspector"], "county": "amlash"})
    assert reply.status_code == 200 and reply.json()["county"] == "amlash"
    reply = await identity.client.patch("/users/ops", headers=admin,
                                        json={"roles": ["ops"], "county": None})
    assert reply.status_code == 200 and reply.json()["county"] is None


async def test_listing_users_by_role_and_county(identity: Identity) -> None:
    await identity.add_user("admin", "admin")
    await identity.add_user("inspector.rasht", "inspector", county="rasht")
    await identity.add_user("inspector2.rasht", "inspector", county="rasht")
    await identity.add_user("clerk.rasht", "clerk", county="rasht")
    await identity.add_user("inspector.anzali", "inspector", county="anzali")
    await identity.add_user("supervisor.rasht", "supervisor", county="rasht")
    await identity.add_user("0499370899", "applicant", name="مریم احمدی")

    async def usernames(headers: dict[str, str], **params: str) -> list[str] | int:
        reply = await identity.client.get("/users", params=params, headers=headers)
        if reply.status_code != 200:
            return reply.status_code
        return [u["username"] for u in reply.json()]

    admin = await identity.headers("admin")
    assert await usernames(admin, role="inspector") == [
        "inspector.anzali", "inspector.rasht", "inspector2.rasht"]
    assert await usernames(admin, role="inspector", county="rasht") == [
        "inspector.rasht", "inspector2.rasht"]
    assert await usernames(admin, role="applicant") == ["0499370899"]
    assert len(await usernames(admin)) == 7  # type: ignore[arg-type]
    assert await usernames(admin, role="wizard") == 422

    supervisor = await identity.headers("supervisor.rasht")
    assert await usernames(supervisor, role="inspector") == ["inspector.rasht",
                                                             "inspector2.rasht"]
    assert await usernames(supervisor) == ["clerk.rasht", "inspector.rasht",
                                           "inspector2.rasht", "supervisor.rasht"]
    assert await usernames(supervisor, county="anzali") == 403


async def test_concurrent_registrations_of_one_national_code_make_one_user(
    identity: Identity,
) -> None:
    body = {"national_code": "0013542419", "name": "رضا کریمی", "mobile": "09111111111",
            "password": PASSWORD}

    async def register() -> httpx.Response:
        return await identity.client.post("/register", json=body)

    replies = await asyncio.gather(*(register() for _ in range(4)))
    assert sorted(r.status_code for r in replies) == [201, 409, 409, 409]
