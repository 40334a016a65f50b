"""An independent checker: every rule and every score of a strategy, without Pyomo.

Given an instance and a set of chosen decisions (request and offer ids), this module
recomputes, from the instance's raw numbers and its own implementation of the
constant-elasticity formula, every rule of the negotiation (one tier per sector,
reciprocity, budget, each condition, each market-share cap and floor in every
scenario) and every score a strategy reports. It shares nothing with the model or
the economics module, so a bug in either shows up as a disagreement here. The tests
run it on every strategy the solver returns; the report uses :func:`rule_violations`
to say which rules block a better move.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from advisor.instance import Instance, Scenario

RULE_TOLERANCE = 1e-7


def _exports(x0: float, t0: float, t: float, sigma: float) -> float:
    return x0 * ((1 + t) / (1 + t0)) ** -sigma


def _terms(
    instance: Instance, sector_id: str, scenario: Scenario
) -> tuple[float, float, float, float]:
    s = instance.sector_by_id[sector_id]
    return (
        s.exports,
        scenario.current_tariff.get(sector_id, s.current_tariff),
        scenario.threat_tariff.get(sector_id, s.threat_tariff),
        scenario.elasticity.get(sector_id, s.elasticity),
    )


def _protected(instance: Instance, request_id: str, scenario: Scenario) -> float:
    r = instance.request_by_id[request_id]
    x0, t0, threat, sigma = _terms(instance, r.sector, scenario)
    granted = min(r.tariff, threat)
    return _exports(x0, t0, granted, sigma) - _exports(x0, t0, threat, sigma)


def _counterpart_cost(instance: Instance, request_id: str) -> float:
    r = instance.request_by_id[request_id]
    if r.counterpart_cost is not None:
        return r.counterpart_cost
    sensitivity = instance.sector_by_id[r.sector].sensitivity
    total = 0.0
    for w in instance.scenarios:
        x0, t0, threat, sigma = _terms(instance, r.sector, w)
        granted = min(r.tariff, threat)
        revenue_lost = threat * _exports(x0, t0, threat, sigma) - granted * _exports(
            x0, t0, granted, sigma
        )
        total += w.probability * instance.counterpart_cost_weight * sensitivity * revenue_lost
    return total


@dataclass(frozen=True)
class Scores:
    """A strategy's numbers, recomputed from scratch."""

    scenario_values: dict[str, float]
    expected_value: float
    worst_case_value: float
    protected_value: float
    offer_cost: float
    counterpart_value: float
    counterpart_cost: float
    market_exports: dict[tuple[str, str], float]


def _member_value(instance: Instance, chosen: frozenset[str], member: str) -> int:
    if member in instance.sector_by_id:
        return sum(1 for r in instance.tiers_by_sector[member] if r in chosen)
    return int(member in chosen)


def market_exports(
    instance: Instance, chosen: frozenset[str], scenario: Scenario
) -> dict[str, float]:
    """Exports to every market after the deal, in one scenario."""
    out = {}
    for m in instance.markets:
        value = m.exports
        if m.market == instance.counterpart:
            for s in instance.sectors:
                x0, t0, threat, sigma = _terms(instance, s.sector, scenario)
                value -= x0 - _exports(x0, t0, threat, sigma)
            value += sum(
                _protected(instance, r, scenario) for r in chosen if r in instance.request_by_id
            )
        value += sum(
            e.export_change
            for e in instance.offer_effects
            if e.market == m.market and e.offer in chosen
        )
        out[m.market] = value
    return out


def scores(instance: Instance, decisions: Iterable[str]) -> Scores:
    """Every score of the strategy that makes ``decisions``."""
    chosen = frozenset(decisions)
    requests = [r for r in instance.requests if r.request in chosen]
    offers = [o for o in instance.offers if o.offer in chosen]
    offer_cost = sum(o.domestic_cost for o in offers)
    values, exports = {}, {}
    protected = 0.0
    for w in instance.scenarios:
        kept = sum(r.acceptance * _protected(instance, r.request, w) for r in requests)
        protected += w.probability * kept
        values[w.name] = kept - instance.offer_cost_weight * offer_cost
        for market, value in market_exports(instance, chosen, w).items():
            exports[market, w.name] = value
    return Scores(
        scenario_values=values,
        expected_value=sum(w.probability * values[w.name] for w in instance.scenarios),
        worst_case_value=min(values.values()),
        protected_value=protected,
        offer_cost=offer_cost,
        counterpart_value=sum(o.counterpart_value for o in offers),
        counterpart_cost=sum(_counterpart_cost(instance, r.request) for r in requests),
        market_exports=exports,
    )


def rule_violations(instance: Instance, decisions: Iterable[str]) -> list[str]:
    """The rules the decisions break, in words; empty if the strategy is feasible."""
    chosen = frozenset(decisions)
    broken: list[str] = []
    unknown = chosen - set(instance.request_by_id) - set(instance.offer_by_id)
    if unknown:
        broken.append(f"unknown decisions: {', '.join(sorted(unknown))}")
    for s in instance.sectors:
        if _member_value(instance, chosen, s.sector) > 1:
            broken.append(f"one tier per sector: {s.sector}")
    sc = scores(instance, chosen)
    scale = max(1.0, sc.counterpart_value, sc.counterpart_cost)
    if (
        sc.counterpart_value
        < instance.reciprocity_ratio * sc.counterpart_cost - RULE_TOLERANCE * scale
    ):
        broken.append("reciprocity")
    budget = instance.domestic_budget
    if budget is not None and sc.offer_cost > budget + RULE_TOLERANCE * max(1.0, budget):
        broken.append("domestic budget")
    for c in instance.conditions:
        if not _condition_holds(instance, chosen, c.kind, c.members, c.count):
            broken.append(f"condition {c.condition}")
    for w in instance.scenarios:
        broken += _share_violations(instance, sc, w.name)
    return broken


def _share_violations(instance: Instance, sc: Scores, scenario: str) -> list[str]:
    """The market-share caps and floors broken in one scenario."""
    broken = []
    total = sum(sc.market_exports[m.market, scenario] for m in instance.markets)
    tol = RULE_TOLERANCE * max(1.0, abs(total))
    for market, cap in instance.market_share_caps.items():
        if sc.market_exports[market, scenario] > cap * total + tol:
            broken.append(f"market share cap {market} [{scenario}]")
    for market, floor in instance.market_share_floors.items():
        if sc.market_exports[market, scenario] < floor * total - tol:
            broken.append(f"market share floor {market} [{scenario}]")
    return broken


def _condition_holds(
    instance: Instance,
    chosen: frozenset[str],
    kind: str,
    members: tuple[str, ...],
    count: int | None,
) -> bool:
    values = [_member_value(instance, chosen, m) for m in members]
    subject, objects = values[0], values[1:]
    if kind == "requires":
        return all(subject <= v for v in objects)
    if kind == "requires_one_of":
        return subject <= sum(objects)
    if kind == "excludes":
        return all(subject + v <= 1 for v in objects)
    if kind == "at_most":
        return sum(values) <= (count or 0)
    if kind == "at_least":
        return sum(values) >= (count or 0)
    raise ValueError(f"unknown condition kind {kind!r}")
