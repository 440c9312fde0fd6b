"""The RabbitMQ bus through FastStream: one durable topic exchange, a durable quorum queue
per subscription with its own dead-letter queue and retry queue, explicit acks.

A failed message is never held on its prefetch slot while it waits. The consumer
republishes it (publisher-confirmed, then acks the original) to ``<queue>.retry`` with a
per-message expiration equal to its back-off, ``retry_backoff_seconds * 2**n`` capped at
``retry_backoff_max_seconds``; the retry queue has no consumer and dead-letters expired
messages through the dlx back onto ``<queue>``. A transient failure (``services.kit.faults``:
a database, the broker, or what a component registers, such as Temporal) goes round for as
long as it takes; only a poison message reaches ``<queue>.dlq``: malformed, of an unknown
type, rejected by its handler, or failing for its own fault ``max_attempts`` times. Retry
queues rather than pausing the consumer (a circuit): a failure that concerns one message
or one case must not stop a queue's others, and the broker holds the waiting ones durably
whatever happens to our process. A quorum queue expires messages only at its head, so a
short back-off behind a long one waits for it: never longer than the cap.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aio_pika import IncomingMessage
from faststream import AckPolicy
from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitMessage,
    RabbitQueue,
)
from faststream.rabbit.prometheus import RabbitPrometheusMiddleware
from pamqp.commands import Basic
from pydantic import ValidationError

from services.contracts import routing
from services.contracts.envelope import Envelope, Message
from services.contracts.registry import MESSAGE_TYPES
from services.kit import faults
from services.kit.logs import bind
from services.kit.metrics import KitMetrics
from services.kit.settings import ServiceSettings

log = logging.getLogger(__name__)

Handler = Callable[[Envelope, Any], Awaitable[None]]


class Reject(Exception):
    """Raised by a handler for a message that can never succeed: dead-letter it now."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class PublishNotConfirmed(faults.Transient):
    """The broker did not take a message (a nack, a return): try again later."""


class Duplicate(Exception):
    """A message this consumer handled before: acknowledge it and move on."""


