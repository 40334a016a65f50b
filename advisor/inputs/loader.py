"""Reading and validating an instance folder into an :class:`~advisor.instance.Instance`.

This is the door: every later stage trusts what comes through it. The loader reads
``instance.toml`` and the six CSV tables, parses every cell, then checks what spans
rows and files (duplicate ids, dangling references, condition shapes, scenario
probabilities, market caps). It collects every problem it finds in one pass and
raises one :class:`~advisor.errors.InstanceError` listing them all, each located by
file, spreadsheet row and column. The format is documented in ``instances/README.md``.

One pass means the checks across files run even when a file has problems of its
own: references are checked against the ids that did parse. Where a table's ids are
not all known (the file could not be read, its key column is missing, a row's id
could not be read) references to it are not checked at all: an id not found may be
the one that could not be read, and a false "not a sector" would send the analyst
after a mistake they did not make. The problem that hid the id is reported, and the
next run checks the references. Cells of a row that failed elsewhere are checked;
cells of a row with too many cells are not (any of them may be shifted).

A valid instance may still carry warnings (:mod:`advisor.inputs.plausibility`):
``Instance.warnings``, located like problems.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from advisor.errors import InstanceError, Problem
from advisor.inputs.cells import (
    parse_choice,
    parse_count,
    parse_elasticity,
    parse_fraction,
    parse_id,
    parse_id_list,
    parse_money,
    parse_money_nonnegative,
    parse_money_positive,
    parse_nonnegative,
    parse_tariff_cell,
)
from advisor.inputs.linkages import check_linkages, read_linkages
from advisor.inputs.plausibility import instance_warnings
from advisor.inputs.settings_file import TOML_FILE, parse_scenarios, parse_settings, read_toml
from advisor.inputs.tables import Column, Row, Table, TableSpec, read_table
from advisor.instance import (
    CONDITION_KINDS,
    Condition,
    Instance,
    Linkage,
    Market,
    Offer,
    OfferEffect,
    RequestTier,
    Scenario,
    Sector,
    frozen_mapping,
)

_kind = parse_choice(CONDITION_KINDS)


MARKETS = TableSpec(
    "markets.csv",
    key="market",
    columns=(
        Column("market", parse_id),
        Column("name"),
        Column("exports", parse_money_nonnegative),
    ),
)
SECTORS = TableSpec(
    "sectors.csv",
    key="sector",
    columns=(
        Column("sector", parse_id),
        Column("name"),
        Column("hs_codes", None, ""),
        Column("exports", parse_money_positive),
        Column("current_tariff", parse_tariff_cell),
        Column("threat_tariff", parse_tariff_cell),
        Column("elasticity", parse_elasticity),
        Column("sensitivity", parse_nonnegative, 1.0),
        Column("value_weight", parse_nonnegative, 1.0),
    ),
)
REQUESTS = TableSpec(
    "requests.csv",
    key="request",
    columns=(
        Column("request", parse_id),
        Column("sector", parse_id),
        Column("tier"),
        Column("tariff", parse_tariff_cell),
        Column("acceptance", parse_fraction, 1.0),
        Column("counterpart_cost", parse_money, None),
    ),
)
OFFERS = TableSpec(
    "offers.csv",
    key="offer",
    columns=(
        Column("offer", parse_id),
        Column("name"),
        Column("category", None, ""),
        Column("counterpart_value", parse_money_nonnegative),
        Column("domestic_cost", parse_money_nonnegative),
    ),
)
OFFER_EFFECTS = TableSpec(
    "offer_effects.csv",
    may_be_empty=True,
    columns=(
        Column("offer", parse_id),
        Column("market", parse_id),
        Column("export_change", parse_money),
        Column("value_weight", parse_nonnegative, None),
    ),
)
CONDITIONS = TableSpec(
    "conditions.csv",
    key="condition",
    may_be_empty=True,
    columns=(
        Column("condition", parse_id),
        Column("kind", _kind),
        Column("members", parse_id_list),
        Column("count", parse_count, None),
        Column("description", None, ""),
    ),
)
TABLES = (MARKETS, SECTORS, REQUESTS, OFFERS, OFFER_EFFECTS, CONDITIONS)


def _folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be read as an instance folder, or None."""
    try:
        is_dir = folder.is_dir()
    except OSError as exc:  # a parent without permission, a loop, ...
        return f"cannot open the folder: {exc.strerror or exc}"
    if not is_dir:
        return "is a file, expected a folder" if folder.exists() else "no such folder"
    if not os.access(folder, os.X_OK):
        return "cannot open the folder: Permission denied (its permissions do not let you in)"
    return None


