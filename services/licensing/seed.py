"""Demo data for a local machine: Gilan's counter service offices, as the directorate's
register might hand them over.

606 active licensed offices (428 urban, 178 rural) over the 17 counties, Rasht the
largest, and 24 inactive offices whose licenses are under review (a few suspended). Every
value comes from a random generator with a fixed seed, so two runs make the same people,
national codes (with a valid check digit) and addresses; dates are relative to the day of
the first run. Licenses are keyed on their numbers: a license already there is left as it
is, so running the seed twice changes nothing and publishes nothing more.

It writes to the service's own database (LICENSING_DATABASE_URL, migrated first with
``pishkhan db upgrade licensing``) through the same rules as everything else, so every license gets an "imported" history row and a
``LicenseChanged(change="imported")`` in the outbox; then it relays the backlog to the bus."""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from services.contracts.counties import COUNTIES_BY_CODE, GILAN_COUNTIES
from services.kit.http import Runtime
from services.licensing import repository, service
from services.licensing.app import build
from services.licensing.persian import IRAN, local_today, persian_digits
from services.licensing.settings import LicensingSettings

log = logging.getLogger("pishkhan.licensing.seed")

ACTOR = "import:gilan-register"
SEED = "pishkhan-gilan-offices-1"
PUBLISH_TIMEOUT_SECONDS = 120.0
BATCH = 50
TERM_YEARS = 5

# county -> (active urban, active rural, inactive): Rasht, the capital, has the most
DISTRIBUTION: dict[str, tuple[int, int, int]] = {
    "rasht": (160, 32, 6),
    "lahijan": (33, 10, 2),
    "talesh": (26, 16, 2),
    "anzali": (31, 6, 2),
    "langarud": (24, 10, 1),
    "rudsar": (22, 12, 2),
    "astaneh": (18, 10, 1),
    "sowmeh_sara": (16, 12, 1),
    "fuman": (16, 10, 1),
    "rudbar": (16, 10, 2),
    "astara": (16, 6, 1),
    "rezvanshahr": (10, 8, 1),
    "khomam": (8, 8, 0),
    "shaft": (8, 8, 1),
    "masal": (8, 6, 0),
    "siahkal": (8, 7, 1),
    "amlash": (8, 7, 0),
}
ACTIVE_URBAN, ACTIVE_RURAL, INACTIVE = 428, 178, 24
assert sum(u for u, _, _ in DISTRIBUTION.values()) == ACTIVE_URBAN
assert sum(r for _, r, _ in DISTRIBUTION.values()) == ACTIVE_RURAL
assert sum(i for _, _, i in DISTRIBUTION.values()) == INACTIVE
assert set(DISTRIBUTION) == set(COUNTIES_BY_CODE)
# of the inactive offices, this many have their license suspended already
SUSPENDED = 4

