"""What people see over HTTP: their own in-app inbox (and nobody else's), their
preferences and what they change, and the delivery log for staff only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from services.contracts.notifications import NotificationRequested, Recipient
from services.kit.bus import Bus
from services.notifications.simulator import GatewaySimulator
from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, eventually
from tests.notifications.conftest import (
    Service,
    SmtpServer,
    notifications,
    service_settings,
)

MARYAM = "0499370899"
REZA = "0013542419"
MOBILE = "09121234567"
EMAIL = "maryam@example.org"


@pytest.fixture
async def service(database_url: str, bus_ns: BusNamespace, gateway: GatewaySimulator,
                  smtp: SmtpServer, issuer: TokenIssuer) -> AsyncIterator[Service]:
    settings = service_settings(database_url, bus_ns, gateway=gateway, smtp=smtp,
                                **issuer.settings())
    async with notifications(settings) as svc:
        yield svc


def notice(key: str, template: str = "application_step", *, to: str = MARYAM,
           **data: object) -> NotificationRequested:
    defaults: dict[str, dict[str, object]] = {
        "application_step": {"status": "inspection", "occurred_at": "2025-07-26T08:15:00Z"},
        "license_issued": {"license_number": "GL-06-000123", "valid_until": "2031-03-21"},
    }
    return NotificationRequested(
        notification_key=key, template=template,  # type: ignore[arg-type]
        recipient=Recipient(id=to, mobile=MOBILE, email=EMAIL),
        case_id="application-a1",
        data={"application_id": "a1", **defaults[template], **data},
    )


async def inbox(api: httpx.AsyncClient, headers: dict[str, str], **params: object) -> list[dict]:
    reply = await api.get("/inbox", headers=headers, params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def unread(api: httpx.AsyncClient, headers: dict[str, str]) -> int:
    reply = await api.get("/inbox/unread-count", headers=headers)
    assert reply.status_code == 200, reply.text
    return int(reply.json()["unread"])


async def test_the_owner_reads_their_inbox_newest_first_and_marks_it_read(
    service: Service, peer: Bus, issuer: TokenIssuer
) -> None:
    maryam = issuer.applicant(MARYAM)
    for n in range(3):
        await peer.publish(notice(f"application-a1:step-{n}"), correlation_id="application-a1")
        await eventually(lambda n=n: _has(service.api, maryam, n + 1))

    items = await inbox(service.api, maryam)
    assert [i["case_id"] for i in items] == ["application-a1"] * 3
    times = [i["created_at"] for i in items]
    assert times == sorted(times, reverse=True)
    assert items[0]["subject"] == "پرونده a1: بازدید از محل دفتر"
    assert "بازدید از محل دفتر" in items[0]["body"]
    assert items[0]["link"].endswith("/applications/a1")
    assert await unread(service.api, maryam) == 3
    assert len(await inbox(service.api, maryam, limit=2)) == 2
    assert len(await inbox(service.api, maryam, limit=2, offset=2)) == 1

    read = await service.api.post(f"/inbox/{items[1]['id']}/read", headers=maryam)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert await unread(service.api, maryam) == 2
    assert [i["id"] for i in await inbox(service.api, maryam, unread_only=True)] == [
        items[0]["id"], items[2]["id"]]
    one = await service.api.get(f"/inbox/{items[0]['id']}", headers=maryam)
    assert one.status_code == 200 and one.json()["read_at"] is None

    everything = await service.api.post("/inbox/read-all", headers=maryam)
    assert everything.json() == {"marked": 2}
    assert await unread(service.api, maryam) == 0


async def _has(api: httpx.AsyncClient, headers: dict[str, str], count: int) -> bool:
    return len(await inbox(api, headers)) >= count


async def test_nobody_else_reads_or_marks_someone_elses_inbox(
    service: Service, peer: Bus, issuer: TokenIssuer
) -> None:
    maryam, reza = issuer.applicant(MARYAM), issuer.applicant(REZA)
    await peer.publish(notice("application-a1:step"), correlation_id="application-a1")
    [item] = await eventually(lambda: inbox(service.api, maryam))

    assert await inbox(service.api, reza) == []
    assert await unread(service.api, reza) == 0
    for method, path in (("GET", f"/inbox/{item['id']}"), ("POST", f"/inbox/{item['id']}/read")):
        refused = await service.api.request(method, path, headers=reza)
        assert refused.status_code == 404, (method, path)
        # staff are no exception: an inbox is its owner's
        refused = await service.api.request(method, path, headers=issuer.headers("ops-1", "ops"))
        assert refused.status_code == 404, (method, path)
    assert (await service.api.post("/inbox/read-all", headers=reza)).json() == {"marked": 0}
    assert await unread(service.api, maryam) == 1

    for method, path in (("GET", "/inbox"), ("GET", "/inbox/unread-count"),
                         ("GET", f"/inbox/{item['id']}"), ("POST", f"/inbox/{item['id']}/read"),
                         ("POST", "/inbox/read-all"), ("GET", "/preferences"),
                         ("PUT", "/preferences")):
        anonymous = await service.api.request(method, path, json={})
        assert anonymous.status_code == 401, (method, path)
    forged = await service.api.get("/inbox", headers={"authorization": "Bearer not-a-token"})
    assert forged.status_code == 401


async def test_only_staff_read_the_delivery_log(service: Service, peer: Bus,
                                                issuer: TokenIssuer) -> None:
    await peer.publish(notice("application-a1:step"), correlation_id="application-a1")
    ops, admin = issuer.headers("ops-1", "ops"), issuer.headers("admin-1", "admin")

    async def three() -> list[dict] | None:
        found = (await service.api.get("/ops/deliveries", headers=ops)).json()
        return found if len(found) == 3 else None

    found = await eventually(three)
    assert {d["channel"] for d in found} == {"sms", "email", "in_app"}
    only_sms = await service.api.get("/ops/deliveries", headers=admin,
                                     params={"channel": "sms", "recipient_id": MARYAM,
                                             "case_id": "application-a1"})
    assert [d["channel"] for d in only_sms.json()] == ["sms"]
    oldest = await service.api.get("/ops/deliveries", headers=ops, params={"order": "oldest"})
    assert [d["id"] for d in oldest.json()] == [d["id"] for d in reversed(found)]
    one = await service.api.get(f"/ops/deliveries/{found[0]['id']}", headers=ops)
    assert one.status_code == 200 and one.json()["id"] == found[0]["id"]
    bad_filter = await service.api.get("/ops/deliveries", headers=ops,
                                       params={"status": "lost"})
    assert bad_filter.status_code == 422

    for headers, status in ((issuer.applicant(MARYAM), 403),
                            (issuer.headers("clerk-1", "clerk"), 403), ({}, 401)):
        assert (await service.api.get("/ops/deliveries", headers=headers)).status_code == status
        assert (await service.api.get(f"/ops/deliveries/{found[0]['id']}",
                                      headers=headers)).status_code == status
        assert (await service.api.post(f"/ops/deliveries/{found[0]['id']}/resend",
                                       headers=headers)).status_code == status
    # there is no anonymous way to the log
    assert (await service.api.get("/deliveries", params={"recipient_id": MARYAM})
            ).status_code == 404


async def test_preferences_are_the_owners_and_change_what_is_sent(
    service: Service, peer: Bus, issuer: TokenIssuer, gateway: GatewaySimulator,
    smtp: SmtpServer
) -> None:
    maryam = issuer.applicant(MARYAM)
    assert (await service.api.get("/preferences", headers=maryam)).json() == {
        "recipient_id": MARYAM, "language": None, "sms": True, "email": True, "in_app": True,
        "updated_at": None}
    saved = await service.api.put("/preferences", headers=maryam,
                                  json={"language": "en", "email": False, "in_app": False})
    assert saved.status_code == 200
    assert saved.json()["email"] is False and saved.json()["language"] == "en"
    assert (await service.api.get("/preferences", headers=maryam)).json()["in_app"] is False
    # someone else's are their own
    reza = await service.api.get("/preferences", headers=issuer.applicant(REZA))
    assert reza.json()["recipient_id"] == REZA and reza.json()["email"] is True
    refused = await service.api.put("/preferences", headers=maryam, json={"sms": False})
    assert refused.status_code == 422  # SMS cannot be switched off

    await peer.publish(notice("application-a1:step"), correlation_id="application-a1")
    await peer.publish(notice("application-a1:issued", "license_issued"),
                       correlation_id="application-a1")

    async def settled() -> list[dict] | None:
        found = (await service.api.get("/ops/deliveries",
                                       headers=issuer.headers("ops-1", "ops"))).json()
        done = [d for d in found if d["status"] in ("sent", "skipped", "failed")]
        return done if len(done) == 6 else None

    found = {(d["notification_key"].split(":")[1], d["channel"]): d
             for d in await eventually(settled)}
    for key in ("step", "issued"):
        assert found[(key, "sms")]["status"] == "sent"
        assert found[(key, "email")]["status"] == "skipped"
        assert found[(key, "email")]["reason"] == "the recipient opted out of e-mail"
        assert found[(key, "in_app")]["status"] == "skipped"
    # the stored language wins over the one in the request (fa)
    assert found[("step", "sms")]["language"] == "en"
    assert found[("step", "sms")]["body"].startswith("Case a1:")
    # the legally required notice went by SMS
    issued = [r.form["message"] for r in gateway.sent_to(MOBILE)]
    assert len(issued) == 2 and any("GL-06-000123" in m for m in issued)
    await asyncio.sleep(0.2)
    assert smtp.sink.to(EMAIL) == []
    assert await inbox(service.api, maryam) == []
    assert service.metric("pishkhan_notification_deliveries_total",
                          channel="email", outcome="skipped") == 2
