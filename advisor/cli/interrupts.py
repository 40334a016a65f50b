"""Interrupts of a command-line run (Ctrl-C, SIGTERM): stop, say so in one line, write nothing.

An interrupt must never turn into a report: a solve cut short reads like a finished one
("exhausted", "infeasible"). While a command runs, SIGINT and SIGTERM raise
:class:`KeyboardInterrupt` (which also makes HiGHS cancel its solve) and are recorded,
so that an interrupt some layer swallowed is still seen: :func:`check` raises again
before any report is written. SIGTERM is passed on as SIGINT: while HiGHS runs, the
solver's own SIGINT handler cancels its runs, then raises KeyboardInterrupt. The run
stops with exit 130 (SIGINT) or 143 (SIGTERM: 128 + 15, the shell's convention) and
one line on standard error, "PROG: interrupted; nothing written" (or "terminated;
..."); a report file is written atomically, so neither it nor its temporary file
exists.

Once the report starts going to its file (:func:`hold`), the run is past the point of
no return: later signals are only recorded and the run completes with its own exit
code and the whole report. Run as the program, the signals are then ignored until the
process exits, so an interrupt after the report is written cannot cause a traceback
or another exit code.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM
SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class _State:
    """What the handlers have seen during the current run."""

    received: int | None = None  # the first signal received (SIGINT or SIGTERM)
    held: bool = False  # past the point of no return: record, do not raise
    stdout_started: bool = False  # part of the report may be on standard output


_STATE = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    """Record the signal; raise KeyboardInterrupt unless the run is past writing.

    SIGTERM is passed on as SIGINT, so that whoever handles Ctrl-C at the moment
    (the solver cancels its HiGHS runs, then raises KeyboardInterrupt) stops the run.
    """
    if _STATE.received is None:
        _STATE.received = signum
    if _STATE.held:
        return
    if signum != signal.SIGINT:
        signal.raise_signal(signal.SIGINT)
        return
    raise KeyboardInterrupt


@contextlib.contextmanager
def watching(restore: bool = True) -> Iterator[None]:
    """SIGINT and SIGTERM interrupt the run inside the block (main thread only).

    With ``restore`` (an in-process caller, such as a test), the previous handlers
    come back at the end; without it (the program), the signals are ignored until the
    process exits (ignored, not handled: Python's finalization would reset a handler
    to the default action, and a late Ctrl-C would kill the finished run).
    """
    global _STATE
    _STATE = _State()
    installed = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, _handler) for s in SIGNALS} if installed else {}
    try:
        yield
    finally:
        _STATE.held = True
        for number, handler in previous.items():
            signal.signal(number, handler if restore else signal.SIG_IGN)


def arrived(signum: int) -> None:
    """A signal that came before :func:`watching` began: stop the run as if now."""
    if _STATE.received is None:
        _STATE.received = signum
    raise KeyboardInterrupt


def check() -> None:
    """Raise KeyboardInterrupt if a signal arrived during the run (even if it was swallowed)."""
    if _STATE.received is not None and not _STATE.held:
        raise KeyboardInterrupt


def received() -> bool:
    """Whether a signal arrived during the run (an error raised after one is its echo)."""
    return _STATE.received is not None


def hold() -> None:
    """The report is being written: from now on a signal no longer stops the run."""
    check()
    _STATE.held = True


def writing_stdout() -> None:
    """Part of the report may reach standard output from now on."""
    check()
    _STATE.stdout_started = True


def stopped() -> tuple[str, int]:
    """The one-line message and the exit code of an interrupted run (signals now held)."""
    _STATE.held = True
    terminated = _STATE.received == signal.SIGTERM
    word = "terminated" if terminated else "interrupted"
    code = EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    if _STATE.stdout_started:
        return f"{word}; the report on standard output is incomplete", code
    return f"{word}; nothing written", code
