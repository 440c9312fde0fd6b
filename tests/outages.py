"""Dependencies a test can take away and bring back: its own Temporal dev server, its own
RabbitMQ node, and a TCP gate in front of the real PostgreSQL. The machine's broker and
database are never stopped; each of these belongs to one test and dies with it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from tests.conftest import free_port, temporal_cli, wait_for_port
from workflows import search_attributes


class TemporalDevServer:
    """``temporal server start-dev`` on a SQLite file, so a restart keeps every workflow."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.http_port = free_port()
        self.metrics_port = free_port()
        self.db_file = workdir / "temporal.db"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            temporal_cli(), "server", "start-dev", "--headless",
            "--db-filename", str(self.db_file),
            "--ip", "127.0.0.1", "--port", str(self.port),
            "--http-port", str(self.http_port), "--metrics-port", str(self.metrics_port),
            "--namespace", "default", "--sqlite-pragma", "journal_mode=wal",
            "--log-level", "error",
        ]
        for key in search_attributes.ALL:
            command += ["--search-attribute", f"{key.name}=Keyword"]
        log = open(self.workdir / "temporal.log", "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for_port(self.port, 60, self.proc)

    def kill(self) -> None:
        """SIGKILL: no goodbye to its clients, as when a machine dies."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(15)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


class RabbitNode:
    """A RabbitMQ node of the test's own, on free ports with its own data directory and no
    plugins; stopping it leaves the machine's broker alone."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.name = f"pishkhan-test-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        plugins = workdir / "enabled_plugins"
        plugins.write_text("[].\n")
        (workdir / "mnesia").mkdir(exist_ok=True)
        (workdir / "log").mkdir(exist_ok=True)
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(workdir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(workdir / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(plugins),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def start(self) -> None:
        log = open(self.workdir / "server.out", "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(["rabbitmq-server"], env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_for_port(self.port, 90, self.proc)
        # the port opens a moment before the node takes logins
        subprocess.run(["rabbitmqctl", "-n", self.name, "await_startup", "--timeout", "60"],
                       env=self.env, check=True, capture_output=True, timeout=90)

    def kill(self) -> None:
        """SIGKILL the node's whole process group: every connection drops at once."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)
        self.proc = None
        self._wait_port_free()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            subprocess.run(["rabbitmqctl", "-n", self.name, "stop"], env=self.env,
                           capture_output=True, timeout=60)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        # epmd and the node's helpers share its group; none may outlive the test
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None

    def _wait_port_free(self, timeout: float = 20) -> None:
        import socket

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.1)


class TcpGate:
    """A TCP proxy to a real server that can be shut: while shut it refuses new connections
    and cuts the open ones, as a database restart or a network partition would."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.open = True
        self._server: asyncio.base_events.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def close(self) -> None:
        self.shut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def shut(self) -> None:
        self.open = False
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    def reopen(self) -> None:
        self.open = True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._pipes.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer),
                             return_exceptions=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._pipes.discard(writer)
            writer.transport.abort()


@contextlib.asynccontextmanager
async def gate_to(host: str, port: int) -> AsyncIterator[TcpGate]:
    gate = TcpGate(host, port)
    await gate.start()
    try:
        yield gate
    finally:
        await gate.close()
