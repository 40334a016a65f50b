"""``uncertainty.csv``: how far the analyst trusts each figure, read and checked.

An optional table of an instance folder. Each row gives one figure (or a whole
column) a distribution around its value in the instance, the *base*:

=============  =============================================================
column         meaning
=============  =============================================================
target         ``table:id:column``: ``sectors:IC:elasticity``,
               ``offers:BOEING1:counterpart_value``, ``requests:IC_cap10:acceptance``,
               ``scenarios:s232_25:probability``, ``markets:CHN:exports``; ``*`` for
               the id names every row of the table (each drawn on its own unless
               grouped)
distribution   ``normal``, ``lognormal``, ``uniform``, ``triangular`` or ``beta``
basis          ``relative``: ``low``, ``mode`` and ``high`` are multiples of the
               base and ``sd`` a fraction of it; ``absolute``: all in the figure's
               own unit (tariffs and probabilities as fractions or with ``%``)
sd             normal: x = base + sd Z; lognormal (relative only): x = base e^{sd Z},
               sd the standard deviation of log x (median at the base); beta: the
               standard deviation of a beta on [0, 1] with mean at the base
low, high      uniform and triangular: the range; triangular: ``mode`` (default:
               the base)
group          optional: rows of one group share a common normal factor G
correlation    a grouped row's correlation with G (default 1: the group moves as
               one; negative moves against it): Z = c G + sqrt(1 - c^2) E
=============  =============================================================

Every draw is x = F^{-1}(Φ(Z)) with F the row's distribution and Z standard normal
(a Gaussian copula), so correlation works for every distribution. Drawn values leave
the range a figure may take (a probability outside [0, 1], a negative cost) are
clipped to it, and the analysis counts how often; drawn scenario probabilities are
renormalised to add to 1. A sector's drawn elasticity scales its scenario overrides
by the same factor.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import InstanceError, Problem
from advisor.inputs.cells import (
    CellError,
    parse_bounded,
    parse_choice,
    parse_id,
    parse_number,
    parse_tariff,
)
from advisor.inputs.tables import Column, Row, TableSpec, read_table
from advisor.instance import Instance

FILE = "uncertainty.csv"
DISTRIBUTIONS = ("normal", "lognormal", "uniform", "triangular", "beta")
BASES = ("relative", "absolute")
# each table's id attribute (a scenario is named by its name)
KEYS = {
    "sectors": "sector",
    "requests": "request",
    "offers": "offer",
    "markets": "market",
    "scenarios": "name",
}
# the figures that may be uncertain: table -> column -> the range a value may take
FIELDS: Mapping[str, Mapping[str, tuple[float, float]]] = {
    "sectors": {
        "exports": (0.0, math.inf),
        "current_tariff": (0.0, math.inf),
        "threat_tariff": (0.0, math.inf),
        "elasticity": (1e-6, 50.0),
        "sensitivity": (0.0, math.inf),
        "value_weight": (0.0, math.inf),
    },
    "requests": {
        "acceptance": (0.0, 1.0),
        "tariff": (0.0, math.inf),
        "counterpart_cost": (-math.inf, math.inf),
    },
    "offers": {"counterpart_value": (0.0, math.inf), "domestic_cost": (0.0, math.inf)},
    "markets": {"exports": (0.0, math.inf)},
    "scenarios": {"probability": (0.0, 1.0)},
}
# the parameters each distribution uses
USES = {
    "normal": ("sd",),
    "lognormal": ("sd",),
    "uniform": ("low", "high"),
    "triangular": ("low", "high", "mode"),
    "beta": ("sd",),
}
PARAMETERS = ("sd", "low", "high", "mode")


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain figure: where it is, its base, and its distribution.

    ``sd``, ``low``, ``high`` and ``mode`` are absolute (a relative row's are
    multiplied by the base when read); ``row`` is the spreadsheet row it came from.
    """

    target: str
    table: str
    ident: str
    column: str
    distribution: str
    basis: str
    base: float
    sd: float | None = None
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    group: str = ""
    correlation: float = 0.0
    row: int = 0

    @property
    def bounds(self) -> tuple[float, float]:
        """The range the figure may take; a drawn value outside it is clipped."""
        return FIELDS[self.table][self.column]

    @property
    def factor(self) -> str:
        """The name of the input a sensitivity analysis varies: its group, or itself."""
        return f"group {self.group}" if self.group else self.target


