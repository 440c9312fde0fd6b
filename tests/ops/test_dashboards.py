"""The Grafana dashboards and their provisioning: valid JSON with what Grafana needs, in step
with the file that writes them, every expression valid PromQL, and every metric a panel
reads existing (in our code, as a recording rule, or from Temporal's SDK, FastStream,
RabbitMQ or Prometheus itself: tests/ops/metric_names.py lists those)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ops.metric_names import ROOT, is_known, promql_metric_names
from tests.ops.test_alert_rules import promtool

GRAFANA = ROOT / "deploy" / "grafana"
BOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
PANEL_TYPES = {"row", "timeseries", "stat", "bargauge", "table", "gauge", "text"}
EXPECTED = {"pishkhan-overview", "pishkhan-applications", "pishkhan-licensing",
            "pishkhan-notifications", "pishkhan-identity", "pishkhan-complaints",
            "pishkhan-complaints-supervision", "pishkhan-workflows"}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in board["panels"]:
        found.append(panel)
        found.extend(panel.get("panels") or [])  # a collapsed row holds its panels
    return found


def expressions() -> list[tuple[str, str, str]]:
    """(dashboard, panel title, expression) of every target."""
    return [(path.name, panel["title"], target["expr"])
            for path in BOARDS for panel in panels(load(path))
            for target in panel.get("targets") or ()]


def test_every_dashboard_is_there_once() -> None:
    uids = [load(path)["uid"] for path in BOARDS]
    assert len(uids) == len(set(uids)), "two dashboards share a uid"
    assert set(uids) == EXPECTED
    titles = [load(path)["title"] for path in BOARDS]
    assert len(titles) == len(set(titles))


@pytest.mark.parametrize("path", BOARDS, ids=lambda p: p.stem)
def test_a_dashboard_has_what_grafana_needs(path: Path) -> None:
    board = load(path)
    assert re.fullmatch(r"[a-z0-9-]{1,40}", board["uid"]), "uids: at most 40 characters"
    assert path.name == f"{board['uid']}.json"
    assert board["title"] and isinstance(board["schemaVersion"], int)
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in panels(board)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    assert panels(board), "no panels"
    for panel in panels(board):
        where = f"{path.name}: {panel.get('title')!r}"
        assert panel["type"] in PANEL_TYPES, where
        assert panel["title"], where
        pos = panel["gridPos"]
        assert {"h", "w", "x", "y"} <= pos.keys(), where
        assert pos["w"] > 0 and pos["h"] > 0 and pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, where
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, where
        targets = panel["targets"]
        assert targets, f"{where} has no targets"
        ref_ids = [target["refId"] for target in targets]
        assert len(ref_ids) == len(set(ref_ids)), where
        for target in targets:
            assert target["expr"].strip(), where
            assert target["datasource"] == panel["datasource"], where


def test_panels_do_not_overlap() -> None:
    for path in BOARDS:
        taken: set[tuple[int, int]] = set()
        for panel in load(path)["panels"]:
            pos = panel["gridPos"]
            cells = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"])
                     for y in range(pos["y"], pos["y"] + pos["h"])}
            assert not cells & taken, f"{path.name}: {panel['title']!r} overlaps another panel"
            taken |= cells


def test_every_metric_a_panel_reads_exists() -> None:
    unknown = {}
    for board, title, expr in expressions():
        names = promql_metric_names(expr)
        assert names, f"{board}: {title!r} reads no metric: {expr!r}"
        missing = sorted(name for name in names if not is_known(name))
        if missing:
            unknown[f"{board}: {title}"] = missing
    assert unknown == {}


def test_every_panel_expression_is_valid_promql(tmp_path: Path) -> None:
    # promtool checks the syntax of rule expressions: give it each panel's as a rule
    rules = [{"record": f"panel:check:n{n}",
              "expr": expr.replace("$__rate_interval", "5m")}
             for n, (_, _, expr) in enumerate(expressions())]
    rule_file = tmp_path / "panels.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    result = subprocess.run([promtool(), "check", "rules", str(rule_file)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dashboards_are_what_dashboards_py_writes() -> None:
    spec = importlib.util.spec_from_file_location("grafana_dashboards", GRAFANA / "dashboards.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    try:
        spec.loader.exec_module(module)
        rendered: dict[str, str] = module.render()
    finally:
        del sys.modules[spec.name]
    on_disk = {path.name: path.read_text("utf-8") for path in BOARDS}
    assert rendered.keys() == on_disk.keys()
    stale = [name for name, text in rendered.items() if on_disk[name] != text]
    assert stale == [], "run: .venv/bin/python deploy/grafana/dashboards.py"


def test_grafana_is_provisioned_with_the_data_source_and_the_dashboards() -> None:
    sources = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    assert sources["apiVersion"] == 1
    (source,) = sources["datasources"]
    assert source["type"] == "prometheus" and source["isDefault"] is True
    assert source["url"].startswith("http")
    providers = yaml.safe_load((GRAFANA / "provisioning/dashboards/pishkhan.yml").read_text())
    assert providers["apiVersion"] == 1
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"].startswith("/")
    readme = (GRAFANA / "README.md").read_text("utf-8")
    assert f"dashboards:{provider['options']['path']}" in readme, \
        "the README's mount must match the provider's path"
