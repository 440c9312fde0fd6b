"""How fast the public registry answers, with its indexes and without them.

Fills a fresh database with N offices and their licenses (100,000 by default, over
Gilan's counties in the demo seed's proportions), runs the registry's typical searches
through the same repository function the HTTP API calls (the page and its total), and
prints p50/p95/p99 in milliseconds for each. Then it drops the office and license
indexes, runs the same searches again as a baseline, and prints how many times slower
each is without them.

    .venv/bin/python bench/registry_search.py                      # SQLite, 100,000 rows
    .venv/bin/python bench/registry_search.py --rows 20000 --repeat 20
    .venv/bin/python bench/registry_search.py --postgresql         # also PostgreSQL
    .venv/bin/python bench/registry_search.py --postgresql postgresql://postgres@127.0.0.1:5432/test

PostgreSQL gets a database of its own (created and dropped here, next to the one the DSN
names); SQLite a file in a temporary folder. Timings are for this machine and this run:
nothing here asserts a time."""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, inspect, text

from services.contracts.counties import GILAN_COUNTIES
from services.kit.db import Database, utcnow
from services.licensing import repository
from services.licensing.app import create_trigram_index
from services.licensing.models import TABLES, License, Office
from services.licensing.persian import search_key, sort_key
from services.licensing.seed import DISTRIBUTION, FIRST_NAMES, LAST_NAMES, STREETS
from services.licensing.service import license_number, office_code, office_name

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
CHUNK = 5000


@dataclass(frozen=True)
class Search:
    name: str
    filter: repository.RegistryFilter
    offset: int = 0
    limit: int = 20