def load_instance(path: str | Path) -> Instance:
    """Read, validate and return the instance in folder ``path`` (or workbook ``.xlsx``).

    Raises :class:`InstanceError` listing every located problem when the folder
    is not a valid instance; never anything else for a user's mistake. A valid
    instance's warnings (plausible mistakes) are in its ``warnings``.
    """
    folder = Path(path)
    if folder.suffix.lower() in (".xlsx", ".xlsm") and not folder.is_dir():
        from advisor.inputs.workbook import load_workbook_instance  # openpyxl: only then

        return load_workbook_instance(folder)
    reason = _folder_problem(folder)
    if reason is not None:
        raise InstanceError(Problem(str(folder), None, None, reason))
    problems: list[Problem] = []
    data = read_toml(folder, problems)
    tables = {spec.file: read_table(folder, spec, problems) for spec in TABLES}
    linkages = read_linkages(folder, problems)
    settings = parse_settings(data, problems) if data is not None else None
    scenarios = parse_scenarios(settings, problems) if settings is not None else None
    _check_namespace(tables, problems)
    _check_references(tables, problems)
    _check_conditions(tables, problems)
    if settings is not None:
        _check_settings(settings, tables, problems)
        _check_counterpart_exports(settings, tables, problems)
    _check_linkages(linkages, tables, scenarios, problems)
    if problems or settings is None or scenarios is None:
        raise InstanceError(problems)
    instance = _assemble(folder, settings, scenarios, tables)
    instance = dataclasses.replace(instance, linkages=_build(linkages, Linkage))
    return dataclasses.replace(instance, warnings=instance_warnings(instance, tables))


# ------------------------------------------------------------------------ assembling


def _build(table: Table, factory: Callable[..., Any]) -> tuple[Any, ...]:
    return tuple(factory(**row.values) for row in table.rows if row.ok)


def _assemble(
    folder: Path,
    settings: dict[str, Any],
    scenarios: tuple[Scenario, ...],
    tables: dict[str, Table],
) -> Instance:
    return Instance(
        name=settings["name"],
        description=settings["description"],
        home=settings["home"],
        counterpart=settings["counterpart"],
        currency=settings["currency"],
        unit=settings["unit"],
        offer_cost_weight=settings["offer_cost_weight"],
        reciprocity_ratio=settings["reciprocity_ratio"],
        domestic_budget=settings["domestic_budget"],
        counterpart_cost_weight=settings["counterpart_cost_weight"],
        objective=settings["objective"],
        market_share_caps=frozen_mapping(settings["market_share_caps"]),
        market_share_floors=frozen_mapping(settings["market_share_floors"]),
        ranking=settings["ranking"],
        markets=_build(tables[MARKETS.file], Market),
        sectors=_build(tables[SECTORS.file], Sector),
        requests=_build(tables[REQUESTS.file], RequestTier),
        offers=_build(tables[OFFERS.file], Offer),
        offer_effects=_build(tables[OFFER_EFFECTS.file], OfferEffect),
        conditions=_build(tables[CONDITIONS.file], Condition),
        scenarios=scenarios,
        sources=settings["sources"],
        path=str(folder),
        offer_effects_in_objective=settings["offer_effects_in_objective"],
        reciprocity=settings["reciprocity"],
        shares=settings["shares"],
        counterpart_reservation=settings["counterpart_reservation"],
    )


# -------------------------------------------------------------- checks across files


def _check_linkages(
    linkages: Table,
    tables: dict[str, Table],
    scenarios: tuple[Scenario, ...] | None,
    problems: list[Problem],
) -> None:
    """``linkages.csv`` against the offers, requests and scenarios that were read."""
    if not linkages.rows:
        return
    requests = tables[REQUESTS.file]
    acceptance = (
        {
            row.values["request"]: row.values.get("acceptance", 1.0)
            for row in requests.rows
            if "request" in row.values and row.values.get("acceptance") is not None
        }
        if requests.ids_complete
        else None
    )
    probabilities = None if scenarios is None else {w.name: w.probability for w in scenarios}
    check_linkages(linkages, _known(tables, OFFERS), acceptance, probabilities, problems)


