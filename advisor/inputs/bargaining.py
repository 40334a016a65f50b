"""The ``[bargaining]`` table of ``instance.toml``: the counterpart's reservation value.

::

    [bargaining]
    counterpart_reservation = 0     # the counterpart's surplus with no deal, its money

``counterpart_reservation`` is an amount of money of any sign (no ``%``), default 0:
the least surplus the counterpart accepts a deal for (see
:mod:`advisor.analysis.bargain`). A mistake is a located problem (``instance.toml,
column 'bargaining.counterpart_reservation'``). :func:`parse_bargaining` checks the
table inside the settings reader's one pass; :func:`read_bargaining` reads it from a
folder for :func:`advisor.bargain`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import InstanceError, Problem
from advisor.inputs.cells import CellError, parse_money

TOML_FILE = "instance.toml"
BARGAINING_KEYS = ("counterpart_reservation",)


@dataclass(frozen=True)
class BargainingSettings:
    """The bargaining settings of an instance (money in the instance's unit)."""

    counterpart_reservation: float = 0.0


def parse_bargaining(table: Any, problems: list[Problem]) -> BargainingSettings:
    """The ``[bargaining]`` table parsed; each bad key or value appended to ``problems``."""
    if not isinstance(table, dict):
        problems.append(Problem(TOML_FILE, None, "bargaining", "expected a table, [bargaining]"))
        return BargainingSettings()
    for key in table:
        if key not in BARGAINING_KEYS:
            problems.append(
                Problem(
                    TOML_FILE,
                    None,
                    f"bargaining.{key}",
                    f"unknown key; expected one of: {', '.join(BARGAINING_KEYS)}",
                )
            )
    reservation = 0.0
    if "counterpart_reservation" in table:
        raw = table["counterpart_reservation"]
        try:
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                raise CellError(f"expected an amount of money, found {raw!r}")
            reservation = parse_money(raw)
        except CellError as error:
            problems.append(
                Problem(TOML_FILE, None, "bargaining.counterpart_reservation", str(error))
            )
    return BargainingSettings(reservation)


def read_bargaining(folder: Path) -> BargainingSettings:
    """The ``[bargaining]`` settings of the instance in ``folder`` (defaults if none).

    Raises :class:`~advisor.errors.InstanceError` with the located problems.
    """
    path = folder / TOML_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InstanceError(Problem(TOML_FILE, None, None, f"cannot read: {error}")) from None
    problems: list[Problem] = []
    settings = parse_bargaining(data.get("bargaining", {}), problems)
    if problems:
        raise InstanceError(problems)
    return settings
