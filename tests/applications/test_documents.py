"""Uploads: stored by content hash, typed by content, bounded in size, never a path;
a correction needs fresh copies of what was asked for."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.applications.app import create_app
from services.applications.settings import ApplicationsSettings
from services.contracts.applications import ApplicationStatusChanged
from services.kit.bus import Bus
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually, serving

OWNER = "0499370899"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
async def setup(database_url: str, bus_ns: BusNamespace, issuer: TokenIssuer, tmp_path: Path
                ) -> AsyncIterator[dict[str, Any]]:
    store = tmp_path / "store"
    settings = ApplicationsSettings(database_url=database_url, documents_dir=str(store),
                                    max_upload_bytes=64 * 1024, **bus_ns.settings(),
                                    **issuer.settings())
    async with serving(create_app(settings), headers=issuer.applicant(OWNER)) as api:
        application = (await api.post("/applications", json={
            "national_code": OWNER, "name": "Maryam Ahmadi", "mobile": "09121234567",
            "county": "rasht", "area": "urban", "address": "Rasht, Golsar, 5th Ave 3"})).json()
        yield {"api": api, "id": application["id"], "case_id": application["case_id"],
               "store": store}


async def upload(s: dict[str, Any], document_type: str, name: str, data: bytes,
                 declared: str = "application/pdf") -> httpx.Response:
    return await s["api"].post(f"/applications/{s['id']}/documents",
                               data={"document_type": document_type},
                               files={"file": (name, data, declared)})


async def test_a_document_is_stored_under_its_hash_and_read_back(setup: dict[str, Any]) -> None:
    reply = await upload(setup, "national_id_card", "کارت ملی.pdf", PDF)
    assert reply.status_code == 201, reply.text
    doc = reply.json()
    digest = hashlib.sha256(PDF).hexdigest()
    assert doc["sha256"] == digest and doc["content_type"] == "application/pdf"
    assert doc["original_name"] == "کارت ملی.pdf"
    assert (setup["store"] / digest[:2] / digest[2:4] / digest).read_bytes() == PDF
    back = await setup["api"].get(f"/applications/{setup['id']}/documents/{doc['id']}")
    assert back.content == PDF and back.headers["x-content-type-options"] == "nosniff"
    image = await upload(setup, "education_certificate", "diploma.png", PNG, "image/png")
    assert image.status_code == 201 and image.json()["content_type"] == "image/png"


async def test_too_large_is_refused(setup: dict[str, Any]) -> None:
    reply = await upload(setup, "national_id_card", "big.pdf", PDF + b"0" * 70_000)
    assert reply.status_code == 413
    assert reply.json()["detail"][0]["code"] == "file_too_large"


@pytest.mark.parametrize("name", ["id.pdf", "id.png", "id.jpg"])
async def test_wrong_content_behind_a_right_extension_is_refused(setup: dict[str, Any],
                                                                 name: str) -> None:
    fake = b"MZ\x90\x00\x03\x00\x00\x00 this is an executable, not a scan" * 10
    reply = await upload(setup, "national_id_card", name, fake)
    assert reply.status_code == 422
    assert reply.json()["detail"][0] == {**reply.json()["detail"][0], "field": "file",
                                         "code": "file_type_not_allowed"}
    html = await upload(setup, "national_id_card", name, b"<html><script>alert(1)</script>")
    assert html.status_code == 422


async def test_a_path_like_name_is_only_a_name(setup: dict[str, Any]) -> None:
    reply = await upload(setup, "premises_document", "../../../etc/passwd.pdf", PDF)
    assert reply.status_code == 201
    doc = reply.json()
    assert doc["original_name"] == "passwd.pdf"
    files = [p for p in setup["store"].rglob("*") if p.is_file()]
    assert [p.name for p in files] == [hashlib.sha256(PDF).hexdigest()]
    back = await setup["api"].get(f"/applications/{setup['id']}/documents/{doc['id']}")
    assert "/" not in back.headers["content-disposition"].split("filename*")[0]


async def test_unknown_document_type_is_422(setup: dict[str, Any]) -> None:
    reply = await upload(setup, "selfie", "me.pdf", PDF)
    assert reply.status_code == 422 and reply.json()["detail"][0]["field"] == "document_type"


async def test_a_correction_needs_fresh_copies_of_the_documents_asked_for(
    setup: dict[str, Any], peer: Bus
) -> None:
    api = setup["api"]
    assert (await api.post(f"/applications/{setup['id']}/corrections")).status_code == 409
    await upload(setup, "premises_document", "deed.pdf", PDF)
    await peer.publish(ApplicationStatusChanged(
        application_id=setup["id"], case_id=setup["case_id"], seq=1,
        status="correction_requested", step="document_review", actor="clerk.rasht",
        note="the deed is unreadable", awaiting="applicant", documents=["premises_document"],
        occurred_at=datetime.now(UTC)), correlation_id=setup["case_id"])

    async def asked() -> bool:
        data = (await api.get(f"/applications/{setup['id']}")).json()
        return data["status"] == "correction_requested"

    await eventually(asked)
    early = await api.post(f"/applications/{setup['id']}/corrections")
    assert early.status_code == 422
    assert early.json()["detail"][0]["code"] == "correction_documents_missing"
    await upload(setup, "premises_document", "deed-again.pdf", PDF + b"% rescanned\n")
    done = await api.post(f"/applications/{setup['id']}/corrections")
    assert done.status_code == 200, done.text
    docs = done.json()["documents"]
    assert [(d["original_name"], d["current"]) for d in docs] == [
        ("deed.pdf", False), ("deed-again.pdf", True)]
    assert (await api.post(f"/applications/{setup['id']}/corrections")).status_code == 409