def _known(tables: dict[str, Table], spec: TableSpec) -> set[str] | None:
    """The table's ids if every row's id is known, else None (references not checked)."""
    table = tables[spec.file]
    return table.ids if table.ids_complete else None


def _not_found(value: str, what: str, ids: set[str]) -> str:
    """``'chips' is not a sector in sectors.csv``, with the id differing only by case."""
    message = f"'{value}' is not {what}"
    near = _case_folded(ids).get(value.lower())
    if near is not None:
        message += f" (ids are case-sensitive: did you mean '{near}'?)"
    return message


# the last id set folded: every miss against one table shares its index (a folder
# whose references are all mistyped by case would otherwise take rows x ids steps)
_FOLDED: list[tuple[set[str], dict[str, str]]] = []


def _case_folded(ids: set[str]) -> dict[str, str]:
    """Lower-cased id -> the first id (in sorted order) with that spelling."""
    if not _FOLDED or _FOLDED[0][0] is not ids:
        folded: dict[str, str] = {}
        for i in sorted(ids):
            folded.setdefault(i.lower(), i)
        _FOLDED[:] = [(ids, folded)]
    return _FOLDED[0][1]


def _check_namespace(tables: dict[str, Table], problems: list[Problem]) -> None:
    """Sector, request and offer ids share one namespace (conditions name them)."""
    owner: dict[str, str] = {}
    for spec in (SECTORS, REQUESTS, OFFERS):
        for row in tables[spec.file].rows:
            key = row.values.get(spec.key)  # type: ignore[arg-type]
            if key is None or row.duplicate:
                continue
            if key in owner and owner[key] != spec.file:
                problems.append(
                    Problem(
                        spec.file,
                        row.number,
                        spec.key,
                        f"id '{key}' is already used in {owner[key]}; sector, request and "
                        "offer ids must all differ because conditions name them",
                    )
                )
            owner.setdefault(key, spec.file)


def _check_references(tables: dict[str, Table], problems: list[Problem]) -> None:
    checks = (
        (REQUESTS, "sector", "a sector", SECTORS),
        (OFFER_EFFECTS, "offer", "an offer", OFFERS),
        (OFFER_EFFECTS, "market", "a market", MARKETS),
    )
    for spec, column, what, target in checks:
        ids = _known(tables, target)
        if ids is None:
            continue  # an id that could not be read may be the one named: see the module
        for row in tables[spec.file].rows:
            value = row.values.get(column)
            if value is not None and value not in ids:
                message = _not_found(value, f"{what} in {target.file}", ids)
                problems.append(Problem(spec.file, row.number, column, message))
    seen: dict[tuple[object, object], int] = {}
    for row in tables[OFFER_EFFECTS.file].rows:
        pair = (row.values.get("offer"), row.values.get("market"))
        if None in pair:
            continue
        if pair in seen:
            problems.append(
                Problem(
                    OFFER_EFFECTS.file,
                    row.number,
                    "market",
                    f"offer '{pair[0]}' already has an effect on '{pair[1]}' "
                    f"(row {seen[pair]}): one row per offer and market",
                )
            )
        seen.setdefault(pair, row.number)


def _decisions(tables: dict[str, Table]) -> set[str] | None:
    """Every sector, request and offer id, or None if one of the tables' ids is unknown."""
    known = [_known(tables, spec) for spec in (SECTORS, REQUESTS, OFFERS)]
    if any(ids is None for ids in known):
        return None
    return set().union(*(ids for ids in known if ids is not None))


def _check_members(row: Row, decisions: set[str] | None, problems: list[Problem]) -> None:
    members = row.values.get("members")
    if members is None:
        return
    if decisions is not None:
        for member in members:
            if member not in decisions:
                message = _not_found(member, "a request, offer or sector id", decisions)
                problems.append(Problem(CONDITIONS.file, row.number, "members", message))
    if len(set(members)) != len(members):
        problems.append(Problem(CONDITIONS.file, row.number, "members", "a member is named twice"))


