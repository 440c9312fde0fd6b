"""Fault campaign (``make chaos``): new-license cases driven through the HTTP APIs while
every process of the platform is SIGKILLed and restarted in turn; then a verdict of
what was lost, stuck or doubled.

It starts a platform of its own as real OS processes, beside any ``make run``: a
temporary var folder (databases, stored files, logs), a RabbitMQ vhost of its own on the
machine's broker (deleted at the end), free ports, and its own Temporal dev server whose
SQLite file survives its kills. The processes are the ones ``deploy/local/run.py``
starts (identity, applications, licensing, complaints, notifications, the workflows
worker, Temporal), built by the same code.

Bots play the people of README's curl walk-through, one applicant per case: apply,
upload the four documents, the clerk claims and accepts the review, the inspector
passes the checklist, the officer claims and approves. Like a person, a bot presses
again when a service does not answer or answers 5xx, and takes a 409 on a repeated
action as "that went through already" (then looks again). Meanwhile the processes are
killed one after another (SIGKILL to the whole group), left down a moment, restarted
with the same settings and waited for (``/readyz``, or Temporal's port).

After the drive and a settle period it reads everything back from the services' HTTP
APIs and the broker: each case's status, the licenses of each application (exactly one
for an issued case), the notices sent per (key, recipient, channel) from notifications'
delivery log and, the SMS and e-mail channels being the log channel here, from the
lines that channel wrote (at most one each), and the depth of every ``*.dlq``. It prints
tables and exits 0 only when nothing is lost, stuck or doubled and no message was
dead-lettered.

    .venv/bin/python bench/chaos.py                        # 40 cases, every process killed once
    .venv/bin/python bench/chaos.py --cases 10 --kills 3 --kill-order temporal,notifications,licensing
    .venv/bin/python bench/chaos.py --kills 0 --json var/chaos.json     # a baseline, no faults

Exit status: 0 all well, 1 something lost, stuck, doubled or dead-lettered, 2 the
platform could not be started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script, it imports this checkout

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from deploy.local import run as launcher  # noqa: E402
from services.kit.dlq import DeadLetterQueues  # noqa: E402
from services.kit.settings import ServiceSettings  # noqa: E402

SERVICE_NAMES = ("identity", "applications", "licensing", "complaints", "notifications",
                 "workflows")
PROCESSES = (*SERVICE_NAMES, "temporal")
PASSWORD = "pishkhan-demo"
APPLICANTS = {"0499370899": ("مریم احمدی", "09121234567"),
              "0013542419": ("رضا کریمی", "09111111111")}
DOCUMENTS = ("national_id_card", "education_certificate", "premises_document",
             "clearance_certificate")
PDF = b"%PDF-1.4\n%%EOF\n"
CHECKLIST = {item: {"passed": True} for item in (
    "signage", "equipment", "premises_match_address", "staff_present", "tariff_displayed",
    "operator_is_holder", "opening_hours")}
# A delivery claimed but not marked sent when its process dies is sent again after this
# lease; shorter than the service's default, so that a repeat shows within the settle period.
DISPATCH_LEASE_SECONDS = 15
# what the log channel writes for each message it "sends" (services/notifications/channels.py)
SENT_LINE = re.compile(r"\b(sms|email) to \S+ \(delivery ([0-9A-Za-z_-]+)\)")
POLL_SECONDS = 0.5
BROKER_READ_SECONDS = 30.0
FINAL_STATUSES = {"issued", "rejected", "withdrawn"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((launcher.LOCALHOST, 0))
        return int(s.getsockname()[1])


class StartFailed(Exception):
    """The platform did not come up; the campaign cannot run."""


# ---------------------------------------------------------------- the platform


class Vhost:
    """A RabbitMQ virtual host of the campaign's own on the machine's broker: the
    services keep their usual exchange and queue names, and deleting it removes them all."""

    def __init__(self, rabbit: launcher.Rabbit) -> None:
        parsed = urllib.parse.urlsplit(rabbit.url)
        self.user = urllib.parse.unquote(parsed.username or "guest")
        password = urllib.parse.unquote(parsed.password or "guest")
        self.name = f"pishkhan-chaos-{uuid.uuid4().hex[:8]}"
        self.url = (f"amqp://{urllib.parse.quote(self.user)}:{urllib.parse.quote(password)}"
                    f"@{rabbit.host}:{rabbit.port}/{urllib.parse.quote(self.name, safe='')}")
        self.ctl = launcher.rabbitmq_command("rabbitmqctl")
        self.created = False

    def _ctl(self, *args: str) -> None:
        if self.ctl is None:
            raise StartFailed("rabbitmqctl is not installed here: the campaign needs it to "
                              "make a vhost of its own")
        try:
            result = subprocess.run([self.ctl, *args], capture_output=True, text=True,
                                    timeout=60, check=False)
        except subprocess.TimeoutExpired as exc:
            raise StartFailed(f"rabbitmqctl {' '.join(args)}: no answer within 60 s "
                              "(is the broker overloaded?)") from exc
        if result.returncode != 0:
            raise StartFailed(f"rabbitmqctl {' '.join(args)}: {result.stderr.strip()}")

    def create(self) -> None:
        # a slow broker may finish adding it after our call gave up: delete it anyway
        self.created = True
        self._ctl("add_vhost", self.name)
        self._ctl("set_permissions", "-p", self.name, self.user, ".*", ".*", ".*")

    def delete(self) -> None:
        if self.created:
            self._ctl("delete_vhost", self.name)
            self.created = False


@dataclass
class Kill:
    process: str
    pid: int
    down_seconds: float
    ready_after_seconds: float | None  # from the restart until it answered again
    in_flight: int = 0  # cases under way (started, not done) when it was killed


class Platform:
    """The campaign's processes, built by deploy/local/run.py's code, and their kills."""

    def __init__(self, var: Path, rabbit_url: str) -> None:
        self.var = var
        self.temporal_ports = launcher.TemporalPorts(grpc=free_port(), ui=0, http=free_port(),
                                                     metrics=free_port())
        rabbit = launcher.rabbit_settings()
        rabbit = launcher.Rabbit(url=rabbit_url, host=rabbit.host, port=rabbit.port)
        ports = {spec.name: free_port() for spec in launcher.SERVICES}
        settings = {
            "NOTIFICATIONS_SMS_PROVIDER": "log", "NOTIFICATIONS_EMAIL_PROVIDER": "log",
            "NOTIFICATIONS_LOG_FORMAT": "text",
            "NOTIFICATIONS_DISPATCH_LEASE_SECONDS": str(DISPATCH_LEASE_SECONDS),
            # the lease must exceed twice the providers' timeouts (the service checks)
            "NOTIFICATIONS_SMS_TIMEOUT_SECONDS": "5", "NOTIFICATIONS_SMTP_TIMEOUT_SECONDS": "5",
            "WORKFLOWS_SDK_METRICS_ADDRESS": "",
            # argon2 at its cheapest: seventy demo users and every bot's sign-in on two
            # cores; the campaign is about faults, not about the cost of a hash
            "IDENTITY_PASSWORD_TIME_COST": "1", "IDENTITY_PASSWORD_MEMORY_KIB": "1024",
            "IDENTITY_PASSWORD_PARALLELISM": "1",
        }
        self.services = [
            launcher.service_child(spec, rabbit, self.temporal_ports, ports=ports, var=var,
                                   settings=settings)
            for spec in launcher.SERVICES if spec.name in SERVICE_NAMES
        ]
        self.temporal = launcher.Child(
            name="temporal", log_path=var / "log" / "temporal.log", port=self.temporal_ports.grpc,
            command=launcher.temporal_command(self.temporal_ports, db_filename=var / "temporal.db",
                                              headless=True),
            cwd=var.parent)
        self.started: list[launcher.Child] = []

    def url(self, name: str) -> str:
        return self.child(name).base_url

    def child(self, name: str) -> launcher.Child:
        return self.temporal if name == "temporal" else next(
            c for c in self.services if c.name == name)

    def start(self) -> None:
        self.var.mkdir(parents=True, exist_ok=True)
        self.started.append(self.temporal)
        if not launcher.start_temporal(self.temporal, self.temporal_ports):
            raise StartFailed("the Temporal dev server did not start")
        launcher.prepare_databases(self.services)
        for child in self.services:
            self.started.append(child)
            child.start()
        if launcher.wait_until_ready(self.services, self.started) is not None:
            raise StartFailed("a service did not become ready")
        launcher.seed_identity(self.services)

    def _answers(self, child: launcher.Child) -> bool:
        if child is self.temporal:
            return launcher.port_answers(launcher.LOCALHOST, self.temporal_ports.grpc)
        return launcher.is_ready(child)

    async def all_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = [await asyncio.to_thread(self._answers, c)
                     for c in (self.temporal, *self.services)]
            if all(ready):
                return True
            await asyncio.sleep(POLL_SECONDS)
        return False

    async def kill_and_restart(self, name: str, down: float, in_flight: int) -> Kill:
        child = self.child(name)
        assert child.process is not None
        pid = child.process.pid
        await asyncio.to_thread(child.kill)
        await asyncio.sleep(down)
        child.start(append=True)
        restarted = time.monotonic()
        ready_after = None
        if await self.all_ready(launcher.READY_TIMEOUT):
            ready_after = round(time.monotonic() - restarted, 1)
        return Kill(process=name, pid=pid, down_seconds=down, ready_after_seconds=ready_after,
                    in_flight=in_flight)

    def stop(self) -> None:
        launcher.stop_all(self.started)


# ---------------------------------------------------------------- the people


class StepFailed(Exception):
    """A bot could not get its step done before its deadline."""


class People:
    """Everyone's HTTP calls, pressed again while a service is down (connection errors,
    5xx, a 401 while the identity service's keys cannot be fetched)."""

    def __init__(self, platform: Platform, step_timeout: float) -> None:
        self.platform = platform
        self.step_timeout = step_timeout
        self.client = httpx.AsyncClient(timeout=10)
        self.tokens: dict[str, str] = {}
        self.presses: Counter[str] = Counter()  # repeated calls, by service

    async def close(self) -> None:
        await self.client.aclose()

    async def send(self, method: str, service: str, path: str, *, who: str | None = None,
                   **kwargs: Any) -> httpx.Response | None:
        """One press: the response, or None when the service did not answer usefully."""
        url = f"{self.platform.url(service)}{path}"
        try:
            headers = {"authorization": f"Bearer {await self.token(who)}"} if who else {}
            response = await self.client.request(method, url, headers=headers, **kwargs)
        except (httpx.TransportError, StepFailed):
            return None
        if response.status_code == 401 and who:
            self.tokens.pop(who, None)  # signed in again on the next press
            return None
        return None if response.status_code >= 500 else response

    async def request(self, method: str, service: str, path: str, *, who: str | None = None,
                      **kwargs: Any) -> httpx.Response:
        deadline = time.monotonic() + self.step_timeout
        while True:
            response = await self.send(method, service, path, who=who, **kwargs)
            if response is not None:
                return response
            self.presses[service] += 1
            if time.monotonic() > deadline:
                raise StepFailed(f"{method} {service}{path} did not answer within "
                                 f"{self.step_timeout:.0f} s")
            await asyncio.sleep(POLL_SECONDS)

    async def token(self, username: str) -> str:
        if username not in self.tokens:
            deadline = time.monotonic() + self.step_timeout
            while True:
                try:
                    reply = await self.client.post(
                        f"{self.platform.url('identity')}/token",
                        data={"username": username, "password": PASSWORD})
                    if reply.status_code == 200:
                        self.tokens[username] = reply.json()["access_token"]
                        break
                    if reply.status_code < 500:
                        raise StepFailed(f"sign-in of {username}: {reply.status_code} "
                                         f"{reply.text[:200]}")
                except httpx.TransportError:
                    pass
                self.presses["identity"] += 1
                if time.monotonic() > deadline:
                    raise StepFailed(f"sign-in of {username} did not answer")
                await asyncio.sleep(POLL_SECONDS)
        return self.tokens[username]


