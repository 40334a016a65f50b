"""The command line: ``python solve.py [INSTANCE_DIR] [options]`` or ``advisor ...``.

This module only parses arguments, calls :func:`advisor.load_instance`,
:func:`advisor.solve` and :func:`advisor.report.render`, writes the report and turns
the outcome into an exit code. Standard output carries the report and nothing else
(the solver's own output goes to standard error), so ``--format json > out.json``
is always valid JSON.

Each mode of the command is one function ``(args, instance) -> exit code``, chosen
by :func:`select_mode`: :func:`rank_mode` (the ranked list, the default),
:func:`explain_mode` (``--explain [RANK]``: what each decision is worth and what each
rule costs) and :func:`frontier_mode` (``--frontier budget|reciprocity|cap``: a sweep of
one limit, optionally plotted with ``--plot``). When no strategy satisfies the rules,
every mode that solves runs :func:`advisor.diagnose` and reports the conflicting rules.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from advisor.analysis.diagnose import Diagnosis, diagnose
from advisor.analysis.explain import explain
from advisor.analysis.frontier import VARY, Frontier, frontier
from advisor.errors import InstanceError
from advisor.inputs.loader import load_instance
from advisor.instance import DISTINCT_ON, OBJECTIVES, Instance
from advisor.report import (
    FORMATS,
    STATUS_WORDS,
    render,
    render_explanation,
    render_frontier,
)
from advisor.results import Result
from advisor.solving.pipeline import SEARCHES, solve

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INFEASIBLE = 3
EXIT_NO_STRATEGY = 4
EXIT_INTERRUPTED = 130

DEFAULT_INSTANCE = Path("instances") / "malaysia_us_2025"
DEFAULT_POINTS = 20
PLOT_SUFFIXES = (".png", ".svg")
# options of the ranking that a frontier sweep does not use
RANKING_ONLY = {
    "top": "--top",
    "min_difference": "--min-difference",
    "distinct_on": "--distinct-on",
    "search": "--search",
    "measures": "--measures",
    "time_limit": "--time-limit",
    "gap": "--gap",
    "threads": "--threads",
}
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
PROG = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "advisor"

DESCRIPTION = """\
Rank the best negotiation strategies (which tariff concessions to request, which
offers to make) for the instance in INSTANCE_DIR, and print a report.

Options left out take the instance's defaults ([ranking] and [model] in
instance.toml)."""

EPILOG = """\
examples:
  python solve.py                                   the default instance, a table
  python solve.py instances/tiny --top 3
  python solve.py --top 10 --min-difference 2       10 strategies, each 2+ decisions apart
  python solve.py --objective worst_case --time-limit 30 --gap 0.01
  python solve.py --format json > ranking.json      stdout carries only the JSON
  python solve.py --format markdown --output brief.md
  python solve.py --explain --format markdown       why strategy 1: a negotiator's briefing
  python solve.py --explain 2                       what strategy 2's decisions are worth
  python solve.py --frontier budget --points 20 --plot frontier.png
  python solve.py --frontier cap --market USA --points 11 --format json

exit codes:
  0  success (also when the time limit stopped the search after some strategies:
     the report states the status)
  2  bad input: a wrong option, an invalid instance folder (every problem is listed
     as "file, row R, column 'C': message"), or an output file that cannot be written
  3  infeasible: no strategy satisfies the rules (reciprocity, domestic budget,
     conditions, market-share caps and floors); the report and standard error name
     the conflicting rules and the smallest fix of each. With --frontier: no point of
     the sweep has a strategy
  4  stopped by the time limit before any strategy was found
  130  interrupted (Ctrl-C)
"""


class CliError(Exception):
    """A user's mistake the command reports in words (no traceback) with an exit code."""

    def __init__(self, lines: str | Sequence[str], code: int = EXIT_USAGE) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        self.code = code
        super().__init__("\n".join(self.lines))


# ------------------------------------------------------------------------ arguments


