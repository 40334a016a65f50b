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


def _cost_in(instance: Instance, request_id: str, scenario: Scenario) -> float:
    """The counterpart's cost of granting a request in one scenario."""
    r = instance.request_by_id[request_id]
    if r.counterpart_cost is not None:
        return r.counterpart_cost
    sensitivity = instance.sector_by_id[r.sector].sensitivity
    x0, t0, threat, sigma = _terms(instance, r.sector, scenario)
    granted = min(r.tariff, threat)
    revenue_lost = threat * _exports(x0, t0, threat, sigma) - granted * _exports(
        x0, t0, granted, sigma
    )
    return instance.counterpart_cost_weight * sensitivity * revenue_lost


def probabilities(instance: Instance, chosen: frozenset[str]) -> dict[str, float]:
    """Scenario probabilities once the chosen offers' scenario linkages apply."""
    out = {w.name: w.probability for w in instance.scenarios}
    for link in instance.linkages:
        if link.effect == "scenario" and link.offer in chosen:
            out[link.target] -= link.value
            out[link.to] += link.value
    return out


def acceptance(instance: Instance, request_id: str, chosen: frozenset[str]) -> float:
    """A request's acceptance: the highest of its own and its chosen linkages' levels."""
    levels = [instance.request_by_id[request_id].acceptance]
    levels += [
        link.value
        for link in instance.linkages
        if link.effect == "acceptance" and link.target == request_id and link.offer in chosen
    ]
    return max(levels)


def _risk_moved(instance: Instance, chosen: frozenset[str]) -> float:
    """The no-deal loss the chosen offers' scenario shifts avoid (value-weighted)."""

    def risk(name: str) -> float:
        scenario = next(w for w in instance.scenarios if w.name == name)
        total = 0.0
        for s in instance.sectors:
            x0, t0, threat, sigma = _terms(instance, s.sector, scenario)
            total += s.value_weight * (
                _exports(x0, t0, t0, sigma) - _exports(x0, t0, threat, sigma)
            )
        return total

    return sum(
        link.value * (risk(link.target) - risk(link.to))
        for link in instance.linkages
        if link.effect == "scenario" and link.offer in chosen
    )


def _effects_value(instance: Instance, offers: list[str]) -> float:
    """What the chosen offers' export changes are worth to home (value-weighted)."""
    if not instance.offer_effects_in_objective:
        return 0.0
    total_exports = sum(s.exports for s in instance.sectors)
    mean_weight = (
        sum(s.exports * s.value_weight for s in instance.sectors) / total_exports
        if total_exports
        else 1.0
    )
    return sum(
        (mean_weight if e.value_weight is None else e.value_weight) * e.export_change
        for e in instance.offer_effects
        if e.offer in offers
    )


@dataclass(frozen=True)
class Scores:
    """A strategy's numbers, recomputed from scratch."""

    scenario_values: dict[str, float]
    probabilities: dict[str, float]
    expected_value: float
    worst_case_value: float
    protected_value: float
    offer_cost: float
    counterpart_value: float
    counterpart_cost: float
    counterpart_cost_in: dict[str, float]
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
                (acceptance(instance, r, chosen) if instance.shares == "expected" else 1.0)
                * _protected(instance, r, scenario)
                for r in chosen
                if r in instance.request_by_id
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
    offers_net = _effects_value(instance, [o.offer for o in offers])
    offers_net -= instance.offer_cost_weight * offer_cost
    prob = probabilities(instance, chosen)
    values, exports, cost_in = {}, {}, {}
    protected = 0.0
    for w in instance.scenarios:
        kept = sum(
            acceptance(instance, r.request, chosen) * _protected(instance, r.request, w)
            for r in requests
        )
        weighted = sum(
            acceptance(instance, r.request, chosen)
            * instance.sector_by_id[r.sector].value_weight
            * _protected(instance, r.request, w)
            for r in requests
        )
        protected += prob[w.name] * kept
        values[w.name] = weighted + offers_net
        cost_in[w.name] = sum(_cost_in(instance, r.request, w) for r in requests)
        for market, value in market_exports(instance, chosen, w).items():
            exports[market, w.name] = value
    return Scores(
        scenario_values=values,
        probabilities=prob,
        expected_value=sum(prob[w] * v for w, v in values.items()) + _risk_moved(instance, chosen),
        worst_case_value=min(values.values()),
        protected_value=protected,
        offer_cost=offer_cost,
        counterpart_value=sum(o.counterpart_value for o in offers),
        counterpart_cost=sum(prob[w] * c for w, c in cost_in.items()),
        counterpart_cost_in=cost_in,
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
    broken += _reciprocity_violations(instance, sc)
    budget = instance.domestic_budget
    if budget is not None and sc.offer_cost > budget + RULE_TOLERANCE * max(1.0, budget):
        broken.append("domestic budget")
    for c in instance.conditions:
        if not _condition_holds(instance, chosen, c.kind, c.members, c.count):
            broken.append(f"condition {c.condition}")
    for w in instance.scenarios:
        broken += _share_violations(instance, sc, w.name)
    return broken


def _reciprocity_violations(instance: Instance, sc: Scores) -> list[str]:
    """Reciprocity in expectation (``reciprocity``) or per scenario (``reciprocity [ω]``)."""
    if instance.reciprocity == "every_scenario":
        costs = {f"reciprocity [{w}]": c for w, c in sc.counterpart_cost_in.items()}
    else:
        costs = {"reciprocity": sc.counterpart_cost}
    broken = []
    for label, cost in costs.items():
        scale = max(1.0, sc.counterpart_value, cost)
        if sc.counterpart_value < instance.reciprocity_ratio * cost - RULE_TOLERANCE * scale:
            broken.append(label)
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
