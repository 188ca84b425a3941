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


MIXED = (
    ("jobsmith_pg", "**jobsmith (PostgreSQL)**"),
    ("jobsmith_sqlite", "**jobsmith (SQLite)**"),
    ("pgqueuer_b1", "PgQueuer 1.6.0, batch 1"),
    ("pgqueuer_b10", "PgQueuer 1.6.0, batch 10 (default)"),
    ("procrastinate", "Procrastinate 3.10.0"),
)


def mixed_tables(rows: dict) -> list[str]:
    """The mixed workload (makespan ÷ ideal) and the priority run (queue_mixed.py)."""
    out = [
        "Mixed workload: 2 processes x 4 slots, makespan (first start to last end) ÷ ideal"
        " (sum of sleeps / 8)\n",
        "| | jobs done | makespan s | ideal s | ÷ ideal | FIFO bound s | ÷ FIFO bound |"
        " jobs per process | slots used |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lib, name in MIXED:
        row = rows.get((lib, "mixed_makespan"))
        if row is None:
            continue
        mark = _incomplete(row)
        split = " / ".join(str(n) for n in row.get("per_proc", [])) or "—"
        out.append(
            f"| {name} | {row['done']}/{row.get('jobs', row['done'])}{mark} | "
            f"{row['seconds']:.2f} | {row['ideal']:.2f} | {row['ratio_to_ideal']:.2f}x | "
            f"{_fifo(row)} | {split} | {_slots(row)} |"
        )
    idle = [(name, rows[lib, "mixed_makespan"]) for lib, name in MIXED[:2]]
    idle = [(name, row) for name, row in idle if "idle_between_s" in row]
    if idle:
        out += [
            "",
            "Where the slots' idle time went (seconds of slot time, all 8 slots; the FIFO"
            " bound itself idles only after the last jobs start)\n",
            "| | before a slot's first job | between jobs (gap p50 / max ms) |"
            " after a slot's last job |",
            "|---|---:|---:|---:|",
        ]
        for name, row in idle:
            out.append(
                f"| {name} | {row['idle_before_s']:.2f} | {row['idle_between_s']:.2f}"
                f" ({row['gap_p50_ms']} / {row['gap_max_ms']}) | {row['idle_after_s']:.2f} |"
            )
    out += [
        "",
        "Priority: a backlog of low-priority 20 ms jobs, then high-priority jobs posted one by"
        " one; post-to-start of each high job\n",
        "| | backlog | high jobs | p50 ms | max ms | one low job ms | started within it |"
        " low jobs started while a high one waited (from its post call) |"
        " low jobs claimed after a high one committed, before it |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lib, name in MIXED[:2]:
        row = rows.get((lib, "priority_wait"))
        if row is None:
            continue
        out.append(
            f"| {name} | {row['backlog']} | {row['high']}{_incomplete(row)} | {row['p50_ms']} | "
            f"{row['max_ms']} | "
            f"{row['low_job_ms']:.0f} | {row['within_one_low_job']}/{row['high']} | "
            f"{row['low_started_while_high_waited']} |"
            f" {row.get('low_claimed_after_high_committed', '—')} |"
        )
    return out


def _fifo(row: dict) -> str:
    if "fifo_bound" not in row:
        return "— | —"
    return f"{row['fifo_bound']:.2f} | {row['ratio_to_fifo']:.2f}x"


def _incomplete(row: dict) -> str:
    return "" if row.get("ok", True) else " (incomplete)"


def _slots(row: dict) -> str:
    if "slots_used" not in row:
        return "—"
    return f"{row['slots_used']} of {row['slots']}" if "slots" in row else str(row["slots_used"])


def main(folder: str) -> None:
    rows = load(Path(folder))
    print("PostgreSQL\n")
    print("\n".join(table(rows, "jobsmith_pg", "jobsmith (PostgreSQL)", PEERS_PG)))
    print(
        "\nSQLite (Huey's latency with consumer delays -d 0.01 -m 0.01; default delays give ~54 ms)\n"
    )
    print("\n".join(table(rows, "jobsmith_sqlite", "jobsmith (SQLite)", PEERS_SQLITE)))
    if any(metric in ("mixed_makespan", "priority_wait") for _, metric in rows):
        print()
        print("\n".join(mixed_tables(rows)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results")
