"""The ``coalition`` command: ``advisor coalition [COALITION_DIR] [options]``.

Its options (defined here once, added to the grammar by :mod:`advisor.cli.parser`)
and the command itself (registered in :mod:`advisor.cli`): load the coalition
folder (every located problem of its files and of its members' folders, exit 2),
solve it (:func:`advisor.solve_coalition`), render the report; exit 3 when no
joint plan satisfies the rules.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from advisor.cli.output import (
    EXIT_INFEASIBLE,
    EXIT_OK,
    CliError,
    Outputs,
    Progress,
    emit,
    say,
    stderr_is_terminal,
)
from advisor.cli.types import AT_LEAST_1
from advisor.errors import InstanceError

DEFAULT_COALITION = Path("instances") / "asean_us_2025"
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent.parent

SUMMARY = "several home countries together: joint commitments, fair split, core, Shapley"
DESCRIPTION = """\
Solve a coalition ("collective yet tiered"): each member's standalone optimum, the
best joint plans (who joins which joint commitment, each member's own requests and
offers), each member's gain, v(S) of every sub-coalition, the Shapley values,
whether plan 1's split is in the core (else the blocking coalition) and the
least-core epsilon. Money is in the members' common unit per year. Options left
out take coalition.toml's defaults ([model] and [ranking])."""
EPILOG = """\
examples:
  python solve.py coalition instances/coalition_pair            the hand-solved pair
  python solve.py coalition instances/coalition_pair --objective egalitarian --top 3
  python solve.py coalition instances/coalition_pair --format json > coalition.json
  python solve.py coalition --jobs 2                             the ASEAN coalition
  python solve.py coalition --scheduler tcp://127.0.0.1:8786     on a Dask cluster

exit codes: 0 success; 2 bad input (every problem of the coalition's and its members'
files, located by file, row and column); 3 no joint plan satisfies the rules;
130 interrupted (Ctrl-C)"""


def add_coalition_options(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    """COALITION_DIR, the coalition's options, and the report options."""
    parser.add_argument("coalition", nargs="?", metavar="COALITION_DIR",
                        help=f"coalition folder (default: {DEFAULT_COALITION}); format: "
                        "instances/README.md, 'Coalitions'")
    group = parser.add_argument_group("coalition")
    group.add_argument("--objective", choices=("utilitarian", "egalitarian"),
                       help="utilitarian: the largest total value; egalitarian: the largest "
                       "smallest gain over going alone, then the total (default: "
                       "coalition.toml's model.objective)")
    group.add_argument("--top", type=AT_LEAST_1, metavar="K",
                       help="how many joint plans to rank, each differing in who joins what "
                       "(default: ranking.top)")
    group.add_argument("--rationality", choices=("enforce", "report"),
                       help="enforce: no member below its standalone value; report: only say "
                       "who is, and what it would need (default: model.individual_rationality)")
    group.add_argument("--jobs", type=AT_LEAST_1, default=1, metavar="N",
                       help="solve the sub-coalitions in N processes (default 1)")
    group.add_argument("--scheduler", metavar="ADDRESS",
                       help="solve the sub-coalitions on a Dask cluster, e.g. "
                       "tcp://127.0.0.1:8786 (its workers must see the folders at the same "
                       "paths); the results are the same as a local run")
    report = parser.add_argument_group("report")
    report.add_argument("--format", "-f", choices=formats, default="table",
                        help="report format: table, json, csv (one row per member) or markdown")
    report.add_argument("--output", "-o", metavar="FILE",
                        help="write the report to FILE (atomically) instead of standard output")
    report.add_argument("--quiet", "-q", action="store_true",
                        help="no progress messages on standard error (only on a terminal)")


def _folder(args: argparse.Namespace) -> Path:
    if args.coalition is not None:
        return Path(args.coalition)
    for base in (REPOSITORY_ROOT, Path.cwd()):
        if (base / DEFAULT_COALITION).is_dir():
            return base / DEFAULT_COALITION
    raise CliError(f"the default coalition folder {DEFAULT_COALITION} is missing; give one: "
                   "coalition COALITION_DIR")


def coalition_command(args: argparse.Namespace, outputs: Outputs) -> int:
    """Load, solve and report the coalition; exit 3 when it has no joint plan."""
    from advisor.coalition import load_coalition, solve_coalition
    from advisor.coalition.report import render_coalition

    path = _folder(args)
    try:
        coalition = load_coalition(path)
    except InstanceError as error:
        n = len(error.problems)
        raise CliError([f"{path}: {error.title} ({n} problem{'s' if n != 1 else ''}):",
                        *error.listing()]) from None
    progress = Progress(enabled=not args.quiet and stderr_is_terminal())
    try:
        result = solve_coalition(coalition, objective=args.objective, top=args.top,
                                 rationality=args.rationality, jobs=args.jobs,
                                 scheduler=args.scheduler, progress=progress)
    except (ValueError, OSError) as error:
        raise CliError(str(error)) from None
    finally:
        progress.done()
    emit(render_coalition(result, args.format), outputs.report, args.format)
    if not result.plans:
        say(f"no joint plan satisfies the rules of {coalition.name!r}.")
        return EXIT_INFEASIBLE
    return EXIT_OK
