"""The Prometheus configuration and rules: valid for promtool, their unit tests pass, every
alert is tested both ways, explains itself and names a runbook, and every metric they read
exists."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.ops.metric_names import (
    PROMETHEUS,
    ROOT,
    RULE_FILES,
    is_known,
    promql_metric_names,
    rule_expressions,
)

RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
ALERTS = PROMETHEUS / "rules" / "alerts.yml"


def promtool() -> str:
    found = shutil.which("promtool") or (
        "/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None)
    if found is None:
        pytest.fail("promtool is not installed: install Debian's prometheus package "
                    "(apt-get install -y prometheus), which provides /usr/bin/promtool")
    return found


def run_promtool(*args: str) -> str:
    result = subprocess.run([promtool(), *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"promtool {' '.join(args)} failed:\n{output}"
    return output


def alerts() -> list[dict[str, object]]:
    return [rule for group in yaml.safe_load(ALERTS.read_text("utf-8"))["groups"]
            for rule in group["rules"]]


def test_the_scrape_configuration_is_valid() -> None:
    output = run_promtool("check", "config", "deploy/prometheus/prometheus.yml")
    assert f"{len(RULE_FILES)} rule files found" in output


def test_the_rule_files_are_valid() -> None:
    run_promtool("check", "rules", *(str(p.relative_to(ROOT)) for p in RULE_FILES))


def test_the_rule_unit_tests_pass() -> None:
    assert RULE_TESTS, "no rule tests in deploy/prometheus/tests"
    output = run_promtool("test", "rules", *(str(p.relative_to(ROOT)) for p in RULE_TESTS))
    assert "FAILED" not in output


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_stays_quiet() -> None:
    fires: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text("utf-8"))["tests"]:
            for check in case.get("alert_rule_test") or ():
                (fires if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {str(rule["alert"]) for rule in alerts()}
    assert names, "no alerts"
    assert names - fires == set(), "alerts never seen firing in a test"
    assert names - quiet == set(), "alerts never seen staying quiet in a test"


def test_every_alert_explains_itself_and_has_a_runbook() -> None:
    for rule in alerts():
        name = str(rule["alert"])
        annotations = rule.get("annotations") or {}
        assert isinstance(annotations, dict)
        assert annotations.get("summary") and annotations.get("description"), name
        assert (rule.get("labels") or {}).get("severity") in {"critical", "warning"}, name  # type: ignore[union-attr]
        runbook = ROOT / str(annotations.get("runbook_url"))
        assert runbook == ROOT / "deploy" / "runbooks" / f"{name}.md", name
        text = runbook.read_text("utf-8")
        assert f"# {name}" in text
        for section in ("## What it means", "## What to check", "## What to do"):
            assert section in text, f"{runbook.name} lacks {section!r}"


def test_every_metric_the_rules_read_exists() -> None:
    unknown = {}
    for file_name, expr, rule in rule_expressions():
        names = promql_metric_names(expr)
        assert names, f"no metric found in {expr!r}"
        missing = sorted(name for name in names if not is_known(name))
        if missing:
            unknown[f"{file_name}: {rule.get('alert') or rule.get('record')}"] = missing
    assert unknown == {}


def test_the_metric_name_reader_sees_what_an_expression_reads() -> None:
    expr = ('sum by (service, le) (rate(pishkhan_http_request_duration_seconds_bucket'
            '{route!~"/metrics|/healthz", service="$service"}[$__rate_interval])) '
            'or absent(temporal_num_pollers{poller_type="workflow_task"}) '
            '/ on (queue) group_left(reason) foo:bar:rate5m offset 10m > bool 0.2')
    assert promql_metric_names(expr) == {"pishkhan_http_request_duration_seconds_bucket",
                                         "temporal_num_pollers", "foo:bar:rate5m"}
    assert not is_known("pishkhan_no_such_metric_total")
    assert not is_known("temporal_no_such_metric")
    # suffixes follow the type: a gauge has no _total, the SDK's histograms no _seconds,
    # the SDK's counters (ours through its meter too) no _total
    assert is_known("pishkhan_outbox_backlog") and not is_known("pishkhan_outbox_backlog_total")
    assert is_known("pishkhan_http_request_duration_seconds_bucket")
    assert not is_known("pishkhan_http_request_duration_seconds")
    assert is_known("temporal_workflow_task_schedule_to_start_latency_bucket")
    assert not is_known("temporal_workflow_task_schedule_to_start_latency_seconds_bucket")
    assert is_known("pishkhan_workflow_task_deadlines")
    assert not is_known("pishkhan_workflow_task_deadlines_total")
    assert is_known("faststream_received_processed_messages_duration_seconds_bucket")
    assert not is_known("faststream_no_such_metric_total")
