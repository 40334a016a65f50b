"""Benchmark of issue 15: calibration on the three peer instances (target < 60 s).

    python bench/calibrate.py [--repeat K] [--leave-one-out]

Prints the seconds of ``advisor.calibrate`` on Thailand, Vietnam and Indonesia with
Malaysia predicted, after loading (median of K runs, default 1), the points scored
and HiGHS solves, and whether the target was met. Nothing asserts a time: the
machine is shared, read the numbers with its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ("thailand_us_2025", "vietnam_us_2025", "indonesia_us_2025")
TARGET_S = 60.0


def main() -> int:
    """Run the benchmark and print one line per run and a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--leave-one-out", action="store_true")
    args = parser.parse_args()
    import advisor

    instances = [advisor.load_instance(ROOT / "instances" / name) for name in PEERS]
    malaysia = advisor.load_instance(ROOT / "instances" / "malaysia_us_2025")
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = advisor.calibrate(instances, predict=[malaysia],
                                   leave_one_out=args.leave_one_out)
        times.append(time.perf_counter() - started)
        fitted = ", ".join(f"{k} {v:g}" for k, v in result.values.items())
        print(f"{times[-1]:.2f} s: {result.search} search, {result.points} points, "
              f"{result.solves} solves, distance {result.distance}; {fitted}")
    median = statistics.median(times)
    load = os.getloadavg()[0]
    met = "met" if median < TARGET_S else "not met"
    print(f"median {median:.2f} s (load average {load:.1f}); target < {TARGET_S:g} s: {met}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