def searches(rows: int, number: str) -> list[Search]:
    return [
        Search("county", repository.RegistryFilter(county="rasht")),
        Search("county+area", repository.RegistryFilter(county="lahijan", area="rural")),
        Search("name fragment", repository.RegistryFilter(name="كريمي")),
        Search("county+name", repository.RegistryFilter(county="rasht", name="شماره ۱۲۳")),
        Search("number", repository.RegistryFilter(number=number)),
        Search("deep page", repository.RegistryFilter(), offset=rows // 2),
        Search("deep page in county", repository.RegistryFilter(county="rasht"),
               offset=rows // 8),
    ]


# -- data ---------------------------------------------------------------------------------

async def fill(db: Database, rows: int, seed: int = 7) -> str:
    """N offices and licenses; returns a license number that exists."""
    rng = random.Random(seed)
    counties = [c.code for c in GILAN_COUNTIES]
    weights = [sum(DISTRIBUTION[c]) for c in counties]
    serials: dict[str, int] = dict.fromkeys(counties, 0)
    now = utcnow()
    today = now.date()
    sample_number = ""
    for start in range(0, rows, CHUNK):
        offices: list[dict[str, Any]] = []
        licenses: list[dict[str, Any]] = []
        for i in range(start, min(rows, start + CHUNK)):
            county = rng.choices(counties, weights)[0]
            serials[county] += 1
            serial = serials[county]
            area = "urban" if rng.random() < 0.7 else "rural"
            office_status = "active" if rng.random() < 0.96 else "inactive"
            roll = rng.random()
            status = ("active" if roll < 0.92 else "suspended" if roll < 0.95
                      else "revoked" if roll < 0.97 else "expired")
            holder = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            name = office_name(county, serial)
            office_id = uuid.UUID(int=rng.getrandbits(128)).hex
            offices.append({
                "id": office_id, "code": office_code(county, serial), "county": county,
                "county_serial": serial, "name": name,
                "search_name": f"{search_key(name)}|{search_key(holder)}",
                "sort_name": sort_key(name), "area": area,
                "address": f"{rng.choice(STREETS)}، پلاک {rng.randint(1, 300)}",
                "manager_name": holder, "manager_mobile": "09110000000",
                "opening_hours": "شنبه تا چهارشنبه ۸ تا ۱۶", "services": [],
                "status": office_status,
                "listing": office_status if status == "active" else status,
                "last_activity_on": today, "created_at": now, "updated_at": now,
            })
            number = license_number(county, i + 1)
            sample_number = number if i == rows // 3 else sample_number
            licenses.append({
                "number": number, "office_id": office_id, "application_id": None,
                "holder_national_code": f"{rng.randint(0, 10**10 - 1):010d}",
                "holder_name": holder, "holder_mobile": "09120000000", "status": status,
                "issued_at": now, "valid_until": today, "approved_by": "bench", "version": 1,
                "updated_at": now,
            })
        async with db.engine.begin() as conn:
            await conn.execute(insert(Office.__table__), offices)  # type: ignore[attr-defined]
            await conn.execute(insert(License.__table__), licenses)  # type: ignore[attr-defined]
    return sample_number


async def analyze(db: Database) -> None:
    """Fresh statistics, as a running database keeps them (on PostgreSQL autovacuum would
    also have set the visibility map that lets a count read the index alone)."""
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE" if db.is_sqlite else "VACUUM ANALYZE"))


async def drop_indexes(db: Database) -> list[str]:
    """Every index of the office and license tables but their primary keys."""
    def names(sync_conn: Any) -> list[str]:
        inspector = inspect(sync_conn)
        return [ix["name"] for table in ("office", "license")
                for ix in inspector.get_indexes(table) if ix["name"]]

    async with db.engine.begin() as conn:
        dropped = await conn.run_sync(names)
        for name in dropped:
            await conn.execute(text(f'DROP INDEX "{name}"'))
    return dropped


# -- timing -------------------------------------------------------------------------------

@dataclass
class Timing:
    p50: float
    p95: float
    p99: float
    total: int


async def time_search(db: Database, search: Search, repeat: int) -> Timing:
    samples: list[float] = []
    total = 0
    async with db.sessionmaker() as session:
        await repository.registry_search(session, search.filter, limit=search.limit,
                                         offset=search.offset)  # warm the cache and the plan
        for _ in range(repeat):
            started = time.perf_counter()
            _rows, total = await repository.registry_search(
                session, search.filter, limit=search.limit, offset=search.offset)
            samples.append((time.perf_counter() - started) * 1000)
    if len(samples) == 1:
        samples *= 2
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return Timing(p50=q[49], p95=q[94], p99=q[98], total=total)


async def run(label: str, url: str, rows: int, repeat: int, baseline_repeat: int) -> None:
    db = Database(url, tables=TABLES)
    try:
        await db.create_schema()
        await create_trigram_index(db)
        started = time.perf_counter()
        number = await fill(db, rows)
        await analyze(db)
        print(f"\n== {label}: {rows:,} offices and licenses written in "
              f"{time.perf_counter() - started:.1f} s; {repeat} runs per search "
              f"({baseline_repeat} without indexes)")
        plan = searches(rows, number)
        indexed = {s.name: await time_search(db, s, repeat) for s in plan}
        dropped = await drop_indexes(db)
        await analyze(db)
        baseline = {s.name: await time_search(db, s, baseline_repeat) for s in plan}
        print(f"   dropped for the baseline: {', '.join(sorted(dropped))}")
        header = (f"   {'search':<22}{'matches':>8}  {'p50':>8}{'p95':>8}{'p99':>8}   "
                  f"{'no idx p50':>10}{'p95':>8}{'p99':>9}   {'p50 ratio':>9}")
        print(header)
        print("   " + "-" * (len(header) - 3))
        for s in plan:
            a, b = indexed[s.name], baseline[s.name]
            assert a.total == b.total, f"{s.name}: {a.total} != {b.total}"
            print(f"   {s.name:<22}{a.total:>8}  {a.p50:>8.2f}{a.p95:>8.2f}{a.p99:>8.2f}   "
                  f"{b.p50:>10.2f}{b.p95:>8.2f}{b.p99:>9.2f}   {b.p50 / a.p50:>8.1f}x")
        print("   (milliseconds; each search is the page and its total, as GET /registry/offices)")
    finally:
        await db.dispose()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="pishkhan-bench-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'registry.db'}"
        await run("SQLite", url, args.rows, args.repeat, args.baseline_repeat)
    if args.postgresql:
        admin_dsn = args.postgresql
        name = f"pishkhan_bench_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        try:
            await run("PostgreSQL", f"{base}/{name}", args.rows, args.repeat,
                      args.baseline_repeat)
        finally:
            admin = await asyncpg.connect(admin_dsn)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="offices and licenses")
    parser.add_argument("--repeat", type=int, default=50, help="runs per search, indexed")
    parser.add_argument("--baseline-repeat", type=int, default=10,
                        help="runs per search without indexes (they are slow)")
    parser.add_argument("--postgresql", nargs="?", const=DEFAULT_POSTGRES, default=None,
                        metavar="DSN", help="also on PostgreSQL (a fresh database beside "
                        f"the one DSN names; default {DEFAULT_POSTGRES})")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
