"""Unit of work: one transaction per request or message; it commits, then nudges the relay."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.contracts.envelope import Envelope, Message
from services.kit import inbox, outbox
from services.kit.bus import Duplicate
from services.kit.db import Database


class UnitOfWork:
    def __init__(self, db: Database, relay: outbox.OutboxRelay | None = None) -> None:
        self.db = db
        self.relay = relay
        self.session: AsyncSession
        self._staged = False

    async def __aenter__(self) -> UnitOfWork:
        self.session = self.db.sessionmaker()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if exc_type is not None:
            await self.session.rollback()
        await self.session.close()

    def publish(self, message: Message, *, correlation_id: str, causation_id: str | None = None,
                message_id: str | None = None) -> Envelope:
        envelope = Envelope.wrap(message, correlation_id=correlation_id,
                                 causation_id=causation_id, message_id=message_id)
        outbox.stage(self.session, envelope, message)
        self._staged = True
        return envelope

    async def commit(self) -> None:
        await self.session.commit()
        if self._staged and self.relay is not None:
            self.relay.nudge()
        self._staged = False


UnitOfWorkFactory = Callable[[], UnitOfWork]
InboxHandler = Callable[[UnitOfWork, Envelope, Any], Awaitable[None]]


def idempotent(consumer: str, uow_factory: UnitOfWorkFactory, handler: InboxHandler
               ) -> Callable[[Envelope, Any], Awaitable[None]]:
    """Wrap a handler so its effect and the inbox record commit together; a message seen
    before is acknowledged and skipped."""

    async def run(envelope: Envelope, payload: Any) -> None:
        async with uow_factory() as uow:
            if not await inbox.claim(uow.session, consumer, envelope.message_id, envelope.type):
                raise Duplicate(envelope.message_id)
            await handler(uow, envelope, payload)
            await uow.commit()

    return run
