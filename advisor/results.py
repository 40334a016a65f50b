"""Strategies and results: what a solve returns, scored and explained.

A :class:`Strategy` is one feasible package of requests and offers with every number
a negotiator asks about: its objective, the export value it protects, what it costs
at home, what it gives and costs the counterpart, the market shares after the deal
in every scenario, the conditions it triggers and the rules that bind it. A
:class:`Result` is the ranked list with the solver's status, and converts to a
pandas frame or a JSON-ready dict.

"Binding" is defined so that it can be explained: a rule binds a strategy when a
single move (add or drop one decision, or switch a sector to another tier) would
raise the objective but break that rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from advisor.checker import rule_violations
from advisor.economics import Coefficients
from advisor.instance import Instance
from advisor.solving.measures import ScenarioMeasures

OBJECTIVE_TOLERANCE = 1e-6
# The binding-rule analysis tries every single move (n moves, each an O(n) check):
# above this many decisions it is skipped and the result says so.
BINDING_ANALYSIS_LIMIT = 400


def tolerance(value: float) -> float:
    """Objectives closer than this to ``value`` count as tied."""
    return OBJECTIVE_TOLERANCE * max(1.0, abs(value))


@dataclass(frozen=True)
class ChosenRequest:
    request: str
    sector: str
    sector_name: str
    tier: str
    tariff: float
    acceptance: float
    protected_value: float
    counterpart_cost: float


@dataclass(frozen=True)
class ChosenOffer:
    offer: str
    name: str
    category: str
    counterpart_value: float
    domestic_cost: float


@dataclass(frozen=True)
class MarketOutcome:
    """A market's exports and share after the deal: expected, and its highest share."""

    market: str
    exports: float
    share: float
    max_share: float


@dataclass(frozen=True)
class Strategy:
    """One ranked package of requests and offers, with its scores.

    Money is in the instance's unit. ``protected_value`` is the expected protected
    export value (acceptance- and probability-weighted); ``objective`` is what the
    ranking maximises (see ``Result.objective``); ``scenario_values`` are each
    scenario's value (protected value minus the weighted offer cost).
    """

    rank: int
    decisions: tuple[str, ...]
    objective: float
    expected_value: float
    worst_case_value: float
    regret: float | None
    scenario_values: Mapping[str, float]
    protected_value: float
    offer_cost: float
    counterpart_value: float
    counterpart_cost: float
    reciprocity_balance: float
    markets: tuple[MarketOutcome, ...]
    requests: tuple[ChosenRequest, ...]
    offers: tuple[ChosenOffer, ...]
    conditions_triggered: tuple[str, ...]
    binding_constraints: tuple[str, ...]
    gap_to_best: float
    proven_optimal: bool = True
    mip_gap: float = 0.0

    @property
    def largest_market(self) -> MarketOutcome:
        return max(self.markets, key=lambda m: (m.share, m.market))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scenario_values"] = dict(self.scenario_values)
        data["decisions"] = list(self.decisions)
        data["market_shares"] = {m.market: m.share for m in self.markets}
        return data


def scenario_values(
    coef: Coefficients, instance: Instance, chosen: frozenset[str]
) -> dict[str, float]:
    """V_ω for every scenario, from the model's coefficients."""
    cost = sum(o.domestic_cost for o in instance.offers if o.offer in chosen)
    return {
        w: sum(coef.expected_value[r.request, w] for r in instance.requests if r.request in chosen)
        - instance.offer_cost_weight * cost
        for w in coef.scenarios
    }


def objective_value(
    coef: Coefficients,
    instance: Instance,
    chosen: frozenset[str],
    objective: str,
    scenario_optimum: Mapping[str, float] | None = None,
) -> float:
    """The ranking objective of a decision set (expected, worst_case or regret)."""
    values = scenario_values(coef, instance, chosen)
    if objective == "expected":
        return sum(coef.probability[w] * v for w, v in values.items())
    if objective == "worst_case":
        return min(values.values())
    if objective == "regret":
        assert scenario_optimum is not None
        return 0.0 - max(scenario_optimum[w] - v for w, v in values.items())
    raise ValueError(f"unknown objective {objective!r}")


