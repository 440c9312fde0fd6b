"""The whole system in one test: the services, the worker and the bridge, on real
RabbitMQ and a real Temporal server, talking to each other only over the bus."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.applications.app import create_app as applications_app
from services.applications.settings import ApplicationsSettings
from services.complaints.app import create_app as complaints_app
from services.complaints.settings import ComplaintsSettings
from services.kit.bus import Bus
from services.licensing.app import create_app as licensing_app
from services.licensing.settings import LicensingSettings
from services.notifications.app import create_app as notifications_app
from services.notifications.settings import NotificationsSettings
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, announce_staff, eventually, serving
from workflows.process import WorkflowsProcess
from workflows.settings import WorkflowsSettings


@dataclass
class Stack:
    applications: httpx.AsyncClient
    licensing: httpx.AsyncClient
    notifications: httpx.AsyncClient
    complaints: httpx.AsyncClient
    workflows: WorkflowsProcess


async def start_stack(stack: AsyncExitStack, *, bus_ns: BusNamespace, tmp_path: Path,
                      temporal_address: str, auth: dict[str, Any],
                      workflow_settings: dict[str, Any] | None = None,
                      database_url: Callable[[str], str] | None = None) -> Stack:
    """Every service but identity and the portal, on SQLite files in ``tmp_path`` unless
    ``database_url`` names each service's database."""
    common = {**bus_ns.settings(), **auth}

    def db(name: str) -> str:
        if database_url is not None:
            return database_url(name)
        return f"sqlite+aiosqlite:///{tmp_path / name}.db"

    applications = await stack.enter_async_context(serving(applications_app(
        ApplicationsSettings(database_url=db("applications"),
                             documents_dir=str(tmp_path / "documents"), **common))))
    licensing = await stack.enter_async_context(serving(licensing_app(
        LicensingSettings(database_url=db("licensing"),
                          photos_dir=str(tmp_path / "photos"), **common))))
    notifications = await stack.enter_async_context(serving(notifications_app(
        NotificationsSettings(database_url=db("notifications"), **common))))
    complaints = await stack.enter_async_context(serving(complaints_app(
        ComplaintsSettings(database_url=db("complaints"),
                           attachments_dir=str(tmp_path / "attachments"), **common))))
    process = await stack.enter_async_context(WorkflowsProcess(WorkflowsSettings(
        temporal_address=temporal_address,
        sdk_metrics_address="",
        **common,
        # a schedule on the shared dev server would outlive the test; tests of the sweep
        # ask for it
        **{"supervision_schedule_enabled": False,
           "task_queue": f"test-{uuid.uuid4().hex[:10]}",
           "workflow_id_prefix": f"test-{uuid.uuid4().hex[:10]}-",
           **(workflow_settings or {})},
    )))
    return Stack(applications, licensing, notifications, complaints, process)


@pytest.fixture
async def stack(bus_ns: BusNamespace, tmp_path: Path, temporal_address: str,
                issuer: TokenIssuer) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as exit_stack:
        yield await start_stack(exit_stack, bus_ns=bus_ns, tmp_path=tmp_path,
                                temporal_address=temporal_address, auth=issuer.settings())


STAFF = [("clerk.rasht", "clerk", "rasht"), ("inspector.rasht", "inspector", "rasht"),
         ("officer.rasht", "licensing_officer", "rasht"),
         ("supervisor.rasht", "supervisor", "rasht")]


@pytest.fixture
async def staffed(stack: Stack, peer: Bus, issuer: TokenIssuer) -> Stack:
    """The stack with Rasht's clerk, inspector, officer and supervisor on its rosters."""
    await announce_staff(peer, *STAFF)
    supervisor = issuer.headers("supervisor.rasht", "supervisor", county="rasht")

    async def rosters() -> bool:
        a = await stack.applications.get("/tasks/candidates", params={"kind": "document_review"},
                                         headers=supervisor)
        b = await stack.licensing.get("/tasks/candidates", params={"kind": "site_inspection"},
                                      headers=supervisor)
        return len(a.json()) == 1 and len(b.json()) == 1

    await eventually(rosters)
    return stack