@dataclass
class Case:
    number: int
    applicant: str
    address: str
    application_id: str | None = None
    step: str = "apply"  # the bot's current step; "done" once the officer approved
    error: str | None = None

    @property
    def case_id(self) -> str:
        return f"application-{self.application_id}"


def make_cases(count: int, tag: str) -> list[Case]:
    codes = list(APPLICANTS)
    # the address names the bot's case, so that the applicant can find it again after a
    # press whose answer was lost
    return [Case(number=n, applicant=codes[n % len(codes)],
                 address=f"رشت، خیابان امام خمینی، پلاک {n + 1}، آزمون {tag}")
            for n in range(count)]


async def find_application(people: People, case: Case) -> str | None:
    offset = 0
    while True:
        page = await people.request("GET", "applications", "/applications", who=case.applicant,
                                    params={"limit": 100, "offset": offset})
        rows = page.json()
        for row in rows:
            if row["address"] == case.address:
                return str(row["id"])
        if len(rows) < 100:
            return None
        offset += 100


async def apply(people: People, case: Case) -> None:
    name, mobile = APPLICANTS[case.applicant]
    body = {"national_code": case.applicant, "name": name, "mobile": mobile,
            "county": "rasht", "area": "urban", "address": case.address}
    deadline = time.monotonic() + people.step_timeout
    while time.monotonic() < deadline:
        reply = await people.send("POST", "applications", "/applications", who=case.applicant,
                                  json=body)
        if reply is not None and reply.status_code == 201:
            case.application_id = reply.json()["id"]
            return
        if reply is not None:
            raise StepFailed(f"apply: {reply.status_code} {reply.text[:200]}")
        people.presses["applications"] += 1
        # the press may have gone through with its answer lost: look before pressing again
        found = await find_application(people, case)
        if found is not None:
            case.application_id = found
            return
        await asyncio.sleep(POLL_SECONDS)
    raise StepFailed("apply did not go through")


