"""The identity service served on a real port, on its own database, key file and part of
the broker; with helpers to add users directly and to sign in over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.identity import service
from services.identity.app import create_app
from services.identity.models import UserCreate
from services.identity.settings import IdentitySettings
from tests.conftest import BusNamespace, serving

PASSWORD = "correct horse battery"

# argon2 at its cheapest: the tests are about behaviour, not about the cost of a hash
CHEAP_HASHES = {"password_time_cost": 1, "password_memory_kib": 1024, "password_parallelism": 1}


def identity_settings(database_url: str, bus_ns: BusNamespace, tmp_path: Path,
                      **overrides: Any) -> IdentitySettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "signing_key_path": tmp_path / "keys" / "signing-key.pem",
        **CHEAP_HASHES,
        **bus_ns.settings(),
        **overrides,
    }
    return IdentitySettings(**values)


@dataclass
class Identity:
    client: httpx.AsyncClient
    app: FastAPI
    settings: IdentitySettings

    async def add_user(self, username: str, *roles: str, county: str | None = None,
                       password: str = PASSWORD, **fields: Any) -> None:
        """Put a user straight into the service's database, as the seed does."""
        data = UserCreate(username=username, name=fields.pop("name", f"User {username}"),
                          roles=list(roles), county=county, password=password, **fields)
        async with self.app.state.runtime.uow() as uow:
            await service.create_user(uow, self.app.state.identity.passwords, data)
            await uow.commit()

    async def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        return await self.client.post("/token", data={"username": username,
                                                      "password": password,
                                                      "grant_type": "password"})

    async def token(self, username: str, password: str = PASSWORD) -> str:
        reply = await self.sign_in(username, password)
        assert reply.status_code == 200, reply.text
        return str(reply.json()["access_token"])

    async def headers(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        return {"authorization": f"Bearer {await self.token(username, password)}"}


@asynccontextmanager
async def running(settings: IdentitySettings) -> AsyncIterator[Identity]:
    app = create_app(settings)
    async with serving(app) as client:
        yield Identity(client=client, app=app, settings=settings)


@pytest.fixture
async def identity(database_url: str, bus_ns: BusNamespace, tmp_path: Path
                   ) -> AsyncIterator[Identity]:
    async with running(identity_settings(database_url, bus_ns, tmp_path)) as served:
        yield served
