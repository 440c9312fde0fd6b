"""The complainant's side, with the tracking code and their mobile: the timeline the
workflow's steps build, the resolution (published once), rating, reopening, attachments;
and a wrong mobile tells no more than an unknown code."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.contracts.envelope import Envelope
from services.kit.bus import Bus
from tests.auth_fixtures import TokenIssuer
from tests.complaints.conftest import (
    OFFICER,
    StartService,
    file_when_known,
    form,
    resolution,
    send,
    staff,
    status,
)
from tests.conftest import eventually
from tests.licensing.conftest import Recorder

MOBILE = "09121112233"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def filed(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    reply = await file_when_known(api, form(**overrides))
    assert reply.status_code == 201, reply.text
    return reply.json()


async def tracked(api: httpx.AsyncClient, code: str, mobile: str = MOBILE) -> httpx.Response:
    return await api.get(f"/complaints/track/{code}", params={"mobile": mobile})


async def until_status(api: httpx.AsyncClient, code: str, wanted: str,
                       entries: int | None = None, mobile: str = MOBILE) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        view = (await tracked(api, code, mobile)).json()
        if view["status"] != wanted:
            return None
        return view if entries is None or len(view["timeline"]) >= entries else None

    return await eventually(reached)


async def resolve(peer: Bus, api: httpx.AsyncClient, complaint: dict[str, Any], *,
                  seq: int = 1, round_: int = 1, **fields: Any) -> dict[str, Any]:
    await send(peer, status(complaint["complaint_id"], seq, "resolved", round=round_,
                            resolution=resolution(), **fields))
    return await until_status(api, complaint["tracking_code"], "resolved")


async def test_a_wrong_mobile_reads_exactly_like_an_unknown_code(
    start: StartService
) -> None:
    api = await start(max_failed_lookups_per_hour=3)
    complaint = await filed(api)
    code = complaint["tracking_code"]
    view = await tracked(api, code.lower())  # read over the phone, typed in lower case
    assert view.status_code == 200
    data = view.json()
    assert data["tracking_code"] == code and data["status"] == "received"
    assert data["category"] == "refused_service" and data["license_number"] == "GL-01-00042"
    assert data["office_name"] == "Pishkhan office-42"
    assert [e["status"] for e in data["timeline"]] == ["received"]
    assert data["can_rate"] is False and data["can_reopen"] is False
    # the complainant's own details are not in it
    assert MOBILE not in view.text and "Ali Rezaei" not in view.text

    wrong_mobile = await tracked(api, code, "09129999999")
    unknown_code = await tracked(api, "ABCDEFGHJK")
    assert wrong_mobile.status_code == unknown_code.status_code == 404
    assert wrong_mobile.content == unknown_code.content
    assert wrong_mobile.json()["detail"][0]["code"] == "complaint_not_found"
    assert wrong_mobile.json()["detail"][0]["message"]["fa"]

    # a third miss from this address, then even the right pair is held back for a while
    assert (await api.post(f"/complaints/track/{code}/rating",
                           json={"mobile": "09129999999", "rating": 5})).status_code == 404
    held = await tracked(api, code)
    assert held.status_code == 429
    assert 0 < int(held.headers["retry-after"]) <= 3600
    assert held.json()["detail"][0]["code"] == "too_many_lookups"
    assert held.json()["detail"][0]["message"]["en"].startswith("Too many failed look-ups")


async def test_workflow_steps_fold_into_the_timeline_in_order_and_once(
    api: httpx.AsyncClient, peer: Bus, issuer: TokenIssuer
) -> None:
    complaint = await filed(api)
    cid, code = complaint["complaint_id"], complaint["tracking_code"]
    due = datetime.now(UTC) + timedelta(days=5)
    twice = Envelope.wrap(status(cid, 1, "triage", minutes=1, note="Waiting for an officer"),
                          correlation_id=f"complaint-{cid}")
    for _ in range(2):  # a redelivery
        await peer.publish_json(twice.model_dump_json(), routing_key=twice.type,
                                message_id=twice.message_id,
                                correlation_id=twice.correlation_id, mandatory=True)
    # the investigation arrives before the reminder that preceded it
    await send(peer, status(cid, 3, "investigation", minutes=3, office_response_due=due,
                            awaiting="office", note="The office may answer until its due date"))
    await send(peer, status(cid, 2, "triage", minutes=2, kind="reminder",
                            actor="system", note="Triage is due soon"))
    await until_status(api, code, "investigation", entries=3)

    async def all_three() -> dict[str, Any] | None:
        detail = (await api.get(f"/complaints/{cid}", headers=staff(issuer))).json()
        return detail if len([e for e in detail["timeline"] if e["seq"]]) == 3 else None

    detail = await eventually(all_three)
    # the late older step joined the timeline without moving the status back
    assert detail["status"] == "investigation"
    assert [(e["seq"], e["status"], e["kind"]) for e in detail["timeline"]] == [
        (None, "received", "filed"), (1, "triage", "status"), (2, "triage", "reminder"),
        (3, "investigation", "status")]
    assert detail["office_response_due"].startswith(due.isoformat()[:19])

    view = (await tracked(api, code)).json()
    # staff-only steps and staff names stay inside
    assert [(e["status"], e["note"]) for e in view["timeline"]] == [
        ("received", None), ("triage", "Waiting for an officer"),
        ("investigation", "The office may answer until its due date")]
    assert OFFICER not in (await tracked(api, code)).text


async def test_a_resolution_is_published_once_and_shown_without_the_officer(
    api: httpx.AsyncClient, peer: Bus, recorder: Recorder
) -> None:
    complaint = await filed(api, category="fee_above_tariff", amount_charged=900_000,
                            service_name="Passport renewal")
    cid, code = complaint["complaint_id"], complaint["tracking_code"]
    await send(peer, status(cid, 1, "triage"))
    await send(peer, status(cid, 2, "investigation"))
    reopen_until = datetime.now(UTC) + timedelta(days=7)
    event = status(cid, 3, "resolved", resolution=resolution(), reopen_until=reopen_until)
    envelope = Envelope.wrap(event, correlation_id=event.case_id)
    for _ in range(2):  # redelivered
        await peer.publish_json(envelope.model_dump_json(), routing_key=envelope.type,
                                message_id=envelope.message_id,
                                correlation_id=envelope.correlation_id, mandatory=True)
    # and the same step sent again by the workflow under a new message id
    await send(peer, event)

    view = await until_status(api, code, "resolved")
    [published] = await recorder.wait_for("complaints.complaint.resolved", complaint_id=cid)
    await asyncio.sleep(1.0)  # leave time for a second one to show up, if it would
    assert len(recorder.of("complaints.complaint.resolved", complaint_id=cid)) == 1
    assert published.message_id == f"complaint-{cid}:resolved:1"
    assert published.correlation_id == f"complaint-{cid}"
    assert published.payload["license_number"] == "GL-01-00042"
    assert published.payload["county"] == "rasht"
    assert published.payload["category"] == "fee_above_tariff"
    assert published.payload["round"] == 1
    assert published.payload["resolution"]["sanction_recommended"] == "warning"

    assert view["resolution"] == {"upheld": True, "summary": "The office must refund the fee.",
                                  "refund_ordered": True, "refund_amount": 500_000}
    assert OFFICER not in (await tracked(api, code)).text
    assert view["can_rate"] is True and view["can_reopen"] is True
    assert view["reopen_until"].startswith(reopen_until.isoformat()[:19])

    metrics = (await api.get("/metrics")).text
    assert ('pishkhan_complaint_resolution_seconds_count{category="fee_above_tariff"} 1.0'
            in metrics)
    assert 'pishkhan_complaints_resolved{category="fee_above_tariff"} 1.0' in metrics
    assert 'pishkhan_complaints_open{category="fee_above_tariff"' not in metrics


async def test_one_rating_per_resolution(api: httpx.AsyncClient, peer: Bus) -> None:
    complaint = await filed(api)
    code = complaint["tracking_code"]
    early = await api.post(f"/complaints/track/{code}/rating",
                           json={"mobile": MOBILE, "rating": 4})
    assert early.status_code == 409
    assert early.json()["detail"][0]["code"] == "not_resolved_yet"
    assert early.json()["detail"][0]["message"]["fa"]

    await resolve(peer, api, complaint)
    bad = await api.post(f"/complaints/track/{code}/rating", json={"mobile": MOBILE, "rating": 6})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "rating"
    rated = await api.post(f"/complaints/track/{code}/rating",
                           json={"mobile": MOBILE, "rating": 4, "comment": "Quick and fair"})
    assert rated.status_code == 200, rated.text
    assert rated.json()["rating"]["rating"] == 4 and rated.json()["can_rate"] is False
    again = await api.post(f"/complaints/track/{code}/rating",
                           json={"mobile": MOBILE, "rating": 1})
    assert again.status_code == 409 and again.json()["detail"][0]["code"] == "already_rated"

    # closed after the window: still rated once
    await send(peer, status(complaint["complaint_id"], 2, "closed"))
    view = await until_status(api, code, "closed")
    assert view["rating"]["rating"] == 4 and view["can_rate"] is False


async def test_reopening_inside_the_window_once(api: httpx.AsyncClient, peer: Bus,
                                                recorder: Recorder) -> None:
    complaint = await filed(api)
    cid, code = complaint["complaint_id"], complaint["tracking_code"]
    too_early = await api.post(f"/complaints/track/{code}/reopen",
                               json={"mobile": MOBILE, "reason": "Nothing was done"})
    assert too_early.status_code == 409
    assert too_early.json()["detail"][0]["code"] == "not_reopenable"

    await resolve(peer, api, complaint, reopen_until=datetime.now(UTC) + timedelta(days=3))
    reopened = await api.post(f"/complaints/track/{code}/reopen",
                              json={"mobile": MOBILE, "reason": "The refund never came"})
    assert reopened.status_code == 202, reopened.text
    assert reopened.json()["can_reopen"] is False
    assert reopened.json()["timeline"][-1]["kind"] == "reopen_requested"
    [event] = await recorder.wait_for("complaints.complaint.reopened", complaint_id=cid)
    assert event.payload["round"] == 2 and event.payload["reason"] == "The refund never came"
    assert event.correlation_id == f"complaint-{cid}"

    again = await api.post(f"/complaints/track/{code}/reopen",
                           json={"mobile": MOBILE, "reason": "Still nothing"})
    assert again.status_code == 409
    assert again.json()["detail"][0]["code"] == "reopen_already_requested"
    assert again.json()["detail"][0]["message"]["en"] and again.json()["detail"][0]["message"]["fa"]

    # the second round: investigated again, resolved again, rated and reopenable again
    await send(peer, status(cid, 2, "investigation", round=2))
    await until_status(api, code, "investigation")
    await send(peer, status(cid, 3, "resolved", round=2,
                            resolution=resolution(upheld=False, refund_ordered=False,
                                                  refund_amount=None,
                                                  sanction_recommended="none",
                                                  summary="The refund was paid.")))
    view = await until_status(api, code, "resolved")
    assert view["resolution"]["summary"] == "The refund was paid."
    assert view["can_reopen"] is True and view["can_rate"] is True
    await recorder.wait_for("complaints.complaint.resolved", complaint_id=cid, round=2)

    metrics = (await api.get("/metrics")).text
    assert 'pishkhan_complaints_reopened{category="refused_service"} 1.0' in metrics
    assert 'pishkhan_complaints_resolved{category="refused_service"} 1.0' in metrics
    assert ('pishkhan_complaint_resolution_seconds_count{category="refused_service"} 2.0'
            in metrics)


async def test_reopening_after_the_window_is_refused(start: StartService, peer: Bus) -> None:
    api = await start(reopen_days=10)
    passed = await filed(api)
    await resolve(peer, api, passed, reopen_until=datetime.now(UTC) - timedelta(minutes=1))
    late = await api.post(f"/complaints/track/{passed['tracking_code']}/reopen",
                          json={"mobile": MOBILE, "reason": "I was travelling"})
    assert late.status_code == 409
    assert late.json()["detail"][0]["code"] == "reopen_window_passed"
    assert late.json()["detail"][0]["message"]["fa"]

    # without a reopen_until on the step, the window is reopen_days from the resolution
    old = await filed(api, mobile="09121112244")
    await send(peer, status(old["complaint_id"], 1, "resolved", minutes=-11 * 24 * 60,
                            resolution=resolution()))
    view = await until_status(api, old["tracking_code"], "resolved", mobile="09121112244")
    assert view["can_reopen"] is False
    recent = await filed(api, mobile="09121112255")
    await send(peer, status(recent["complaint_id"], 1, "resolved", minutes=-9 * 24 * 60,
                            resolution=resolution()))
    view = await until_status(api, recent["tracking_code"], "resolved", mobile="09121112255")
    assert view["can_reopen"] is True


async def test_attachments_up_to_the_limit_while_the_complaint_is_open(
    start: StartService, peer: Bus, issuer: TokenIssuer
) -> None:
    api = await start(max_attachments=2)
    complaint = await filed(api)
    cid, code = complaint["complaint_id"], complaint["tracking_code"]
    path = f"/complaints/track/{code}/attachments"

    def upload(data: bytes = PNG, mobile: str = MOBILE, name: str = "receipt.png") -> Any:
        return api.post(path, data={"mobile": mobile},
                        files={"file": (name, data, "application/octet-stream")})

    first = await upload()
    assert first.status_code == 201, first.text
    assert first.json()["content_type"] == "image/png"
    assert first.json()["original_name"] == "receipt.png"
    assert (await upload(mobile="09129999999")).status_code == 404
    text = await upload(b"just some text, not an image", name="note.png")
    assert text.status_code == 422
    assert text.json()["detail"][0]["field"] == "file"
    assert text.json()["detail"][0]["code"] == "file_type_not_allowed"
    assert (await upload(name="../../etc/passwd")).status_code == 201
    full = await upload()
    assert full.status_code == 409 and full.json()["detail"][0]["code"] == "too_many_attachments"
    assert "2" in full.json()["detail"][0]["message"]["en"]

    detail = (await api.get(f"/complaints/{cid}", headers=staff(issuer))).json()
    assert [a["original_name"] for a in detail["attachments"]] == ["receipt.png", "passwd"]
    attachment_id = detail["attachments"][0]["id"]
    got = await api.get(f"/complaints/{cid}/attachments/{attachment_id}",
                        headers=staff(issuer))
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    # the public may not download, nor a clerk
    assert (await api.get(f"/complaints/{cid}/attachments/{attachment_id}")).status_code == 401
    clerk = issuer.headers("clerk.rasht", "clerk", county="rasht")
    assert (await api.get(f"/complaints/{cid}/attachments/{attachment_id}",
                          headers=clerk)).status_code == 403

    # once final, nothing more is added
    other = await filed(api, mobile="09121112266")
    await send(peer, status(other["complaint_id"], 1, "rejected", note="Out of scope"))

    await until_status(api, other["tracking_code"], "rejected", mobile="09121112266")
    final = await api.post(f"/complaints/track/{other['tracking_code']}/attachments",
                           data={"mobile": "09121112266"},
                           files={"file": ("receipt.png", PNG, "image/png")})
    assert final.status_code == 409 and final.json()["detail"][0]["code"] == "complaint_final"