async def upload(people: People, case: Case) -> None:
    for document_type in DOCUMENTS:
        reply = await people.request(
            "POST", "applications", f"/applications/{case.application_id}/documents",
            who=case.applicant, data={"document_type": document_type},
            files={"file": ("scan.pdf", PDF, "application/pdf")})
        if reply.status_code not in (201, 409):
            raise StepFailed(f"upload {document_type}: {reply.status_code} {reply.text[:200]}")


async def work_task(people: People, service: str, case: Case, kind: str, workers: list[str],
                    outcome: dict[str, Any]) -> None:
    """Find the case's task of this kind, claim it when it waits in the queue, complete it.
    A 409 (claimed or completed by an earlier press) sends the bot to look again."""
    params = {"case_id": case.case_id, "kind": kind}
    deadline = time.monotonic() + people.step_timeout
    while time.monotonic() < deadline:
        for who in workers:
            mine = (await people.request("GET", service, "/tasks/mine", who=who,
                                         params=params)).json()["items"]
            if any(task["status"] == "completed" for task in mine):
                return
            for task in mine:
                if task["status"] == "claimed":
                    reply = await people.request(
                        "POST", service, f"/tasks/{task['id']}/complete", who=who,
                        json={"outcome": outcome})
                    if reply.status_code == 200:
                        return
                    if reply.status_code != 409:
                        raise StepFailed(f"complete {kind}: {reply.status_code} "
                                         f"{reply.text[:200]}")
        queue = (await people.request("GET", service, "/tasks/queue", who=workers[0],
                                      params=params)).json()["items"]
        for task in queue:
            reply = await people.request("POST", service, f"/tasks/{task['id']}/claim",
                                         who=workers[0])
            if reply.status_code not in (200, 409):
                raise StepFailed(f"claim {kind}: {reply.status_code} {reply.text[:200]}")
        if not queue:
            await asyncio.sleep(POLL_SECONDS)
    raise StepFailed(f"no {kind} task to complete within {people.step_timeout:.0f} s")


