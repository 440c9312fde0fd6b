"""The portal in this process, over a fake of the services' HTTP APIs: tokens from the
test issuer, applications that belong to whoever applied, a registry of one office. Its
sessions go to a SQLite file of the test's own (``PORTAL_DATABASE_URL``) unless a test
gives another database."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from services.portal.app import create_app
from services.portal.settings import PortalSettings
from tests.auth_fixtures import AUDIENCE, ISSUER, TokenIssuer
from tests.conftest import migrate

USERS = {
    "0499370899": {"roles": ["applicant"], "national_code": "0499370899"},
    "0013542419": {"roles": ["applicant"], "national_code": "0013542419"},
    "clerk.rasht": {"roles": ["clerk"], "county": "rasht"},
    "complaints.officer": {"roles": ["complaints_officer"]},
    "officer.rasht": {"roles": ["licensing_officer"], "county": "rasht"},
}
HOLDER = "0499370899"
LICENSE_NUMBER = "GL-01-000001"
COMPLAINT_ID = "c0ffee"
PASSWORD = "pishkhan-demo"


class FakeServices:
    """Just enough of identity, applications and licensing to drive the portal's pages."""

    def __init__(self, issuer: TokenIssuer) -> None:
        self.issuer = issuer
        self.applications: dict[str, dict[str, Any]] = {}
        # what the portal posted: (path, JSON body)
        self.posted: list[tuple[str, Any]] = []

    def _who(self, request: httpx.Request) -> dict[str, Any] | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return None
        return jwt.decode(header[7:], options={"verify_signature": False})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        who = self._who(request)
        if path == "/token":
            form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
            user = USERS.get(form.get("username", ""))
            if user is None or form.get("password") != PASSWORD:
                return httpx.Response(401, json={"detail": {
                    "en": "Wrong username or password.", "fa": "نام کاربری یا گذرواژه نادرست است."}})
            token = self.issuer.token(form["username"], *user["roles"],
                                      county=user.get("county"),
                                      national_code=user.get("national_code"))
            return httpx.Response(200, json={"access_token": token, "token_type": "bearer",
                                             "expires_in": 600})
        if path == "/registry/counties":
            return httpx.Response(200, json=[])
        if path == "/registry/offices":
            if request.url.params.get("name") == "explode":
                raise RuntimeError("a bug in the portal's caller")
            items = []
            if request.url.params.get("number") == LICENSE_NUMBER:
                items = [{"office_id": "office1", "license_number": LICENSE_NUMBER,
                          "name": "دفتر پیشخوان ۱"}]
            return httpx.Response(200, json={"items": items, "total": len(items), "limit": 20,
                                             "offset": 0})
        if path == "/applications" and request.method == "POST":
            body = json.loads(request.content)
            if body.get("national_code") != (who or {}).get("national_code"):
                return httpx.Response(403, json={"detail": [{
                    "field": "national_code", "code": "national_code_not_yours",
                    "message": {"en": "You can only apply with your own national code.",
                                "fa": "فقط با کد ملی خودتان می‌توانید درخواست ثبت کنید."}}]})
            if not re.fullmatch(r"09\d{9}", body.get("mobile", "")):
                return httpx.Response(422, json={"detail": [{
                    "field": "mobile", "code": "mobile_format",
                    "message": {"en": "A mobile number looks like 09xxxxxxxxx (11 digits).",
                                "fa": "شماره همراه باید به شکل ۰۹xxxxxxxxx و ۱۱ رقم باشد."}}]})
            app_id = f"app{len(self.applications) + 1}"
            self.applications[app_id] = application(app_id, body)
            return httpx.Response(201, json=self.applications[app_id])
        match = re.fullmatch(r"/applications/(\w+)", path)
        if match and request.method == "GET":
            found = self.applications.get(match.group(1))
            if found is None or who is None or found["national_code"] != who.get("national_code"):
                return httpx.Response(404, json={"detail": "application not found"})
            return httpx.Response(200, json=found)
        if path == "/applications" and request.method == "GET":
            return httpx.Response(200, json=[a for a in self.applications.values()
                                             if who and a["national_code"] == who.get(
                                                 "national_code")])
        if path == "/inbox/unread-count":
            return httpx.Response(200, json={"unread": 0})
        found = self.supervision(request, path, who) or self.complaints(request, path, who)
        if found is not None:
            return found
        return httpx.Response(404, json={"detail": "not found"})

    def supervision(self, request: httpx.Request, path: str, who: dict[str, Any] | None
                    ) -> httpx.Response | None:
        """One license, GL-01-000001, held by 0499370899; its history, reviews and activity
        only for its holder."""
        holder = bool(who) and (who or {}).get("national_code") == HOLDER
        if path == f"/licenses/{LICENSE_NUMBER}":
            return httpx.Response(200, json={
                "number": LICENSE_NUMBER, "status": "active", "application_id": None,
                "holder_name": "مریم احمدی", "county": "rasht", "area": "urban",
                "address": "رشت، خیابان امام", "issued_at": "2025-05-01T08:00:00Z",
                "valid_until": "2030-05-01"})
        if path in (f"/licenses/{LICENSE_NUMBER}/history", f"/licenses/{LICENSE_NUMBER}/reviews",
                    "/offices/office1/activity"):
            if not holder:
                return httpx.Response(404, json={"detail": "license not found"})
            if path.endswith("/history"):
                return httpx.Response(200, json=[{
                    "version": 1, "change": "issued", "at": "2025-05-01T08:00:00Z",
                    "actor": "officer.rasht", "reason": None, "case_id": None,
                    "application_id": None, "before": {}, "after": {"status": "active"}}])
            if path.endswith("/reviews"):
                return httpx.Response(200, json=[{
                    "id": "7", "case_id": "review-7", "office_id": "office1",
                    "license_number": LICENSE_NUMBER, "county": "rasht", "reasons": ["idle"],
                    "details": {"idle_days": "120"}, "recommended": None, "status": "open",
                    "opened_at": "2025-06-01T08:00:00Z", "answer": None, "answered_at": None,
                    "decision": None, "suspension_days": None, "suspended_until": None,
                    "decision_reason": None, "decided_by": None, "decided_at": None,
                    "applied": None, "refusal": None}])
            return httpx.Response(200, json=[])
        if path == "/tasks/t2" and "licensing_officer" in (who or {}).get("roles", []):
            return httpx.Response(200, json={
                "id": "t2", "task_key": "k2", "kind": "review_decision", "case_id": "review-7",
                "application_id": None, "candidate_role": "licensing_officer",
                "county": "rasht", "status": "claimed", "assignee": "officer.rasht",
                "due_at": None, "overdue": False, "history": [],
                "data": {"review_id": "7", "office_id": "office1", "office_name": "دفتر ۱",
                         "license_number": LICENSE_NUMBER, "reasons": ["idle", "failed_inspection"],
                         "details": {"idle_days": "120", "failed_inspection": "1"},
                         "recommended": None, "holder_name": "مریم احمدی",
                         "inspection": {"result": "fail", "reason": "تابلو ندارد",
                                        "failed_items": ["signage"], "inspector": "inspector.rasht",
                                        "task_id": "t0"},
                         "answer": "دفتر در حال تعمیر بود."}})
        if path == "/tasks/t2/complete" and request.method == "POST":
            self.posted.append((path, json.loads(request.content)))
            return httpx.Response(200, json={})
        if path == "/reviews/7/answer" and request.method == "POST":
            if not holder:
                return httpx.Response(404, json={"detail": "review not found"})
            self.posted.append((path, json.loads(request.content)))
            return httpx.Response(200, json={})
        return None

    def complaints(self, request: httpx.Request, path: str, who: dict[str, Any] | None
                   ) -> httpx.Response | None:
        """One complaint about the holder's office, and its triage task."""
        roles = (who or {}).get("roles", [])
        if path == "/office/complaints":
            holder = bool(who) and (who or {}).get("national_code") == HOLDER
            return httpx.Response(200, json=[office_complaint()] if holder else [])
        if path == f"/complaints/{COMPLAINT_ID}" and "complaints_officer" in roles:
            return httpx.Response(200, json=complaint_detail())
        if path == "/tasks/t1" and "complaints_officer" in roles:
            return httpx.Response(200, json={
                "id": "t1", "task_key": "k", "kind": "complaint_triage",
                "case_id": f"complaint-{COMPLAINT_ID}", "application_id": None,
                "candidate_role": "complaints_officer", "county": "rasht", "status": "claimed",
                "assignee": "complaints.officer", "due_at": None, "overdue": False,
                "data": {"complaint_id": COMPLAINT_ID, "tracking_code": "ABCDEFGH23",
                         "category": "other", "round": 1, "description": "..."},
                "history": []})
        if path == "/tasks/t1/complete" and request.method == "POST":
            self.posted.append((path, json.loads(request.content)))
            return httpx.Response(200, json={})
        return None


