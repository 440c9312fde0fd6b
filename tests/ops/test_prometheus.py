"""A real Prometheus (Debian's package) scraping the platform this test starts: after one
case, every target is up and Prometheus answers what ops would ask of it — how many
licenses are active, how many tasks were completed."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.auth_fixtures import TokenIssuer
from tests.conftest import BusNamespace, announce_staff, eventually, free_port, wait_for_port
from tests.e2e.conftest import STAFF, start_stack
from tests.e2e.test_new_license import (
    APPLICANT,
    People,
    apply,
    claim_and_complete,
    inspect_and_decide,
    review,
    status_of,
)


def prometheus_binary() -> str:
    found = shutil.which("prometheus") or ("/usr/bin/prometheus"
                                           if Path("/usr/bin/prometheus").exists() else None)
    assert found, "install Debian's prometheus package (make test does so as root)"
    return found


async def query(client: httpx.AsyncClient, expr: str) -> list[dict[str, Any]]:
    reply = await client.get("/api/v1/query", params={"query": expr})
    assert reply.status_code == 200, reply.text
    return reply.json()["data"]["result"]


async def test_prometheus_scrapes_every_service_and_sees_the_case(
    bus_ns: BusNamespace, tmp_path: Path, temporal_address: str, issuer: TokenIssuer,
    peer: Any,
) -> None:
    async with AsyncExitStack() as stack:
        services = await start_stack(stack, bus_ns=bus_ns, tmp_path=tmp_path,
                                     temporal_address=temporal_address, auth=issuer.settings())
        targets = {name: str(getattr(services, name).base_url).removeprefix("http://")
                   for name in ("applications", "licensing", "notifications", "complaints")}
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [
                {"job_name": name, "static_configs": [{"targets": [address],
                                                        "labels": {"service": name}}]}
                for name, address in targets.items()
            ],
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        log = open(tmp_path / "prometheus.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [prometheus_binary(), f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT)
        try:
            await asyncio.to_thread(wait_for_port, port, 30, process)
            prometheus = await stack.enter_async_context(
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10))

            # one case, start to end
            await announce_staff(peer, *STAFF)
            people = People(issuer, APPLICANT["national_code"])
            await asyncio.sleep(0.5)
            application = await apply(services, people.applicant, APPLICANT)
            await claim_and_complete(services.applications, people.clerk,
                                     application["case_id"], "document_review",
                                     review("accept"))
            await inspect_and_decide(services, people, application["case_id"])
            await status_of(services, people.applicant, application["id"], "issued")

            async def all_up() -> list | None:
                found = await query(prometheus, "up")
                up = {r["metric"]["job"]: r["value"][1] for r in found}
                return found if up == {name: "1" for name in targets} else None

            await eventually(all_up, timeout=30)

            async def one_active_license() -> bool:
                found = await query(prometheus, 'sum(pishkhan_licenses{status="active"})')
                return bool(found) and found[0]["value"][1] == "1"

            await eventually(one_active_license, timeout=30)

            async def three_completed_tasks() -> bool:
                found = await query(
                    prometheus, 'sum(pishkhan_task_actions_total{action="complete"})')
                return bool(found) and found[0]["value"][1] == "3"

            await eventually(three_completed_tasks, timeout=30)
            issued = await query(prometheus, 'sum(pishkhan_cases{status="issued"})')
            assert issued and issued[0]["value"][1] == "1"
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