def _bounded(kind: Callable[[str], float], low: float, high: float | None, low_open: bool):
    """An argparse type: a number of ``kind`` in [low, high] (or (low, high])."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            name = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}") from None
        too_low = value <= low if low_open else value < low
        if too_low or (high is not None and value > high):
            if high is None:
                bound = f"> {low:g}" if low_open else f">= {low:g}"
            else:
                bound = f"between {low:g} and {high:g}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    return parse


# argparse types of the numeric options
_AT_LEAST_1 = _bounded(int, 1, None, False)  # a whole number >= 1
_AT_LEAST_2 = _bounded(int, 2, None, False)  # a whole number >= 2
_POSITIVE = _bounded(float, 0, None, True)  # a number > 0
_FRACTION = _bounded(float, 0, 1, False)  # a number from 0 to 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "instance",
        nargs="?",
        metavar="INSTANCE_DIR",
        help=f"instance folder (default: {DEFAULT_INSTANCE} in the repository, "
        "whatever the current directory); format: instances/README.md",
    )
    parser.add_argument(
        "--top",
        "-k",
        type=_AT_LEAST_1,
        metavar="K",
        help="how many strategies to list (>= 1; default: the instance's ranking.top)",
    )
    parser.add_argument(
        "--min-difference",
        "-d",
        type=_AT_LEAST_1,
        metavar="D",
        help="listed strategies differ in at least D decisions (>= 1; 1 = strict K-best; "
        "default: ranking.min_difference), e.g. --min-difference 2",
    )
    parser.add_argument(
        "--time-limit",
        type=_POSITIVE,
        metavar="S",
        help="seconds for the whole ranking (> 0; default: ranking.time_limit, or none); "
        "a stop returns what was found, with its gap, e.g. --time-limit 30",
    )
    parser.add_argument(
        "--gap",
        type=_FRACTION,
        metavar="G",
        help="relative MIP gap of each solve, 0 to 1 (default: ranking.mip_gap, 0 = "
        "proven optimal), e.g. --gap 0.01 for 1%%",
    )
    parser.add_argument(
        "--objective",
        choices=OBJECTIVES,
        help="what to maximise over the scenarios: expected value, worst-case value, or "
        "minus the largest regret (default: the instance's model.objective)",
    )
    parser.add_argument(
        "--threads",
        type=_AT_LEAST_1,
        metavar="N",
        help="threads HiGHS may use (>= 1; default: HiGHS decides)",
    )
    parser.add_argument(
        "--distinct-on",
        choices=DISTINCT_ON,
        help="what makes two listed strategies different: all (any decision: strict "
        "K-best), offers (the offer package: each listed strategy makes different offers) "
        "or sectors (which tier each sector gets); default: the instance's "
        "ranking.distinct_on",
    )
    parser.add_argument(
        "--search",
        choices=SEARCHES,
        help="how the ranking is searched: cuts (no-good cuts on one persistent MILP), "
        "packages (branch and bound over the offers with LP bounds, for --distinct-on "
        "offers or all, or --top 1; fast on tariff-line instances) or auto (the default: "
        "packages for those above 200 decisions, cuts otherwise)",
    )
    parser.add_argument(
        "--measures",
        action="store_const",
        const=True,
        help="compute VSS and EVPI even above 200 decisions (one more full solve per "
        "scenario and the mean-value solve); below that they are always computed",
    )
    analysis = parser.add_mutually_exclusive_group()
    analysis.add_argument(
        "--explain",
        nargs="?",
        const=1,
        type=_AT_LEAST_1,
        metavar="RANK",
        help="explain strategy RANK of the ranking (default 1): what each request and offer "
        "is worth (the best objective with it reversed) and what each rule costs (the gain "
        "with it removed or relaxed); --format markdown gives a negotiator's briefing",
    )
    analysis.add_argument(
        "--frontier",
        choices=VARY,
        help="sweep one limit (the domestic budget, the reciprocity ratio, or a market's "
        "share cap) and report the best strategy at each point, with the Pareto-efficient "
        "ones (protected value against offer cost, or against the market's share)",
    )
    parser.add_argument(
        "--market",
        metavar="M",
        help="with --frontier cap: the market whose share cap is swept (default: the "
        "counterpart), e.g. --market USA",
    )
    parser.add_argument(
        "--points",
        type=_AT_LEAST_2,
        metavar="N",
        help=f"with --frontier: how many values of the limit to solve at (>= 2; default "
        f"{DEFAULT_POINTS})",
    )
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="with --frontier: draw the frontier to FILE, a .png (900 x 600 px) or .svg, "
        "written atomically, e.g. --plot frontier.png",
    )
    parser.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        default="table",
        help="report format: table (for a terminal, the default), json (schema: "
        "advisor/report.py), csv (one row per strategy; with --explain one per decision, "
        "with --frontier one per point) or markdown (a briefing note)",
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the report to FILE (atomically: complete or not at all) instead of "
        "standard output, e.g. --output brief.md",
    )
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress messages on standard error (they appear only on a terminal)",
    )
    return parser


# ------------------------------------------------------------------------ helpers


def default_instance() -> Path:
    """The default instance: in the repository holding this package, else the cwd."""
    for base in (REPOSITORY_ROOT, Path.cwd()):
        candidate = base / DEFAULT_INSTANCE
        if candidate.is_dir():
            return candidate
    raise CliError(
        [
            f"the default instance folder {REPOSITORY_ROOT / DEFAULT_INSTANCE} is missing;",
            "give an instance folder: python solve.py INSTANCE_DIR (see --help)",
        ]
    )


def load(folder: str | None) -> Instance:
    """Load the instance, turning every located problem into one stderr line."""
    path = default_instance() if folder is None else Path(folder)
    try:
        return load_instance(path)
    except InstanceError as error:
        n = len(error.problems)
        head = f"{path}: {error.title} ({n} problem{'s' if n != 1 else ''}):"
        raise CliError([head, *(str(p) for p in error.problems)]) from None


def check_output(output: str | None) -> Path | None:
    """Fail early, before a long solve, if FILE obviously cannot be written."""
    if output is None:
        return None
    path = Path(output)
    parent = path.parent
    if path.is_dir():
        raise CliError(f"cannot write {output}: it is a folder")
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise CliError(f"cannot write {output}: the folder {parent} {what}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CliError(f"cannot write {output}: the folder {parent} is not writable")
    return path


def _replace_atomically(
    path: Path, fill: Callable[[int, str], None], prefix: str, suffix: str
) -> None:
    """Make ``path`` via a temporary file in the same folder, then os.replace it there.

    ``fill(fd, name)`` writes the temporary file (open as ``fd``, named ``name``) and
    closes ``fd``. Either the whole file lands at ``path`` or nothing changes; the
    temporary file never outlives an error. A path that exists but is no regular
    file (``/dev/null``, a named pipe) is written in place: replacing it would
    swap a device node for a file.
    """
    if path.exists() and not path.is_file():
        try:
            fill(os.open(path, os.O_WRONLY), str(path))
        except OSError as error:
            raise CliError(f"cannot write {path}: {error.strerror or error}") from None
        return
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        fill(fd, temporary)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise CliError(f"cannot write {path}: {error.strerror or error}") from None
        raise


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and os.replace.

    Either the whole report lands at ``path`` or nothing changes; the temporary
    file never outlives an error.
    """

    def fill(fd: int, temporary: str) -> None:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            if os.path.isfile(temporary):  # a device such as /dev/null cannot fsync
                os.fsync(handle.fileno())

    _replace_atomically(path, fill, f".{path.name}.", ".tmp")


