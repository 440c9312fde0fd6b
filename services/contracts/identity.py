"""Messages of the identity service: who works where, for the services' staff rosters."""

from __future__ import annotations

from typing import ClassVar

from pydantic import EmailStr

from services.contracts import routing
from services.contracts.envelope import Message
from services.contracts.types import Mobile


class UserChanged(Message):
    """A user was created or changed. Services that assign work keep a roster from it."""

    ROUTING_KEY: ClassVar = routing.IDENTITY_USER_CHANGED

    user_id: str
    username: str
    name: str
    roles: list[str]
    county: str | None = None
    mobile: Mobile | None = None
    email: EmailStr | None = None
    active: bool = True
    version: int = 1
