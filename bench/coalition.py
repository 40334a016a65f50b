"""Coalition benchmark (issue 14): the ASEAN coalition, all 15 sub-coalitions and Shapley.

Measures, in one process after the imports (seconds of wall time):

- each member's standalone solve, v({m}) (build the model, solve with HiGHS), and their sum;
- the grand coalition's joint solve, v(N), the same way, and its ratio to that sum;
- the whole ``advisor.solve_coalition`` (v(S) for the 15 sub-coalitions, the ranked
  plans, Shapley, core, least core), serially and with ``jobs=2`` (spawned workers:
  their start-up, about a second each, is included);

and prints a Markdown table. The issue's target: the whole run under 15 s on this
2-core machine. Nothing asserts a time.

    python bench/coalition.py [COALITION_DIR] [--repeat K]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _timed(run: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Run the measurements and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("coalition", nargs="?", default=str(ROOT / "instances" / "asean_us_2025"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    import advisor
    from advisor.coalition.joint_model import build_joint_model
    from advisor.coalition.plans import coalition_value

    imports = time.perf_counter() - start
    coalition = advisor.load_coalition(args.coalition)
    ids = coalition.member_ids
    alone = {m: _timed(lambda m=m: coalition_value(coalition, (m,)), args.repeat) for m in ids}
    joint = _timed(lambda: coalition_value(coalition, ids), args.repeat)
    build = _timed(lambda: build_joint_model(coalition, ids), args.repeat)
    build_alone = sum(_timed(lambda m=m: build_joint_model(coalition, (m,)), args.repeat)
                      for m in ids)
    serial = _timed(lambda: advisor.solve_coalition(coalition), args.repeat)
    pooled = _timed(lambda: advisor.solve_coalition(coalition, jobs=2), 1)
    n_sub = 2 ** len(ids) - 1
    rows = [
        *(f"| standalone solve of {m}, v({{{m}}}) | {t:.2f} s |" for m, t in alone.items()),
        f"| sum of the {len(ids)} standalone solves | {sum(alone.values()):.2f} s |",
        f"| joint solve of the grand coalition, v(N) | {joint:.2f} s |",
        f"| **ratio joint / sum of standalone** | **{joint / sum(alone.values()):.2f}** |",
        f"| of which building the Pyomo models: joint / sum of standalone "
        f"| {build:.2f} s / {build_alone:.2f} s |",
        f"| solve_coalition: {n_sub} sub-coalitions, plans, Shapley, core (serial) "
        f"| {serial:.2f} s |",
        f"| the same with jobs=2 (worker start-up included) | {pooled:.2f} s |",
        f"| imports (advisor, Pyomo, highspy), once | {imports:.2f} s |",
    ]
    print(f"Coalition benchmark: {coalition.name} ({len(ids)} members, median of "
          f"{args.repeat})\n")
    print("| measurement | wall time |\n|---|---:|")
    print("\n".join(rows))
    met = "met" if serial + imports < 15 else "NOT met"
    print(f"\nTarget (all {n_sub} sub-coalitions and Shapley in under 15 s): {met} "
          f"({serial + imports:.1f} s with the imports).")


if __name__ == "__main__":
    main()
