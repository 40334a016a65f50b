"""The command line: ``python solve.py [COMMAND] [INSTANCE_DIR] [options]``; no COMMAND
means ``rank``. The commands: rank, explain, frontier, diagnose, validate (``--help``)."""

from advisor.cli import main

raise SystemExit(main())
