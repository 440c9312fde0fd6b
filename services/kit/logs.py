"""Structured logs: JSON lines in production, readable text locally. Every line names the
service and, while a message or a request is handled, its case (correlation id) and message id.

    configure("applications", level="INFO", fmt="json")      # once, at start-up
    with bind(correlation_id=envelope.correlation_id, message_id=envelope.message_id):
        ...                                                    # every line logged here carries both

The format is ``fmt``, else the ``LOG_FORMAT`` environment variable (``json`` or ``text``),
else text. Lines carry ids, never personal data: the access log drops the client address
and the query string (which may hold a national code), and no request body is logged.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any

_service: ContextVar[str | None] = ContextVar("pishkhan_log_service", default=None)
_correlation_id: ContextVar[str | None] = ContextVar("pishkhan_log_correlation_id", default=None)
_message_id: ContextVar[str | None] = ContextVar("pishkhan_log_message_id", default=None)

# the process's own name, for lines logged outside any bind()
_default_service = "pishkhan"
# (logger, handler) pairs configure() installed, so that a second call replaces them
_installed: list[tuple[logging.Logger, logging.Handler]] = []

FORMATS = ("text", "json")
CORRELATION_HEADER = "x-correlation-id"
# a header value we take as a correlation id: ids, not free text (no log injection)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")
# probes and scrapes answer every few seconds: their successful access lines are noise
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@contextmanager
def bind(*, correlation_id: str | None = None, message_id: str | None = None,
         service: str | None = None) -> Iterator[None]:
    """Within the block, every log line carries these ids (``None`` leaves one as it is)."""
    tokens = []
    for var, value in ((_correlation_id, correlation_id), (_message_id, message_id),
                       (_service, service)):
        if value:
            tokens.append((var, var.set(str(value))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current() -> dict[str, str]:
    """The ids bound now: ``service`` always, ``correlation_id`` and ``message_id`` when set."""
    fields = {"service": _service.get() or _default_service}
    if (correlation_id := _correlation_id.get()) is not None:
        fields["correlation_id"] = correlation_id
    if (message_id := _message_id.get()) is not None:
        fields["message_id"] = message_id
    return fields


class ContextFilter(logging.Filter):
    """Puts the bound ids on each record (``record.service``, ``.correlation_id``, …)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = current()
        record.service = fields["service"]
        # FastStream puts a shortened message id of its own on its records: ours wins
        record.message_id = fields.get("message_id") or getattr(record, "message_id", None) or None
        correlation_id = fields.get("correlation_id") or _workflow_id(record)
        record.correlation_id = correlation_id
        return True


def _workflow_id(record: logging.LogRecord) -> str | None:
    """Temporal's workflow and activity loggers attach the workflow id: it is the case id."""
    for attribute in ("temporal_workflow", "temporal_activity"):
        info = getattr(record, attribute, None)
        if isinstance(info, Mapping) and info.get("workflow_id"):
            return str(info["workflow_id"])
    return None


class AccessLogFilter(logging.Filter):
    """Reshapes uvicorn's access lines: method, path without query, status; no client
    address. Successful probes and scrapes are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or len(args) != 5:
            return True
        _client, method, full_path, _http_version, status = args
        path = str(full_path).split("?", 1)[0]
        if path in _QUIET_PATHS and isinstance(status, int) and status < 400:
            return False
        record.msg = "%s %s %s"
        record.args = (method, path, status)
        record.http_method = method
        record.http_path = path
        record.http_status = status
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname.lower(),
            "service": getattr(record, "service", _default_service),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("correlation_id", "message_id"):
            value = getattr(record, key, None)
            if value:
                line[key] = value
        for key in ("http_method", "http_path", "http_status"):
            if (value := getattr(record, key, None)) is not None:
                line[key.removeprefix("http_")] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level service logger [case=… msg=…] message``, for a person at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(service)s %(name)s%(ids)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = []
        if correlation_id := getattr(record, "correlation_id", None):
            ids.append(f"case={correlation_id}")
        if message_id := getattr(record, "message_id", None):
            ids.append(f"msg={message_id}")
        record.ids = f" [{' '.join(ids)}]" if ids else ""
        if not hasattr(record, "service"):
            record.service = _default_service
        return super().format(record)


def _timestamp(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


def resolve_format(fmt: str | None = None) -> str:
    chosen = (fmt or os.environ.get("LOG_FORMAT") or "text").strip().lower()
    if chosen not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {chosen!r}")
    return chosen


def configure(service: str, *, level: str | int = "INFO", fmt: str | None = None,
              stream: IO[str] | None = None) -> logging.Handler:
    """Send every log line of the process, in the chosen format, to ``stream`` (stdout).

    Call once at start-up, before the server runs; a second call replaces the first.
    FastStream gives its loggers handlers of their own and stops them propagating, so
    they get ours too; uvicorn must be run with ``log_config=None`` so that its loggers
    reach the root one.
    """
    global _default_service
    _default_service = service
    reset()
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.setFormatter(JsonFormatter() if resolve_format(fmt) == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.setLevel(level.upper() if isinstance(level, str) else level)
    _install(root, handler)
    for name in ("faststream", "faststream.access.rabbit"):
        logger = logging.getLogger(name)
        for own in list(logger.handlers):
            logger.removeHandler(own)
        # FastStream adds a handler of its own only to a logger without one on stdout
        _install(logger, handler)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # a uvicorn started with its own log config earlier in this process (tests) left
        # handlers here and stopped propagation: lines must reach ours
        logger = logging.getLogger(name)
        for own in list(logger.handlers):
            logger.removeHandler(own)
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLogFilter) for f in access.filters):
        access.addFilter(AccessLogFilter())
    return handler


def _install(logger: logging.Logger, handler: logging.Handler) -> None:
    logger.addHandler(handler)
    _installed.append((logger, handler))


def reset() -> None:
    """Remove what configure() installed (tests; a second configure)."""
    while _installed:
        logger, handler = _installed.pop()
        logger.removeHandler(handler)


def correlation_id_from(value: str | None) -> str | None:
    """The header's value when it looks like an id; anything else is ignored."""
    if value and _SAFE_ID.match(value.strip()):
        return value.strip()
    return None


class CorrelationIdMiddleware:
    """ASGI middleware: binds the ``X-Correlation-ID`` request header (and the service name)
    for the whole request, and echoes the header on the response.

    Pure ASGI rather than ``@app.middleware("http")``: uvicorn writes its access line when
    the response starts, which a BaseHTTPMiddleware does after its dispatch has returned,
    outside the bound context.
    """

    def __init__(self, app: Any, service: str | None = None) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Mapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = None
        for name, value in scope.get("headers") or ():
            if name.decode("latin-1").lower() == CORRELATION_HEADER:
                correlation_id = correlation_id_from(value.decode("latin-1"))
                break

        async def send_with_header(message: Mapping[str, Any]) -> None:
            if message["type"] == "http.response.start" and correlation_id:
                headers = list(message.get("headers") or [])
                headers.append((CORRELATION_HEADER.encode(), correlation_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with bind(correlation_id=correlation_id, service=self.service):
            await self.app(scope, receive, send_with_header)
