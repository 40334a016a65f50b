"""``linkages.csv``: offers that change the odds, read and checked against the instance.

An optional table. Each row says that making an offer raises a request's acceptance
probability (``effect = acceptance``: ``target`` a request id, ``value`` the
acceptance once the offer is made, at least the request's own) or moves probability
between two scenarios (``effect = scenario``: ``target`` the scenario that loses
``value`` of probability, ``to`` the one that gains it). The probability moved out of
a scenario by all its linkages together may not exceed the scenario's probability,
so every combination of offers leaves the probabilities in [0, 1], adding to 1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from advisor.errors import Problem
from advisor.inputs.cells import parse_choice, parse_fraction, parse_id
from advisor.inputs.tables import Column, Row, Table, TableSpec, read_table
from advisor.instance import LINKAGE_EFFECTS

_effect = parse_choice(LINKAGE_EFFECTS)


LINKAGES = TableSpec(
    "linkages.csv",
    may_be_empty=True,
    columns=(
        Column("offer", parse_id),
        Column("effect", _effect),
        Column("target", parse_id),
        Column("value", parse_fraction),
        Column("to", parse_id, ""),  # blank: the default, unparsed
    ),
)


def read_linkages(folder: Path, problems: list[Problem]) -> Table:
    """The linkages table of ``folder`` (no rows when the file is absent)."""
    if not (folder / LINKAGES.file).exists():
        return Table(LINKAGES)
    return read_table(folder, LINKAGES, problems)


def check_linkages(
    table: Table,
    offers: set[str] | None,
    acceptance: dict[str, float] | None,
    scenarios: dict[str, float] | None,
    problems: list[Problem],
) -> None:
    """Every row names a known offer and target, and the probabilities stay valid.

    ``offers``, ``acceptance`` (request id -> acceptance) and ``scenarios`` (name ->
    probability) are None when their ids are not all known: references to them are
    then not checked (see :mod:`advisor.inputs.loader`).
    """
    seen: dict[tuple[Any, ...], int] = {}
    moved: dict[str, float] = defaultdict(float)
    for row in table.rows:
        _check_row(row, offers, acceptance, scenarios, problems)
        values = row.values
        key = (values.get("offer"), values.get("effect"), values.get("target"), values.get("to"))
        if None not in key[:3] and key in seen:
            problems.append(
                Problem(LINKAGES.file, row.number, "target", f"repeats row {seen[key]}")
            )
        seen.setdefault(key, row.number)
        if values.get("effect") == "scenario" and values.get("value") is not None:
            moved[values.get("target", "")] += values["value"]
    for name, amount in moved.items():
        if scenarios is not None and name in scenarios and amount > scenarios[name] + 1e-9:
            problems.append(
                Problem(
                    LINKAGES.file,
                    None,
                    "value",
                    f"the linkages move {amount:g} of probability out of scenario "
                    f"'{name}', which has only {scenarios[name]:g}: with all their "
                    "offers made its probability would be negative",
                )
            )


def _check_row(
    row: Row,
    offers: set[str] | None,
    acceptance: dict[str, float] | None,
    scenarios: dict[str, float] | None,
    problems: list[Problem],
) -> None:
    values = row.values

    def problem(column: str, message: str) -> None:
        problems.append(Problem(LINKAGES.file, row.number, column, message))

    offer = values.get("offer")
    if offers is not None and offer is not None and offer not in offers:
        problem("offer", f"'{offer}' is not an offer in offers.csv")
    if values.get("effect") == "acceptance":
        if values.get("to"):
            problem("to", "leave 'to' empty for an acceptance linkage")
        if acceptance is not None:
            _check_acceptance(values, acceptance, problem)
    elif values.get("effect") == "scenario" and scenarios is not None:
        _check_scenarios(values, scenarios, problem)


def _check_acceptance(
    values: dict[str, Any], acceptance: dict[str, float], problem: Callable[[str, str], None]
) -> None:
    target, value = values.get("target"), values.get("value")
    if target is None:
        return
    if target not in acceptance:
        problem("target", f"'{target}' is not a request in requests.csv")
    elif value is not None and value < acceptance[target]:
        problem(
            "value",
            "an acceptance linkage raises the odds: expected at least the request's own "
            f"acceptance {acceptance[target]:g}, found {value:g}",
        )


def _check_scenarios(
    values: dict[str, Any], scenarios: dict[str, float], problem: Callable[[str, str], None]
) -> None:
    target, to = values.get("target"), values.get("to")
    if target is not None and target not in scenarios:
        problem("target", f"'{target}' is not a scenario in instance.toml")
    if not to:
        problem("to", "a scenario linkage needs the scenario that gains the probability")
    elif to not in scenarios:
        problem("to", f"'{to}' is not a scenario in instance.toml")
    elif to == target:
        problem("to", "moves probability from a scenario to itself")
