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

**Feasibility without a solve.** Every strategy a feasibility solve finds is kept;
a later question that one of them answers (it keeps every row and bound now in
force: :meth:`SolverSession.keeps_rules`) takes no solve. A bisection that loosens a
limit past a strategy already found is then a few vector products. At 10,000 lines
this and the objective set aside in each feasibility solve
(:meth:`SolverSession.feasible`) took a budget-cut diagnosis from 168 s to 17-24 s.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from advisor.analysis.scale import at_scale, rule_families
from advisor.instance import Instance
from advisor.model import decision_term
from advisor.rules import Rule
from advisor.solving.session import open_session
from advisor.solving.settings import check_instance, check_time_limit

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
        """The verdict in words: feasible, or each conflicting rule with its fix."""
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
        """The conflicts, one row per rule (:class:`Conflict`'s fields as columns)."""
        return pd.DataFrame([asdict(c) for c in self.conflicts])

    def to_dict(self) -> dict[str, Any]:
        """The verdict as a JSON-ready dict: ``feasible`` and the ``conflicts``."""
        return {"feasible": self.feasible, "conflicts": [asdict(c) for c in self.conflicts]}


class _Diagnoser:
    def __init__(self, instance: Instance, deadline: float | None) -> None:
        self.instance = instance
        self.limit = None if deadline is None else deadline - time.monotonic()
        self.session = open_session(instance, "expected", deadline=deadline, binding=False)
        self.model = self.session.model
        # at tariff-line scale a condition copied per line is one rule (its family): the
        # deletion filter then takes a solve per family, not per line
        scale = at_scale(instance)
        self.rules = rule_families(instance, self.session.rules) if scale else self.session.rules
        self.known: list[np.ndarray] = []  # strategies found so far (HiGHS column values)

    def feasible(self) -> bool:
        """Whether the rules now in the solver admit a strategy (within the time).

        A strategy found by an earlier solve that keeps the rules now in force
        answers yes without a solve (a bisection that loosens a limit past one it
        already met, say).
        """
        if any(self.session.keeps_rules(point) for point in self.known):
            return True
        found = self.session.feasible()
        if self.session.timed_out:
            raise DiagnosisTimeoutError(
                f"the time limit of {self.limit:.3g} s stopped the diagnosis before its "
                "verdict (allow more time with time_limit / --time-limit)"
            )
        if found:
            self.known.insert(0, self.session.last_point())
        return found

    def conflict_set(self) -> list[Rule]:
        """Deletion filter: the rules left are infeasible together, feasible minus any one."""
        needed: list[Rule] = []
        for rule in self.rules:
            self.session.drop(list(rule.constraints))
            if self.feasible():
                self.session.restore(list(rule.constraints))
                needed.append(rule)
        for rule in self.rules:
            if rule not in needed:
                self.session.restore(list(rule.constraints))
        return needed

    def fix(self, rule: Rule) -> Conflict:
        with self.session.without(rule.constraints):
            if not self.feasible():
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
        condition = next((c for c in self.instance.conditions if c.condition == rule.key), None)
        if condition is None:  # a family of line conditions (advisor.analysis.scale)
            return Conflict(
                rule.location,
                rule.label,
                rule.kind,
                f"drop the conditions {rule.key} (one per tariff line: their links cannot "
                "hold with the other rules)",
                None,
            )
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
        with self.session.without(rule.constraints):
            while 0 <= k + step <= len(condition.members):
                k += step
                cut = self.session.add_cut(total >= k if step < 0 else total <= k)
                ok = self.feasible()
                self.session.remove_cut(cut)
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
        """Bisect the rule's limit between its value and its loosest value."""
        limit = rule.limit
        assert limit is not None  # every rule but a condition has one
        current = limit.value
        good, bad = limit.loosest, current
        for _ in range(BISECTION_STEPS):
            middle = (good + bad) / 2
            with self.session.parameter(limit.param, middle):
                if self.feasible():
                    good = middle
                else:
                    bad = middle
        return Conflict(rule.location, rule.label, rule.kind, _fix_text(rule, current, good), good)


def _fix_text(rule: Rule, old: float, new: float) -> str:
    """The fix of a numeric rule in words: its limit moved from ``old`` to ``new``."""
    if rule.kind == "budget":
        return f"raise the budget from {old:,.1f} to {new:,.1f}"
    if rule.kind == "reciprocity":
        return f"lower the reciprocity ratio from {old:g} to {new:.4f}"
    word, what = ("raise", "cap") if rule.kind == "cap" else ("lower", "floor")
    return f"{word} the {rule.market} {what} from {old:.2%} to {new:.2%}"


class DiagnosisTimeoutError(TimeoutError):
    """The time limit stopped the diagnosis before its verdict."""


def diagnose(instance: Instance, time_limit: float | None = None) -> Diagnosis:
    """Say whether ``instance`` is feasible; if not, which rules conflict and the fix.

    ``time_limit`` (seconds) bounds the whole diagnosis: one feasibility solve, then
    one per rule and a bisection per numeric rule of the conflict. A diagnosis the
    limit stops raises :class:`DiagnosisTimeoutError` (a partial conflict set would
    name rules that are not in conflict).
    """
    limit = check_time_limit(time_limit)
    deadline = None if limit is None else time.monotonic() + limit
    diagnoser = _Diagnoser(check_instance(instance), deadline)
    if diagnoser.feasible():
        return Diagnosis(True, ())
    conflicts = tuple(diagnoser.fix(rule) for rule in diagnoser.conflict_set())
    return Diagnosis(False, conflicts)
