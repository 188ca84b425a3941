"""Goal graphs: jobsmith.graph against DoJobber 0.6.3, same Jobs, same machine, one run.

    make bench            # or: .peers-venv/bin/python bench/graph_vs_dojobber.py

Scenarios: a layered graph of 4,000 trivial Jobs (each needing the 10 Jobs of the layer
before; every Job checks, runs, rechecks), through both; then jobsmith alone on a
100,000-Job layered graph and a 10,000-deep chain (DoJobber recurses once per level, so
a chain that deep exceeds Python's recursion limit there). jobsmith is timed without a
run log and with one (a SQLite file, or --postgres URL).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import ratio, scratch_store, seconds, table, timed_fresh
from layered import layered

from jobsmith import graph


def run_graph(lib, root, **jobsmith_options) -> bool:
    dojob = lib.DoJobber(**jobsmith_options)
    dojob.configure(root, default_retry_delay=0)
    dojob.checknrun()
    assert dojob.success(), "the benchmark graph must succeed"
    return True


def chain(lib, depth: int) -> type:
    def check(self, *args, **kwargs):
        pass

    previous: tuple = ()
    for i in range(depth):
        job = type(f"C{i}", (lib.Job,), {"DEPS": previous, "Check": check})
        previous = (job,)
    return previous[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=4000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--depth", type=int, default=10_000)
    parser.add_argument("--postgres", metavar="URL", help="record the run log in PostgreSQL")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    import dojobber

    store = scratch_store(args.postgres)
    rows = []

    def row(label: str, build, peer: float | None, peer_text: str | None = None) -> None:
        ours = timed_fresh(
            lambda: build(graph), lambda root: run_graph(graph, root, run_log=False), 3
        )
        logged = timed_fresh(
            lambda: build(graph), lambda root: run_graph(graph, root, run_log=store), 3
        )
        rows.append([label, peer_text or seconds(peer), seconds(ours), ratio(peer, ours),
                     seconds(logged), ratio(peer, logged)])  # fmt: skip

    layers = lambda lib: layered(lib, args.nodes)  # noqa: E731
    peer = timed_fresh(lambda: layers(dojobber), lambda root: run_graph(dojobber, root))
    row(f"layered, {args.nodes:,} Jobs", layers, peer)

    row(f"layered, {args.big:,} Jobs", lambda lib: layered(lib, args.big), None, "not run")

    deep = lambda lib: chain(lib, args.depth)  # noqa: E731
    try:
        peer_chain = timed_fresh(lambda: deep(dojobber), lambda root: run_graph(dojobber, root))
        row(f"chain, {args.depth:,} deep", deep, peer_chain)
    except RecursionError:
        row(f"chain, {args.depth:,} deep", deep, None, "RecursionError")

    where = "PostgreSQL" if args.postgres else "SQLite"
    print(
        table(
            "Goal graphs: DoJobber 0.6.3 vs jobsmith (configure + checknrun; Jobs built beforehand)",
            ["scenario", "DoJobber", "jobsmith", "ratio", f"jobsmith + run log ({where})", "ratio"],
            rows,
        )
    )
    store.close()


if __name__ == "__main__":
    main()
