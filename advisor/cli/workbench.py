"""The analyst's workbench commands: ``new``, ``convert`` and ``compare`` (issue 18).

Their options (added to the grammar by :mod:`advisor.cli.parser`) and the commands
(registered in :mod:`advisor.cli`): ``new FOLDER`` writes a commented instance to
edit (:mod:`advisor.scaffold`), ``convert SRC DST`` turns a folder into a workbook or
back (:mod:`advisor.inputs.workbook`), ``compare A B`` says what changed between two
instances or two saved JSON results (:mod:`advisor.compare`). Every user mistake is
one located message and exit 2; nothing is left half-written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from advisor.cli.output import EXIT_OK, CliError, Outputs, emit, say
from advisor.errors import InstanceError

NEW_SUMMARY = "write a new, commented instance to edit (a folder, or a .xlsx workbook)"
NEW_DESCRIPTION = """\
Write a new instance to FOLDER (or to a workbook, when FOLDER ends in .xlsx): a copy
of a shipped template that 'rank' runs at once, every row's note marked PLACEHOLDER,
instance.toml opening with what each key means, and a README.md explaining every
column (in a workbook: a note on every header cell). Replace the placeholders with
your figures, then 'validate' and 'rank'."""
NEW_EPILOG = """\
examples:
  python solve.py new my_negotiation
  python solve.py new vietnam --from malaysia_us_2025 --home VNM --counterpart USA
  python solve.py new my_negotiation.xlsx        the same, as one Excel workbook

exit codes: 0 written; 2 the destination exists, or a code is not an id"""

CONVERT_SUMMARY = "convert an instance folder to an Excel workbook, or a workbook to a folder"
CONVERT_DESCRIPTION = """\
Convert the instance SRC into DST: a folder into a workbook (DST ends in .xlsx: one
sheet per table, a 'settings' sheet holding instance.toml line by line, numbers as
numbers) or a workbook into a folder. Every cell's text and instance.toml come back
unchanged; SRC must be a valid instance (its problems are listed, exit 2)."""
CONVERT_EPILOG = """\
examples:
  python solve.py convert instances/tiny tiny.xlsx
  python solve.py convert tiny.xlsx tiny_again

exit codes: 0 converted; 2 SRC is not a valid instance, or DST cannot be written"""


def add_new_options(parser: argparse.ArgumentParser) -> None:
    """``new FOLDER [--from TEMPLATE] [--home CODE] [--counterpart CODE]``."""
    from advisor.scaffold import TEMPLATES

    parser.add_argument("folder", metavar="FOLDER", help="the new folder (or FILE.xlsx)")
    parser.add_argument(
        "--from", dest="template", choices=TEMPLATES, default="tiny",
        help="the template to copy (default tiny: 3 sectors, hand-solved)",
    )
    parser.add_argument("--home", metavar="CODE", help="home's code, e.g. VNM")
    parser.add_argument(
        "--counterpart", metavar="CODE",
        help="the counterpart's code, e.g. USA (renamed in markets.csv and the caps)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no message on stderr")


def add_convert_options(parser: argparse.ArgumentParser) -> None:
    """``convert SRC DST``."""
    parser.add_argument("source", metavar="SRC", help="an instance folder or workbook")
    parser.add_argument("destination", metavar="DST", help="the workbook (.xlsx) or folder")
    parser.add_argument("--quiet", "-q", action="store_true", help="no message on stderr")


def _problems(path: str, error: InstanceError) -> CliError:
    n = len(error.problems)
    head = f"{path}: {error.title} ({n} problem{'s' if n != 1 else ''}):"
    return CliError([head, *error.listing()])


def new_command(args: argparse.Namespace, outputs: Outputs) -> int:
    """Write the new instance; exit 2 with one message if it cannot be."""
    from advisor.scaffold import new_instance

    del outputs
    try:
        path = new_instance(args.folder, args.template, args.home, args.counterpart)
    except (ValueError, OSError) as error:
        raise CliError(str(error)) from None
    if not args.quiet:
        say(f"wrote {path} (from {args.template}): edit the PLACEHOLDER rows, then "
            f"validate and rank it")
    return EXIT_OK


def convert_command(args: argparse.Namespace, outputs: Outputs) -> int:
    """Folder -> workbook, or workbook -> folder; exit 2 for anything else."""
    from advisor.files import OutputError
    from advisor.inputs.workbook import folder_to_workbook, is_workbook, workbook_to_folder

    del outputs
    source, target = Path(args.source), Path(args.destination)
    if is_workbook(source) == is_workbook(target):
        raise CliError(
            "convert goes from a folder to a workbook (DST ending in .xlsx) or from a "
            f"workbook to a folder; got {source} -> {target}"
        )
    try:
        if is_workbook(target):
            folder_to_workbook(source, target)
        else:
            workbook_to_folder(source, target)
    except InstanceError as error:
        raise _problems(str(source), error) from None
    except (OutputError, FileExistsError) as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot write {target}: {error.strerror or error}") from None
    if not args.quiet:
        say(f"wrote {target}")
    return EXIT_OK


COMPARE_SUMMARY = "what changed between two instances or two saved results, and in the advice"
COMPARE_DESCRIPTION = """\
Compare A and B, each an instance (a folder or a .xlsx workbook, ranked here with its
own settings) or a saved result (rank --format json > a.json): what changed in the
inputs, value by value (rows matched by id), how the recommended strategy changed
(decisions added and dropped, objective, protected value, offer cost, shares), how
many of the top K stayed, and which input changes name the decisions that moved."""
COMPARE_EPILOG = """\
examples:
  python solve.py compare instances/tiny my_tiny          before and after an edit
  python solve.py compare instances/tiny tiny.xlsx        a folder against a workbook
  python solve.py compare before.json after.json --format markdown

exit codes: 0 compared; 2 bad input (an invalid instance, a file that is no saved result)"""


def add_compare_options(parser: argparse.ArgumentParser) -> None:
    """``compare A B`` and the report options."""
    from advisor.report.dispatch import ALL_FORMATS

    parser.add_argument("a", metavar="A", help="an instance folder, workbook or saved JSON result")
    parser.add_argument("b", metavar="B", help="the same, compared against A")
    parser.add_argument("--format", "-f", choices=ALL_FORMATS, default="table",
                        help="report format (xlsx needs --output FILE)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress messages")


def compare_command(args: argparse.Namespace, outputs: Outputs) -> int:
    """Load both sides (each problem located, exit 2), compare, report."""
    from advisor.compare import compare, load_side
    from advisor.report.compare import render_comparison

    sides = []
    for path in (args.a, args.b):
        try:
            sides.append(load_side(path))
        except InstanceError as error:
            raise _problems(path, error) from None
        except ValueError as error:
            raise CliError(str(error)) from None
    comparison = compare(sides[0], sides[1])
    emit(render_comparison(comparison, args.format), outputs.report, args.format)
    return EXIT_OK


__all__ = [
    "add_compare_options",
    "add_convert_options",
    "add_new_options",
    "compare_command",
    "convert_command",
    "new_command",
]
