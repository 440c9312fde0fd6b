"""Business rules of identity. Never commits: the caller's unit of work does."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from services.contracts.identity import UserChanged
from services.identity import repository
from services.identity.models import (
    COUNTY_ROLES,
    Registration,
    User,
    UserCreate,
    UserUpdate,
    username_problem,
)
from services.identity.passwords import Passwords
from services.kit.auth import Principal
from services.kit.db import utcnow
from services.kit.uow import UnitOfWork


class Refused(Exception):
    """A rule broken by one field; rendered like a validation error, with this status."""

    def __init__(self, field: str, code: str, status_code: int = 422) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
        self.status_code = status_code


class UserNotFound(Exception):
    pass


class BadCredentials(Exception):
    """Wrong password, unknown user or inactive user: deliberately one and the same."""


class TooManyFailures(Exception):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"retry after {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class FailureLimit:
    attempts: int
    window: dt.timedelta


# -- users ------------------------------------------------------------------------------

def _check_roles_and_county(roles: list[str], county: str | None) -> None:
    if not roles:
        raise Refused("roles", "roles_required")
    needs_county = bool(COUNTY_ROLES.intersection(roles))
    if needs_county and county is None:
        raise Refused("county", "county_required")
    if not needs_county and county is not None:
        raise Refused("county", "county_not_allowed")


def _unique(roles: list[str]) -> list[str]:
    return list(dict.fromkeys(roles))


def announce(uow: UnitOfWork, user: User) -> None:
    """Tell the services who this user is now; a roster keeps the highest version."""
    uow.publish(
        UserChanged(
            user_id=user.id, username=user.username, name=user.name, roles=list(user.roles),
            county=user.county, mobile=user.mobile, email=user.email, active=user.active,
            version=user.version,
        ),
        correlation_id=f"user-{user.username}",
    )


async def create_user(uow: UnitOfWork, passwords: Passwords, data: UserCreate) -> User:
    problem = username_problem(data.username)
    if problem is not None:
        raise Refused("username", problem)
    roles = _unique(list(data.roles))
    if "applicant" in roles and not data.username.isdigit():
        raise Refused("username", "applicant_username")
    _check_roles_and_county(roles, data.county)
    if await repository.by_username(uow.session, data.username) is not None:
        raise Refused("username", "user_exists", 409)
    now = utcnow()
    user = User(
        username=data.username, name=data.name, roles=roles, county=data.county,
        mobile=data.mobile, email=str(data.email) if data.email else None, active=data.active,
        password_hash=await passwords.hash(data.password), created_at=now, updated_at=now,
    )
    uow.session.add(user)
    announce(uow, user)
    return user


async def register(uow: UnitOfWork, passwords: Passwords, data: Registration) -> User:
    if await repository.by_username(uow.session, data.national_code) is not None:
        raise Refused("national_code", "user_exists", 409)
    return await create_user(uow, passwords, UserCreate(
        username=data.national_code, name=data.name, roles=["applicant"], mobile=data.mobile,
        email=data.email, password=data.password,
    ))


async def update_user(uow: UnitOfWork, passwords: Passwords, username: str, data: UserUpdate,
                      *, actor: Principal) -> User:
    user = await repository.by_username(uow.session, username)
    if user is None:
        raise UserNotFound(username)
    given = data.model_fields_set
    for name in ("name", "roles", "active", "password"):
        if name in given and getattr(data, name) is None:
            raise Refused(name, "missing")

    changes: dict[str, object] = {}
    if "name" in given and data.name != user.name:
        changes["name"] = data.name
    if "roles" in given and data.roles is not None:
        roles = _unique(list(data.roles))
        if roles != user.roles:
            changes["roles"] = roles
    for name in ("county", "mobile"):
        if name in given and getattr(data, name) != getattr(user, name):
            changes[name] = getattr(data, name)
    if "email" in given:
        email = str(data.email) if data.email else None
        if email != user.email:
            changes["email"] = email
    if "active" in given and data.active != user.active:
        changes["active"] = data.active

    roles = changes.get("roles", user.roles)
    county = changes.get("county", user.county)
    assert isinstance(roles, list)
    assert county is None or isinstance(county, str)
    if "applicant" in roles and not user.username.isdigit():
        raise Refused("roles", "applicant_username")
    _check_roles_and_county(roles, county)
    if user.username == actor.sub and ("admin" not in roles or changes.get("active") is False):
        raise Refused("active" if "active" in changes else "roles", "self_lockout")

    if data.password is not None:
        changes["password_hash"] = await passwords.hash(data.password)
    if not changes:
        return user
    for name, value in changes.items():
        setattr(user, name, value)
    user.version += 1
    user.updated_at = utcnow()
    uow.session.add(user)
    announce(uow, user)
    return user


# -- signing in ---------------------------------------------------------------------

async def sign_in(uow: UnitOfWork, passwords: Passwords, limit: FailureLimit, username: str,
                  password: str) -> User:
    """The user, when the password is theirs and they are active. A failure is recorded in
    the unit of work: the caller commits it even though it refuses the sign-in."""
    now = utcnow()
    since = now - limit.window
    failures, first = await repository.recent_failures(uow.session, username, since)
    if failures >= limit.attempts:
        first = _aware(first) or now
        raise TooManyFailures(max(1, math.ceil((first + limit.window - now).total_seconds())))

    user = await repository.by_username(uow.session, username)
    # an unknown user is checked against a dummy hash: the reply takes as long
    ok = await passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        await repository.forget_failures(uow.session, before=since)
        repository.record_failure(uow.session, username, now)
        raise BadCredentials(username)

    await repository.forget_failures(uow.session, username=username)
    if passwords.needs_rehash(user.password_hash):
        # not a change anyone else sees: no new version, no event
        user.password_hash = await passwords.hash(password)
        uow.session.add(user)
    return user


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
