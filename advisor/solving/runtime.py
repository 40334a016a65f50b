"""Running HiGHS inside the advisor: quiet stdout, a wall-clock guard, one thread pool.

These are shared by every stage that calls HiGHS: the persistent ranking in
:mod:`advisor.solving.pipeline` and the offer-package search in :mod:`advisor.solving.packages`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator

import highspy

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


@contextlib.contextmanager
def wall_clock_guard(cancel: Callable[[], None], seconds: object) -> Iterator[threading.Event]:
    """Call ``cancel`` if HiGHS overruns its own time limit of ``seconds``.

    HiGHS does not check its time limit inside some root heuristics (upstream
    issues #885, #2226): a 60 s limit has run for 140-200 s. A timer cancels the
    solve GUARD_GRACE_S after the limit; HiGHS then returns its incumbent. The
    event yielded is set if the guard fired. ``seconds`` None: no guard.
    """
    cancelled = threading.Event()
    if not isinstance(seconds, float | int):
        yield cancelled
        return

    def fire() -> None:
        cancelled.set()
        cancel()

    timer = threading.Timer(float(seconds) + GUARD_GRACE_S, fire)
    timer.daemon = True
    highs_logger = logging.getLogger("pyomo.contrib.solver.solvers.highs")
    level = highs_logger.level
    highs_logger.setLevel(logging.ERROR)  # an interrupt is "unhandled" to Pyomo
    timer.start()
    try:
        yield cancelled
    finally:
        timer.cancel()
        highs_logger.setLevel(level)


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
