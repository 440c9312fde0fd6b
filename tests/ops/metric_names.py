"""Which metric names a PromQL expression reads, and whether each one exists: in our code, as
a recording rule, or among the metrics of a library or server we scrape (listed below)."""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))

# The names a metric of each type is exposed under, from its declared name. prometheus_client
# adds _total to a counter (and _created to counters and histograms); the Temporal SDK's
# meter adds nothing to a counter and no unit to a histogram.
EXPOSED = {
    "Counter": ("_total", "_created"),
    "Gauge": ("",),
    "Histogram": ("_bucket", "_count", "_sum", "_created"),
    "Summary": ("", "_count", "_sum", "_created"),
    "temporal_counter": ("",),
    "temporal_gauge": ("",),
    "temporal_histogram": ("_bucket", "_count", "_sum"),
}

# Temporal SDK (core) worker metrics, as the worker serves them on
# WORKFLOWS_SDK_METRICS_ADDRESS with durations_as_seconds=True: histograms in seconds and
# without a _seconds suffix, counters without _total. Read off a running worker's /metrics.
TEMPORAL_SDK = {
    "temporal_workflow_task_schedule_to_start_latency": "temporal_histogram",
    "temporal_workflow_task_execution_latency": "temporal_histogram",
    "temporal_workflow_task_replay_latency": "temporal_histogram",
    "temporal_workflow_endtoend_latency": "temporal_histogram",
    "temporal_activity_schedule_to_start_latency": "temporal_histogram",
    "temporal_activity_execution_latency": "temporal_histogram",
    "temporal_workflow_completed": "temporal_counter",
    "temporal_workflow_failed": "temporal_counter",
    "temporal_workflow_task_execution_failed": "temporal_counter",
    "temporal_workflow_task_queue_poll_succeed": "temporal_counter",
    "temporal_activity_execution_failed": "temporal_counter",
    "temporal_activity_task_received": "temporal_counter",
    "temporal_sticky_cache_hit": "temporal_counter",
    "temporal_request": "temporal_counter",
    "temporal_request_failure": "temporal_counter",
    "temporal_num_pollers": "temporal_gauge",
    "temporal_worker_task_slots_available": "temporal_gauge",
    "temporal_worker_task_slots_used": "temporal_gauge",
    "temporal_sticky_cache_size": "temporal_gauge",
}

# RabbitMQ's rabbitmq_prometheus plugin, /metrics/detailed?family=queue_coarse_metrics
# (the rabbitmq-queues job of prometheus.yml).
RABBITMQ = frozenset({
    "rabbitmq_detailed_queue_messages",
    "rabbitmq_detailed_queue_messages_ready",
    "rabbitmq_detailed_queue_messages_unacked",
})

# Prometheus's own series for every target.
PROMETHEUS_OWN = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})

# Proposed to a service but not in its code yet; a panel reading one shows "no data" until then.
PENDING: dict[str, str] = {}

# FastStream's RabbitPrometheusMiddleware (services/kit/bus.py): checked against the library.
FASTSTREAM_PREFIX = "faststream_"

_KEYWORDS = frozenset({
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "inf", "nan", "sum", "min", "max", "avg", "group", "stddev", "stdvar",
    "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio",
})


def promql_metric_names(expr: str) -> set[str]:
    """Metric (and recording rule) names an expression reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    text = re.sub(r"\$\{[^}]*\}|\$\w+", " ", text)  # Grafana variables
    text = re.sub(r"\{[^{}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\boffset\s+-?[\w.]+", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.:])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _KEYWORDS:
            continue
        names.add(name)
    return names


_DECLARATION = re.compile(
    r"\b(Counter|Gauge|Histogram|Summary|create_counter|create_gauge|create_gauge_float"
    r"|create_histogram|create_histogram_float|create_histogram_timedelta)\(\s*"
    r"[\"'](pishkhan_[a-z0-9_]+)[\"']")
_KIND = {"create_counter": "temporal_counter", "create_gauge": "temporal_gauge",
         "create_gauge_float": "temporal_gauge", "create_histogram": "temporal_histogram",
         "create_histogram_float": "temporal_histogram",
         "create_histogram_timedelta": "temporal_histogram"}


@cache
def code_metrics() -> dict[str, str]:
    """Every ``pishkhan_*`` metric declared in the services' and workflows' code, with its
    type (a prometheus_client class, or a Temporal meter's kind)."""
    found: dict[str, str] = {}
    for folder in ("services", "workflows"):
        for path in (ROOT / folder).rglob("*.py"):
            for call, name in _DECLARATION.findall(path.read_text("utf-8")):
                found[name] = _KIND.get(call, call)
    return found


def exposed_names(declared: dict[str, str]) -> frozenset[str]:
    names = set()
    for name, kind in declared.items():
        base = name.removesuffix("_total") if kind == "Counter" else name
        names.update(base + suffix for suffix in EXPOSED[kind])
    return frozenset(names)


@cache
def recording_rule_names() -> frozenset[str]:
    names = set()
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text("utf-8"))["groups"]:
            names.update(rule["record"] for rule in group["rules"] if "record" in rule)
    return frozenset(names)


@cache
def _faststream_source() -> str:
    spec = importlib.util.find_spec("faststream.prometheus.container")
    assert spec is not None and spec.origin is not None, "faststream[prometheus] is not installed"
    return Path(spec.origin).read_text("utf-8")


def is_known(name: str) -> bool:
    if name in recording_rule_names() or name in PROMETHEUS_OWN or name in RABBITMQ:
        return True
    if name in PENDING:
        return True
    if name.startswith("pishkhan_"):
        return name in exposed_names(code_metrics())
    if name.startswith("temporal_"):
        return name in exposed_names(TEMPORAL_SDK)
    if name.startswith(FASTSTREAM_PREFIX):
        base = name.removeprefix(FASTSTREAM_PREFIX)
        candidates = {base, *(base.removesuffix(s) for s in ("_bucket", "_count", "_sum"))}
        return any(f"_{candidate}\"" in _faststream_source() for candidate in candidates)
    return False


def rule_expressions() -> list[tuple[str, str, dict[str, Any]]]:
    """(file name, expression, rule) for every rule of every rule file."""
    found = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text("utf-8"))["groups"]:
            for rule in group["rules"]:
                found.append((path.name, str(rule["expr"]), rule))
    return found
