"""The command line's grammar: subcommands, their options, and the older flag forms.

Each option is defined once, by one ``add_*`` function, and each subcommand takes the
groups that apply to it: the instance folder, the report options (``--format``,
``--output``, ``--quiet``), the solver limits (``--time-limit``, ``--threads``), the
ranking options (``--top`` ... ``--objective``, ``--verify``) and the sweep options
(``--market``, ``--points``, ``--plot``). :func:`parse` finds the subcommand: the
first argument that is neither an option nor an option's value, if it is a command
name (so ``-q rank`` works, and a folder named like a command must be written
``./rank`` or after ``--``). Without a command the arguments are today's single
command, ``rank`` with the ``--explain``/``--frontier`` flags, parsed by
:func:`build_parser` (whose ``--help`` is the top-level help) and turned into a
command by :func:`select_command`, with the error messages they always had.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path

from advisor.analysis.frontier import VARY
from advisor.cli import calibrate, coalition, robustness, workbench
from advisor.cli.output import PROG, CliError
from advisor.cli.types import AT_LEAST_1, AT_LEAST_2, FRACTION, POSITIVE, bounded
from advisor.instance import DISTINCT_ON, OBJECTIVES
from advisor.report import FORMATS
from advisor.report.dispatch import ALL_FORMATS
from advisor.solving.pipeline import SEARCHES

DEFAULT_INSTANCE = Path("instances") / "malaysia_us_2025"
DEFAULT_POINTS = 20
DEFAULT_COMMAND = "rank"

# the subcommands and their one-line summaries (the top-level --help lists them)
COMMANDS = {
    "rank": "rank the best strategies and report them (the default: no command means rank)",
    "explain": "what each decision of one ranked strategy is worth, what each rule costs",
    "frontier": "sweep one limit (budget, reciprocity, a share cap or floor, or λ): best "
    "strategy per point",
    "diagnose": "whether any strategy satisfies the rules; if not, the conflicting rules",
    "validate": "load the instance folder and list every problem in it (no solve)",
    "bargain": "the counterpart's side: its surplus, the ZOPA, Nash and Kalai-Smorodinsky points",
    "coalition": coalition.SUMMARY,
    "calibrate": calibrate.SUMMARY,
    "new": workbench.NEW_SUMMARY,
    "convert": workbench.CONVERT_SUMMARY,
    "compare": workbench.COMPARE_SUMMARY,
    "robustness": robustness.SUMMARY,
}
# options of the ranking that a frontier sweep does not use (the older --frontier form)
RANKING_ONLY = {
    "top": "--top",
    "min_difference": "--min-difference",
    "distinct_on": "--distinct-on",
    "search": "--search",
    "measures": "--measures/--no-measures",
    "verify": "--verify",
    "gap": "--gap",
    "threads": "--threads",
}
SWEEP_ONLY = (
    ("market", "--market"),
    ("points", "--points"),
    ("plot", "--plot"),
    ("lower", "--lower"),
    ("upper", "--upper"),
)

Parser = argparse.ArgumentParser | argparse._ArgumentGroup


# ------------------------------------------------------------------ options, each once


def add_instance(parser: Parser) -> None:
    """The optional INSTANCE_DIR positional (default: the repository's default instance)."""
    parser.add_argument(
        "instance",
        nargs="?",
        metavar="INSTANCE_DIR",
        help=f"instance folder (default: {DEFAULT_INSTANCE} in the repository, "
        "whatever the current directory); format: instances/README.md",
    )


def add_report_options(parser: Parser) -> None:
    """The report's options: --format, --output and --quiet."""
    parser.add_argument(
        "--format",
        "-f",
        choices=ALL_FORMATS,
        default="table",
        help="report format: table (for a terminal, the default), json (schema: "
        "advisor/report), csv (one row per strategy; with --explain one per decision, "
        "with --frontier one per point), markdown (a briefing note), html (a "
        "self-contained briefing with charts) or xlsx (a workbook, one sheet per table; "
        "needs --output FILE.xlsx)",
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


def add_time_limit(parser: Parser) -> None:
    """The --time-limit option: one budget for the whole run, whatever the command."""
    parser.add_argument(
        "--time-limit",
        type=POSITIVE,
        metavar="S",
        help="seconds for the whole run (> 0; default: ranking.time_limit, or none): the "
        "ranking, with explain the ranking and the explanation together, a frontier's "
        "whole sweep, a diagnosis; a stop returns what was found and says what was not "
        "finished, e.g. --time-limit 30",
    )


def add_limit_options(parser: Parser) -> None:
    """The solver's limits: --time-limit and --threads."""
    add_time_limit(parser)
    parser.add_argument(
        "--threads",
        type=AT_LEAST_1,
        metavar="N",
        help="kept for compatibility (>= 1): every HiGHS solve runs on one thread, so "
        "that the ranking is the same on every machine",
    )


def add_objective(parser: Parser) -> None:
    """The --objective option (expected, worst case or regret)."""
    parser.add_argument(
        "--objective",
        choices=OBJECTIVES,
        help="what to maximise over the scenarios: expected value, worst-case value, or "
        "minus the largest regret (default: the instance's model.objective)",
    )


def add_solve_options(parser: Parser) -> None:
    """The ranking's options, shared by rank and explain."""
    parser.add_argument(
        "--top",
        "-k",
        type=AT_LEAST_1,
        metavar="K",
        help="how many strategies to list (>= 1; default: the instance's ranking.top)",
    )
    parser.add_argument(
        "--min-difference",
        "-d",
        type=AT_LEAST_1,
        metavar="D",
        help="listed strategies differ in at least D decisions (>= 1; 1 = strict K-best; "
        "default: ranking.min_difference), e.g. --min-difference 2",
    )
    parser.add_argument(
        "--gap",
        type=FRACTION,
        metavar="G",
        help="relative MIP gap of each solve, 0 to 1 (default: ranking.mip_gap, 0 = "
        "proven optimal), e.g. --gap 0.01 for 1%%",
    )
    add_objective(parser)
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
        "packages (the offer packages enumerated and bounded by a Lagrangian relaxation "
        "when there are at most 18 offers and the objective is expected value without "
        "linkages, else branch and bound over the offers; for any --distinct-on with "
        "--min-difference 1; fast on tariff-line instances) or auto (the default: "
        "packages for those above 200 decisions, cuts otherwise)",
    )
    parser.add_argument(
        "--measures",
        action="store_const",
        const=True,
        help="compute VSS and EVPI however large the instance: by default they are "
        "computed up to 200 decisions and, with the package search, up to 25,000 (10,000 "
        "tariff lines: they add about 40%% to the ranking's time; at 50,000 lines more than "
        "the ranking itself)",
    )
    parser.add_argument(
        "--no-measures",
        dest="measures",
        action="store_const",
        const=False,
        help="skip VSS and EVPI (the scenario optima and the mean-value solve)",
    )
    parser.add_argument(
        "--verify",
        action="store_const",
        const=True,
        help="re-check every listed strategy with the independent checker (advisor/"
        "checker.py: rules and numbers); a disagreement is an error (exit 5)",
    )


def add_sweep_options(parser: Parser, legacy: bool = False) -> None:
    """The frontier's options (their help names --frontier in the older flag form)."""
    lead = "with --frontier: " if legacy else ""
    parser.add_argument(
        "--market",
        metavar="M",
        help=f"with {'--frontier ' if legacy else 'the '}cap or floor: the market whose share "
        "limit is swept (default: the counterpart for a cap, the first floored market for a "
        "floor), e.g. --market USA",
    )
    parser.add_argument(
        "--points",
        type=AT_LEAST_2,
        metavar="N",
        help=f"{lead}how many values of the limit to solve at (>= 2; default {DEFAULT_POINTS})",
    )
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help=f"{lead}draw the frontier to FILE, a .png (900 x 600 px) or .svg, "
        "written atomically, e.g. --plot frontier.png",
    )
    parser.add_argument(
        "--lower",
        type=float,
        metavar="V",
        help=f"{lead}the sweep's first value (default: 0 for the budget and the ratio, "
        "the cap - 5 points for a cap), e.g. --lower 500",
    )
    parser.add_argument(
        "--upper",
        type=float,
        metavar="V",
        help=f"{lead}the sweep's last value (default: the offers' total cost, 2 x the "
        "ratio, the cap + 5 points), e.g. --upper 1500",
    )


