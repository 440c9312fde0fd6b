"""The fault campaign, short: ten new-license cases while Temporal, the worker and the
licensing service are each SIGKILLed and restarted, on a platform of its own
(bench/chaos.py); nothing may be lost, stuck, doubled or dead-lettered.

The campaign's notifications send through the log channel, which cannot be asked what it
sent before a kill; a notifications kill with the real gateway's status check is
tests/notifications/test_restart.py, and `make chaos` kills notifications too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KILLS = ["temporal", "workflows", "licensing"]
CASES = 10
TIME_BOUND_SECONDS = 230


@pytest.mark.timeout(TIME_BOUND_SECONDS + 30)
def test_cases_survive_kills_of_temporal_notifications_and_licensing(tmp_path: Path) -> None:
    figures_path = tmp_path / "figures.json"
    output_path = tmp_path / "output.txt"
    with open(output_path, "wb") as output:
        campaign = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "chaos.py"), "--cases", str(CASES),
             "--concurrency", "4", "--kill-order", ",".join(KILLS), "--kills", str(len(KILLS)),
             "--settle", "60", "--step-timeout", "90",
             "--var-dir", str(tmp_path / "var"), "--json", str(figures_path)],
            cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
        )
        try:
            returncode = campaign.wait(TIME_BOUND_SECONDS)
        except subprocess.TimeoutExpired:
            # SIGTERM: the campaign stops its platform and deletes its vhost
            campaign.terminate()
            campaign.wait(60)
            raise
        finally:
            if campaign.poll() is None:
                campaign.kill()
    stdout = output_path.read_text(encoding="utf-8", errors="replace")
    report = stdout[-8000:]
    assert figures_path.is_file(), report
    figures = json.loads(figures_path.read_text())

    # every process of the plan was killed, came back and answered again
    assert [k["process"] for k in figures["kills"]] == KILLS, report
    assert all(k["ready_after_seconds"] is not None for k in figures["kills"]), report
    # a kill that finds no case under way (all were between steps) tests less, not nothing
    assert any(k["in_flight"] > 0 for k in figures["kills"]), report
    # the table's figures: every case submitted and issued with one license, its
    # notices each sent once, no dead letter
    assert figures["submitted"] == CASES, report
    assert figures["stuck"] == {}, report
    assert figures["lost"] == {}, report
    assert figures["issued"] == CASES, report
    assert figures["licenses_per_application"] == {"1": CASES}, report
    assert figures["doubled"] == {}, report
    assert figures["notices_sent_by_channel"] >= CASES, report
    assert {q: n for q, n in figures["dead_letters"].items() if n} == {}, report
    assert figures["passed"] is True and returncode == 0, report
    assert "PASS: lost 0, stuck 0, doubled 0, dead letters 0" in stdout, report