async def drive(people: People, case: Case) -> None:
    try:
        await apply(people, case)
        case.step = "documents"
        await upload(people, case)
        case.step = "document_review"
        await work_task(people, "applications", case, "document_review", ["clerk.rasht"],
                        {"result": "accept"})
        case.step = "site_inspection"
        await work_task(people, "licensing", case, "site_inspection",
                        ["inspector.rasht", "inspector2.rasht"],
                        {"result": "pass", "checklist": CHECKLIST})
        case.step = "licensing_decision"
        await work_task(people, "licensing", case, "licensing_decision", ["officer.rasht"],
                        {"result": "approve"})
        case.step = "done"
    except StepFailed as exc:
        case.error = str(exc)


async def rosters_ready(people: People, timeout: float) -> bool:
    """The staff the cases need are on the services' rosters (from identity's events)."""
    wanted = [("applications", "document_review", {"clerk.rasht"}),
              ("licensing", "site_inspection", {"inspector.rasht", "inspector2.rasht"}),
              ("licensing", "licensing_decision", {"officer.rasht"})]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for service, kind, names in list(wanted):
            reply = await people.request("GET", service, "/tasks/candidates",
                                         who="supervisor.rasht", params={"kind": kind})
            if reply.status_code == 200 and names <= {p["username"] for p in reply.json()}:
                wanted.remove((service, kind, names))
        if not wanted:
            return True
        await asyncio.sleep(POLL_SECONDS)
    return False