def add_brief(parser: argparse.ArgumentParser) -> None:
    """``--brief`` (the ranking's short answer only) and ``--detail`` (lines or sectors)."""
    parser.add_argument(
        "--detail",
        choices=("auto", "lines", "sectors"),
        default="auto",
        help="table and markdown: 'lines' lists every tariff line and condition, 'sectors' "
        "groups lines by sector and conditions by pattern; 'auto' (default) groups above "
        "200 decisions (csv and json always list every line)",
    )
    parser.add_argument(
        "--brief",
        action="store_true",
        help="print only the short answer: the recommended strategy in words (what to ask, "
        "what to offer, what it protects and costs, what limits it), what the top K share",
    )


def add_legacy_analyses(parser: argparse.ArgumentParser) -> None:
    """``--explain [RANK]`` and ``--frontier LIMIT``, two mutually exclusive analysis flags.

    They are the explain and frontier commands as flags of the command without a subcommand.
    """
    group = parser.add_argument_group("analyses (the same as the explain and frontier commands)")
    analysis = group.add_mutually_exclusive_group()
    analysis.add_argument(
        "--explain",
        nargs="?",
        const=1,
        type=AT_LEAST_1,
        metavar="RANK",
        help="explain strategy RANK of the ranking (default 1): what each request and offer "
        "is worth (the best objective with it reversed) and what each rule costs (the gain "
        "with it removed or relaxed); --format markdown gives a negotiator's briefing",
    )
    analysis.add_argument(
        "--frontier",
        choices=VARY,
        help="sweep one limit (the domestic budget, the reciprocity ratio, a market's share "
        "cap or floor, or the offer cost weight lambda) and report the best strategy at each "
        "point, with the Pareto-efficient "
        "ones (protected value against offer cost, or against the market's share)",
    )
    add_sweep_options(group, legacy=True)


