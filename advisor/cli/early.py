"""A Ctrl-C while the command line loads: recorded, not a traceback.

Run as the ``advisor`` console script (``solve.py`` has handlers of its own), the command line
imports its modules before :func:`advisor.cli.main` can watch for signals. This
module, imported first, records a SIGINT or SIGTERM that arrives meanwhile; ``main``
then stops the run with its one line and exit 130 or 143
(:mod:`advisor.cli.interrupts`). Imported by another program (a notebook, a test), it
leaves that program's handlers alone.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

SIGNALS: list[int] = []  # the signals received before main began, in order
PROGRAMS = ("advisor",)  # solve.py installs its own handlers before importing


def _record(number: int, frame: FrameType | None) -> None:
    SIGNALS.append(number)


def _run_as_program() -> bool:
    path = getattr(sys.modules.get("__main__"), "__file__", None) or ""
    return path.replace("\\", "/").rsplit("/", 1)[-1] in PROGRAMS


if _run_as_program():
    for _number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(_number, _record)
