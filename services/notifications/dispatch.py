"""The dispatcher: sends pending deliveries outside any message's transaction.

It claims due deliveries (a conditional UPDATE, so two replicas never hold the same one),
sends each on its channel, and records the outcome: sent; back to pending with an
exponential back-off after a transient failure; failed with the provider's reason after a
permanent one or when the attempts run out. Every final outcome is announced through the
outbox in the same transaction that records it.

A delivery whose last try has an unknown outcome (in doubt: its lease ran out while it was
being sent, or the provider's answer never came) is not simply sent again: the provider is
asked first by the delivery's idempotency key, and a message it already took is recorded
as sent with its message id."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Mapping
from typing import Any

from services.kit.db import Database, utcnow
from services.kit.loop import LoopOwner, PollingLoop
from services.kit.outbox import OutboxRelay
from services.kit.uow import UnitOfWork
from services.notifications import repository, service
from services.notifications.channels import Channel, DeliveryFailed, Outgoing, Receipt
from services.notifications.metrics import NotificationsMetrics
from services.notifications.models import CHANNELS, FAILED, PENDING, SENT, Delivery
from services.notifications.settings import NotificationsSettings

log = logging.getLogger(__name__)


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """How long to wait after the ``attempts``-th try failed: base, 2×base, 4×base … ≤ cap."""
    return float(min(base * 2 ** max(attempts - 1, 0), cap))


class Dispatcher(LoopOwner):
    def __init__(self, *, db: Database, relay: OutboxRelay | None,
                 channels: Mapping[str, Channel], metrics: NotificationsMetrics,
                 settings: NotificationsSettings, worker: str | None = None) -> None:
        self.db = db
        self.relay = relay
        self.channels = channels
        self.metrics = metrics
        self.settings = settings
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._loop = PollingLoop("notification-dispatcher", self._pass,
                                 poll_seconds=settings.dispatch_poll_seconds)

    async def _pass(self) -> bool:
        handled = await self.dispatch_once()
        await self.refresh_gauges()
        return handled >= self.settings.dispatch_concurrency

    # -- one pass ------------------------------------------------------------------------

    async def dispatch_once(self) -> int:
        """Claim what is due, send it, record the outcomes; return how many were handled.

        Only as many as are sent at once are claimed, so each send starts as soon as its
        lease does."""
        now = utcnow()
        async with self.db.sessionmaker() as session:
            claimed = await repository.claim_due(
                session, worker=self.worker, now=now,
                lease_until=now + dt.timedelta(seconds=self.settings.dispatch_lease_seconds),
                limit=self.settings.dispatch_concurrency,
            )
            await session.commit()
        if claimed:
            await asyncio.gather(*(self._deliver(delivery) for delivery in claimed))
        return len(claimed)

    async def _deliver(self, delivery: Delivery) -> None:
        outcome = await self._send(delivery)
        try:
            await self._record(delivery, outcome)
        except Exception:
            # the lease runs out and another pass tries again: better twice than never
            log.exception("could not record the outcome of delivery %s", delivery.id)

    async def _send(self, delivery: Delivery) -> Receipt | DeliveryFailed:
        channel = self.channels.get(delivery.channel)
        if channel is None or delivery.address is None:
            return DeliveryFailed("no_channel", f"nothing sends on {delivery.channel!r}",
                                  transient=False)
        message = Outgoing(delivery_id=delivery.id, address=delivery.address,
                           language=delivery.language, text=delivery.body,
                           subject=delivery.subject, html=delivery.html)
        started = time.perf_counter()
        try:
            # an adapter's own timeouts cover each step; this bounds the whole send within
            # the lease, after which another replica may take the delivery
            async with asyncio.timeout(self.settings.dispatch_lease_seconds / 2):
                if delivery.in_doubt:
                    known = await self._ask(channel, delivery)
                    if known is not None:
                        return known
                return await channel.send(message)
        except TimeoutError:
            exc = DeliveryFailed("timeout", "the send took longer than half the lease",
                                 transient=True, unknown=True)
            self.metrics.provider_errors.labels(channel.name, channel.provider, exc.code).inc()
            return exc
        except DeliveryFailed as exc:
            self.metrics.provider_errors.labels(channel.name, channel.provider, exc.code).inc()
            return exc
        except Exception as exc:
            # a fault of ours or an adapter's: count it, try again within the limit
            log.exception("sending delivery %s on %s raised", delivery.id, channel.name)
            self.metrics.provider_errors.labels(channel.name, channel.provider, "error").inc()
            return DeliveryFailed("error", repr(exc)[:500], transient=True)
        finally:
            self.metrics.provider_latency.labels(channel.name, channel.provider).observe(
                time.perf_counter() - started)

    async def _ask(self, channel: Channel, delivery: Delivery) -> Receipt | None:
        """What the provider knows of a delivery in doubt: a Receipt when it took the
        message (nothing to send), None when it does not know it (send). Raises
        DeliveryFailed when it took the message and that failed, or cannot be asked now
        (then the delivery stays in doubt and nothing is sent)."""
        count = self.metrics.status_checks.labels
        try:
            known = await channel.status(delivery.id)
        except DeliveryFailed as exc:
            count(channel.name, channel.provider, "error" if exc.unknown else "failed").inc()
            raise
        except Exception as exc:
            count(channel.name, channel.provider, "error").inc()
            raise DeliveryFailed("status_error", f"asking the provider raised {exc!r}"[:500],
                                 transient=True, unknown=True) from None
        count(channel.name, channel.provider, "unknown" if known is None else "sent").inc()
        if known is not None:
            log.info("delivery %s (%s) was taken by %s before (message %s): not sent again",
                     delivery.id, delivery.channel, channel.provider, known.provider_message_id)
        return known

    async def _record(self, delivery: Delivery, outcome: Receipt | DeliveryFailed) -> None:
        now = utcnow()
        values: dict[str, Any]
        if isinstance(outcome, Receipt):
            values = {"status": SENT, "completed_at": now,
                      "provider_message_id": outcome.provider_message_id}
        elif outcome.transient and delivery.attempts < self.settings.dispatch_max_attempts:
            wait = backoff_seconds(delivery.attempts, base=self.settings.dispatch_backoff_seconds,
                                   cap=self.settings.dispatch_backoff_max_seconds)
            values = {"status": PENDING, "last_error": str(outcome)[:1000],
                      "next_attempt_at": now + dt.timedelta(seconds=wait)}
        else:
            reason = outcome.reason if not outcome.transient else (
                f"gave up after {delivery.attempts} attempts; last: {outcome.reason}")
            values = {"status": FAILED, "completed_at": now, "last_error": str(outcome)[:1000],
                      "reason": f"{outcome.code}: {reason}"[:1000]}

        # still in doubt only when this try's outcome is unknown too
        values["in_doubt"] = isinstance(outcome, DeliveryFailed) and outcome.unknown
        async with UnitOfWork(self.db, self.relay) as uow:
            if not await repository.settle(uow.session, delivery.id, worker=self.worker,
                                           values=values):
                log.warning("delivery %s was taken over before its outcome (%s) was recorded",
                            delivery.id, values["status"])
                return
            for name, value in values.items():
                setattr(delivery, name, value)
            if values["status"] != PENDING:
                service.announce(uow, delivery)
            await uow.commit()

        if values["status"] == PENDING:
            self.metrics.retries.labels(delivery.channel).inc()
            log.info("delivery %s (%s) failed for now (%s); attempt %s at %s", delivery.id,
                     delivery.channel, outcome, delivery.attempts + 1, values["next_attempt_at"])
        else:
            self.metrics.deliveries.labels(delivery.channel, values["status"]).inc()
            if values["status"] == FAILED:
                log.warning("delivery %s (%s) failed: %s", delivery.id, delivery.channel,
                            values["reason"])

    async def refresh_gauges(self) -> None:
        async with self.db.sessionmaker() as session:
            counts = await repository.pending_by_channel(session)
        for channel in CHANNELS:
            self.metrics.pending.labels(channel).set(counts.get(channel, 0))
