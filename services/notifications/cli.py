"""Operators' commands on the deliveries, against the service's database (its
NOTIFICATIONS_DATABASE_URL):

    python -m services.notifications.cli failed [--limit N]     list failed deliveries
    python -m services.notifications.cli resend ID [ID ...]     put failed ones back to pending

A running service's dispatcher picks a resent delivery up at its next poll."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from services.kit.db import Database, utcnow
from services.kit.uow import UnitOfWork
from services.notifications import repository
from services.notifications.models import Delivery
from services.notifications.settings import NotificationsSettings

HEADER = "id\tchannel\taddress\trecipient\ttemplate\tcase\tattempts\tfailed_at\treason"


def _row(delivery: Delivery) -> str:
    when = delivery.completed_at.isoformat(timespec="seconds") if delivery.completed_at else "-"
    return "\t".join((delivery.id, delivery.channel, delivery.address or "-",
                      delivery.recipient_id, delivery.template, delivery.case_id,
                      str(delivery.attempts), when, delivery.reason or "-"))


async def list_failed(db: Database, limit: int) -> int:
    async with db.sessionmaker() as session:
        rows = await repository.failed_deliveries(session, limit=limit)
    print(HEADER)
    for delivery in rows:
        print(_row(delivery))
    print(f"{len(rows)} failed", file=sys.stderr)
    return 0


async def resend(db: Database, ids: Sequence[str]) -> int:
    status = 0
    for delivery_id in ids:
        async with UnitOfWork(db) as uow:
            if await repository.reopen(uow.session, delivery_id, now=utcnow()):
                await uow.commit()
                print(f"{delivery_id}: pending again")
                continue
            found = await repository.delivery(uow.session, delivery_id)
        status = 1
        if found is None:
            why = "no such delivery"
        elif found.content_pruned_at is not None:
            why = "its content was removed after the keep period"
        else:
            why = f"it is {found.status}, not failed"
        print(f"{delivery_id}: not resent: {why}", file=sys.stderr)
    return status


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m services.notifications.cli",
                                  description="Operate on notification deliveries.")
    commands = cli.add_subparsers(dest="command", required=True)
    failed = commands.add_parser("failed", help="list failed deliveries, newest first")
    failed.add_argument("--limit", type=int, default=100)
    again = commands.add_parser("resend", help="put failed deliveries back to pending")
    again.add_argument("delivery_id", nargs="+")
    return cli


async def run(args: argparse.Namespace, settings: NotificationsSettings) -> int:
    db = Database(settings.database_url)
    try:
        if args.command == "failed":
            return await list_failed(db, args.limit)
        return await resend(db, args.delivery_id)
    except (OperationalError, DBAPIError) as exc:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        print(f"cannot read the deliveries at {where}: {exc.orig}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return asyncio.run(run(args, NotificationsSettings()))


if __name__ == "__main__":
    sys.exit(main())
