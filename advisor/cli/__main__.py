"""``python -m advisor.cli [COMMAND] [INSTANCE_DIR] [options]``: the command line."""

from advisor.cli import main

raise SystemExit(main())
