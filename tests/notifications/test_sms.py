"""The Kavenegar adapter against a local server that speaks the gateway's API: what it
sends, how each answer is understood (sent, try again later, give up), timeouts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from services.notifications.channels import (
    DeliveryFailed,
    KavenegarSms,
    Outgoing,
    Receipt,
)
from services.notifications.simulator import GatewaySimulator, Reply
from tests.notifications.conftest import API_KEY

MOBILE = "09121234567"
TEXT = "پروانه دفتر پیشخوان شما به شماره GL-۰۶-۰۰۰۱۲۳ صادر شد؛ اعتبار تا ۱۴۱۰/۰۱/۰۱."


@pytest.fixture
async def sms(gateway: GatewaySimulator) -> AsyncIterator[KavenegarSms]:
    channel = KavenegarSms(api_key=API_KEY, sender="10004346", base_url=gateway.base_url,
                           timeout_seconds=0.5)
    yield channel
    await channel.close()


def message(delivery_id: str = "0123456789abcdef0123456789abcdef") -> Outgoing:
    return Outgoing(delivery_id=delivery_id, address=MOBILE, language="fa", text=TEXT)


async def test_a_message_is_posted_as_the_gateway_expects(sms: KavenegarSms,
                                                          gateway: GatewaySimulator) -> None:
    receipt = await sms.send(message())

    assert isinstance(receipt, Receipt) and receipt.provider_message_id
    [request] = gateway.requests
    assert request.path == f"/v1/{API_KEY}/sms/send.json"
    assert request.form["receptor"] == MOBILE
    assert request.form["sender"] == "10004346"
    assert request.form["message"] == TEXT  # Persian intact
    assert request.form["localid"] == str(int("0123456789abcde", 16))


# (gateway status, transient?)
STATUSES = [
    (400, False), (401, False), (402, True), (403, False), (404, False), (405, False),
    (406, False), (407, False), (409, True), (411, False), (412, False), (413, False),
    (414, False), (415, False), (416, False), (417, False), (418, False), (419, False),
    (422, False), (429, True), (451, True), (501, False), (500, True), (503, True),
    (499, False),  # not documented: a client-side status is not retried
]


@pytest.mark.parametrize(("status", "transient"), STATUSES)
async def test_each_gateway_error_is_transient_or_permanent(
    sms: KavenegarSms, gateway: GatewaySimulator, status: int, transient: bool
) -> None:
    gateway.script(MOBILE, Reply(status=status))
    with pytest.raises(DeliveryFailed) as failed:
        await sms.send(message())
    assert failed.value.code == str(status)
    assert failed.value.transient is transient
    assert f"error {status}" in failed.value.reason  # the gateway's own words are kept


async def test_an_error_page_from_a_proxy_is_transient_when_it_is_a_5xx(
    sms: KavenegarSms, gateway: GatewaySimulator
) -> None:
    gateway.script(MOBILE, Reply(status=502, http_only=True), Reply(status=404, http_only=True))
    with pytest.raises(DeliveryFailed) as bad_gateway:
        await sms.send(message())
    assert bad_gateway.value.transient and bad_gateway.value.code == "502"
    with pytest.raises(DeliveryFailed) as not_found:
        await sms.send(message())
    assert not not_found.value.transient and not_found.value.code == "404"


async def test_a_5xx_then_success(sms: KavenegarSms, gateway: GatewaySimulator) -> None:
    gateway.script(MOBILE, Reply(status=503, http_only=True))
    with pytest.raises(DeliveryFailed) as failed:
        await sms.send(message())
    assert failed.value.transient
    receipt = await sms.send(message())
    assert receipt.provider_message_id
    assert len(gateway.sent_to(MOBILE)) == 2


async def test_no_reply_in_time_is_transient(sms: KavenegarSms, gateway: GatewaySimulator) -> None:
    gateway.script(MOBILE, Reply(pause=1.5))
    with pytest.raises(DeliveryFailed) as failed:
        await sms.send(message())
    assert failed.value.code == "timeout" and failed.value.transient


async def test_an_unreachable_gateway_is_transient() -> None:
    from tests.conftest import free_port

    channel = KavenegarSms(api_key=API_KEY, sender=None,
                           base_url=f"http://127.0.0.1:{free_port()}", timeout_seconds=0.5)
    try:
        with pytest.raises(DeliveryFailed) as failed:
            await channel.send(message())
    finally:
        await channel.close()
    assert failed.value.code == "connection" and failed.value.transient


@pytest.mark.parametrize(("entry_status", "transient"), [(6, True), (14, False)])
async def test_a_refused_entry_in_an_accepted_reply_is_a_failure(
    sms: KavenegarSms, gateway: GatewaySimulator, entry_status: int, transient: bool
) -> None:
    gateway.script(MOBILE, Reply(entry_status=entry_status))
    with pytest.raises(DeliveryFailed) as failed:
        await sms.send(message())
    assert failed.value.code == f"entry_{entry_status}"
    assert failed.value.transient is transient


async def test_the_api_key_never_reaches_the_log(sms: KavenegarSms, gateway: GatewaySimulator,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    gateway.script(MOBILE, Reply(), Reply(status=403))
    with caplog.at_level(logging.DEBUG):
        await sms.send(message())
        with pytest.raises(DeliveryFailed) as failed:
            await sms.send(message())
    assert any("sms/send.json" in r.getMessage() for r in caplog.records)  # httpx logged it
    assert all(API_KEY not in r.getMessage() for r in caplog.records)
    assert API_KEY not in str(failed.value)


async def test_the_settings_choose_the_provider_and_insist_on_its_key() -> None:
    from pydantic import ValidationError

    from services.notifications.channels import LogChannel, channels_from_settings
    from services.notifications.settings import NotificationsSettings

    assert isinstance(channels_from_settings(NotificationsSettings())["sms"], LogChannel)
    with pytest.raises(ValidationError, match="sms_api_key is required"):
        NotificationsSettings(sms_provider="kavenegar")
    chosen = channels_from_settings(NotificationsSettings(sms_provider="kavenegar",
                                                          sms_api_key="k"))
    assert isinstance(chosen["sms"], KavenegarSms) and isinstance(chosen["email"], LogChannel)
    for channel in chosen.values():
        await channel.close()


# -- the status of a localid ---------------------------------------------------------------

async def test_the_status_of_a_sent_message_is_asked_by_its_localid(
    sms: KavenegarSms, gateway: GatewaySimulator
) -> None:
    assert await sms.status(message().delivery_id) is None  # never sent
    sent = await sms.send(message())
    known = await sms.status(message().delivery_id)
    assert known is not None and known.provider_message_id == sent.provider_message_id
    assert known.detail == "در صف ارسال"
    assert await sms.status("fedcba9876543210fedcba9876543210") is None
    assert len(gateway.requests) == 1  # asking sends nothing


async def test_a_status_query_the_gateway_cannot_answer_leaves_the_outcome_unknown(
    sms: KavenegarSms, gateway: GatewaySimulator
) -> None:
    gateway.script_status(Reply(status=502, http_only=True), Reply(pause=1.5))
    for code in ("502", "timeout"):
        with pytest.raises(DeliveryFailed) as failed:
            await sms.status(message().delivery_id)
        assert failed.value.code == code and failed.value.transient and failed.value.unknown


async def test_a_message_the_gateway_took_and_failed_is_a_failure_when_asked(
    sms: KavenegarSms, gateway: GatewaySimulator
) -> None:
    gateway.script(MOBILE, Reply(entry_status=14))
    with pytest.raises(DeliveryFailed):
        await sms.send(message())
    with pytest.raises(DeliveryFailed) as failed:
        await sms.status(message().delivery_id)
    assert failed.value.code == "entry_14" and not failed.value.unknown


async def test_a_reply_cut_short_after_the_request_went_out_is_an_unknown_outcome(
    sms: KavenegarSms, gateway: GatewaySimulator
) -> None:
    gateway.script(MOBILE, Reply(pause=1.5))
    with pytest.raises(DeliveryFailed) as failed:
        await sms.send(message())
    assert failed.value.unknown  # the gateway took it: its answer came too late
    from tests.conftest import free_port

    nowhere = KavenegarSms(api_key=API_KEY, sender=None,
                           base_url=f"http://127.0.0.1:{free_port()}", timeout_seconds=0.5)
    try:
        with pytest.raises(DeliveryFailed) as refused:
            await nowhere.send(message())
    finally:
        await nowhere.close()
    assert not refused.value.unknown  # nothing was written to anyone
