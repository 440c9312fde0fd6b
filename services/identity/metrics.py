"""Business metrics of the identity service, on the service's own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class IdentityMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.login_failures = Counter(
            "pishkhan_identity_login_failures_total",
            "Refused sign-ins, by reason (bad_credentials, rate_limited)",
            ["reason"], registry=registry,
        )
        self.tokens_issued = Counter(
            "pishkhan_identity_tokens_issued_total", "Access tokens issued", registry=registry,
        )
        for reason in ("bad_credentials", "rate_limited"):
            self.login_failures.labels(reason)
