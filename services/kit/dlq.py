"""Dead-letter queues of the topology: count and read their messages, put them back on the
route they came from, or empty a queue. The operators' command line (services.kit.cli)
is the only user.

A dead letter reached ``<queue>.dlq`` one of two ways: our consumer gave up on it and
republished it with the reason in ``x-pishkhan-*`` headers (``Bus.dead_letter``), or the
broker moved it after the queue's delivery limit and recorded its route in ``x-death``.

AMQP has no "peek". Every read takes each message the queue held when it began
(``basic.get``, unacknowledged) and then returns those it keeps (``basic.nack`` with
requeue) in the order they came. A quorum queue puts a returned message at its back, so
only cycling through the whole queue keeps its order: reading the first ten of a
thousand still moves all thousand. A dead letter that arrives meanwhile lands before
the returned ones.

A replayed message is acknowledged, and so removed, only after the broker has confirmed
its republication; when the publish fails it is returned like the others. A crash
between the confirm and the ack leaves it in both places: the services record every
message id (their inbox) and the workflows bridge is idempotent on case and task, so the
second delivery changes nothing. A crash while messages are
held loses none: the broker requeues what was not acknowledged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage
from pamqp.commands import Basic

from services.contracts import routing
from services.kit.settings import ServiceSettings

DLQ_SUFFIX = routing.DLQ_SUFFIX
PUBLISH_TIMEOUT_SECONDS = 10.0
SETTLE_SECONDS = 5.0
# headers that describe a past failure: a replayed message starts its attempts afresh
_FAILURE_HEADERS = ("x-death", "x-first-death-", "x-last-death-", "x-delivery-count",
                    routing.HEADER_PREFIX)
REPLAYS_HEADER = routing.REPLAYS_HEADER


class DlqError(Exception):
    """A problem the operator must fix (a queue that does not exist, a bad argument)."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


@dataclass(frozen=True)
class Route:
    exchange: str
    routing_key: str
    source: str  # where it came from: "x-pishkhan", "x-death" or "direct"

    def __str__(self) -> str:
        return f"{self.exchange or '(default exchange)'} / {self.routing_key}"


@dataclass(frozen=True)
class Death:
    """One entry of RabbitMQ's ``x-death`` header."""

    queue: str
    reason: str
    count: int
    exchange: str
    routing_keys: tuple[str, ...]
    time: str

    @classmethod
    def parse(cls, entry: Mapping[str, Any]) -> Death:
        when = entry.get("time")
        if isinstance(when, dt.datetime):
            when_text = when.isoformat()
        else:
            when_text = _text(when)
        return cls(
            queue=_text(entry.get("queue")),
            reason=_text(entry.get("reason")),
            count=int(entry.get("count") or 0),
            exchange=_text(entry.get("exchange")),
            routing_keys=tuple(_text(k) for k in entry.get("routing-keys") or ()),
            time=when_text,
        )