def add_ranking_groups(parser: argparse.ArgumentParser) -> None:
    """The instance and every option of a ranking (rank, explain, no command)."""
    add_instance(parser)
    add_solve_options(parser.add_argument_group("ranking"))
    add_limit_options(parser.add_argument_group("solver limits"))
    add_report_options(parser.add_argument_group("report"))


def add_bargain_options(parser: argparse.ArgumentParser) -> None:
    """The bargain command's instance, options and report options."""
    add_instance(parser)
    group = parser.add_argument_group("bargaining")
    group.add_argument(
        "--home-reservation",
        type=float,
        metavar="V",
        help="home's value without this deal, objective units (default 0: the threat "
        "imposed); e.g. a coalition plan's value, --home-reservation 500",
    )
    group.add_argument(
        "--counterpart-reservation",
        type=float,
        metavar="U",
        help="the counterpart's least surplus (default: [bargaining] "
        "counterpart_reservation in instance.toml, else 0)",
    )
    group.add_argument(
        "--resolution",
        type=bounded(float, 0, None, False),
        metavar="D",
        help="least rise of the counterpart's surplus between frontier points (>= 0; 0: "
        "every efficient strategy; default: 0 up to 30 decisions, else 1/40 of the "
        "surplus range); the Nash and KS points are exact at any resolution",
    )
    group.add_argument(
        "--plot",
        metavar="FILE",
        help="draw the frontier, the ZOPA and both points to FILE (.png or .svg), "
        "written atomically, e.g. --plot bargain.png",
    )
    add_time_limit(group)
    add_report_options(parser.add_argument_group("report"))


# ------------------------------------------------------------------ help texts

USAGE = """\
%(prog)s COMMAND [INSTANCE_DIR] [options]   (the commands are listed below)
       %(prog)s [INSTANCE_DIR] [options]           (the same as: %(prog)s rank ...)"""

DESCRIPTION = f"""\
Rank the best negotiation strategies (which tariff concessions to request, which
offers to make) for the instance in INSTANCE_DIR, and print a report.

commands ({PROG} COMMAND --help shows a command's options and examples):
{chr(10).join(f"  {name:<10}  {line}" for name, line in COMMANDS.items())}

Without a command the arguments are rank's (listed below), and --explain and
--frontier run the explain and frontier commands. A command name comes first among
the arguments that are not options; an instance folder named like a command is
written ./rank (or after --). Options left out take the instance's defaults
([ranking] and [model] in instance.toml)."""