def _check_conditions(tables: dict[str, Table], problems: list[Problem]) -> None:
    decisions = _decisions(tables)
    for row in tables[CONDITIONS.file].rows:
        _check_members(row, decisions, problems)
        check_condition_shape(CONDITIONS.file, row, problems)


def check_condition_shape(file: str, row: Row, problems: list[Problem]) -> None:
    """A condition row's kind, members and count fit together (any conditions table).

    The pairwise kinds need a subject and an object; ``at_most`` and ``at_least``
    need a count, and ``at_least`` k of fewer than k members can never hold.
    """
    kind, members, count = (row.values.get(k) for k in ("kind", "members", "count"))
    where = (file, row.number)
    if kind is None or members is None:
        return
    if kind in ("requires", "requires_one_of", "excludes") and len(members) < 2:
        problems.append(
            Problem(
                *where,
                "members",
                f"'{kind}' needs at least two members: the subject, then what it links to",
            )
        )
    if kind in ("at_most", "at_least"):
        if count is None:
            # a count cell that is not a whole number was reported when it was parsed
            if "count" not in row.failed:
                problems.append(Problem(*where, "count", f"'{kind}' needs a count k"))
        elif kind == "at_least" and count > len(members):
            problems.append(
                Problem(
                    *where, "count", f"at_least {count} of {len(members)} members can never hold"
                )
            )


def _check_settings(
    settings: dict[str, Any], tables: dict[str, Table], problems: list[Problem]
) -> None:
    markets = _known(tables, MARKETS)
    counterpart = settings["counterpart"]
    if markets is not None and counterpart and counterpart not in markets:
        message = _not_found(counterpart, "a market in markets.csv", markets)
        problems.append(Problem(TOML_FILE, None, "counterpart", message))
    for key in ("market_share_caps", "market_share_floors"):
        for market in settings[key]:
            if markets is not None and market not in markets:
                problems.append(
                    Problem(TOML_FILE, None, f"{key}.{market}", "not a market in markets.csv")
                )
    caps, floors = settings["market_share_caps"], settings["market_share_floors"]
    for market, floor in floors.items():
        if market in caps and floor > caps[market]:
            problems.append(
                Problem(
                    TOML_FILE,
                    None,
                    f"market_share_floors.{market}",
                    f"floor {floor:.1%} is above the cap {caps[market]:.1%}",
                )
            )
    if sum(floors.values()) > 1 + 1e-9:
        problems.append(
            Problem(TOML_FILE, None, "market_share_floors", "the floors add up to more than 100%")
        )
    _check_overrides(settings, tables, problems)


def _check_overrides(
    settings: dict[str, Any], tables: dict[str, Table], problems: list[Problem]
) -> None:
    """Each scenario overrides sectors of ``sectors.csv`` only."""
    sectors = _known(tables, SECTORS)
    if sectors is None:
        return
    for index, scenario in enumerate(settings["scenarios"], start=1):
        for key in ("threat_tariff", "current_tariff", "elasticity"):
            for sector in scenario[key]:
                if sector not in sectors:
                    problems.append(
                        Problem(
                            TOML_FILE,
                            None,
                            f"scenarios[{index}].{key}.{sector}",
                            "not a sector in sectors.csv",
                        )
                    )


def _check_counterpart_exports(
    settings: dict[str, Any], tables: dict[str, Table], problems: list[Problem]
) -> None:
    """The counterpart's market row holds at least the sectors' exports.

    Sectors whose exports could not be read (or that repeat an id) are left out of
    the sum: it is then a lower bound, so a shortfall it shows is a real one.
    """
    counterpart = next(
        (
            row
            for row in tables[MARKETS.file].rows
            if row.readable
            and not row.duplicate
            and row.values.get("market") == settings["counterpart"]
        ),
        None,
    )
    if counterpart is None or counterpart.values.get("exports") is None:
        return
    exports = counterpart.values["exports"]
    total = sum(
        row.values["exports"]
        for row in tables[SECTORS.file].rows
        if row.readable and not row.duplicate and row.values.get("exports") is not None
    )
    if total > exports * (1 + 1e-9):
        problems.append(
            Problem(
                MARKETS.file,
                counterpart.number,
                "exports",
                f"exports to {settings['counterpart']} ({exports:,.1f}) are less than "
                f"the sum of sectors.csv's exports ({total:,.1f}); the counterpart's row "
                "is total exports to it, all products",
            )
        )
