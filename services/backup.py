"""Backup and restore of the whole platform's data: ``pishkhan backup create DEST`` and
``pishkhan backup restore SRC``.

A backup is a folder: one file per part (each service's database, the Temporal database,
a tar of each folder of stored files) and a ``manifest.json`` written last, so a folder
without one is an unfinished backup. Where each part lives comes from the services' own
settings (``<SERVICE>_DATABASE_URL``, ``<SERVICE>_DOCUMENTS_DIR`` …) on the machine the
command runs on, and ``--temporal-db-url`` / ``PISHKHAN_TEMPORAL_DATABASE_URL`` for Temporal.

SQLite is copied online with SQLite's backup API (the services may be running; a reader
never blocks a WAL writer) and checked with ``PRAGMA integrity_check``; PostgreSQL is
dumped with ``pg_dump --format=custom`` and restored with ``pg_restore``. Exit status:
0 done, 1 refused or failed (nothing is restored when a checksum does not match), 2 a
usage problem.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import shutil
import socket
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from services.platform import SERVICES

OK, FAILED, USAGE = 0, 1, 2
MANIFEST = "manifest.json"
FORMAT = 1
TEMPORAL_ENV = "PISHKHAN_TEMPORAL_DATABASE_URL"
# where `make run` keeps the Temporal dev server's state (deploy/local/run.py)
TEMPORAL_DEFAULT = "var/temporal.db"
# Temporal on PostgreSQL keeps its visibility records in a second database
TEMPORAL_PARTS = ("temporal", "temporal-visibility")


class BackupError(Exception):
    """A problem the operator must fix; the message says which part and what to do."""


# -- where the data lives --------------------------------------------------------------

@dataclass(frozen=True)
class Database:
    """A database given as a SQLAlchemy URL, a libpq DSN or (SQLite) a plain file path."""

    kind: str  # "sqlite" | "postgresql"
    given: str
    path: Path | None = None
    url: URL | None = None

    @classmethod
    def parse(cls, given: str) -> Database:
        text = given.strip()
        if "://" not in text:
            return cls("sqlite", given, path=Path(text))
        try:
            url = make_url(text)
        except ArgumentError as exc:
            raise BackupError(f"not a database URL: {given!r}") from exc
        backend = url.get_backend_name()
        if backend == "sqlite":
            if not url.database or url.database == ":memory:":
                raise BackupError(f"{given!r} is not a SQLite file")
            return cls("sqlite", given, path=Path(url.database))
        if backend in ("postgresql", "postgres"):
            return cls("postgresql", given, url=url)
        raise BackupError(f"{given!r}: only SQLite and PostgreSQL databases are supported")

    @property
    def shown(self) -> str:
        """Where it is, without a password."""
        if self.url is not None:
            return self.url.render_as_string(hide_password=True)
        return str(self.path)

    def libpq(self) -> tuple[str, dict[str, str]]:
        """The DSN pg_dump, pg_restore and asyncpg take (``postgresql://``, not SQLAlchemy's
        ``postgresql+asyncpg://``), and the environment carrying its password, which would
        otherwise show in the process list."""
        assert self.url is not None
        query = dict(self.url.query)
        if "ssl" in query:  # asyncpg's spelling of libpq's sslmode
            query["sslmode"] = query.pop("ssl")
        url = self.url.set(drivername="postgresql", password=None, query=query)
        env = {"PGPASSWORD": self.url.password} if self.url.password else {}
        return url.render_as_string(hide_password=False), env

    def connect_kwargs(self) -> dict[str, Any]:
        dsn, env = self.libpq()
        return {"dsn": dsn, **({"password": env["PGPASSWORD"]} if env else {})}


@dataclass(frozen=True)
class Place:
    """One part of the platform's data on this machine."""

    name: str  # "applications", "temporal", "applications.documents_dir"
    kind: str  # "database" | "files"
    database: Database | None = None
    folder: Path | None = None
    service: str | None = None
    setting: str | None = None

    @property
    def shown(self) -> str:
        return self.database.shown if self.database is not None else str(self.folder)

    def file_name(self, engine: str | None = None) -> str:
        if self.kind == "files":
            return f"{self.name}.tar"
        return f"{self.name}.sqlite3" if engine == "sqlite" else f"{self.name}.pgdump"


def places(temporal_urls: list[str]) -> list[Place]:
    """Every part of the platform's data, as this machine's settings place it: the
    Temporal database first (see `create`), then each service's database, then its files."""
    found: list[Place] = []
    if len(temporal_urls) > len(TEMPORAL_PARTS):
        raise BackupError("at most two Temporal databases (its own and its visibility one)")
    for name, url in zip(TEMPORAL_PARTS, temporal_urls, strict=False):
        found.append(Place(name, "database", database=Database.parse(url)))
    folders: list[Place] = []
    for service in SERVICES:
        settings = service.settings()
        found.append(Place(service.name, "database", service=service.name,
                           database=Database.parse(str(settings.database_url))))
        for setting in service.file_dirs:
            folders.append(Place(f"{service.name}.{setting}", "files", service=service.name,
                                 setting=setting, folder=Path(getattr(settings, setting))))
    return found + folders


def temporal_urls_from(given: list[str] | None) -> list[str]:
    if given:
        return given
    from_env = os.environ.get(TEMPORAL_ENV, "")
    return [u.strip() for u in from_env.split(",") if u.strip()] or [TEMPORAL_DEFAULT]


# -- SQLite ----------------------------------------------------------------------------

def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source} does not exist (is the database URL right?)")
    # read-only: a backup must never create or change the database it copies
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            # one step: the whole copy reads one snapshot, however busy the writers are
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    _sqlite_check(target)