EPILOG = """\
examples:
  python solve.py                                   the default instance, a table
  python solve.py instances/tiny --top 3            the same as: rank instances/tiny --top 3
  python solve.py rank --top 10 --min-difference 2  10 strategies, each 2+ decisions apart
  python solve.py --objective worst_case --time-limit 30 --gap 0.01
  python solve.py --format json > ranking.json      stdout carries only the JSON
  python solve.py --format markdown --output brief.md
  python solve.py explain --format markdown         why strategy 1: a negotiator's briefing
  python solve.py explain instances/tiny 2          what strategy 2's decisions are worth
  python solve.py --explain 2                       the same as: explain 2
  python solve.py frontier budget --points 20 --plot frontier.png
  python solve.py --frontier cap --market USA --points 11 --format json
  python solve.py diagnose instances/infeasible_example   the conflicting rules (exit 3)
  python solve.py validate instances/tiny           check a folder, no solve

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
  5  --verify: the independent checker disagrees with a listed strategy (a bug)
  6  numerical trouble: HiGHS's answer broke a rule when re-checked from the
     instance's numbers (figures of very different sizes in one rule); nothing is
     reported rather than a wrong strategy
  130  interrupted (Ctrl-C): one line, nothing written; 143 terminated (SIGTERM)
"""

RANK_EXITS = """
exit codes: 0 success; 2 bad input; 3 infeasible (the report names the conflicting
rules); 4 stopped by the time limit before any strategy was found; 5 --verify
found a disagreement with the independent checker; 6 numerical trouble (HiGHS's answer
broke a rule when re-checked); 130 interrupted (Ctrl-C)"""

SUBCOMMANDS = {  # name: (description, epilog)
    "bargain": (
        "The counterpart's side of INSTANCE_DIR: the Pareto frontier of home's value\n"
        "(objective units) against the counterpart's surplus (offers' value minus the\n"
        "acceptance-weighted cost of what it grants), the bargaining range (ZOPA) between\n"
        "the reservation values (home: --home-reservation, default 0 = no deal; the\n"
        "counterpart: [bargaining] counterpart_reservation in instance.toml, default 0),\n"
        "and the Nash and Kalai-Smorodinsky points with their strategies.",
        """\
examples:
  python solve.py bargain instances/tiny
  python solve.py bargain instances/tiny --format json
  python solve.py bargain instances/tiny --home-reservation 50 --format csv
  python solve.py bargain --plot bargain.png --quiet
  python solve.py bargain --resolution 200 --format markdown

exit codes: 0 success (also an empty ZOPA: the report says so); 2 bad input;
3 no strategy satisfies the rules; 130 interrupted (Ctrl-C)""",
    ),
    "rank": (
        "Rank the best negotiation strategies of INSTANCE_DIR and print a report.\n"
        f"'{PROG} INSTANCE_DIR [options]' (no command) means the same. Options left out\n"
        "take the instance's defaults ([ranking] and [model] in instance.toml).",
        """\
examples:
  python solve.py rank instances/tiny --top 3
  python solve.py rank --top 10 --min-difference 2 --distinct-on offers
  python solve.py rank instances/tiny --format json > ranking.json
  python solve.py rank instances/tiny --verify --format markdown --output brief.md
"""
        + RANK_EXITS,
    ),
    "explain": (
        "Rank, then explain strategy RANK of the list (default 1): what each request\n"
        "and offer is worth (the best objective with it reversed) and what each rule\n"
        "costs (the gain with it removed or relaxed); --format markdown gives a\n"
        "negotiator's briefing. A lone whole number that is no folder is the RANK of\n"
        f"the default instance ('{PROG} explain 2'). Same as --explain [RANK].",
        """\
examples:
  python solve.py explain instances/tiny            why strategy 1
  python solve.py explain instances/tiny 2 --format json
  python solve.py explain --rank 2 --format markdown --output briefing.md
"""
        + RANK_EXITS.replace("; 2 bad input", "; 2 bad input (also a RANK beyond the list)"),
    ),
    "frontier": (
        "Sweep one limit (the domestic budget, the reciprocity ratio, a market's share\n"
        "cap or floor, or the offer cost weight lambda, the price of offer cost) and\n"
        "report the best strategy at each point, with the Pareto-efficient\n"
        "ones (protected value against offer cost, or against the market's share).\n"
        "Same as --frontier LIMIT.",
        """\
examples:
  python solve.py frontier budget instances/tiny --points 5
  python solve.py frontier budget --points 20 --plot frontier.png
  python solve.py frontier cap --market USA --points 11 --format json
  python solve.py frontier reciprocity instances/tiny --format csv
  python solve.py frontier floor --market CHN --points 5
  python solve.py frontier lambda instances/tiny --lower 0 --upper 2 --points 5
  python solve.py frontier budget --points 20 --time-limit 60   one budget for the sweep
  python solve.py frontier budget --lower 500 --upper 1500 --points 11 --plot f.svg

exit codes: 0 success; 2 bad input; 3 no point of the sweep has a strategy;
130 interrupted (Ctrl-C)""",
    ),
    "diagnose": (
        "Say whether any strategy satisfies the rules of INSTANCE_DIR; if none does,\n"
        "name a smallest set of conflicting rules and the smallest fix of each.",
        """\
examples:
  python solve.py diagnose instances/infeasible_example
  python solve.py diagnose instances/tiny                  feasible: exit 0
  python solve.py diagnose instances/infeasible_example --format json

exit codes: 0 feasible; 2 bad input; 3 infeasible (the conflicting rules are listed);
130 interrupted (Ctrl-C)""",
    ),
    "validate": (
        "Load INSTANCE_DIR (a folder, or a .xlsx workbook) and report every problem in\n"
        "it, located by file (or sheet), row and column, without solving; a valid\n"
        "instance is summarised.",
        """\
examples:
  python solve.py validate instances/tiny
  python solve.py validate tiny.xlsx                 a workbook (see: convert)
  python solve.py validate /tmp/broken_instance      every problem, exit 2

exit codes: 0 valid; 2 invalid (each problem as "file, row R, column 'C': message")""",
    ),
    "coalition": (coalition.DESCRIPTION, coalition.EPILOG),
    "calibrate": (calibrate.DESCRIPTION, calibrate.EPILOG),
    "new": (workbench.NEW_DESCRIPTION, workbench.NEW_EPILOG),
    "convert": (workbench.CONVERT_DESCRIPTION, workbench.CONVERT_EPILOG),
    "compare": (workbench.COMPARE_DESCRIPTION, workbench.COMPARE_EPILOG),
    "robustness": (robustness.DESCRIPTION, robustness.EPILOG),
}


