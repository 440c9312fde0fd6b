"""Operators' command line: ``python -m services.kit.cli dlq list|show|replay|purge`` for the
bus, ``db upgrade|current|check|revision`` for the services' databases and ``backup
create|restore`` of the platform's data (installed as ``pishkhan``).

It reaches RabbitMQ the way the services do: ``PISHKHAN_RABBIT_URL``, ``PISHKHAN_EXCHANGE``
and ``PISHKHAN_QUEUE_PREFIX`` from the environment, or ``--rabbit-url``, ``--exchange`` and
``--queue-prefix``; each database through its service's own settings
(``APPLICATIONS_DATABASE_URL`` …). Exit status: 0 done, 1 some message not replayed or not
found, or a database not at its revision, 2 a usage or connection problem.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import aiormq
from pydantic_settings import SettingsConfigDict
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from services.kit.dlq import DeadLetter, DeadLetterQueues, DlqError, ReplayOutcome
from services.kit.migrations import SchemaNotCurrent
from services.kit.settings import ServiceSettings

OK, NOT_ALL_DONE, USAGE = 0, 1, 2


class CliSettings(ServiceSettings):
    """The bus settings of the services, read as ``PISHKHAN_RABBIT_URL`` and so on."""

    model_config = SettingsConfigDict(env_prefix="PISHKHAN_", extra="ignore")


REPLAY_HELP = """\
Republish dead letters to the exchange and routing key they were first published with
(from the x-pishkhan-original-* headers, or RabbitMQ's x-death header for messages the
broker dead-lettered after the delivery limit), and remove each from the dead-letter queue
only once the broker has confirmed it. Messages not selected, and any whose publish fails,
stay in the dead-letter queue in their order.

Replay is safe: every service records the ids of the messages it handled (its inbox) in
the same transaction as their effect, so a message handled before is acknowledged and
skipped; the workflows bridge starts a case's workflow under the case id and takes a
task's completion once per task, so a repeat changes nothing there either. A routing key
bound to several queues (identity.user.changed, say) reaches all of them again; the others
skip it as a duplicate. --direct sends it to the one queue that gave up on it instead.

