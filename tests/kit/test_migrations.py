"""Every service's migrations, on SQLite and PostgreSQL: from empty they make exactly the
models; an upgrade keeps every row written at the previous revision; a service refuses a
database that is behind, naming the command that brings it up."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from services.kit.cli import run as pishkhan
from services.kit.migrations import SchemaNotCurrent, engine_for
from services.platform import BY_NAME, SERVICES

NAMES = [service.name for service in SERVICES]


def migrations(name: str) -> Any:
    return BY_NAME[name].migrations()


@pytest.mark.parametrize("name", NAMES)
async def test_migrations_from_empty_make_exactly_the_models(name: str,
                                                             database_url: str) -> None:
    schema = migrations(name)
    await schema.upgrade(database_url)
    assert await schema.current(database_url) == (schema.head(),)
    assert await schema.differences(database_url) == []


@pytest.mark.parametrize("name", NAMES)
async def test_down_to_empty_and_up_again(name: str, database_url: str) -> None:
    schema = migrations(name)
    await schema.upgrade(database_url)
    await schema.downgrade(database_url, "base")
    assert await schema.current(database_url) == ()
    await schema.upgrade(database_url)
    assert await schema.differences(database_url) == []


def _value(column: sa.Column[Any], n: int) -> Any:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return n % 2 == 0
    if isinstance(kind, sa.Integer | sa.Numeric | sa.Float):
        return n
    if isinstance(kind, sa.DateTime):
        return dt.datetime(2026, 1, 1, 12, 0, n % 60)
    if isinstance(kind, sa.Date):
        return dt.date(2026, 1, 1 + n % 28)
    if isinstance(kind, sa.JSON):
        return {"n": n}
    if isinstance(kind, sa.LargeBinary):
        return b"x"
    length = getattr(kind, "length", None) or 20
    return f"{column.name[:6]}{n}"[:length]


def _fill(connection: sa.Connection, rows_per_table: int) -> dict[str, int]:
    """Rows in every table of the database as it is (reflected), foreign keys honoured:
    generic, so it keeps working for every future revision."""
    metadata = sa.MetaData()
    metadata.reflect(connection)
    counts: dict[str, int] = {}
    for table in metadata.sorted_tables:
        if table.name.startswith("alembic_version"):
            continue
        for n in range(1, rows_per_table + 1):
            row: dict[str, Any] = {}
            for column in table.columns:
                if column.foreign_keys:
                    target = next(iter(column.foreign_keys)).column
                    referenced = connection.execute(
                        sa.select(target).order_by(target).limit(1)).scalar_one()
                    row[column.name] = referenced
                elif column.primary_key and isinstance(column.type, sa.Integer) \
                        and column.autoincrement in (True, "auto"):
                    continue
                else:
                    row[column.name] = _value(column, n)
            connection.execute(table.insert().values(**row))
        counts[table.name] = rows_per_table
    return counts


def _count(connection: sa.Connection) -> dict[str, int]:
    metadata = sa.MetaData()
    metadata.reflect(connection)
    return {table.name: connection.execute(sa.select(sa.func.count()).select_from(table))
            .scalar_one()
            for table in metadata.sorted_tables if not table.name.startswith("alembic_version")}


@pytest.mark.parametrize("name", NAMES)
async def test_an_upgrade_keeps_every_row_of_the_previous_revision(name: str,
                                                                    database_url: str) -> None:
    schema = migrations(name)
    script = ScriptDirectory.from_config(schema.config())
    previous = script.get_revision(schema.head()).down_revision
    if previous is None:  # a service with one revision has no earlier data to keep
        previous = schema.head()
    await schema.upgrade(database_url, previous)
    engine = engine_for(database_url)
    try:
        async with engine.begin() as conn:
            # one row per table: unique constraints on single columns stay satisfied
            filled = await conn.run_sync(_fill, 1)
    finally:
        await engine.dispose()
    assert filled, "the previous revision has tables to fill"

    await schema.upgrade(database_url)
    engine = engine_for(database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(_count)
    finally:
        await engine.dispose()
    assert {table: found.get(table) for table in filled} == filled
    assert await schema.differences(database_url) == []


async def test_a_service_refuses_a_database_behind_and_starts_once_upgraded(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.applications.app import create_app
    from services.applications.settings import ApplicationsSettings

    schema = migrations("applications")
    await schema.upgrade(database_url, "0001")
    app = create_app(ApplicationsSettings(database_url=database_url))
    with pytest.raises(SchemaNotCurrent) as refused:
        async with app.router.lifespan_context(app):
            pass
    assert "pishkhan db upgrade applications" in str(refused.value)
    assert "0001" in str(refused.value)

    monkeypatch.setenv("APPLICATIONS_DATABASE_URL", database_url)
    assert await pishkhan(["db", "check", "applications"]) == 1
    assert await pishkhan(["db", "upgrade", "applications"]) == 0
    assert await pishkhan(["db", "check", "applications"]) == 0
    await schema.require_current(database_url)
