"""HTTP routes of notifications: the delivery log (staff), a person's in-app inbox and
their preferences. Thin: parse, authorise, call the repository or service, shape the reply."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kit.auth import Principal, current_principal, forbid, require_roles
from services.kit.db import utcnow
from services.notifications import repository, service
from services.notifications.models import (
    ChannelName,
    Delivery,
    DeliveryPublic,
    DeliveryStatus,
    InboxItem,
    InboxItemPublic,
    MarkedRead,
    PreferencesPublic,
    PreferencesUpdate,
    UnreadCount,
)

STAFF = ("ops", "admin")
# the signed-in caller, whoever they are
Me = Annotated[Principal, Depends(current_principal)]


def recipient_ids(principal: Principal) -> set[str]:
    """Who a signed-in person is as a recipient: their token's subject and, for an
    applicant, their national code (what the workflows address notices to)."""
    return {principal.sub} | ({principal.national_code} if principal.national_code else set())


def own_recipient_id(principal: Principal) -> str:
    """The one id a person's preferences are kept under."""
    return principal.national_code or principal.sub


# -- the delivery log ---------------------------------------------------------------------

ops_router = APIRouter(prefix="/ops/deliveries", tags=["delivery log"],
                       dependencies=[Depends(require_roles(*STAFF))])


@ops_router.get("", response_model=list[DeliveryPublic],
                summary="The delivery log, newest first (ops and admin)")
async def delivery_log(
    request: Request,
    recipient_id: str | None = None,
    case_id: str | None = None,
    status: DeliveryStatus | None = None,
    channel: ChannelName | None = None,
    template: str | None = None,
    order: Literal["newest", "oldest"] = "newest",
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> list[Delivery]:
    async with request.app.state.runtime.uow() as uow:
        return await repository.delivery_log(
            uow.session, recipient_id=recipient_id, case_id=case_id, status=status,
            channel=channel, template=template, oldest_first=order == "oldest", limit=limit,
            offset=offset)


@ops_router.get("/{delivery_id}", response_model=DeliveryPublic)
async def get_delivery(request: Request, delivery_id: str) -> Delivery:
    async with request.app.state.runtime.uow() as uow:
        found = await repository.delivery(uow.session, delivery_id)
        if found is None:
            raise HTTPException(404, "delivery not found")
        return found


@ops_router.post("/{delivery_id}/resend", response_model=DeliveryPublic,
                 summary="Put a failed delivery back to pending")
async def resend(request: Request, delivery_id: str) -> Delivery:
    async with request.app.state.runtime.uow() as uow:
        if not await repository.reopen(uow.session, delivery_id, now=utcnow()):
            found = await repository.delivery(uow.session, delivery_id)
            if found is None:
                raise HTTPException(404, "delivery not found")
            if found.content_pruned_at is not None:
                raise HTTPException(409, "its content was removed after the keep period: "
                                         "there is nothing to resend")
            raise HTTPException(409, f"only a failed delivery can be resent; this one is "
                                     f"{found.status}")
        await uow.commit()
        request.app.state.dispatcher.nudge()
        found = await repository.delivery(uow.session, delivery_id)
        assert found is not None
        return found


# -- the in-app inbox ---------------------------------------------------------------------

inbox_router = APIRouter(prefix="/inbox", tags=["inbox"])


@inbox_router.get("", response_model=list[InboxItemPublic],
                  summary="My in-app notices, newest first")
async def my_inbox(
    request: Request,
    principal: Me,
    unread_only: bool = False,
    limit: int = Query(default=20, ge=1, le=100),
    offset: int = Query(default=0, ge=0),
) -> list[InboxItem]:
    async with request.app.state.runtime.uow() as uow:
        return await repository.inbox(uow.session, recipient_ids(principal),
                                      unread_only=unread_only, limit=limit, offset=offset)


@inbox_router.get("/unread-count", response_model=UnreadCount)
async def my_unread_count(request: Request,
                          principal: Me) -> UnreadCount:
    async with request.app.state.runtime.uow() as uow:
        return UnreadCount(unread=await repository.unread_count(uow.session,
                                                                recipient_ids(principal)))


@inbox_router.post("/read-all", response_model=MarkedRead)
async def mark_all_read(request: Request,
                        principal: Me) -> MarkedRead:
    async with request.app.state.runtime.uow() as uow:
        marked = await repository.mark_all_read(uow.session, recipient_ids(principal),
                                                now=utcnow())
        await uow.commit()
        return MarkedRead(marked=marked)


async def _own_item(request: Request, session: AsyncSession, item_id: str,
                    principal: Principal) -> InboxItem:
    item = await repository.inbox_item(session, item_id, recipient_ids(principal))
    if item is None:
        # someone else's notice looks exactly like one that does not exist
        forbid(request, principal, f"inbox item {item_id} is not theirs (or does not exist)",
               status=404, detail="not found")
    assert item is not None
    return item


@inbox_router.get("/{item_id}", response_model=InboxItemPublic)
async def my_inbox_item(request: Request, item_id: str,
                        principal: Me) -> InboxItem:
    async with request.app.state.runtime.uow() as uow:
        return await _own_item(request, uow.session, item_id, principal)


@inbox_router.post("/{item_id}/read", response_model=InboxItemPublic)
async def mark_read(request: Request, item_id: str,
                    principal: Me) -> InboxItem:
    async with request.app.state.runtime.uow() as uow:
        item = await _own_item(request, uow.session, item_id, principal)
        if item.read_at is None:
            item.read_at = utcnow()
            uow.session.add(item)
            await uow.commit()
        return item


# -- preferences --------------------------------------------------------------------------

preferences_router = APIRouter(prefix="/preferences", tags=["preferences"])


@preferences_router.get("", response_model=PreferencesPublic,
                        summary="How I want to hear from you")
async def my_preferences(request: Request,
                         principal: Me) -> PreferencesPublic:
    recipient_id = own_recipient_id(principal)
    async with request.app.state.runtime.uow() as uow:
        found = await repository.preference(uow.session, recipient_id)
    if found is None:
        return PreferencesPublic(recipient_id=recipient_id, language=None, email=True,
                                 in_app=True, updated_at=None)
    return PreferencesPublic.model_validate(found, from_attributes=True)


@preferences_router.put("", response_model=PreferencesPublic,
                        summary="Choose a language and opt out of e-mail or in-app notices "
                                "(SMS cannot be switched off)")
async def set_my_preferences(request: Request, body: PreferencesUpdate,
                             principal: Me
                             ) -> PreferencesPublic:
    async with request.app.state.runtime.uow() as uow:
        saved = await service.set_preferences(uow, own_recipient_id(principal), body)
        await uow.commit()
        return PreferencesPublic.model_validate(saved, from_attributes=True)


routers = (ops_router, inbox_router, preferences_router)
