"""Issue 17's ranking targets at tariff-line scale, over the generator's seeds.

    python bench/packages.py                        # 10,000 lines, seeds 1, 7, 11: every case
    python bench/packages.py --cases offers --baseline   # and the branch-and-bound search beside it
    python bench/packages.py --cases big            # 50,000 lines, top 1 at a 0.1% gap

Each case runs in a fresh Python process on an instance written by ``python -m
advisor.generate --lines N --seed S`` (in a temporary folder): the search's own
seconds (``run_search``, after the model is built and handed to HiGHS), the whole
``advisor.solve`` call from the loaded instance, the process's whole wall time and
its peak memory (``ru_maxrss``), and of the solve the coefficients and Pyomo model
(``model s``, every model the call builds) and their hand-off to HiGHS (``hand-off
s``, ``BulkHighs.set_instance``). The table gives each seed and the worst, beside
the issue's target; nothing asserts a time. Cases:

- ``offers``: top 10 distinct offer packages (target: search under 15 s);
- ``strict``: strict top 10, ``distinct_on='all'`` (under 30 s);
- ``sectors``: top 10 distinct on sectors (under 60 s);
- ``big``: 50,000 lines, top 1 at ``mip_gap=0.001`` (under 60 s end to end, 2 GiB);
- ``explain``: ``advisor.explain`` of the ``offers`` ranking's strategy 1 (under 120 s);
- ``diagnose``: ``advisor.diagnose`` of the instance with its domestic budget cut to
  10 (infeasible: no offer that meets ``c_baseline`` fits; under 60 s);
- ``measures``: the ``offers`` ranking with VSS and EVPI (``with_measures=True``):
  their seconds (each scenario's optimum and the mean-value solve) against the
  ranking's own, the rest of the call (target: at most 50%, for them to be computed
  by default);
- ``big-measures``: ``big`` with VSS and EVPI, as ``solve.py`` runs it by default
  (their share, and the process's seconds and memory beside ``big``'s).

Every other case ranks without them (``with_measures=False``, ``--no-measures``).

``--baseline`` adds the ``offers`` case by the branch and bound over the offers
(the search before the enumerated one), for the ratio measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

CASES = {
    # name: (lines, solve keyword arguments, target seconds, what the target times)
    "offers": (10_000, {"top": 10, "distinct_on": "offers"}, 15.0, "search"),
    "strict": (10_000, {"top": 10, "distinct_on": "all"}, 30.0, "search"),
    "sectors": (10_000, {"top": 10, "distinct_on": "sectors"}, 60.0, "search"),
    "big": (50_000, {"top": 1, "distinct_on": "all", "mip_gap": 0.001}, 60.0, "process"),
    "explain": (10_000, {"top": 10, "distinct_on": "offers"}, 120.0, "explain"),
    "diagnose": (10_000, {}, 60.0, "diagnose"),
    # the target is a share: VSS and EVPI's seconds over the ranking's (at most 50%)
    "measures": (10_000, {"top": 10, "distinct_on": "offers"}, 0.5, "measures_share"),
    # the big case with VSS and EVPI, as solve.py runs it by default (big: without)
    "big-measures": (
        50_000, {"top": 1, "distinct_on": "all", "mip_gap": 0.001}, 0.5, "measures_share"
    ),
}
DIAGNOSED_BUDGET = 10.0  # the diagnose case's domestic budget: no offer meeting c_baseline fits
HERE = Path(__file__).resolve().parent


def worker(case: str, folder: str, tree: bool, time_limit: float) -> dict[str, object]:
    """Run one case in this process; its timings and answer."""
    start = time.perf_counter()
    import advisor
    from advisor.solving import handoff, lagrangian, packages, pipeline, search, session

    if tree:
        lagrangian.MAX_ENUMERATED_OFFERS = -1
    timings: dict[str, list[float]] = {}
    pipeline.run_search = _timed(pipeline.run_search, timings, "search")  # type: ignore[assignment]
    pipeline._measures = _timed(pipeline._measures, timings, "measures")  # type: ignore[assignment]
    # the coefficients and Pyomo model, then the model handed to HiGHS
    session._model = _timed(session._model, timings, "model")  # type: ignore[assignment]
    handoff.BulkHighs.set_instance = _timed(  # type: ignore[method-assign]
        handoff.BulkHighs.set_instance, timings, "handoff"
    )
    search.package_bounds = _timed(search.package_bounds, timings, "bounds")  # type: ignore[assignment]
    run = packages.OfferPackageSearch._run

    def solve_timed(self: packages.OfferPackageSearch, highs: object) -> object:
        kind = "lp" if highs is self.lp else "mip"
        return _timed(lambda: run(self, highs), timings, kind)()  # type: ignore[arg-type]

    packages.OfferPackageSearch._run = solve_timed  # type: ignore[assignment]
    instance = advisor.load_instance(folder)
    loaded = time.perf_counter()
    if case == "diagnose":
        diagnosis = advisor.diagnose(instance, time_limit=time_limit)
        done = time.perf_counter()
        return {
            "diagnose_s": done - loaded,
            "process_s": done - start,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "status": "infeasible" if diagnosis.conflicts else "feasible",
            "conflict": [c.rule for c in diagnosis.conflicts],
        }
    kwargs = dict(CASES[case][1])
    measures = CASES[case][3] == "measures_share"  # else the ranking alone (--no-measures)
    result = advisor.solve(instance, with_measures=measures, time_limit=time_limit, **kwargs)
    solved = time.perf_counter()
    spent = sum(timings.get("measures", [])) if measures else 0.0
    if case == "explain":
        advisor.explain(result, time_limit=time_limit)
        timings["explain"] = [time.perf_counter() - solved]
    return {
        "search_s": sum(timings.get("search", [])),
        **{f"{k}_n": len(v) for k, v in timings.items() if k != "search"},
        **{f"{k}_s": sum(v) for k, v in timings.items() if k not in ("search", "measures")},
        "explain_s": sum(timings.get("explain", [])),
        "measures_s": spent,
        "measures_share_s": spent / (solved - loaded - spent) if measures else 0.0,
        "solve_s": solved - loaded,
        "process_s": solved - start,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "status": result.status,
        "solves": result.solver.solves,
        "search": result.solver.search,
        "objectives": [s.objective for s in result.strategies],
    }


def _timed(
    function: Callable[..., object], timings: dict[str, list[float]], key: str
) -> Callable[..., object]:
    """``function``, appending each call's seconds to ``timings[key]``."""

    def timed(*args: object, **kwargs: object) -> object:
        t = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            timings.setdefault(key, []).append(time.perf_counter() - t)

    return timed


