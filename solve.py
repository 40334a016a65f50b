"""Rank negotiation strategies for an instance folder: ``python solve.py --help``."""

from advisor.cli import main

raise SystemExit(main())
