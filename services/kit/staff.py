"""A service's roster of staff, kept from the identity service's ``user changed`` events,
so it can assign work and tell people about it without asking anyone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.contracts.envelope import Envelope
from services.contracts.identity import UserChanged
from services.contracts.notifications import Recipient
from services.contracts.routing import Subscription
from services.kit.db import UTCDateTime, utcnow
from services.kit.uow import UnitOfWork, UnitOfWorkFactory, idempotent


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_member"

    username: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    county: str | None = Field(default=None, index=True, max_length=50)
    mobile: str | None = Field(default=None, max_length=11)
    email: str | None = Field(default=None, max_length=254)
    active: bool = True
    version: int = 0
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def recipient(self) -> Recipient:
        return Recipient(id=self.username, mobile=self.mobile, email=self.email, language="fa")


async def apply(session: AsyncSession, event: UserChanged) -> None:
    """Keep the newest version of each user; an older event arriving late is ignored."""
    member = await session.get(StaffMember, event.username)
    if member is not None and member.version >= event.version:
        return
    member = member or StaffMember(username=event.username, name=event.name)
    member.name = event.name
    member.roles = list(event.roles)
    member.county = event.county
    member.mobile = event.mobile
    member.email = str(event.email) if event.email else None
    member.active = event.active
    member.version = event.version
    member.updated_at = utcnow()
    session.add(member)


async def members(session: AsyncSession, role: str, county: str | None) -> list[StaffMember]:
    query = select(StaffMember).where(col(StaffMember.active).is_(True))
    if county is not None:
        query = query.where(StaffMember.county == county)
    rows = (await session.exec(query.order_by(col(StaffMember.username)))).all()
    return [m for m in rows if role in m.roles]


async def member(session: AsyncSession, username: str) -> StaffMember | None:
    return await session.get(StaffMember, username)


def subscribe_roster(bus: Any, subscription: Subscription, uow_factory: UnitOfWorkFactory) -> None:
    async def on_user_changed(uow: UnitOfWork, _envelope: Envelope, event: UserChanged) -> None:
        await apply(uow.session, event)

    bus.subscribe(subscription, idempotent(bus.queue_name(subscription), uow_factory,
                                           on_user_changed))