@dataclass(frozen=True)
class Uncertainty:
    """The uncertain inputs of an instance, in file order (``*`` rows expanded)."""

    inputs: tuple[UncertainInput, ...]
    file: str = FILE

    @property
    def groups(self) -> tuple[str, ...]:
        """The correlation groups, in order of first appearance."""
        return tuple(dict.fromkeys(u.group for u in self.inputs if u.group))

    @property
    def factors(self) -> tuple[str, ...]:
        """The inputs a sensitivity analysis varies (a group counts as one)."""
        return tuple(dict.fromkeys(u.factor for u in self.inputs))


def _target(text: str) -> tuple[str, str, str]:
    parts = [p.strip() for p in text.split(":")]
    if len(parts) != 3:
        raise CellError(f"expected table:id:column (e.g. sectors:IC:elasticity), found '{text}'")
    table, ident, column = parts
    if table not in FIELDS:
        raise CellError(f"expected a table among {', '.join(FIELDS)}, found '{table}'")
    if column not in FIELDS[table]:
        raise CellError(
            f"{table} has no uncertain column '{column}'; expected one of "
            + ", ".join(FIELDS[table])
        )
    return table, ident if ident == "*" else parse_id(ident), column


def _optional_number(text: str) -> float | None:
    return parse_tariff(text) if text.strip().endswith("%") else parse_number(text)


def _correlation(text: str) -> float | None:
    return parse_bounded(text, -1.0, 1.0, "a correlation in [-1, 1]")


def _group(text: str) -> str:
    return parse_id(text) if text.strip() else ""


SPEC = TableSpec(
    FILE,
    may_be_empty=True,
    columns=(
        Column("target", _target),
        Column("distribution", parse_choice(DISTRIBUTIONS)),
        Column("basis", parse_choice(BASES)),
        *(Column(name, _optional_number, None) for name in PARAMETERS),
        Column("group", _group, ""),
        Column("correlation", _correlation, None),
    ),
)


def load_uncertainty(instance: Instance, folder: str | Path | None = None) -> Uncertainty | None:
    """``uncertainty.csv`` of ``folder`` (default: the instance's own), or None if absent.

    Raises :class:`InstanceError` with every located problem of the file.
    """
    path = Path(folder if folder is not None else instance.path)
    if not (path / FILE).exists():
        return None
    problems: list[Problem] = []
    table = read_table(path, SPEC, problems)
    inputs: list[UncertainInput] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        if not row.ok:
            continue
        for item in _expand(instance, row, problems):
            if item.target in seen:
                problems.append(
                    Problem(FILE, row.number, "target", f"{item.target} is already uncertain "
                            f"in row {seen[item.target]}")
                )
                continue
            seen[item.target] = row.number
            inputs.append(item)
    if problems:
        raise InstanceError(problems, "invalid uncertainty.csv")
    return Uncertainty(tuple(inputs))


def base_values(instance: Instance, table: str, column: str) -> dict[str, float | None]:
    """Each row's id and its value of ``column`` in ``table`` (None: not stated)."""
    rows: tuple[Any, ...] = {
        "sectors": instance.sectors,
        "requests": instance.requests,
        "offers": instance.offers,
        "markets": instance.markets,
        "scenarios": instance.scenarios,
    }[table]
    return {getattr(r, KEYS[table]): getattr(r, column) for r in rows}