# ------------------------------------------------------------------ parsers


def build_parser() -> argparse.ArgumentParser:
    """The command without a subcommand: rank's options and the --explain and --frontier flags.

    Its --help is the top-level help (it lists the commands).
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage=USAGE,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_ranking_groups(parser)
    add_legacy_analyses(parser)
    add_brief(parser)
    parser.set_defaults(command=None, legacy=True)
    return parser


def _add_command(subparsers: argparse._SubParsersAction, name: str) -> argparse.ArgumentParser:
    description, epilog = SUBCOMMANDS[name]
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        prog=f"{PROG} {name}",
        help=COMMANDS[name],
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(command=name, legacy=False)
    return parser


def build_command_parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser of ``COMMAND ...`` and each command's own parser."""
    top = argparse.ArgumentParser(prog=PROG, usage=USAGE, description=DESCRIPTION)
    subparsers = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = {name: _add_command(subparsers, name) for name in COMMANDS}
    add_ranking_groups(commands["rank"])
    explain = commands["explain"]
    add_ranking_groups(explain)
    explain.add_argument(
        "rank_argument",
        nargs="?",
        type=AT_LEAST_1,
        metavar="RANK",
        help="the strategy to explain (default 1; or --rank)",
    )
    explain.add_argument("--rank", type=AT_LEAST_1, metavar="RANK", help="the same as RANK")
    frontier = commands["frontier"]
    frontier.add_argument(
        "limit",
        choices=VARY,
        metavar="LIMIT",
        help="budget, reciprocity, cap, floor or lambda: the limit to sweep",
    )
    add_instance(frontier)
    sweep = frontier.add_argument_group("sweep")
    add_sweep_options(sweep)
    add_objective(sweep)
    add_time_limit(sweep)
    add_report_options(frontier.add_argument_group("report"))
    add_instance(commands["diagnose"])
    add_time_limit(commands["diagnose"].add_argument_group("solver limits"))
    add_report_options(commands["diagnose"].add_argument_group("report"))
    add_instance(commands["validate"])
    coalition.add_coalition_options(commands["coalition"], FORMATS)
    calibrate.add_calibrate_options(commands["calibrate"], FORMATS)
    add_instance(commands["robustness"])
    robustness.add_robustness_options(commands["robustness"])
    add_report_options(commands["robustness"].add_argument_group("report"))
    add_bargain_options(commands["bargain"])
    workbench.add_new_options(commands["new"])
    workbench.add_convert_options(commands["convert"])
    workbench.add_compare_options(commands["compare"])
    add_brief(commands["rank"])
    return top, commands


