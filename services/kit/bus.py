"""The RabbitMQ bus through FastStream: one durable topic exchange, a durable quorum queue
per subscription with its own dead-letter queue, explicit acks, bounded retries."""

from __future__ import annotations

import asyncio
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


class PublishNotConfirmed(Exception):
    pass


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
            "x-dead-letter-routing-key": f"{name}.dlq",
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

    def dead_letter_queue(self, subscription: routing.Subscription) -> RabbitQueue:
        name = f"{self.queue_name(subscription)}.dlq"
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

    async def dead_letter(self, subscription: routing.Subscription, raw: IncomingMessage,
                          reason: str, detail: str) -> None:
        queue = self.queue_name(subscription)
        headers = dict(raw.headers or {})
        headers.update(
            {
                "x-pishkhan-reason": reason,
                "x-pishkhan-error": detail[:2000],
                "x-pishkhan-queue": queue,
                "x-pishkhan-original-exchange": raw.exchange or "",
                "x-pishkhan-original-routing-key": raw.routing_key or "",
            }
        )
        confirmation = await self.broker.publish(
            raw.body,
            exchange=self.dead_letter_exchange,
            routing_key=f"{queue}.dlq",
            message_id=raw.message_id,
            correlation_id=raw.correlation_id,
            message_type=raw.type,
            content_type=raw.content_type,
            headers=headers,
            persist=True,
            mandatory=True,
        )
        if confirmation is not None and not isinstance(confirmation, Basic.Ack):
            raise PublishNotConfirmed(f"dead letter for {queue}: {confirmation!r}")
        self.metrics.dead_lettered.labels(queue, reason).inc()
        log.warning("dead-lettered message %s from %s: %s %s", raw.message_id, queue, reason,
                    detail[:300])

    # -- consuming --------------------------------------------------------------------

    def subscribe(self, subscription: routing.Subscription, handler: Handler) -> None:
        """Register ``handler(envelope, payload)`` on the subscription's queue.

        Malformed or unknown messages and handlers raising :class:`Reject` go straight to
        the dead-letter queue with the reason; other failures are retried with back-off
        up to ``max_attempts`` and then dead-lettered. A consumer never stops on a message.
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
            attempt = int((raw.headers or {}).get("x-delivery-count") or 0) + 1
            if attempt >= self.settings.max_attempts:
                return await self._give_up(subscription, message, "failed",
                                           f"after {attempt} attempts: {exc!r}")
            log.warning("handler for %s failed (attempt %s), will retry: %r", queue, attempt, exc)
            await asyncio.sleep(self.settings.retry_backoff_seconds * 2 ** (attempt - 1))
            await message.nack(requeue=True)
            self.metrics.handled.labels(queue, "retried").inc()
            return
        await message.ack()
        self.metrics.handled.labels(queue, "ok").inc()

    async def _give_up(self, subscription: routing.Subscription, message: RabbitMessage,
                       reason: str, detail: str) -> None:
        """Dead-letter with the reason, then acknowledge: the queue moves on."""
        await self.dead_letter(subscription, message.raw_message, reason, detail)
        await message.ack()
        self.metrics.handled.labels(self.queue_name(subscription), "dead_lettered").inc()
