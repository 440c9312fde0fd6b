"""The licensing service on a real database and the test's part of the broker, a second
handle on its database to set licenses up through the service's own rules, and a recorder
of what it publishes."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aio_pika
import httpx
import pytest

from services.contracts.envelope import Envelope
from services.kit.http import Runtime
from services.licensing import service
from services.licensing.app import build, create_app
from services.licensing.persian import IRAN, local_today
from services.licensing.seed import national_code
from services.licensing.settings import LicensingSettings
from tests.auth_fixtures import TokenIssuer
from tests.conftest import RABBIT_URL, BusNamespace, eventually, serving


@pytest.fixture
def settings(database_url: str, bus_ns: BusNamespace, issuer: TokenIssuer) -> LicensingSettings:
    return LicensingSettings(database_url=database_url, public_base_url="https://pishkhan.test",
                             **bus_ns.settings(), **issuer.settings())


class Recorder:
    """Every message the test's exchange carries under ``licensing.#``."""

    def __init__(self) -> None:
        self.messages: list[Envelope] = []

    def of(self, type_: str, **payload: Any) -> list[Envelope]:
        def matches(e: Envelope) -> bool:
            return e.type == type_ and all(_dig(e.payload, k) == v for k, v in payload.items())

        return [e for e in self.messages if matches(e)]

    async def wait_for(self, type_: str, count: int = 1, **payload: Any) -> list[Envelope]:
        async def enough() -> list[Envelope] | None:
            found = self.of(type_, **payload)
            return found if len(found) >= count else None

        return await eventually(enough)


def _dig(payload: dict[str, Any], key: str) -> Any:
    value: Any = payload
    for part in key.split("__"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@asynccontextmanager
async def recording(bus_ns: BusNamespace, binding: str) -> AsyncIterator[Recorder]:
    """Every message the test's exchange carries under ``binding``, as it arrives."""
    recorder = Recorder()
    connection = await aio_pika.connect(RABBIT_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(bus_ns.exchange, aio_pika.ExchangeType.TOPIC,
                                                  durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key=binding)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                recorder.messages.append(Envelope.model_validate_json(message.body))

        await queue.consume(on_message)
        yield recorder


@pytest.fixture
async def recorder(bus_ns: BusNamespace) -> AsyncIterator[Recorder]:
    async with recording(bus_ns, "licensing.#") as recorder:
        yield recorder


@pytest.fixture
async def licensing(settings: LicensingSettings, recorder: Recorder
                    ) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings)) as client:
        yield client


@pytest.fixture
async def store(settings: LicensingSettings, licensing: httpx.AsyncClient
                ) -> AsyncIterator[Runtime]:
    """The service's database, as a back office would reach it (the app made the schema;
    the app's relay publishes what this stages)."""
    runtime = build(settings)
    yield runtime
    await runtime.db.dispose()


_serials = itertools.count(1)
_codes = itertools.count(1)


def a_national_code(n: int | None = None) -> str:
    return national_code(random.Random(f"test-{n if n is not None else next(_codes)}"))


@dataclass
class Holder:
    national_code: str
    name: str
    mobile: str


async def add_license(store: Runtime, *, county: str = "rasht", area: str = "urban",
                      serial: int | None = None, holder: Holder | None = None,
                      valid_for_days: int = 400, status: str = "active",
                      office_status: str = "active", address: str | None = None) -> str:
    """An office and its license, as the register's import makes them; returns the number."""
    serial = serial or next(_serials)
    holder = holder or Holder(a_national_code(), "مریم احمدی", "09121234567")
    today = local_today()
    record = service.ImportedLicense(
        number=service.imported_license_number(county, serial), county=county,
        county_serial=serial, area=area, address=address or f"رشت، خیابان آزادی، پلاک {serial}",
        holder_national_code=holder.national_code, holder_name=holder.name,
        holder_mobile=holder.mobile,
        issued_at=dt.datetime.combine(today - dt.timedelta(days=30), dt.time(9), tzinfo=IRAN),
        valid_until=today + dt.timedelta(days=valid_for_days), status=status,
        office_status=office_status, manager_name="مدیر دفتر", manager_mobile="09119999999",
        opening_hours="شنبه تا چهارشنبه ۸ تا ۱۶", services=["خدمات گذرنامه", "پرداخت قبوض"],
        last_activity_on=today,
    )
    async with store.uow() as uow:
        await service.import_license(uow, record, actor="test")
        await uow.commit()
    return record.number


async def settle(seconds: float = 0.5) -> None:
    """Leave time for a message that should change nothing to have been handled."""
    await asyncio.sleep(seconds)


async def handled(store: Runtime, envelope: Envelope) -> None:
    """Wait until the service has handled a message (its inbox has it): for commands whose
    effect is that nothing happens."""
    from sqlmodel import select

    from services.kit.inbox import InboxMessage

    async def seen() -> bool:
        async with store.db.sessionmaker() as session:
            found = await session.exec(select(InboxMessage.message_id).where(
                InboxMessage.message_id == envelope.message_id))
            return found.first() is not None

    await eventually(seen)


async def office_of(store: Runtime, number: str) -> Any:
    """The office of a license, as the database holds it now."""
    from services.licensing import repository

    async with store.db.sessionmaker() as session:
        found = await repository.license_by_number(session, number)
    assert found is not None
    return found[1]
