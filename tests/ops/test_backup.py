"""Backup and restore of the whole platform, on SQLite and on PostgreSQL: a backup taken
while everything runs, restored onto an empty machine, gives back the same registry, the
same case with its timeline and documents, and the case's workflow goes on from there."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowExecutionStatus

from services.identity.app import create_app as identity_app
from services.identity.seed import seed as seed_identity
from services.licensing import service
from services.licensing.app import build
from services.licensing.persian import local_today
from services.licensing.seed import ACTOR as SEED_ACTOR
from services.licensing.seed import demo_licenses
from services.licensing.settings import LicensingSettings
from services.platform import SERVICES
from services.portal.app import create_app as portal_app
from services.portal.settings import PortalSettings
from tests.auth_fixtures import TokenIssuer
from tests.conftest import (RABBIT_URL, BusNamespace, eventually, migrate, postgres_database,
                            serving, temporal_dev_server)
from tests.e2e.conftest import Stack, start_stack
from tests.e2e.test_new_license import (APPLICANT, PDF, People, apply, claim_and_complete,
                                        complete, inspection, review, status_of)
from tests.identity.conftest import identity_settings
from workflows.new_license.workflow import NewLicenseWorkflow

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo-password-for-tests"
REGISTRY_SIZE = 40
REGISTRY_SEARCH = {"limit": 10}
# where start_stack keeps each service's stored files, under its tmp_path
STACK_FOLDERS = {"documents_dir": "documents", "photos_dir": "photos",
                 "attachments_dir": "attachments"}


@dataclass
class Machine:
    """Where one machine keeps the platform's data: a folder, and a database per service."""

    root: Path
    urls: dict[str, str]

    @property
    def temporal_db(self) -> Path:
        return self.root / "temporal" / "temporal.db"

    def folder(self, setting: str) -> Path:
        return self.root / STACK_FOLDERS[setting]

    def env(self) -> dict[str, str]:
        """The platform's settings on this machine, as an operator's shell has them."""
        env = {"PISHKHAN_TEMPORAL_DATABASE_URL": str(self.temporal_db)}
        for service in SERVICES:
            prefix = service.settings().model_config["env_prefix"]
            env[f"{prefix}DATABASE_URL"] = self.urls[service.name]
            for setting in service.file_dirs:
                env[f"{prefix}{setting.upper()}"] = str(self.folder(setting))
        return env


@asynccontextmanager
async def machine(root: Path, engine: str) -> AsyncIterator[Machine]:
    async with AsyncExitStack() as databases:
        urls = {}
        for service in SERVICES:
            if engine == "sqlite":
                urls[service.name] = f"sqlite+aiosqlite:///{root / 'db' / service.name}.db"
            else:
                urls[service.name] = await databases.enter_async_context(postgres_database())
        yield Machine(root, urls)


def prepare_databases(place: Machine) -> None:
    """Make a machine's folders for its databases; the services' migrations are applied
    before each starts (as `make run` does), and a restore fills an empty machine."""
    for path in (place.root / "db", place.temporal_db.parent):
        path.mkdir(parents=True, exist_ok=True)


async def seed_registry(settings: LicensingSettings, count: int) -> None:
    """The first licenses of the demo province, imported as the seed imports them all (each
    of the 606 starts a license-term workflow: too many for a test on two cores)."""
    runtime = build(settings)
    await migrate(runtime.db)
    try:
        async with runtime.uow() as uow:
            for record in demo_licenses(local_today())[:count]:
                await service.import_license(uow, record, actor=SEED_ACTOR)
            await uow.commit()
        assert await runtime.publish_outbox(30) == 0
    finally:
        await runtime.db.dispose()


@dataclass
class Platform:
    stack: Stack
    identity: httpx.AsyncClient
    portal: httpx.AsyncClient
    identity_settings: Any


async def start_platform(running: AsyncExitStack, place: Machine, *, bus_ns: BusNamespace,
                         issuer: TokenIssuer, workflow_settings: dict[str, Any]) -> Platform:
    """Temporal on the machine's file, then every service and the worker on its data."""
    log = running.enter_context(open(place.root / "temporal.log", "ab"))
    address = running.enter_context(temporal_dev_server(
        "--db-filename", str(place.temporal_db), log=log))
    settings = identity_settings(place.urls["identity"], bus_ns, place.root,
                                 demo_password=DEMO_PASSWORD)
    identity = await running.enter_async_context(serving(identity_app(settings)))
    portal = await running.enter_async_context(serving(portal_app(
        PortalSettings(database_url=place.urls["portal"]))))
    stack = await start_stack(
        running, bus_ns=bus_ns, tmp_path=place.root, temporal_address=address,
        auth=issuer.settings(), workflow_settings=workflow_settings,
        database_url=lambda name: place.urls[name])
    return Platform(stack, identity, portal, settings)


