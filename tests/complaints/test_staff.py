"""The complaints officer's side (the list, a complaint in full, the province-wide task
queue) and the office's: its license holder sees complaints about it, without who made
them, and answers in writing until the due time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.contracts.tasks import OpenComplaintsTask
from services.kit.bus import Bus
from tests.auth_fixtures import TokenIssuer
from tests.complaints.conftest import (
    HOLDER,
    OFFICER,
    OTHER_HOLDER,
    OTHER_NUMBER,
    announce_license,
    file_when_known,
    form,
    send,
    snapshot,
    staff,
    status,
)
from tests.conftest import announce_staff, eventually
from tests.licensing.conftest import Recorder


async def filed(api: httpx.AsyncClient, issuer: TokenIssuer | None = None,
                **overrides: Any) -> dict[str, Any]:
    if issuer is None:
        reply = await file_when_known(api, form(**overrides))
    else:
        reply = await file_when_known(api, form(**overrides), "/complaints/phone",
                                      issuer.headers("operator195", "operator_195"))
    assert reply.status_code == 201, reply.text
    return reply.json()


async def test_only_complaints_staff_list_and_read_complaints(api: httpx.AsyncClient,
                                                              issuer: TokenIssuer) -> None:
    first = await filed(api, mobile="09120000001")
    second = await filed(api, issuer, mobile="09120000002", category="misconduct")
    third = await filed(api, mobile="09120000003", license_number=OTHER_NUMBER)
    officer = staff(issuer)

    page = (await api.get("/complaints", headers=officer)).json()
    assert page["total"] == 3
    # newest first
    assert [c["id"] for c in page["items"]] == [third["complaint_id"], second["complaint_id"],
                                                first["complaint_id"]]
    assert "mobile" not in page["items"][0]

    async def ids(**params: Any) -> list[str]:
        reply = await api.get("/complaints", params=params, headers=officer)
        assert reply.status_code == 200, reply.text
        return [c["id"] for c in reply.json()["items"]]

    assert await ids(county="lahijan") == [third["complaint_id"]]
    assert await ids(channel="phone_195") == [second["complaint_id"]]
    assert await ids(category="misconduct") == [second["complaint_id"]]
    assert await ids(status="received", limit=1, offset=1) == [second["complaint_id"]]
    assert await ids(status="resolved") == []
    assert (await api.get("/complaints", params={"status": "lost"},
                          headers=officer)).status_code == 422
    # an officer of one county sees that county's complaints only
    lahijan = issuer.headers("officer.lahijan", "complaints_officer", county="lahijan")
    assert (await api.get("/complaints", headers=lahijan)).json()["total"] == 1
    assert (await api.get(f"/complaints/{first['complaint_id']}",
                          headers=lahijan)).status_code == 404

    detail = (await api.get(f"/complaints/{second['complaint_id']}", headers=officer)).json()
    assert detail["mobile"] == "09120000002" and detail["channel"] == "phone_195"
    assert detail["filed_by"] == "operator195" and detail["county"] == "rasht"
    assert detail["case_id"] == f"complaint-{second['complaint_id']}"
    assert detail["attachments"] == [] and detail["ratings"] == []
    assert detail["timeline"][0]["kind"] == "filed"
    assert (await api.get(f"/complaints/{second['complaint_id']}",
                          headers=issuer.headers("admin", "admin"))).status_code == 200

    # everyone else
    assert (await api.get("/complaints")).status_code == 401
    for other in (issuer.headers("clerk.rasht", "clerk", county="rasht"),
                  issuer.headers("operator195", "operator_195"), issuer.applicant(HOLDER)):
        assert (await api.get("/complaints", headers=other)).status_code == 403
        assert (await api.get(f"/complaints/{first['complaint_id']}",
                              headers=other)).status_code == 403
    assert (await api.get("/complaints/no-such-id", headers=officer)).status_code == 404


async def test_the_province_wide_officer_works_every_countys_queue(
    api: httpx.AsyncClient, issuer: TokenIssuer, peer: Bus, recorder: Recorder
) -> None:
    await announce_staff(peer, (OFFICER, "complaints_officer", None))
    for case, county in (("complaint-t1", "rasht"), ("complaint-t2", "lahijan")):
        await peer.publish(OpenComplaintsTask(
            task_key=f"{case}:triage:1", kind="complaint_triage", case_id=case,
            candidate_role="complaints_officer", county=county,
            due_at=datetime.now(UTC) + timedelta(days=2)), correlation_id=case)
    officer = staff(issuer)

    async def queued() -> list[dict[str, Any]] | None:
        items = (await api.get("/tasks/queue", headers=officer)).json()["items"]
        return items if len(items) == 2 else None

    items = await eventually(queued)
    assert {t["county"] for t in items} == {"rasht", "lahijan"}
    # a county's clerk sees none of them
    clerk = issuer.headers("clerk.rasht", "clerk", county="rasht")
    assert (await api.get("/tasks/queue", headers=clerk)).json()["items"] == []

    task = next(t for t in items if t["county"] == "lahijan")
    claimed = await api.post(f"/tasks/{task['id']}/claim", headers=officer)
    assert claimed.status_code == 200 and claimed.json()["assignee"] == OFFICER
    done = await api.post(f"/tasks/{task['id']}/complete", headers=officer,
                          json={"outcome": {"result": "accept"}})
    assert done.status_code == 200, done.text
    [event] = await recorder.wait_for("complaints.task.completed", case_id="complaint-t2")
    assert event.payload["kind"] == "complaint_triage" and event.payload["outcome"] == "accept"
    assert event.payload["actor"] == OFFICER


async def test_the_license_holder_answers_until_the_due_time(
    api: httpx.AsyncClient, issuer: TokenIssuer, peer: Bus
) -> None:
    complaint = await filed(api, name="Ali Rezaei")
    other_office = await filed(api, mobile="09120000009", license_number=OTHER_NUMBER)
    cid = complaint["complaint_id"]
    holder = issuer.applicant(HOLDER)
    answer = {"text": "We were closed for a power cut that day; see the attached notice."}

    listed = await api.get("/office/complaints", headers=holder)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [cid]
    assert "09121112233" not in listed.text and "Ali Rezaei" not in listed.text
    assert listed.json()[0]["can_answer"] is False
    assert [c["id"] for c in (await api.get(
        "/office/complaints", headers=issuer.applicant(OTHER_HOLDER))).json()] == [
        other_office["complaint_id"]]

    early = await api.post(f"/complaints/{cid}/response", json=answer, headers=holder)
    assert early.status_code == 409
    assert early.json()["detail"][0]["code"] == "answer_not_awaited"

    await send(peer, status(cid, 1, "investigation", awaiting="office",
                            office_response_due=datetime.now(UTC) + timedelta(days=3)))

    async def awaited() -> bool:
        return (await api.get("/office/complaints", headers=holder)).json()[0]["can_answer"]

    await eventually(awaited)
    # anyone but the holder: no such complaint
    for stranger in (issuer.applicant(OTHER_HOLDER),
                     issuer.headers("operator195", "operator_195"), staff(issuer)):
        refused = await api.post(f"/complaints/{cid}/response", json=answer, headers=stranger)
        assert refused.status_code == 404
    short = await api.post(f"/complaints/{cid}/response", json={"text": "No."}, headers=holder)
    assert short.status_code == 422 and short.json()["detail"][0]["field"] == "text"

    first = await api.post(f"/complaints/{cid}/response", json=answer, headers=holder)
    assert first.status_code == 200, first.text
    assert first.json()["office_response"] == answer["text"]
    better = {"text": "We were closed for a power cut; the utility's notice is attached."}
    assert (await api.post(f"/complaints/{cid}/response", json=better,
                           headers=holder)).status_code == 200

    detail = (await api.get(f"/complaints/{cid}", headers=staff(issuer))).json()
    assert detail["office_response"] == better["text"] and detail["office_response_at"]
    assert [e["kind"] for e in detail["timeline"]].count("office_answered") == 2
    track = (await api.get(f"/complaints/track/{complaint['tracking_code']}",
                           params={"mobile": "09121112233"})).json()
    assert "office_answered" in [e["kind"] for e in track["timeline"]]
    assert better["text"] not in str(track)

    # the due time moved into the past (a later step says so): too late now
    await send(peer, status(cid, 2, "investigation", awaiting="office",
                            office_response_due=datetime.now(UTC) - timedelta(minutes=1)))

    async def overdue() -> bool:
        return not (await api.get("/office/complaints", headers=holder)).json()[0]["can_answer"]

    await eventually(overdue)
    late = await api.post(f"/complaints/{cid}/response", json=answer, headers=holder)
    assert late.status_code == 409 and late.json()["detail"][0]["code"] == "answer_too_late"
    assert late.json()["detail"][0]["message"]["fa"]


async def test_a_transfer_hands_the_answer_to_the_new_holder(
    api: httpx.AsyncClient, issuer: TokenIssuer, peer: Bus
) -> None:
    complaint = await filed(api)
    await announce_license(peer, snapshot(holder=OTHER_HOLDER, version=2), change="transferred")
    # an older event arriving late changes nothing
    await announce_license(peer, snapshot(version=1), change="imported")

    async def moved() -> list[dict[str, Any]] | None:
        items = (await api.get("/office/complaints", headers=issuer.applicant(OTHER_HOLDER))
                 ).json()
        return items if any(c["id"] == complaint["complaint_id"] for c in items) else None

    await eventually(moved)
    await asyncio.sleep(0.5)  # the late older event has been handled by now
    assert (await api.get("/office/complaints", headers=issuer.applicant(HOLDER))).json() == []
    assert (await api.get("/office/complaints", headers=issuer.applicant(OTHER_HOLDER))
            ).json()[0]["id"] == complaint["complaint_id"]
