"""The local SMS gateway as `make run` starts it: a process of its own, in Kavenegar's
request shape, answering a repeated localid with the first send, listing what it received
and misbehaving when told to."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from services.notifications.simulator import LOCAL_API_KEY
from tests.notifications.conftest import simulator_process

MOBILE = "09121234567"


@pytest.fixture
def simulator() -> Iterator[str]:
    with simulator_process() as url:
        yield url


def test_a_repeated_localid_is_answered_with_the_first_send(simulator: str) -> None:
    api = f"{simulator}/v1/{LOCAL_API_KEY}/sms"
    with httpx.Client(timeout=5) as client:
        form = {"receptor": MOBILE, "message": "پیام", "sender": "10004346", "localid": "42"}
        first = client.post(f"{api}/send.json", data=form).json()
        again = client.post(f"{api}/send.json", data=form).json()
        other = client.post(f"{api}/send.json", data={**form, "localid": "43"}).json()
        status = client.get(f"{api}/statuslocalmessageid.json",
                            params={"localid": "42,44"}).json()
        wrong_key = client.post(f"{simulator}/v1/nope/sms/send.json", data=form)
        sent = client.get(f"{simulator}/_sent").json()

    assert first["return"]["status"] == 200 and first["entries"][0]["message"] == "پیام"
    assert again["entries"][0]["messageid"] == first["entries"][0]["messageid"]
    assert other["entries"][0]["messageid"] != first["entries"][0]["messageid"]
    known, unknown = status["entries"]
    assert known["messageid"] == first["entries"][0]["messageid"] and known["localid"] == "42"
    assert known["status"] == 1 and unknown["status"] == 100
    assert wrong_key.status_code == 403 and wrong_key.json()["return"]["status"] == 403
    assert [(r["form"]["localid"], r["repeat"]) for r in sent] == [
        ("42", False), ("42", True), ("43", False), ("42", False)]
    assert sent[-1]["message_id"] is None  # the refused one took nothing


def test_it_misbehaves_when_told_to(simulator: str) -> None:
    api = f"{simulator}/v1/{LOCAL_API_KEY}/sms"
    with httpx.Client(timeout=5) as client:
        told = client.post(f"{simulator}/_script/send/{MOBILE}",
                           json=[{"status": 503, "http_only": True}, {"pause": 1.0},
                                 {"status": 418}])
        assert told.status_code == 204
        form = {"receptor": MOBILE, "message": "x", "localid": "7"}
        proxy = client.post(f"{api}/send.json", data=form)
        with pytest.raises(httpx.ReadTimeout):
            client.post(f"{api}/send.json", data=form, timeout=0.3)
        credit = client.post(f"{api}/send.json", data={**form, "localid": "8"})
        # the held one was taken before its answer was held back
        status = client.get(f"{api}/statuslocalmessageid.json", params={"localid": "7"})
        client.post(f"{simulator}/_script/status", json=[{"status": 502, "http_only": True}])
        down = client.get(f"{api}/statuslocalmessageid.json", params={"localid": "7"})
        bad = client.post(f"{simulator}/_script/send/{MOBILE}", content="[{\"colour\": 1}]")

    assert proxy.status_code == 503 and "proxy" in proxy.text
    assert credit.status_code == 418 and credit.json()["return"]["status"] == 418
    assert status.json()["entries"][0]["status"] == 1
    assert down.status_code == 502
    assert bad.status_code == 422
