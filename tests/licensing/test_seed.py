"""The demo province: exactly Gilan's 606 active offices (428 urban, 178 rural) in all 17
counties, 24 inactive ones kept out of the active registry, and a second run that changes
nothing and publishes nothing."""

from __future__ import annotations

import datetime as dt

import aio_pika
import httpx
from sqlmodel import col, func, select

from services.contracts.counties import GILAN_COUNTIES
from services.contracts.types import national_code_is_valid
from services.kit.outbox import OutboxMessage
from services.licensing.app import build, create_app
from services.licensing.models import License, LicenseEvent
from services.licensing.persian import local_today
from services.licensing.seed import demo_licenses, seed_demo
from services.licensing.settings import LicensingSettings
from tests.conftest import BusNamespace, migrate, serving


def test_the_demo_province_is_the_same_on_every_run() -> None:
    today = dt.date(2025, 3, 1)
    first, second = demo_licenses(today), demo_licenses(today)
    assert first == second
    active = [r for r in first if r.office_status == "active"]
    assert len(active) == 606 and len(first) == 630
    assert sum(r.area == "urban" for r in active) == 428
    assert all(r.status == "active" for r in active)
    assert all(national_code_is_valid(r.holder_national_code) for r in first)
    assert len({r.holder_national_code for r in first}) == len(first)
    assert len({r.number for r in first}) == len(first)
    # none has ended; some end within 90 days; all within the next five years
    assert all(today < r.valid_until <= today + dt.timedelta(days=5 * 366) for r in first)
    assert any(r.valid_until <= today + dt.timedelta(days=90) for r in active)
    assert all(r.issued_at.date() < today for r in first)


async def count(settings: LicensingSettings, table: type, *where: object) -> int:
    runtime = build(settings)
    try:
        async with runtime.db.sessionmaker() as session:
            return int((await session.exec(
                select(func.count()).select_from(table).where(*where))).one())  # type: ignore[arg-type]
    finally:
        await runtime.db.dispose()


async def test_the_seed_makes_gilan_once(
    database_url: str, bus_ns: BusNamespace, amqp: aio_pika.abc.AbstractChannel
) -> None:
    settings = LicensingSettings(database_url=database_url, **bus_ns.settings())
    await migrate("licensing", database_url)  # as `make run` does before seeding
    first = await seed_demo(settings)
    assert (first.created, first.existing, first.unpublished) == (630, 0, 0)
    # every license's "imported" event reached the bus (the applications service's view)
    view = await amqp.get_queue(f"{bus_ns.queue_prefix}applications.licenses", ensure=True)
    declared = await amqp.declare_queue(view.name, passive=True)
    assert declared.declaration_result.message_count == 630
    outbox = await count(settings, OutboxMessage)

    second = await seed_demo(settings)
    assert (second.created, second.existing, second.unpublished) == (0, 630, 0)
    assert await count(settings, OutboxMessage) == outbox
    assert await count(settings, LicenseEvent) == 630
    assert await count(settings, License) == 630
    assert await count(settings, License, col(License.valid_until) < local_today()) == 0
    again = await amqp.declare_queue(view.name, passive=True)
    assert again.declaration_result.message_count == 630

    async with serving(create_app(settings)) as licensing:
        await check_registry(licensing, first.numbers)


async def check_registry(licensing: httpx.AsyncClient, numbers: list[str]) -> None:
    active = (await licensing.get("/registry/offices")).json()
    assert active["total"] == 606
    urban = (await licensing.get("/registry/offices", params={"area": "urban"})).json()
    rural = (await licensing.get("/registry/offices", params={"area": "rural"})).json()
    assert (urban["total"], rural["total"]) == (428, 178)

    counties = (await licensing.get("/registry/counties")).json()
    assert {c["code"] for c in counties} == {c.code for c in GILAN_COUNTIES}
    totals = {c["code"]: c["active_offices"]["total"] for c in counties}
    assert all(n > 0 for n in totals.values())
    assert max(totals, key=totals.__getitem__) == "rasht"
    assert sum(c["active_offices"]["urban"] for c in counties) == 428
    assert sum(c["active_offices"]["rural"] for c in counties) == 178

    # the 24 inactive offices: under review, a few with their license suspended already
    inactive = (await licensing.get("/registry/offices",
                                    params={"status": "inactive", "limit": 100})).json()
    suspended = (await licensing.get("/registry/offices",
                                     params={"status": "suspended", "limit": 100})).json()
    assert inactive["total"] + suspended["total"] == 24 and suspended["total"] <= 4
    out = {o["license_number"] for o in inactive["items"] + suspended["items"]}
    assert {o["status"] for o in inactive["items"] + suspended["items"]} == {"inactive"}
    listed: set[str] = set()
    for offset in range(0, 606, 100):
        page = (await licensing.get("/registry/offices",
                                    params={"limit": 100, "offset": offset})).json()
        listed |= {o["license_number"] for o in page["items"]}
    assert len(listed) == 606 and not listed & out
    assert listed | out == set(numbers)
    office = (await licensing.get(f"/registry/offices/{page['items'][0]['office_id']}")).json()
    assert office["name"].startswith("دفتر پیشخوان خدمات دولت شماره ")
    assert office["manager_name"] and office["opening_hours"] and office["services"]
