"""The command line: ``advisor COMMAND [INSTANCE_DIR] [options]`` or ``python solve.py ...``.

The commands: ``rank`` (the ranked strategies; the default, so ``python solve.py
INSTANCE_DIR [options]`` means ``rank``), ``explain`` (what each decision of one
strategy is worth and what each rule costs; also ``--explain [RANK]``), ``frontier``
(a sweep of one limit, optionally plotted; also ``--frontier LIMIT``), ``diagnose``
(the conflicting rules of an infeasible instance) and ``validate`` (load the folder
and list every problem, no solve). This module holds :func:`main` and one function
``(args, outputs) -> exit code`` per command; it only loads the instance, calls the
library (:func:`advisor.solve`, :func:`advisor.explain`, :func:`advisor.frontier`,
:func:`advisor.diagnose`), renders the report and turns the outcome into an exit
code. The grammar is in :mod:`advisor.cli.parser`, messages and atomic output in
:mod:`advisor.cli.output`. Standard output carries the report and nothing else (the
solver's own output goes to standard error), so ``--format json > out.json`` is always
valid JSON. When no strategy satisfies the rules, every command that solves runs
:func:`advisor.diagnose` and reports the conflicting rules.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.cli import early, interrupts
from advisor.cli.output import (
    EXIT_INFEASIBLE,
    EXIT_INTERRUPTED,
    EXIT_NO_STRATEGY,
    EXIT_NUMERICAL_TROUBLE,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VERIFICATION,
    PROG,
    CliError,
    Outputs,
    Progress,
    check_output,
    check_plot,
    emit,
    output_errors,
    render_diagnosis,
    report_error,
    say,
    write_atomically,
)
from advisor.cli.output import stderr_is_terminal as _stderr_is_terminal
from advisor.errors import InstanceError, listing
from advisor.solving.trouble import NumericalTroubleError

if TYPE_CHECKING:
    from advisor.analysis.bargain import bargain
    from advisor.analysis.diagnose import Diagnosis, diagnose
    from advisor.analysis.explain import explain
    from advisor.analysis.frontier import frontier
    from advisor.cli.parser import (
        DEFAULT_INSTANCE,
        DEFAULT_POINTS,
        build_parser,
        parse,
        select_command,
    )
    from advisor.inputs.loader import load_instance
    from advisor.instance import Instance
    from advisor.report import (
        STATUS_WORDS,
        render,
        render_bargain,
        render_explanation,
        render_frontier,
    )
    from advisor.results import Result
    from advisor.solving.pipeline import solve
    from advisor.solving.verify import VerificationError

# The library's names this module uses, and their modules: imported by main inside
# its interrupt handling (pandas, Pyomo and highspy take about a second), or on first
# access from outside (``advisor.cli.solve``, which a test may replace).
LIBRARY = {
    "diagnose": "advisor.analysis.diagnose",
    "explain": "advisor.analysis.explain",
    "frontier": "advisor.analysis.frontier",
    "bargain": "advisor.analysis.bargain",
    "DEFAULT_INSTANCE": "advisor.cli.parser",
    "DEFAULT_POINTS": "advisor.cli.parser",
    "build_parser": "advisor.cli.parser",
    "parse": "advisor.cli.parser",
    "select_command": "advisor.cli.parser",
    "load_instance": "advisor.inputs.loader",
    "STATUS_WORDS": "advisor.report",
    "render": "advisor.report",
    "render_explanation": "advisor.report",
    "render_frontier": "advisor.report",
    "render_bargain": "advisor.report",
    "solve": "advisor.solving.pipeline",
    "VerificationError": "advisor.solving.verify",
}


def import_library() -> None:
    """Bind :data:`LIBRARY`'s names in this module, once (a replaced name is kept)."""
    namespace = globals()
    for name, module in LIBRARY.items():
        if name not in namespace:
            namespace[name] = getattr(importlib.import_module(module), name)


def __getattr__(name: str) -> Any:
    """A library name of :data:`LIBRARY`, imported on first access."""
    if name not in LIBRARY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import_library()
    return globals()[name]


__all__ = [
    "EXIT_INFEASIBLE",
    "EXIT_INTERRUPTED",
    "EXIT_NO_STRATEGY",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_VERIFICATION",
    "PROG",
    "CliError",
    "build_parser",
    "main",
    "parse",
    "run_solve",
    "write_atomically",
]

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent.parent