async def pishkhan(place: Machine, *argv: str) -> tuple[int, str, str]:
    """The operator's command, in its own process, with the machine's settings."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.kit.cli", *argv, cwd=ROOT,
        env={**os.environ, **place.env(), "COLUMNS": "200"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def inspection_task(stack: Stack, issuer: TokenIssuer, case_id: str
                          ) -> tuple[dict[str, str], dict]:
    """The case's site inspection, with whichever of Rasht's inspectors it went to."""
    inspectors = [issuer.headers(name, "inspector", county="rasht")
                  for name in ("inspector.rasht", "inspector2.rasht")]

    async def find() -> tuple[dict[str, str], dict] | None:
        for headers in inspectors:
            reply = await stack.licensing.get("/tasks/mine", headers=headers, params={
                "case_id": case_id, "kind": "site_inspection"})
            assert reply.status_code == 200, reply.text
            open_ = [t for t in reply.json()["items"] if t["status"] in ("open", "claimed")]
            if open_:
                return headers, open_[0]
        return None

    return await eventually(find)


async def answers(platform: Platform, people: People, app_id: str) -> dict[str, Any]:
    """What users see of the data: the registry, the case and its documents."""
    stack = platform.stack
    case = await stack.applications.get(f"/applications/{app_id}", headers=people.applicant)
    assert case.status_code == 200, case.text
    documents = {}
    for document in case.json()["documents"]:
        got = await stack.applications.get(
            f"/applications/{app_id}/documents/{document['id']}", headers=people.applicant)
        assert got.status_code == 200, got.text
        documents[document["id"]] = (got.headers["content-type"], got.content)
    registry = await stack.licensing.get("/registry/offices", params=REGISTRY_SEARCH)
    counties = await stack.licensing.get("/registry/counties")
    signed_in = await platform.identity.post("/token", data={
        "username": "clerk.rasht", "password": DEMO_PASSWORD, "grant_type": "password"})
    return {"case": case.json(), "documents": documents, "registry": registry.json(),
            "counties": counties.json(), "clerk_signs_in": signed_in.status_code}


@pytest.mark.timeout(150)
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_a_backup_restored_onto_an_empty_machine_carries_on(
        engine: str, tmp_path: Path, bus_ns: BusNamespace, issuer: TokenIssuer) -> None:
    tag = uuid.uuid4().hex[:10]
    # the restored worker must poll the task queue the workflows were started on
    workflows = {"task_queue": f"test-{tag}", "workflow_id_prefix": f"test-{tag}-"}
    people = People(issuer, APPLICANT["national_code"])
    restored_ns = BusNamespace()  # a new machine has a new, empty broker
    try:
        async with machine(tmp_path / "old", engine) as old, \
                machine(tmp_path / "new", engine) as new:
            prepare_databases(old)
            await seed_registry(LicensingSettings(database_url=old.urls["licensing"],
                                                  **bus_ns.settings()), REGISTRY_SIZE)
            async with AsyncExitStack() as running:
                platform = await start_platform(running, old, bus_ns=bus_ns, issuer=issuer,
                                                workflow_settings=workflows)
                stack = platform.stack
                seeded = await seed_identity(platform.identity_settings)
                assert "clerk.rasht" in seeded.created

                # a case two steps on: documents uploaded and accepted, now at the inspection
                application = await apply(stack, people.applicant, APPLICANT)
                app_id, case_id = application["id"], application["case_id"]
                await status_of(stack, people.applicant, app_id, "document_review")
                await claim_and_complete(stack.applications, people.clerk, case_id,
                                         "document_review", review("accept"))
                await status_of(stack, people.applicant, app_id, "inspection")
                await inspection_task(stack, issuer, case_id)
                before = await answers(platform, people, app_id)
                assert before["registry"]["total"] > 0 and before["clerk_signs_in"] == 200
                assert len(before["documents"]) == 4

                # taken while every service, the worker and Temporal run
                code, out, err = await pishkhan(old, "backup", "create",
                                                str(tmp_path / "backup"))
                assert code == 0, out + err
            # everything has stopped; the old machine is gone
            manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
            parts = {p["name"]: p for p in manifest["parts"]}
            assert set(parts) == {"temporal", *(s.name for s in SERVICES),
                                  "applications.documents_dir", "licensing.photos_dir",
                                  "complaints.attachments_dir"}
            assert parts["temporal"]["engine"] == "sqlite"
            assert {parts[s.name]["engine"] for s in SERVICES} == {engine}
            # uploads are stored once per content
            assert parts["applications.documents_dir"]["files"] == len(
                {d["sha256"] for d in before["case"]["documents"]})
            assert all(len(p["sha256"]) == 64 and p["size"] > 0 for p in parts.values())
            assert manifest["platform_version"]

            prepare_databases(new)
            code, out, err = await pishkhan(new, "backup", "restore", str(tmp_path / "backup"))
            assert code == 0, out + err
            assert "10 parts restored" in out

            async with AsyncExitStack() as running:
                platform = await start_platform(running, new, bus_ns=restored_ns,
                                                issuer=issuer, workflow_settings=workflows)
                stack = platform.stack
                after = await answers(platform, people, app_id)
                assert after == before

                handle = stack.workflows.client.get_workflow_handle_for(
                    NewLicenseWorkflow.run, case_id)
                assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
                # the workflow goes on from where it was: inspection, decision, issuance
                inspector, task = await inspection_task(stack, issuer, case_id)
                await complete(stack.licensing, inspector, task, inspection("pass"))
                await claim_and_complete(stack.licensing, people.officer, case_id,
                                         "licensing_decision", {"result": "approve"})
                final = await status_of(stack, people.applicant, app_id, "issued")
                assert [e["status"] for e in final["timeline"]] == [
                    "submitted", "document_review", "inspection", "decision", "issuing",
                    "issued"]
                assert final["timeline"][:3] == before["case"]["timeline"]
                found = await stack.licensing.get("/registry/offices", params={
                    "number": final["license_number"]})
                assert [o["license_number"] for o in found.json()["items"]] == [
                    final["license_number"]]
    finally:
        await restored_ns.delete(RABBIT_URL)


# -- the command's refusals, on a small machine of SQLite files ---------------------------

def small_machine(root: Path) -> Machine:
    urls = {s.name: f"sqlite+aiosqlite:///{root / 'db' / s.name}.db" for s in SERVICES}
    return Machine(root, urls)


def fill(place: Machine, marker: str) -> None:
    """Databases with a row saying whose they are, and a stored file."""
    prepare_databases(place)
    for path in [place.temporal_db, *(Path(url.split(":///", 1)[1])
                                      for url in place.urls.values())]:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE IF NOT EXISTS owner (name TEXT)")
        conn.execute("DELETE FROM owner")
        conn.execute("INSERT INTO owner VALUES (?)", (marker,))
        conn.commit()
        conn.close()
    stored = place.folder("documents_dir") / "ab" / "cd" / "abcd"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(PDF + marker.encode())


def owner(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT name FROM owner").fetchone()[0])
    finally:
        conn.close()


def db_path(place: Machine, service: str) -> Path:
    return Path(place.urls[service].split(":///", 1)[1])


async def test_a_damaged_backup_restores_nothing(tmp_path: Path) -> None:
    old, new = small_machine(tmp_path / "old"), small_machine(tmp_path / "new")
    fill(old, "old")
    code, out, err = await pishkhan(old, "backup", "create", str(tmp_path / "backup"))
    assert code == 0, out + err
    part = tmp_path / "backup" / "licensing.sqlite3"
    data = bytearray(part.read_bytes())
    data[-1] ^= 0xFF
    part.write_bytes(bytes(data))

    code, out, err = await pishkhan(new, "backup", "restore", str(tmp_path / "backup"))
    assert code == 1
    assert "licensing" in err and "SHA-256" in err and "nothing was restored" in err
    assert not (new.root / "db").exists() or not any((new.root / "db").iterdir())
    assert not new.folder("documents_dir").exists()


async def test_restore_refuses_data_already_there_unless_forced(tmp_path: Path) -> None:
    old = small_machine(tmp_path / "old")
    fill(old, "backed up")
    code, out, err = await pishkhan(old, "backup", "create", str(tmp_path / "backup"))
    assert code == 0, out + err
    code, _, err = await pishkhan(old, "backup", "create", str(tmp_path / "backup"))
    assert code == 1 and "not an empty folder" in err
    fill(old, "written since")

    code, out, err = await pishkhan(old, "backup", "restore", str(tmp_path / "backup"))
    assert code == 1 and "refusing to overwrite" in err and "--force" in err
    assert owner(db_path(old, "applications")) == "written since"

    code, out, err = await pishkhan(old, "backup", "restore", str(tmp_path / "backup"),
                                    "--force")
    assert code == 0, out + err
    assert {owner(db_path(old, s.name)) for s in SERVICES} == {"backed up"}
    assert owner(old.temporal_db) == "backed up"
    stored = old.folder("documents_dir") / "ab" / "cd" / "abcd"
    assert stored.read_bytes() == PDF + b"backed up"


async def test_restore_creates_a_missing_postgresql_database(tmp_path: Path) -> None:
    async with postgres_database() as source:
        old = small_machine(tmp_path / "old")
        fill(old, "old")
        old.urls["portal"] = source
        conn = await _pg(source)
        await conn.execute("CREATE TABLE web_session (id text primary key)")
        await conn.execute("INSERT INTO web_session VALUES ('kept')")
        await conn.close()
        code, out, err = await pishkhan(old, "backup", "create", str(tmp_path / "backup"))
        assert code == 0, out + err

        new = small_machine(tmp_path / "new")
        missing = source.rsplit("/", 1)[0] + f"/pishkhan_test_{uuid.uuid4().hex[:12]}"
        new.urls["portal"] = missing
        try:
            code, out, err = await pishkhan(new, "backup", "restore", str(tmp_path / "backup"))
            assert code == 0, out + err
            conn = await _pg(missing)
            assert [r[0] for r in await conn.fetch("SELECT id FROM web_session")] == ["kept"]
            await conn.close()
        finally:
            admin = await _pg(source)
            await admin.execute(f'DROP DATABASE IF EXISTS "{missing.rsplit("/", 1)[1]}" '
                                f'WITH (FORCE)')
            await admin.close()


async def _pg(url: str) -> Any:
    import asyncpg

    return await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
