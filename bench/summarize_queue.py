"""The queue comparison table: jobsmith beside the peers, with ratios, from one directory of
JSON-line results (bench/results/*.jsonl written by queue_vs_peers.py and the peer scripts).

    .venv/bin/python bench/summarize_queue.py bench/results
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

METRICS = ("enqueue_1by1", "enqueue_batch", "drain_1proc", "drain_2proc")
PEERS_PG = (
    ("pgqueuer", "PgQueuer 1.6.0"),
    ("procrastinate", "Procrastinate 3.10.0"),
    ("jobmaster", "JobMaster 0.1.1"),
)
PEERS_SQLITE = (("huey_sqlite", "Huey 3.5.4 (SqliteHuey)"),)


def load(folder: Path) -> dict[tuple[str, str], dict]:
    found: dict[tuple[str, str], dict] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if "lib" in row:
                found[row["lib"], row["metric"]] = row
    return found


def cell(rows: dict, lib: str, metric: str) -> str:
    row = rows.get((lib, metric))
    if row is None:
        return "—"
    if metric.startswith("latency"):
        return f"{row['p50_ms']:.2f} / {row['p99_ms']:.2f}"
    mark = "" if row.get("ok", True) else " (incomplete)"
    return f"{row['value']:,.0f}{mark}"


def ratio(rows: dict, ours: str, peer: str, metric: str) -> str:
    a, b = rows.get((ours, metric)), rows.get((peer, metric))
    if a is None or b is None:
        return "—"
    if metric.startswith("latency"):
        return f"{b['p50_ms'] / a['p50_ms']:.1f}x" if a["p50_ms"] else "—"
    return f"{a['value'] / b['value']:.1f}x" if b["value"] else "—"


def table(
    rows: dict, ours: str, ours_name: str, peers: tuple, latency: str = "latency"
) -> list[str]:
    head = "| | enqueue 1-by-1 jobs/s | enqueue batched jobs/s | drain 1 proc jobs/s | drain 2 procs jobs/s | latency p50 / p99 ms |"
    out = [head, "|---|---:|---:|---:|---:|---:|"]
    out.append(
        f"| **{ours_name}** | "
        + " | ".join(cell(rows, ours, m) for m in (*METRICS, "latency"))
        + " |"
    )
    for lib, name in peers:
        lat = "latency_d0.01_m0.01" if lib == "huey_sqlite" else "latency"
        out.append(f"| {name} | " + " | ".join(cell(rows, lib, m) for m in (*METRICS, lat)) + " |")
    for lib, name in peers:
        lat = "latency_d0.01_m0.01" if lib == "huey_sqlite" else "latency"
        ratios = [ratio(rows, ours, lib, m) for m in METRICS]
        ratios.append(_latency_ratio(rows, ours, lib, lat))
        out.append(f"| jobsmith ÷ {name} | " + " | ".join(ratios) + " |")
    return out


def _latency_ratio(rows: dict, ours: str, peer: str, metric: str) -> str:
    a, b = rows.get((ours, "latency")), rows.get((peer, metric))
    if a is None or b is None or not a["p50_ms"]:
        return "—"
    return f"{b['p50_ms'] / a['p50_ms']:.1f}x faster"


def main(folder: str) -> None:
    rows = load(Path(folder))
    print("PostgreSQL\n")
    print("\n".join(table(rows, "jobsmith_pg", "jobsmith (PostgreSQL)", PEERS_PG)))
    print(
        "\nSQLite (Huey's latency with consumer delays -d 0.01 -m 0.01; default delays give ~54 ms)\n"
    )
    print("\n".join(table(rows, "jobsmith_sqlite", "jobsmith (SQLite)", PEERS_SQLITE)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results")
