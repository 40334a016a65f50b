"""``advisor compare A B``: what changed between two runs, and why the advice moved.

A and B are each an instance (a folder or a workbook, solved here with its own
ranking settings) or a saved JSON result (``rank --format json``). The comparison
lists:

- the input changes, value by value, when both sides are instances: each table's rows
  matched by id (``offer_effects`` by offer and market, ``linkages`` by offer,
  effect, target and to), rows added and removed, and each changed field, then the settings
  (parties, λ, ρ, budget, caps, floors, scenarios);
- the advice: strategy 1's decisions added and dropped, its objective, protected
  value, offer cost and market shares before and after; which packages of A's top K
  are still in B's and which are new;
- why, as far as the inputs say: for each decision added to or dropped from the
  recommendation, the input changes that name it (its row, its sector's row).

:func:`compare` returns a :class:`Comparison`; :func:`render_comparison` writes it in
every report format.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.instance import Instance

TABLE_KEYS = {
    "markets": ("market",),
    "sectors": ("sector",),
    "requests": ("request",),
    "offers": ("offer",),
    "offer_effects": ("offer", "market"),
    "conditions": ("condition",),
    "linkages": ("offer", "effect", "target", "to"),  # as linkages.csv's duplicate check
    "scenarios": ("name",),
}
SETTINGS = ("name", "home", "counterpart", "currency", "unit", "offer_cost_weight",
            "reciprocity_ratio", "domestic_budget", "counterpart_cost_weight", "objective",
            "market_share_caps", "market_share_floors", "offer_effects_in_objective",
            "reciprocity", "shares")


@dataclass(frozen=True)
class Change:
    """One input change: where (table, row id, field), the value before and after."""

    table: str
    row: str
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Side:
    """One side of a comparison: its label, its instance (None for JSON), its result dict."""

    label: str
    instance: Instance | None
    result: Mapping[str, Any]


@dataclass(frozen=True)
class Comparison:
    """What changed from A to B: inputs, the recommendation, the top K, and why."""

    a: Side
    b: Side
    changes: tuple[Change, ...]
    added: tuple[str, ...]
    dropped: tuple[str, ...]
    figures: tuple[tuple[str, float | None, float | None], ...]
    kept_packages: int
    new_packages: int
    reasons: Mapping[str, tuple[Change, ...]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (identical run to run)."""
        return {
            "report": "comparison",
            "a": self.a.label,
            "b": self.b.label,
            "input_changes": [dataclasses.asdict(c) for c in self.changes],
            "recommendation": {
                "added": list(self.added),
                "dropped": list(self.dropped),
                "figures": [{"figure": n, "a": x, "b": y} for n, x, y in self.figures],
            },
            "top": {"kept": self.kept_packages, "new": self.new_packages},
            "reasons": {d: [dataclasses.asdict(c) for c in cs] for d, cs in self.reasons.items()},
        }


# ------------------------------------------------------------------ loading a side


def load_side(path: str | Path) -> Side:
    """An instance (solved with its own ranking settings) or a saved JSON result.

    Raises :class:`advisor.errors.InstanceError` for an invalid instance and
    ValueError (in words) for a JSON file that is not a saved ranking.
    """
    source = Path(path)
    if source.suffix.lower() == ".json":
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{source}: cannot read a saved result: {error}") from None
        if not isinstance(data, dict) or not isinstance(data.get("strategies"), list):
            raise ValueError(f"{source}: not a saved ranking (rank --format json)")
        return Side(str(source), None, data)
    from advisor.inputs.loader import load_instance
    from advisor.solving.pipeline import solve

    instance = load_instance(source)
    return Side(str(source), instance, solve(instance).to_dict())


# ------------------------------------------------------------------ input changes


def _rows(instance: Instance, table: str) -> dict[str, dict[str, Any]]:
    keys = TABLE_KEYS[table]
    rows = {}
    for item in getattr(instance, table):
        values = {f.name: _plain(getattr(item, f.name)) for f in dataclasses.fields(item)}
        rows[":".join(str(values[k]) for k in keys)] = values
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(sorted(value.items()))
    if isinstance(value, tuple):
        return list(value)
    return value


def input_changes(a: Instance, b: Instance) -> list[Change]:
    """Every changed value from ``a`` to ``b`` (see the module), in table order."""
    changes = []
    for table in TABLE_KEYS:
        before, after = _rows(a, table), _rows(b, table)
        for key in before.keys() - after.keys():
            changes.append(Change(table, key, "(row)", "present", "removed"))
        for key in after.keys() - before.keys():
            changes.append(Change(table, key, "(row)", "absent", "added"))
        for key in sorted(before.keys() & after.keys()):
            for name, value in before[key].items():
                if after[key].get(name) != value:
                    changes.append(Change(table, key, name, value, after[key].get(name)))
    for name in SETTINGS:
        x, y = _plain(getattr(a, name)), _plain(getattr(b, name))
        if x != y:
            changes.append(Change("settings", "", name, x, y))
    return sorted(changes, key=lambda c: (list(TABLE_KEYS).index(c.table)
                                          if c.table in TABLE_KEYS else 99, c.row, c.field))


# ------------------------------------------------------------------ the advice


def _best(side: Side) -> Mapping[str, Any] | None:
    strategies = side.result.get("strategies") or []
    return strategies[0] if strategies else None


Figure = tuple[str, float | None, float | None]


def _figures(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> list[Figure]:
    names = ["objective", "protected_value", "offer_cost", "reciprocity_balance"]
    out = [(n, None if a is None else a.get(n), None if b is None else b.get(n)) for n in names]
    shares_a = {} if a is None else dict(a.get("market_shares", {}))
    shares_b = {} if b is None else dict(b.get("market_shares", {}))
    for market in sorted(shares_a.keys() | shares_b.keys()):
        out.append((f"share {market}", shares_a.get(market), shares_b.get(market)))
    return out


def _reasons(
    decisions: list[str], changes: list[Change], b: Instance | None
) -> dict[str, tuple[Change, ...]]:
    """The input changes that name each decision (its row, or its sector's row)."""
    sector_of = {} if b is None else {r.request: r.sector for r in b.requests}
    reasons = {}
    for decision in decisions:
        names = {decision, sector_of.get(decision, decision)}
        found = tuple(c for c in changes if names & set(c.row.split(":")))
        if found:
            reasons[decision] = found
    return reasons


def compare(a: str | Path | Side, b: str | Path | Side) -> Comparison:
    """Compare the runs or instances ``a`` and ``b`` (paths, or sides already loaded)."""
    side_a = a if isinstance(a, Side) else load_side(a)
    side_b = b if isinstance(b, Side) else load_side(b)
    changes = (
        input_changes(side_a.instance, side_b.instance)
        if side_a.instance is not None and side_b.instance is not None
        else []
    )
    best_a, best_b = _best(side_a), _best(side_b)
    before = list(best_a["decisions"]) if best_a else []
    after = list(best_b["decisions"]) if best_b else []
    added = [d for d in after if d not in before]
    dropped = [d for d in before if d not in after]
    packages_a = {frozenset(s["decisions"]) for s in side_a.result.get("strategies", [])}
    packages_b = [frozenset(s["decisions"]) for s in side_b.result.get("strategies", [])]
    kept = sum(1 for p in packages_b if p in packages_a)
    return Comparison(
        side_a, side_b, tuple(changes), tuple(added), tuple(dropped),
        tuple(_figures(best_a, best_b)), kept, len(packages_b) - kept,
        _reasons(added + dropped, changes, side_b.instance),
    )