Command = Callable[[argparse.Namespace, Outputs], int]


# ------------------------------------------------------------------ loading and solving


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


def _problems(path: Path, error: InstanceError) -> list[str]:
    n = len(error.problems)
    head = f"{path}: {error.title} ({n} problem{'s' if n != 1 else ''}):"
    return [head, *error.listing()]


def load(folder: str | None) -> Instance:
    """Load the instance, turning every located problem into one stderr line."""
    path = default_instance() if folder is None else Path(folder)
    try:
        return load_instance(path)
    except InstanceError as error:
        raise CliError(_problems(path, error)) from None


class Budget:
    """One ``--time-limit`` for the whole run: the seconds left of it (None: no limit)."""

    SMALLEST = 0.01  # the library's time limits must be > 0: a spent budget stops at once

    def __init__(self, seconds: float | None) -> None:
        """Start the clock of a budget of ``seconds`` (None: unlimited)."""
        self.seconds = seconds
        self.started = time.monotonic()

    def left(self) -> float | None:
        """The seconds left (at least :attr:`SMALLEST`), or None without a limit."""
        if self.seconds is None:
            return None
        return max(self.seconds - (time.monotonic() - self.started), self.SMALLEST)


def _budget(args: argparse.Namespace) -> Budget:
    budget = getattr(args, "budget", None)
    return budget if isinstance(budget, Budget) else Budget(getattr(args, "time_limit", None))


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
            time_limit=_budget(args).left(),
            mip_gap=args.gap,
            objective=args.objective,
            threads=args.threads,
            progress=progress,
            distinct_on=args.distinct_on,
            search=args.search or "auto",
            with_measures=args.measures,
            verify=bool(args.verify),
        )
    except ValueError as error:
        raise CliError(str(error)) from None
    except InstanceError as error:
        raise CliError([error.title, *error.listing()]) from None
    except VerificationError as error:  # --verify: a bug, said in words with its own code
        lines = ["--verify: the independent checker disagrees with the result:"]
        raise CliError([*lines, *error.problems], EXIT_VERIFICATION) from None
    finally:
        progress.done()


def run_diagnosis(args: argparse.Namespace, result: Result) -> Diagnosis | None:
    """For an infeasible result, the conflicting rules (None otherwise, or if it fails)."""
    if result.status != "infeasible":
        return None
    progress = _progress(args)
    progress("no strategy: finding the conflicting rules")
    try:
        return diagnose(result.instance, time_limit=_budget(args).left())
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


# ------------------------------------------------------------------ the commands


def rank_command(args: argparse.Namespace, outputs: Outputs) -> int:
    """The ranked strategy list, in the chosen format (with the diagnosis if infeasible)."""
    result = run_solve(args, load(args.instance))
    if getattr(args, "brief", False) and result.strategies:
        from advisor.report.summary import render_summary

        emit(render_summary(result), outputs.report, "table")
        _wrote(args, outputs.report)
        return exit_code(result)
    return _ranking_report(args, outputs, result, time_limit_note=True)


def _ranking_report(
    args: argparse.Namespace, outputs: Outputs, result: Result, time_limit_note: bool = False
) -> int:
    """The ranking's report and exit code (the diagnosis for an infeasible result)."""
    diagnosis = run_diagnosis(args, result)
    detail = getattr(args, "detail", "auto")  # rank's --detail; explain's ranking: auto
    emit(render(result, args.format, diagnosis, detail), outputs.report, args.format)
    _wrote(args, outputs.report)
    if time_limit_note:
        _time_limit_note(args, result)
    return exit_code(result, diagnosis)


def explain_command(args: argparse.Namespace, outputs: Outputs) -> int:
    """Rank, then explain strategy ``args.rank`` of the list.

    A rank beyond the list is a usage error (exit 2); no strategy at all is reported
    like the ranking (the diagnosis, exit 3; or exit 4 after a time limit).
    """
    asked = f"{'--explain' if args.legacy else 'explain'} {args.rank}"
    instance = load(args.instance)
    if args.time_limit is None and instance.ranking.time_limit is not None:
        args.time_limit = _budget(args).seconds = instance.ranking.time_limit
    rank = args.rank
    top = instance.ranking.top if args.top is None else args.top
    if rank > top:
        raise CliError(
            f"{asked}: the ranking lists {top} strateg{'y' if top == 1 else 'ies'}; "
            f"ask for more with --top {rank}"
        )
    result = run_solve(args, instance)
    if not result.strategies:
        return _ranking_report(args, outputs, result)
    if rank > len(result.strategies):
        n = len(result.strategies)
        raise CliError(
            f"{asked}: only {n} strateg{'y' if n == 1 else 'ies'} satisfy the rules "
            f"of {instance.name!r}; choose a rank from 1 to {n}"
        )
    progress = _progress(args)
    progress(f"explaining strategy {rank}: one re-solve per decision and per rule")
    try:
        explanation = explain(result, rank, time_limit=_budget(args).left())
    finally:
        progress.done()
    emit(render_explanation(explanation, result, args.format), outputs.report, args.format)
    _wrote(args, outputs.report)
    _time_limit_note(args, result)
    return EXIT_OK


