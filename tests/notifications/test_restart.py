"""Exactly one SMS per delivery when the notifications process is killed mid-send: the real
service as a process of its own (its SQLite file, its part of the real RabbitMQ), the local
gateway simulator as another; the service is SIGKILLed while the gateway has taken a
message and holds back its answer, and started again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.contracts.notifications import NotificationRequested, Recipient
from services.kit.bus import Bus
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually, free_port
from tests.notifications.conftest import simulator_process

GATEWAY_KEY = "restart-test-key"
# The held answer outlives the adapter's wait only after the kill; the lease (which must
# exceed twice the provider timeouts) is what the restarted process waits out.
SMS_TIMEOUT_SECONDS = 3
LEASE_SECONDS = 7


def start_notifications(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The service as `python -m services.notifications` runs it, its database migrated
    first as `make run` does (`pishkhan db upgrade notifications`)."""
    with open(log, "ab") as out:
        subprocess.run([sys.executable, "-m", "services.kit.cli", "db", "upgrade", "notifications"],
                       env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, check=True)
        return subprocess.Popen([sys.executable, "-m", "services.notifications"],
                                env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)


async def until_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"notifications exited with {process.returncode}:\n"
                                     + log.read_text(errors="replace")[-3000:])
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("notifications did not become ready:\n"
                         + log.read_text(errors="replace")[-3000:])


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[str]:
    with open(tmp_path / "simulator.log", "wb") as out, \
            simulator_process("--api-key", GATEWAY_KEY, log=out) as url:
        yield url


class Notifications:
    """The service process, killed and started again on the same settings."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.base_url = f"http://127.0.0.1:{env['NOTIFICATIONS_PORT']}"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.process = start_notifications(self.env, self.log)
        await until_ready(self.base_url, self.process, self.log)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture
async def service(tmp_path: Path, bus_ns: BusNamespace, issuer: TokenIssuer,
                  simulator: str) -> AsyncIterator[Notifications]:
    settings: dict[str, Any] = {
        **bus_ns.settings(), **issuer.settings(),
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}",
        "host": "127.0.0.1", "port": free_port(),
        "sms_provider": "kavenegar", "sms_api_key": GATEWAY_KEY, "sms_base_url": simulator,
        "sms_timeout_seconds": SMS_TIMEOUT_SECONDS, "smtp_timeout_seconds": 1,
        "dispatch_lease_seconds": LEASE_SECONDS, "dispatch_poll_seconds": 0.1,
        "dispatch_backoff_seconds": 0.1, "dispatch_backoff_max_seconds": 0.5,
    }
    env = {f"NOTIFICATIONS_{name.upper()}": str(value) for name, value in settings.items()}
    notifications = Notifications(env, tmp_path / "notifications.log")
    await notifications.start()
    try:
        yield notifications
    finally:
        notifications.stop()


def mobile(n: int) -> str:
    return f"0913{n:07d}"


def notice(n: int) -> NotificationRequested:
    return NotificationRequested(
        notification_key=f"application-r{n}:issued", template="license_issued",
        recipient=Recipient(id=f"r{n}", mobile=mobile(n)), case_id=f"application-r{n}",
        data={"application_id": f"r{n}", "license_number": "GL-06-000123",
              "valid_until": "2031-03-21"},
    )


def local_id(delivery_id: str) -> str:
    """The localid the adapter derives from a delivery id (60 bits of it)."""
    return str(int(delivery_id[:15], 16))


async def sent_at_gateway(simulator: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=5) as client:
        return (await client.get(f"{simulator}/_sent")).json()


async def sms_deliveries(service: Notifications, issuer: TokenIssuer) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=service.base_url, timeout=5,
                                 headers=issuer.headers("ops-1", "ops")) as client:
        reply = await client.get("/ops/deliveries", params={"channel": "sms", "limit": 500})
    assert reply.status_code == 200, reply.text
    return reply.json()


async def kill_while_held(service: Notifications, simulator: str, peer: Bus,
                          notices: range, held: int) -> None:
    """Publish the notices; the gateway takes each and answers after a moment, the held
    one never in time; kill the service as soon as the held one has been taken."""
    async with httpx.AsyncClient(timeout=5) as client:
        for n in notices:
            pause = 60.0 if n == held else 0.3
            await client.post(f"{simulator}/_script/send/{mobile(n)}", json=[{"pause": pause}])
    for n in notices:
        await peer.publish(notice(n), correlation_id=f"application-r{n}")

    async def held_taken() -> bool:
        return any(r["form"].get("receptor") == mobile(held)
                   for r in await sent_at_gateway(simulator))

    await eventually(held_taken, interval=0.05)
    service.kill()


async def all_sent(service: Notifications, issuer: TokenIssuer,
                   count: int) -> list[dict[str, Any]]:
    async def check() -> list[dict[str, Any]] | None:
        found = await sms_deliveries(service, issuer)
        return found if len(found) == count and all(d["status"] == "sent" for d in found) \
            else None

    return await eventually(check, timeout=LEASE_SECONDS + 30)


async def test_a_kill_between_the_gateways_acceptance_and_the_commit_sends_once(
    service: Notifications, simulator: str, peer: Bus, issuer: TokenIssuer
) -> None:
    await kill_while_held(service, simulator, peer, range(1, 2), held=1)
    await service.start()

    [delivery] = await all_sent(service, issuer, 1)
    sends = [r for r in await sent_at_gateway(simulator)
             if r["form"].get("localid") == local_id(delivery["id"])]
    assert len(sends) == 1
    assert delivery["provider_message_id"] == str(sends[0]["message_id"])
    assert delivery["attempts"] == 2 and not delivery["in_doubt"]
    async with httpx.AsyncClient(base_url=service.base_url, timeout=5) as client:
        scraped = (await client.get("/metrics")).text
    assert ('pishkhan_notification_status_checks_total{channel="sms",outcome="sent",'
            'provider="kavenegar"} 1.0') in scraped


async def test_a_burst_with_a_kill_in_the_middle_sends_each_delivery_once(
    service: Notifications, simulator: str, peer: Bus, issuer: TokenIssuer
) -> None:
    await kill_while_held(service, simulator, peer, range(1, 11), held=5)
    await service.start()

    found = await all_sent(service, issuer, 10)
    per_delivery = Counter(r["form"].get("localid") for r in await sent_at_gateway(simulator))
    assert {local_id(d["id"]): per_delivery[local_id(d["id"])] for d in found} == {
        local_id(d["id"]): 1 for d in found}
    assert sorted(d["address"] for d in found) == sorted(mobile(n) for n in range(1, 11))
    # at least the held one was in doubt after the restart, and was asked about, not resent
    assert max(d["attempts"] for d in found) == 2