def office_complaint() -> dict[str, Any]:
    return {"id": COMPLAINT_ID, "tracking_code": "ABCDEFGH23", "status": "investigation",
            "category": "fee_above_tariff", "office_name": "دفتر پیشخوان ۱",
            "license_number": LICENSE_NUMBER, "description": "بیش از تعرفه پول گرفتند.",
            "amount_charged": 500000, "service_name": "گواهی", "filed_at": "2025-06-01T08:00:00Z",
            "office_response_due": "2030-06-05T08:00:00Z", "office_response": None,
            "office_response_at": None, "can_answer": True}


def complaint_detail() -> dict[str, Any]:
    return {**office_complaint(), "channel": "web", "county": "rasht", "office_id": "office1",
            "round": 1, "updated_at": "2025-06-01T08:00:00Z",
            "case_id": f"complaint-{COMPLAINT_ID}",
            "mobile": "09123334455", "name": None, "language": "fa", "filed_by": None,
            "holder_national_code": HOLDER, "duplicate_of": None, "resolution": None,
            "resolution_round": 0, "resolved_at": None, "reopen_until": None,
            "reopen_count": 0, "attachments": [], "timeline": [], "ratings": []}


def application(app_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": app_id, "case_id": f"application-{app_id}", "kind": "new_license",
        "status": "document_review", "awaiting": "clerk", "awaiting_until": None,
        "national_code": body["national_code"], "applicant_name": body["name"],
        "mobile": body["mobile"], "email": None, "language": "fa", "county": body["county"],
        "area": body["area"], "address": body["address"], "license_number": None,
        "decision_reason": None, "new_holder_national_code": None, "new_holder_name": None,
        "consented_at": None, "correction_documents": [],
        "created_at": "2025-05-01T08:00:00Z", "updated_at": "2025-05-01T08:00:00Z",
        "required_documents": ["national_id_card"], "documents": [],
        "timeline": [{"seq": 0, "kind": "status", "status": "submitted", "step": "submission",
                      "actor": body["national_code"], "note": None, "due_at": None,
                      "occurred_at": "2025-05-01T08:00:00Z"}],
    }


