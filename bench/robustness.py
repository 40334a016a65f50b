"""Robustness benchmark (issue 16): Malaysia's draws serially, in 2 processes, on Dask.

Measures (seconds of wall time, after the imports; the base ranking and the
sensitivity analysis left out, the draws only):

- one draw's parts: building the draw's model and handing it to HiGHS
  (``open_session``), and the MILP solves (its optimum; its top 3 by no-good cuts),
  so the share a persistent model could save is visible;
- ``advisor.robustness`` with ``jobs=1`` and ``jobs=2`` (spawned workers, their
  start-up included) and on a ``distributed.LocalCluster`` of 2 worker processes,
  at ``depth`` 1 (each draw's optimum) and 3 (its top 3);

and prints a Markdown table with the ratios. The issue's targets: 1,000 draws under
60 s on this 2-core machine, >= 1.7x from 2 workers. Nothing asserts a time.

    python bench/robustness.py [INSTANCE_DIR] [--draws N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parts(instance, spec, draws: int) -> tuple[float, float, float]:
    """Median seconds a draw: build + hand-off, the optimum's solve, the top 3's solves."""
    from advisor.analysis.draws import perturb, sample
    from advisor.solving.cuts import CutRanking
    from advisor.solving.session import open_session

    build, first, three = [], [], []
    for values in sample(spec, draws, 0):
        drawn, _ = perturb(instance, spec, values)
        t0 = time.perf_counter()
        session = open_session(drawn, instance.objective, binding=False)
        t1 = time.perf_counter()
        session.solve()
        t2 = time.perf_counter()
        CutRanking(open_session(drawn, instance.objective, binding=False),
                   lambda m: None).strict(3)
        t3 = time.perf_counter()
        build.append(t1 - t0)
        first.append(t2 - t1)
        three.append(t3 - t2)
    return statistics.median(build), statistics.median(first), statistics.median(three)


def timed(instance, spec, draws: int, depth: int, **engine) -> float:
    """Seconds for the draws of ``advisor.robustness`` (the base ranking subtracted)."""
    from advisor.analysis.robustness import robustness
    from advisor.solving.pipeline import solve

    t0 = time.perf_counter()
    solve(instance, with_measures=False)
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    robustness(instance, draws=draws, seed=1, uncertainty=spec, sensitivity_method=None,
               depth=depth, **engine)
    return time.perf_counter() - t0 - base


def main() -> None:
    """Run the measurements and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("instance", nargs="?", default=ROOT / "instances" / "malaysia_us_2025")
    parser.add_argument("--draws", type=int, default=200)
    args = parser.parse_args()
    import advisor
    from advisor.inputs.uncertainty import load_uncertainty

    instance = advisor.load_instance(args.instance)
    spec = load_uncertainty(instance)
    build, first, three = parts(instance, spec, 20)
    print(f"one draw (median of 20): build + hand-off {build:.3f} s, optimum's solve "
          f"{first:.3f} s, top 3's solves {three:.3f} s; a persistent model could save at "
          f"most {build / (build + first):.0%} at depth 1, {build / (build + three):.0%} "
          "at depth 3\n")
    print(f"| {args.draws} draws | jobs=1 | jobs=2 | speed-up | LocalCluster (2 workers) |"
          " Dask vs pool, per draw |")
    print("|---|---:|---:|---:|---:|---:|")
    from distributed import Client, LocalCluster

    for depth in (1, 3):
        one = timed(instance, spec, args.draws, depth, jobs=1)
        two = timed(instance, spec, args.draws, depth, jobs=2)
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
        with cluster, Client(cluster) as client:
            dask = timed(instance, spec, args.draws, depth, scheduler=client)
        overhead = (dask - two) / args.draws * 1000
        print(f"| depth {depth} | {one:.1f} s | {two:.1f} s | {one / two:.2f}x | {dask:.1f} s |"
              f" {overhead:+.1f} ms |")


if __name__ == "__main__":
    main()