def frontier_command(args: argparse.Namespace, outputs: Outputs) -> int:
    """Sweep the limit ``args.limit``, report each point (and plot it with --plot)."""
    instance = load(args.instance)
    points = DEFAULT_POINTS if args.points is None else args.points
    progress = _progress(args)
    progress(f"sweeping the {args.limit} over {points} points")
    try:
        sweep = frontier(
            instance,
            vary=args.limit,
            points=points,
            market=args.market,
            lower=getattr(args, "lower", None),
            upper=getattr(args, "upper", None),
            objective=args.objective,
            time_limit=_budget(args).left(),
        )
    except ValueError as error:
        raise CliError(str(error)) from None
    finally:
        progress.done()
    plot = None if outputs.plot is None else str(outputs.plot)
    text = render_frontier(sweep, args.format, plot=plot)
    if outputs.plot is not None:
        interrupts.hold()  # the plot and the report are written whole, or neither
        with output_errors():
            sweep.plot(outputs.plot)
        _wrote(args, outputs.plot)
    emit(text, outputs.report, args.format)
    _wrote(args, outputs.report)
    if all(p.strategy is None for p in sweep.points):
        say(f"no point of the {args.limit} sweep has a strategy in {instance.name!r}.")
        return EXIT_INFEASIBLE
    return EXIT_OK


def diagnose_command(args: argparse.Namespace, outputs: Outputs) -> int:
    """Whether any strategy satisfies the rules: 0 if so; else the conflicts, exit 3."""
    instance = load(args.instance)
    progress = _progress(args)
    progress("checking the rules (one feasibility solve per rule if they conflict)")
    try:
        diagnosis = diagnose(instance, time_limit=_budget(args).left())
    except TimeoutError as stopped:  # DiagnosisTimeoutError: no verdict in the time
        raise CliError(str(stopped), EXIT_NO_STRATEGY) from None
    finally:
        progress.done()
    emit(render_diagnosis(diagnosis, instance, args.format), outputs.report, args.format)
    _wrote(args, outputs.report)
    if diagnosis.feasible:
        return EXIT_OK
    n = len(diagnosis.conflicts)
    say(f"infeasible: {n} conflicting rule{'s' if n != 1 else ''} in {instance.name!r}.")
    return EXIT_INFEASIBLE


def validate_command(args: argparse.Namespace, outputs: Outputs) -> int:
    """Load the folder: its summary (exit 0), or every located problem (exit 2)."""
    path = default_instance() if args.instance is None else Path(args.instance)
    try:
        instance = load_instance(path)
    except InstanceError as error:
        emit("\n".join(_problems(path, error)) + "\n", None)
        return EXIT_USAGE
    emit(f"{path}: a valid instance\n{instance}\n", None)
    if instance.warnings:
        n = len(instance.warnings)
        lines = [f"{n} warning{'s' if n != 1 else ''}:", *listing(instance.warnings)]
        emit("\n".join(lines) + "\n", None)
    return EXIT_OK


def bargain_command(args: argparse.Namespace, outputs: Outputs) -> int:
    """The bargaining analysis (and its plot with --plot); exit 3 if no strategy exists."""
    instance = load(args.instance)
    progress = _progress(args)
    progress("sweeping the frontier of home's value against the counterpart's surplus")
    try:
        result = bargain(
            instance,
            home_reservation=0.0 if args.home_reservation is None else args.home_reservation,
            counterpart_reservation=args.counterpart_reservation,
            resolution=args.resolution,
            time_limit=_budget(args).left(),
        )
    except ValueError as error:
        raise CliError(str(error)) from None
    except InstanceError as error:
        raise CliError([f"{instance.path}: {error.title}", *error.listing()]) from None
    finally:
        progress.done()
    plot = None if outputs.plot is None else str(outputs.plot)
    text = render_bargain(result, args.format, plot=plot)
    if outputs.plot is not None:
        interrupts.hold()  # the plot and the report are written whole, or neither
        with output_errors():
            result.plot(outputs.plot)
        _wrote(args, outputs.plot)
    emit(text, outputs.report, args.format)
    _wrote(args, outputs.report)
    if not result.points:
        say(f"no strategy satisfies the rules of {instance.name!r} (see: diagnose).")
        return EXIT_INFEASIBLE
    return EXIT_OK


