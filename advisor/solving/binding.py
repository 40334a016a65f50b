"""Which rules bind the advice: those whose removal would raise the best objective.

A strategy's single-move analysis (:meth:`advisor.evaluation.Evaluator.binding`)
names every rule that blocks a better move from it: the *candidates*. A cap with
slack can block a move (the move would overshoot it) without costing the advice
anything, so a candidate is reported as binding only when it matters to the best
strategy too:

    rule R binds ⇔ z*(rules without R) > z* + tol(z*)

with z* the ranking's best objective and tol the tie tolerance
(:func:`advisor.results.tolerance`). Removing a rule loosens it at least as much
as relaxing it one step, so a rule whose one-step relaxation would raise z* is
among those found. Each candidate costs one MILP solve, on a fresh session (the
ranking's session carries its no-good cuts). The one-tier-per-sector rows define
what a request tier is and are never listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from advisor.instance import Instance
from advisor.results import Strategy, tolerance
from advisor.rules import Rule
from advisor.solving.session import open_session


def rule_of_label(rules: Iterable[Rule], label: str) -> Rule | None:
    """The rule a violation label belongs to (None: one tier per sector)."""
    for rule in rules:
        if rule.kind == "reciprocity" and label.startswith("reciprocity"):
            return rule
        if rule.kind == "budget" and label == "domestic budget":
            return rule
        if rule.kind in ("cap", "floor"):
            word = "cap" if rule.kind == "cap" else "floor"
            if label.startswith(f"market share {word} {rule.market} ["):
                return rule
        if rule.kind == "condition" and label == f"condition {rule.key}":
            return rule
    return None


def binding_locations(
    instance: Instance,
    objective: str,
    optima: Mapping[str, float] | None,
    best: float,
    labels: Iterable[str],
    deadline: float | None,
    threads: int | None,
) -> set[str]:
    """The locations (``file: key``) of the candidate rules that bind the best objective.

    A solve stopped by the deadline keeps its rule (listed, as before this check).
    """
    session = open_session(
        instance, objective, optima, deadline=deadline, threads=threads, binding=False
    )
    candidates: dict[str, Rule] = {}
    for label in labels:
        rule = rule_of_label(session.rules, label)
        if rule is not None:
            candidates.setdefault(rule.location, rule)
    floor = best + tolerance(best, session.model.scales.objective)
    out = set()
    for location, rule in candidates.items():
        with session.without(rule.constraints):
            solution = session.solve()
        if solution is None or solution.objective > floor:
            out.add(location)
    return out


def keep_binding(strategy: Strategy, rules: Iterable[Rule], binding: set[str]) -> Strategy:
    """The strategy with only the labels of rules in ``binding`` (by location)."""
    kept = []
    for label in strategy.binding_constraints:
        rule = rule_of_label(rules, label)
        if rule is not None and rule.location in binding:
            kept.append(label)
    return replace(strategy, binding_constraints=tuple(kept))
