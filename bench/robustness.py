"""Robustness benchmark (issue 16): Malaysia's draws serially, in 2 processes, on Dask.

Measures (seconds of wall time, after the imports; the base ranking and the
sensitivity analysis left out, the draws only):

- one draw's parts: building the draw's model and handing it to HiGHS
  (``open_session``), and the MILP solves (its optimum; its top 3 by no-good cuts),
  so the share a persistent model could save is visible;
- ``advisor.robustness`` on a model rebuilt per draw (``persistent=False``, one
  process) and on one persistent model per worker (the default) with ``jobs=1``
  and ``jobs=2`` (spawned workers, their start-up included) and on a
  ``distributed.LocalCluster`` of 2 worker processes, at ``depth`` 1 (each draw's
  optimum; 1,000 draws) and 3 (its top 3; 100 draws by default), each ``--repeat``
  times with the load average (``os.getloadavg``) before and after;

and prints a Markdown table with the ratios. The issue's targets: 1,000 draws under
60 s on this 2-core machine, >= 1.7x from 2 workers, >= 3x against the rebuilt
model. Nothing asserts a time.

    python bench/robustness.py [INSTANCE_DIR] [--draws N] [--draws-top3 N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
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
    """Seconds for the draws of ``advisor.robustness`` (the base ranking subtracted).

    ``engine``: ``jobs``, ``scheduler``, ``persistent`` (False: a model rebuilt per draw).
    """
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
    """Run the measurements and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("instance", nargs="?", default=ROOT / "instances" / "malaysia_us_2025")
    parser.add_argument("--draws", type=int, default=1000, help="draws at depth 1")
    parser.add_argument("--draws-top3", type=int, default=100, help="draws at depth 3")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    import advisor
    from advisor.inputs.uncertainty import load_uncertainty

    instance = advisor.load_instance(args.instance)
    spec = load_uncertainty(instance)
    build, first, three = parts(instance, spec, 20)
    print(f"one draw (median of 20): build + hand-off {build:.3f} s, optimum's solve "
          f"{first:.3f} s, top 3's solves {three:.3f} s\n")
    print("| depth | draws | rebuilt, jobs=1 | persistent, jobs=1 | persistent, jobs=2 |"
          " persistent vs rebuilt | 2 vs 1 worker | LocalCluster (2 workers) | load |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for depth, draws in ((1, args.draws), (3, args.draws_top3)):
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            rebuilt = timed(instance, spec, draws, depth, jobs=1, persistent=False)
            one = timed(instance, spec, draws, depth, jobs=1)
            two = timed(instance, spec, draws, depth, jobs=2)
            dask = float("nan")
            if not args.no_dask:
                from distributed import Client, LocalCluster

                cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
                with cluster, Client(cluster) as client:
                    dask = timed(instance, spec, draws, depth, scheduler=client)
            print(f"| {depth} | {draws} | {rebuilt:.1f} s | {one:.1f} s | {two:.1f} s |"
                  f" {rebuilt / one:.2f}x | {one / two:.2f}x | {dask:.1f} s |"
                  f" {load:.1f}-{os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