def _later(module: str, name: str) -> Callable[..., int]:
    """A command whose module is imported when it runs, inside the interrupt watch.

    The console script imports this package before ``main`` can watch for Ctrl-C: the
    fewer modules it loads, the shorter the window where an interrupt is a traceback.
    """

    def run(*args: Any) -> int:
        command: Callable[..., int] = getattr(importlib.import_module(module), name)
        return command(*args)

    return run


COMMANDS: dict[str, Command] = {
    "rank": rank_command,
    "explain": explain_command,
    "frontier": frontier_command,
    "diagnose": diagnose_command,
    "validate": validate_command,
    "bargain": bargain_command,
    "coalition": _later("advisor.cli.coalition", "coalition_command"),
    "calibrate": _later("advisor.cli.calibrate", "calibrate_command"),
    "new": _later("advisor.cli.workbench", "new_command"),
    "convert": _later("advisor.cli.workbench", "convert_command"),
    "compare": _later("advisor.cli.workbench", "compare_command"),
    "robustness": lambda args, outputs: _later("advisor.cli.robustness", "robustness_command")(
        args, outputs, default_instance() if args.instance is None else Path(args.instance)
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see ``--help``).

    An interrupt (Ctrl-C, SIGTERM) anywhere, the imports included, stops the run with
    one line on standard error and exit 130 (143 for SIGTERM); no report file is left
    (:mod:`advisor.cli.interrupts`). Run as the program (``argv`` None), signals after
    the run stay held until the process exits.
    """
    try:
        with interrupts.watching(restore=argv is not None):
            if early.SIGNALS:  # a signal arrived while the command line was loading
                interrupts.arrived(early.SIGNALS[0])
            return _run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        return _interrupted()
    except Exception:
        # an interrupted solve can surface as another error (Pyomo's output capture
        # turns KeyboardInterrupt into a RuntimeError): the interrupt is the cause
        if not interrupts.received():
            raise
        return _interrupted()


def _interrupted() -> int:
    """Say that the run was interrupted (one line); its exit code, 130 or 143."""
    message, code = interrupts.stopped()
    with contextlib.suppress(OSError, ValueError):
        say(message)
    return code


# the commands with an HTML briefing and an Excel report (issue 18)
FILE_FORMAT_COMMANDS = ("rank", "explain", "frontier", "bargain", "compare")


def _check_file_format(command: str, args: argparse.Namespace) -> None:
    """--format html and xlsx: only where there is such a report; xlsx needs --output."""
    fmt = getattr(args, "format", None)
    if fmt not in ("html", "xlsx"):
        return
    if command not in FILE_FORMAT_COMMANDS:
        raise CliError(f"--format {fmt} goes with {', '.join(FILE_FORMAT_COMMANDS)}")
    if fmt == "xlsx" and getattr(args, "output", None) is None:
        raise CliError("--format xlsx writes a workbook: give --output FILE.xlsx")


def _run(argv: Sequence[str]) -> int:
    """Import the library, parse ``argv`` and run the command it names."""
    import_library()
    args = parse(argv)
    args.budget = Budget(getattr(args, "time_limit", None))  # the clock starts now
    try:
        report = check_output(getattr(args, "output", None))
        name = select_command(args)
        _check_file_format(name, args)
        command = COMMANDS[name]
        outputs = Outputs(report, check_plot(getattr(args, "plot", None)))
        code = command(args, outputs)
        interrupts.check()
        return code
    except CliError as error:
        interrupts.check()  # an interrupt some layer swallowed is no usage error
        return report_error(error)
    except NumericalTroubleError as trouble:
        interrupts.check()
        lines = [f"numerical trouble: {trouble.summary}", *trouble.details]
        return report_error(CliError(lines, EXIT_NUMERICAL_TROUBLE))
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, like other tools.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
