"""What the notifications tests talk to: the local SMS gateway that speaks Kavenegar's REST
API, a real SMTP server (aiosmtpd), and the service itself on a real port."""

from __future__ import annotations

import email
import email.policy
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from services.notifications.simulator import GatewaySimulator
from tests.conftest import BusNamespace, free_port, serving, wait_for_port

API_KEY = "test-api-key-5d41402abc4b2a76"


# -- the SMS gateway ------------------------------------------------------------------------

@pytest.fixture
def gateway() -> Iterator[GatewaySimulator]:
    """The local gateway (services/notifications/simulator.py) in this process."""
    simulator = GatewaySimulator(API_KEY)
    yield simulator
    simulator.close()


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


def service_settings(database_url: str, bus_ns: BusNamespace, *, gateway: GatewaySimulator | None,
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


@contextmanager
def simulator_process(*args: str, log: Any = subprocess.DEVNULL) -> Iterator[str]:
    """The SMS gateway simulator as `make run` starts it, in a process of its own; its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.notifications.simulator", "--port", str(port), *args],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, 20, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
