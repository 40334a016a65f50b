"""The ``robustness`` command: ``advisor robustness [INSTANCE_DIR] --draws N --seed S``.

Its options (defined here once, added to the grammar by :mod:`advisor.cli.parser`)
and the command itself (registered in :mod:`advisor.cli`): load the instance and
its ``uncertainty.csv`` (every located problem, exit 2), run
:func:`advisor.robustness`, write the plot and the report (atomically, both or
neither); exit 3 when the base instance has no strategy.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from advisor.cli.output import (
    EXIT_INFEASIBLE,
    EXIT_OK,
    CliError,
    Outputs,
    Progress,
    emit,
    output_errors,
    say,
    stderr_is_terminal,
)
from advisor.cli.types import AT_LEAST_1, bounded
from advisor.errors import InstanceError

SUMMARY = "how sure is the advice: the ranking under draws of the uncertain figures"
DESCRIPTION = """\
Rank INSTANCE_DIR's strategies, then draw its uncertain figures (uncertainty.csv in
the folder: instances/README.md, 'Uncertainty') N times: in each draw re-score the
listed strategies (value, which rules break) and re-solve for the draw's own best
three. Reports each strategy's mean, 5th percentile and CVaR of its realised value
(objective units; a strategy breaking a rule in a draw counts 0, no deal), P(feasible),
P(optimal), P(top 3), mean regret, the rank-stability table, the strategies optimal in
some draws but not listed, the robust choice, and Sobol'/Morris sensitivity indices.
The same seed gives the same report whatever --jobs or --scheduler."""
EPILOG = """\
examples:
  python solve.py robustness instances/tiny --draws 100 --seed 1
  python solve.py robustness --draws 1000 --seed 7 --top 5 --jobs 2
  python solve.py robustness --draws 200 --robust-choice p_optimal --plot robust.png
  python solve.py robustness --draws 500 --scheduler tcp://127.0.0.1:8786 --format json

exit codes: 0 success; 2 bad input (instance or uncertainty.csv, located by file,
row and column); 3 the base instance has no strategy; 130 interrupted (Ctrl-C)"""


_seed = bounded(int, 0, None, False)  # a whole number >= 0


def add_robustness_options(parser: argparse.ArgumentParser) -> None:
    """The robustness command's options (the instance and report groups come from the parser)."""
    group = parser.add_argument_group("robustness")
    group.add_argument("--draws", type=AT_LEAST_1, default=200, metavar="N",
                       help="how many draws of the uncertain figures (default 200)")
    group.add_argument("--seed", type=_seed, default=0, metavar="S",
                       help="the random seed (default 0): the same seed, the same report")
    group.add_argument("--top", type=AT_LEAST_1, metavar="K",
                       help="how many base strategies to follow (default: ranking.top)")
    group.add_argument("--depth", type=int, choices=(1, 3), default=3,
                       help="how many of each draw's best strategies to find: 3 (the "
                       "default: P(top 3)) or 1 (its optimum only: one solve a draw, ~4x faster)")
    group.add_argument("--robust-choice", choices=("cvar", "mean", "p_optimal"),
                       default="cvar", help="the criterion of the recommended strategy "
                       "(default cvar: the best mean of the worst 5%%)")
    group.add_argument("--sensitivity", choices=("auto", "sobol", "morris", "none"),
                       default="auto", help="sensitivity indices (SALib): sobol, morris, "
                       "auto (Sobol' up to 10 inputs) or none")
    group.add_argument("--sensitivity-samples", type=AT_LEAST_1, metavar="N",
                       help="Sobol's N (a power of 2, default 64) or Morris's trajectories "
                       "(default 10)")
    group.add_argument("--jobs", type=AT_LEAST_1, default=os.cpu_count() or 1, metavar="N",
                       help="run the draws in N processes (default: every core)")
    group.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the draws on a Dask cluster, e.g. tcp://127.0.0.1:8786 "
                       "(the same report as a local run)")
    group.add_argument("--plot", metavar="FILE",
                       help="draw each strategy's realised values to FILE (.png or .svg), "
                       "written atomically")


def robustness_command(args: argparse.Namespace, outputs: Outputs, instance_path: Path) -> int:
    """Load, analyse and report; exit 3 when the base instance has no strategy."""
    from advisor.analysis.robustness import robustness
    from advisor.inputs.loader import load_instance
    from advisor.inputs.uncertainty import load_uncertainty
    from advisor.report import render_robustness

    try:
        instance = load_instance(instance_path)
        spec = load_uncertainty(instance)
    except InstanceError as error:
        n = len(error.problems)
        raise CliError([f"{instance_path}: {error.title} ({n} problem{'s' if n != 1 else ''}):",
                        *error.listing()]) from None
    if spec is None or not spec.inputs:
        raise CliError(f"{instance_path}: no uncertainty.csv (or no row in it): nothing to "
                       "draw; see instances/README.md, 'Uncertainty'")
    progress = Progress(enabled=not args.quiet and stderr_is_terminal())
    try:
        result = robustness(
            instance, draws=args.draws, seed=args.seed, top=args.top, uncertainty=spec,
            robust_choice=args.robust_choice, jobs=args.jobs, scheduler=args.scheduler,
            sensitivity_method=None if args.sensitivity == "none" else args.sensitivity,
            sensitivity_samples=args.sensitivity_samples, progress=progress, depth=args.depth,
        )
    except (ValueError, OSError) as error:
        raise CliError(str(error)) from None
    finally:
        progress.done()
    plot = None if outputs.plot is None else str(outputs.plot)
    text = render_robustness(result, args.format, plot=plot)
    if outputs.plot is not None:
        with output_errors():
            result.plot(outputs.plot)
    emit(text, outputs.report, args.format)
    if not result.strategies:
        say(f"no strategy satisfies the rules of {instance.name!r} (see: diagnose).")
        return EXIT_INFEASIBLE
    return EXIT_OK
