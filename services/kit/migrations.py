"""Alembic migrations of a service's own database: one env.py logic, one version table per
service, and the start-up check that refuses a database the code does not match.

A service describes its database with one :class:`Migrations` (its name, its ``alembic/``
folder, the tables it keeps, kit tables included); its ``alembic/env.py`` only calls
:meth:`Migrations.run_env`. Revisions never import application code: the models' own types
(``UTCDateTime``, SQLModel's ``AutoString``) are rendered as plain SQLAlchemy types, and
autogenerate's comparison treats those as equal."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import Table
from sqlmodel.sql.sqltypes import AutoString

from services.kit.db import UTCDateTime

log = logging.getLogger(__name__)


class SchemaNotCurrent(RuntimeError):
    """The database's revision is not the one this code was written for."""


def bus_tables() -> list[Table]:
    """The kit's tables every service on the bus keeps: the outbox and the inbox."""
    from services.kit.inbox import InboxMessage
    from services.kit.outbox import OutboxMessage

    return [OutboxMessage.__table__, InboxMessage.__table__]  # type: ignore[attr-defined]


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write the models' own column types as plain SQLAlchemy, so that revisions never
    import application code."""
    if type_ == "type":
        if isinstance(obj, UTCDateTime):
            return "sa.DateTime(timezone=True)"
        if isinstance(obj, AutoString):
            return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def compare_type(_context: Any, _inspected_column: Any, _metadata_column: Any,
                 inspected_type: Any, metadata_type: Any) -> bool | None:
    """Exactly the equivalences :func:`render_item` writes: UTCDateTime is a DateTime with
    a time zone (SQLite keeps no zone to reflect), AutoString(n) is a String(n). Anything
    else: Alembic's own comparison."""
    if isinstance(metadata_type, UTCDateTime) and isinstance(inspected_type, sa.DateTime):
        return not (inspected_type.timezone or _context.dialect.name == "sqlite")
    if isinstance(metadata_type, AutoString) and isinstance(inspected_type, sa.String) \
            and not isinstance(inspected_type, sa.Text | sa.Enum):
        return metadata_type.length != inspected_type.length
    return None


# Alembic's ``context`` is one module-level proxy: two migrations running at once on one
# event loop (their database calls interleave) would share it.
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = \
    weakref.WeakKeyDictionary()


def _lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    return lock


