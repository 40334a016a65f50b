"""The negotiation's rules in the user's terms, mapped to the model's constraints.

An analyst thinks in rules they can point at in their files: "conditions.csv: c7",
"instance.toml: model.domestic_budget", "instance.toml: market_share_caps.USA".
The model has constraint rows, several per rule (a cap holds in every scenario, a
``requires`` condition has one row per object). :func:`model_rules` lists the rules
of a built model with their rows, so the explanation and the infeasibility
diagnosis can remove, relax and name them. The one-tier-per-sector rows are not
listed: they define what a request tier is and cannot be negotiated away.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from advisor.instance import Instance

RULE_KINDS = ("reciprocity", "budget", "cap", "floor", "condition")


@dataclass(frozen=True)
class Rule:
    """A user-level rule: where it lives, what it says, and its constraint rows."""

    kind: str
    file: str
    key: str
    label: str
    constraints: tuple[pyo.ConstraintData, ...]

    @property
    def location(self) -> str:
        """``file: key``, e.g. ``conditions.csv: c7``."""
        return f"{self.file}: {self.key}"


def _rows(component: pyo.Constraint, keep: object = None) -> tuple[pyo.ConstraintData, ...]:
    """The rows of an indexed constraint whose index starts with ``keep`` (all if None)."""
    rows = []
    for index in component:
        head = index[0] if isinstance(index, tuple) else index
        if keep is None or head == keep:
            rows.append(component[index])
    return tuple(rows)


def _condition_component(model: pyo.ConcreteModel, kind: str) -> pyo.Constraint:
    return getattr(model, f"condition_{kind}_constr")


def model_rules(model: pyo.ConcreteModel, instance: Instance) -> list[Rule]:
    """Every negotiable rule of ``model``, in a fixed order."""
    rules = [
        Rule(
            "reciprocity",
            "instance.toml",
            "model.reciprocity_ratio",
            f"reciprocity: counterpart value ≥ {instance.reciprocity_ratio:g} × counterpart cost",
            (model.reciprocity_constr,),
        )
    ]
    if instance.domestic_budget is not None:
        rules.append(
            Rule(
                "budget",
                "instance.toml",
                "model.domestic_budget",
                f"domestic budget: offer cost ≤ {instance.domestic_budget:,.1f}",
                (model.domestic_budget_constr,),
            )
        )
    for market, cap in instance.market_share_caps.items():
        rules.append(
            Rule(
                "cap",
                "instance.toml",
                f"market_share_caps.{market}",
                f"market-share cap: {market} ≤ {cap:.1%} of exports",
                _rows(model.market_share_cap_constr, market),
            )
        )
    for market, floor in instance.market_share_floors.items():
        rules.append(
            Rule(
                "floor",
                "instance.toml",
                f"market_share_floors.{market}",
                f"market-share floor: {market} ≥ {floor:.1%} of exports",
                _rows(model.market_share_floor_constr, market),
            )
        )
    for c in instance.conditions:
        text = c.description or f"{c.kind} {'; '.join(c.members)}"
        rules.append(
            Rule(
                "condition",
                "conditions.csv",
                c.condition,
                f"condition {c.condition} ({c.kind}): {text}",
                _rows(_condition_component(model, c.kind), c.condition),
            )
        )
    return rules
