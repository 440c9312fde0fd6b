"""Identity's tables and HTTP schemas."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from services.contracts.counties import CountyCode
from services.contracts.types import (
    Mobile,
    NationalCode,
    PersonName,
    national_code_is_valid,
    to_latin_digits,
)
from services.kit.auth import ROLES
from services.kit.db import UTCDateTime, utcnow

# these roles work in one county; every other role has none
COUNTY_ROLES = frozenset({"clerk", "inspector", "licensing_officer", "supervisor"})

Role = Literal[ROLES]  # type: ignore[valid-type]

_STAFF_USERNAME = re.compile(r"[a-z][a-z0-9._-]{2,63}")


def normalize_username(value: object) -> object:
    """Usernames are compared lower-case, with Persian digits read as Latin ones."""
    value = to_latin_digits(value)
    return value.lower() if isinstance(value, str) else value


def username_problem(value: str) -> str | None:
    """Why ``value`` cannot be a username (a message code), or None when it can."""
    if value.isdigit():
        # an applicant: the username is the national code, check digit and all
        if len(value) != 10:
            return "national_code_format"
        return None if national_code_is_valid(value) else "national_code_check_digit"
    return None if _STAFF_USERNAME.fullmatch(value) else "username_format"


# checked by the service (username_problem), so the 422 explains the rule in fa and en
Username = Annotated[str, BeforeValidator(normalize_username), Field(min_length=1, max_length=64)]
Password = Annotated[str, Field(min_length=10, max_length=256)]


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    username: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=120)
    # a JSON list: few users, read whole; filtering by role matches the quoted name
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    county: str | None = Field(default=None, index=True, max_length=50)
    mobile: str | None = Field(default=None, max_length=11)
    email: str | None = Field(default=None, max_length=254)
    active: bool = True
    password_hash: str = Field(max_length=512)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # counts every change; carried by UserChanged so a roster keeps the newest
    version: int = 1

    @property
    def national_code(self) -> str | None:
        return self.username if "applicant" in self.roles else None


class LoginFailure(SQLModel, table=True):
    """One failed sign-in; rows older than the window are pruned as new ones arrive."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_username_at", "username", "failed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=128)
    failed_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class UserCreate(BaseModel):
    """What an admin gives to create a user."""

    model_config = ConfigDict(extra="forbid")

    username: Username
    name: PersonName
    roles: list[Role] = Field(min_length=1)
    county: CountyCode | None = None
    mobile: Mobile | None = None
    email: EmailStr | None = None
    active: bool = True
    password: Password


class UserUpdate(BaseModel):
    """What an admin may change; a field left out stays as it is, ``null`` clears county,
    mobile or email."""

    model_config = ConfigDict(extra="forbid")

    name: PersonName | None = None
    roles: list[Role] | None = Field(default=None, min_length=1)
    county: CountyCode | None = None
    mobile: Mobile | None = None
    email: EmailStr | None = None
    active: bool | None = None
    password: Password | None = None


class Registration(BaseModel):
    """An applicant signing up: their national code becomes their username."""

    model_config = ConfigDict(extra="forbid")

    national_code: NationalCode
    name: PersonName
    mobile: Mobile
    email: EmailStr | None = None
    password: Password


class UserPublic(BaseModel):
    id: str
    username: str
    name: str
    roles: list[str]
    county: str | None
    national_code: str | None
    mobile: str | None
    email: str | None
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(**user.model_dump(exclude={"password_hash"}), national_code=user.national_code)


class TokenReply(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