# ---------------------------------------------------------------- the campaign


@dataclass
class Plan:
    cases: int
    concurrency: int
    kills: list[str]
    first_kill_after: float
    kill_gap: float
    down: float
    step_timeout: float
    settle: float

    def kills_before(self, case: int) -> int:
        """How many kills must be over before this case starts: the cases start in
        batches, one after each kill, so that every kill finds cases under way however
        long the processes take to come back."""
        return case * len(self.kills) // self.cases


async def kill_in_turn(platform: Platform, plan: Plan, started: asyncio.Event,
                       in_flight: set[int], kills: list[Kill]) -> None:
    await started.wait()
    await asyncio.sleep(plan.first_kill_after)
    for name in plan.kills:
        # a kill is meant to find cases under way: a fast machine may have finished a batch
        # before it comes, and the next batch starts only after this kill
        deadline = time.monotonic() + 60
        while not in_flight and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
        # into the batch, so the kill lands while its cases are between two steps' commits
        await asyncio.sleep(min(plan.kill_gap, 1.0))
        kill = await platform.kill_and_restart(name, plan.down, len(in_flight))
        kills.append(kill)
        print(f"  killed {name} (pid {kill.pid}) with {kill.in_flight} cases under way, down "
              f"{kill.down_seconds:.0f} s, answering {kill.ready_after_seconds} s after its "
              "restart", flush=True)


async def case_states(people: People, cases: list[Case]) -> dict[str, dict[str, Any]]:
    states = {}
    for case in cases:
        if case.application_id is None:
            continue
        reply = await people.request("GET", "applications",
                                     f"/applications/{case.application_id}", who=case.applicant)
        states[case.application_id] = reply.json() if reply.status_code == 200 else {
            "status": f"missing ({reply.status_code})"}
    return states


async def deliveries_of(people: People, case: Case) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        page = (await people.request("GET", "notifications", "/ops/deliveries", who="ops",
                                     params={"case_id": case.case_id, "order": "oldest",
                                             "limit": 500, "offset": len(rows)})).json()
        rows += page
        if len(page) < 500:
            return rows


async def settle(people: People, cases: list[Case], plan: Plan, last_fault: float) -> None:
    """Wait until every case is final and no notice waits, but at least a lease past the
    last kill (a notice cut off mid-send is sent again then); at most plan.settle s."""
    deadline = time.monotonic() + plan.settle
    quiet_until = last_fault + DISPATCH_LEASE_SECONDS + 5
    while time.monotonic() < deadline:
        states = await case_states(people, cases)
        final = all(s.get("status") in FINAL_STATUSES for s in states.values())
        pending = False
        if final:
            for case in cases:
                if case.application_id and any(d["status"] == "pending"
                                               for d in await deliveries_of(people, case)):
                    pending = True
                    break
        if final and not pending and time.monotonic() >= quiet_until:
            return
        await asyncio.sleep(2)


async def dead_letters(rabbit_url: str) -> dict[str, int]:
    """The depth of every dead-letter queue of the topology."""
    async with DeadLetterQueues(ServiceSettings(rabbit_url=rabbit_url)) as queues:
        return {count.name: count.messages or 0 for count in await queues.counts()}


def sends_in_log(path: Path) -> Counter[str]:
    """How many times the log channel sent each delivery, over every run of the process."""
    sent: Counter[str] = Counter()
    if path.is_file():
        for match in SENT_LINE.finditer(path.read_text(encoding="utf-8", errors="replace")):
            sent[match.group(2)] += 1
    return sent


