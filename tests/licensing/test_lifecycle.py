"""The life of a license after issuance, driven over the real bus as the workflows drive
it: renew, transfer, relocate, expire, assess a renewal. Each change is one history row
and one LicenseChanged with the next version, however often it is asked for."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from services.contracts.applications import Applicant
from services.contracts.licensing import (
    AssessRenewal,
    ExpireLicense,
    IssueLicense,
    RelocateOffice,
    RenewLicense,
    TransferLicense,
)
from services.kit.bus import Bus
from services.kit.db import utcnow
from services.kit.http import Runtime
from services.licensing import repository, service
from services.licensing.models import Finding, UpheldComplaint
from services.licensing.persian import local_today
from tests.auth_fixtures import TokenIssuer
from tests.licensing.conftest import Holder, Recorder, a_national_code, add_license

CHANGED = "licensing.license.changed"
REFUSED = "licensing.license.refused"


def case(application_id: str) -> dict[str, str]:
    return {"application_id": application_id, "case_id": f"application-{application_id}"}


async def settled(peer: Bus, recorder: Recorder, number: str) -> None:
    """The lifecycle queue is handled in order: once a later question is answered, every
    command before it has been handled."""
    marker = uuid.uuid4().hex[:12]
    await peer.publish(AssessRenewal(license_number=number, **case(marker)),
                       correlation_id=f"application-{marker}")
    await recorder.wait_for("licensing.renewal.assessed", application_id=marker)


async def history(licensing: httpx.AsyncClient, issuer: TokenIssuer, number: str
                  ) -> list[dict]:
    reply = await licensing.get(f"/licenses/{number}/history",
                                headers=issuer.headers("admin", "admin"))
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_issuing_records_history_and_publishes_license_changed(
    licensing: httpx.AsyncClient, peer: Bus, recorder: Recorder, issuer: TokenIssuer
) -> None:
    holder = Applicant(national_code="0499370899", name="مریم احمدی", mobile="09121234567")
    command = IssueLicense(**case("n1"), holder=holder, county="anzali", area="urban",
                           address="بندر انزلی، خیابان ساحلی، پلاک ۷", approved_by="officer.anzali")
    await peer.publish(command, correlation_id="application-n1")
    await peer.publish(command, correlation_id="application-n1")
    [issued] = await recorder.wait_for("licensing.license.issued")
    [changed] = await recorder.wait_for(CHANGED, change="issued")
    snapshot = changed.payload["license"]
    assert snapshot["number"] == issued.payload["license_number"]
    assert snapshot["version"] == 1 and snapshot["status"] == "active"
    assert snapshot["office_name"] == "دفتر پیشخوان خدمات دولت شماره ۱ بندر انزلی"
    assert changed.payload["application_id"] == "n1" and changed.correlation_id == "application-n1"
    events = await history(licensing, issuer, snapshot["number"])
    assert [(e["version"], e["change"], e["actor"]) for e in events] == [
        (1, "issued", "officer.anzali")]
    assert events[0]["after"]["holder_national_code"] == "0499370899"
    await settled(peer, recorder, snapshot["number"])
    assert len(recorder.of(CHANGED)) == 1


async def test_a_renewal_extends_validity_once_per_application_and_a_late_expiry_is_a_no_op(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder,
    issuer: TokenIssuer
) -> None:
    number = await add_license(store, valid_for_days=30)
    before = (await licensing.get(f"/licenses/{number}")).json()
    old_end = dt.date.fromisoformat(before["valid_until"])
    renew = RenewLicense(**case("r1"), license_number=number, approved_by="officer.rasht")
    await peer.publish(renew, correlation_id="application-r1")
    await peer.publish(renew, correlation_id="application-r1")  # a retried activity
    [renewed] = await recorder.wait_for(CHANGED, change="renewed")
    assert renewed.payload["license"]["valid_until"] == service.add_years(old_end, 5).isoformat()
    assert renewed.payload["license"]["version"] == 2
    assert renewed.payload["case_id"] == "application-r1"

    # the term's timer fires for the old end date after all: nothing happens
    await peer.publish(ExpireLicense(license_number=number, valid_until=old_end,
                                     case_id=f"license-{number}"),
                       correlation_id=f"license-{number}")
    await settled(peer, recorder, number)
    assert len(recorder.of(CHANGED, change="renewed")) == 1
    assert recorder.of(CHANGED, change="expired") == []
    record = await history(licensing, issuer, number)
    assert [(e["version"], e["change"]) for e in record] == [(1, "imported"), (2, "renewed")]
    assert record[1]["before"] == {"valid_until": old_end.isoformat()}
    assert (await licensing.get(f"/licenses/{number}")).json()["status"] == "active"


async def test_an_expired_license_renewed_within_the_grace_is_active_again(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder
) -> None:
    recent = await add_license(store, valid_for_days=-10)
    long_ago = await add_license(store, valid_for_days=-400)
    for number in (recent, long_ago):
        end = dt.date.fromisoformat((await licensing.get(f"/licenses/{number}")).json()["valid_until"])
        await peer.publish(ExpireLicense(license_number=number, valid_until=end,
                                         case_id=f"license-{number}"),
                           correlation_id=f"license-{number}")
    await recorder.wait_for(CHANGED, count=2, change="expired")
    await peer.publish(RenewLicense(**case("r2"), license_number=recent, approved_by="o"),
                       correlation_id="application-r2")
    await peer.publish(RenewLicense(**case("r3"), license_number=long_ago, approved_by="o"),
                       correlation_id="application-r3")
    [renewed] = await recorder.wait_for(CHANGED, change="renewed")
    assert renewed.payload["license"]["number"] == recent
    assert renewed.payload["license"]["status"] == "active"
    assert renewed.payload["license"]["valid_until"] == service.add_years(local_today(), 5).isoformat()
    # the case that asked is told why, rather than left waiting
    [refused] = await recorder.wait_for(REFUSED, case_id="application-r3")
    assert refused.payload["code"] == "renewal_too_late"
    assert refused.payload["command"] == "licensing.license.renew"
    assert (await licensing.get(f"/licenses/{long_ago}")).json()["status"] == "expired"


async def test_a_transfer_changes_the_holder_once_and_the_history_keeps_both(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder,
    issuer: TokenIssuer
) -> None:
    old = Holder(a_national_code(), "حسن پوررضا", "09111234567")
    number = await add_license(store, holder=old)
    new = Applicant(national_code=a_national_code(), name="نرگس خوشرو", mobile="09351234567")
    transfer = TransferLicense(**case("t1"), license_number=number, new_holder=new,
                               approved_by="officer.rasht")
    await peer.publish(transfer, correlation_id="application-t1")
    await peer.publish(transfer.model_copy(), correlation_id="application-t1")
    [changed] = await recorder.wait_for(CHANGED, change="transferred")
    assert changed.payload["previous_holder_national_code"] == old.national_code
    assert changed.payload["license"]["holder_national_code"] == new.national_code
    assert changed.payload["license"]["holder_name"] == "نرگس خوشرو"
    await settled(peer, recorder, number)
    assert len(recorder.of(CHANGED, change="transferred")) == 1

    events = await history(licensing, issuer, number)
    assert [e["change"] for e in events] == ["imported", "transferred"]
    moved = events[1]
    assert moved["before"] == {"holder_national_code": old.national_code,
                               "holder_name": "حسن پوررضا", "holder_mobile": old.mobile}
    assert moved["after"] == {"holder_national_code": new.national_code,
                              "holder_name": "نرگس خوشرو", "holder_mobile": new.mobile}
    # the registry knows the new holder by name, and no longer the old one
    found = (await licensing.get("/registry/offices", params={"name": "خوشرو"})).json()
    assert [o["license_number"] for o in found["items"]] == [number]
    assert (await licensing.get("/registry/offices", params={"name": "پوررضا"})).json()["total"] == 0


async def test_relocation_moves_the_office_but_is_refused_for_a_revoked_license(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder
) -> None:
    active = await add_license(store, address="رشت، خیابان آزادی، پلاک ۱")
    revoked = await add_license(store, address="رشت، خیابان معلم، پلاک ۲")
    async with store.uow() as uow:
        await service.revoke(uow, revoked, actor="officer.rasht", reason="sold by proxy")
        await uow.commit()
    await recorder.wait_for(CHANGED, change="revoked")
    for number, app in ((active, "m1"), (revoked, "m2"), (active, "m1")):
        await peer.publish(RelocateOffice(**case(app), license_number=number,
                                          new_address="رشت، بلوار گیلان، پلاک ۹",
                                          approved_by="officer.rasht"),
                           correlation_id=f"application-{app}")
    [moved] = await recorder.wait_for(CHANGED, change="relocated")
    assert moved.payload["license"]["number"] == active
    assert moved.payload["previous_address"] == "رشت، خیابان آزادی، پلاک ۱"
    assert moved.payload["license"]["address"] == "رشت، بلوار گیلان، پلاک ۹"
    [refused] = await recorder.wait_for(REFUSED, case_id="application-m2")
    assert refused.payload["code"] == "license_not_active"
    assert refused.payload["license_number"] == revoked
    await settled(peer, recorder, active)
    assert len(recorder.of(CHANGED, change="relocated")) == 1
    assert (await licensing.get(f"/licenses/{revoked}")).json()["address"] == "رشت، خیابان معلم، پلاک ۲"
    assert (await licensing.get(f"/licenses/{active}")).json()["address"] == "رشت، بلوار گیلان، پلاک ۹"


async def test_expiry_happens_only_for_the_date_still_due(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder,
    issuer: TokenIssuer
) -> None:
    number = await add_license(store, valid_for_days=-1)
    end = dt.date.fromisoformat((await licensing.get(f"/licenses/{number}")).json()["valid_until"])
    for valid_until in (end - dt.timedelta(days=365), end, end):
        await peer.publish(ExpireLicense(license_number=number, valid_until=valid_until,
                                         case_id=f"license-{number}"),
                           correlation_id=f"license-{number}")
    [expired] = await recorder.wait_for(CHANGED, change="expired")
    assert expired.payload["license"]["status"] == "expired"
    assert expired.payload["license"]["version"] == 2
    await settled(peer, recorder, number)
    assert len(recorder.of(CHANGED, change="expired")) == 1
    events = await history(licensing, issuer, number)
    assert events[-1]["before"] == {"status": "active"} and events[-1]["actor"] == "system"


async def test_a_renewal_needs_an_inspection_when_the_office_has_open_findings(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder
) -> None:
    clean = await add_license(store)
    flagged = await add_license(store)
    complained = await add_license(store)
    async with store.uow() as uow:
        _, office = await repository.license_by_number(uow.session, flagged)  # type: ignore[misc]
        uow.session.add(Finding(kind="operator_not_holder", office_id=office.id, case_id="c",
                                task_id="t", county="rasht", found_by="inspector.rasht"))
        uow.session.add(Finding(kind="signage", office_id=office.id, case_id="c", task_id="t",
                                county="rasht", found_by="inspector.rasht", open=False))
        _, other = await repository.license_by_number(uow.session, complained)  # type: ignore[misc]
        uow.session.add(UpheldComplaint(complaint_id="cmp-1", office_id=other.id,
                                        upheld_at=utcnow() - dt.timedelta(days=30)))
        await uow.commit()
    for number, app in ((clean, "a1"), (flagged, "a2"), (complained, "a3")):
        await peer.publish(AssessRenewal(**case(app), license_number=number),
                           correlation_id=f"application-{app}")
    answers = {e.payload["license_number"]: e
               for e in await recorder.wait_for("licensing.renewal.assessed", count=3)}
    assert answers[clean].payload["needs_inspection"] is False
    assert answers[flagged].payload["needs_inspection"] is True
    assert answers[flagged].payload["reasons"] == ["open_finding:operator_not_holder"]
    assert answers[flagged].correlation_id == "application-a2"
    assert answers[complained].payload["reasons"] == ["upheld_complaints:1"]


async def test_the_history_is_for_the_holder_and_the_county_staff_only(
    licensing: httpx.AsyncClient, store: Runtime, peer: Bus, recorder: Recorder,
    issuer: TokenIssuer
) -> None:
    holder = Holder(a_national_code(), "مریم احمدی", "09121234567")
    number = await add_license(store, county="rasht", holder=holder)

    async def status(headers: dict[str, str] | None) -> int:
        return (await licensing.get(f"/licenses/{number}/history", headers=headers)).status_code

    assert await status(issuer.applicant(holder.national_code)) == 200
    assert await status(issuer.applicant(a_national_code())) == 404
    for role in ("licensing_officer", "supervisor", "inspector"):
        assert await status(issuer.headers(f"{role}.rasht", role, county="rasht")) == 200
        assert await status(issuer.headers(f"{role}.fuman", role, county="fuman")) == 404
    assert await status(issuer.headers("clerk.rasht", "clerk", county="rasht")) == 404
    assert await status(issuer.headers("admin", "admin")) == 200
    assert await status(None) == 401
    assert (await licensing.get("/licenses/GL-06-99999/history",
                                headers=issuer.headers("admin", "admin"))).status_code == 404

    # after a transfer the new holder reads it, without the old holder's code or mobile
    new = Applicant(national_code=a_national_code(), name="نرگس خوشرو", mobile="09351234567")
    await peer.publish(TransferLicense(**case("h1"), license_number=number, new_holder=new,
                                       approved_by="officer.rasht"),
                       correlation_id="application-h1")
    await recorder.wait_for(CHANGED, change="transferred")
    assert await status(issuer.applicant(holder.national_code)) == 404
    reply = await licensing.get(f"/licenses/{number}/history",
                                headers=issuer.applicant(new.national_code))
    assert reply.status_code == 200
    moved = reply.json()[-1]
    assert moved["before"]["holder_name"] == "مریم احمدی"
    assert moved["before"]["holder_national_code"] is None
    assert moved["before"]["holder_mobile"] is None
    assert moved["after"]["holder_national_code"] == new.national_code
    assert holder.national_code not in reply.text


async def test_a_renewal_does_not_lift_a_suspension_and_a_revoked_license_is_not_renewed(
    licensing: httpx.AsyncClient, store: Runtime
) -> None:
    suspended = await add_license(store, valid_for_days=20)
    revoked = await add_license(store)
    async with store.uow() as uow:
        await service.suspend(uow, suspended, actor="officer.rasht", reason="tariff")
        await service.revoke(uow, revoked, actor="officer.rasht", reason="sold by proxy")
        await uow.commit()
    today = local_today()
    async with store.uow() as uow:
        event = await service.renew(
            uow, RenewLicense(**case("s1"), license_number=suspended, approved_by="o"),
            term_years=5, grace_days=90, today=today)
        await uow.commit()
    assert event is not None and event.after == {
        "valid_until": service.add_years(today + dt.timedelta(days=20), 5).isoformat()}
    assert (await licensing.get(f"/licenses/{suspended}")).json()["status"] == "suspended"
    async with store.uow() as uow:
        with pytest.raises(service.LicenseRefused) as refused:
            await service.renew(uow, RenewLicense(**case("s2"), license_number=revoked,
                                                  approved_by="o"),
                                term_years=5, grace_days=90, today=today)
    assert refused.value.code == "license_revoked"
