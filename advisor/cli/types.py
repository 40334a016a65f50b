"""Argparse types for the command line's numbers, shared by every command's options.

Kept apart from :mod:`advisor.cli.parser` so that a command module the parser
imports (coalition, robustness, ...) can use them without an import cycle.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def bounded(
    kind: Callable[[str], float], low: float, high: float | None, low_open: bool
) -> Callable[[str], float]:
    """An argparse type: a number of ``kind`` in [low, high] (or (low, high])."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            name = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}") from None
        too_low = value <= low if low_open else value < low
        if too_low or (high is not None and value > high):
            if high is None:
                bound = f"> {low:g}" if low_open else f">= {low:g}"
            else:
                bound = f"between {low:g} and {high:g}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    return parse


AT_LEAST_1 = bounded(int, 1, None, False)  # a whole number >= 1
AT_LEAST_2 = bounded(int, 2, None, False)  # a whole number >= 2
POSITIVE = bounded(float, 0, None, True)  # a number > 0
FRACTION = bounded(float, 0, 1, False)  # a number from 0 to 1