def check_plot(plot: str | None) -> Path | None:
    """Fail early if the plot file has a suffix matplotlib is not asked for, or cannot
    be written."""
    if plot is None:
        return None
    path = check_output(plot)
    assert path is not None
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise CliError(
            f"cannot plot to {plot}: the file must end in {' or '.join(PLOT_SUFFIXES)} "
            "(the format follows the suffix), e.g. --plot frontier.png"
        )
    return path


def plot_atomically(sweep: Frontier, path: Path) -> None:
    """Draw ``sweep`` to a temporary file in ``path``'s folder, then os.replace it there."""

    def fill(fd: int, temporary: str) -> None:
        os.close(fd)
        sweep.plot(temporary)

    _replace_atomically(path, fill, f".{path.stem}.", path.suffix.lower())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def emit(text: str, output: Path | None) -> None:
    """The report to ``output`` (atomically) or to standard output."""
    if output is not None:
        write_atomically(output, text)
        return
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    sys.stdout.write(text)
    sys.stdout.flush()


class Progress:
    """Short progress messages on a terminal's standard error, on one updated line."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        sys.stderr.write(f"\r\x1b[K{PROG}: {message} ({elapsed:.0f} s)...")
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def say(line: str) -> None:
    print(f"{PROG}: {line}", file=sys.stderr)


# ------------------------------------------------------------------------ modes

Mode = Callable[[argparse.Namespace, Instance], int]


def _progress(args: argparse.Namespace) -> Progress:
    return Progress(enabled=not args.quiet and _stderr_is_terminal())


def run_solve(args: argparse.Namespace, instance: Instance) -> Result:
    """``solve`` with the command line's settings and progress reporting."""
    progress = _progress(args)
    try:
        return solve(
            instance,
            top=args.top,
            min_difference=args.min_difference,
            time_limit=args.time_limit,
            mip_gap=args.gap,
            objective=args.objective,
            threads=args.threads,
            progress=progress,
            distinct_on=args.distinct_on,
            search=args.search or "auto",
            with_measures=args.measures,
        )
    except ValueError as error:
        raise CliError(str(error)) from None
    except InstanceError as error:
        raise CliError([error.title, *(str(p) for p in error.problems)]) from None
    finally:
        progress.done()


