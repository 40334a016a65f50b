"""What the command line writes besides its computations: reports, messages, errors.

Standard output carries the report and nothing else; every message (progress on a
terminal, notes, errors) goes to standard error, prefixed with the program's name.
A mistake of the user is a :class:`CliError` (one line of words, maybe a few more,
and an exit code), never a traceback. Report and plot files are checked before the
computation (:func:`check_outputs`, carried as :class:`Outputs`) and written
atomically through :mod:`advisor.files`, whose :class:`~advisor.files.OutputError`
becomes a :class:`CliError`. :func:`render_diagnosis` is the report of the
``diagnose`` command, in the four report formats.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from advisor import files
from advisor.cli import interrupts
from advisor.cli.interrupts import EXIT_INTERRUPTED, EXIT_TERMINATED

if TYPE_CHECKING:  # the command line imports the library inside its interrupt handling
    from advisor.analysis.diagnose import Diagnosis
    from advisor.instance import Instance

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INFEASIBLE = 3
EXIT_NO_STRATEGY = 4
EXIT_VERIFICATION = 5
EXIT_NUMERICAL_TROUBLE = 6
__all__ = [
    "EXIT_INFEASIBLE",
    "EXIT_INTERRUPTED",
    "EXIT_NO_STRATEGY",
    "EXIT_NUMERICAL_TROUBLE",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "EXIT_VERIFICATION",
    "CliError",
    "Outputs",
    "Progress",
    "check_output",
    "check_plot",
    "emit",
    "output_errors",
    "printable",
    "render_diagnosis",
    "report_error",
    "say",
    "stderr_is_terminal",
    "write_atomically",
]

PROG = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "advisor"
PLOT_SUFFIXES = (".png", ".svg")


class CliError(Exception):
    """A user's mistake the command reports in words (no traceback) with an exit code."""

    def __init__(self, lines: str | Sequence[str], code: int = EXIT_USAGE) -> None:
        """Keep the message ``lines`` (one string or several) and the exit ``code``."""
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        self.code = code
        super().__init__("\n".join(self.lines))


@contextlib.contextmanager
def output_errors() -> Iterator[None]:
    """Turn :class:`advisor.files.OutputError` into the command's one-line error."""
    try:
        yield
    except files.OutputError as error:
        raise CliError(str(error)) from None


@dataclass(frozen=True)
class Outputs:
    """The files a command writes, checked before it computes (None: not asked for)."""

    report: Path | None = None
    plot: Path | None = None


def check_output(output: str | None) -> Path | None:
    """Fail early, before a long solve, if FILE obviously cannot be written."""
    if output is None:
        return None
    with output_errors():
        return files.check_writable(output)


def check_plot(plot: str | None) -> Path | None:
    """Fail early if the plot file cannot be written or its suffix is not a plot format.

    The accepted suffixes are :data:`PLOT_SUFFIXES` (matplotlib follows the suffix).
    """
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


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (:func:`advisor.files.write_atomically`).

    A failure is a :class:`CliError` ("cannot write PATH: reason").
    """
    with output_errors():
        files.write_atomically(path, text)


# a lone surrogate: an undecodable byte of a file name (U+DC80-U+DCFF, Python's
# surrogateescape) or a stray half of a pair; UTF-8 cannot encode either
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def printable(text: str, fmt: str = "table") -> str:
    r"""``text`` that UTF-8 can encode: each undecodable byte of a file name as ``\xNN``.

    A folder named with bytes that are not UTF-8 (``caf\xe9``, Latin-1) reaches Python
    as lone surrogates; they become the four characters ``\xe9`` (other lone
    surrogates ``\udXXX``). In JSON (``fmt`` "json") the backslash is escaped, so the
    document is valid UTF-8 JSON whose string reads ``caf\xe9``.
    """
    if _SURROGATE.search(text) is None:
        return text
    if fmt == "json":
        return _SURROGATE.sub(lambda m: _escape(m).replace("\\", "\\\\"), text)
    return _SURROGATE.sub(_escape, text)


def _discard_stdout() -> None:
    """Send what is left of standard output to /dev/null (no error again at exit)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _emit_bytes(data: bytes, output: Path | None) -> None:
    """Write a binary report (a workbook) to ``output`` atomically; it needs a file."""
    if output is None:
        raise CliError("--format xlsx writes a workbook: give --output FILE.xlsx")
    interrupts.hold()
    def fill(handle: IO[bytes]) -> None:
        handle.write(data)

    with output_errors():
        files.replace_atomically(output, fill)


