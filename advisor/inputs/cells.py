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

_NUMBER = re.compile(r"^[+-]?(?=\.?\d)(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")


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
        if not body or not _NUMBER.match(body) or not any(c.isdigit() for c in body):
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
    """A tariff rate in [0, 10], written 0.19 or 19%."""
    return parse_bounded(text, 0.0, 10.0, "a tariff between 0 and 10 (0% to 1000%)")


def parse_fraction(text: str | float) -> float:
    """A probability or share in [0, 1], written 0.4 or 40%."""
    return parse_bounded(text, 0.0, 1.0, "a fraction between 0 and 1 (0% to 100%)")


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
