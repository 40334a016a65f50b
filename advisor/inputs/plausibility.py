"""Warnings on a valid instance: values that parse but are probably not what was meant.

A warning does not stop the advisor (the instance is valid, and each case has a
reading in which it is intended), but it is located like a problem so that the
analyst can check it: ``Instance.warnings``, listed by ``python solve.py validate``.

- a tier label that names a percentage other than the tier's tariff (``cap 10%`` at
  0.25): one of the two is a typo;
- a threat tariff below the current tariff (in ``sectors.csv`` or in a scenario): the
  "threat" would raise exports, so no tier can protect anything;
- a tier that protects more than the sector exports today (on ``sectors.csv``'s own
  figures): a tariff far below the current one, or a threat that wipes the trade
  out, which usually means a tariff or an elasticity mistyped;
- a ``count`` on a ``requires``, ``requires_one_of`` or ``excludes`` row: those kinds
  ignore it, so the kind is probably not the one meant;
- two ids that differ only by case (``CHIPS`` and ``Chips``): ids are case-sensitive,
  so a condition naming one does not name the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from advisor.economics import sector_terms
from advisor.errors import Problem
from advisor.inputs.tables import Table
from advisor.instance import Instance, Scenario

_PERCENT = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*%", re.ASCII)
PAIRWISE_KINDS = ("requires", "requires_one_of", "excludes")


def _percent(value: float) -> str:
    return f"{value * 100:.4g}%"


def _numbers(tables: dict[str, Table], file: str, key: str) -> dict[str, int]:
    """Each id's spreadsheet row in ``file``."""
    return {
        row.values[key]: row.number
        for row in tables[file].rows
        if row.values.get(key) is not None and not row.duplicate
    }


def _tier_labels(instance: Instance, tables: dict[str, Table]) -> Iterator[Problem]:
    rows = _numbers(tables, "requests.csv", "request")
    for request in instance.requests:
        said = [float(m) / 100.0 for m in _PERCENT.findall(request.tier)]
        if said and all(abs(p - request.tariff) > 1e-9 for p in said):
            label = ", ".join(_percent(p) for p in said)
            yield Problem(
                "requests.csv",
                rows[request.request],
                "tier",
                f"the label '{request.tier}' says {label} but the tariff is "
                f"{_percent(request.tariff)}: check which is meant",
            )


def _threat_message(threat: float, current: float) -> str:
    return (
        f"the threat tariff ({_percent(threat)}) is below the current tariff "
        f"({_percent(current)}): the threat would raise exports, so no tier protects "
        "anything; check the two tariffs"
    )


def _threats(instance: Instance, tables: dict[str, Table]) -> Iterator[Problem]:
    rows = _numbers(tables, "sectors.csv", "sector")
    for sector in instance.sectors:
        if sector.threat_tariff < sector.current_tariff:
            message = _threat_message(sector.threat_tariff, sector.current_tariff)
            yield Problem("sectors.csv", rows[sector.sector], "threat_tariff", message)
    for index, scenario in enumerate(instance.scenarios, start=1):
        for sector in instance.sectors:
            key = sector.sector
            if key not in scenario.threat_tariff and key not in scenario.current_tariff:
                continue  # as in sectors.csv: warned about there
            terms = sector_terms(sector, scenario)
            if terms.threat_tariff < terms.current_tariff:
                which = "threat_tariff" if key in scenario.threat_tariff else "current_tariff"
                yield Problem(
                    "instance.toml",
                    None,
                    f"scenarios[{index}].{which}.{key}",
                    _threat_message(terms.threat_tariff, terms.current_tariff),
                )


def _protected(instance: Instance, tables: dict[str, Table]) -> Iterator[Problem]:
    """Tiers protecting more than the sector exports, on ``sectors.csv``'s own terms.

    Not per scenario: a scenario's overrides are deliberate what-ifs, and a high one
    legitimately gives a large cut a large gain (tariff-line instances' "peers
    exempted" scenario raises sigma by half, and there a 19% to 0% cut more than
    doubles some lines' exports).
    """
    rows = _numbers(tables, "requests.csv", "request")
    base = Scenario("base", 1.0)
    for request in instance.requests:
        sector = instance.sector_by_id[request.sector]
        value = sector_terms(sector, base).protected_value(request.tariff)
        if value > sector.exports * (1 + 1e-9):
            yield Problem(
                "requests.csv",
                rows[request.request],
                "tariff",
                f"the tier protects {value:,.1f}, more than the sector's exports "
                f"({sector.exports:,.1f}): only a tariff far below the current one, or a "
                "threat that wipes the trade out, does that; check the tariffs and the "
                "elasticity in sectors.csv",
            )


def _counts(tables: dict[str, Table]) -> Iterator[Problem]:
    for row in tables["conditions.csv"].rows:
        kind = row.values.get("kind")
        if kind in PAIRWISE_KINDS and row.values.get("count") is not None:
            yield Problem(
                "conditions.csv",
                row.number,
                "count",
                f"'{kind}' takes no count (only at_most and at_least do): it is ignored; "
                "is the kind the one meant?",
            )


def _cases(tables: dict[str, Table]) -> Iterator[Problem]:
    groups = (
        (("sectors.csv", "sector"), ("requests.csv", "request"), ("offers.csv", "offer")),
        (("markets.csv", "market"),),
        (("conditions.csv", "condition"),),
    )
    for group in groups:
        first: dict[str, tuple[str, str, int]] = {}
        for file, key in group:
            for row in tables[file].rows:
                ident: Any = row.values.get(key)
                if ident is None or row.duplicate:
                    continue
                seen = first.setdefault(ident.lower(), (ident, file, row.number))
                if seen[0] != ident:
                    yield Problem(
                        file,
                        row.number,
                        key,
                        f"'{ident}' differs from '{seen[0]}' ({seen[1]}, row {seen[2]}) only "
                        "by case: ids are case-sensitive, so these are two different ids",
                    )


def instance_warnings(instance: Instance, tables: dict[str, Table]) -> tuple[Problem, ...]:
    """Every warning on ``instance`` (valid, read from ``tables``), kind by kind."""
    return (
        *_tier_labels(instance, tables),
        *_threats(instance, tables),
        *_protected(instance, tables),
        *_counts(tables),
        *_cases(tables),
    )