FIRST_NAMES = (
    "محمد", "علی", "حسین", "رضا", "مهدی", "امیر", "حسن", "مرتضی", "سعید", "مجید",
    "جواد", "بهروز", "کاوه", "فرهاد", "بهزاد", "میلاد", "پویا", "احسان",
    "مریم", "زهرا", "فاطمه", "سمیه", "نرگس", "الهام", "لیلا", "مهسا", "شیما", "آزاده",
    "پریسا", "نگار", "سارا", "طاهره", "معصومه", "فرشته",
)
LAST_NAMES = (
    "رضایی", "محمدی", "حسینی", "احمدی", "کریمی", "پوررضا", "گیلانی", "رمضانی", "نوروزی",
    "اکبری", "قربانی", "جعفری", "صادقی", "ابراهیمی", "یوسفی", "مرادی", "خوشرو", "میرزایی",
    "رحمانی", "کاظمی", "عباسی", "نصیری", "سلیمانی", "دلاوری", "لاهیجی", "رشتی", "فومنی",
    "طالشی", "پورحسن", "علیزاده", "قلی‌پور", "حسن‌زاده", "نظری", "بابایی", "شکوهی",
    "امیرپور", "خلیلی", "نیک‌پور", "توکلی", "شفیعی",
)
STREETS = (
    "خیابان امام خمینی", "خیابان شهید بهشتی", "خیابان آزادی", "خیابان شهید مطهری",
    "خیابان معلم", "خیابان شریعتی", "خیابان انقلاب", "خیابان سعدی", "خیابان حافظ",
    "خیابان طالقانی", "بلوار شهدا", "بلوار گیلان", "خیابان مدرس", "خیابان نواب",
    "بلوار امام رضا", "خیابان استادسرا", "خیابان رسالت", "میدان شهرداری",
)
VILLAGES = (
    "نصیرمحله", "چوکام", "پیربست", "کلشتر", "سیاهمزگی", "لولمان", "شیجان", "تازه‌آباد",
    "حسن‌آباد", "کهنه‌گوراب", "لاکان", "سنگر", "کوچصفهان", "بره‌سر", "چاف", "اطاقور",
    "شلمان", "دیلمان", "ماکلوان", "جیرنده", "لیسار", "اسالم", "رانکوه", "دیوشل",
)
SERVICES = (
    "خدمات ثبت احوال", "خدمات گذرنامه", "خدمات نظام وظیفه", "بیمه تأمین اجتماعی",
    "بیمه سلامت", "پرداخت قبوض", "خدمات پستی", "ثبت‌نام یارانه", "سهام عدالت",
    "خدمات خودرو و گواهینامه", "خدمات مالیاتی", "خدمات قضایی (ثنا)",
)
HOURS_URBAN = (
    "شنبه تا چهارشنبه ۷:۳۰ تا ۱۴:۳۰ و ۱۶ تا ۱۹، پنجشنبه ۸ تا ۱۳",
    "شنبه تا چهارشنبه ۸ تا ۱۶، پنجشنبه ۸ تا ۱۲",
)
HOURS_RURAL = ("شنبه تا پنجشنبه ۸ تا ۱۴",)
# the identity service's demo applicant رضا کریمی
DEMO_HOLDER = ("0013542419", "رضا کریمی", "09111111111")
MOBILE_PREFIXES = ("0911", "0912", "0935", "0901", "0937", "0990", "0913")


def national_code(rng: random.Random) -> str:
    """Nine random digits and the official mod-11 check digit."""
    while True:
        body = [rng.randint(0, 9) for _ in range(9)]
        if len(set(body)) == 1:
            continue
        remainder = sum(d * (10 - i) for i, d in enumerate(body)) % 11
        check = remainder if remainder < 2 else 11 - remainder
        return "".join(map(str, body)) + str(check)


def _person(rng: random.Random) -> tuple[str, str]:
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 9_999_999):07d}"
    return name, mobile


def _address(rng: random.Random, county: str, area: str) -> str:
    county_fa = COUNTIES_BY_CODE[county].name_fa
    if area == "rural":
        return (f"{county_fa}، روستای {rng.choice(VILLAGES)}، "
                f"جنب دهیاری، پلاک {persian_digits(rng.randint(1, 60))}")
    alley = persian_digits(rng.randint(1, 40))
    number = persian_digits(rng.randint(1, 250))
    return f"{county_fa}، {rng.choice(STREETS)}، کوچه {alley}، پلاک {number}"


