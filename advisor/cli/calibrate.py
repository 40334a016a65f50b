"""The ``calibrate`` command: ``advisor calibrate INSTANCE_DIR [INSTANCE_DIR ...] [options]``.

Its options (defined here once, added to the grammar by :mod:`advisor.cli.parser`)
and the command (registered in :mod:`advisor.cli`): load every instance and its
``observed.toml`` (every located problem of every folder, exit 2), fit the
counterpart (:func:`advisor.calibrate`), render the report, and with ``--apply DIR``
write the calibrated copy of one instance to DIR, atomically.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from advisor.cli.output import EXIT_OK, CliError, Outputs, Progress, emit, say, stderr_is_terminal
from advisor.errors import InstanceError

SUMMARY = "fit the counterpart (rho, value multipliers, acceptance) to deals it signed"
DESCRIPTION = """\
Fit one counterpart to the deals it signed with the instances given (observed.toml in
each folder): the reciprocity ratio rho, a multiplier on the offers' counterpart
values per category (purchase, tariff, regulatory, security, investment) and a
multiplier on acceptance probabilities, each on a grid. The fit minimises the number
of decisions where the nearest optimal strategy differs from the observed deal, then
the relative objective gap (the maths: advisor/analysis/calibrate.py). Each fitted
value comes with its interval: the grid values that fit equally well. --predict gives
the advisor's best strategy for an instance without an observed deal under the
fitted counterpart; --leave-one-out predicts each observed deal from the others;
--apply DIR writes a calibrated copy of an instance, for `rank DIR`."""
EPILOG = """\
examples:
  python solve.py calibrate instances/thailand_us_2025 instances/vietnam_us_2025 \\
      instances/indonesia_us_2025 --predict instances/malaysia_us_2025
  python solve.py calibrate instances/thailand_us_2025 instances/vietnam_us_2025 \\
      instances/indonesia_us_2025 --leave-one-out --format json
  python solve.py calibrate instances/indonesia_us_2025 --ratios 1,4,16 --format csv
  python solve.py calibrate instances/thailand_us_2025 instances/vietnam_us_2025 \\
      --predict instances/malaysia_us_2025 --apply /tmp/malaysia_calibrated -q
  python solve.py rank /tmp/malaysia_calibrated --top 3

exit codes: 0 success; 2 bad input (every problem of every folder and observed.toml,
located by file, row or key), or --apply's folder exists or cannot be written;
130 interrupted (Ctrl-C)"""


def _grid(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, e.g. 0.5,1,2; got {text!r}") from None
    if not values or any(not v > 0 or v == float("inf") for v in values):
        raise argparse.ArgumentTypeError(f"expected finite numbers > 0, got {text!r}")
    return values


def add_calibrate_options(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    """INSTANCE_DIR ..., the calibration's options, and the report options."""
    parser.add_argument("instances", nargs="+", metavar="INSTANCE_DIR",
                        help="instance folders, each with its observed.toml (format: "
                        "advisor/inputs/observed.py)")
    group = parser.add_argument_group("calibration")
    group.add_argument("--predict", action="append", default=[], metavar="INSTANCE_DIR",
                       help="an instance to predict under the fitted counterpart (no observed "
                       "deal needed); may be repeated")
    group.add_argument("--leave-one-out", action="store_true",
                       help="also fit on all instances but each one and predict it")
    group.add_argument("--apply", metavar="DIR",
                       help="write a calibrated copy of the --predict instance (or of the only "
                       "instance) to DIR, a new folder, atomically")
    group.add_argument("--search", choices=("auto", "grid", "coordinate"), default="auto",
                       help="grid: every grid point; coordinate: one parameter at a time "
                       "(auto: grid up to 600 points)")
    group.add_argument("--ratios", type=_grid, metavar="LIST",
                       help="grid of rho, e.g. 1,2,4 (default 0.5 to 64)")
    group.add_argument("--multipliers", type=_grid, metavar="LIST",
                       help="grid of each category's value multiplier (default 0.25,0.5,1,2,4)")
    group.add_argument("--acceptances", type=_grid, metavar="LIST",
                       help="grid of the acceptance multiplier (default 0.5,0.75,1,1.5,2,3)")
    report = parser.add_argument_group("report")
    report.add_argument("--format", "-f", choices=formats, default="table",
                        help="report format: table, json, csv (one row per parameter) or "
                        "markdown")
    report.add_argument("--output", "-o", metavar="FILE",
                        help="write the report to FILE (atomically) instead of standard output")
    report.add_argument("--quiet", "-q", action="store_true",
                        help="no progress messages on standard error (only on a terminal)")


def _load_all(paths: list[str], observed: bool) -> tuple[list, list]:
    """Every instance (and observed deal) of ``paths``; all their problems at once."""
    from advisor.inputs.loader import load_instance
    from advisor.inputs.observed import read_observed

    instances, deals, lines = [], [], []
    for path in paths:
        try:
            instance = load_instance(Path(path))
        except InstanceError as error:
            lines += [f"{path}: {error.title} ({_count(error)}):", *error.listing()]
            continue
        instances.append(instance)
        if observed:
            try:
                deals.append(read_observed(path, instance))
            except InstanceError as error:
                lines += [f"{Path(path) / 'observed.toml'}: {error.title} ({_count(error)}):",
                          *error.listing()]
    if lines:
        raise CliError(lines)
    return instances, deals


def _count(error: InstanceError) -> str:
    n = len(error.problems)
    return f"{n} problem{'s' if n != 1 else ''}"


def _grid_options(args: argparse.Namespace) -> dict[str, tuple[float, ...]]:
    out: dict[str, tuple[float, ...]] = {}
    for name in ("ratios", "multipliers", "acceptances"):
        if getattr(args, name) is not None:
            out[name] = getattr(args, name)
    return out


def calibrate_command(args: argparse.Namespace, outputs: Outputs) -> int:
    """Load, fit, report; with --apply, write the calibrated copy (exit 0 or 2)."""
    from advisor.analysis.calibrate import calibrate
    from advisor.report.calibrate import render_calibrate

    if args.apply is not None and len(args.predict) + len(args.instances) > 1 \
            and len(args.predict) != 1:
        raise CliError("--apply writes one instance: give one --predict instance (or fit one "
                       "instance only)")
    if args.apply is not None and Path(args.apply).exists():
        raise CliError(f"--apply: {args.apply} already exists; give a new folder")
    instances, deals = _load_all(args.instances, observed=True)
    predict, _ = _load_all(args.predict, observed=False)
    progress = Progress(enabled=not args.quiet and stderr_is_terminal())
    try:
        result = calibrate(instances, deals, predict=predict, leave_one_out=args.leave_one_out,
                           search=args.search, progress=progress, **_grid_options(args))
    except ValueError as error:
        raise CliError(str(error)) from None
    finally:
        progress.done()
    if args.apply is not None:
        _apply(args.apply, (predict or instances)[0], result.values)
    emit(render_calibrate(result, args.format), outputs.report, args.format)
    return EXIT_OK


def _apply(target: str, instance: object, values: dict[str, float]) -> None:
    from advisor.analysis.calibrate_apply import write_calibrated

    try:
        written = write_calibrated(instance, values, target)  # type: ignore[arg-type]
    except (OSError, RuntimeError) as error:
        raise CliError(f"--apply: cannot write {target}: {error}") from None
    say(f"wrote the calibrated instance to {written}")