async def verdict(people: People, platform: Platform, cases: list[Case],
                  rabbit_url: str) -> dict[str, Any]:
    states = await case_states(people, cases)
    sends = sends_in_log(platform.child("notifications").log_path)
    submitted = [c for c in cases if c.application_id]
    figures: dict[str, Any] = {
        "cases": len(cases), "submitted": len(submitted), "not_submitted": len(cases) - len(submitted),
        "issued": 0, "stuck": {}, "stuck_cases": [], "lost": {}, "licenses_per_application": {},
        "doubled": {}, "doubled_notices": [], "dead_letters": {}, "bot_presses": {},
        "notices": 0, "notices_sent_by_channel": 0,
    }
    lost: Counter[str] = Counter()
    doubled: Counter[str] = Counter()
    stuck: Counter[str] = Counter()
    license_counts: Counter[int] = Counter()
    if figures["not_submitted"]:
        lost["cases never submitted"] = figures["not_submitted"]
    for case in submitted:
        state = states[case.application_id]
        status = state.get("status")
        licenses = (await people.request("GET", "licensing", "/licenses",
                                         params={"application_id": case.application_id})).json()
        deliveries = await deliveries_of(people, case)
        figures["notices"] += len(deliveries)
        if status == "issued":
            figures["issued"] += 1
            license_counts[len(licenses)] += 1
            if not licenses:
                lost["licenses of issued cases"] += 1
            if len(licenses) > 1:
                doubled["licenses (an application with more than one)"] += 1
            if not any(d["template"] == "license_issued" and d["status"] == "sent"
                       for d in deliveries):
                lost["issued cases without a sent license_issued notice"] += 1
        elif status and status.startswith("missing"):
            lost["applications gone from the applications service"] += 1
        else:
            steps = [t.get("step") for t in state.get("timeline", []) if t.get("step")]
            where = f"{status} (awaiting {state.get('awaiting')}, last step {steps[-1] if steps else '-'})"
            stuck[where] += 1
            figures["stuck_cases"].append({"application_id": case.application_id,
                                           "state": where, "bot_step": case.step,
                                           "bot_error": case.error})
            if licenses:
                doubled["licenses of cases not issued"] += len(licenses)
        per_notice: Counter[tuple[str, str, str]] = Counter()
        for d in deliveries:
            key = (d["notification_key"], d["recipient_id"], d["channel"])
            per_notice[key] += 1
            if d["status"] != "sent":
                lost[f"notices {d['status']}"] += 1
            if d["channel"] in ("sms", "email"):
                figures["notices_sent_by_channel"] += sends[d["id"]]
                if d["status"] == "sent" and not sends[d["id"]]:
                    lost["notices marked sent that their channel never sent"] += 1
                # the row once, and as many sends as the channel wrote for it
                per_notice[key] += max(sends[d["id"]], 1) - 1
        for (key, recipient, channel), count in per_notice.items():
            if count > 1:
                doubled["notices sent more than once"] += 1
                figures["doubled_notices"].append({"key": key, "recipient": recipient,
                                                   "channel": channel, "sent": count})
    # a press whose answer was lost must not have made a second application
    addresses = {c.address for c in cases}
    for applicant in APPLICANTS:
        seen: Counter[str] = Counter()
        offset = 0
        while True:
            rows = (await people.request("GET", "applications", "/applications", who=applicant,
                                         params={"limit": 100, "offset": offset})).json()
            seen.update(r["address"] for r in rows if r["address"] in addresses)
            if len(rows) < 100:
                break
            offset += 100
        extra = sum(n - 1 for n in seen.values() if n > 1)
        if extra:
            doubled["applications (one bot's case submitted twice)"] += extra
    figures["dead_letters_unread"] = None
    try:
        figures["dead_letters"] = await asyncio.wait_for(dead_letters(rabbit_url),
                                                         BROKER_READ_SECONDS)
    except (TimeoutError, OSError) as exc:
        # without the depths nothing proves that no message was dead-lettered
        figures["dead_letters_unread"] = (f"the broker did not answer within "
                                          f"{BROKER_READ_SECONDS:.0f} s ({exc!r})")
    figures["lost"] = dict(lost)
    figures["stuck"] = dict(stuck)
    figures["doubled"] = dict(doubled)
    figures["licenses_per_application"] = {str(k): v for k, v in sorted(license_counts.items())}
    figures["bot_presses"] = dict(people.presses)
    figures["totals"] = {
        "lost": sum(lost.values()), "stuck": sum(stuck.values()),
        "doubled": sum(doubled.values()),
        "dead_letters": sum(figures["dead_letters"].values()),
    }
    figures["passed"] = not any(figures["totals"].values()) and not figures["dead_letters_unread"]
    return figures