class Bus:
    def __init__(self, settings: ServiceSettings, *, service: str, metrics: KitMetrics) -> None:
        self.settings = settings
        self.service = service
        self.metrics = metrics
        self.broker = RabbitBroker(
            settings.rabbit_url,
            default_channel=Channel(
                prefetch_count=settings.prefetch,
                publisher_confirms=True,
                on_return_raises=True,
            ),
            middlewares=[RabbitPrometheusMiddleware(registry=metrics.registry, app_name=service)],
            app_id=service,
            graceful_timeout=10,
            log_level=logging.DEBUG,
        )
        self.exchange = RabbitExchange(settings.exchange, type=ExchangeType.TOPIC, durable=True)
        self.dead_letter_exchange = RabbitExchange(
            f"{settings.exchange}.dlx", type=ExchangeType.DIRECT, durable=True
        )
        self._started = False

    # -- topology ---------------------------------------------------------------------

    def queue_name(self, subscription: routing.Subscription) -> str:
        return f"{self.settings.queue_prefix}{subscription.queue}"

    def queue(self, subscription: routing.Subscription) -> RabbitQueue:
        name = self.queue_name(subscription)
        arguments: dict[str, Any] = {
            "x-dead-letter-exchange": self.dead_letter_exchange.name,
            "x-dead-letter-routing-key": f"{name}{routing.DLQ_SUFFIX}",
            "x-delivery-limit": self.settings.delivery_limit,
        }
        if self.settings.queue_expires_ms:
            arguments["x-expires"] = self.settings.queue_expires_ms
        return RabbitQueue(
            name,
            queue_type=QueueType.QUORUM,
            durable=True,
            arguments=arguments,  # type: ignore[arg-type]
            routing_key=subscription.binding,
        )

    def retry_queue(self, subscription: routing.Subscription) -> RabbitQueue:
        """Where a message waits out its back-off: no consumer; each message's expiration
        sends it back through the dlx to the subscription's queue."""
        source = self.queue_name(subscription)
        name = f"{source}{routing.RETRY_SUFFIX}"
        arguments: dict[str, Any] = {
            "x-dead-letter-exchange": self.dead_letter_exchange.name,
            "x-dead-letter-routing-key": source,
            # an expired message leaves only once its queue has it: none lost on a crash
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }
        if self.settings.queue_expires_ms:
            arguments["x-expires"] = self.settings.queue_expires_ms
        return RabbitQueue(
            name, queue_type=QueueType.QUORUM, durable=True, arguments=arguments,  # type: ignore[arg-type]
            routing_key=name,
        )

    def dead_letter_queue(self, subscription: routing.Subscription) -> RabbitQueue:
        name = f"{self.queue_name(subscription)}{routing.DLQ_SUFFIX}"
        arguments: dict[str, Any] = {}
        if self.settings.queue_expires_ms:
            arguments["x-expires"] = self.settings.queue_expires_ms
        return RabbitQueue(
            name, queue_type=QueueType.QUORUM, durable=True, arguments=arguments,  # type: ignore[arg-type]
            routing_key=name,
        )

    async def declare_topology(self) -> None:
        exchange = await self.broker.declare_exchange(self.exchange)
        dlx = await self.broker.declare_exchange(self.dead_letter_exchange)
        for subscription in routing.TOPOLOGY:
            queue = await self.broker.declare_queue(self.queue(subscription))
            for binding in subscription.bindings:
                await queue.bind(exchange, routing_key=binding)
            # messages back from their retry queue
            await queue.bind(dlx, routing_key=queue.name)
            retry_spec = self.retry_queue(subscription)
            retry = await self.broker.declare_queue(retry_spec)
            await retry.bind(dlx, routing_key=retry_spec.name)
            dlq_spec = self.dead_letter_queue(subscription)
            dlq = await self.broker.declare_queue(dlq_spec)
            await dlq.bind(dlx, routing_key=dlq_spec.name)

    async def start(self) -> None:
        await self.broker.connect()
        await self.declare_topology()
        await self.broker.start()
        self._started = True

    async def stop(self) -> None:
        await self.broker.stop()
        self._started = False

    async def ping(self, timeout: float = 2.0) -> bool:
        return self._started and await self.broker.ping(timeout)

    # -- publishing -------------------------------------------------------------------

    async def publish_json(self, body: str | bytes, *, routing_key: str, message_id: str,
                           correlation_id: str, mandatory: bool,
                           headers: dict[str, Any] | None = None) -> None:
        """Publish and wait for the broker's confirm; raise if it did not take the message."""
        data = body.encode() if isinstance(body, str) else body
        confirmation = await self.broker.publish(
            data,
            exchange=self.exchange,
            routing_key=routing_key,
            message_id=message_id,
            correlation_id=correlation_id,
            message_type=routing_key,
            content_type="application/json",
            persist=True,
            mandatory=mandatory,
            headers=headers,
        )
        if confirmation is not None and not isinstance(confirmation, Basic.Ack):
            raise PublishNotConfirmed(f"{routing_key} {message_id}: {confirmation!r}")

    async def publish(self, message: Message, *, correlation_id: str,
                      causation_id: str | None = None, message_id: str | None = None) -> Envelope:
        """Publish straight to the bus; only for processes without a database (the worker)."""
        envelope = Envelope.wrap(
            message, correlation_id=correlation_id, causation_id=causation_id,
            message_id=message_id,
        )
        await self.publish_json(
            envelope.model_dump_json(), routing_key=envelope.type,
            message_id=envelope.message_id, correlation_id=correlation_id,
            mandatory=message.KIND == "command",
        )
        return envelope

    async def _set_aside(self, raw: IncomingMessage, routing_key: str, headers: dict[str, Any],
                         *, expiration: float | None = None) -> None:
        """Republish a consumed message, unchanged but for its headers, to its dead-letter
        or retry queue through the dlx; raise unless the broker confirms it."""
        confirmation = await self.broker.publish(
            raw.body,
            exchange=self.dead_letter_exchange,
            routing_key=routing_key,
            message_id=raw.message_id,
            correlation_id=raw.correlation_id,
            message_type=raw.type,
            content_type=raw.content_type,
            headers=headers,
            persist=True,
            mandatory=True,
            expiration=expiration,
        )
        if confirmation is not None and not isinstance(confirmation, Basic.Ack):
            raise PublishNotConfirmed(f"{routing_key}: {confirmation!r}")

    async def dead_letter(self, subscription: routing.Subscription, raw: IncomingMessage,
                          reason: str, detail: str) -> None:
        queue = self.queue_name(subscription)
        headers = _with_original_route(raw)
        headers.update(
            {
                routing.REASON_HEADER: reason or "failed",
                routing.ERROR_HEADER: detail[:2000],
                routing.QUEUE_HEADER: queue,
            }
        )
        await self._set_aside(raw, f"{queue}{routing.DLQ_SUFFIX}", headers)
        self.metrics.dead_lettered.labels(queue, reason).inc()
        log.warning("dead-lettered message %s from %s: %s %s", raw.message_id, queue, reason,
                    detail[:300])

    # -- consuming --------------------------------------------------------------------

    def subscribe(self, subscription: routing.Subscription, handler: Handler) -> None:
        """Register ``handler(envelope, payload)`` on the subscription's queue.

        Malformed or unknown messages and handlers raising :class:`Reject` go straight to
        the dead-letter queue with the reason; transient failures go round the retry queue
        until they succeed; other failures go round up to ``max_attempts`` times and are
        then dead-lettered. A consumer never stops on a message.
        """
        queue = self.queue(subscription)

        async def consume(message: RabbitMessage) -> None:
            raw = message.raw_message
            with bind(correlation_id=raw.correlation_id, message_id=raw.message_id,
                      service=self.service):
                await self._consume(subscription, handler, message)

        consume.__name__ = f"consume_{queue.name.replace('.', '_').replace('-', '_')}"
        self.broker.subscriber(queue, self.exchange, ack_policy=AckPolicy.MANUAL)(consume)

    async def _consume(self, subscription: routing.Subscription, handler: Handler,
                       message: RabbitMessage) -> None:
        raw: IncomingMessage = message.raw_message
        queue = self.queue_name(subscription)
        try:
            envelope = Envelope.model_validate_json(raw.body)
            model = MESSAGE_TYPES.get(envelope.type)
            if model is None:
                raise Reject("unknown_type", envelope.type)
            payload = model.model_validate(envelope.payload)
        except ValidationError as exc:
            return await self._give_up(subscription, message, "malformed", str(exc))
        except Reject as exc:
            return await self._give_up(subscription, message, exc.reason, exc.detail)

        try:
            await handler(envelope, payload)
        except Duplicate:
            await message.ack()
            self.metrics.duplicates.labels(queue).inc()
            log.info("skipped duplicate %s on %s", envelope.message_id, queue)
            return
        except Reject as exc:
            return await self._give_up(subscription, message, exc.reason, exc.detail)
        except Exception as exc:
            return await self._retry_later(subscription, message, exc)
        await message.ack()
        self.metrics.handled.labels(queue, "ok").inc()

    def backoff_seconds(self, attempt: int) -> float:
        """How long a message waits after its ``attempt``-th failed try (1, 2, …)."""
        base = self.settings.retry_backoff_seconds
        cap = self.settings.retry_backoff_max_seconds
        # the exponent is capped too, so a message retried for days does not overflow
        return min(base * 2 ** min(attempt - 1, 32), cap)

    async def _retry_later(self, subscription: routing.Subscription, message: RabbitMessage,
                           exc: Exception) -> None:
        raw: IncomingMessage = message.raw_message
        queue = self.queue_name(subscription)
        headers = raw.headers or {}
        attempt = int(headers.get(routing.ATTEMPT_HEADER) or 0) + 1
        failures = int(headers.get(routing.FAILURES_HEADER) or 0)
        transient = faults.is_transient(exc)
        if not transient:
            failures += 1
            if failures >= self.settings.max_attempts:
                return await self._give_up(subscription, message, "failed",
                                           f"after {failures} attempts: {exc!r}")
        delay = self.backoff_seconds(attempt)
        log.warning("handler for %s failed (%s, attempt %s), retrying in %.2fs: %r", queue,
                    "transient" if transient else f"failure {failures}", attempt, delay, exc)
        retry = _with_original_route(raw)
        retry.update({routing.ATTEMPT_HEADER: attempt, routing.FAILURES_HEADER: failures,
                      routing.ERROR_HEADER: repr(exc)[:2000]})
        try:
            # at least a millisecond: an expiration of 0 would be no expiration at all
            await self._set_aside(raw, f"{queue}{routing.RETRY_SUFFIX}", retry,
                                  expiration=max(delay, 0.001))
        except Exception as publish_error:
            # the broker itself is in trouble: hand the message back unanswered; if the
            # channel is gone the broker requeues it by itself
            log.warning("could not send %s round for a retry: %r", raw.message_id,
                        publish_error)
            try:
                await message.nack(requeue=True)
            except Exception:  # noqa: BLE001 - a dead channel requeues it anyway
                pass
            return
        await message.ack()
        self.metrics.handled.labels(queue, "retried").inc()
        if transient:
            self.metrics.retried_transient.labels(queue, faults.reason(exc)).inc()

    async def _give_up(self, subscription: routing.Subscription, message: RabbitMessage,
                       reason: str, detail: str) -> None:
        """Dead-letter with the reason, then acknowledge: the queue moves on."""
        await self.dead_letter(subscription, message.raw_message, reason, detail)
        await message.ack()
        self.metrics.handled.labels(self.queue_name(subscription), "dead_lettered").inc()


def _with_original_route(raw: IncomingMessage) -> dict[str, Any]:
    """The message's headers, with the route it first came by: a message back from its retry
    queue arrives through the dlx, and a replay must send it where it first went."""
    headers = dict(raw.headers or {})
    headers.setdefault(routing.ORIGINAL_EXCHANGE_HEADER, raw.exchange or "")
    headers.setdefault(routing.ORIGINAL_ROUTING_KEY_HEADER, raw.routing_key or "")
    return headers