@pytest.fixture
def services(issuer: TokenIssuer) -> FakeServices:
    return FakeServices(issuer)


def portal_settings(issuer: TokenIssuer, **overrides: Any) -> PortalSettings:
    return PortalSettings(jwks_url=issuer.jwks_url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                          **overrides)


@pytest.fixture(autouse=True)
def portal_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every portal of a test shares one sessions database of the test's own."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}"
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    return url


@asynccontextmanager
async def started(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app with its database migrated and its lifespan run (its engine closed after)."""
    await migrate(app)
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def browser(app: FastAPI, *, base_url: str = "http://portal.test",
                  raise_app_exceptions: bool = False) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own cookies on an app that is already started."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


@asynccontextmanager
async def portal_client(settings: PortalSettings, services: FakeServices, *,
                        base_url: str = "http://portal.test",
                        raise_app_exceptions: bool = False
                        ) -> AsyncIterator[httpx.AsyncClient]:
    """A started portal over the fake services, and one visitor's client."""
    app = create_app(settings, transport=httpx.MockTransport(services))
    async with started(app), browser(app, base_url=base_url,
                                     raise_app_exceptions=raise_app_exceptions) as client:
        yield client


@pytest.fixture
async def portal(issuer: TokenIssuer, services: FakeServices
                 ) -> AsyncIterator[httpx.AsyncClient]:
    async with portal_client(portal_settings(issuer), services) as client:
        yield client


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def csrf_of(client: httpx.AsyncClient, path: str = "/signin") -> str:
    page = await client.get(path)
    # the last form on the page is the page's own (the header's language switch is first)
    found = CSRF.findall(page.text)
    assert found and found[-1], page.text[:500]
    return found[-1]


async def sign_in(client: httpx.AsyncClient, username: str) -> httpx.Response:
    token = await csrf_of(client)
    return await client.post("/signin", data={"username": username, "password": PASSWORD,
                                              "csrf_token": token})
