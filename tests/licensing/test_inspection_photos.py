"""Photos of a site inspection: the inspector who holds the task uploads them (JPEG or PNG,
read from the content, within the size limit, at most 20), those who may see the
inspection get them back, and the outcome names only photos uploaded for that task."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.contracts.tasks import CHECKLIST_ITEMS, OpenLicensingTask
from services.kit.bus import Bus
from services.licensing.settings import LicensingSettings
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually

# the smallest valid PNG: one transparent pixel
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")
# the start of a JPEG as a phone's camera writes it (JFIF)
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MAX_PHOTO_BYTES = 4096


@pytest.fixture
def settings(database_url: str, bus_ns: BusNamespace, issuer: TokenIssuer,
             tmp_path: Path) -> LicensingSettings:
    return LicensingSettings(database_url=database_url, public_base_url="https://pishkhan.test",
                             photos_dir=str(tmp_path / "photos"),
                             max_photo_bytes=MAX_PHOTO_BYTES, **bus_ns.settings(),
                             **issuer.settings())


def png(n: int) -> bytes:
    """A distinct PNG (the bytes after its end are still its content, and its type)."""
    return PNG + f"photo {n}".encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"
           ) -> dict[str, Any]:
    # the name and the declared type say nothing: the content does
    return {"files": {"file": (name, data, content_type)}}


def passing_outcome(photos: list[str]) -> dict[str, Any]:
    return {"outcome": {"result": "pass", "photos": photos,
                        "checklist": {item: {"passed": True} for item in CHECKLIST_ITEMS}}}


class People:
    def __init__(self, issuer: TokenIssuer) -> None:
        self.inspector = issuer.headers("inspector.rasht", "inspector", county="rasht")
        self.colleague = issuer.headers("inspector2.rasht", "inspector", county="rasht")
        self.elsewhere = issuer.headers("inspector.lahijan", "inspector", county="lahijan")
        self.officer = issuer.headers("officer.rasht", "licensing_officer", county="rasht")
        self.officer_elsewhere = issuer.headers("officer.lahijan", "licensing_officer",
                                                county="lahijan")
        self.supervisor = issuer.headers("supervisor.rasht", "supervisor", county="rasht")
        self.admin = issuer.headers("admin", "admin")
        self.clerk = issuer.headers("clerk.rasht", "clerk", county="rasht")
        self.applicant = issuer.applicant("0499370899")


@pytest.fixture
def people(issuer: TokenIssuer) -> People:
    return People(issuer)


async def open_inspection(licensing: httpx.AsyncClient, peer: Bus, people: People, *,
                          claim: bool = True) -> str:
    """A site inspection in Rasht's queue (nobody on the roster), claimed by its inspector."""
    key = f"inspect-{uuid.uuid4().hex[:8]}"
    await peer.publish(OpenLicensingTask(
        task_key=key, kind="site_inspection", case_id=f"application-{key}",
        candidate_role="inspector", county="rasht"), correlation_id=f"application-{key}")

    async def queued() -> str | None:
        items = (await licensing.get("/tasks/queue", headers=people.inspector)).json()["items"]
        return next((t["id"] for t in items if t["task_key"] == key), None)

    task_id: str = await eventually(queued)
    if claim:
        claimed = await licensing.post(f"/tasks/{task_id}/claim", headers=people.inspector)
        assert claimed.status_code == 200, claimed.text
    return task_id


async def test_the_inspector_uploads_photos_and_those_who_may_see_the_task_get_them_back(
        licensing: httpx.AsyncClient, peer: Bus, people: People) -> None:
    task_id = await open_inspection(licensing, peer, people)
    front = await licensing.post(f"/tasks/{task_id}/photos", headers=people.inspector,
                                 **upload(PNG, "front.jpg"))
    assert front.status_code == 201, front.text
    assert front.json()["photo"] == sha(PNG)
    assert front.json()["content_type"] == "image/png"
    again = await licensing.post(f"/tasks/{task_id}/photos", headers=people.inspector,
                                 **upload(PNG, "front-again.png"))
    assert again.status_code == 200 and again.json()["photo"] == sha(PNG)
    inside = await licensing.post(f"/tasks/{task_id}/photos", headers=people.inspector,
                                  **upload(JPEG, "inside.png", "image/png"))
    assert inside.status_code == 201 and inside.json()["content_type"] == "image/jpeg"

    listed = await licensing.get(f"/tasks/{task_id}/photos", headers=people.inspector)
    assert [p["photo"] for p in listed.json()] == [sha(PNG), sha(JPEG)]

    done = await licensing.post(f"/tasks/{task_id}/complete", headers=people.inspector,
                                json=passing_outcome([sha(PNG), sha(JPEG)]))
    assert done.status_code == 200, done.text
    assert done.json()["result"]["photos"] == [sha(PNG), sha(JPEG)]

    for who in (people.inspector, people.colleague, people.officer, people.supervisor,
                people.admin):
        served = await licensing.get(f"/tasks/{task_id}/photos/{sha(PNG)}", headers=who)
        assert served.status_code == 200
        assert served.content == PNG
        assert served.headers["content-type"] == "image/png"
        assert served.headers["x-content-type-options"] == "nosniff"
    jpeg = await licensing.get(f"/tasks/{task_id}/photos/{sha(JPEG)}", headers=people.officer)
    assert jpeg.content == JPEG and jpeg.headers["content-type"] == "image/jpeg"
    # whether the inspection exists is private to those who may see it
    for who in (people.elsewhere, people.officer_elsewhere, people.clerk, people.applicant):
        for path in (f"/tasks/{task_id}/photos/{sha(PNG)}", f"/tasks/{task_id}/photos"):
            assert (await licensing.get(path, headers=who)).status_code == 404
    assert (await licensing.get(f"/tasks/{task_id}/photos/{sha(PNG)}")).status_code == 401
    # a photo not uploaded for this task is not served through it
    assert (await licensing.get(f"/tasks/{task_id}/photos/{sha(PDF)}",
                                headers=people.inspector)).status_code == 404
    # once the inspection is done, it takes no more photos
    late = await licensing.post(f"/tasks/{task_id}/photos", headers=people.inspector,
                                **upload(png(1)))
    assert late.status_code == 409


