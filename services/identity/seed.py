"""Demo users for a local machine: python -m services.identity.seed

Creates the users that are missing and leaves the others as they are, so it is safe to
run twice, before or while the service runs. It writes to the service's own database
(IDENTITY_DATABASE_URL, migrated first with ``pishkhan db upgrade identity``) through the
same rules as the HTTP API, so every new user's UserChanged event goes through the outbox;
then it relays the backlog to the bus.

Every demo user has the one password IDENTITY_DEMO_PASSWORD (default ``pishkhan-demo``):
for local use only, never on a machine anyone else can reach."""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from services.contracts.counties import GILAN_COUNTIES
from services.identity import repository, service
from services.identity.app import MIGRATIONS, NAME
from services.identity.models import UserCreate
from services.identity.passwords import Passwords
from services.identity.settings import IdentitySettings
from services.kit.http import build_runtime
from services.kit.migrations import SchemaNotCurrent

log = logging.getLogger("pishkhan.identity.seed")

PUBLISH_TIMEOUT_SECONDS = 60.0

# role -> (username prefix, Persian title)
COUNTY_STAFF = (
    ("clerk", "clerk", "کارشناس پذیرش"),
    ("inspector", "inspector", "بازرس"),
    ("licensing_officer", "officer", "کارشناس صدور مجوز"),
    ("supervisor", "supervisor", "ناظر"),
)
APPLICANTS = (
    ("0499370899", "مریم احمدی", "09121234567"),
    ("0013542419", "رضا کریمی", "09111111111"),
)


def demo_users(password: str) -> list[UserCreate]:
    users: list[UserCreate] = []

    def staff(username: str, name: str, roles: list[str], county: str | None = None) -> None:
        # a stable, valid mobile per user: 0901 and a running number
        mobile = f"0901{len(users) + 1:07d}"
        users.append(UserCreate(username=username, name=name, roles=roles, county=county,
                                mobile=mobile, password=password))

    for county in GILAN_COUNTIES:
        for role, prefix, title in COUNTY_STAFF:
            staff(f"{prefix}.{county.code}", f"{title} {county.name_fa}", [role], county.code)
    staff("inspector2.rasht", "بازرس دوم رشت", ["inspector"], "rasht")
    staff("operator195", "اپراتور ۱۹۵", ["operator_195"])
    staff("complaints.officer", "کارشناس رسیدگی به شکایات", ["complaints_officer"])
    staff("ops", "راهبر سامانه", ["ops"])
    staff("admin", "مدیر سامانه", ["admin"])
    for national_code, name, mobile in APPLICANTS:
        users.append(UserCreate(username=national_code, name=name, roles=["applicant"],
                                mobile=mobile, password=password))
    return users


@dataclass
class SeedResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    unpublished: int = 0


async def seed(settings: IdentitySettings) -> SeedResult:
    """Create the missing demo users and publish their events; see the module's text."""
    runtime = build_runtime(NAME, settings, MIGRATIONS)
    await runtime.db.require_schema()
    passwords = Passwords(settings)
    result = SeedResult()
    try:
        for data in demo_users(settings.demo_password):
            # one transaction per user: a run going on beside this one costs one user, not all
            async with runtime.uow() as uow:
                if await repository.by_username(uow.session, data.username) is not None:
                    result.existing.append(data.username)
                    continue
                await service.create_user(uow, passwords, data)
                try:
                    await uow.commit()
                except IntegrityError:
                    result.existing.append(data.username)
                    continue
                result.created.append(data.username)
        result.unpublished = await runtime.publish_outbox(PUBLISH_TIMEOUT_SECONDS)
    finally:
        await runtime.db.dispose()
    return result


def main() -> int:
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = IdentitySettings()
    try:
        result = asyncio.run(seed(settings))
    except SchemaNotCurrent:  # logged, with the command that migrates the database
        return 1
    print(f"identity seed: {len(result.created)} demo users created, "
          f"{len(result.existing)} already there (password from IDENTITY_DEMO_PASSWORD; "
          "local use only)", flush=True)
    if result.unpublished:
        print(f"identity seed: {result.unpublished} events are still in the outbox; the "
              "identity service publishes them when it reaches the broker", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
