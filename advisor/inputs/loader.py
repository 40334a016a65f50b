"""Reading and validating an instance folder into an :class:`~advisor.instance.Instance`.

This is the door: every later stage trusts what comes through it. The loader reads
``instance.toml`` and the six CSV tables, parses every cell, then checks what spans
rows and files (duplicate ids, dangling references, condition shapes, scenario
probabilities, market caps). It collects every problem it finds in one pass and
raises one :class:`~advisor.errors.InstanceError` listing them all, each located by
file, spreadsheet row and column. The format is documented in ``instances/README.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from advisor.errors import InstanceError, Problem
from advisor.inputs.cells import (
    CellError,
    parse_count,
    parse_fraction,
    parse_id,
    parse_id_list,
    parse_nonnegative,
    parse_number,
    parse_positive,
    parse_tariff,
)
from advisor.inputs.settings_file import TOML_FILE, parse_scenarios, parse_settings, read_toml
from advisor.inputs.tables import Column, Row, TableSpec, read_table
from advisor.instance import (
    CONDITION_KINDS,
    Condition,
    Instance,
    Market,
    Offer,
    OfferEffect,
    RequestTier,
    Scenario,
    Sector,
    frozen_mapping,
)


def _kind(text: str) -> str:
    kind = text.strip().lower()
    if kind not in CONDITION_KINDS:
        raise CellError(f"expected one of {', '.join(CONDITION_KINDS)}, found '{text}'")
    return kind


MARKETS = TableSpec(
    "markets.csv",
    key="market",
    columns=(Column("market", parse_id), Column("name"), Column("exports", parse_nonnegative)),
)
SECTORS = TableSpec(
    "sectors.csv",
    key="sector",
    columns=(
        Column("sector", parse_id),
        Column("name"),
        Column("hs_codes", None, ""),
        Column("exports", parse_positive),
        Column("current_tariff", parse_tariff),
        Column("threat_tariff", parse_tariff),
        Column("elasticity", parse_positive),
        Column("sensitivity", parse_nonnegative, 1.0),
    ),
)
REQUESTS = TableSpec(
    "requests.csv",
    key="request",
    columns=(
        Column("request", parse_id),
        Column("sector", parse_id),
        Column("tier"),
        Column("tariff", parse_tariff),
        Column("acceptance", parse_fraction, 1.0),
        Column("counterpart_cost", parse_number, None),
    ),
)
OFFERS = TableSpec(
    "offers.csv",
    key="offer",
    columns=(
        Column("offer", parse_id),
        Column("name"),
        Column("category", None, ""),
        Column("counterpart_value", parse_nonnegative),
        Column("domestic_cost", parse_nonnegative),
    ),
)
OFFER_EFFECTS = TableSpec(
    "offer_effects.csv",
    may_be_empty=True,
    columns=(
        Column("offer", parse_id),
        Column("market", parse_id),
        Column("export_change", parse_number),
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


def load_instance(path: str | Path) -> Instance:
    """Read, validate and return the instance in folder ``path``.

    Raises :class:`InstanceError` listing every located problem when the folder
    is not a valid instance; never anything else for a user's mistake.
    """
    folder = Path(path)
    if not folder.is_dir():
        what = "is a file, expected a folder" if folder.exists() else "no such folder"
        raise InstanceError(Problem(str(folder), None, None, what))
    problems: list[Problem] = []
    data = read_toml(folder, problems)
    tables = {spec.file: read_table(folder, spec, problems) for spec in TABLES}
    # instance.toml's own checks need no table: run them even if a table is unreadable
    settings = parse_settings(data, problems) if data is not None else None
    scenarios = parse_scenarios(settings, problems) if settings is not None else None
    if any(rows is None for rows in tables.values()) or settings is None or scenarios is None:
        raise InstanceError(problems)
    complete = {file: rows for file, rows in tables.items() if rows is not None}
    instance = _assemble(folder, settings, scenarios, complete, problems)
    if problems:
        raise InstanceError(problems)
    return instance


# --------------------------------------------------------------------- instance.toml


def _build(rows: list[Row], factory: Callable[..., Any]) -> tuple[Any, ...]:
    return tuple(factory(**row.values) for row in rows if row.ok)


def _assemble(
    folder: Path,
    settings: dict[str, Any],
    scenarios: tuple[Scenario, ...],
    tables: dict[str, list[Row]],
    problems: list[Problem],
) -> Instance:
    markets = _build(tables[MARKETS.file], Market)
    sectors = _build(tables[SECTORS.file], Sector)
    requests = _build(tables[REQUESTS.file], RequestTier)
    offers = _build(tables[OFFERS.file], Offer)
    effects = _build(tables[OFFER_EFFECTS.file], OfferEffect)
    conditions = _build(tables[CONDITIONS.file], Condition)

    ids = {
        spec.file: _ids(tables[spec.file], spec.key)
        for spec in (MARKETS, SECTORS, REQUESTS, OFFERS)
    }
    _check_namespace(tables, problems)
    _check_references(tables, ids, problems)
    _check_conditions(tables[CONDITIONS.file], ids, problems)
    _check_settings(settings, ids[MARKETS.file], ids[SECTORS.file], problems)
    _check_counterpart_exports(settings, markets, sectors, tables[MARKETS.file], problems)
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
        markets=markets,
        sectors=sectors,
        requests=requests,
        offers=offers,
        offer_effects=effects,
        conditions=conditions,
        scenarios=scenarios,
        sources=settings["sources"],
        path=str(folder),
    )


def _ids(rows: list[Row], key: str | None) -> set[str]:
    return {row.values[key] for row in rows if key and row.values.get(key) is not None}


def _check_namespace(tables: dict[str, list[Row]], problems: list[Problem]) -> None:
    """Sector, request and offer ids share one namespace (conditions name them)."""
    owner: dict[str, str] = {}
    for spec in (SECTORS, REQUESTS, OFFERS):
        for row in tables[spec.file]:
            key = row.values.get(spec.key)  # type: ignore[arg-type]
            if key is None:
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


def _check_references(
    tables: dict[str, list[Row]], ids: dict[str, set[str]], problems: list[Problem]
) -> None:
    checks = (
        (REQUESTS, "sector", "a sector", SECTORS.file),
        (OFFER_EFFECTS, "offer", "an offer", OFFERS.file),
        (OFFER_EFFECTS, "market", "a market", MARKETS.file),
    )
    for spec, column, what, target in checks:
        for row in tables[spec.file]:
            value = row.values.get(column)
            if value is not None and value not in ids[target]:
                message = f"'{value}' is not {what} in {target}"
                problems.append(Problem(spec.file, row.number, column, message))
    seen: dict[tuple[object, object], int] = {}
    for row in tables[OFFER_EFFECTS.file]:
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


def _check_conditions(rows: list[Row], ids: dict[str, set[str]], problems: list[Problem]) -> None:
    decisions = ids[SECTORS.file] | ids[REQUESTS.file] | ids[OFFERS.file]
    for row in rows:
        kind, members, count = (row.values.get(k) for k in ("kind", "members", "count"))
        where = (CONDITIONS.file, row.number)
        if members is not None:
            for member in members:
                if member not in decisions:
                    problems.append(
                        Problem(
                            *where, "members", f"'{member}' is not a request, offer or sector id"
                        )
                    )
            if len(set(members)) != len(members):
                problems.append(Problem(*where, "members", "a member is named twice"))
        if kind is None or members is None:
            continue
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
                if not any((p.file, p.row, p.column) == (*where, "count") for p in problems):
                    problems.append(Problem(*where, "count", f"'{kind}' needs a count k"))
            elif kind == "at_least" and count > len(members):
                problems.append(
                    Problem(
                        *where,
                        "count",
                        f"at_least {count} of {len(members)} members can never hold",
                    )
                )


def _check_settings(
    settings: dict[str, Any], markets: set[str], sectors: set[str], problems: list[Problem]
) -> None:
    if settings["counterpart"] and settings["counterpart"] not in markets:
        problems.append(
            Problem(
                TOML_FILE,
                None,
                "counterpart",
                f"'{settings['counterpart']}' is not a market in markets.csv",
            )
        )
    for key in ("market_share_caps", "market_share_floors"):
        for market in settings[key]:
            if market not in markets:
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
    settings: dict[str, Any],
    markets: tuple[Market, ...],
    sectors: tuple[Sector, ...],
    rows: list[Row],
    problems: list[Problem],
) -> None:
    counterpart = next((m for m in markets if m.market == settings["counterpart"]), None)
    total = sum(s.exports for s in sectors)
    if counterpart is not None and total > counterpart.exports * (1 + 1e-9):
        number = next(r.number for r in rows if r.values.get("market") == counterpart.market)
        problems.append(
            Problem(
                MARKETS.file,
                number,
                "exports",
                f"exports to {counterpart.market} ({counterpart.exports:,.1f}) are less than "
                f"the sum of sectors.csv's exports ({total:,.1f}); the counterpart's row "
                "is total exports to it, all products",
            )
        )
