"""The operators' command line against the service's database: once as a process, as an
operator runs it, then in this process (quicker) for the rest."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.kit.db import Database, utcnow
from services.notifications import cli as notifications_cli
from services.notifications.app import MIGRATIONS
from services.notifications.models import FAILED, PENDING, SENT, Delivery
from tests.conftest import migrate

ROOT = Path(__file__).resolve().parents[2]


def delivery(n: int, status: str, reason: str | None = None) -> Delivery:
    return Delivery(notification_key=f"application-c{n}:issued", recipient_id="0499370899",
                    channel="sms", address="09121234567", template="license_issued",
                    case_id=f"application-c{n}", language="fa", body="پیام", body_fa="پیام",
                    body_en="message", status=status, attempts=3, reason=reason,
                    completed_at=utcnow())


async def command(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NOTIFICATIONS_DATABASE_URL": database_url}
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "services.notifications.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


async def test_failed_lists_them_and_resend_puts_one_back(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", database_url)

    async def cli(*args: str) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        code = await asyncio.to_thread(notifications_cli.main, list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    db = Database(database_url, schema=MIGRATIONS)
    await migrate(db)
    failed = delivery(1, FAILED, "411: the receptor is not valid (error 411)")
    sent = delivery(2, SENT)
    async with db.sessionmaker() as session:
        session.add_all([failed, sent])
        await session.commit()

    listed = await command(database_url, "failed")
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()
    assert rows[0].startswith("id\tchannel")
    assert len(rows) == 2 and rows[1].startswith(f"{failed.id}\tsms\t09121234567")
    assert rows[1].endswith("411: the receptor is not valid (error 411)")

    resent = await cli("resend", failed.id)
    assert resent.returncode == 0, resent.stderr
    assert resent.stdout.strip() == f"{failed.id}: pending again"
    async with db.sessionmaker() as session:
        again = await session.get(Delivery, failed.id)
        assert again is not None
        assert again.status == PENDING and again.attempts == 0 and again.reason is None
        assert again.next_attempt_at <= utcnow()

    refused = await cli("resend", sent.id, "no-such-delivery")
    assert refused.returncode == 1
    assert f"{sent.id}: not resent: it is sent, not failed" in refused.stderr
    assert "no-such-delivery: not resent: no such delivery" in refused.stderr
    assert (await cli("failed")).stdout.splitlines()[1:] == []
    await db.dispose()
