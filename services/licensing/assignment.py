"""Who gets a licensing task: a site inspection goes to the inspector of the office's
county with the fewest open inspections; decisions wait for the county's officers."""

from __future__ import annotations

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.contracts.tasks import OpenTask
from services.kit import staff
from services.kit.tasks import ACTIVE, Task


async def least_loaded_inspector(session: AsyncSession, command: OpenTask) -> str | None:
    inspectors = await staff.members(session, "inspector", command.county)
    if not inspectors:
        return None  # nobody on the roster yet: the task waits in the county queue
    loads = dict(
        (await session.exec(
            select(Task.assignee, func.count())
            .where(col(Task.kind) == "site_inspection", col(Task.status).in_(ACTIVE),
                   col(Task.assignee).in_([i.username for i in inspectors]))
            .group_by(col(Task.assignee))
        )).all()
    )
    return min(inspectors, key=lambda i: (loads.get(i.username, 0), i.username)).username