@dataclass
class DeadLetter:
    """What an operator needs to know about one dead-lettered message."""

    message_id: str
    type: str
    correlation_id: str
    reason: str
    error: str
    queue: str
    original_exchange: str | None
    original_routing_key: str | None
    deaths: list[Death]
    body: bytes
    content_type: str
    headers: dict[str, Any]
    replays: int
    # how often the dead-letter queue handed it out before: every read returns it, and a
    # quorum queue counts each return (RabbitMQ before 4.3)
    delivery_count: int
    raw: AbstractIncomingMessage | None = field(default=None, repr=False)

    @classmethod
    def from_message(cls, message: AbstractIncomingMessage) -> DeadLetter:
        headers = dict(message.headers or {})
        deaths = [Death.parse(entry) for entry in headers.get("x-death") or ()
                  if isinstance(entry, Mapping)]
        first = deaths[0] if deaths else None
        pishkhan_exchange = headers.get(routing.ORIGINAL_EXCHANGE_HEADER)
        pishkhan_key = headers.get(routing.ORIGINAL_ROUTING_KEY_HEADER)
        reason = _text(headers.get(routing.REASON_HEADER)) or (first.reason if first else "")
        return cls(
            message_id=_text(message.message_id),
            type=_text(message.type),
            correlation_id=_text(message.correlation_id),
            reason=reason or "unknown",
            error=_text(headers.get(routing.ERROR_HEADER)),
            queue=_text(headers.get(routing.QUEUE_HEADER)) or (first.queue if first else ""),
            original_exchange=None if pishkhan_exchange is None else _text(pishkhan_exchange),
            original_routing_key=None if pishkhan_key is None else _text(pishkhan_key),
            deaths=deaths,
            body=bytes(message.body),
            content_type=_text(message.content_type),
            headers=headers,
            replays=int(headers.get(REPLAYS_HEADER) or 0),
            delivery_count=int(headers.get("x-delivery-count") or 0),
            raw=message,
        )

    def route(self, *, dead_letter_queue: str, direct: bool = False) -> Route | None:
        """Where to republish: the original exchange and routing key (our headers first,
        then the broker's ``x-death``); with ``direct``, straight to the queue that gave up
        on it, through the default exchange."""
        if direct:
            queue = self.queue or dead_letter_queue.removesuffix(DLQ_SUFFIX)
            return Route("", queue, "direct")
        if self.original_routing_key:
            return Route(self.original_exchange or "", self.original_routing_key, "x-pishkhan")
        for death in self.deaths:
            if death.routing_keys:
                return Route(death.exchange, death.routing_keys[0], "x-death")
        return None

    def body_text(self) -> str:
        """The body, as indented JSON when it is JSON."""
        text = self.body.decode("utf-8", "replace")
        try:
            return json.dumps(json.loads(self.body), indent=2, ensure_ascii=False)
        except ValueError:
            return text

    def replay_headers(self) -> dict[str, Any]:
        kept = {key: value for key, value in self.headers.items()
                if not key.startswith(_FAILURE_HEADERS)}
        kept[REPLAYS_HEADER] = self.replays + 1
        return kept


@dataclass(frozen=True)
class QueueCount:
    """A dead-letter queue and what it holds; ``messages`` is None when it does not exist."""

    name: str
    source: str
    messages: int | None
    consumers: int | None
    source_messages: int | None
    # waiting out a transient failure in <queue>.retry: they come back by themselves
    retrying: int | None = None


@dataclass
class ReplayOutcome:
    replayed: list[tuple[DeadLetter, Route]] = field(default_factory=list)
    failed: list[tuple[DeadLetter, str]] = field(default_factory=list)
    # requested message ids not found in the queue
    missing: list[str] = field(default_factory=list)
    scanned: int = 0


Selector = Callable[[DeadLetter], bool]
Progress = Callable[[DeadLetter, str], None]