async def test_only_the_inspector_who_holds_the_task_uploads(
        licensing: httpx.AsyncClient, peer: Bus, people: People) -> None:
    task_id = await open_inspection(licensing, peer, people, claim=False)
    # open in the queue: nobody holds it yet
    early = await licensing.post(f"/tasks/{task_id}/photos", headers=people.inspector,
                                 **upload(PNG))
    assert early.status_code == 403
    await licensing.post(f"/tasks/{task_id}/claim", headers=people.inspector)
    for who in (people.colleague, people.supervisor, people.officer, people.admin):
        reply = await licensing.post(f"/tasks/{task_id}/photos", headers=who, **upload(PNG))
        assert reply.status_code == 403, reply.text
    for who in (people.elsewhere, people.clerk, people.applicant):
        reply = await licensing.post(f"/tasks/{task_id}/photos", headers=who, **upload(PNG))
        assert reply.status_code == 404, reply.text
    missing = await licensing.post("/tasks/no-such-task/photos", headers=people.inspector,
                                   **upload(PNG))
    assert missing.status_code == 404
    listed = await licensing.get(f"/tasks/{task_id}/photos", headers=people.inspector)
    assert listed.json() == []


async def test_a_photo_is_a_jpeg_or_a_png_by_its_content_within_the_limits(
        licensing: httpx.AsyncClient, peer: Bus, people: People) -> None:
    task_id = await open_inspection(licensing, peer, people)
    path = f"/tasks/{task_id}/photos"
    for data in (PDF, b"GIF89a" + bytes(20), b"not a photo at all"):
        reply = await licensing.post(path, headers=people.inspector,
                                     **upload(data, "camera.jpg", "image/jpeg"))
        assert reply.status_code == 422, reply.text
        [problem] = reply.json()["detail"]
        assert problem["field"] == "file" and problem["code"] == "photo_type_not_allowed"
        assert "JPEG" in problem["message"]["en"] and problem["message"]["fa"]
    empty = await licensing.post(path, headers=people.inspector, **upload(b""))
    assert empty.status_code == 422 and empty.json()["detail"][0]["code"] == "file_empty"
    large = await licensing.post(path, headers=people.inspector,
                                 **upload(PNG + bytes(MAX_PHOTO_BYTES)))
    assert large.status_code == 413
    assert large.json()["detail"][0]["code"] == "file_too_large"
    at_limit = PNG + bytes(MAX_PHOTO_BYTES - len(PNG))
    assert (await licensing.post(path, headers=people.inspector,
                                 **upload(at_limit))).status_code == 201

    for n in range(19):
        reply = await licensing.post(path, headers=people.inspector, **upload(png(n)))
        assert reply.status_code == 201, reply.text
    too_many = await licensing.post(path, headers=people.inspector, **upload(png(99)))
    assert too_many.status_code == 422
    [problem] = too_many.json()["detail"]
    assert problem["field"] == "file" and problem["code"] == "too_many_photos"
    # one already there is still the same photo, not a 21st
    again = await licensing.post(path, headers=people.inspector, **upload(png(0)))
    assert again.status_code == 200
    listed = (await licensing.get(path, headers=people.inspector)).json()
    assert len(listed) == 20


async def test_the_outcome_names_only_photos_uploaded_for_the_task(
        licensing: httpx.AsyncClient, peer: Bus, people: People) -> None:
    other = await open_inspection(licensing, peer, people)
    assert (await licensing.post(f"/tasks/{other}/photos", headers=people.inspector,
                                 **upload(png(2)))).status_code == 201
    task_id = await open_inspection(licensing, peer, people)
    assert (await licensing.post(f"/tasks/{task_id}/photos", headers=people.inspector,
                                 **upload(PNG))).status_code == 201

    for photos in ([sha(PNG), sha(b"never uploaded")], [sha(png(2))], [f"sha256:{sha(PNG)}"]):
        refused = await licensing.post(f"/tasks/{task_id}/complete", headers=people.inspector,
                                       json=passing_outcome(photos))
        assert refused.status_code == 422, refused.text
        [problem] = refused.json()["detail"]
        assert problem["field"] == "outcome.photos"
        assert problem["code"] == "photo_not_uploaded"
        assert problem["message"]["en"].startswith("Every photo")
        assert "بارگذاری" in problem["message"]["fa"]
    task = (await licensing.get(f"/tasks/{task_id}", headers=people.inspector)).json()
    assert task["status"] == "claimed" and task["result"] == {}

    without = await licensing.post(f"/tasks/{task_id}/complete", headers=people.inspector,
                                   json=passing_outcome([]))
    assert without.status_code == 200, without.text
