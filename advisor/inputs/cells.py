"""Parsing one spreadsheet cell into the value a column expects.

Analysts edit the tables in Excel or LibreOffice, which write numbers as
``"1,234.5"`` (thousands separators in quoted cells), percentages as ``19%`` and
pad cells with spaces. Each parser here takes the raw text of a cell and returns
the value, or raises :class:`CellError` with what was expected; the loader turns
that into a located :class:`~advisor.errors.Problem`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

# ASCII digits only: Python's ``\d`` and ``float`` also accept Arabic-Indic (``٣٠٠``)
# and full-width (``３００``) digits, which a spreadsheet does not treat as numbers.
_NUMBER = re.compile(
    r"^[+-]?(?=\.?[0-9])([0-9]{1,3}(,[0-9]{3})+|[0-9]+)?(\.[0-9]+)?([eE][+-]?[0-9]+)?$", re.ASCII
)
_DIGITS = frozenset("0123456789")

MAX_ELASTICITY = 50.0
"""The largest import elasticity sigma a sector may have.

Estimates for US imports (Broda and Weinstein 2006) have a median of about 3 and
are mostly below 10; at sigma = 50 a 1% price rise already loses half the volume and
a 25% tariff keeps 1.25^-50 = 0.001% of it, so a larger sigma changes no answer, and
one in the thousands overflows the export formula (1.5^2000). Above 50 is a typo.
"""


class CellError(ValueError):
    """The cell's text is not what its column expects."""


def parse_number(text: str | float | int) -> float:
    """A finite number; accepts ``1,234.5`` and ``19%`` (returned as 0.19)."""
    if isinstance(text, bool):
        raise CellError(f"expected a number, found {text!r}")
    if isinstance(text, int | float):
        try:
            value = float(text)
        except OverflowError:
            raise CellError("expected a finite number, found one too large") from None
    elif not isinstance(text, str):
        raise CellError(f"expected a number, found {text!r}")
    else:
        raw = text.strip()
        percent = raw.endswith("%")
        body = raw[:-1].strip() if percent else raw
        if not body or not _NUMBER.match(body) or not _DIGITS.intersection(body):
            raise CellError(f"expected a number, found '{raw}'")
        value = float(body.replace(",", ""))
        if percent:
            value /= 100.0
    if not math.isfinite(value):
        raise CellError(f"expected a finite number, found '{text}'")
    return value


def parse_bounded(text: str | float, low: float, high: float, what: str) -> float:
    """A number in [low, high] (``what`` names it in the message)."""
    value = parse_number(text)
    if not low <= value <= high:
        raise CellError(f"expected {what}, found {text!s}".strip())
    return value


def parse_tariff(text: str | float) -> float:
    """A tariff rate in [0, 10], written 0.19 or 19% (the range only: see parse_tariff_cell)."""
    return parse_bounded(text, 0.0, 10.0, "a tariff between 0 and 10 (0% to 1000%)")


def _is_percent(text: str | float) -> bool:
    return isinstance(text, str) and text.strip().endswith("%")


def _unit_hint(text: str | float, value: float) -> str:
    """``write 10% or 0.10``: the hint for a bare number meant as a percentage."""
    raw = str(text).strip()
    fraction = value / 100.0
    written = f"{fraction:.2f}" if round(fraction, 2) == fraction else f"{fraction:g}"
    return f"write {raw}% or {written}"


def parse_tariff_cell(text: str | float) -> float:
    """A tariff as a cell or TOML value writes it: a fraction up to 1, or a percentage.

    A bare number above 1 is an error, not 100 times its meaning: ``10`` is far more
    often a mistyped 10% than a 1,000% tariff, and read as 1,000% it silently turns
    a sector's whole exports into protected value. Above 100% needs the ``%`` sign
    (``150%``); the range is that of :func:`parse_tariff`, 0% to 1000%.
    """
    value = parse_number(text)
    if value > 1.0 and not _is_percent(text):
        raise CellError(
            "expected a tariff as a fraction (0.10) or a percentage (10%), "
            f"found {str(text).strip()}: {_unit_hint(text, value)}; a tariff above 100% needs "
            "the % sign, e.g. 150%"
        )
    return parse_tariff(text)