def print_tables(console: Console, figures: dict[str, Any]) -> None:
    cases = Table(title="Cases")
    cases.add_column("figure")
    cases.add_column("count", justify="right")
    for label, value in (("cases driven", figures["cases"]), ("submitted", figures["submitted"]),
                         ("issued", figures["issued"])):
        cases.add_row(label, str(value))
    for where, count in figures["stuck"].items():
        cases.add_row(f"[red]stuck: {where}[/]", str(count))
    cases.add_row("bots' repeated presses (a service down)",
                  str(sum(figures["bot_presses"].values())))
    cases.add_row("notices (deliveries in the log)", str(figures["notices"]))
    cases.add_row("SMS and e-mail sends the log channel wrote", str(figures["notices_sent_by_channel"]))
    for what, count in figures["lost"].items():
        cases.add_row(f"[red]lost: {what}[/]", str(count))
    for what, count in figures["doubled"].items():
        cases.add_row(f"[red]doubled: {what}[/]", str(count))
    for n, count in figures["licenses_per_application"].items():
        cases.add_row(f"issued cases with {n} license(s)", str(count))
    console.print(cases)
    if figures["doubled_notices"]:
        notices = Table(title="Notices sent more than once")
        for column in ("key", "recipient", "channel", "sent"):
            notices.add_column(column)
        for row in figures["doubled_notices"]:
            notices.add_row(row["key"], row["recipient"], row["channel"], str(row["sent"]))
        console.print(notices)
    letters = Table(title="Dead letters")
    letters.add_column("queue")
    letters.add_column("messages", justify="right")
    for queue, count in figures["dead_letters"].items():
        letters.add_row(queue if not count else f"[red]{queue}[/]", str(count))
    console.print(letters)
    if figures["dead_letters_unread"]:
        console.print(f"[red]dead letters not read: {figures['dead_letters_unread']}[/]")
    kills = Table(title="Kills (SIGKILL, then a restart with the same settings)")
    for column in ("process", "pid", "cases under way", "down s", "answering after s"):
        kills.add_column(column)
    for kill in figures["kills"]:
        kills.add_row(kill["process"], str(kill["pid"]), str(kill["in_flight"]),
                      f"{kill['down_seconds']:.0f}", str(kill["ready_after_seconds"]))
    console.print(kills)
    totals = figures["totals"]
    verdict = "[green]PASS[/]" if figures["passed"] else "[red]FAIL[/]"
    console.print(f"{verdict}: lost {totals['lost']}, stuck {totals['stuck']}, doubled "
                  f"{totals['doubled']}, dead letters {totals['dead_letters']}; "
                  f"{figures['elapsed_seconds']:.0f} s")


