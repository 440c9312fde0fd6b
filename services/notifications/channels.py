"""Channels the dispatcher sends on, behind one interface: SMS (a log, or the Kavenegar
REST gateway) and e-mail (a log, or SMTP). The in-app inbox is not one of them: it is our
own table, written in the same transaction as the request (see service.py).

A channel either returns a Receipt or raises DeliveryFailed, saying whether trying again
later may help (transient) or not (permanent), with the provider's reason.

Every message carries an idempotency key derived from its delivery id (Kavenegar's
``localid``, the e-mail's Message-ID). When a try's outcome is unknown (the reply never
came, or the process died before recording it), the dispatcher asks ``status`` first and
sends again only when the provider does not know the message. Kavenegar answers that
question; SMTP has no such query, so an e-mail in doubt is sent again with the same
Message-ID, which lets a receiving server that keeps Message-IDs drop the repeat."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Protocol

import aiosmtplib
import httpx

from services.notifications.settings import NotificationsSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One message to send, as the delivery row holds it."""

    delivery_id: str
    address: str
    language: str
    text: str
    subject: str | None = None
    html: str | None = None


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str | None = None
    detail: str | None = None


class DeliveryFailed(Exception):
    """The provider did not take the message. ``code`` is short and bounded (a metrics
    label: the gateway's status, ``timeout``, ``smtp_550`` …); ``reason`` is for people.

    ``unknown``: the message went out but no answer came back, so the provider may have
    taken it (a reply that timed out, a connection cut after the request was written)."""

    def __init__(self, code: str, reason: str, *, transient: bool,
                 unknown: bool = False) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.transient = transient
        self.unknown = unknown


class Channel(Protocol):
    name: str       # sms | email
    provider: str   # log | kavenegar | smtp

    async def send(self, message: Outgoing) -> Receipt: ...

    async def status(self, delivery_id: str) -> Receipt | None:
        """What the provider knows of this delivery by its idempotency key: a Receipt when
        it took the message, None when it does not know it (or cannot say); raises
        DeliveryFailed when it cannot be asked now, or took the message and it failed."""
        ...

    async def close(self) -> None: ...


# -- logging channels (a local machine) -------------------------------------------------

class LogChannel:
    """Writes the message to the log and counts it as sent. It knows what it logged only
    while the process lives: after a restart, a delivery in doubt is logged again."""

    provider = "log"

    def __init__(self, name: str) -> None:
        self.name = name
        self._logged: set[str] = set()

    async def send(self, message: Outgoing) -> Receipt:
        log.info("%s to %s (delivery %s)%s:\n%s", self.name, message.address,
                 message.delivery_id, f" «{message.subject}»" if message.subject else "",
                 message.text)
        self._logged.add(message.delivery_id)
        return Receipt(detail="logged")

    async def status(self, delivery_id: str) -> Receipt | None:
        return Receipt(detail="logged") if delivery_id in self._logged else None

    async def close(self) -> None:
        pass


# -- SMS through Kavenegar ----------------------------------------------------------------

# The gateway's documented statuses (its reply's ``return.status``, also the HTTP status),
# and whether the same message may succeed later. Problems of the message or the number
# are permanent; so are problems of our account or configuration (key, IP, credit, sender
# line): retrying in minutes does not fix them, an operator does, and then resends
# (python -m services.notifications.cli resend). Busy or failed-at-the-gateway is transient.
KAVENEGAR_STATUSES: dict[int, tuple[bool, str]] = {
    400: (False, "parameters are incomplete"),
    401: (False, "the account is inactive"),
    402: (True, "the operation failed"),
    403: (False, "the API key is not valid"),
    404: (False, "no such method"),
    405: (False, "wrong HTTP method"),
    406: (False, "required parameters are missing"),
    407: (False, "no access to this resource"),
    409: (True, "the server is busy"),
    411: (False, "the receptor is not valid"),
    412: (False, "the sender line is not valid"),
    413: (False, "the message is empty or too long"),
    414: (False, "too many receptors in one request"),
    415: (False, "index out of range"),
    416: (False, "requests from this IP address are not allowed"),
    417: (False, "the date is not valid"),
    418: (False, "the account's credit is insufficient"),
    419: (False, "array lengths do not match"),
    420: (False, "links in messages are not allowed for this account"),
    422: (False, "the data holds characters that are not allowed"),
    424: (False, "template not found"),
    426: (False, "this method needs a premium account"),
    429: (True, "too many requests"),
    451: (True, "too many requests from this IP address"),
    501: (False, "a trial account can only send to its owner's number"),
}
# the per-message status of a reply's entry that mean it will not be delivered
KAVENEGAR_FAILED_ENTRIES: dict[int, str] = {
    6: "failed at the operator",
    11: "not delivered",
    13: "cancelled",
    14: "the receptor has blocked messages from this line",
    100: "unknown message id",
}