Fix the cause first (see the reason with `dlq show`): a message replayed into the same
fault is dead-lettered again."""


def _connection_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("broker")
    group.add_argument("--rabbit-url", help="AMQP URL (env PISHKHAN_RABBIT_URL; default "
                                            "amqp://guest:guest@127.0.0.1:5672/)")
    group.add_argument("--exchange", help="the services' topic exchange "
                                          "(env PISHKHAN_EXCHANGE; default pishkhan)")
    group.add_argument("--queue-prefix", help="prefix of every queue name "
                                              "(env PISHKHAN_QUEUE_PREFIX; default none)")
    group.add_argument("--json", action="store_true", help="print JSON instead of tables")
    return common


def parser() -> argparse.ArgumentParser:
    common = _connection_options()
    top = argparse.ArgumentParser(prog="pishkhan", description="Pishkhan operators' commands.")
    commands = top.add_subparsers(dest="command", required=True)
    dlq = commands.add_parser(
        "dlq", help="dead-letter queues: list, show, replay, purge",
        description="Dead-letter queues: every consumer's queue has a <queue>.dlq beside it.")
    verbs = dlq.add_subparsers(dest="verb", required=True)

    listing = verbs.add_parser("list", parents=[common],
                               help="every dead-letter queue of the topology, with counts")
    listing.add_argument("--messages", action="store_true",
                         help="also each dead letter's id, type and reason")
    listing.add_argument("--limit", type=_positive, default=20,
                         help="with --messages: at most this many per queue (default 20)")

    show = verbs.add_parser("show", parents=[common], help="the dead letters of one queue")
    show.add_argument("queue", help="dead-letter queue, e.g. notifications.notification-request"
                                    "(.dlq)")
    show.add_argument("--limit", type=_positive, default=20,
                      help="at most this many, from the head (default 20)")

    replay = verbs.add_parser("replay", parents=[common], help="put dead letters back on "
                              "their original route", description=REPLAY_HELP,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    replay.add_argument("queue", help="dead-letter queue")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--message-id", action="append", default=[], metavar="ID",
                       help="replay this message (repeat for several)")
    which.add_argument("--all", action="store_true", help="replay every message")
    replay.add_argument("--limit", type=_positive,
                        help="replay at most this many, from the head")
    replay.add_argument("--direct", action="store_true",
                        help="deliver only to the queue that gave up on it (default exchange) "
                             "rather than to its original exchange and routing key")

    purge = verbs.add_parser("purge", parents=[common],
                             help="delete every message of a dead-letter queue")
    purge.add_argument("queue", help="dead-letter queue")
    purge.add_argument("--yes", action="store_true",
                       help="really delete them (they cannot be replayed afterwards)")
    _db_parser(commands)

    # backup knows every service's settings, which the kit must not import: it lives in
    # services.backup and is loaded only here
    from services.backup import add_commands as add_backup_commands
    add_backup_commands(commands)
    return top


DB_HELP = """\
Schema migrations of every service's own database (Alembic, one version table per service:
alembic_version_<service>). Each service reads its database's URL from its own settings
(APPLICATIONS_DATABASE_URL and so on). A service refuses to start on a database that is not
at the revision its code needs, and names the command that brings it there."""


def _db_parser(commands: Any) -> None:
    db = commands.add_parser("db", help="the services' databases: upgrade, current, check, "
                             "revision", description=DB_HELP,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = db.add_subparsers(dest="verb", required=True)
    upgrade = verbs.add_parser("upgrade", help="migrate databases to this code's revision")
    upgrade.add_argument("services", nargs="*", metavar="SERVICE",
                         help="identity, applications, licensing, complaints, notifications, "
                              "portal (default: all)")
    for verb, text in (("current", "each database's revision and this code's"),
                       ("check", "exit 1 unless every database is at this code's revision")):
        sub = verbs.add_parser(verb, help=text)
        sub.add_argument("services", nargs="*", metavar="SERVICE", help="default: all")
    revision = verbs.add_parser(
        "revision", help="write a service's next migration (for developers)",
        description="Write services/<service>/alembic/versions/<number>_<message>.py. With "
                    "--autogenerate, from the difference between the models and the "
                    "service's database (which must be at the current head): review it "
                    "before committing.")
    revision.add_argument("service")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--autogenerate", action="store_true")


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def settings_from(args: argparse.Namespace) -> CliSettings:
    given = {key: value for key in ("rabbit_url", "exchange", "queue_prefix")
             if (value := getattr(args, key, None)) is not None}
    return CliSettings(**given)


# -- output ---------------------------------------------------------------------------

def _console(stream: TextIO) -> Console:
    console = Console(file=stream, highlight=False)
    if not console.is_terminal:
        # piped or captured: wide enough that ids and routing keys are not wrapped
        console = Console(file=stream, highlight=False, width=200)
    return console


def _letter_json(letter: DeadLetter, route: str | None) -> dict[str, Any]:
    try:
        body: Any = json.loads(letter.body)
    except ValueError:
        body = letter.body.decode("utf-8", "replace")
    return {
        "message_id": letter.message_id, "type": letter.type,
        "correlation_id": letter.correlation_id, "reason": letter.reason,
        "error": letter.error, "queue": letter.queue, "original_route": route,
        "x_death": [vars(death) | {"routing_keys": list(death.routing_keys)}
                    for death in letter.deaths],
        "replays": letter.replays, "body": body,
    }


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _route_text(letter: DeadLetter, dlq: str) -> str:
    route = letter.route(dead_letter_queue=dlq)
    if route is None:
        return "unknown (no x-pishkhan-original-* or x-death header)"
    return f"{route}  (from {route.source})"


def _print_letter(console: Console, letter: DeadLetter, dlq: str, n: int, total: int) -> None:
    console.rule(f"{n}/{total}  {escape(letter.message_id or '(no message id)')}")
    rows = [
        ("message_id", letter.message_id or "-"),
        ("type", letter.type or "-"),
        ("case", letter.correlation_id or "-"),
        ("reason", letter.reason),
        ("error", letter.error or "-"),
        ("queue", letter.queue or "-"),
        ("original route", _route_text(letter, dlq)),
    ]
    for death in letter.deaths:
        keys = ",".join(death.routing_keys)
        rows.append(("x-death", (f"queue={death.queue} reason={death.reason} "
                                 f"count={death.count} exchange={death.exchange} "
                                 f"routing-keys={keys} time={death.time}")))
    if letter.replays:
        rows.append(("replayed before", _times(letter.replays)))
    if letter.delivery_count:
        # each read returns it to the queue; RabbitMQ 4.0-4.2 count those returns against a
        # quorum queue's delivery limit (20 by default)
        rows.append(("read before", _times(letter.delivery_count)))
    for key, value in rows:
        # continuation lines of a long error line up under its first
        text = str(value).rstrip("\n").replace("\n", "\n" + " " * 16)
        console.print(f"{key + ':':<16}{text}", markup=False, soft_wrap=True)
    console.print("body:", markup=False)
    console.print(letter.body_text(), markup=False, soft_wrap=True)


# -- commands -------------------------------------------------------------------------

async def cmd_list(queues: DeadLetterQueues, args: argparse.Namespace, out: Console) -> int:
    counts = await queues.counts()
    peeked: dict[str, list[DeadLetter]] = {}
    if args.messages:
        for count in counts:
            if count.messages:
                peeked[count.name] = await queues.peek(count.name, limit=args.limit)
    if args.json:
        out.print_json(data=[{
            "queue": c.name, "source": c.source, "messages": c.messages,
            "consumers": c.consumers, "source_messages": c.source_messages,
            "retrying": c.retrying,
            **({"letters": [{"message_id": letter.message_id, "type": letter.type,
                             "reason": letter.reason} for letter in peeked[c.name]]}
               if c.name in peeked else {}),
        } for c in counts])
        return OK
    settings = queues.settings
    table = Table(title=f"dead-letter queues (exchange {settings.exchange}, dead letters "
                        f"through {settings.exchange}.dlx)", title_justify="left")
    table.add_column("dead-letter queue", no_wrap=True)
    table.add_column("dead letters", justify="right")
    table.add_column("waiting in its queue", justify="right")
    table.add_column("waiting to retry", justify="right")
    for count in counts:
        table.add_row(escape(count.name),
                      "missing" if count.messages is None else str(count.messages),
                      "missing" if count.source_messages is None else str(count.source_messages),
                      "missing" if count.retrying is None else str(count.retrying))
    out.print(table)
    for name, letters in peeked.items():
        out.print(f"\n{name}:", markup=False)
        for letter in letters:
            out.print(f"  {letter.message_id or '-'}  {letter.type or '-'}  reason={letter.reason}",
                      markup=False)
    total = sum(c.messages or 0 for c in counts)
    missing = sum(1 for c in counts if c.messages is None)
    out.print(f"\n{total} dead letters in {len(counts)} queues"
              + (f"; {missing} not declared yet (has every service started once?)"
                 if missing else ""), markup=False)
    return OK


async def cmd_show(queues: DeadLetterQueues, args: argparse.Namespace, out: Console) -> int:
    name = queues.resolve(args.queue)
    letters = await queues.peek(name, limit=args.limit)
    if args.json:
        for letter in letters:
            route = letter.route(dead_letter_queue=name)
            out.print(json.dumps(_letter_json(letter, None if route is None else str(route)),
                                 ensure_ascii=False), markup=False, soft_wrap=True)
        return OK
    if not letters:
        out.print(f"{name} is empty", markup=False)
        return OK
    for n, letter in enumerate(letters, 1):
        _print_letter(out, letter, name, n, len(letters))
    return OK


async def cmd_replay(queues: DeadLetterQueues, args: argparse.Namespace, out: Console,
                     err: Console) -> int:
    name = queues.resolve(args.queue)
    wanted = set(args.message_id)

    def select(letter: DeadLetter) -> bool:
        return bool(args.all) or letter.message_id in wanted

    expected = (await queues.message_count(name)) if args.all else len(wanted)
    if args.limit is not None:
        expected = min(expected, args.limit)
    with Progress(TextColumn("replaying {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=not err.is_terminal or expected < 2) as bar:
        task = bar.add_task(name, total=expected)
        outcome: ReplayOutcome = await queues.replay(
            name, select=select, message_ids=args.message_id, limit=args.limit,
            direct=args.direct, progress=lambda _letter, _status: bar.advance(task))
    if args.json:
        out.print_json(data={
            "queue": name,
            "replayed": [{"message_id": letter.message_id, "route": str(route)}
                         for letter, route in outcome.replayed],
            "failed": [{"message_id": letter.message_id, "problem": problem}
                       for letter, problem in outcome.failed],
            "missing": outcome.missing,
        })
    else:
        for letter, route in outcome.replayed:
            out.print(f"replayed {letter.message_id or '-'} -> {route}", markup=False)
        for letter, problem in outcome.failed:
            err.print(f"NOT replayed {letter.message_id or '-'} (kept in {name}): {problem}",
                      markup=False)
        for message_id in outcome.missing:
            err.print(f"no message {message_id} in {name}", markup=False)
        out.print(f"{len(outcome.replayed)} replayed, {len(outcome.failed)} kept after a "
                  f"failure, {len(outcome.missing)} not found", markup=False)
    return NOT_ALL_DONE if outcome.failed or outcome.missing else OK


async def cmd_purge(queues: DeadLetterQueues, args: argparse.Namespace, out: Console,
                    err: Console) -> int:
    name = queues.resolve(args.queue)
    if not args.yes:
        count = await queues.message_count(name)
        err.print(f"{name} holds {count} dead letters; purging deletes them for good. "
                  f"Run again with --yes to purge.", markup=False)
        return USAGE
    purged = await queues.purge(name)
    if args.json:
        out.print_json(data={"queue": name, "purged": purged})
    else:
        out.print(f"purged {purged} dead letters from {name}", markup=False)
    return OK


# -- databases ------------------------------------------------------------------------

class DbUsageError(Exception):
    pass


def _data_services(names: Sequence[str]) -> list[Any]:
    # the table of services lives outside the kit, which imports no service
    platform = importlib.import_module("services.platform")
    unknown = [name for name in names if name not in platform.BY_NAME]
    if unknown:
        raise DbUsageError(f"no service {', '.join(unknown)} (known: "
                           f"{', '.join(platform.BY_NAME)})")
    return [platform.BY_NAME[name] for name in names] if names else list(platform.SERVICES)


def _revisions(revisions: Sequence[str]) -> str:
    return ", ".join(revisions) or "none (empty)"


async def cmd_db(args: argparse.Namespace, out: Console, err: Console) -> int:
    if args.verb == "revision":
        (service,) = _data_services([args.service])
        path = await service.migrations().revision(service.database_url(), args.message,
                                                   autogenerate=args.autogenerate)
        out.print(f"wrote {path}; review it before committing", markup=False)
        return OK
    status = OK
    for service in _data_services(args.services):
        migrations, url = service.migrations(), service.database_url()
        head = migrations.head()
        if args.verb == "upgrade":
            before = await migrations.current(url)
            await migrations.upgrade(url)
            after = await migrations.current(url)
            change = ("already there" if before == after
                      else f"from {_revisions(before)}")
            out.print(f"{service.name}: at {_revisions(after)} ({change})", markup=False)
        elif args.verb == "current":
            current = await migrations.current(url)
            mark = "" if current == (head,) else f" (this code: {head})"
            out.print(f"{service.name}: {_revisions(current)}{mark}", markup=False)
        else:
            try:
                await migrations.require_current(url)
            except SchemaNotCurrent as exc:
                err.print(str(exc), markup=False)
                status = NOT_ALL_DONE
            else:
                out.print(f"{service.name}: at {head}", markup=False)
    return status


async def run(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
              stderr: TextIO | None = None) -> int:
    """The command line, for callers already inside an event loop (tests)."""
    args = parser().parse_args(argv)
    out = _console(stdout or sys.stdout)
    err = _console(stderr or sys.stderr)
    if args.command == "db":
        try:
            return await cmd_db(args, out, err)
        except DbUsageError as exc:
            err.print(f"error: {exc}", markup=False)
            return USAGE
        except (OSError, SQLAlchemyError) as exc:
            err.print(f"error: cannot migrate the database: {exc}", markup=False)
            return USAGE
    if args.command == "backup":
        from services import backup
        return await backup.run(args, out, err)
    try:
        settings = settings_from(args)
        async with DeadLetterQueues(settings) as queues:
            if args.verb == "list":
                return await cmd_list(queues, args, out)
            if args.verb == "show":
                return await cmd_show(queues, args, out)
            if args.verb == "replay":
                return await cmd_replay(queues, args, out, err)
            return await cmd_purge(queues, args, out, err)
    except DlqError as exc:
        err.print(f"error: {exc}", markup=False)
        return USAGE
    except (ConnectionError, aiormq.exceptions.AMQPConnectionError, OSError) as exc:
        err.print(f"error: cannot reach RabbitMQ: {exc!r}", markup=False)
        return USAGE


def main(argv: Sequence[str] | None = None) -> int:
    # the command reports a broker it cannot reach itself; the client's own log would repeat it
    for name in ("aio_pika", "aiormq"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    # each migration step as it runs, without Alembic's notes on the database's kind
    logging.basicConfig(format="%(message)s", stream=sys.stderr)
    steps = logging.getLogger("alembic.runtime.migration")
    steps.setLevel(logging.INFO)
    steps.addFilter(lambda record: record.getMessage().startswith("Running "))
    return asyncio.run(run(argv))


if __name__ == "__main__":
    sys.exit(main())
