"""The inspection form over a fake licensing service: each photo chosen is uploaded to the
inspection with the inspector's token, the outcome names the references licensing gave,
a refused photo is said at the field by its name, and the task page shows the photos,
served through the portal."""

from __future__ import annotations

import hashlib
import json
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from services.contracts.tasks import CHECKLIST_ITEMS
from tests.auth_fixtures import TokenIssuer
from tests.portal.conftest import USERS, FakeServices, csrf_of, portal_client, portal_settings
from tests.portal.conftest import sign_in as portal_sign_in

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")
TASK = "t3"


def png(n: int) -> bytes:
    return PNG + f"photo {n}".encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class InspectionServices(FakeServices):
    """Licensing with one site inspection, claimed by inspector.rasht, that takes PNG
    photos from its inspector and checks the outcome names only those."""

    def __init__(self, issuer: TokenIssuer) -> None:
        super().__init__(issuer)
        self.photos: dict[str, bytes] = {}
        # who uploaded what: (the token's subject, the file's bytes)
        self.uploads: list[tuple[str, bytes]] = []
        self.task: dict[str, Any] = {
            "id": TASK, "task_key": "k3", "kind": "site_inspection",
            "case_id": "application-a1", "application_id": None,
            "candidate_role": "inspector", "county": "rasht", "status": "claimed",
            "assignee": "inspector.rasht", "due_at": None, "overdue": False, "data": {},
            "result": {}, "history": []}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        who = self._who(request) or {}
        path = request.url.path
        if not path.startswith(f"/tasks/{TASK}"):
            return super().__call__(request)
        if who.get("county") != "rasht":
            return httpx.Response(404, json={"detail": "task not found"})
        if path == f"/tasks/{TASK}" and request.method == "GET":
            return httpx.Response(200, json=self.task)
        if path == f"/tasks/{TASK}/photos" and request.method == "POST":
            return self.upload(request, who)
        if path == f"/tasks/{TASK}/photos":
            return httpx.Response(200, json=[self.public(ref) for ref in self.photos])
        if path.startswith(f"/tasks/{TASK}/photos/"):
            ref = path.rsplit("/", 1)[1]
            if ref not in self.photos:
                return httpx.Response(404, json={"detail": "photo not found"})
            return httpx.Response(200, content=self.photos[ref],
                                  headers={"content-type": "image/png"})
        if path == f"/tasks/{TASK}/complete" and request.method == "POST":
            body = json.loads(request.content)
            self.posted.append((path, body))
            if any(ref not in self.photos for ref in body["outcome"].get("photos", [])):
                return httpx.Response(422, json={"detail": [{
                    "field": "outcome.photos", "code": "photo_not_uploaded",
                    "message": {"en": "Every photo named in the outcome must first be "
                                      "uploaded for this inspection.", "fa": "..."}}]})
            self.task.update(status="completed", result=body["outcome"])
            return httpx.Response(200, json=self.task)
        return httpx.Response(404, json={"detail": "not found"})

    def upload(self, request: httpx.Request, who: dict[str, Any]) -> httpx.Response:
        content = _file_part(request)
        self.uploads.append((who.get("sub", ""), content))
        if who.get("sub") != self.task["assignee"]:
            return httpx.Response(403, json={"detail": "forbidden"})
        if not content.startswith(PNG[:8]):
            return httpx.Response(422, json={"detail": [{
                "field": "file", "code": "photo_type_not_allowed",
                "message": {"en": "Only JPEG and PNG photos are accepted (checked by their "
                                  "content).",
                            "fa": "فقط عکس‌های JPEG و PNG پذیرفته می‌شوند "
                                  "(بر اساس محتوای فایل)."}}]})
        new = sha(content) not in self.photos
        self.photos[sha(content)] = content
        return httpx.Response(201 if new else 200, json=self.public(sha(content)))

    def public(self, ref: str) -> dict[str, Any]:
        return {"photo": ref, "size": len(self.photos[ref]), "content_type": "image/png",
                "uploaded_by": "inspector.rasht", "uploaded_at": "2025-06-01T08:00:00Z"}


def _file_part(request: httpx.Request) -> bytes:
    """The bytes of the multipart field ``file``."""
    boundary = request.headers["content-type"].split("boundary=", 1)[1].encode()
    for part in request.content.split(b"--" + boundary):
        head, _, body = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            return body.removesuffix(b"\r\n")
    return b""


