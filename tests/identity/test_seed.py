"""The demo users: every county's staff and two applicants, made once however often the
seed runs, before or while the service runs, each announced once on the bus."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import aio_pika

from services.contracts import routing
from services.contracts.counties import GILAN_COUNTIES
from services.identity.seed import seed
from services.kit.auth import ROLES
from tests.conftest import BusNamespace, eventually, migrate
from tests.identity.conftest import CHEAP_HASHES, identity_settings, running

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo password for this test"
EXPECTED = 4 * len(GILAN_COUNTIES) + 1 + 4 + 2


async def drain(amqp: aio_pika.abc.AbstractChannel, bus_ns: BusNamespace) -> list[dict]:
    queue = await amqp.get_queue(f"{bus_ns.queue_prefix}{routing.APPLICATIONS_STAFF.queue}")
    bodies = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        bodies.append(json.loads(message.body))
    return bodies


def seed_in_a_process(database_url: str, bus_ns: BusNamespace) -> subprocess.CompletedProcess:
    settings = {"database_url": database_url, "demo_password": DEMO_PASSWORD,
                **CHEAP_HASHES, **bus_ns.settings()}
    env = {**os.environ, **{f"IDENTITY_{k.upper()}": str(v) for k, v in settings.items()}}
    return subprocess.run([sys.executable, "-m", "services.identity.seed"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


async def test_the_seed_makes_every_demo_user_once(
    database_url: str, bus_ns: BusNamespace, tmp_path: Path, amqp: aio_pika.abc.AbstractChannel,
) -> None:
    settings = identity_settings(database_url, bus_ns, tmp_path, demo_password=DEMO_PASSWORD)

    # before the service has ever started, on a database just migrated (as `make run` does)
    await migrate("identity", database_url)
    first = await seed(settings)
    assert len(first.created) == EXPECTED and first.existing == [] and first.unpublished == 0

    received: list[dict] = []

    async def all_announced() -> bool:
        received.extend(await drain(amqp, bus_ns))
        return len(received) >= EXPECTED

    await eventually(all_announced)
    by_username = {m["payload"]["username"]: m["payload"] for m in received}
    assert len(by_username) == EXPECTED == len(received)
    for county in GILAN_COUNTIES:
        for prefix, role in (("clerk", "clerk"), ("inspector", "inspector"),
                             ("officer", "licensing_officer"), ("supervisor", "supervisor")):
            user = by_username[f"{prefix}.{county.code}"]
            assert (user["roles"], user["county"]) == ([role], county.code)
            assert user["name"] and user["mobile"]
    assert by_username["inspector2.rasht"]["county"] == "rasht"
    for username, role in (("operator195", "operator_195"), ("ops", "ops"), ("admin", "admin"),
                           ("complaints.officer", "complaints_officer")):
        assert (by_username[username]["roles"], by_username[username]["county"]) == ([role],
                                                                                     None)
    assert by_username["0499370899"]["name"] == "مریم احمدی"
    assert by_username["0499370899"]["mobile"] == "09121234567"
    assert by_username["0013542419"]["name"] == "رضا کریمی"
    assert by_username["0013542419"]["mobile"] == "09111111111"
    assert all(set(u["roles"]) <= set(ROLES) for u in by_username.values())
    assert {m["payload"]["version"] for m in received} == {1}

    # again, as a command, while the service runs on the same database
    async with running(settings) as identity:
        done = await asyncio.to_thread(seed_in_a_process, database_url, bus_ns)
        assert done.returncode == 0, done.stderr
        assert f"0 demo users created, {EXPECTED} already there" in done.stdout

        token = await identity.token("inspector.rasht", DEMO_PASSWORD)
        me = await identity.client.get("/users/me", headers={"authorization": f"Bearer {token}"})
        assert me.json()["county"] == "rasht" and me.json()["version"] == 1
        assert (await identity.sign_in("0499370899", DEMO_PASSWORD)).status_code == 200
        admin = await identity.headers("admin", DEMO_PASSWORD)
        listed = await identity.client.get("/users", headers=admin, params={"limit": 500})
        assert len(listed.json()) == EXPECTED

        # no event for users that were there already
        await asyncio.sleep(1.5)
        assert await drain(amqp, bus_ns) == []
