"""The services' HTTP APIs as the portal calls them: one httpx client per service, the
signed-in person's token on every call, and the services' answers turned into what a page
can show (field errors in the person's language, "not found", "try again later")."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx

from services.portal.settings import PortalSettings

log = logging.getLogger("pishkhan.portal")

# The address of the visitor whose request the portal is serving. The services see the
# portal as their client; they limit complaints per address (and log addresses), so every
# call carries the visitor's address in X-Forwarded-For, which a service believes only from
# a proxy its server trusts (uvicorn's FORWARDED_ALLOW_IPS: set it to the portal's address).
visitor_address: ContextVar[str | None] = ContextVar("portal_visitor_address", default=None)

SERVICES = ("identity", "applications", "licensing", "complaints", "notifications",
            "workflows")


@dataclass
class FieldProblem:
    field: str | None
    code: str
    message: dict[str, str]

    def text(self, language: str) -> str:
        return self.message.get(language) or self.message.get("en") or self.code


class BackendError(Exception):
    """A service said no (4xx) or could not be reached (status 503)."""

    def __init__(self, status: int, detail: Any = None, problems: list[FieldProblem] | None = None
                 ) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.problems = problems or []

    def message(self, language: str) -> str | None:
        """The service's own words, when it gave them in fa and en."""
        if isinstance(self.detail, dict) and ("fa" in self.detail or "en" in self.detail):
            return str(self.detail.get(language) or self.detail.get("en"))
        return None


def _problems(detail: Any) -> list[FieldProblem]:
    if not isinstance(detail, list):
        return []
    out = []
    for item in detail:
        if isinstance(item, dict):
            message = item.get("message")
            if not isinstance(message, dict):
                message = {"en": str(message or item.get("msg") or ""), "fa": ""}
            out.append(FieldProblem(field=item.get("field"), code=str(item.get("code", "")),
                                    message=message))
    return out


class Backend:
    def __init__(self, settings: PortalSettings, transport: httpx.AsyncBaseTransport | None = None
                 ) -> None:
        self.urls = {name: getattr(settings, f"{name}_url").rstrip("/") for name in SERVICES}
        self.clients = {
            name: httpx.AsyncClient(base_url=url, timeout=settings.backend_timeout_seconds,
                                    transport=transport)
            for name, url in self.urls.items()
        }

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def raw(self, service: str, method: str, path: str, *, token: str | None = None,
                  **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["authorization"] = f"Bearer {token}"
        address = visitor_address.get()
        if address:
            headers.setdefault("x-forwarded-for", address)
        try:
            return await self.clients[service].request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("%s unreachable for %s %s: %s", service, method, path, exc)
            raise BackendError(503, f"{service} unreachable") from exc

    async def call(self, service: str, method: str, path: str, *, token: str | None = None,
                   **kwargs: Any) -> Any:
        """JSON in, JSON out; any status from 400 up raises BackendError."""
        reply = await self.raw(service, method, path, token=token, **kwargs)
        if reply.status_code >= 400:
            try:
                detail = reply.json().get("detail")
            except (ValueError, AttributeError):
                detail = reply.text[:200]
            if reply.status_code >= 500:
                log.warning("%s answered %s to %s %s", service, reply.status_code, method, path)
                raise BackendError(503, detail)
            raise BackendError(reply.status_code, detail, _problems(detail))
        if reply.status_code == 204 or not reply.content:
            return None
        return reply.json()

    async def get(self, service: str, path: str, **kwargs: Any) -> Any:
        return await self.call(service, "GET", path, **kwargs)

    async def post(self, service: str, path: str, **kwargs: Any) -> Any:
        return await self.call(service, "POST", path, **kwargs)
