"""Benchmark of issue 15: the bargaining frontier and points on Malaysia (target < 5 s).

    python bench/bargain.py [--exact] [--repeat K]

Prints the seconds of ``advisor.bargain`` after loading (median of K runs, default 3),
wall-clock and CPU (the process's time: every HiGHS solve runs on one thread, so on a
shared machine the CPU seconds are what the run costs, the wall seconds what the load
left of it), the number of frontier points and HiGHS solves, and whether the target
was met. Nothing asserts a time: the machine is shared, read the numbers with its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MALAYSIA = ROOT / "instances" / "malaysia_us_2025"
TARGET_S = 5.0


def main() -> int:
    """Run the benchmark and print one line per run and a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exact", action="store_true", help="resolution 0 (every point)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import advisor

    instance = advisor.load_instance(MALAYSIA)
    times, cpu = [], []
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = advisor.bargain(instance, resolution=0.0 if args.exact else None)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        print(
            f"{times[-1]:.2f} s ({cpu[-1]:.2f} s CPU): {len(result.points)} points, "
            f"{result.solves} solves, "
            f"resolution {result.resolution:.1f}, Nash point {result.nash}, KS point "
            f"{result.kalai_smorodinsky}"
        )
    median = statistics.median(times)
    load = os.getloadavg()[0]
    met = "met" if median < TARGET_S else "not met"
    print(f"median {median:.2f} s, {statistics.median(cpu):.2f} s CPU (load average {load:.1f}); "
          f"target < {TARGET_S:g} s: {met}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