def demo_licenses(today: dt.date) -> list[service.ImportedLicense]:
    """The whole demo province; the same list on every run (dates follow ``today``)."""
    rng = random.Random(SEED)
    seen_codes: set[str] = set()
    records: list[service.ImportedLicense] = []
    suspended_left = SUSPENDED
    for county in GILAN_COUNTIES:
        urban, rural, inactive = DISTRIBUTION[county.code]
        kinds = ([("urban", "active")] * urban + [("rural", "active")] * rural
                 + [(rng.choice(("urban", "rural")), "inactive") for _ in range(inactive)])
        rng.shuffle(kinds)
        for serial, (area, office_status) in enumerate(kinds, start=1):
            holder_name, holder_mobile = _person(rng)
            code = national_code(rng)
            while code in seen_codes:
                code = national_code(rng)
            seen_codes.add(code)
            # a quarter of offices are run by a manager who is not the holder
            if rng.random() < 0.25:
                manager_name, manager_mobile = _person(rng)
            else:
                manager_name, manager_mobile = holder_name, holder_mobile
            # the end of the current term: a few within 90 days, the rest over five years
            days_left = rng.randint(1, 90) if rng.random() < 0.08 else rng.randint(91, 5 * 365 - 1)
            valid_until = today + dt.timedelta(days=days_left)
            issued_on = service.add_years(valid_until, -TERM_YEARS)
            issued_at = dt.datetime.combine(issued_on, dt.time(9, 0), tzinfo=IRAN).astimezone(dt.UTC)
            if office_status == "active":
                last_activity = today - dt.timedelta(days=rng.randint(0, 20))
            else:
                last_activity = today - dt.timedelta(days=rng.randint(200, 700))
            status = "active"
            if office_status == "inactive" and suspended_left > 0 and rng.random() < 0.3:
                status, suspended_left = "suspended", suspended_left - 1
            offered = sorted(rng.sample(SERVICES, rng.randint(4, 6)), key=SERVICES.index)
            records.append(service.ImportedLicense(
                number=service.imported_license_number(county.code, serial),
                county=county.code, county_serial=serial, area=area,
                address=_address(rng, county.code, area),
                holder_national_code=code, holder_name=holder_name, holder_mobile=holder_mobile,
                issued_at=issued_at, valid_until=valid_until, status=status,
                office_status=office_status, manager_name=manager_name,
                manager_mobile=manager_mobile,
                opening_hours=rng.choice(HOURS_URBAN if area == "urban" else HOURS_RURAL),
                services=offered, last_activity_on=last_activity,
            ))
    # one Rasht office belongs to a demo applicant who can sign in (see the identity
    # service's demo users), so its holder's side (answers, activity) can be tried
    first = next(r for r in records if r.county == "rasht" and r.office_status == "active")
    first.holder_national_code, first.holder_name, first.holder_mobile = DEMO_HOLDER
    first.manager_name, first.manager_mobile = first.holder_name, first.holder_mobile
    return records


@dataclass
class SeedResult:
    created: int = 0
    existing: int = 0
    unpublished: int = 0
    numbers: list[str] = field(default_factory=list)


async def seed_demo(settings: LicensingSettings, *, today: dt.date | None = None) -> SeedResult:
    """Import the demo licenses that are missing and publish their events."""
    runtime = build(settings)
    await runtime.db.require_schema()
    result = SeedResult()
    records = demo_licenses(today or local_today())
    result.numbers = [r.number for r in records]
    try:
        async with runtime.db.sessionmaker() as session:
            there = await repository.existing_numbers(session, result.numbers)
        missing = [r for r in records if r.number not in there]
        result.existing = len(records) - len(missing)
        for start in range(0, len(missing), BATCH):
            result.created += await _import(runtime, missing[start:start + BATCH])
        result.existing = len(records) - result.created
        result.unpublished = await runtime.publish_outbox(PUBLISH_TIMEOUT_SECONDS)
    finally:
        await runtime.db.dispose()
    return result


async def _import(runtime: Runtime, batch: list[service.ImportedLicense]) -> int:
    """One transaction for the batch; if a run going on beside this one got there first,
    one transaction per license, skipping those already there."""
    try:
        async with runtime.uow() as uow:
            for record in batch:
                await service.import_license(uow, record, actor=ACTOR)
            await uow.commit()
        return len(batch)
    except IntegrityError:
        pass
    created = 0
    for record in batch:
        async with runtime.uow() as uow:
            if await repository.license_by_number(uow.session, record.number) is not None:
                continue
            await service.import_license(uow, record, actor=ACTOR)
            try:
                await uow.commit()
            except IntegrityError:
                continue
            created += 1
    return created


