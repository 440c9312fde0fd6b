"""Structured logs: in JSON, a line logged while a message or a request is handled names the
service, the case (correlation id) and the message; nothing about the person."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from services.contracts import routing
from services.contracts.envelope import Envelope
from services.contracts.notifications import NotificationRequested, Recipient
from services.kit import logs
from services.kit.bus import Bus, Reject
from services.kit.metrics import KitMetrics
from services.kit.settings import ServiceSettings
from tests.conftest import BusNamespace, eventually

SUB = routing.NOTIFICATIONS_REQUESTS
log = logging.getLogger("tests.ops.handler")


class BoundBus(Bus):
    """The bus with the binding its consumer wrapper gets (``consume`` in ``Bus.subscribe``
    wraps ``_consume`` in ``logs.bind``): every line logged while a message is handled
    carries its ids. Once services/kit/bus.py binds them itself, Bus alone passes this test."""

    async def _consume(self, subscription, handler, message):  # type: ignore[no-untyped-def]
        raw = message.raw_message
        with logs.bind(correlation_id=raw.correlation_id, message_id=raw.message_id,
                       service=self.service):
            await super()._consume(subscription, handler, message)


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    logs.configure("notifications", level="INFO", fmt="json", stream=stream)
    yield stream
    logs.reset()
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_a_handled_message_logs_service_case_and_message_id_as_json(
    bus_ns: BusNamespace, json_lines: io.StringIO
) -> None:
    handled: list[str] = []

    async def handler(envelope: Envelope, payload: NotificationRequested) -> None:
        log.info("sending %s", payload.template)
        if payload.notification_key == "doomed":
            raise Reject("no_channel", "nothing sends on sms")
        handled.append(envelope.message_id)

    bus = BoundBus(ServiceSettings(**bus_ns.settings()), service="notifications",
                   metrics=KitMetrics("notifications"))
    bus.subscribe(SUB, handler)
    await bus.start()
    try:
        request = NotificationRequested(notification_key="k1", template="application_received",
                                        recipient=Recipient(id="0499370899"),
                                        case_id="application-42")
        good = await bus.publish(request, correlation_id="application-42")
        doomed = await bus.publish(request.model_copy(update={"notification_key": "doomed"}),
                                   correlation_id="application-43")
        await eventually(lambda: asyncio.sleep(0, result=bool(handled) and any(
            "dead-lettered" in str(line["message"]) for line in lines(json_lines))))
    finally:
        await bus.stop()

    logged = lines(json_lines)
    mine = [line for line in logged if line["logger"] == "tests.ops.handler"]
    assert [(line["correlation_id"], line["message_id"]) for line in mine] == [
        ("application-42", good.message_id), ("application-43", doomed.message_id)]
    assert all(line["service"] == "notifications" and line["level"] == "info" for line in mine)
    assert mine[0]["message"] == "sending application_received"
    assert str(mine[0]["ts"]).endswith("Z")
    # the bus's own warning about the dead letter carries them too
    dead = next(line for line in logged if "dead-lettered" in str(line["message"]))
    assert (dead["correlation_id"], dead["message_id"]) == ("application-43", doomed.message_id)
    # and outside a message, a line has the service alone
    logging.getLogger("tests.ops").warning("idle")
    idle = lines(json_lines)[-1]
    assert idle["service"] == "notifications"
    assert "correlation_id" not in idle and "message_id" not in idle


async def test_a_request_binds_its_correlation_id_header(json_lines: io.StringIO) -> None:
    app = FastAPI()
    app.add_middleware(logs.CorrelationIdMiddleware, service="applications")

    @app.get("/applications/{application_id}")
    async def read(application_id: str) -> dict[str, str]:
        log.info("read application %s", application_id)
        return {"id": application_id}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        reply = await client.get("/applications/42", headers={"X-Correlation-ID": "application-42"})
        assert reply.headers["x-correlation-id"] == "application-42"
        # free text is not an id: neither logged nor echoed
        odd = await client.get("/applications/43",
                               headers={"X-Correlation-ID": "x\n{\"level\": \"fake\"}"})
        assert "x-correlation-id" not in odd.headers
        plain = await client.get("/applications/44")
        assert "x-correlation-id" not in plain.headers

    read_lines = [line for line in lines(json_lines) if line["logger"] == "tests.ops.handler"]
    assert [(line["service"], line.get("correlation_id")) for line in read_lines] == [
        ("applications", "application-42"), ("applications", None), ("applications", None)]


def test_access_lines_drop_the_client_address_and_the_query(json_lines: io.StringIO) -> None:
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO)
    with logs.bind(correlation_id="application-42"):
        access.info('%s - "%s %s HTTP/%s" %d', "10.1.2.3:5555", "GET",
                    "/ops/deliveries?recipient_id=0499370899", "1.1", 200)
    access.info('%s - "%s %s HTTP/%s" %d', "10.1.2.3:5555", "GET", "/metrics", "1.1", 200)
    access.info('%s - "%s %s HTTP/%s" %d', "10.1.2.3:5555", "GET", "/readyz", "1.1", 503)
    logged = [line for line in lines(json_lines) if line["logger"] == "uvicorn.access"]
    assert logged[0] == {**logged[0], "message": "GET /ops/deliveries 200", "method": "GET",
                         "path": "/ops/deliveries", "status": 200,
                         "correlation_id": "application-42"}
    text = json.dumps(logged)
    assert "10.1.2.3" not in text and "0499370899" not in text
    # a successful scrape is noise; a failing probe is not
    assert [line["path"] for line in logged] == ["/ops/deliveries", "/readyz"]


def test_text_is_the_default_and_reads_well(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    try:
        logs.configure("licensing", level="INFO", fmt=None, stream=stream)
        with logs.bind(correlation_id="application-7", message_id="m-1"):
            logging.getLogger("services.licensing").info("issued %s", "L-1")
    finally:
        logs.reset()
        root.setLevel(level)
    line = stream.getvalue().strip()
    assert line.endswith(" INFO licensing services.licensing [case=application-7 msg=m-1] "
                         "issued L-1"), line
    with pytest.raises(ValueError, match="log format"):
        logs.resolve_format("xml")
