"""Prometheus metrics every service exposes, on a registry of its own (several services
may share one process in tests)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class KitMetrics:
    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = Counter(
            "pishkhan_http_requests_total", "HTTP requests served",
            ["method", "route", "status"], registry=r,
        )
        self.http_latency = Histogram(
            "pishkhan_http_request_duration_seconds", "HTTP request latency",
            ["method", "route"], registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.outbox_backlog = Gauge(
            "pishkhan_outbox_backlog", "Outbox rows not yet published", registry=r,
        )
        self.outbox_oldest_age = Gauge(
            "pishkhan_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row",
            registry=r,
        )
        self.outbox_published = Counter(
            "pishkhan_outbox_published_total", "Outbox rows published", ["type"], registry=r,
        )
        self.outbox_failures = Counter(
            "pishkhan_outbox_publish_failures_total", "Failed outbox publish attempts", registry=r,
        )
        self.retention_pruned = Counter(
            "pishkhan_retention_pruned_total",
            "Rows retention deleted (outbox, inbox) or emptied of their content, by table",
            ["table"], registry=r,
        )
        self.retention_last_run = Gauge(
            "pishkhan_retention_last_run_timestamp_seconds",
            "When retention last finished a run with every rule done (until the first run "
            "finishes: when the job started)", registry=r,
        )
        self.retention_period = Gauge(
            "pishkhan_retention_period_seconds", "How often retention is meant to run",
            registry=r,
        )
        self.dead_lettered = Counter(
            "pishkhan_messages_dead_lettered_total", "Messages sent to a dead-letter queue",
            ["queue", "reason"], registry=r,
        )
        self.retried_transient = Counter(
            "pishkhan_messages_transient_retries_total",
            "Messages sent round the retry queue because a dependency was away",
            ["queue", "reason"], registry=r,
        )
        self.duplicates = Counter(
            "pishkhan_messages_duplicate_total", "Redelivered messages skipped by the inbox",
            ["queue"], registry=r,
        )
        self.handled = Counter(
            "pishkhan_messages_handled_total", "Messages handled, by outcome",
            ["queue", "outcome"], registry=r,
        )