@pytest.fixture
def services(issuer: TokenIssuer, monkeypatch: pytest.MonkeyPatch) -> InspectionServices:
    monkeypatch.setitem(USERS, "inspector.rasht", {"roles": ["inspector"], "county": "rasht"})
    monkeypatch.setitem(USERS, "supervisor.rasht", {"roles": ["supervisor"], "county": "rasht"})
    return InspectionServices(issuer)


def client(issuer: TokenIssuer, services: FakeServices
           ) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return portal_client(portal_settings(issuer), services)


def checklist() -> dict[str, str]:
    return {f"item_{item}": "pass" for item in CHECKLIST_ITEMS} | {"result": "pass"}


async def test_the_inspection_form_uploads_its_photos_and_names_them_in_the_outcome(
        issuer: TokenIssuer, services: InspectionServices) -> None:
    async with client(issuer, services) as inspector:
        await portal_sign_in(inspector, "inspector.rasht")
        page = await inspector.get(f"/work/licensing/{TASK}")
        assert page.status_code == 200
        assert 'capture="environment"' in page.text and 'id="uploaded-photos"' not in page.text
        token = await csrf_of(inspector, f"/work/licensing/{TASK}")

        # two photos and a file that is not one: the two are uploaded, the third refused by
        # its name, and nothing is completed yet
        reply = await inspector.post(
            f"/work/licensing/{TASK}/complete", data=checklist() | {"csrf_token": token},
            files=[("photos", ("front.png", png(1), "image/png")),
                   ("photos", ("notes.jpg", b"not a photo", "image/jpeg")),
                   ("photos", ("inside.png", png(2), "image/png"))])
        assert reply.status_code == 422
        assert "notes.jpg: فقط عکس‌های JPEG و PNG" in reply.text
        assert [who for who, _ in services.uploads] == ["inspector.rasht"] * 3
        assert services.posted == []
        # the uploaded ones come back as kept, checked, with their thumbnails
        assert 'id="uploaded-photos"' in reply.text
        for ref in (sha(png(1)), sha(png(2))):
            assert f'name="photo" value="{ref}" checked' in reply.text
            assert f'src="/work/licensing/{TASK}/photos/{ref}"' in reply.text
        assert 'value="pass" checked' in reply.text  # what was ticked is kept

        # the inspector leaves the second out and takes one more
        reply = await inspector.post(
            f"/work/licensing/{TASK}/complete",
            data=checklist() | {"csrf_token": token, "photo": [sha(png(1)), "../../etc"]},
            files=[("photos", ("back.png", png(3), "image/png"))])
        assert reply.status_code == 303, reply.text
        [(path, body)] = services.posted
        assert path == f"/tasks/{TASK}/complete"
        assert body["outcome"]["result"] == "pass"
        assert body["outcome"]["photos"] == [sha(png(1)), sha(png(3))]

    async with client(issuer, services) as supervisor:
        await portal_sign_in(supervisor, "supervisor.rasht")
        page = await supervisor.get(f"/work/licensing/{TASK}")
        assert page.status_code == 200 and 'id="task-photos"' in page.text
        # the completed inspection shows the photos its outcome names, not the one left out
        assert f"/photos/{sha(png(1))}" in page.text and f"/photos/{sha(png(3))}" in page.text
        assert f"/photos/{sha(png(2))}" not in page.text
        photo = await supervisor.get(f"/work/licensing/{TASK}/photos/{sha(png(3))}")
        assert photo.status_code == 200 and photo.content == png(3)
        assert photo.headers["content-type"] == "image/png"
        assert photo.headers["x-content-type-options"] == "nosniff"
        missing = await supervisor.get(f"/work/licensing/{TASK}/photos/{sha(b'none')}")
        assert missing.status_code == 404
        assert (await supervisor.get(f"/work/licensing/{TASK}/photos/x")).status_code == 404
        assert (await supervisor.get(
            f"/work/complaints/{TASK}/photos/{sha(png(3))}")).status_code == 404


async def test_a_photo_licensing_does_not_know_is_said_at_the_photos_field(
        issuer: TokenIssuer, services: InspectionServices) -> None:
    async with client(issuer, services) as inspector:
        await portal_sign_in(inspector, "inspector.rasht")
        token = await csrf_of(inspector, f"/work/licensing/{TASK}")
        reply = await inspector.post(
            f"/work/licensing/{TASK}/complete",
            data=checklist() | {"csrf_token": token, "photo": sha(png(9))})
        assert reply.status_code == 422
        assert 'id="photos-error"' in reply.text
        assert services.uploads == []
