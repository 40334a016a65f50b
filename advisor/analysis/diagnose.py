"""Why an instance has no strategy: a minimal set of conflicting rules, and the fix.

When no package of requests and offers satisfies every rule, "infeasible" is no
answer for a negotiator. :func:`diagnose` names the rules that conflict, in the
user's terms (``conditions.csv: c7``, ``instance.toml: market_share_caps.USA``),
and for each the smallest change of that rule alone that makes the instance
feasible.

**Conflict set.** A deletion filter (Chinneck and Dravnieks 1991) over the
user-level rules of :mod:`advisor.rules`: starting from all rules, drop each in
turn and keep it dropped if the rest is still infeasible. What remains is
irreducible: infeasible together, feasible without any one of them. This works on
the MILP itself (HiGHS's IIS covers LPs only), at one feasibility solve per rule.

**Smallest relaxation** of each conflicting rule, all other rules in force:
the budget, reciprocity ratio and share limits by bisection on the parameter
(each step one feasibility solve), an ``at_least``/``at_most`` count by stepping
k, and a ``requires``/``excludes`` rule by dropping it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from advisor.economics import compute_coefficients
from advisor.instance import Instance
from advisor.model import build_model, decision_term
from advisor.results import Evaluator
from advisor.rules import Rule, model_rules
from advisor.solving.pipeline import PersistentRanker

BISECTION_STEPS = 30


@dataclass(frozen=True)
class Conflict:
    """One rule of the conflict set and the smallest change of it alone that helps."""

    location: str
    rule: str
    kind: str
    fix: str
    relaxed_value: float | None


@dataclass(frozen=True)
class Diagnosis:
    """The verdict: feasible, or which rules conflict and how to relax them."""

    feasible: bool
    conflicts: tuple[Conflict, ...]

    def __str__(self) -> str:
        if self.feasible:
            return "the instance is feasible: at least one strategy satisfies every rule"
        lines = [
            f"no strategy satisfies these {len(self.conflicts)} rules together "
            "(each is needed for the conflict):"
        ]
        for c in self.conflicts:
            lines.append(f"  - {c.location}: {c.rule}")
            lines.append(f"      fix: {c.fix}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(c) for c in self.conflicts])

    def to_dict(self) -> dict[str, Any]:
        return {"feasible": self.feasible, "conflicts": [asdict(c) for c in self.conflicts]}


class _Diagnoser:
    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        coefficients = compute_coefficients(instance)
        self.model = build_model(instance, coefficients, "expected")
        evaluator = Evaluator(instance, coefficients, "expected")
        self.ranker = PersistentRanker(self.model, evaluator, 0.0, None, None)
        self.rules = model_rules(self.model, instance)

    def conflict_set(self) -> list[Rule]:
        """Deletion filter: the rules left are infeasible together, feasible minus any one."""
        needed: list[Rule] = []
        for rule in self.rules:
            self.ranker.drop(list(rule.constraints))
            if self.ranker.feasible():
                self.ranker.restore(list(rule.constraints))
                needed.append(rule)
        for rule in self.rules:
            if rule not in needed:
                self.ranker.restore(list(rule.constraints))
        return needed

    def fix(self, rule: Rule) -> Conflict:
        with self.ranker.without(rule.constraints):
            if not self.ranker.feasible():
                return Conflict(
                    rule.location,
                    rule.label,
                    rule.kind,
                    "relaxing this rule alone is not enough",
                    None,
                )
        if rule.kind == "condition":
            return self._fix_condition(rule)
        return self._fix_limit(rule)

    def _fix_condition(self, rule: Rule) -> Conflict:
        condition = next(c for c in self.instance.conditions if c.condition == rule.key)
        if condition.kind not in ("at_least", "at_most"):
            return Conflict(
                rule.location,
                rule.label,
                rule.kind,
                f"drop condition {condition.condition} (its {condition.kind} link "
                "cannot hold with the other rules)",
                None,
            )
        total = pyo.quicksum(decision_term(self.model, m) for m in condition.members)
        step = -1 if condition.kind == "at_least" else 1
        k = condition.count or 0
        with self.ranker.without(rule.constraints):
            while 0 <= k + step <= len(condition.members):
                k += step
                cut = self.ranker.add_cut(total >= k if step < 0 else total <= k)
                ok = self.ranker.feasible()
                self.ranker.remove_cut(cut)
                if ok:
                    break
        word = "lower" if step < 0 else "raise"
        return Conflict(
            rule.location,
            rule.label,
            rule.kind,
            f"{word} the count of {condition.condition} from {condition.count} to {k}",
            float(k),
        )

    def _fix_limit(self, rule: Rule) -> Conflict:
        param, loosest, text = self._limit(rule)
        current = pyo.value(param)
        good, bad = loosest, current
        for _ in range(BISECTION_STEPS):
            middle = (good + bad) / 2
            with self.ranker.parameter(param, middle):
                if self.ranker.feasible():
                    good = middle
                else:
                    bad = middle
        return Conflict(rule.location, rule.label, rule.kind, text(current, good), good)

    def _limit(self, rule: Rule) -> tuple[Any, float, Any]:
        m = self.model
        if rule.kind == "budget":
            loosest = sum(o.domestic_cost for o in self.instance.offers)
            return (
                m.domestic_budget,
                loosest,
                lambda old, new: f"raise the budget from {old:,.1f} to {new:,.1f}",
            )
        if rule.kind == "reciprocity":
            return (
                m.reciprocity_ratio,
                0.0,
                lambda old, new: f"lower the reciprocity ratio from {old:g} to {new:.4f}",
            )
        market = rule.key.split(".", 1)[1]
        if rule.kind == "cap":
            return (
                m.market_share_cap[market],
                1.0,
                lambda old, new: f"raise the {market} cap from {old:.2%} to {new:.2%}",
            )
        return (
            m.market_share_floor[market],
            0.0,
            lambda old, new: f"lower the {market} floor from {old:.2%} to {new:.2%}",
        )


def diagnose(instance: Instance) -> Diagnosis:
    """Say whether ``instance`` is feasible; if not, which rules conflict and the fix."""
    diagnoser = _Diagnoser(instance)
    if diagnoser.ranker.feasible():
        return Diagnosis(True, ())
    conflicts = tuple(diagnoser.fix(rule) for rule in diagnoser.conflict_set())
    return Diagnosis(False, conflicts)