def parse_fraction(text: str | float) -> float:
    """A probability or share in [0, 1], written 0.4 or 40%."""
    value = parse_number(text)
    if not 0.0 <= value <= 1.0:
        hint = "" if _is_percent(text) or value < 0 else f": {_unit_hint(text, value)}"
        raise CellError(f"expected a fraction between 0 and 1 (0% to 100%), found {text!s}{hint}")
    return value


def parse_elasticity(text: str | float) -> float:
    """An import elasticity sigma, 0 < sigma <= 50 (:data:`MAX_ELASTICITY` says why)."""
    value = parse_positive(text)
    if value > MAX_ELASTICITY:
        raise CellError(
            f"expected an elasticity above 0 and at most {MAX_ELASTICITY:g}, found {text!s}: "
            "estimates are mostly below 10, and above 50 any tariff wipes the trade out "
            "(see instances/README.md)"
        )
    return value


def parse_nonnegative(text: str | float) -> float:
    """A number >= 0 (money, weights)."""
    value = parse_number(text)
    if value < 0:
        raise CellError(f"expected a number >= 0, found {text!s}")
    return value


def parse_positive(text: str | float) -> float:
    """A number > 0 (elasticities, sector exports)."""
    value = parse_number(text)
    if value <= 0:
        raise CellError(f"expected a number > 0, found {text!s}")
    return value


def parse_count(text: str | float) -> int:
    """A whole number >= 0."""
    value = parse_number(text)
    if value < 0 or value != int(value):
        raise CellError(f"expected a whole number >= 0, found {text!s}")
    return int(value)


_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")


def parse_id(text: str) -> str:
    """An identifier: letters, digits, ``_``, ``-`` and ``.``; no spaces or ``;``."""
    if not isinstance(text, str):
        raise CellError(f"expected an id in quotes, found {text!r}")
    raw = text.strip()
    if not raw:
        raise CellError("expected an id, found an empty cell")
    if not _ID.match(raw):
        raise CellError(f"expected an id of letters, digits, '_', '-' or '.', found '{raw}'")
    return raw


def parse_id_list(text: str) -> tuple[str, ...]:
    """Ids separated by ``;`` (``,`` and ``|`` are accepted too)."""
    parts = [p.strip() for p in re.split(r"[;,|]", text) if p.strip()]
    if not parts:
        raise CellError("expected one or more ids separated by ';', found an empty cell")
    return tuple(parse_id(p) for p in parts)


def _no_percent(text: str | float) -> None:
    if _is_percent(text):
        raise CellError(
            f"expected an amount of money in the instance's unit, found '{str(text).strip()}': "
            "a percentage is not an amount (write the amount itself, e.g. 1,250)"
        )


def parse_money(text: str | float) -> float:
    """An amount of money, of any sign (a change in exports); no ``%``."""
    _no_percent(text)
    return parse_number(text)


def parse_money_nonnegative(text: str | float) -> float:
    """An amount of money >= 0 (exports, a value, a cost); no ``%``."""
    _no_percent(text)
    return parse_nonnegative(text)


def parse_money_positive(text: str | float) -> float:
    """An amount of money > 0 (a sector's exports); no ``%``."""
    _no_percent(text)
    return parse_positive(text)


def parse_choice(options: tuple[str, ...]) -> Callable[[str], str]:
    """A parser of one of ``options`` (case and surrounding blanks ignored)."""

    def parse(text: str) -> str:
        choice = text.strip().lower()
        if choice not in options:
            raise CellError(f"expected one of {', '.join(options)}, found '{text}'")
        return choice

    return parse
