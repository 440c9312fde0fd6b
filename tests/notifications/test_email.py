"""The SMTP channel against a real SMTP server on 127.0.0.1 (aiosmtpd): both parts, the
headers, Persian intact; refusals understood as transient or permanent."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest

from services.notifications.channels import DeliveryFailed, Outgoing, SmtpEmail
from services.notifications.rendering import Renderer
from tests.conftest import free_port
from tests.notifications.conftest import SmtpServer

TO = "maryam@example.org"


def channel(smtp: SmtpServer | None, port: int | None = None) -> SmtpEmail:
    return SmtpEmail(
        host="127.0.0.1", port=port or (smtp.port if smtp else free_port()), username=None,
        password=None, starttls=False, implicit_tls=False, timeout_seconds=2,
        from_address="no-reply@pishkhan.test", from_name="پیشخوان خدمات دولت",
    )


def notice(to: str = TO) -> Outgoing:
    rendered = Renderer(timezone="Asia/Tehran", public_base_url="https://pishkhan.example.ir"
                        ).render("license_issued", {"application_id": "3f9a1c2e",
                                                    "license_number": "GL-06-000123",
                                                    "valid_until": "2031-03-21"})["fa"]
    return Outgoing(delivery_id="a1b2c3d4e5f60718293a4b5c6d7e8f90", address=to, language="fa",
                    subject=rendered.subject, text=rendered.email_text, html=rendered.html)


async def test_a_notice_arrives_with_both_parts_and_proper_headers(smtp: SmtpServer) -> None:
    receipt = await channel(smtp).send(notice())

    [received] = smtp.sink.received
    assert received.rcpt_tos == [TO] and received.mail_from == "no-reply@pishkhan.test"
    message = received.message
    assert message["Subject"] == "پروانه دفتر پیشخوان شما صادر شد"
    assert message["From"].addresses[0].display_name == "پیشخوان خدمات دولت"
    assert message["From"].addresses[0].addr_spec == "no-reply@pishkhan.test"
    assert message["To"] == TO
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Message-ID"] == "<a1b2c3d4e5f60718293a4b5c6d7e8f90@pishkhan.test>"
    assert receipt.provider_message_id == message["Message-ID"]
    assert message.get_content_type() == "multipart/alternative"

    plain, html = message.iter_parts()
    assert plain.get_content_type() == "text/plain" and plain.get_content_charset() == "utf-8"
    assert html.get_content_type() == "text/html" and html.get_content_charset() == "utf-8"
    assert "به شماره GL-۰۶-۰۰۰۱۲۳ صادر شد؛ اعتبار تا ۱۴۱۰/۰۱/۰۱" in plain.get_content()
    assert "https://pishkhan.example.ir/applications/3f9a1c2e" in plain.get_content()
    assert '<html lang="fa" dir="rtl">' in html.get_content()
    assert "۱ فروردین ۱۴۱۰" in html.get_content()


async def test_the_raw_message_keeps_headers_ascii_and_is_utf8(smtp: SmtpServer) -> None:
    await channel(smtp).send(notice())
    raw = smtp.sink.received[0].message.as_bytes()
    headers = raw.split(b"\n\n", 1)[0]
    headers.decode("ascii")  # Persian headers travel encoded (RFC 2047)
    assert b"=?utf-8?" in headers


@pytest.mark.parametrize(("reply", "transient"), [
    ("550 5.1.1 mailbox unavailable", False),
    ("451 4.3.0 try again later", True),
])
async def test_a_refused_recipient_is_permanent_or_transient_by_its_code(
    smtp: SmtpServer, reply: str, transient: bool
) -> None:
    smtp.sink.refuse["gone@example.org"] = reply
    with pytest.raises(DeliveryFailed) as failed:
        await channel(smtp).send(notice("gone@example.org"))
    assert failed.value.transient is transient
    assert failed.value.code == f"smtp_{reply[:3]}"
    assert reply[4:] in failed.value.reason
    assert smtp.sink.received == []


async def test_no_server_is_transient() -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await channel(None).send(notice())
    assert failed.value.transient and failed.value.code == "connection"


async def test_starttls_asked_of_a_server_without_it_is_permanent(smtp: SmtpServer) -> None:
    strict = channel(smtp)
    strict.starttls = True
    with pytest.raises(DeliveryFailed) as failed:
        await strict.send(notice())
    assert not failed.value.transient and failed.value.code == "smtp_config"