def run_case(case: str, folder: Path, tree: bool, time_limit: float) -> dict[str, object]:
    """One case in a fresh process."""
    command = [sys.executable, __file__, "--worker", case, str(folder), "--time-limit"]
    command += [str(time_limit)] + (["--tree"] if tree else [])
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:], "process_s": 0.0}
    row: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    row["wall_s"] = time.perf_counter() - started
    return row


def table(rows: list[tuple[str, int, dict[str, object]]]) -> str:
    """The Markdown table of every run, then the worst per case against its target."""
    lines = [
        "| case | seed | search s | solve s | process s | peak MiB | status | solves "
        "| LPs (s) | completion MIPs (s, 2nd thread) | bounds set-up s | model s | hand-off s |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case, seed, r in rows:
        if "error" in r:
            lines.append(f"| {case} | {seed} | error: {r['error']} | | | | | | | | | | |")
            continue
        if "diagnose_s" in r:
            lines.append(
                f"| {case} | {seed} | diagnose {r['diagnose_s']:.1f} | | {r['process_s']:.1f} "
                f"| {r['peak_mib']:.0f} | {r['status']}: {', '.join(r['conflict'])} | | | | | | |"  # type: ignore[arg-type]
            )
            continue
        if r.get("explain_s"):
            lines.append(f"| {case} | {seed} | explain {r['explain_s']:.1f} | | | | | | | | | | |")
        if r.get("measures_s"):
            ranking = float(r["solve_s"]) - float(r["measures_s"])  # type: ignore[arg-type]
            lines.append(
                f"| {case} | {seed} | VSS/EVPI {r['measures_s']:.1f} "
                f"({r['measures_share_s']:.0%} of the ranking's {ranking:.1f})"
                " | | | | | | | | | | |"
            )
        lines.append(
            f"| {case} | {seed} | {r['search_s']:.1f} | {r['solve_s']:.1f} | "
            f"{r['process_s']:.1f} | {r['peak_mib']:.0f} | {r['status']} | {r['solves']} "
            f"| {r.get('lp_n', 0)} ({r.get('lp_s', 0.0):.1f}) "
            f"| {r.get('mip_n', 0)} ({r.get('mip_s', 0.0):.1f}) | {r.get('bounds_s', 0.0):.2f} "
            f"| {r.get('model_s', 0.0):.1f} | {r.get('handoff_s', 0.0):.1f} |"
        )
    lines += ["", "| case | worst | target | met |", "|---|---:|---:|---|"]
    for case in dict.fromkeys(c for c, _, _ in rows):
        name = case.removesuffix(" (tree)")
        what = f"{CASES[name][3]}_s"
        runs = [r for c, _, r in rows if c == case]
        worst = max(float(r.get(what, float("inf"))) for r in runs)  # type: ignore[arg-type]
        target = CASES[name][2]
        if what == "measures_share_s":
            lines.append(f"| {case} (share) | {worst:.0%} | {target:.0%} | {worst <= target} |")
        else:
            lines.append(f"| {case} ({what}) | {worst:.1f} s | {target:.0f} s | {worst < target} |")
    return "\n".join(lines)


def _cut_budget(settings: Path) -> None:
    """Set the instance's domestic budget to ``DIAGNOSED_BUDGET``."""
    lines = settings.read_text(encoding="utf-8").splitlines()
    cut = [f"domestic_budget = {DIAGNOSED_BUDGET}" if ln.startswith("domestic_budget") else ln
           for ln in lines]
    if cut == lines:
        raise ValueError(f"{settings}: no domestic_budget line to cut")
    settings.write_text("\n".join(cut) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Write the instances, run the cases, print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="offers,strict,sectors,big")
    parser.add_argument("--seeds", default="1,7,11")
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--output", default=str(HERE / "results" / "packages.md"))
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--tree", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], args.tree, args.time_limit)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.cases.split(","):
            for seed in (int(s) for s in args.seeds.split(",")):
                cut = "_budget_cut" if case == "diagnose" else ""
                folder = Path(tmp) / f"lines{CASES[case][0]}_{seed}{cut}"
                if not folder.exists():
                    generate = ["-m", "advisor.generate", "--lines", str(CASES[case][0])]
                    generate += ["--seed", str(seed), "--output", str(folder)]
                    subprocess.run([sys.executable, *generate], check=True, capture_output=True)
                    if case == "diagnose":
                        _cut_budget(folder / "instance.toml")
                for tree in [False] + ([True] if args.baseline and case == "offers" else []):
                    row = run_case(case, folder, tree, args.time_limit)
                    rows.append((case + (" (tree)" if tree else ""), seed, row))
                    print(case, seed, "tree" if tree else "", json.dumps(row), flush=True)
    report = table(rows)
    print(report)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
