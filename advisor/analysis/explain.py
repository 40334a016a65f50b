"""Why this strategy: what each decision is worth and what each rule costs.

A negotiator must defend a recommendation. For a strategy of a ranking (rank 1 by
default) this module answers, by re-solving the same persistent model:

- **Decision values.** For every request and offer d: the objective of the best
  strategy with d flipped (forced out if chosen, forced in if not) and everything
  else free, z_d. Its ``change`` is z_d − z (z the explained strategy's objective):
  for a chosen offer, what dropping it loses, and ``then`` says how the best
  package rearranges (e.g. "− TEL_perm0": the offer was what unlocked that tier).
- **Rule prices.** For each rule (reciprocity, budget, each market-share cap and
  floor, each treaty condition): the optimum with the rule removed, and for the
  numeric limits also relaxed by one unit (one money unit of budget, one
  percentage point of share, 0.1 of the reciprocity ratio) and by 10%, each minus
  the optimum z*: what the rule costs home.
- **LP marginal values.** The duals of the numeric limits in the LP relaxation
  (binaries relaxed to [0, 1]). In this model every variable is a decision binary,
  so with the binaries fixed at the strategy all duals are zero; the relaxation's
  duals are the indicative marginal values, labelled as such. The re-solves above
  are the exact prices.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import pyomo.environ as pyo
from pyomo.contrib.solver.solvers.highs import Highs

from advisor.economics import compute_coefficients
from advisor.model import build_model
from advisor.results import Evaluator, Result, Strategy
from advisor.rules import Rule, model_rules
from advisor.solving.pipeline import PersistentRanker, quiet_stdout


@dataclass(frozen=True)
class DecisionValue:
    """The best objective with one decision flipped, and how the package changes."""

    decision: str
    kind: str
    name: str
    chosen: bool
    objective_if_flipped: float | None
    change: float | None
    then_added: tuple[str, ...]
    then_dropped: tuple[str, ...]

    @property
    def summary(self) -> str:
        verb = "dropping" if self.chosen else "adding"
        if self.objective_if_flipped is None:
            return f"{verb} {self.decision}: no feasible strategy"
        moves = [f"+{d}" for d in self.then_added] + [f"-{d}" for d in self.then_dropped]
        tail = f" (then {', '.join(moves)})" if moves else ""
        return f"{verb} {self.decision}: {self.change:+,.1f}{tail}"


@dataclass(frozen=True)
class RulePrice:
    """What a rule costs home: the optimum gained by removing or relaxing it."""

    rule: str
    location: str
    kind: str
    removed: float | None
    relaxed_one_unit: float | None
    relaxed_10pct: float | None
    lp_marginal_value: float | None


@dataclass(frozen=True)
class Explanation:
    """Decision values and rule prices for one strategy."""

    rank: int
    strategy: Strategy
    optimum: float
    decisions: tuple[DecisionValue, ...]
    rules: tuple[RulePrice, ...]
    money: str

    def to_frame(self) -> pd.DataFrame:
        """Decision values, one row per decision, sorted by |change|."""
        rows = [asdict(d) for d in self.decisions]
        for row, d in zip(rows, self.decisions, strict=True):
            row["then_added"] = "; ".join(d.then_added)
            row["then_dropped"] = "; ".join(d.then_dropped)
        return pd.DataFrame(rows).set_index("decision") if rows else pd.DataFrame()

    def rules_frame(self) -> pd.DataFrame:
        """Rule prices, one row per rule."""
        rows = [asdict(r) for r in self.rules]
        return pd.DataFrame(rows).set_index("rule") if rows else pd.DataFrame()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "objective": self.strategy.objective,
            "optimum": self.optimum,
            "money": self.money,
            "decisions": [asdict(d) | {"summary": d.summary} for d in self.decisions],
            "rules": [asdict(r) for r in self.rules],
        }


class _Explainer:
    """One model and persistent solver, re-solved with one thing changed at a time."""

    def __init__(self, result: Result) -> None:
        instance = result.instance
        self.instance = instance
        coefficients = compute_coefficients(instance)
        optima = dict(result.scenario_optimum) if result.scenario_optimum else None
        self.model = build_model(instance, coefficients, result.objective, optima)
        self.evaluator = Evaluator(instance, coefficients, result.objective, optima)
        self.ranker = PersistentRanker(self.model, self.evaluator, 0.0, None, None)

    def best(self) -> frozenset[str] | None:
        solution = self.ranker.solve()
        return None if solution is None else solution.chosen

    def objective(self, chosen: frozenset[str] | None) -> float | None:
        return None if chosen is None else self.evaluator.objective_of(chosen)

    def decision_value(self, decision: str, strategy: Strategy) -> DecisionValue:
        chosen = frozenset(strategy.decisions)
        inside = decision in chosen
        with self.ranker.fixed(decision, 0 if inside else 1):
            flipped = self.best()
        value = self.objective(flipped)
        inst = self.instance
        kind = "request" if decision in inst.request_by_id else "offer"
        name = (
            f"{inst.sector_by_id[inst.request_by_id[decision].sector].name}: "
            f"{inst.request_by_id[decision].tier}"
            if kind == "request"
            else inst.offer_by_id[decision].name
        )
        order = inst.decision_ids()
        others = (flipped or frozenset()) ^ {decision}
        return DecisionValue(
            decision=decision,
            kind=kind,
            name=name,
            chosen=inside,
            objective_if_flipped=value,
            change=None if value is None else value - strategy.objective,
            then_added=tuple(d for d in order if d in others - chosen) if flipped else (),
            then_dropped=tuple(d for d in order if d in chosen - others) if flipped else (),
        )

    def rule_price(self, rule: Rule, optimum: float, marginal: float | None) -> RulePrice:
        with self.ranker.without(rule.constraints):
            removed = self.objective(self.best())
        one = ten = None
        relax = self._relaxations(rule)
        if relax is not None:
            param, unit, ten_percent = relax
            with self.ranker.parameter(param, unit):
                one = self.objective(self.best())
            with self.ranker.parameter(param, ten_percent):
                ten = self.objective(self.best())

        def gain(value: float | None) -> float | None:
            return None if value is None else value - optimum

        return RulePrice(
            rule.label, rule.location, rule.kind, gain(removed), gain(one), gain(ten), marginal
        )

    def _relaxations(self, rule: Rule) -> tuple[Any, float, float] | None:
        """The parameter of a numeric rule and its values relaxed by a unit and by 10%."""
        m = self.model
        if rule.kind == "reciprocity":
            rho = pyo.value(m.reciprocity_ratio)
            return m.reciprocity_ratio, max(0.0, rho - 0.1), rho * 0.9
        if rule.kind == "budget":
            budget = pyo.value(m.domestic_budget)
            return m.domestic_budget, budget + 1.0, budget * 1.1
        if rule.kind not in ("cap", "floor"):
            return None
        market = rule.key.split(".", 1)[1]
        if rule.kind == "cap":
            cap = pyo.value(m.market_share_cap[market])
            return m.market_share_cap[market], min(1.0, cap + 0.01), min(1.0, cap * 1.1)
        if rule.kind == "floor":
            floor = pyo.value(m.market_share_floor[market])
            return m.market_share_floor[market], max(0.0, floor - 0.01), floor * 0.9


def lp_marginal_values(result: Result) -> dict[str, float]:
    """Duals of the numeric limits in the LP relaxation, by rule location.

    The dual of a rule with several rows (a cap in every scenario) is their sum,
    taken in absolute value. Each is per unit of the row as the model writes it:
    the budget row ``Σ d_j y_j ≤ B`` gives money per money unit of budget; the
    reciprocity row ``Σ g_j y_j − ρ Σ c_r x_r ≥ 0`` money per money unit of
    counterpart balance; a share row ``E_m − s_m Σ E ≤ 0`` (or ``≥ 0``) money per
    money unit of the market's exports beyond the share limit. They are not per
    unit of the ratio or the share (the exact one-step prices are the re-solves).
    """
    instance = result.instance
    coefficients = compute_coefficients(instance)
    optima = dict(result.scenario_optimum) if result.scenario_optimum else None
    model = build_model(instance, coefficients, result.objective, optima)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    opt = Highs()
    with quiet_stdout():
        results = opt.solve(model, load_solutions=False, raise_exception_on_nonoptimal_result=False)
    out: dict[str, float] = {}
    with contextlib.suppress(Exception):
        duals = results.solution_loader.get_duals()
        for rule in model_rules(model, instance):
            if rule.kind != "condition":
                out[rule.location] = abs(sum(duals.get(c, 0.0) for c in rule.constraints))
    return out


def explain(result: Result, rank: int = 1) -> Explanation:
    """Explain strategy ``rank`` of ``result``: decision values and rule prices."""
    if not result.strategies:
        raise ValueError(f"nothing to explain: the result's status is '{result.status}'")
    if not 1 <= rank <= len(result.strategies):
        raise ValueError(f"rank must be between 1 and {len(result.strategies)}, got {rank}")
    strategy = result.strategies[rank - 1]
    explainer = _Explainer(result)
    optimum = result.strategies[0].objective
    decisions = [explainer.decision_value(d, strategy) for d in result.instance.decision_ids()]
    # essential decisions first (no strategy without them), then by |change|, largest
    # first (for rank 1 every change is <= 0), decisions that cannot be added last
    decisions.sort(
        key=lambda d: (
            0 if d.change is None and d.chosen else 2 if d.change is None else 1,
            -abs(d.change or 0.0),
        )
    )
    marginal = lp_marginal_values(result)
    rules = tuple(
        explainer.rule_price(rule, optimum, marginal.get(rule.location))
        for rule in model_rules(explainer.model, result.instance)
    )
    return Explanation(rank, strategy, optimum, tuple(decisions), rules, result.instance.money)
