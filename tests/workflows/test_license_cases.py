"""Renewal, transfer and change of address as workflows: what they ask of the services,
in what order, and how they end."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.contracts.applications import Applicant, ApplicationConsented
from services.contracts.licensing import (
    LicenseChanged,
    LicenseChangeRefused,
    LicenseSnapshot,
    RenewalAssessed,
)
from tests.workflows.conftest import Harness, policies
from tests.workflows.test_new_license_workflow import completed, opened
from workflows.address_change.workflow import AddressChangeWorkflow
from workflows.renewal.workflow import RenewalWorkflow
from workflows.transfer.workflow import TransferWorkflow

NUMBER = "GL-06-000123"
NEW_HOLDER = Applicant(national_code="0013542419", name="Reza Karimi", mobile="09111111111")


def changed(handle_id: str, change: str, *, holder: str = "0499370899",
            address: str = "Rasht", until: date | None = None) -> LicenseChanged:
    app_id = handle_id.removeprefix("application-")
    return LicenseChanged(
        change=change, actor="officer.rasht", occurred_at=datetime.now(UTC),  # type: ignore[arg-type]
        application_id=app_id, case_id=handle_id,
        license=LicenseSnapshot(
            number=NUMBER, status="active", holder_national_code=holder, holder_name="x",
            holder_mobile="09121234567", office_id="o1", county="rasht", area="urban",
            address=address, issued_at=datetime.now(UTC),
            valid_until=until or date(2031, 1, 1), version=2))


async def decide(h: Harness, handle: Any, actor: str = "clerk.rasht") -> None:
    decision = (await h.licensing.wait_for(opened("licensing_decision")))[0]["payload"]
    await handle.signal("task_completed", completed(decision, "approve", "officer.rasht"))


async def review(h: Harness, handle: Any) -> None:
    task = (await h.applications.wait_for(opened("document_review")))[0]["payload"]
    await handle.signal("task_completed", completed(task, "accept", "clerk.rasht"))


async def test_a_renewal_without_findings_skips_the_inspection(harness: Harness) -> None:
    h = harness
    handle = await h.start(policies(), RenewalWorkflow, license_number=NUMBER)
    await review(h, handle)
    assess = (await h.lifecycle.wait_for(lambda m: m["type"] == "licensing.renewal.assess"))
    await handle.signal("renewal_assessed", RenewalAssessed(
        application_id=assess[0]["payload"]["application_id"], case_id=handle.id,
        license_number=NUMBER, needs_inspection=False))
    await decide(h, handle)
    renew = await h.lifecycle.wait_for(lambda m: m["type"] == "licensing.license.renew")
    assert renew[0]["payload"]["license_number"] == NUMBER
    await handle.signal("license_changed", changed(handle.id, "renewed", until=date(2032, 5, 1)))
    result = await handle.result()
    assert result.status == "renewed"
    assert not [m for m in await h.licensing.drain() if opened("site_inspection")(m)]
    notice = await h.notices.wait_for(lambda m: m["payload"]["template"] == "license_renewed")
    assert notice[0]["payload"]["data"]["valid_until"] == "2032-05-01"


async def test_a_renewal_with_open_findings_is_inspected(harness: Harness) -> None:
    h = harness
    handle = await h.start(policies(), RenewalWorkflow, license_number=NUMBER)
    await review(h, handle)
    await h.lifecycle.wait_for(lambda m: m["type"] == "licensing.renewal.assess")
    await handle.signal("renewal_assessed", RenewalAssessed(
        application_id=handle.id.removeprefix("application-"), case_id=handle.id,
        license_number=NUMBER, needs_inspection=True, reasons=["open finding"]))
    inspection = (await h.licensing.wait_for(opened("site_inspection")))[0]["payload"]
    await handle.signal("task_completed", completed(inspection, "fail", "inspector.rasht",
                                                    reason="run by a proxy"))
    result = await handle.result()
    assert result.status == "rejected" and result.rejected_at_step == "site_inspection"
    assert [m for m in await h.lifecycle.drain() if m["type"] == "licensing.license.renew"] == []


async def test_a_transfer_waits_for_the_new_holder_then_changes_holder(harness: Harness) -> None:
    h = harness
    handle = await h.start(policies(), TransferWorkflow, license_number=NUMBER,
                           new_holder=NEW_HOLDER)
    ask = await h.notices.wait_for(
        lambda m: m["payload"]["template"] == "transfer_consent_requested")
    assert ask[0]["payload"]["recipient"]["id"] == NEW_HOLDER.national_code
    assert [m for m in await h.applications.drain() if opened("document_review")(m)] == []
    await handle.signal("consented", ApplicationConsented(
        application_id=handle.id.removeprefix("application-"), case_id=handle.id,
        national_code=NEW_HOLDER.national_code, consented_at=datetime.now(UTC)))
    await review(h, handle)
    await decide(h, handle)
    transfer = await h.lifecycle.wait_for(lambda m: m["type"] == "licensing.license.transfer")
    assert transfer[0]["payload"]["new_holder"]["national_code"] == NEW_HOLDER.national_code
    await handle.signal("license_changed",
                        changed(handle.id, "transferred", holder=NEW_HOLDER.national_code))
    result = await handle.result()
    assert result.status == "transferred"
    told = await h.notices.wait_for(
        lambda m: m["payload"]["template"] == "license_transferred", count=2)
    assert {(n["payload"]["recipient"]["id"], n["payload"]["data"]["audience"]) for n in told} == {
        ("0499370899", "previous"), (NEW_HOLDER.national_code, "new")}


async def test_a_transfer_without_consent_is_abandoned(harness: Harness) -> None:
    h = harness
    handle = await h.start(policies(), TransferWorkflow, license_number=NUMBER,
                           new_holder=NEW_HOLDER)
    await h.notices.wait_for(lambda m: m["payload"]["template"] == "transfer_consent_requested")
    result = await handle.result()  # fourteen days pass in a moment
    assert result.status == "abandoned"
    assert [m for m in await h.lifecycle.drain() if m["type"] == "licensing.license.transfer"] == []


async def test_a_change_of_address_is_inspected_decided_and_applied(harness: Harness) -> None:
    h = harness
    handle = await h.start(policies(), AddressChangeWorkflow, license_number=NUMBER)
    inspection = (await h.licensing.wait_for(opened("site_inspection")))[0]["payload"]
    assert inspection["data"]["address"] == "Rasht, Imam Khomeini St. 12"
    await handle.signal("task_completed", completed(inspection, "pass", "inspector.rasht"))
    await decide(h, handle)
    relocate = await h.lifecycle.wait_for(lambda m: m["type"] == "licensing.license.relocate")
    assert relocate[0]["payload"]["new_address"] == "Rasht, Imam Khomeini St. 12"
    await handle.signal("license_changed", changed(handle.id, "relocated",
                                                   address="Rasht, Imam Khomeini St. 12"))
    result = await handle.result()
    assert result.status == "relocated"
    await h.notices.wait_for(lambda m: m["payload"]["template"] == "address_changed")


async def test_a_renewal_licensing_refuses_ends_rejected_with_the_reason(
        harness: Harness) -> None:
    """The license was revoked while the renewal was decided: the case does not wait."""
    h = harness
    handle = await h.start(policies(), RenewalWorkflow, license_number=NUMBER)
    await review(h, handle)
    assess = (await h.lifecycle.wait_for(lambda m: m["type"] == "licensing.renewal.assess"))
    await handle.signal("renewal_assessed", RenewalAssessed(
        application_id=assess[0]["payload"]["application_id"], case_id=handle.id,
        license_number=NUMBER, needs_inspection=False))
    await decide(h, handle)
    renew = await h.lifecycle.wait_for(lambda m: m["type"] == "licensing.license.renew")
    await handle.signal("license_refused", LicenseChangeRefused(
        application_id=renew[0]["payload"]["application_id"], case_id=handle.id,
        license_number=NUMBER, command="licensing.license.renew", code="license_revoked",
        detail=NUMBER, refused_at=datetime.now(UTC)))
    result = await handle.result()
    assert result.status == "rejected" and result.rejected_at_step == "renewal"
    assert result.reason == f"license_revoked: {NUMBER}"
    last = (await h.statuses(handle.id))[-1]
    assert last["status"] == "rejected" and last["actor"] == "licensing"
    told = await h.notices.wait_for(
        lambda m: m["correlation_id"] == handle.id
        and m["payload"]["template"] == "application_rejected")
    assert told[0]["payload"]["data"]["reason"] == f"license_revoked: {NUMBER}"