def run_diagnosis(args: argparse.Namespace, result: Result) -> Diagnosis | None:
    """For an infeasible result, the conflicting rules (None otherwise, or if it fails)."""
    if result.status != "infeasible":
        return None
    progress = _progress(args)
    progress("no strategy: finding the conflicting rules")
    try:
        return diagnose(result.instance)
    except Exception as error:  # a diagnosis helps; it must never hide the verdict
        say(f"could not diagnose the infeasibility: {error}")
        return None
    finally:
        progress.done()


def exit_code(result: Result, diagnosis: Diagnosis | None = None) -> int:
    """0, or 3 (infeasible) / 4 (time limit, nothing found), with a note on stderr."""
    if result.status == "infeasible":
        say(f"infeasible: {STATUS_WORDS['infeasible']} in {result.instance.name!r}.")
        if diagnosis is not None:
            head, *rest = str(diagnosis).splitlines()
            say(head)
            for line in rest:
                print(line, file=sys.stderr)
        say(
            "the rules that can conflict: reciprocity (reciprocity_ratio), the domestic "
            "budget (domestic_budget), the conditions (conditions.csv) and the market-share "
            "caps and floors (instance.toml); the report says more."
        )
        return EXIT_INFEASIBLE
    if not result.strategies:
        say(f"no strategy found before the solver stopped (status {result.status}).")
        say("allow more time (--time-limit) or a larger gap (--gap).")
        return EXIT_NO_STRATEGY
    return EXIT_OK


def _wrote(args: argparse.Namespace, path: Path | None) -> None:
    if path is not None and not args.quiet:
        say(f"wrote {path}")


def _time_limit_note(args: argparse.Namespace, result: Result) -> None:
    if result.status == "time_limit" and not args.quiet:
        n = len(result.strategies)
        say(f"stopped by the time limit after {n} strateg{'y' if n == 1 else 'ies'}.")


def rank_mode(args: argparse.Namespace, instance: Instance) -> int:
    """The ranked strategy list, in the chosen format (with the diagnosis if infeasible)."""
    result = run_solve(args, instance)
    diagnosis = run_diagnosis(args, result)
    emit(render(result, args.format, diagnosis=diagnosis), args.output_path)
    _wrote(args, args.output_path)
    _time_limit_note(args, result)
    return exit_code(result, diagnosis)