async def campaign(platform: Platform, plan: Plan, rabbit_url: str, tag: str) -> dict[str, Any]:
    people = People(platform, plan.step_timeout)
    try:
        if not await rosters_ready(people, 60):
            raise StartFailed("the staff did not reach the services' rosters within 60 s")
        cases = make_cases(plan.cases, tag)
        started = asyncio.Event()
        kills: list[Kill] = []
        in_flight: set[int] = set()
        gate = asyncio.Semaphore(plan.concurrency)

        async def one(case: Case) -> None:
            while len(kills) < plan.kills_before(case.number):
                await asyncio.sleep(POLL_SECONDS)
            async with gate:
                started.set()
                in_flight.add(case.number)
                try:
                    await drive(people, case)
                finally:
                    in_flight.discard(case.number)

        print(f"driving {plan.cases} cases, {plan.concurrency} at a time; "
              f"kills: {', '.join(plan.kills) or 'none'}", flush=True)
        killer = asyncio.create_task(kill_in_turn(platform, plan, started, in_flight, kills))
        await asyncio.gather(*(one(case) for case in cases))
        await killer
        last_fault = time.monotonic()
        print("the bots are done; settling ...", flush=True)
        await settle(people, cases, plan, last_fault)
        figures = await verdict(people, platform, cases, rabbit_url)
        figures["kills"] = [asdict(kill) for kill in kills]
        figures["bot_errors"] = [{"case": c.number, "step": c.step, "error": c.error}
                                 for c in cases if c.error]
        return figures
    finally:
        await people.close()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=40, help="new-license cases (40)")
    parser.add_argument("--concurrency", type=int, default=8, help="cases at once (8)")
    parser.add_argument("--kill-order", default=",".join(PROCESSES),
                        help=f"processes to kill, in turn (default {','.join(PROCESSES)})")
    parser.add_argument("--kills", type=int, default=None,
                        help="kills in all, going round the order (default: each once)")
    parser.add_argument("--first-kill-after", type=float, default=3.0,
                        help="seconds after the first case starts (3)")
    parser.add_argument("--kill-gap", type=float, default=4.0,
                        help="seconds between one process answering again and the next kill (4)")
    parser.add_argument("--down", type=float, default=2.0,
                        help="seconds a killed process stays down (2)")
    parser.add_argument("--step-timeout", type=float, default=180.0,
                        help="seconds a bot waits for one step before giving up (180)")
    parser.add_argument("--settle", type=float, default=120.0,
                        help="at most this many seconds for the cases to finish after the "
                             "drive (120)")
    parser.add_argument("--var-dir", type=Path,
                        help="the platform's var folder (default: a new temporary one, "
                             "removed when the campaign passes)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    order = [name.strip() for name in args.kill_order.split(",") if name.strip()]
    unknown = sorted(set(order) - set(PROCESSES))
    if unknown or not order:
        parser.error(f"--kill-order: unknown {', '.join(unknown) or '(empty)'}; "
                     f"choose from {', '.join(PROCESSES)}")
    count = len(order) if args.kills is None else args.kills
    if count < 0 or args.cases < 1 or args.concurrency < 1:
        parser.error("--cases and --concurrency must be at least 1, --kills at least 0")
    args.plan = Plan(cases=args.cases, concurrency=args.concurrency,
                     kills=[order[i % len(order)] for i in range(count)],
                     first_kill_after=args.first_kill_after, kill_gap=args.kill_gap,
                     down=args.down, step_timeout=args.step_timeout, settle=args.settle)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(highlight=False)
    began = time.monotonic()
    temporary = args.var_dir is None
    var = (Path(tempfile.mkdtemp(prefix="pishkhan-chaos-")) / "var") if temporary \
        else args.var_dir.resolve()
    rabbit = launcher.rabbit_settings()
    launcher.ensure_rabbitmq(rabbit)
    vhost = Vhost(rabbit)
    platform = Platform(var, vhost.url)
    # SIGTERM (a test's time bound, say) unwinds like Ctrl-C, so that everything is stopped
    signal.signal(signal.SIGTERM, launcher.raise_shutdown)
    figures: dict[str, Any] | None = None
    try:
        print(f"platform: var {var}, RabbitMQ vhost {vhost.name}, Temporal "
              f"{platform.temporal_ports.address}", flush=True)
        vhost.create()
        platform.start()
        figures = asyncio.run(campaign(platform, args.plan, vhost.url, vhost.name[-8:]))
    except StartFailed as exc:
        print(f"error: {exc}; logs in {var / 'log'}", file=sys.stderr, flush=True)
        return 2
    except (launcher.Shutdown, KeyboardInterrupt):
        print("interrupted", file=sys.stderr, flush=True)
        return 2
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        platform.stop()
        try:
            vhost.delete()
        except StartFailed as exc:
            print(f"warning: {exc}", file=sys.stderr, flush=True)
        if figures is not None:
            figures["elapsed_seconds"] = round(time.monotonic() - began, 1)
            figures["var_dir"] = str(var)
            print_tables(console, figures)
            if figures["bot_errors"]:
                console.print("bots that gave up: " + "; ".join(
                    f"case {e['case']} at {e['step']}: {e['error']}"
                    for e in figures["bot_errors"]))
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
        if temporary and figures is not None and figures["passed"]:
            shutil.rmtree(var.parent, ignore_errors=True)
        elif figures is not None:
            console.print(f"logs and databases kept in {var}")
    return 0 if figures["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
