"""Scoring decision sets: objective, scenario values and the full Strategy.

The :class:`~advisor.results.Strategy` of a set of chosen requests and offers.

Every score is computed from the model's coefficients (:mod:`advisor.economics`),
not from the solver's values, so a strategy's numbers are those of its decisions
whatever the solver reported. "Binding" is defined so that it can be explained: a
rule binds a strategy when a single move (add or drop one decision, or switch a
sector to another tier) would raise the objective but break that rule; the rules
are the model's own (:class:`advisor.rules.RuleBook`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from advisor.economics import Coefficients
from advisor.instance import Instance
from advisor.results import (
    ChosenOffer,
    ChosenRequest,
    MarketOutcome,
    Strategy,
    tolerance,
)
from advisor.rules import RuleBook, label_order

# The binding-rule analysis tries every single move (n moves, each an O(n) check):
# above this many decisions it is skipped and the result says so.
BINDING_ANALYSIS_LIMIT = 400


def scenario_values(
    coef: Coefficients, instance: Instance, chosen: frozenset[str]
) -> dict[str, float]:
    """V_ω for every scenario, from the model's coefficients (objective units).

    V_ω = Σ_r a_r(y) w_s p_rω + Σ_j (v_j - λ d_j): protected value, what the
    offers' export changes are worth, and the weighted offer cost.
    """
    offers = [o for o in instance.offers if o.offer in chosen]
    net = sum(
        coef.effect_value[o.offer] - instance.offer_cost_weight * o.domestic_cost for o in offers
    )
    requests = [r.request for r in instance.requests if r.request in chosen]
    acceptance = {r: coef.acceptance_of(r, chosen) for r in requests}
    return {
        w: sum(acceptance[r] * coef.weighted_value[r, w] for r in requests) + net
        for w in coef.scenarios
    }


def expected_value(
    coef: Coefficients, values: Mapping[str, float], chosen: frozenset[str]
) -> float:
    """Σ_ω π_ω(y) V_ω plus the no-deal loss the offers' scenario shifts avoid.

    π_ω(y) are the probabilities the chosen offers leave (linkages); see
    :meth:`advisor.economics.Coefficients.risk_moved`.
    """
    probability = coef.probabilities_of(chosen)
    return sum(probability[w] * v for w, v in values.items()) + coef.risk_moved(chosen)


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
        return expected_value(coef, values, chosen)
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
    # the model's rules, for the binding analysis (None: no binding rules listed)
    rules: RuleBook | None = None
    # the instance's money scale: ties are relative to max(|z|, unit) (results.tolerance)
    unit: float = 1.0

    def objective_of(self, chosen: frozenset[str]) -> float:
        """The ranking objective of ``chosen``."""
        return objective_value(
            self.coefficients, self.instance, chosen, self.objective, self.scenario_optimum
        )

    def scenario_values(self, chosen: frozenset[str]) -> dict[str, float]:
        """V_ω of ``chosen`` in every scenario."""
        return scenario_values(self.coefficients, self.instance, chosen)

    def strategy(
        self, rank: int, chosen: frozenset[str], best: float, proven: bool = True, gap: float = 0.0
    ) -> Strategy:
        """The :class:`Strategy` of ``chosen``, at ``rank`` below a best objective ``best``."""
        inst, coef = self.instance, self.coefficients
        order = inst.decision_ids()
        decisions = tuple(d for d in order if d in chosen)
        values = scenario_values(coef, inst, chosen)
        probability = coef.probabilities_of(chosen)
        expected = expected_value(coef, values, chosen)
        regret = None
        if self.scenario_optimum is not None:
            regret = max(self.scenario_optimum[w] - v for w, v in values.items())
        requests = tuple(
            self._request(r, chosen, probability) for r in decisions if r in inst.request_by_id
        )
        offers = tuple(self._offer(j) for j in decisions if j in inst.offer_by_id)
        objective = self.objective_of(chosen)
        counterpart_value = sum(o.counterpart_value for o in offers)
        counterpart_cost = sum(r.counterpart_cost for r in requests)

        def protected(value: Mapping[tuple[str, str], float]) -> float:
            return sum(
                probability[w] * r.acceptance * value[r.request, w]
                for r in requests
                for w in coef.scenarios
            )

        return Strategy(
            rank=rank,
            decisions=decisions,
            objective=objective,
            expected_value=expected,
            worst_case_value=min(values.values()),
            regret=regret,
            scenario_values=dict(values),
            protected_value=protected(coef.protected_value),
            offer_cost=sum(o.domestic_cost for o in offers),
            counterpart_value=counterpart_value,
            counterpart_cost=counterpart_cost,
            reciprocity_balance=counterpart_value
            - inst.reciprocity_ratio * self._reciprocity_cost(chosen, counterpart_cost),
            markets=self._markets(chosen),
            requests=requests,
            offers=offers,
            conditions_triggered=triggered_conditions(inst, chosen),
            binding_constraints=self.binding(chosen, objective),
            gap_to_best=best - objective,
            proven_optimal=proven,
            mip_gap=gap,
            weighted_protected_value=protected(coef.weighted_value),
            offer_effect_value=sum(coef.effect_value[o.offer] for o in offers),
            scenario_probabilities=probability,
            risk_moved=coef.risk_moved(chosen),
        )

    def _reciprocity_cost(self, chosen: frozenset[str], expected: float) -> float:
        """The cost reciprocity weighs: expected, or the costliest scenario's."""
        if self.instance.reciprocity != "every_scenario":
            return expected
        coef = self.coefficients
        return max(
            sum(coef.counterpart_cost_in[r, w] for r in chosen if r in self.instance.request_by_id)
            for w in coef.scenarios
        )

    def _request(
        self, request_id: str, chosen: frozenset[str], probability: Mapping[str, float]
    ) -> ChosenRequest:
        """The request as listed: its acceptance given the offers, its expected terms.

        Protected value and counterpart cost are expected over the scenarios, under
        the probabilities the chosen offers leave (``probability``).
        """
        r = self.instance.request_by_id[request_id]
        coef = self.coefficients
        return ChosenRequest(
            request=r.request,
            sector=r.sector,
            sector_name=self.instance.sector_by_id[r.sector].name,
            tier=r.tier,
            tariff=r.tariff,
            acceptance=coef.acceptance_of(r.request, chosen),
            protected_value=sum(
                probability[w] * coef.protected_value[r.request, w] for w in coef.scenarios
            ),
            counterpart_cost=sum(
                probability[w] * coef.counterpart_cost_in[r.request, w] for w in coef.scenarios
            ),
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
                        coef.share_factor(r.request, chosen) * coef.protected_value[r.request, w]
                        for r in inst.requests
                        if r.request in chosen
                    )
                out[m.market, w] = value
        return out

    def _markets(self, chosen: frozenset[str]) -> tuple[MarketOutcome, ...]:
        """Each market's expected exports and share, and its share in every scenario."""
        coef, inst = self.coefficients, self.instance
        exports = self.market_exports(chosen)
        probability = coef.probabilities_of(chosen)
        totals = {w: sum(v for (_, s), v in exports.items() if s == w) for w in coef.scenarios}
        expected_total = sum(probability[w] * totals[w] for w in coef.scenarios)
        outcomes = []
        for m in inst.markets:
            expected = sum(probability[w] * exports[m.market, w] for w in coef.scenarios)
            shares = {
                w: exports[m.market, w] / totals[w] if totals[w] else 0.0 for w in coef.scenarios
            }
            limit, limit_share = _limit_of(inst, m.market)
            closest = None
            if limit_share is not None:
                closest = min(coef.scenarios, key=lambda w: abs(shares[w] - limit_share))
            outcomes.append(
                MarketOutcome(
                    market=m.market,
                    exports=expected,
                    share=expected / expected_total if expected_total else 0.0,
                    max_share=max(shares.values()),
                    scenario_shares=shares,
                    limit=limit,
                    limit_share=limit_share,
                    closest_scenario=closest,
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
        if self.rules is None or len(self.instance.decision_ids()) > BINDING_ANALYSIS_LIMIT:
            return ()
        floor = objective + tolerance(objective, self.unit)
        better = [m for m in self.moves(chosen) if self.objective_of(m) > floor]
        blocking: set[str] = set().union(*self.rules.violations_of_each(better))
        return tuple(sorted(blocking, key=label_order))


def _limit_of(instance: Instance, market: str) -> tuple[str | None, float | None]:
    """The cap (or, without one, the floor) on ``market``'s share, if any."""
    if market in instance.market_share_caps:
        return "cap", instance.market_share_caps[market]
    if market in instance.market_share_floors:
        return "floor", instance.market_share_floors[market]
    return None, None


def triggered_conditions(instance: Instance, chosen: frozenset[str]) -> tuple[str, ...]:
    """Conditions that constrain this strategy.

    A ``requires``, ``requires_one_of`` or ``excludes`` condition is triggered when
    its subject is chosen; an ``at_most`` or ``at_least`` one when its group is
    exactly at its count.
    """
    out = []
    for c in instance.conditions:
        if c.kind in ("at_most", "at_least"):
            hit = sum(instance.member_count(m, chosen) for m in c.members) == c.count
        else:
            hit = instance.member_count(c.subject, chosen) > 0
        if hit:
            out.append(c.condition)
    return tuple(out)
