"""``/metrics`` in the Prometheus text format: read from the store at each scrape, so
the numbers are the ones the pages show (no counters kept in this process)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from jobsmith.dashboard.state import dashboard_of
from jobsmith.store import Store, utcnow
from jobsmith.store.views import DURATION_BUCKETS

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class StoreCollector(Collector):
    """Gauges and a histogram built from the store's tables."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        views = self.store.views
        jobs = GaugeMetricFamily(
            "jobsmith_jobs", "Queue jobs by task and status.", labels=["task", "status"]
        )
        for type_key, task_key, status, n in self.store.jobs.counts():
            jobs.add_metric([f"{type_key}.{task_key}", status], n)
        yield jobs

        depth = GaugeMetricFamily(
            "jobsmith_queue_depth", "Jobs waiting in each queue.", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "jobsmith_queue_oldest_waiting_seconds",
            "Age of the oldest waiting job in each queue.",
            labels=["queue"],
        )
        now = utcnow()
        for queue, n, first in views.queue_depth():
            depth.add_metric([queue], n)
            oldest.add_metric([queue], (now - first).total_seconds() if first else 0.0)
        yield depth
        yield oldest

        spans = views.attempt_durations()
        buckets = [
            (str(bound), count)
            for bound, count in zip(DURATION_BUCKETS, spans.cumulative, strict=True)
        ]
        histogram = HistogramMetricFamily(
            "jobsmith_attempt_duration_seconds", "How long the attempts of queue jobs took."
        )
        histogram.add_metric([], [*buckets, ("+Inf", spans.count)], spans.total)
        yield histogram

        alive = [w for w in views.workers(now) if w.alive]
        live = GaugeMetricFamily("jobsmith_workers_live", "Workers whose lease is current.")
        live.add_metric([], len(alive))
        yield live

        lag = GaugeMetricFamily(
            "jobsmith_schedule_lag_seconds",
            "Seconds from a fire's planned time to its start (the newest fire of each entry).",
            labels=["schedule", "entry"],
        )
        for schedule, entry_id, name, seconds in views.schedule_lag():
            lag.add_metric([schedule, f"{entry_id} {name}"], seconds)
        yield lag

        runs = GaugeMetricFamily(
            "jobsmith_runs",
            "Job runs in the run log by kind and status.",
            labels=["kind", "status"],
        )
        for kind, status, n in views.run_counts():
            runs.add_metric([kind, status], n)
        yield runs


def exposition(store: Store) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store))
    return generate_latest(registry)


async def metrics(request: Request) -> Response:
    body = await run_in_threadpool(exposition, dashboard_of(request).store)
    return Response(body, media_type=CONTENT_TYPE)
