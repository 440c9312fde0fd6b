"""Who may see a case: every endpoint that returns a case, a document or a task refuses
another applicant, another county, no token, an expired token, a token signed by another
key and an unsigned (alg=none) token."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from services.applications.app import create_app
from services.applications.settings import ApplicationsSettings
from services.contracts.tasks import OpenApplicationsTask
from services.kit.bus import Bus
from tests.auth_fixtures import TokenIssuer, new_key
from tests.conftest import BusNamespace, announce_staff, eventually, serving

OWNER = "0499370899"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
async def case(bus_ns: BusNamespace, issuer: TokenIssuer, peer: Bus, tmp_path: Path
               ) -> AsyncIterator[dict[str, Any]]:
    settings = ApplicationsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/a.db",
                                    documents_dir=str(tmp_path / "docs"), **bus_ns.settings(),
                                    **issuer.settings())
    async with serving(create_app(settings)) as api:
        await announce_staff(peer, ("clerk.rasht", "clerk", "rasht"))
        me = issuer.applicant(OWNER)
        application = (await api.post("/applications", headers=me, json={
            "national_code": OWNER, "name": "Maryam Ahmadi", "mobile": "09121234567",
            "county": "rasht", "area": "urban", "address": "Rasht, Golsar, 5th Ave 3"})).json()
        document = (await api.post(f"/applications/{application['id']}/documents", headers=me,
                                   data={"document_type": "national_id_card"},
                                   files={"file": ("id.pdf", PDF, "application/pdf")})).json()
        await peer.publish(OpenApplicationsTask(
            task_key=f"{application['case_id']}:document_review:1", kind="document_review",
            case_id=application["case_id"], candidate_role="clerk", county="rasht"),
            correlation_id=application["case_id"])
        clerk = issuer.headers("clerk.rasht", "clerk", county="rasht")

        async def task() -> dict | None:
            page = (await api.get("/tasks/queue", headers=clerk)).json()
            return page["items"][0] if page["items"] else None

        task_row = await eventually(task)
        yield {"api": api, "application": application, "document": document, "task": task_row}


def endpoints(case: dict[str, Any]) -> list[tuple[str, str]]:
    app_id = case["application"]["id"]
    return [
        ("GET", f"/applications/{app_id}"),
        ("GET", f"/applications/{app_id}/documents/{case['document']['id']}"),
        ("POST", f"/applications/{app_id}/withdraw"),
        ("POST", f"/applications/{app_id}/corrections"),
        ("GET", f"/tasks/{case['task']['id']}"),
        ("POST", f"/tasks/{case['task']['id']}/claim"),
    ]


def unsigned_token() -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"sub": "x", "roles": ["admin"], "iss": "http://issuer.test", "aud": "pishkhan",
              "iat": now, "exp": now + 600, "national_code": OWNER}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


BAD_TOKENS = {
    "no token": lambda issuer: {},
    "expired": lambda issuer: issuer.headers("clerk.rasht", "clerk", county="rasht",
                                             national_code=OWNER, roles=["applicant", "clerk"],
                                             exp=int(time.time()) - 3600),
    "another key": lambda issuer: issuer.headers("admin", "admin", national_code=OWNER,
                                                 key=new_key()),
    "alg none": lambda issuer: {"authorization": f"Bearer {unsigned_token()}"},
    "another audience": lambda issuer: issuer.headers("admin", "admin", aud="someone-else"),
    "garbage": lambda issuer: {"authorization": "Bearer not.a.jwt"},
}


@pytest.mark.parametrize("variant", sorted(BAD_TOKENS))
async def test_a_bad_token_is_401_everywhere(case: dict[str, Any], issuer: TokenIssuer,
                                             variant: str) -> None:
    headers = BAD_TOKENS[variant](issuer)
    for method, path in [*endpoints(case), ("GET", "/applications"), ("GET", "/tasks/mine")]:
        reply = await case["api"].request(method, path, headers=headers)
        assert reply.status_code == 401, (variant, method, path, reply.status_code)


@pytest.mark.parametrize("stranger", ["another applicant", "clerk of another county",
                                      "inspector of another county"])
async def test_strangers_do_not_even_learn_the_case_exists(case: dict[str, Any],
                                                           issuer: TokenIssuer,
                                                           stranger: str) -> None:
    headers = {
        "another applicant": issuer.applicant("0013542419"),
        "clerk of another county": issuer.headers("clerk.fuman", "clerk", county="fuman"),
        "inspector of another county": issuer.headers("inspector.fuman", "inspector",
                                                      county="fuman"),
    }[stranger]
    for method, path in endpoints(case):
        reply = await case["api"].request(method, path, headers=headers)
        assert reply.status_code == 404, (stranger, method, path, reply.status_code)
    listed = await case["api"].get("/applications", headers=headers)
    assert listed.status_code in (200, 403)
    if listed.status_code == 200:
        assert listed.json() == []


async def test_the_owner_and_the_countys_staff_see_it(case: dict[str, Any],
                                                      issuer: TokenIssuer) -> None:
    api, app_id = case["api"], case["application"]["id"]
    for headers in (issuer.applicant(OWNER),
                    issuer.headers("clerk.rasht", "clerk", county="rasht"),
                    issuer.headers("officer.rasht", "licensing_officer", county="rasht")):
        assert (await api.get(f"/applications/{app_id}", headers=headers)).status_code == 200
    download = await api.get(
        f"/applications/{app_id}/documents/{case['document']['id']}",
        headers=issuer.headers("clerk.rasht", "clerk", county="rasht"))
    assert download.status_code == 200 and download.content == PDF
    # staff may look but not act for the applicant
    clerk = issuer.headers("clerk.rasht", "clerk", county="rasht")
    assert (await api.post(f"/applications/{app_id}/withdraw", headers=clerk)).status_code == 403
