"""Writes the Grafana dashboards of deploy/grafana/dashboards/ (JSON, provisioned as files).

    .venv/bin/python deploy/grafana/dashboards.py

Edit the dashboards here, run this, and commit both: tests/ops/test_dashboards.py fails
when the JSON and this file disagree. Panels read the recording rules of
deploy/prometheus/rules/recording.yml where one exists, so a panel costs Prometheus little.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
PROBES = 'route!~"/healthz|/readyz|/metrics"'
RATE = "$__rate_interval"
# our worker's Temporal SDK metrics; the Temporal server exports some of the same names
SDK = 'service="workflows"'

Target = tuple[str, str]  # (expression, legend)


def quantile(q: float, by: str, bucket: str, window: str = RATE) -> str:
    """The q-quantile of a histogram, per ``by`` (labels, comma-separated)."""
    return f"histogram_quantile({q}, sum by ({by}, le) (rate({bucket}[{window}])))"


@dataclass
class Board:
    uid: str
    title: str
    description: str
    tags: list[str]
    panels: list[dict[str, Any]] = field(default_factory=list)
    _x: int = 0
    _y: int = 0
    _row_height: int = 0

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append({
            "id": len(self.panels) + 1, "type": "row", "title": title, "collapsed": False,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self._y}, "panels": [],
        })
        self._y += 1

    def _newline(self) -> None:
        if self._x:
            self._y += self._row_height
            self._x = 0
            self._row_height = 0

    def _place(self, w: int, h: int) -> dict[str, int]:
        if self._x + w > 24:
            self._newline()
        pos = {"h": h, "w": w, "x": self._x, "y": self._y}
        self._x += w
        self._row_height = max(self._row_height, h)
        return pos

    def add(self, kind: str, title: str, targets: list[Target], *, unit: str = "short",
            w: int = 8, h: int = 8, description: str = "", stack: bool = False,
            thresholds: list[tuple[str, float | None]] | None = None,
            mappings: list[dict[str, Any]] | None = None,
            options: dict[str, Any] | None = None) -> None:
        defaults: dict[str, Any] = {"unit": unit}
        if thresholds:
            defaults["thresholds"] = {"mode": "absolute", "steps": [
                {"color": color, "value": value} for color, value in thresholds]}
        if mappings:
            defaults["mappings"] = mappings
        if kind == "timeseries":
            defaults["custom"] = {
                "drawStyle": "line", "lineWidth": 1, "fillOpacity": 10 if stack else 0,
                "showPoints": "never", "spanNulls": False,
                "stacking": {"mode": "normal" if stack else "none", "group": "A"},
                "thresholdsStyle": {"mode": "line" if thresholds else "off"},
            }
        panel_options: dict[str, Any] = {
            "timeseries": {"legend": {"displayMode": "list", "placement": "bottom",
                                      "showLegend": True},
                           "tooltip": {"mode": "multi", "sort": "desc"}},
            "stat": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                     "colorMode": "background", "graphMode": "none", "textMode": "auto",
                     "justifyMode": "auto", "orientation": "auto"},
            "bargauge": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                                           "values": False},
                         "displayMode": "basic", "orientation": "horizontal",
                         "showUnfilled": True},
        }[kind]
        panel_options.update(options or {})
        self.panels.append({
            "id": len(self.panels) + 1,
            "type": kind,
            "title": title,
            "description": description,
            "datasource": DATASOURCE,
            "gridPos": self._place(w, h),
            "targets": [{
                "refId": chr(ord("A") + n), "datasource": DATASOURCE, "expr": expr,
                "legendFormat": legend, "range": kind == "timeseries",
                "instant": kind != "timeseries",
            } for n, (expr, legend) in enumerate(targets)],
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": panel_options,
        })

    def json(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["pishkhan", *self.tags],
            "timezone": "browser",
            "editable": True,
            "graphTooltip": 1,
            "schemaVersion": 39,
            "version": 1,
            "refresh": "30s",
            "time": {"from": "now-6h", "to": "now"},
            "templating": {"list": [{
                "name": "datasource", "label": "Prometheus", "type": "datasource",
                "query": "prometheus", "current": {}, "hide": 0, "refresh": 1,
                "options": [], "regex": "",
            }]},
            "annotations": {"list": []},
            "links": [{"title": "Pishkhan", "type": "dashboards", "tags": ["pishkhan"],
                       "asDropdown": True, "includeVars": False, "keepTime": True}],
            "panels": self.panels,
        }


UP_MAPPINGS = [{"type": "value", "options": {
    "0": {"text": "DOWN", "color": "red", "index": 0},
    "1": {"text": "UP", "color": "green", "index": 1}}}]
UP_THRESHOLDS: list[tuple[str, float | None]] = [("red", None), ("green", 1)]


# -- the pieces every service has ----------------------------------------------------

def http_panels(board: Board, service: str) -> None:
    s = f'service="{service}"'
    board.row("HTTP")
    board.add("stat", "Up", [(f"up{{{s}}}", "{{instance}}")], w=4, h=8,
              mappings=UP_MAPPINGS, thresholds=UP_THRESHOLDS)
    board.add("timeseries", "Requests per second by route",
              [(f"service_route:pishkhan_http_requests:rate5m{{{s}}}", "{{method}} {{route}}")],
              unit="reqps", w=10)
    board.add("timeseries", "Responses by status",
              [(f"sum by (status) (rate(pishkhan_http_requests_total{{{s}, {PROBES}}}[{RATE}]))",
                "{{status}}")], unit="reqps", w=10, stack=True)
    board.add("timeseries", "5xx share by route",
              [(f"service_route:pishkhan_http_errors:ratio_rate5m{{{s}}} > 0",
                "{{method}} {{route}}")], unit="percentunit", w=12)
    board.add("timeseries", "Latency p95 by route",
              [(f"service_route:pishkhan_http_request_duration_seconds:p95_5m{{{s}}}",
                "{{method}} {{route}}")], unit="s", w=12)


def outbox_panels(board: Board, service: str) -> None:
    s = f'service="{service}"'
    board.row("Outbox")
    board.add("timeseries", "Outbox backlog", [(f"pishkhan_outbox_backlog{{{s}}}", "rows")],
              w=8, description="Rows written with a state change, not yet published.")
    board.add("timeseries", "Oldest unpublished outbox row",
              [(f"pishkhan_outbox_oldest_age_seconds{{{s}}}", "age")], unit="s", w=8,
              thresholds=[("green", None), ("red", 60)],
              description="PishkhanOutboxStuck fires above 60 s for 2 minutes.")
    board.add("timeseries", "Published and failed per second",
              [(f"sum by (type) (rate(pishkhan_outbox_published_total{{{s}}}[{RATE}]))",
                "{{type}}"),
               (f"rate(pishkhan_outbox_publish_failures_total{{{s}}}[{RATE}])", "failures")],
              unit="ops", w=8)


def retention_panels(board: Board, service: str) -> None:
    s = f'service="{service}"'
    board.row("Retention")
    board.add("timeseries", "Rows pruned per hour by table",
              [(f"sum by (table) (increase(pishkhan_retention_pruned_total{{{s}}}[1h]))",
                "{{table}}")], w=12,
              description="Outbox and inbox rows deleted, notification content emptied.")
    board.add("timeseries", "Since the last finished retention run",
              [(f"time() - pishkhan_retention_last_run_timestamp_seconds{{{s}}}",
                "{{instance}}"),
               (f"3 * pishkhan_retention_period_seconds{{{s}}}", "alert at")], unit="s", w=12,
              description="PishkhanRetentionNotRunning fires past three periods.")


def consumer_panels(board: Board, service: str) -> None:
    s = f'service="{service}"'
    board.row("Bus consumers")
    board.add("timeseries", "Messages handled by queue and outcome",
              [(f"service_queue:pishkhan_messages_handled:rate5m{{{s}}}",
                "{{queue}} {{outcome}}")], unit="ops", w=12)
    board.add("timeseries", "Handler time p95 (FastStream)",
              [(quantile(0.95, "handler", "faststream_received_processed_messages_"
                                          f'duration_seconds_bucket{{app_name="{service}"}}'),
                "{{handler}}")], unit="s", w=12)
    board.add("timeseries", "Dead-lettered per second by queue and reason",
              [(f"service_queue:pishkhan_messages_dead_lettered:rate5m{{{s}}}",
                "{{queue}} {{reason}}")], unit="ops", w=12,
              description="Read them with: python -m services.kit.cli dlq show <queue>")
    board.add("timeseries", "Duplicates skipped by the inbox",
              [(f"service_queue:pishkhan_messages_duplicate:rate5m{{{s}}}", "{{queue}}")],
              unit="ops", w=12)


def task_panels(board: Board, service: str, kinds: str) -> None:
    s = f'service="{service}"'
    board.row(f"Human tasks ({kinds})")
    board.add("bargauge", "Open tasks by county",
              [(f"sum by (county) (service_kind_county:pishkhan_tasks_open:sum{{{s}}})",
                "{{county}}")], w=8, h=10)
    board.add("bargauge", "Overdue tasks by county",
              [(f"sum by (county) (service_kind_county:pishkhan_tasks_overdue:sum{{{s}}})",
                "{{county}}")], w=8, h=10,
              thresholds=[("green", None), ("orange", 1), ("red", 5)])
    board.add("timeseries", "Oldest open task by kind",
              [(f"pishkhan_task_oldest_open_age_seconds{{{s}}}", "{{kind}}")], unit="s",
              w=8, h=10)
    board.add("timeseries", "SLA breaches and reminders per hour",
              [(f"service_kind:pishkhan_task_sla_breaches:increase1h{{{s}}}", "breaches {{kind}}"),
               (f"service_kind:pishkhan_task_reminders:increase1h{{{s}}}", "reminders {{kind}}")],
              w=8, thresholds=[("green", None), ("red", 5)],
              description="PishkhanSlaBreachesRising fires above 5 breaches of a kind an hour.")
    board.add("timeseries", "Time from opening to completion (p50, p90)",
              [(quantile(0.5, "kind", f"pishkhan_task_duration_seconds_bucket{{{s}}}", "1h"),
                "p50 {{kind}}"),
               (quantile(0.9, "kind", f"pishkhan_task_duration_seconds_bucket{{{s}}}", "1h"),
                "p90 {{kind}}")],
              unit="s", w=8)
    board.add("timeseries", "Task actions per hour",
              [(f"sum by (kind, action) (increase(pishkhan_task_actions_total{{{s}}}[1h]))",
                "{{kind}} {{action}}")], w=8)


# -- the dashboards ------------------------------------------------------------------

def overview() -> Board:
    board = Board("pishkhan-overview", "Pishkhan overview",
                  "Every process, the bus, cases and tasks, workflows: where to look first.",
                  ["overview"])
    board.row("Processes")
    board.add("stat", "Targets up", [("up", "{{job}} {{source}}")], w=24, h=4,
              mappings=UP_MAPPINGS, thresholds=UP_THRESHOLDS)
    board.add("timeseries", "Requests per second", [("service:pishkhan_http_requests:rate5m",
                                                     "{{service}}")], unit="reqps")
    board.add("timeseries", "5xx share", [("service:pishkhan_http_errors:ratio_rate5m",
                                           "{{service}}")], unit="percentunit")
    board.add("timeseries", "Latency p95", [(
        "service:pishkhan_http_request_duration_seconds:p95_5m", "{{service}}")], unit="s")

    board.row("Bus")
    board.add("timeseries", "Messages handled by outcome", [(
        "sum by (service, outcome) (service_queue:pishkhan_messages_handled:rate5m)",
        "{{service}} {{outcome}}")], unit="ops")
    board.add("timeseries", "Dead-lettered in the last hour", [(
        "service_queue:pishkhan_messages_dead_lettered:increase1h > 0",
        "{{queue}} {{reason}}")],
        description="python -m services.kit.cli dlq list --messages")
    board.add("bargauge", "Dead letters waiting (RabbitMQ)", [(
        "queue:rabbitmq_detailed_queue_messages:dlq", "{{queue}}")],
        thresholds=[("green", None), ("red", 1)],
        description="Needs the rabbitmq_prometheus plugin (rabbitmq-queues scrape job).")
    board.add("timeseries", "Outbox backlog", [("service:pishkhan_outbox_backlog:sum",
                                                "{{service}}")], w=12)
    board.add("timeseries", "Oldest unpublished outbox row", [(
        "service:pishkhan_outbox_oldest_age_seconds:max", "{{service}}")], unit="s", w=12,
        thresholds=[("green", None), ("red", 60)])

    board.row("Cases and tasks")
    board.add("timeseries", "Cases by status", [(
        "sum by (status) (kind_status:pishkhan_cases:sum)", "{{status}}")], stack=True)
    board.add("bargauge", "Cases by kind and status", [(
        "kind_status:pishkhan_cases:sum", "{{kind}} {{status}}")], h=10)
    board.add("bargauge", "Licenses by status", [(
        "sum by (status) (county_status:pishkhan_licenses:sum)", "{{status}}")], h=10)
    board.add("bargauge", "Open tasks by county", [(
        "sum by (county) (service_kind_county:pishkhan_tasks_open:sum)", "{{county}}")],
        h=10)
    board.add("bargauge", "Overdue tasks by county", [(
        "sum by (county) (service_kind_county:pishkhan_tasks_overdue:sum)", "{{county}}")],
        h=10, thresholds=[("green", None), ("orange", 1), ("red", 5)])
    board.add("timeseries", "SLA breaches per hour by kind", [(
        "service_kind:pishkhan_task_sla_breaches:increase1h", "{{kind}}")], h=10,
        thresholds=[("green", None), ("red", 5)])

    board.row("Workflows and notifications")
    board.add("timeseries", "Workflow task schedule-to-start p99", [(
        "task_queue:temporal_workflow_task_schedule_to_start_latency:p99_5m",
        "{{task_queue}}")], unit="s", thresholds=[("green", None), ("red", 0.2)])
    board.add("timeseries", "Workflow pollers", [(
        f"sum by (task_queue, poller_type) (temporal_num_pollers{{{SDK}}})",
        "{{task_queue}} {{poller_type}}")])
    board.add("timeseries", "Notifications by outcome", [(
        "sum by (outcome) (channel_outcome:pishkhan_notification_deliveries:rate5m)",
        "{{outcome}}")], unit="ops", stack=True)
    return board


def applications() -> Board:
    board = Board("pishkhan-applications", "Pishkhan applications",
                  "Applications, documents, document reviews, the applicant's timeline.",
                  ["service"])
    http_panels(board, "applications")
    board.row("Cases")
    board.add("timeseries", "Cases by status", [(
        "sum by (status) (kind_status:pishkhan_cases:sum)", "{{status}}")], w=12,
        stack=True)
    board.add("bargauge", "Cases by kind and status", [(
        "kind_status:pishkhan_cases:sum", "{{kind}} {{status}}")], w=12)
    task_panels(board, "applications", "document reviews")
    outbox_panels(board, "applications")
    retention_panels(board, "applications")
    consumer_panels(board, "applications")
    return board


def licensing() -> Board:
    board = Board("pishkhan-licensing", "Pishkhan licensing",
                  "Offices and licenses, inspections and decisions, the public registry.",
                  ["service"])
    http_panels(board, "licensing")
    board.row("Licenses")
    board.add("bargauge", "Licenses by status", [(
        "sum by (status) (county_status:pishkhan_licenses:sum)", "{{status}}")], w=8, h=10)
    board.add("bargauge", "Active licenses by county", [(
        'sum by (county) (county_status:pishkhan_licenses:sum{status="active"})',
        "{{county}}")], w=8, h=10)
    board.add("bargauge", "Licenses by area", [(
        "sum by (area) (pishkhan_licenses)", "{{area}}")], w=8, h=10)
    task_panels(board, "licensing", "site inspections, decisions, reviews")
    outbox_panels(board, "licensing")
    retention_panels(board, "licensing")
    consumer_panels(board, "licensing")
    return board


def notifications() -> Board:
    board = Board("pishkhan-notifications", "Pishkhan notifications",
                  "Templates and deliveries by channel: SMS, e-mail, in-app.", ["service"])
    http_panels(board, "notifications")
    board.row("Deliveries")
    board.add("timeseries", "Deliveries by channel and outcome", [(
        "channel_outcome:pishkhan_notification_deliveries:rate5m", "{{channel}} {{outcome}}")],
        unit="ops", w=12)
    board.add("timeseries", "Failed for good in the last 15 minutes", [(
        'sum by (channel) (increase(pishkhan_notification_deliveries_total{outcome="failed"}[15m]))',
        "{{channel}}")], w=12, thresholds=[("green", None), ("red", 1)],
        description="PishkhanNotificationDeliveriesFailing; "
                    "python -m services.notifications.cli failed")
    board.add("timeseries", "Waiting to be sent", [(
        "pishkhan_notification_deliveries_pending", "{{channel}}")], w=8)
    board.add("timeseries", "Retries per second", [(
        f"sum by (channel) (rate(pishkhan_notification_delivery_retries_total[{RATE}]))",
        "{{channel}}")], unit="ops", w=8)
    board.add("timeseries", "Provider errors by code", [(
        f"sum by (channel, provider, code) (rate(pishkhan_notification_provider_errors_total[{RATE}]))",
        "{{channel}} {{provider}} {{code}}")], unit="ops", w=8)
    board.add("timeseries", "Provider latency p95", [(
        quantile(0.95, "channel, provider",
                 "pishkhan_notification_provider_latency_seconds_bucket"),
        "{{channel}} {{provider}}")], unit="s", w=12)
    board.add("timeseries", "Deliveries in doubt: what the provider said", [(
        f"sum by (channel, provider, outcome) "
        f"(rate(pishkhan_notification_status_checks_total[{RATE}]))",
        "{{channel}} {{provider}} {{outcome}}")], unit="ops", w=12,
        description="A try whose outcome was unknown (lease ran out, or no answer): sent = "
                    "the provider had it, not sent again; unknown = sent; error = asked "
                    "again later")
    outbox_panels(board, "notifications")
    retention_panels(board, "notifications")
    consumer_panels(board, "notifications")
    return board


def identity() -> Board:
    board = Board("pishkhan-identity", "Pishkhan identity",
                  "Sign-in, tokens and the JWKS every service checks tokens against.",
                  ["service"])
    http_panels(board, "identity")
    board.row("Sign-in")
    board.add("timeseries", "Tokens issued per second", [(
        f"rate(pishkhan_identity_tokens_issued_total[{RATE}])", "tokens")], unit="ops", w=12)
    board.add("timeseries", "Refused sign-ins by reason", [(
        f"sum by (reason) (rate(pishkhan_identity_login_failures_total[{RATE}]))",
        "{{reason}}")], unit="ops", w=12, stack=True)
    outbox_panels(board, "identity")
    retention_panels(board, "identity")
    return board


def complaints() -> Board:
    board = Board("pishkhan-complaints", "Pishkhan complaints",
                  "Complaints (web and 195), triage, investigation, resolution.", ["service"])
    http_panels(board, "complaints")
    task_panels(board, "complaints", "triage, investigations")
    outbox_panels(board, "complaints")
    retention_panels(board, "complaints")
    consumer_panels(board, "complaints")
    return board


# the human tasks of complaints (the complaints service) and of reviews (licensing)
SUPERVISION_TASKS = 'kind=~"complaint_triage|complaint_investigation|review_decision"'


def complaints_and_supervision() -> Board:
    board = Board("pishkhan-complaints-supervision", "Pishkhan complaints and supervision",
                  "Complaints about offices by county and category, how long they take and "
                  "how often they are reopened; reviews of offices and the sanctions they "
                  "ended in.", ["complaints", "supervision"])
    board.row("Complaints")
    board.add("stat", "Open complaints", [("sum(county:pishkhan_complaints_open:sum)", "open")],
              w=6, h=4, thresholds=[("green", None)],
              description="Filed and not yet resolved, rejected, merged or closed.")
    board.add("stat", "Filed in the last 24 hours", [(
        "sum(channel_category:pishkhan_complaints_filed:increase1d)", "filed")],
        w=6, h=4, thresholds=[("green", None)])
    board.add("stat", "Time to resolution, p90 (7 days)", [(
        "province:pishkhan_complaint_resolution_seconds:p90_7d", "p90")], unit="s",
        w=6, h=4, thresholds=[("green", None)])
    board.add("stat", "Reopen rate", [("province:pishkhan_complaints_reopened:ratio",
                                       "reopened")], unit="percentunit", w=6, h=4,
              thresholds=[("green", None), ("orange", 0.1), ("red", 0.2)],
              description="Complaints the complainant reopened, of those resolved at least once.")
    board.add("bargauge", "Open complaints by county", [(
        "county:pishkhan_complaints_open:sum", "{{county}}")], w=8, h=10,
        description="PishkhanComplaintsPilingUp fires at 10 or more in a county, over twice "
                    "as many as a week before.")
    board.add("bargauge", "Open complaints by category", [(
        "sum by (category) (category_county:pishkhan_complaints_open:max)", "{{category}}")],
        w=8, h=10)
    board.add("timeseries", "Open complaints by county", [(
        "county:pishkhan_complaints_open:sum", "{{county}}")], w=8, h=10)
    board.add("timeseries", "Filed per day by channel", [(
        "sum by (channel) (channel_category:pishkhan_complaints_filed:increase1d)",
        "{{channel}}")], w=8, stack=True,
        description="web: the public form; phone_195: taken by a 195 operator.")
    board.add("timeseries", "Time to resolution p90 by category (7 days)", [(
        "category:pishkhan_complaint_resolution_seconds:p90_7d", "{{category}}")],
        unit="s", w=8)
    board.add("timeseries", "Reopen rate by category", [(
        "category:pishkhan_complaints_reopened:ratio", "{{category}}")],
        unit="percentunit", w=8)

    board.row("Complaint and review tasks")
    board.add("bargauge", "Open tasks by county and kind", [(
        "sum by (county, kind) "
        f"(service_kind_county:pishkhan_tasks_open:sum{{{SUPERVISION_TASKS}}})",
        "{{county}} {{kind}}")], w=8, h=10)
    board.add("bargauge", "Overdue tasks by county and kind", [(
        "sum by (county, kind) "
        f"(service_kind_county:pishkhan_tasks_overdue:sum{{{SUPERVISION_TASKS}}})",
        "{{county}} {{kind}}")], w=8, h=10,
        thresholds=[("green", None), ("orange", 1), ("red", 3)],
        description="PishkhanComplaintTriageOverdue fires at 3 late triages in a county "
                    "for an hour.")
    board.add("timeseries", "Oldest open task by kind", [(
        f"max by (kind) (pishkhan_task_oldest_open_age_seconds{{{SUPERVISION_TASKS}}})",
        "{{kind}}")], unit="s", w=8, h=10)
    board.add("timeseries", "SLA breaches and reminders per hour", [(
        f"service_kind:pishkhan_task_sla_breaches:increase1h{{{SUPERVISION_TASKS}}}",
        "breaches {{kind}}"),
        (f"service_kind:pishkhan_task_reminders:increase1h{{{SUPERVISION_TASKS}}}",
         "reminders {{kind}}")], w=12)
    board.add("timeseries", "Time from opening to completion (p50, p90)", [(
        quantile(0.5, "kind", f"pishkhan_task_duration_seconds_bucket{{{SUPERVISION_TASKS}}}",
                 "1d"), "p50 {{kind}}"),
        (quantile(0.9, "kind", f"pishkhan_task_duration_seconds_bucket{{{SUPERVISION_TASKS}}}",
                  "1d"), "p90 {{kind}}")], unit="s", w=12)

    board.row("Supervision")
    board.add("bargauge", "Reviews by reason and status", [(
        "reason_status:pishkhan_reviews:max", "{{reason}} {{status}}")], w=8, h=10,
        description="idle: no activity reported; upheld_complaints: too many upheld "
                    "complaints in a year; failed_inspection; operator_not_holder; "
                    "complaint_sanction: a complaint's resolution recommended a sanction.")
    board.add("bargauge", "Sanctions applied by kind", [(
        "kind:pishkhan_sanctions:max", "{{kind}}")], w=8, h=10,
        description="Decided on reviews and applied to the license (not refused because it "
                    "was revoked or expired meanwhile).")
    board.add("timeseries", "Open reviews by reason", [(
        'sum by (reason) (reason_status:pishkhan_reviews:max{status="open"})', "{{reason}}")],
        w=8, h=10, stack=True,
        description="A review with two reasons counts under each.")
    board.add("timeseries", "Office activity reports per day by county", [(
        "county:pishkhan_office_activity_reports:increase1d", "{{county}}")], w=24,
        description="Monthly service counts the offices report; an office that stops "
                    "reporting is reviewed as idle.")
    return board


def workflows() -> Board:
    board = Board("pishkhan-workflows", "Pishkhan workflows",
                  "The Temporal worker (SDK metrics on :8110) and the bus bridge.",
                  ["workflows", "temporal"])
    board.row("Worker")
    board.add("stat", "Up", [('up{service="workflows"}', "{{source}}")], w=4,
              mappings=UP_MAPPINGS, thresholds=UP_THRESHOLDS)
    board.add("timeseries", "Pollers by type", [(
        f"sum by (task_queue, poller_type) (temporal_num_pollers{{{SDK}}})",
        "{{task_queue}} {{poller_type}}")], w=10,
        description="PishkhanNoWorkflowPollers fires when no workflow poller is left.")
    board.add("timeseries", "Task slots available and used", [(
        f"sum by (worker_type) (temporal_worker_task_slots_available{{{SDK}}})", "free {{worker_type}}"),
        (f"sum by (worker_type) (temporal_worker_task_slots_used{{{SDK}}})", "used {{worker_type}}")],
        w=10)
    board.row("Latency")
    board.add("timeseries", "Workflow task schedule-to-start p99", [(
        "task_queue:temporal_workflow_task_schedule_to_start_latency:p99_5m",
        "{{task_queue}}")], unit="s", thresholds=[("green", None), ("red", 0.2)],
        description="PishkhanWorkflowTaskScheduleToStartSlow fires above 200 ms for 5 min.")
    board.add("timeseries", "Workflow task execution p95", [(
        "task_queue:temporal_workflow_task_execution_latency:p95_5m", "{{task_queue}}")],
        unit="s")
    board.add("timeseries", "Activity schedule-to-start p99", [(
        "task_queue:temporal_activity_schedule_to_start_latency:p99_5m", "{{task_queue}}")],
        unit="s")
    board.add("timeseries", "Activity execution p95 by activity", [(
        quantile(0.95, "activity_type", f"temporal_activity_execution_latency_bucket{{{SDK}}}"),
        "{{activity_type}}")],
        unit="s", w=12)
    board.add("timeseries", "Sticky cache size", [(
        f"sum by (task_queue) (temporal_sticky_cache_size{{{SDK}}})", "{{task_queue}}")], w=12)
    board.row("Outcomes")
    board.add("timeseries", "Activity failures by activity", [(
        f"sum by (activity_type) (rate(temporal_activity_execution_failed{{{SDK}}}[{RATE}]))",
        "{{activity_type}}")], unit="ops")
    board.add("timeseries", "Workflows completed and failed by type", [(
        f"sum by (workflow_type) (rate(temporal_workflow_completed{{{SDK}}}[{RATE}]))",
        "completed {{workflow_type}}"),
        (f"sum by (workflow_type) (rate(temporal_workflow_failed{{{SDK}}}[{RATE}]))",
         "failed {{workflow_type}}")], unit="ops")
    board.add("timeseries", "Workflow task failures", [(
        f"sum by (workflow_type) (rate(temporal_workflow_task_execution_failed{{{SDK}}}[{RATE}]))",
        "{{workflow_type}}")], unit="ops",
        description="Non-determinism and sandbox errors: the case stops until fixed.")
    board.add("timeseries", "Reminders and escalations raised by cases (per hour)", [(
        f"sum by (kind, stage) (increase(pishkhan_workflow_task_deadlines{{{SDK}}}[1h]))",
        "{{kind}} {{stage}}")], w=24)
    consumer_panels(board, "workflows")
    board.add("timeseries", "Commands and events published per second", [(
        f'sum by (destination) (rate(faststream_published_messages_total{{app_name="workflows"}}[{RATE}]))',
        "{{destination}}")], unit="ops", w=24)
    return board


BOARDS = (overview, applications, licensing, notifications, identity, complaints,
          complaints_and_supervision, workflows)


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    files = {}
    for build in BOARDS:
        board = build()
        files[f"{board.uid}.json"] = json.dumps(board.json(), indent=2, ensure_ascii=False) + "\n"
    return files


def main() -> int:
    OUT.mkdir(exist_ok=True)
    files = render()
    for stale in OUT.glob("*.json"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        (OUT / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} dashboards to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
