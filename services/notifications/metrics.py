"""Business metrics of notifications, on the service's own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class NotificationsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "pishkhan_notification_deliveries_total",
            "Deliveries that reached a final outcome (sent, failed, skipped), by channel",
            ["channel", "outcome"], registry=registry,
        )
        self.retries = Counter(
            "pishkhan_notification_delivery_retries_total",
            "Transient failures put back for another try, by channel",
            ["channel"], registry=registry,
        )
        self.provider_errors = Counter(
            "pishkhan_notification_provider_errors_total",
            "Failed sends by channel, provider and the provider's code",
            ["channel", "provider", "code"], registry=registry,
        )
        self.provider_latency = Histogram(
            "pishkhan_notification_provider_latency_seconds",
            "Time the provider took to take (or refuse) one message",
            ["channel", "provider"], registry=registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.status_checks = Counter(
            "pishkhan_notification_status_checks_total",
            "Providers asked about a delivery whose last try had an unknown outcome, by what "
            "they answered: sent (nothing sent again), unknown (sent), failed, error "
            "(could not be asked; asked again later)",
            ["channel", "provider", "outcome"], registry=registry,
        )
        self.pending = Gauge(
            "pishkhan_notification_deliveries_pending",
            "Deliveries waiting to be sent (including those waiting for a retry), by channel",
            ["channel"], registry=registry,
        )
