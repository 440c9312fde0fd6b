"""Which failures are transient (a dependency away for a while: wait and try again) and which
are the message's own fault (poison: dead-letter it with a reason).

The bus asks :func:`is_transient` about every exception a handler raises. The kit knows
the database drivers and the broker client; a component that talks to something else
(the workflows bridge and Temporal) either raises :class:`Transient` itself or registers a
classifier with :func:`register_transient`, so the kit never imports that client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import aio_pika.exceptions
import aiormq.exceptions
import asyncpg.exceptions
from sqlalchemy import exc as sa_exc

Classifier = Callable[[BaseException], bool]


class Transient(Exception):
    """Raised (or chained from) by a handler whose dependency is away: try again later."""


# OSErrors about files and permissions are a bug or a deployment fault, not an outage: waiting
# would never fix them, so they stay poison
_NOT_TRANSIENT_OS_ERRORS = (FileNotFoundError, FileExistsError, IsADirectoryError,
                            NotADirectoryError, PermissionError)
_BROKER_ERRORS = (aiormq.exceptions.AMQPConnectionError, aiormq.exceptions.ChannelInvalidStateError,
                  aiormq.exceptions.ConnectionClosed, aio_pika.exceptions.ChannelClosed,
                  aio_pika.exceptions.DeliveryError)
_ASYNCPG_ERRORS = (asyncpg.exceptions.PostgresConnectionError,
                   asyncpg.exceptions.InterfaceError,
                   asyncpg.exceptions.CannotConnectNowError,
                   asyncpg.exceptions.TooManyConnectionsError,
                   asyncpg.exceptions.ConnectionDoesNotExistError,
                   asyncpg.exceptions.AdminShutdownError)
_TRANSIENT_TEXTS = ("database is locked", "connection refused", "connection reset",
                    "server closed the connection", "connection was closed")

_classifiers: list[Classifier] = []


def register_transient(classifier: Classifier) -> Classifier:
    """Add a test for one component's transient errors (usable as a decorator)."""
    if classifier not in _classifiers:
        _classifiers.append(classifier)
    return classifier


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and those it was raised from or during (SQLAlchemy wraps the driver's)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _one_is_transient(exc: BaseException) -> bool:
    if isinstance(exc, Transient | asyncio.TimeoutError | ConnectionError):
        return True
    if isinstance(exc, OSError) and not isinstance(exc, _NOT_TRANSIENT_OS_ERRORS):
        return True
    if isinstance(exc, _BROKER_ERRORS + _ASYNCPG_ERRORS):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError | sa_exc.ResourceClosedError):
        text = str(exc).lower()
        if any(phrase in text for phrase in _TRANSIENT_TEXTS):
            return True
    return any(classifier(exc) for classifier in _classifiers)


def is_transient(exc: BaseException) -> bool:
    """Whether waiting could make this failure go away."""
    return any(_one_is_transient(link) for link in _chain(exc))


def reason(exc: BaseException) -> str:
    """A short label for metrics and logs: the exception's class name."""
    return type(exc).__name__
