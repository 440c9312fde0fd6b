"""What the notifications tests talk to: a local SMS gateway that speaks Kavenegar's REST
API, a real SMTP server (aiosmtpd), and the service itself on a real port."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from tests.conftest import BusNamespace, free_port, serving

API_KEY = "test-api-key-5d41402abc4b2a76"


# -- the SMS gateway ------------------------------------------------------------------------

@dataclass
class Reply:
    """What the gateway answers one request: its status (200 sends), a bare HTTP error
    page, a per-message entry status, or a pause before answering."""

    status: int = 200
    http_only: bool = False
    entry_status: int = 1
    pause: float = 0.0


@dataclass
class GatewayRequest:
    path: str
    form: dict[str, str]
    at: float


class FakeKavenegar:
    """sms/send.json on 127.0.0.1: records every request, answers from a script per
    receptor (success when nothing is scripted)."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.requests: list[GatewayRequest] = []
        self._script: dict[str, deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._next_id = 8792343
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                status, body = gateway._answer(self.path, form)
                data = body.encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json; charset=utf-8"
                                     if body.startswith("{") else "text/html")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, receptor: str, *replies: Reply) -> None:
        with self._lock:
            self._script[receptor].extend(replies)

    def sent_to(self, receptor: str) -> list[GatewayRequest]:
        with self._lock:
            return [r for r in self.requests if r.form.get("receptor") == receptor]

    def _answer(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        with self._lock:
            self.requests.append(GatewayRequest(path, form, time.monotonic()))
            queue = self._script.get(form.get("receptor", ""))
            reply = queue.popleft() if queue else Reply()
            self._next_id += 1
            message_id = self._next_id
        if reply.pause:
            time.sleep(reply.pause)
        if path != f"/v1/{self.api_key}/sms/send.json":
            reply = Reply(status=403)
        if reply.http_only:
            return reply.status, f"<html><body>{reply.status} from the proxy</body></html>"
        if reply.status != 200:
            return reply.status, json.dumps(
                {"return": {"status": reply.status, "message": f"error {reply.status}"},
                 "entries": None})
        return 200, json.dumps({
            "return": {"status": 200, "message": "تایید شد"},
            "entries": [{
                "messageid": message_id, "message": form.get("message"),
                "status": reply.entry_status, "statustext": "در صف ارسال",
                "sender": form.get("sender"), "receptor": form.get("receptor"),
                "date": int(time.time()), "cost": 120,
            }],
        }, ensure_ascii=False)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[FakeKavenegar]:
    fake = FakeKavenegar()
    yield fake
    fake.close()


# -- the SMTP server ------------------------------------------------------------------------

@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class MailSink:
    """An aiosmtpd handler: keeps what it accepts, refuses the addresses it is told to."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> SMTP reply

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.rcpt_tos]


@dataclass
class SmtpServer:
    host: str
    port: int
    sink: MailSink


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpServer("127.0.0.1", controller.port, sink)
    controller.stop()


# -- the service ----------------------------------------------------------------------------

# Quick dispatching for tests: tries 50 ms apart at first, doubling.
FAST = {
    "dispatch_poll_seconds": 0.05,
    "dispatch_backoff_seconds": 0.05,
    "dispatch_backoff_max_seconds": 0.4,
    "dispatch_max_attempts": 4,
    "dispatch_lease_seconds": 5,
    "sms_timeout_seconds": 0.5,
    "smtp_timeout_seconds": 2,
}


def service_settings(database_url: str, bus_ns: BusNamespace, *, gateway: FakeKavenegar | None,
                     smtp: SmtpServer | None, **overrides: Any) -> NotificationsSettings:
    values: dict[str, Any] = {"database_url": database_url, **bus_ns.settings(), **FAST}
    if gateway is not None:
        values.update(sms_provider="kavenegar", sms_api_key=gateway.api_key,
                      sms_base_url=gateway.base_url, sms_sender="10004346")
    if smtp is not None:
        values.update(email_provider="smtp", smtp_host=smtp.host, smtp_port=smtp.port,
                      smtp_starttls=False, email_from_address="no-reply@pishkhan.test")
    values.update(overrides)
    return NotificationsSettings(**values)


@dataclass
class Service:
    app: FastAPI
    api: httpx.AsyncClient

    def metric(self, name: str, **labels: str) -> float:
        value = self.app.state.runtime.metrics.registry.get_sample_value(name, labels)
        return value or 0.0


@asynccontextmanager
async def notifications(settings: NotificationsSettings) -> AsyncIterator[Service]:
    app = create_app(settings)
    async with serving(app) as client:
        yield Service(app, client)