def kavenegar_failure(status: int, message: str | None) -> DeliveryFailed:
    known = KAVENEGAR_STATUSES.get(status)
    if known is not None:
        transient, meaning = known
    else:
        # anything else the gateway or a proxy in front of it says: a server-side error may
        # pass, a client-side one will not
        transient, meaning = status >= 500, "unexpected status"
    detail = f"{meaning} ({message})" if message else meaning
    return DeliveryFailed(str(status), detail, transient=transient)


class _RedactKey(logging.Filter):
    """httpx logs each request's URL, and the gateway wants the API key in the path."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self.secret in text:
            record.msg, record.args = text.replace(self.secret, "***"), ()
        return True


def _local_id(delivery_id: str) -> str | None:
    """The gateway's localid is a number: 60 bits of our hexadecimal delivery id."""
    try:
        return str(int(delivery_id[:15], 16))
    except ValueError:
        return None


class KavenegarSms:
    """POST {base_url}/v1/{api_key}/sms/send.json with receptor, sender, message, localid;
    the status of a localid from sms/statuslocalmessageid.json."""

    name = "sms"
    provider = "kavenegar"

    def __init__(self, *, api_key: str, sender: str | None, base_url: str,
                 timeout_seconds: float, client: httpx.AsyncClient | None = None) -> None:
        root = f"{base_url.rstrip('/')}/v1/{api_key}/sms"
        self.url = f"{root}/send.json"
        self.status_url = f"{root}/statuslocalmessageid.json"
        self.sender = sender
        self.client = client or httpx.AsyncClient(timeout=timeout_seconds)
        self._redact = _RedactKey(api_key)
        logging.getLogger("httpx").addFilter(self._redact)

    async def send(self, message: Outgoing) -> Receipt:
        form = {"receptor": message.address, "message": message.text}
        local_id = _local_id(message.delivery_id)
        if local_id is not None:
            # the gateway answers a repeated localid with the first send instead of sending
            # again: a retry after a lost reply cannot reach the phone twice
            form["localid"] = local_id
        if self.sender:
            form["sender"] = self.sender
        entry = await self._call(self.url, form)
        _refused(entry)
        return _receipt(entry)

    async def status(self, delivery_id: str) -> Receipt | None:
        """The gateway answers a localid it never took with an entry of status 100 (or,
        by some accounts, no entry at all): both mean it does not know the message."""
        local_id = _local_id(delivery_id)
        if local_id is None:
            return None
        try:
            entry = await self._call(self.status_url, {"localid": local_id})
        except DeliveryFailed as exc:
            # not an answer about the message: whether the gateway took it stays unknown
            raise DeliveryFailed(exc.code, f"status query: {exc.reason}", transient=True,
                                 unknown=True) from None
        if not entry or entry.get("status") == 100 or (
                entry.get("localid") not in (None, "") and str(entry["localid"]) != local_id):
            return None
        _refused(entry)
        return _receipt(entry)

    async def _call(self, url: str, form: dict[str, str]) -> dict[str, Any]:
        """The first entry of the gateway's reply, or DeliveryFailed."""
        try:
            response = await self.client.post(url, data=form)
        except httpx.TimeoutException as exc:
            raise DeliveryFailed("timeout", f"no reply from the gateway ({type(exc).__name__})",
                                 transient=True,
                                 unknown=not isinstance(exc, (httpx.ConnectTimeout,
                                                              httpx.PoolTimeout))) from None
        except httpx.TransportError as exc:
            raise DeliveryFailed("connection", f"gateway unreachable ({type(exc).__name__})",
                                 transient=True,
                                 unknown=not isinstance(exc, httpx.ConnectError)) from None
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        returned = body.get("return") if isinstance(body, dict) else None
        if not isinstance(returned, dict):
            # not the gateway speaking (a proxy's error page, say)
            raise kavenegar_failure(response.status_code, None) from None
        try:
            status = int(returned.get("status", response.status_code))
        except (TypeError, ValueError):
            status = response.status_code
        text = returned.get("message")
        if status != 200 or response.status_code >= 300:
            raise kavenegar_failure(status if status != 200 else response.status_code, text)
        entries = body.get("entries") or []
        entry = entries[0] if entries and isinstance(entries[0], dict) else {}
        return {"return_message": text, **entry}

    async def close(self) -> None:
        logging.getLogger("httpx").removeFilter(self._redact)
        await self.client.aclose()