def emit(text: str, output: Path | None, fmt: str = "table") -> None:
    """The report, in format ``fmt``, to ``output`` (atomically) or to standard output.

    A failing standard output (a full device) is a :class:`CliError`; a reader that
    went away (:class:`BrokenPipeError`) is left to the caller. An interrupt before the
    report is written stops the run; once the writing starts, it no longer does.
    """
    data = getattr(text, "data", None)
    if isinstance(data, bytes):  # a workbook (--format xlsx): bytes, to --output only
        _emit_bytes(data, output)
        return
    text = printable(text, fmt)
    if output is not None:
        interrupts.hold()
        write_atomically(output, text)
        return
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    interrupts.writing_stdout()
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        _discard_stdout()
        reason = error.strerror or str(error)
        raise CliError(f"cannot write the report to standard output: {reason}") from None
    interrupts.hold()


def say(line: str) -> None:
    """One message line on standard error, after the program's name."""
    print(f"{PROG}: {line}", file=sys.stderr)


def report_error(error: CliError) -> int:
    """Print ``error`` on standard error ("PROG: error: ..." then its other lines)."""
    for i, line in enumerate(error.lines):
        print(f"{PROG}: error: {line}" if i == 0 else line, file=sys.stderr)
    return error.code


class Progress:
    """Short progress messages on a terminal's standard error, on one updated line."""

    def __init__(self, enabled: bool) -> None:
        """Start the clock; with ``enabled`` false, nothing is ever shown."""
        self.enabled = enabled
        self.started = time.monotonic()
        self.shown = False
        self.bar: Any = None  # a tqdm bar while one is shown

    def __call__(self, message: str) -> None:
        """Show ``message`` and the seconds elapsed, replacing the previous message."""
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        sys.stderr.write(f"\r\x1b[K{PROG}: {message} ({elapsed:.0f} s)...")
        sys.stderr.flush()
        self.shown = True

    def count(self, done: int, total: int) -> None:
        """Advance a progress bar of ``total`` tasks to ``done`` (tqdm, standard error).

        Used where a run is many like tasks (robustness draws); silent when disabled.
        """
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm  # only when a bar is shown

            self.done()  # the message line gives way to the bar
            self.bar = tqdm(total=total, file=sys.stderr, desc=PROG, unit="task", leave=False)
        self.bar.update(done - self.bar.n)

    def done(self) -> None:
        """Clear the progress line or bar, if one is shown."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


def stderr_is_terminal() -> bool:
    """Whether standard error is a terminal (progress messages appear only there)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


# ------------------------------------------------------------------ the diagnosis report

CONFLICT_COLUMNS = ("location", "rule", "kind", "fix", "relaxed_value")


def render_diagnosis(diagnosis: Diagnosis, instance: Instance, fmt: str) -> str:
    """The ``diagnose`` command's report: table (text), json, csv or markdown.

    The csv has one row per conflicting rule (none when the instance is feasible).
    """
    if fmt == "json":
        doc = {"report": "diagnosis", "instance": instance.name, **diagnosis.to_dict()}
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        frame = diagnosis.to_frame().reindex(columns=list(CONFLICT_COLUMNS))
        return frame.to_csv(index=False, lineterminator="\n")
    if fmt == "markdown":
        lines = [f"# Diagnosis: {instance.name}", ""]
        if diagnosis.feasible:
            verdict = str(diagnosis)
            return "\n".join([*lines, f"{verdict[0].upper()}{verdict[1:]}.", ""])
        lines += [f"No strategy satisfies these {len(diagnosis.conflicts)} rules together:", ""]
        for c in diagnosis.conflicts:
            lines.append(f"- **`{c.location}`**: {c.rule.rstrip('.')}. Fix: {c.fix}.")
        return "\n".join([*lines, ""])
    return f"Diagnosis of {instance.name}\n{diagnosis}\n"
