"""The command line: ``python solve.py [COMMAND] [INSTANCE_DIR] [options]``; no COMMAND
means ``rank``. The commands: rank, explain, frontier, diagnose, validate (``--help``).
An interrupt, even during the imports, stops it with one line: exit 130 (Ctrl-C) or
143 (SIGTERM)."""

import os
import signal
import sys

PROG = os.path.basename(sys.argv[0])


def _stopped(signum, frame):
    # during the imports, before main's own handling: nothing is written yet
    word = "terminated" if signum == signal.SIGTERM else "interrupted"
    sys.stderr.write(f"{PROG}: {word}; nothing written\n")
    sys.stderr.flush()
    os._exit(128 + signum)


signal.signal(signal.SIGINT, _stopped)
signal.signal(signal.SIGTERM, _stopped)
from advisor.cli import main  # noqa: E402 (after the handlers: the imports take a second)

raise SystemExit(main())