def _refused(entry: dict[str, Any]) -> None:
    entry_status = entry.get("status")
    if entry_status in KAVENEGAR_FAILED_ENTRIES:
        raise DeliveryFailed(f"entry_{entry_status}", KAVENEGAR_FAILED_ENTRIES[entry_status],
                             transient=entry_status == 6)


def _receipt(entry: dict[str, Any]) -> Receipt:
    message_id = entry.get("messageid")
    return Receipt(provider_message_id=None if message_id is None else str(message_id),
                   detail=entry.get("statustext") or entry.get("return_message"))


# -- e-mail through SMTP ------------------------------------------------------------------

class SmtpEmail:
    """multipart/alternative (plain text and HTML), UTF-8, one connection per message."""

    name = "email"
    provider = "smtp"

    def __init__(self, *, host: str, port: int, username: str | None, password: str | None,
                 starttls: bool, implicit_tls: bool, timeout_seconds: float,
                 from_address: str, from_name: str) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.timeout = timeout_seconds
        self.sender = Address(display_name=from_name, addr_spec=from_address)
        self.domain = from_address.rpartition("@")[2] or "localhost"

    def compose(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["Subject"] = message.subject or ""
        email["From"] = self.sender
        email["To"] = message.address
        email["Date"] = format_datetime(dt.datetime.now(dt.UTC))
        # the same delivery keeps its Message-ID across tries, so a receiving server can
        # recognise a repeat
        email["Message-ID"] = f"<{message.delivery_id}@{self.domain}>"
        email["Content-Language"] = message.language
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.text, charset="utf-8")
        if message.html:
            email.add_alternative(message.html, subtype="html", charset="utf-8")
        return email

    async def send(self, message: Outgoing) -> Receipt:
        email = self.compose(message)
        try:
            _refused, response = await aiosmtplib.send(
                email, hostname=self.host, port=self.port, username=self.username,
                password=self.password, start_tls=self.starttls, use_tls=self.implicit_tls,
                timeout=self.timeout,
            )
        except (ConnectionError, TimeoutError, OSError) as exc:
            # aiosmtplib's connect, timeout and disconnect errors are among these
            raise DeliveryFailed("connection", f"SMTP server unreachable: {exc}",
                                 transient=True) from None
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            transient = all(400 <= c < 500 for c in codes)
            detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            raise DeliveryFailed(f"smtp_{codes[0] if codes else 'refused'}",
                                 f"recipient refused: {detail}", transient=transient) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"smtp_{exc.code}", f"{exc.code} {exc.message}",
                                 transient=400 <= exc.code < 500) from None
        except aiosmtplib.SMTPException as exc:
            # the server cannot do what we are configured to ask (STARTTLS, AUTH …)
            raise DeliveryFailed("smtp_config", str(exc), transient=False) from None
        return Receipt(provider_message_id=str(email["Message-ID"]), detail=response)

    async def status(self, delivery_id: str) -> Receipt | None:
        # SMTP cannot be asked what it took: the repeat carries the same Message-ID, and a
        # receiving server that keeps Message-IDs drops it; one that does not delivers twice
        return None

    async def close(self) -> None:
        pass


def channels_from_settings(settings: NotificationsSettings) -> dict[str, Channel]:
    sms: Channel
    if settings.sms_provider == "kavenegar":
        assert settings.sms_api_key is not None  # the settings insist on it
        sms = KavenegarSms(api_key=settings.sms_api_key.get_secret_value(),
                           sender=settings.sms_sender, base_url=settings.sms_base_url,
                           timeout_seconds=settings.sms_timeout_seconds)
    else:
        sms = LogChannel("sms")
    email: Channel
    if settings.email_provider == "smtp":
        email = SmtpEmail(
            host=settings.smtp_host, port=settings.smtp_port, username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls, implicit_tls=settings.smtp_implicit_tls,
            timeout_seconds=settings.smtp_timeout_seconds,
            from_address=settings.email_from_address, from_name=settings.email_from_name,
        )
    else:
        email = LogChannel("email")
    return {sms.name: sms, email.name: email}