def _sqlite_check(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
    if result != ["ok"]:
        raise BackupError(f"integrity check of {path} failed: {'; '.join(result[:5])}")


def _sqlite_facts(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        revisions = {t: [row[0] for row in conn.execute(f'SELECT version_num FROM "{t}"')]
                     for t in tables if t.startswith("alembic_version")}
    finally:
        conn.close()
    return {"tables": len(tables), "schema_revisions": revisions}


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    return _sqlite_facts(path)["tables"] == 0


def _sqlite_put(copy: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.",
                                     delete=False) as tmp:
        with open(copy, "rb") as src:
            shutil.copyfileobj(src, tmp)
        tmp.flush()
        os.fsync(tmp.fileno())
    # a write-ahead log left beside an old file would be replayed into the restored one
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(tmp.name, target)
    _sqlite_check(target)


# -- PostgreSQL ------------------------------------------------------------------------

async def _run(command: list[str], env: dict[str, str]) -> None:
    proc = await asyncio.create_subprocess_exec(
        *command, env={**os.environ, **env}, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    if proc.returncode != 0:
        text = (err or out).decode("utf-8", "replace").strip()
        raise BackupError(f"{command[0]} failed ({proc.returncode}): {text[-2000:]}")


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not on PATH (install the PostgreSQL client, "
                          f"postgresql-client, of the server's major version or newer)")
    return found


PG_FACTS = """
SELECT
  (SELECT count(*) FROM information_schema.tables
    WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
      AND table_type = 'BASE TABLE') AS tables,
  ARRAY(SELECT quote_ident(table_schema) || '.' || quote_ident(table_name)
          FROM information_schema.tables
         WHERE table_name LIKE 'alembic\\_version%'
           AND table_schema NOT IN ('pg_catalog', 'information_schema')) AS versions
"""


async def _pg_facts(db: Database) -> dict[str, Any]:
    conn = await asyncpg.connect(**db.connect_kwargs())
    try:
        row = await conn.fetchrow(PG_FACTS)
        revisions = {}
        for qualified in row["versions"]:
            rows = await conn.fetch(f"SELECT version_num FROM {qualified}")
            revisions[qualified.split(".", 1)[1].strip('"')] = [r[0] for r in rows]
    finally:
        await conn.close()
    return {"tables": int(row["tables"]), "schema_revisions": revisions}


async def _pg_state(db: Database) -> str:
    """"missing", "empty" or "in use"."""
    try:
        facts = await _pg_facts(db)
    except asyncpg.InvalidCatalogNameError:
        return "missing"
    return "empty" if facts["tables"] == 0 else "in use"


async def _pg_create(db: Database) -> None:
    assert db.url is not None
    name = db.url.database
    kwargs = db.connect_kwargs()
    # CREATE DATABASE runs from another database of the same server
    admin = Database("postgresql", db.given, url=db.url.set(database="postgres"))
    try:
        conn = await asyncpg.connect(**admin.connect_kwargs())
    except asyncpg.InvalidCatalogNameError:
        conn = await asyncpg.connect(**{**kwargs, "dsn": kwargs["dsn"].rsplit("/", 1)[0]
                                        + "/template1"})
    try:
        ident = '"' + str(name).replace('"', '""') + '"'
        await conn.execute(f"CREATE DATABASE {ident}")
    except asyncpg.InsufficientPrivilegeError as exc:
        raise BackupError(f"database {name} does not exist and this role may not create it: "
                          f"create it (empty), then restore again") from exc
    finally:
        await conn.close()


async def _pg_dump(db: Database, target: Path) -> None:
    dsn, env = db.libpq()
    await _run([_pg_tool("pg_dump"), "--format=custom", f"--file={target}",
                f"--dbname={dsn}"], env)


async def _pg_restore(db: Database, dump: Path) -> None:
    dsn, env = db.libpq()
    await _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                "--exit-on-error", "--single-transaction", f"--dbname={dsn}", str(dump)], env)


# -- stored files ----------------------------------------------------------------------

def _tar_folder(folder: Path, target: Path) -> int:
    count = 0
    with tarfile.open(target, "w") as tar:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                # the store writes a temporary file, then renames it: skip half-written ones
                if path.is_file() and not path.name.startswith("tmp"):
                    tar.add(path, arcname=str(path.relative_to(folder)), recursive=False)
                    count += 1
    return count


def _untar_folder(archive: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r") as tar:
        # "data": no absolute paths, no links out of the folder, no device files
        tar.extractall(folder, filter="data")


def _folder_is_empty(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


# -- checksums -------------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def platform_version() -> str:
    try:
        return importlib.metadata.version("pishkhan")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# -- create ----------------------------------------------------------------------------

@dataclass
class Report:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, name: str, kind: str, where: str, what: str) -> None:
        self.rows.append((name, kind, where, what))

    def table(self, title: str) -> Table:
        table = Table(title=title, title_justify="left")
        for column in ("part", "kind", "where", "what"):
            table.add_column(column, overflow="fold")
        for row in self.rows:
            table.add_row(*(escape(cell) for cell in row))
        return table


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


async def create(dest: Path, temporal_urls: list[str], out: Console) -> dict[str, Any]:
    """Back every part up into ``dest`` (new or empty) and return the manifest.

    Temporal goes first: a service row written after the Temporal copy belongs to a step
    the restored workflow runs again, and every activity is idempotent on its key; the
    other order could leave a restored workflow waiting on a row that was never saved.
    Files go after the databases, so every row that names a stored file finds it."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} is not an empty folder: give a new one for each backup")
    wanted = places(temporal_urls)
    dest.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "format": FORMAT, "platform_version": platform_version(), "host": socket.gethostname(),
        "started_at": _now(), "parts": []}
    report = Report()
    for place in wanted:
        part: dict[str, Any] = {"name": place.name, "kind": place.kind, "source": place.shown,
                                "service": place.service, "setting": place.setting}
        if place.database is not None:
            engine = place.database.kind
            target = dest / place.file_name(engine)
            part["engine"] = engine
            part["taken_at"] = _now()
            if engine == "sqlite":
                assert place.database.path is not None
                await asyncio.to_thread(_sqlite_copy, place.database.path, target)
                part.update(await asyncio.to_thread(_sqlite_facts, target))
            else:
                part.update(await _pg_facts(place.database))
                await _pg_dump(place.database, target)
            what = f"{part['tables']} tables"
        else:
            assert place.folder is not None
            target = dest / place.file_name()
            part["taken_at"] = _now()
            part["files"] = await asyncio.to_thread(_tar_folder, place.folder, target)
            part["folder_existed"] = place.folder.is_dir()
            what = f"{part['files']} files"
        part["file"] = target.name
        part["size"] = target.stat().st_size
        part["sha256"] = await asyncio.to_thread(sha256_of, target)
        manifest["parts"].append(part)
        report.add(place.name, part.get("engine", "files"), place.shown,
                   f"{what}, {_size(part['size'])}")
    manifest["finished_at"] = _now()
    tmp = dest / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, dest / MANIFEST)
    out.print(report.table(f"backup {dest}"))
    out.print(f"{len(manifest['parts'])} parts backed up to {dest}; manifest {dest / MANIFEST}",
              markup=False)
    return manifest


# -- restore ---------------------------------------------------------------------------

def read_manifest(src: Path) -> dict[str, Any]:
    path = src / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} is missing: not a backup, or one that did not finish")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: backup format {manifest.get('format')!r}, "
                          f"this version reads {FORMAT}")
    return manifest


def verify(src: Path, manifest: dict[str, Any]) -> list[str]:
    """What does not match the manifest (empty when every part is whole)."""
    problems = []
    for part in manifest["parts"]:
        path = src / part["file"]
        if not path.is_file():
            problems.append(f"{part['name']}: {part['file']} is missing")
        elif path.stat().st_size != part["size"]:
            problems.append(f"{part['name']}: {part['file']} is {path.stat().st_size} bytes, "
                            f"the manifest says {part['size']}")
        elif sha256_of(path) != part["sha256"]:
            problems.append(f"{part['name']}: SHA-256 of {part['file']} does not match")
    return problems


async def _occupied(place: Place) -> str | None:
    """Why restoring onto this place would overwrite something, or None."""
    if place.database is not None:
        if place.database.kind == "sqlite":
            assert place.database.path is not None
            if not await asyncio.to_thread(_sqlite_is_empty, place.database.path):
                return f"{place.database.path} holds tables"
            return None
        state = await _pg_state(place.database)
        return f"database {place.database.shown} holds tables" if state == "in use" else None
    assert place.folder is not None
    return None if _folder_is_empty(place.folder) else f"{place.folder} is not empty"


async def restore(src: Path, temporal_urls: list[str], out: Console, *,
                  force: bool = False) -> None:
    manifest = read_manifest(src)
    problems = await asyncio.to_thread(verify, src, manifest)
    if problems:
        raise BackupError("the backup is damaged, nothing was restored:\n  "
                          + "\n  ".join(problems))
    here = {place.name: place for place in places(temporal_urls)}
    pairs: list[tuple[dict[str, Any], Place]] = []
    for part in manifest["parts"]:
        place = here.get(part["name"])
        if place is None:
            raise BackupError(f"the backup holds {part['name']}, which has no place here"
                              + (f": give --temporal-db-url for it" if
                                 part["name"] in TEMPORAL_PARTS else ""))
        if place.kind == "database" and place.database is not None \
                and place.database.kind != part["engine"]:
            raise BackupError(f"{part['name']}: the backup is of {part['engine']}, the target "
                              f"{place.shown} is {place.database.kind}; restore onto the "
                              f"same kind of database")
        pairs.append((part, place))
    occupied = [f"{place.name}: {why}" for _, place in pairs
                if (why := await _occupied(place)) is not None]
    if occupied and not force:
        raise BackupError("refusing to overwrite data already here (restore onto an empty "
                          "machine, or give --force once the services are stopped):\n  "
                          + "\n  ".join(occupied))
    report = Report()
    for part, place in pairs:
        path = src / part["file"]
        if place.database is not None and place.database.kind == "sqlite":
            assert place.database.path is not None
            await asyncio.to_thread(_sqlite_put, path, place.database.path)
            what = f"{part['tables']} tables copied"
        elif place.database is not None:
            if await _pg_state(place.database) == "missing":
                await _pg_create(place.database)
            await _pg_restore(place.database, path)
            what = f"{part['tables']} tables restored"
        else:
            assert place.folder is not None
            if force and place.folder.exists():
                await asyncio.to_thread(shutil.rmtree, place.folder)
            await asyncio.to_thread(_untar_folder, path, place.folder)
            what = f"{part['files']} files"
        report.add(place.name, part.get("engine", "files"), place.shown, what)
    out.print(report.table(f"restored {src} (taken {manifest.get('started_at')}, "
                           f"platform {manifest.get('platform_version')})"))
    revisions = {p["name"]: p["schema_revisions"] for p, _ in pairs if p.get("schema_revisions")}
    if revisions:
        out.print("schema revisions: " + json.dumps(revisions), markup=False)
    out.print(f"{len(pairs)} parts restored. Start Temporal, then the services, then the "
              f"worker (deploy/runbooks/backup-and-restore.md).", markup=False)


# -- the command line (services.kit.cli hooks this in) ----------------------------------

def add_commands(commands: Any) -> None:
    group = commands.add_parser(
        "backup", help="back up or restore every service's data and Temporal's",
        description="Back up or restore every service's database and stored files and the "
                    "Temporal database. Where they are comes from the services' settings "
                    "(APPLICATIONS_DATABASE_URL, APPLICATIONS_DOCUMENTS_DIR …).")
    verbs = group.add_subparsers(dest="verb", required=True)
    temporal = argparse.ArgumentParser(add_help=False)
    temporal.add_argument(
        "--temporal-db-url", action="append", metavar="URL",
        help="Temporal's database: a SQLite file or URL (the dev server's --db-filename) or "
             "a postgresql:// DSN; give it twice for Temporal's own and its visibility "
             f"database (env {TEMPORAL_ENV}, comma-separated; default {TEMPORAL_DEFAULT})")
    made = verbs.add_parser("create", parents=[temporal], help="take a backup into a new folder")
    made.add_argument("dest", type=Path, help="a new or empty folder")
    back = verbs.add_parser("restore", parents=[temporal],
                            help="restore a backup onto this machine's (empty) databases")
    back.add_argument("src", type=Path, help="a folder made by `backup create`")
    back.add_argument("--force", action="store_true",
                      help="overwrite databases and folders that already hold data "
                           "(stop every service and Temporal first)")


async def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    try:
        urls = temporal_urls_from(args.temporal_db_url)
        if args.verb == "create":
            await create(args.dest, urls, out)
        else:
            await restore(args.src, urls, out, force=args.force)
    except BackupError as exc:
        err.print(f"error: {exc}", markup=False)
        return FAILED
    except ValidationError as exc:
        err.print(f"error: a service's settings are wrong: {exc}", markup=False)
        return USAGE
    except (OSError, asyncpg.PostgresError) as exc:
        err.print(f"error: {exc}", markup=False)
        return FAILED
    return OK
