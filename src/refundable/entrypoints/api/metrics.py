"""Prometheus metrics of one service process, on its own registry (``GET /metrics``).

Counted where they happen: requests by route template and status (the request-id middleware
reports every request), decisions by kind, outcome and remedy (told by the one place each is
made, whoever asked: the previewer for previews, the bus for every decision a committed
command recorded; ADR 0084), job passes by their duration (the scheduled-work loop).
Gauges read what only the store knows: the outbox's unsent messages and the age of the oldest
(its lag, one indexed aggregate, read at scrape time), and the open cases at risk or breached,
which needs every open case's clocks: that one is a :class:`Snapshot` the serve loop refreshes
each pass, so a scrape reads memory (a scrape finding it older than ``max_age_s`` refreshes it,
for processes without the loop). A registry per app keeps tests and several apps in one process
apart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from refundable.policy.document import Outcome, Remedy
from refundable.service.decisions import DecisionKind

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "refundable_http_request_seconds",
            "HTTP requests by route template, method and status, with their duration",
            ["route", "method", "status"],
            buckets=_LATENCY,
            registry=self.registry,
        )
        self.decisions = Counter(
            "refundable_decisions_total",
            "Decisions made, by outcome and remedy and by whether they were recorded (case "
            "intake, judgement, override, decision route) or only previewed",
            ["outcome", "kind", "remedy"],
            registry=self.registry,
        )
        self.job_runs = Histogram(
            "refundable_job_run_seconds",
            "Passes of the scheduled-work loop and their duration",
            ["outcome"],
            buckets=_LATENCY,
            registry=self.registry,
        )
        self.cases_opened = Counter(
            "refundable_cases_opened_total",
            "Refund cases opened through the API, by the state intake left them in",
            ["state"],
            registry=self.registry,
        )
        self.plain_paths: frozenset[str] = frozenset()  # see ``_plain``; set by create_app
        self.jobs = Counter(
            "refundable_job_actions_total",
            "Due actions run by the loop",
            ["result"],
            registry=self.registry,
        )

    def count_decision(self, kind: DecisionKind, outcome: Outcome, remedy: Remedy) -> None:
        """A ``DecisionSeen``: the previewer and the bus call it once per decision."""
        self.decisions.labels(outcome.value, kind.value, remedy.value).inc()

    def observe_request(self, scope: Any, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or self._plain(scope.get("path", ""))
        self.requests.labels(template, scope.get("method", ""), str(status)).observe(seconds)

    def _plain(self, path: str) -> str:
        """A path of a plain route (FastAPI's own ``/openapi.json``, ``/docs``: they do not
        name their route in the scope) is its own label; any other path is "unmatched", so
        no path a client makes up becomes a label of its own."""
        return path if path in self.plain_paths else "unmatched"

    def add_gauges(self, read: Callable[[], dict[str, float]], name: str, doc: str) -> None:
        """A gauge family read at scrape time: ``read`` returns {label value: number}."""
        self.registry.register(_Gauges(name, doc, read))


class Snapshot:
    """The last reading of an expensive gauge family: ``refresh`` reads it now (the periodic
    job); calling the snapshot returns the last reading, read afresh only when there is none
    or it is older than ``max_age_s``."""

    def __init__(
        self,
        read: Callable[[], dict[str, float]],
        max_age_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read, self._max_age_s, self._clock = read, max_age_s, clock
        self._value: dict[str, float] | None = None
        self._at = 0.0
        self._lock = threading.Lock()

    def refresh(self) -> dict[str, float]:
        value = self._read()
        with self._lock:
            self._value, self._at = value, self._clock()
        return value

    def __call__(self) -> dict[str, float]:
        value = self._value
        if value is None or self._clock() - self._at > self._max_age_s:
            return self.refresh()
        return value


class _Gauges(Collector):
    def __init__(self, name: str, doc: str, read: Callable[[], dict[str, float]]) -> None:
        self.name, self.doc, self.read = name, doc, read

    def collect(self) -> Any:
        family = GaugeMetricFamily(self.name, self.doc, labels=["what"])
        for label, value in self.read().items():
            family.add_metric([label], value)
        yield family

    def describe(self) -> Any:
        return []


router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Prometheus text exposition",
        }
    },
)
def metrics(request: Request) -> Response:
    """Prometheus metrics of this process (no key needed; expose it to your scraper only)."""
    found: Metrics = request.app.state.api.metrics
    return Response(generate_latest(found.registry), media_type=CONTENT_TYPE_LATEST)
