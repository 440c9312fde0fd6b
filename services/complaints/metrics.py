"""Business metrics of complaints: open complaints, how long they take, how many are filed,
resolved and reopened (the reopen rate is reopened / resolved)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.complaints import repository
from services.contracts.complaints import COMPLAINT_CATEGORIES
from services.kit.db import Database

DAY = 86400


class ComplaintMetrics:
    def __init__(self, registry: CollectorRegistry, db: Database) -> None:
        self.db = db
        self.open = Gauge("pishkhan_complaints_open",
                          "Complaints still being handled (not resolved, rejected, merged or "
                          "closed)", ["category", "county"], registry=registry)
        self.resolution = Histogram(
            "pishkhan_complaint_resolution_seconds",
            "From filing to a resolution, once per resolution round", ["category"],
            registry=registry,
            buckets=(3600, 4 * 3600, DAY, 3 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 60 * DAY),
        )
        self.resolved = Gauge("pishkhan_complaints_resolved",
                              "Complaints resolved at least once", ["category"],
                              registry=registry)
        self.reopened = Gauge("pishkhan_complaints_reopened",
                              "Complaints the complainant reopened at least once", ["category"],
                              registry=registry)
        self.filed = Counter("pishkhan_complaints_filed_total", "Complaints filed",
                             ["channel", "category"], registry=registry)

    async def refresh(self) -> None:
        """Read the gauges off the database before a scrape: right on every replica."""
        async with self.db.sessionmaker() as session:
            open_rows = await repository.open_by_category_and_county(session)
            settled = await repository.resolved_and_reopened_by_category(session)
        self.open.clear()
        for category, county, count in open_rows:
            self.open.labels(category, county).set(count)
        # every category has a series, so a reopen rate reads 0 rather than nothing
        for category in COMPLAINT_CATEGORIES:
            self.resolved.labels(category).set(0)
            self.reopened.labels(category).set(0)
        for category, resolved, reopened in settled:
            self.resolved.labels(category).set(resolved)
            self.reopened.labels(category).set(reopened)