@dataclass(frozen=True)
class Evaluator:
    """Scores decision sets of one instance under one objective."""

    instance: Instance
    coefficients: Coefficients
    objective: str
    scenario_optimum: Mapping[str, float] | None = None

    def objective_of(self, chosen: frozenset[str]) -> float:
        return objective_value(
            self.coefficients, self.instance, chosen, self.objective, self.scenario_optimum
        )

    def scenario_values(self, chosen: frozenset[str]) -> dict[str, float]:
        return scenario_values(self.coefficients, self.instance, chosen)

    def strategy(
        self, rank: int, chosen: frozenset[str], best: float, proven: bool = True, gap: float = 0.0
    ) -> Strategy:
        inst, coef = self.instance, self.coefficients
        order = inst.decision_ids()
        decisions = tuple(d for d in order if d in chosen)
        values = scenario_values(coef, inst, chosen)
        expected = sum(coef.probability[w] * v for w, v in values.items())
        regret = None
        if self.scenario_optimum is not None:
            regret = max(self.scenario_optimum[w] - v for w, v in values.items())
        requests = tuple(self._request(r) for r in decisions if r in inst.request_by_id)
        offers = tuple(self._offer(j) for j in decisions if j in inst.offer_by_id)
        objective = self.objective_of(chosen)
        counterpart_value = sum(o.counterpart_value for o in offers)
        counterpart_cost = sum(r.counterpart_cost for r in requests)
        return Strategy(
            rank=rank,
            decisions=decisions,
            objective=objective,
            expected_value=expected,
            worst_case_value=min(values.values()),
            regret=regret,
            scenario_values=dict(values),
            protected_value=sum(
                coef.probability[w] * coef.expected_value[r.request, w]
                for r in requests
                for w in coef.scenarios
            ),
            offer_cost=sum(o.domestic_cost for o in offers),
            counterpart_value=counterpart_value,
            counterpart_cost=counterpart_cost,
            reciprocity_balance=counterpart_value - inst.reciprocity_ratio * counterpart_cost,
            markets=self._markets(chosen),
            requests=requests,
            offers=offers,
            conditions_triggered=triggered_conditions(inst, chosen),
            binding_constraints=self.binding(chosen, objective),
            gap_to_best=best - objective,
            proven_optimal=proven,
            mip_gap=gap,
        )

    def _request(self, request_id: str) -> ChosenRequest:
        r = self.instance.request_by_id[request_id]
        coef = self.coefficients
        return ChosenRequest(
            request=r.request,
            sector=r.sector,
            sector_name=self.instance.sector_by_id[r.sector].name,
            tier=r.tier,
            tariff=r.tariff,
            acceptance=r.acceptance,
            protected_value=sum(
                coef.probability[w] * coef.protected_value[r.request, w] for w in coef.scenarios
            ),
            counterpart_cost=coef.counterpart_cost[r.request],
        )

    def _offer(self, offer_id: str) -> ChosenOffer:
        o = self.instance.offer_by_id[offer_id]
        return ChosenOffer(o.offer, o.name, o.category, o.counterpart_value, o.domestic_cost)

    def market_exports(self, chosen: frozenset[str]) -> dict[tuple[str, str], float]:
        """E_mω for every market and scenario, from the model's coefficients."""
        inst, coef = self.instance, self.coefficients
        out = {}
        for m in inst.markets:
            for w in coef.scenarios:
                value = coef.market_baseline[m.market, w]
                value += sum(coef.market_effect.get((j, m.market), 0.0) for j in chosen)
                if m.market == inst.counterpart:
                    value += sum(
                        coef.protected_value[r.request, w]
                        for r in inst.requests
                        if r.request in chosen
                    )
                out[m.market, w] = value
        return out

    def _markets(self, chosen: frozenset[str]) -> tuple[MarketOutcome, ...]:
        coef = self.coefficients
        exports = self.market_exports(chosen)
        totals = {w: sum(v for (_, s), v in exports.items() if s == w) for w in coef.scenarios}
        expected_total = sum(coef.probability[w] * totals[w] for w in coef.scenarios)
        outcomes = []
        for m in self.instance.markets:
            expected = sum(coef.probability[w] * exports[m.market, w] for w in coef.scenarios)
            outcomes.append(
                MarketOutcome(
                    market=m.market,
                    exports=expected,
                    share=expected / expected_total if expected_total else 0.0,
                    max_share=max(
                        exports[m.market, w] / totals[w] if totals[w] else 0.0
                        for w in coef.scenarios
                    ),
                )
            )
        return tuple(outcomes)

    def moves(self, chosen: frozenset[str]) -> Iterable[frozenset[str]]:
        """Every single move: add or drop one decision, or switch a sector's tier."""
        inst = self.instance
        tier_of_sector = {
            inst.request_by_id[d].sector: d for d in chosen if d in inst.request_by_id
        }
        for d in inst.decision_ids():
            if d in chosen:
                yield chosen - {d}
                continue
            request = inst.request_by_id.get(d)
            current = tier_of_sector.get(request.sector) if request else None
            yield (chosen - {current}) | {d} if current else chosen | {d}

    def binding(self, chosen: frozenset[str], objective: float) -> tuple[str, ...]:
        """Rules that block a single move which would raise the objective."""
        if len(self.instance.decision_ids()) > BINDING_ANALYSIS_LIMIT:
            return ()
        blocking: set[str] = set()
        for moved in self.moves(chosen):
            if self.objective_of(moved) > objective + tolerance(objective):
                blocking.update(rule_violations(self.instance, moved))
        return tuple(sorted(blocking, key=_rule_order))