class DeadLetterQueues:
    """Async context over one broker connection; names follow the settings' queue prefix."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._connection: AbstractConnection | None = None
        self._read: AbstractChannel | None = None
        self._publish: AbstractChannel | None = None

    async def __aenter__(self) -> Self:
        self._connection = await aio_pika.connect(self.settings.rabbit_url)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._connection is not None:
            await self._connection.close()

    # -- names ------------------------------------------------------------------------

    def source_queue(self, subscription: routing.Subscription) -> str:
        return f"{self.settings.queue_prefix}{subscription.queue}"

    def dead_letter_queues(self) -> list[tuple[str, str]]:
        """(dead-letter queue, the queue it serves) for every subscription of the topology."""
        return [(f"{self.source_queue(s)}{DLQ_SUFFIX}", self.source_queue(s))
                for s in routing.TOPOLOGY]

    def resolve(self, name: str) -> str:
        """The dead-letter queue an operator means: its full name, or the subscription's
        queue name with or without the prefix and the ``.dlq`` suffix."""
        known = [dlq for dlq, _ in self.dead_letter_queues()]
        base = name.removesuffix(DLQ_SUFFIX)
        for candidate in (name, f"{base}{DLQ_SUFFIX}",
                          f"{self.settings.queue_prefix}{base}{DLQ_SUFFIX}"):
            if candidate in known:
                return candidate
        if name.endswith(DLQ_SUFFIX):
            return name  # not in the topology (an old queue, say): taken as given
        raise DlqError(f"{name!r} is not a dead-letter queue of the topology; "
                       f"`dlq list` shows them")

    # -- channels ---------------------------------------------------------------------

    async def _reader(self) -> AbstractChannel:
        if self._read is None or self._read.is_closed:
            assert self._connection is not None, "use DeadLetterQueues as an async context"
            self._read = await self._connection.channel(publisher_confirms=False)
        return self._read

    async def _publisher(self) -> AbstractChannel:
        if self._publish is None or self._publish.is_closed:
            assert self._connection is not None, "use DeadLetterQueues as an async context"
            self._publish = await self._connection.channel(publisher_confirms=True,
                                                            on_return_raises=True)
        return self._publish

    async def _count(self, name: str) -> tuple[int, int] | None:
        """(messages, consumers), or None when the queue does not exist."""
        # a passive declare of a missing queue closes the channel: use a channel of its own
        assert self._connection is not None, "use DeadLetterQueues as an async context"
        channel = await self._connection.channel(publisher_confirms=False)
        try:
            queue = await channel.declare_queue(name, passive=True)
        except aiormq.exceptions.ChannelNotFoundEntity:
            return None
        finally:
            if not channel.is_closed:
                await channel.close()
        result = queue.declaration_result
        return int(result.message_count or 0), int(result.consumer_count or 0)

    async def message_count(self, name: str) -> int:
        counted = await self._count(name)
        if counted is None:
            raise DlqError(f"queue {name!r} does not exist on {self._where()}")
        return counted[0]

    async def _queue(self, name: str) -> tuple[aio_pika.abc.AbstractQueue, int]:
        count = await self.message_count(name)
        channel = await self._reader()
        return await channel.get_queue(name, ensure=False), count

    def _where(self) -> str:
        url = self.settings.rabbit_url
        return url.split("@", 1)[-1] if "@" in url else url

    # -- reading ----------------------------------------------------------------------

    async def counts(self) -> list[QueueCount]:
        found = []
        for dlq, source in self.dead_letter_queues():
            counted = await self._count(dlq)
            source_counted = await self._count(source)
            retry_counted = await self._count(f"{source}{routing.RETRY_SUFFIX}")
            found.append(QueueCount(
                name=dlq, source=source,
                messages=None if counted is None else counted[0],
                consumers=None if counted is None else counted[1],
                source_messages=None if source_counted is None else source_counted[0],
                retrying=None if retry_counted is None else retry_counted[0],
            ))
        return found

    async def peek(self, name: str, *, limit: int) -> list[DeadLetter]:
        """The first ``limit`` dead letters; the queue keeps all of them, in order."""
        seen: list[DeadLetter] = []

        async def look(message: AbstractIncomingMessage) -> bool:
            if len(seen) < limit:
                seen.append(DeadLetter.from_message(message))
            return True

        await self._cycle(name, look)
        return seen

    # -- replay -----------------------------------------------------------------------

    async def replay(self, name: str, *, select: Selector, message_ids: Sequence[str] = (),
                     limit: int | None = None, direct: bool = False,
                     progress: Progress | None = None) -> ReplayOutcome:
        """Republish each selected dead letter to its original route, with publisher
        confirms, and only then remove it from the dead-letter queue. Everything else
        stays, in order. Only the messages there when the call began are looked at, so a
        replayed message that fails again and comes back is not replayed twice."""
        outcome = ReplayOutcome()
        wanted = set(message_ids)

        async def visit(message: AbstractIncomingMessage) -> bool:
            letter = DeadLetter.from_message(message)
            if limit is not None and len(outcome.replayed) + len(outcome.failed) >= limit:
                return True
            if not select(letter):
                return True
            wanted.discard(letter.message_id)
            route = letter.route(dead_letter_queue=name, direct=direct)
            problem = ("no original route: no x-pishkhan-original-* or x-death header"
                       if route is None else await self._republish(letter, route))
            if progress is not None:
                progress(letter, "replayed" if problem is None else "failed")
            if problem is None and route is not None:
                await message.ack()
                outcome.replayed.append((letter, route))
                return False
            outcome.failed.append((letter, problem or "not replayed"))
            return True

        outcome.scanned = await self._cycle(name, visit)
        outcome.missing = sorted(wanted)
        return outcome

    async def _cycle(self, name: str,
                     visit: Callable[[AbstractIncomingMessage], Awaitable[bool]]) -> int:
        """Take every message the queue holds now, one by one; ``visit`` answers whether
        to keep it (it acknowledges what it does not keep). The kept ones go back, in
        their order, and the call returns once the broker counts them again."""
        queue, count = await self._queue(name)
        kept: list[AbstractIncomingMessage] = []
        taken = 0
        try:
            while taken < count:
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                taken += 1
                try:
                    keep = await visit(message)
                except BaseException:
                    kept.append(message)
                    raise
                if keep:
                    kept.append(message)
        finally:
            returned = await _give_back(kept)
        if returned:
            await self._settle(name, at_least=returned)
        return taken

    async def _settle(self, name: str, *, at_least: int) -> None:
        """Wait (a little) until the broker counts the returned messages again, so that
        the next command sees the whole queue."""
        deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            counted = await self._count(name)
            if counted is None or counted[0] >= at_least:
                return
            await asyncio.sleep(0.05)

    async def _republish(self, letter: DeadLetter, route: Route) -> str | None:
        """None once the broker confirmed the message; else why it did not."""
        raw = letter.raw
        # user_id and expiration stay behind: the one must match our login, the other
        # could drop the message on its way back
        message = aio_pika.Message(
            body=letter.body,
            headers=letter.replay_headers(),
            content_type=letter.content_type or None,
            content_encoding=(_text(raw.content_encoding) or None) if raw else None,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            correlation_id=letter.correlation_id or None,
            message_id=letter.message_id or None,
            type=letter.type or None,
            timestamp=raw.timestamp if raw else None,
            app_id=(_text(raw.app_id) or None) if raw else None,
        )
        channel = await self._publisher()
        try:
            exchange = (channel.default_exchange if route.exchange == ""
                        else await channel.get_exchange(route.exchange, ensure=False))
            confirmation = await exchange.publish(message, routing_key=route.routing_key,
                                                  mandatory=True,
                                                  timeout=PUBLISH_TIMEOUT_SECONDS)
        except aio_pika.exceptions.PublishError as exc:
            return f"the broker returned it as unroutable ({route}): {_reply_text(exc)}"
        except aio_pika.exceptions.DeliveryError as exc:
            return f"the broker refused it ({route}): {_reply_text(exc)}"
        except (aiormq.exceptions.AMQPError, TimeoutError, ConnectionError) as exc:
            return f"not confirmed ({route}): {exc!r}"
        if not isinstance(confirmation, Basic.Ack):
            return f"not confirmed ({route}): {confirmation!r}"
        return None

    # -- purge ------------------------------------------------------------------------

    async def purge(self, name: str) -> int:
        queue, _ = await self._queue(name)
        result = await queue.purge()
        return int(getattr(result, "message_count", 0) or 0)


def _reply_text(exc: Exception) -> str:
    frame = getattr(exc, "frame", None)
    text = getattr(frame, "reply_text", None)
    return _text(text) or exc.__class__.__name__


async def _give_back(held: Iterable[AbstractIncomingMessage]) -> int:
    """Return held messages in the order they came; how many went back."""
    returned = 0
    for message in held:
        try:
            await message.nack(requeue=True)
        except (aiormq.exceptions.AMQPError, ConnectionError, RuntimeError):
            # the channel is gone: the broker requeues whatever it had not acknowledged
            break
        returned += 1
    return returned