def engine_for(url: str) -> AsyncEngine:
    """An engine for one migration run: no pool, and on SQLite no foreign-key enforcement,
    since batch mode copies a table to a new one and drops the old."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return create_async_engine(url, poolclass=NullPool)


@dataclass(frozen=True)
class Migrations:
    service: str
    # the service's alembic folder (env.py, script.py.mako, versions/)
    script_location: Path
    # every table of the service's database, the kit's it uses included
    tables: Sequence[Table]
    # indexes a revision makes in raw SQL that no model declares (PostgreSQL's trigram
    # index): left out of autogenerate's comparison
    unmodelled_indexes: frozenset[str] = field(default_factory=frozenset)

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.service}"

    @property
    def upgrade_command(self) -> str:
        return f"pishkhan db upgrade {self.service}"

    def metadata(self) -> sa.MetaData:
        """The service's tables alone (every service's models share SQLModel's metadata)."""
        metadata = sa.MetaData()
        for table in self.tables:
            table.to_metadata(metadata)
        return metadata

    def config(self, connection: Connection | None = None, url: str | None = None) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.script_location))
        config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
        if url is not None:
            config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        config.attributes["connection"] = connection
        return config

    def script(self) -> ScriptDirectory:
        return ScriptDirectory.from_config(self.config())

    def head(self) -> str | None:
        heads = self.script().get_heads()
        if not heads:  # no revision written yet
            return None
        if len(heads) != 1:
            raise RuntimeError(f"the {self.service} migrations have {len(heads)} heads "
                               f"({', '.join(heads) or 'none'}); merge them into one")
        return heads[0]

    def include_object(self, _obj: Any, name: str | None, type_: str, _reflected: bool,
                       _compare_to: Any) -> bool:
        if type_ == "table" and (name or "").startswith("alembic_version_"):
            return False  # another service's version table, in a database they share
        return not (type_ == "index" and name in self.unmodelled_indexes)

    def _configure(self, connection: Connection, **extra: Any) -> dict[str, Any]:
        return dict(
            target_metadata=self.metadata(),
            version_table=self.version_table,
            # always batch: a revision autogenerated on PostgreSQL must also run on SQLite,
            # which alters a table by copying it
            render_as_batch=True,
            render_item=render_item,
            compare_type=compare_type,
            include_object=self.include_object,
            **extra,
        )

    # -- env.py -----------------------------------------------------------------------

    def run_env(self) -> None:
        """The whole of a service's env.py."""
        from alembic import context

        if context.is_offline_mode():
            context.configure(url=context.config.get_main_option("sqlalchemy.url"),
                              literal_binds=True, **self._configure(None))  # type: ignore[arg-type]
            with context.begin_transaction():
                context.run_migrations()
            return
        connection = context.config.attributes.get("connection")
        if connection is not None:
            self._run_on(connection)
            return
        url = context.config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError(f"no database URL given for the {self.service} migrations")

        async def online() -> None:
            engine = engine_for(url)
            try:
                async with engine.begin() as conn:
                    await conn.run_sync(self._run_on)
            finally:
                await engine.dispose()

        asyncio.run(online())

    def _run_on(self, connection: Connection) -> None:
        from alembic import context

        context.configure(connection=connection, **self._configure(connection))
        with context.begin_transaction():
            context.run_migrations()

    # -- commands ---------------------------------------------------------------------

    async def _with_connection(self, url: str, work: Callable[[Connection], Any]) -> Any:
        async with _lock():
            engine = engine_for(url)
            try:
                async with engine.begin() as conn:
                    return await conn.run_sync(work)
            finally:
                await engine.dispose()

    async def upgrade(self, url: str, revision: str = "head") -> None:
        await self._with_connection(
            url, lambda conn: command.upgrade(self.config(conn), revision))

    async def downgrade(self, url: str, revision: str) -> None:
        await self._with_connection(
            url, lambda conn: command.downgrade(self.config(conn), revision))

    async def current(self, url: str) -> tuple[str, ...]:
        return await self._with_connection(url, self.current_on)

    def current_on(self, connection: Connection) -> tuple[str, ...]:
        context = MigrationContext.configure(connection,
                                             opts={"version_table": self.version_table})
        return tuple(context.get_current_heads())

    async def differences(self, url: str) -> list[Any]:
        """What autogenerate would write for this database: empty when it matches the models."""
        def compare(connection: Connection) -> list[Any]:
            context = MigrationContext.configure(connection, opts=self._configure(connection))
            return list(compare_metadata(context, self.metadata()))

        return await self._with_connection(url, compare)

    async def revision(self, url: str, message: str, *, autogenerate: bool) -> Path:
        """Write the next numbered revision; with autogenerate, from the difference between
        the models and the database at ``url`` (which must be at head)."""
        numbers = [int(rev.revision) for rev in self.script().walk_revisions()
                   if rev.revision.isdigit()]
        rev_id = f"{max(numbers, default=0) + 1:04d}"

        def write(connection: Connection) -> Any:
            return command.revision(self.config(connection), message=message,
                                    autogenerate=autogenerate, rev_id=rev_id)

        if autogenerate:
            await self.require_current(url)
        script = await self._with_connection(url, write)
        return Path(script.path)

    async def require_current(self, url: str) -> None:
        """Refuse (SchemaNotCurrent, naming the command to run) a database that is not at
        this code's revision."""
        problem = await self._with_connection(url, self.problem_on)
        if problem:
            raise SchemaNotCurrent(problem)

    def problem_on(self, connection: Connection) -> str | None:
        head = self.head()
        current = self.current_on(connection)
        if current == ((head,) if head else ()):
            return None
        known = {rev.revision for rev in self.script().walk_revisions()}
        name = f"the {self.service} database"
        if not current:
            tables = set(sa.inspect(connection).get_table_names()) - {self.version_table}
            if tables & {table.name for table in self.tables}:
                return (f"{name} has tables but no revision (it was made before migrations), "
                        f"this code needs {head}: reset a local one with 'make clean', then "
                        f"run '{self.upgrade_command}'")
            return f"{name} is empty, this code needs {head}: run '{self.upgrade_command}'"
        unknown = [rev for rev in current if rev not in known]
        if unknown:
            return (f"{name} is at revision {', '.join(current)}, which this code does not "
                    f"know (it needs {head}): newer code migrated it; run that code or "
                    f"downgrade the database with it")
        return (f"{name} is at revision {', '.join(current)}, this code needs {head}: "
                f"run '{self.upgrade_command}'")