def _rule_order(rule: str) -> tuple[int, str]:
    prefixes = ("reciprocity", "domestic budget", "market share", "condition", "one tier")
    index = next((i for i, p in enumerate(prefixes) if rule.startswith(p)), len(prefixes))
    return index, rule


def triggered_conditions(instance: Instance, chosen: frozenset[str]) -> tuple[str, ...]:
    """Conditions that constrain this strategy.

    A ``requires``, ``requires_one_of`` or ``excludes`` condition is triggered when
    its subject is chosen; an ``at_most`` or ``at_least`` one when its group is
    exactly at its count.
    """

    def chosen_count(member: str) -> int:
        if member in instance.sector_by_id:
            return sum(1 for r in instance.tiers_by_sector[member] if r in chosen)
        return int(member in chosen)

    out = []
    for c in instance.conditions:
        if c.kind in ("at_most", "at_least"):
            hit = sum(chosen_count(m) for m in c.members) == c.count
        else:
            hit = chosen_count(c.subject) > 0
        if hit:
            out.append(c.condition)
    return tuple(out)


@dataclass(frozen=True)
class SolverInfo:
    name: str
    version: str
    time_s: float
    gap: float
    solves: int
    search: str = "cuts"  # "cuts" (no-good cuts) or "packages" (advisor.solving.packages)


@dataclass(frozen=True)
class Result:
    """The ranked strategy list of one solve.

    ``status``: ``optimal`` (every listed strategy proven best of those left),
    ``exhausted`` (fewer feasible strategies than asked for; all listed),
    ``time_limit`` (stopped by the time limit: what was found is listed),
    ``gap`` (solved to a MIP gap above 0), ``infeasible`` (no strategy satisfies
    the rules). ``warnings`` says what a reader must know (ties cut short, ...).
    """

    instance: Instance
    objective: str
    status: str
    strategies: tuple[Strategy, ...]
    solver: SolverInfo
    top: int
    min_difference: int
    mip_gap: float
    distinct_on: str = "all"
    scenario_optimum: Mapping[str, float] | None = None
    scenario_measures: ScenarioMeasures | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.strategies)

    def __getitem__(self, index: int) -> Strategy:
        return self.strategies[index]

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy: scores, market shares and the decisions in words."""
        rows = []
        for s in self.strategies:
            largest = s.largest_market
            row: dict[str, Any] = {
                "rank": s.rank,
                "objective": s.objective,
                "expected_value": s.expected_value,
                "worst_case_value": s.worst_case_value,
                "regret": s.regret,
                "protected_value": s.protected_value,
                "offer_cost": s.offer_cost,
                "counterpart_value": s.counterpart_value,
                "counterpart_cost": s.counterpart_cost,
                "reciprocity_balance": s.reciprocity_balance,
                "largest_market": largest.market,
                "largest_market_share": largest.share,
                "gap_to_best": s.gap_to_best,
                "requests": "; ".join(r.request for r in s.requests),
                "offers": "; ".join(o.offer for o in s.offers),
                "conditions_triggered": "; ".join(s.conditions_triggered),
                "binding_constraints": "; ".join(s.binding_constraints),
            }
            row.update({f"share_{m.market}": m.share for m in s.markets})
            row.update({f"value_{w}": v for w, v in s.scenario_values.items()})
            rows.append(row)
        return pd.DataFrame(rows).set_index("rank") if rows else pd.DataFrame()

    def to_dict(self, timing: bool = False) -> dict[str, Any]:
        """A JSON-ready dict; with ``timing=False`` (default) it is identical run to run."""
        solver = asdict(self.solver)
        if not timing:
            solver.pop("time_s")
        return {
            "instance": self.instance.name,
            "path": self.instance.path,
            "currency": self.instance.currency,
            "unit": self.instance.unit,
            "objective": self.objective,
            "status": self.status,
            "solver": solver,
            "settings": {
                "top": self.top,
                "min_difference": self.min_difference,
                "mip_gap": self.mip_gap,
                "distinct_on": self.distinct_on,
            },
            "scenarios": [
                {
                    "name": w.name,
                    "probability": w.probability,
                    "description": w.description,
                    "optimum": None
                    if self.scenario_optimum is None
                    else self.scenario_optimum[w.name],
                }
                for w in self.instance.scenarios
            ],
            "scenario_measures": None
            if self.scenario_measures is None
            else asdict(self.scenario_measures),
            "warnings": list(self.warnings),
            "strategies": [s.to_dict() for s in self.strategies],
        }
