"""Running HiGHS inside the advisor: quiet stdout, a wall-clock guard, one thread pool.

These are shared by every stage that calls HiGHS: the persistent ranking in
:mod:`advisor.solving.pipeline` and the offer-package search in :mod:`advisor.solving.packages`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import highspy

from advisor.solving.trouble import NumericalTroubleError

GUARD_GRACE_S = 1.0
# HiGHS sizes one process-wide thread pool at its first run; a later run asking for
# another thread count fails (HiGHS then reports no solution, which would read as
# "infeasible"). The pool is reset whenever the count changes. "unset": no run yet.
_scheduler_threads: list[int | str | None] = ["unset"]


class _QuietStdout:
    """File descriptor 1 sent to /dev/null while any HiGHS run is active.

    Counted and locked: with two HiGHS runs in two threads (the offer-package search
    completes packages beside its LP search) the first to enter saves the real
    standard output and the last to leave restores it.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.saved: int | None = None
        self.devnull: int | None = None

    def enter(self) -> bool:
        with self.lock:
            if self.depth == 0:
                try:
                    sys.stdout.flush()
                    saved = os.dup(1)
                except (OSError, ValueError):  # no real fd 1 (some notebooks)
                    return False
                self.saved, self.devnull = saved, os.open(os.devnull, os.O_WRONLY)
                os.dup2(self.devnull, 1)
            self.depth += 1
            return True

    def leave(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth == 0 and self.saved is not None and self.devnull is not None:
                sys.stdout.flush()
                os.dup2(self.saved, 1)
                os.close(self.saved)
                os.close(self.devnull)
                self.saved = self.devnull = None


_QUIET = _QuietStdout()


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1 while HiGHS runs.

    highspy prints a banner, and HiGHS warnings, on standard output from C++;
    the advisor's standard output carries only its report. Safe to nest and to use
    from several threads at once.
    """
    entered = _QUIET.enter()
    try:
        yield
    finally:
        if entered:
            _QUIET.leave()


class _Interrupts:
    """Ctrl-C during HiGHS runs: every active run cancelled, then KeyboardInterrupt.

    highspy catches Ctrl-C inside a run by raising in its interrupt callback; HiGHS
    then reports a "solve error" and its next run on the same object can say
    "infeasible": a wrong report. So while any HiGHS run is active the advisor's own
    SIGINT handler (installed from the main thread) only records the interrupt and
    cancels the active runs; each run, once stopped, raises KeyboardInterrupt.
    """

    def __init__(self) -> None:
        """No run active, no interrupt seen."""
        self.lock = threading.Lock()
        self.active: set[highspy.Highs] = set()
        self.depth = 0
        self.previous: Any = None
        self.seen = threading.Event()

    def handler(self, signum: int, frame: object) -> None:
        """SIGINT while HiGHS runs: remember it and cancel every active run."""
        self.seen.set()
        with self.lock:
            for highs in self.active:
                highs.cancelSolve()

    def enter(self, highs: highspy.Highs) -> None:
        """A run starts; the main thread's outermost run installs the handler.

        Only the main thread can set a signal handler; a run in another thread (the
        package search's completions) is only registered to be cancelled.
        """
        with self.lock:
            self.active.add(highs)
            if threading.current_thread() is threading.main_thread():
                self.depth += 1
                if self.depth == 1:
                    self.seen.clear()
                    self.previous = signal.signal(signal.SIGINT, self.handler)

    def leave(self, highs: highspy.Highs) -> None:
        """A run ends; the main thread's outermost run restores the previous handler."""
        with self.lock:
            self.active.discard(highs)
            if threading.current_thread() is threading.main_thread():
                self.depth -= 1
                if self.depth == 0:
                    # None: a handler set outside Python; Python's own is the safe default
                    signal.signal(signal.SIGINT, self.previous or signal.default_int_handler)
                    self.previous = None


_INTERRUPTS = _Interrupts()
ERROR_STATUSES = (
    highspy.HighsModelStatus.kLoadError,
    highspy.HighsModelStatus.kModelError,
    highspy.HighsModelStatus.kPresolveError,
    highspy.HighsModelStatus.kSolveError,
    highspy.HighsModelStatus.kPostsolveError,
)


@contextlib.contextmanager
def interrupt_as_keyboard() -> Iterator[None]:
    """A Ctrl-C inside Pyomo's output capture stays a KeyboardInterrupt.

    Pyomo's ``tee`` turns a KeyboardInterrupt that arrives while it redirects a file
    descriptor (handing a model to HiGHS, say) into ``RuntimeError("KeyboardInterrupt:
    ...")``: to a caller that is an error, not an interrupt (tests/test_numerics.py
    caught it at 0.3 s into a ranking, in the scenario optima's model hand-off).
    """
    try:
        yield
    except RuntimeError as exc:
        if str(exc).startswith("KeyboardInterrupt"):
            raise KeyboardInterrupt from exc
        raise


@contextlib.contextmanager
def guarded_run(highs: highspy.Highs, seconds: float | None) -> Iterator[threading.Event]:
    """Run HiGHS safely: quiet, interruptible, within ``seconds`` (None: no limit).

    The body runs ``highs`` once. Afterwards: an interrupt (Ctrl-C) raises
    KeyboardInterrupt; an error status raises
    :class:`~advisor.solving.trouble.NumericalTroubleError`, never "no solution".

    **Wall-clock guard.** HiGHS does not check its time limit inside some root
    heuristics (upstream issues #885, #2226): a 60 s limit has run for 140-200 s. A
    timer cancels the run GUARD_GRACE_S after the limit; HiGHS then returns its
    incumbent. The event yielded is set if the guard fired.
    """
    cancelled = threading.Event()
    timer = None
    if seconds is not None:

        def fire() -> None:
            cancelled.set()
            highs.cancelSolve()

        timer = threading.Timer(seconds + GUARD_GRACE_S, fire)
        timer.daemon = True
    highs_logger = logging.getLogger("pyomo.contrib.solver.solvers.highs")
    level = highs_logger.level
    highs_logger.setLevel(logging.ERROR)  # a cancelled run is "unhandled" to Pyomo
    _INTERRUPTS.enter(highs)
    if timer is not None:
        timer.start()
    try:
        with quiet_stdout(), interrupt_as_keyboard():
            yield cancelled
    finally:
        if timer is not None:
            timer.cancel()
        _INTERRUPTS.leave(highs)
        highs_logger.setLevel(level)
    _check_status(highs)


def _check_status(highs: highspy.Highs) -> None:
    if _INTERRUPTS.seen.is_set():
        raise KeyboardInterrupt
    status = highs.getModelStatus()
    if status in ERROR_STATUSES:
        raise NumericalTroubleError(
            f"HiGHS stopped with {highs.modelStatusToString(status)!r}: its answer cannot "
            "be trusted (see the numerical warnings, if any)"
        )


def time_limit_option(highs: highspy.Highs, remaining: float) -> float:
    """The ``time_limit`` option value that gives ``highs`` ``remaining`` more seconds.

    HiGHS compares its time limit with the Highs object's *cumulative* run clock
    (``getRunTime``, every ``run`` since the object was made), not with the current
    run's time: a persistent object that has already run for 50 s, given a 50 s
    limit, stops at once. So the option is the clock so far plus what remains.
    """
    return highs.getRunTime() + remaining


def match_thread_pool(threads: int | None) -> None:
    """Reset HiGHS's process-wide thread pool if this solve wants another size."""
    if _scheduler_threads[0] != threads:
        if _scheduler_threads[0] != "unset":
            highspy.Highs.resetGlobalScheduler(True)
        _scheduler_threads[0] = threads
