"""HTTP routes of notifications."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from services.notifications import repository
from services.notifications.models import Delivery, DeliveryPublic

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


@router.get("", response_model=list[DeliveryPublic])
async def list_deliveries(
    request: Request,
    recipient_id: str = Query(min_length=1),
    case_id: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> list[Delivery]:
    async with request.app.state.runtime.uow() as uow:
        return await repository.deliveries(uow.session, recipient_id=recipient_id,
                                           case_id=case_id, limit=limit, offset=offset)
