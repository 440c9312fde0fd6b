"""Licensing's business metrics: licenses by status, reviews by reason and status,
sanctions applied, and office activity reports. The gauges are read from the database
before every scrape, so every replica reports the same numbers."""

from __future__ import annotations

from collections import Counter as Tally

from prometheus_client import Counter, Gauge

from services.kit.http import Runtime
from services.licensing import repository

SANCTIONS = ("warning", "suspension", "revocation")


class LicensingMetrics:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        r = runtime.metrics.registry
        self.licenses = Gauge("pishkhan_licenses", "Licenses by status, county and area",
                              ["status", "county", "area"], registry=r)
        self.reviews = Gauge("pishkhan_reviews",
                             "Supervision reviews by reason and status (a review with two "
                             "reasons counts under each)", ["reason", "status"], registry=r)
        self.sanctions = Gauge("pishkhan_sanctions",
                               "Sanctions decided on reviews and applied to the license",
                               ["kind"], registry=r)
        self.activity_reports = Counter("pishkhan_office_activity_reports",
                                        "Monthly activity reports received from offices",
                                        ["county"], registry=r)
        runtime.scrape_hooks.append(self.refresh)

    async def refresh(self) -> None:
        async with self.runtime.db.sessionmaker() as session:
            licenses = await repository.licenses_by_status(session)
            reviews = await repository.review_facts(session)
        self.licenses.clear()
        for status, county, area, count in licenses:
            self.licenses.labels(status, county, area).set(count)
        by_reason: Tally[tuple[str, str]] = Tally()
        applied: Tally[str] = Tally()
        for reasons, status, decision, was_applied in reviews:
            for reason in reasons:
                by_reason[(reason, status)] += 1
            if decision in SANCTIONS and was_applied:
                applied[decision] += 1
        self.reviews.clear()
        for (reason, status), count in by_reason.items():
            self.reviews.labels(reason, status).set(count)
        # every kind is always there, at 0 until the first: a rate over it never has gaps
        for kind in SANCTIONS:
            self.sanctions.labels(kind).set(applied[kind])