# ------------------------------------------------------------------ finding the command


def _value_options(parsers: Iterable[argparse.ArgumentParser]) -> dict[str, bool]:
    """Every option that takes a value: True when the value is optional (--explain)."""
    options: dict[str, bool] = {}
    for parser in parsers:
        for action in parser._actions:  # argparse has no public list of its options
            if action.option_strings and action.nargs != 0:
                options.update(dict.fromkeys(action.option_strings, action.nargs == "?"))
    return options


def _option_named(arg: str, options: dict[str, bool]) -> str | None:
    """The option ``arg`` names, allowing argparse's unique abbreviations (--min-diff)."""
    if arg in options:
        return arg
    if arg.startswith("--"):
        matches = [o for o in options if o.startswith(arg)]
        if len(matches) == 1:
            return matches[0]
    return None


def find_command(argv: Sequence[str], options: dict[str, bool]) -> int | None:
    """The position of the subcommand in ``argv``, or None if there is none (rank).

    The subcommand is the first argument that is neither an option nor an option's
    value, if it names a command. Nothing after ``--`` is a command.
    """
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return None
        if arg.startswith("-") and len(arg) > 1:
            option = _option_named(arg, options)
            if option is not None:
                follows = i + 1 < len(argv) and not argv[i + 1].startswith("-")
                i += 1 if options[option] and not follows else 2
            else:
                i += 1  # a flag, --option=value, -k3, or an unknown option
            continue
        return i if arg in COMMANDS else None
    return None


def _resolve_rank(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Explain's RANK: the positional or --rank (not both).

    A lone whole number that is no folder is the RANK of the default instance.
    """
    if args.rank_argument is not None and args.rank is not None:
        parser.error("give the rank once: RANK or --rank RANK")
    rank = args.rank if args.rank is not None else args.rank_argument
    lone = args.instance
    if rank is None and lone is not None and lone.isdigit() and not Path(lone).exists():
        try:
            rank = AT_LEAST_1(lone)
        except argparse.ArgumentTypeError as error:
            parser.error(f"argument RANK: {error}")
        args.instance = None
    args.rank = 1 if rank is None else rank


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the arguments (argparse exits with 2 and the usage on a malformed one).

    ``command`` is the subcommand's name, or None for the form without one (``legacy``
    is True then, and :func:`select_command` decides which command it means).
    """
    legacy = build_parser()
    top, commands = build_command_parsers()
    at = find_command(argv, _value_options([legacy, *commands.values()]))
    if at is None:
        return legacy.parse_args(argv)
    args = top.parse_args([argv[at], *argv[:at], *argv[at + 1 :]])
    if args.command == "explain":
        _resolve_rank(commands["explain"], args)
    return args


def select_command(args: argparse.Namespace) -> str:
    """The command to run; options that do not fit it are usage errors (:class:`CliError`).

    The form without a command means rank, explain (``--explain [RANK]``) or frontier
    (``--frontier LIMIT``); its namespace gets the command's ``rank`` or ``limit``.
    """
    if not args.legacy:
        if (
            args.command == "frontier"
            and args.market is not None
            and args.limit not in ("cap", "floor")
        ):
            raise CliError(
                "--market goes with frontier cap or floor (the market whose share limit is "
                "swept)"
            )
        return args.command
    if args.frontier is None:
        for option, name in SWEEP_ONLY:
            if getattr(args, option) is not None:
                raise CliError(f"{name} goes with --frontier, e.g. --frontier budget {name} ...")
        if args.explain is None:
            return "rank"
        args.rank = args.explain
        return "explain"
    for option, name in RANKING_ONLY.items():
        if getattr(args, option) is not None:
            raise CliError(f"{name} does not apply to --frontier (it ranks no strategies)")
    if args.market is not None and args.frontier != "cap":
        raise CliError("--market goes with --frontier cap (the market whose cap is swept)")
    args.limit = args.frontier
    return "frontier"
