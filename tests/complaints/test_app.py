"""The complaints service runs with the common shape: health, readiness, metrics."""

from __future__ import annotations

from pathlib import Path

from services.complaints.app import create_app
from services.complaints.settings import ComplaintsSettings
from tests.conftest import BusNamespace, serving


async def test_complaints_service_is_ready_and_measured(bus_ns: BusNamespace,
                                                        tmp_path: Path) -> None:
    settings = ComplaintsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db",
                                  **bus_ns.settings())
    async with serving(create_app(settings)) as client:
        assert (await client.get("/healthz")).json()["service"] == "complaints"
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["broker"] is True
        metrics = (await client.get("/metrics")).text
        assert 'pishkhan_http_requests_total{method="GET",route="/readyz",status="200"} 1.0' in metrics
        assert "pishkhan_outbox_backlog 0.0" in metrics