def _expand(instance: Instance, row: Row, problems: list[Problem]) -> list[UncertainInput]:
    """The inputs a row stands for (every row of the table for ``*``), checked."""
    table, ident, column = row.values["target"]
    bases = base_values(instance, table, column)
    if ident != "*" and ident not in bases:
        problems.append(Problem(FILE, row.number, "target", f"'{ident}' is not in {table}"))
        return []
    names = list(bases) if ident == "*" else [ident]
    found = []
    for name in names:
        base = bases[name]
        if base is None:
            if ident != "*":
                problems.append(Problem(FILE, row.number, "target", f"{table}:{name} states no "
                                        f"{column} (it is computed): nothing to perturb"))
            continue
        item = _input(row, table, name, column, base, problems)
        if item is not None:
            found.append(item)
    return found


def _input(
    row: Row, table: str, ident: str, column: str, base: float, problems: list[Problem]
) -> UncertainInput | None:
    """One checked input; None (and problems) when its parameters do not fit."""
    v = row.values
    dist, basis = v["distribution"], v["basis"]
    before = len(problems)

    def problem(col: str, message: str) -> None:
        problems.append(Problem(FILE, row.number, col, message))

    _check_parameters(v, table, ident, column, base, problem)
    if len(problems) > before:
        return None
    relative = basis == "relative"

    def at(name: str) -> float | None:
        value = v.get(name)
        if value is None or not relative:
            return value
        if name == "sd":  # a lognormal's sd is its log's: a pure number
            return value if dist == "lognormal" else value * abs(base)
        return value * base

    item = UncertainInput(
        target=f"{table}:{ident}:{column}", table=table, ident=ident, column=column,
        distribution=dist, basis=basis, base=base, sd=at("sd"), low=at("low"),
        high=at("high"), mode=at("mode"), group=v["group"],
        correlation=1.0 if v.get("correlation") is None else v["correlation"],
        row=row.number,
    )
    return item if _shape_ok(item, problem) else None


def _check_parameters(
    v: Mapping[str, Any], table: str, ident: str, column: str, base: float,
    problem: Callable[[str, str], None],
) -> None:
    """The parameters a row gives fit its distribution and basis."""
    dist, basis = v["distribution"], v["basis"]
    for name in PARAMETERS:
        if v.get(name) is not None and name not in USES[dist]:
            problem(name, f"{dist} does not use {name}; it uses {', '.join(USES[dist])}")
    for name in USES[dist]:
        if v.get(name) is None and name != "mode":
            problem(name, f"{dist} needs {name}")
    if v.get("correlation") is not None and not v["group"]:
        problem("correlation", "a correlation needs a group (the rows that move together)")
    if basis == "relative" and base == 0:
        problem("basis", f"a relative spread around a base of 0 ({table}:{ident}:{column}) "
                "never moves it; use basis absolute")
    if dist == "lognormal" and basis != "relative":
        problem("basis", "a lognormal is a factor around the base: basis must be relative")


def _shape_ok(item: UncertainInput, problem: Callable[[str, str], None]) -> bool:
    """Whether the distribution's parameters describe a distribution (else problems)."""
    ok = True
    if item.sd is not None and item.sd < 0:
        problem("sd", f"expected sd >= 0, found {item.sd:g}")
        ok = False
    if item.low is not None and item.high is not None:
        if item.low > item.high:
            problem("high", f"high ({item.high:g}) is below low ({item.low:g})")
            ok = False
        mode = item.base if item.mode is None else item.mode
        if ok and item.distribution == "triangular" and not item.low <= mode <= item.high:
            problem("mode", f"the mode {mode:g} is outside [{item.low:g}, {item.high:g}]")
            ok = False
    if item.distribution == "beta" and item.sd is not None and ok:
        m = item.base
        if not 0 < m < 1:
            problem("distribution", f"a beta needs a base strictly between 0 and 1, found {m:g}")
            ok = False
        elif item.sd > 0 and item.sd**2 >= m * (1 - m):
            problem("sd", f"a beta with mean {m:g} needs sd < {math.sqrt(m * (1 - m)):.4g}, "
                    f"found {item.sd:g}")
            ok = False
    return ok