def explain_mode(args: argparse.Namespace, instance: Instance) -> int:
    """``--explain RANK``: rank, then explain strategy RANK of the list.

    A RANK beyond the list is a usage error (exit 2); no strategy at all is reported
    like the ranking (the diagnosis, exit 3; or exit 4 after a time limit).
    """
    rank = args.explain
    top = instance.ranking.top if args.top is None else args.top
    if rank > top:
        raise CliError(
            f"--explain {rank}: the ranking lists {top} strateg{'y' if top == 1 else 'ies'}; "
            f"ask for more with --top {rank}"
        )
    result = run_solve(args, instance)
    if not result.strategies:
        return rank_mode_report(args, result)
    if rank > len(result.strategies):
        n = len(result.strategies)
        raise CliError(
            f"--explain {rank}: only {n} strateg{'y' if n == 1 else 'ies'} satisfy the rules "
            f"of {instance.name!r}; choose a rank from 1 to {n}"
        )
    progress = _progress(args)
    progress(f"explaining strategy {rank}: one re-solve per decision and per rule")
    try:
        explanation = explain(result, rank)
    finally:
        progress.done()
    emit(render_explanation(explanation, result, args.format), args.output_path)
    _wrote(args, args.output_path)
    _time_limit_note(args, result)
    return EXIT_OK


def rank_mode_report(args: argparse.Namespace, result: Result) -> int:
    """The ranking's report and exit code for a result with no strategy."""
    diagnosis = run_diagnosis(args, result)
    emit(render(result, args.format, diagnosis=diagnosis), args.output_path)
    _wrote(args, args.output_path)
    return exit_code(result, diagnosis)


def frontier_mode(args: argparse.Namespace, instance: Instance) -> int:
    """``--frontier LIMIT``: sweep one limit, report each point (and plot it with --plot)."""
    points = DEFAULT_POINTS if args.points is None else args.points
    progress = _progress(args)
    progress(f"sweeping the {args.frontier} over {points} points")
    try:
        sweep = frontier(
            instance,
            vary=args.frontier,
            points=points,
            market=args.market,
            objective=args.objective,
        )
    except ValueError as error:
        raise CliError(str(error)) from None
    finally:
        progress.done()
    plot = args.plot_path
    if plot is not None:
        plot_atomically(sweep, plot)
        _wrote(args, plot)
    emit(
        render_frontier(sweep, args.format, plot=None if plot is None else str(plot)),
        args.output_path,
    )
    _wrote(args, args.output_path)
    if all(p.strategy is None for p in sweep.points):
        say(f"no point of the {args.frontier} sweep has a strategy in {instance.name!r}.")
        return EXIT_INFEASIBLE
    return EXIT_OK


def select_mode(args: argparse.Namespace) -> Mode:
    """The mode the arguments ask for; options that do not fit it are usage errors."""
    if args.frontier is None:
        for option, name in (("market", "--market"), ("points", "--points"), ("plot", "--plot")):
            if getattr(args, option) is not None:
                raise CliError(f"{name} goes with --frontier, e.g. --frontier budget {name} ...")
        return explain_mode if args.explain is not None else rank_mode
    for option, name in RANKING_ONLY.items():
        if getattr(args, option) is not None:
            raise CliError(f"{name} does not apply to --frontier (it ranks no strategies)")
    if args.market is not None and args.frontier != "cap":
        raise CliError("--market goes with --frontier cap (the market whose cap is swept)")
    return frontier_mode


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see ``--help``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.output_path = check_output(args.output)
        mode = select_mode(args)
        args.plot_path = check_plot(args.plot)
        instance = load(args.instance)
        return mode(args, instance)
    except CliError as error:
        for i, line in enumerate(error.lines):
            print(f"{PROG}: error: {line}" if i == 0 else line, file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, like other tools.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
