"""The economics, checked against numbers worked out by hand.

Every expected value below is derived in the comment next to it from
X(t) = X0 ((1 + t) / (1 + t0)) ** -sigma, with round inputs so the arithmetic can be
done on paper. The last tests check that the independent checker, the strategy scores
and the economics module agree with each other on random instances.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from helpers import assert_reports_the_scores
from randinst import (
    enumerate_instance,
    linear_form,
    linkage_terms,
    make_instance,
    random_instance,
)

from advisor import checker
from advisor.economics import (
    SectorTerms,
    compute_coefficients,
    counterpart_cost,
    exports_at_tariff,
    sector_terms,
)
from advisor.evaluation import Evaluator, objective_value
from advisor.instance import Market, Offer, OfferEffect, RequestTier, Scenario, Sector

approx = pytest.approx

# ----------------------------------------------------------------- the elasticity curve


def test_exports_at_tariff_hand_case():
    # X0 = 100 at 0%, sigma 1: X(100%) = 100 / 2 = 50, X(25%) = 100 / 1.25 = 80
    assert exports_at_tariff(100.0, 0.0, 1.0, 1.0) == approx(50.0)
    assert exports_at_tariff(100.0, 0.0, 0.25, 1.0) == approx(80.0)
    assert exports_at_tariff(100.0, 0.0, 0.0, 1.0) == approx(100.0)
    # sigma 2: X(25%) = 100 / 1.25^2 = 64; X(100%) = 100 / 4 = 25
    assert exports_at_tariff(100.0, 0.0, 0.25, 2.0) == approx(64.0)
    assert exports_at_tariff(100.0, 0.0, 1.0, 2.0) == approx(25.0)
    # a current tariff of 10%: 21% is a step of 1.21 / 1.1 = 1.1, so X = 100 / 1.1^2
    assert exports_at_tariff(100.0, 0.10, 0.21, 2.0) == approx(100.0 / 1.21)
    # at the current tariff nothing changes
    assert exports_at_tariff(123.0, 0.19, 0.19, 1.7) == approx(123.0)


def test_facts_file_check():
    # facts file: 19% with sigma 1.23 cuts volume by ~19% (1.19^-1.23 = 0.8074)
    assert exports_at_tariff(1.0, 0.0, 0.19, 1.23) == approx(0.8074, abs=5e-4)
    assert 1 - exports_at_tariff(1.0, 0.0, 0.19, 1.23) == approx(0.19, abs=0.01)
    # and 100% by ~57% (2^-1.23 = 0.4263)
    assert exports_at_tariff(1.0, 0.0, 1.0, 1.23) == approx(0.4263, abs=5e-4)
    assert 1 - exports_at_tariff(1.0, 0.0, 1.0, 1.23) == approx(0.57, abs=0.01)


# ------------------------------------------------------------------ a sector's terms

TERMS = SectorTerms(exports=100.0, current_tariff=0.0, threat_tariff=1.0, elasticity=1.0)


def test_value_at_risk():
    # X(0) - X(100%) = 100 - 50
    assert TERMS.value_at_risk == approx(50.0)


def test_protected_value_of_tiers():
    # tier at 25%: X(25%) - X(100%) = 80 - 50 = 30
    assert TERMS.protected_value(0.25) == approx(30.0)
    # tier at 0%: 100 - 50 = 50, the whole value at risk
    assert TERMS.protected_value(0.0) == approx(50.0)
    # tier at the threat: nothing
    assert TERMS.protected_value(1.0) == approx(0.0)


def test_tier_above_the_threat_protects_nothing():
    # effective tariff min(150%, 100%) = 100%: X(100%) - X(100%) = 0, never negative
    assert TERMS.effective_tariff(1.5) == 1.0
    assert TERMS.protected_value(1.5) == 0.0
    assert TERMS.forgone_revenue(1.5) == 0.0


def test_forgone_revenue():
    # threat * X(threat) - t * X(t) = 1.0 * 50 - 0.25 * 80 = 30
    assert TERMS.forgone_revenue(0.25) == approx(30.0)
    # 0%: the whole threatened revenue 1.0 * 50
    assert TERMS.forgone_revenue(0.0) == approx(50.0)


def test_forgone_revenue_negative_beyond_revenue_maximum():
    # sigma 3: revenue-maximising tariff 1/(3-1) = 50%. Threat 100%: 1.0 * 100/8 = 12.5;
    # at 50%: 0.5 * 100/1.5^3 = 14.81; forgone = 12.5 - 14.81 = -2.31 (revenue rises)
    terms = SectorTerms(100.0, 0.0, 1.0, 3.0)
    assert terms.forgone_revenue(0.5) == approx(12.5 - 0.5 * 100 / 3.375)
    assert terms.forgone_revenue(0.5) < 0


# ------------------------------------------------------ a hand instance, one scenario

SECTOR_A = Sector("A", "sector A", "", 100.0, 0.0, 1.0, 1.0)
SECTOR_B = Sector("B", "sector B", "", 200.0, 0.0, 1.0, 2.0, sensitivity=0.5)
REQUESTS = [
    RequestTier("A0", "A", "0%", 0.0),
    RequestTier("A25", "A", "25%", 0.25, acceptance=0.5),
    RequestTier("A150", "A", "150%", 1.5),
    RequestTier("B25", "B", "25%", 0.25),
    RequestTier("B0", "B", "0%", 0.0, counterpart_cost=7.0),
]
OFFERS = [Offer("O1", "one", "", 40.0, 10.0), Offer("O2", "two", "", 100.0, 25.0)]
MARKETS = [
    Market("USA", "United States", 400.0),
    Market("CHN", "China", 300.0),
    Market("SGP", "Singapore", 200.0),
]
EFFECTS = [
    OfferEffect("O1", "CHN", -30.0),
    OfferEffect("O2", "USA", 5.0),
    OfferEffect("O2", "SGP", 10.0),
]


def hand_instance(scenarios=None, **settings):
    settings.setdefault("counterpart_cost_weight", 2.0)
    return make_instance(
        [SECTOR_A, SECTOR_B],
        REQUESTS,
        OFFERS,
        markets=MARKETS,
        offer_effects=EFFECTS,
        scenarios=scenarios,
        **settings,
    )


def test_hand_instance_coefficients():
    coef = compute_coefficients(hand_instance())
    # value at risk: A 100 - 50 = 50; B 200 - 200/4 = 150
    assert coef.value_at_risk["A", "base"] == approx(50.0)
    assert coef.value_at_risk["B", "base"] == approx(150.0)
    # protected: A0 50; A25 30; A150 0 (above the threat);
    # B25 X(25%) = 200/1.5625 = 128, 128 - 50 = 78; B0 200 - 50 = 150
    expected_p = {"A0": 50.0, "A25": 30.0, "A150": 0.0, "B25": 78.0, "B0": 150.0}
    for r, p in expected_p.items():
        assert coef.protected_value[r, "base"] == approx(p), r
    # acceptance-weighted: A25 has acceptance 0.5 -> 15
    assert coef.expected_value["A25", "base"] == approx(15.0)
    assert coef.expected_value["B25", "base"] == approx(78.0)
    # counterpart cost, weight 2: A0 2*1*(50 - 0) = 100; A25 2*1*(50 - 0.25*80) = 60;
    # A150 2*(50 - 1.0*50) = 0; B25 2*0.5*(1.0*50 - 0.25*128) = 18; B0 stated 7, as is
    expected_c = {"A0": 100.0, "A25": 60.0, "A150": 0.0, "B25": 18.0, "B0": 7.0}
    for r, c in expected_c.items():
        assert coef.counterpart_cost[r] == approx(c), r
    # market baselines: the counterpart loses every value at risk, 400 - 50 - 150;
    # the others keep their baseline
    assert coef.market_baseline["USA", "base"] == approx(200.0)
    assert coef.market_baseline["CHN", "base"] == approx(300.0)
    assert coef.market_baseline["SGP", "base"] == approx(200.0)
    assert coef.market_effect["O1", "CHN"] == -30.0
    assert ("O1", "USA") not in coef.market_effect


def test_stated_versus_computed_counterpart_cost():
    inst = hand_instance()
    terms = sector_terms(SECTOR_B, inst.scenarios[0])
    computed = RequestTier("x", "B", "25%", 0.25)
    stated = RequestTier("y", "B", "25%", 0.25, counterpart_cost=7.0)
    # computed: weight 2 * sensitivity 0.5 * (50 - 0.25 * 128) = 18; weight 1: 9
    assert counterpart_cost(computed, SECTOR_B, terms, 2.0) == approx(18.0)
    assert counterpart_cost(computed, SECTOR_B, terms, 1.0) == approx(9.0)
    # stated: used as is, whatever the weights
    assert counterpart_cost(stated, SECTOR_B, terms, 2.0) == 7.0
    # stated 0 is a cost of 0, not "missing"
    zero = RequestTier("z", "B", "25%", 0.25, counterpart_cost=0.0)
    assert counterpart_cost(zero, SECTOR_B, terms, 2.0) == 0.0


def test_strategy_scores_by_hand():
    # the old reading: offers' export changes move shares only (issue 13 counts them;
    # tests/test_economics_hand.py has those cases)
    inst = hand_instance(offer_effects_in_objective=False)
    chosen = frozenset({"A25", "B25", "O1", "O2"})
    sc = checker.scores(inst, chosen)
    # V = 0.5 * 30 + 78 - 1.0 * (10 + 25) = 58
    assert sc.scenario_values["base"] == approx(58.0)
    assert sc.expected_value == approx(58.0)
    assert sc.protected_value == approx(93.0)
    assert sc.offer_cost == approx(35.0)
    assert sc.counterpart_value == approx(140.0)
    assert sc.counterpart_cost == approx(60.0 + 18.0)
    # exports after the deal: USA 200 + 30 + 78 + 5 = 313 (protected values count in
    # full, not weighted by acceptance); CHN 300 - 30 = 270; SGP 200 + 10 = 210
    assert sc.market_exports["USA", "base"] == approx(313.0)
    assert sc.market_exports["CHN", "base"] == approx(270.0)
    assert sc.market_exports["SGP", "base"] == approx(210.0)
    # the strategy object reports the same, and the shares 313/793 ...
    evaluator = Evaluator(inst, compute_coefficients(inst), "expected")
    s = evaluator.strategy(1, chosen, 58.0)
    assert s.objective == approx(58.0)
    assert s.protected_value == approx(93.0)
    assert s.counterpart_cost == approx(78.0)
    assert s.reciprocity_balance == approx(140.0 - 78.0)
    shares = {m.market: m.share for m in s.markets}
    assert shares["USA"] == approx(313.0 / 793.0)
    assert shares["CHN"] == approx(270.0 / 793.0)
    assert shares["SGP"] == approx(210.0 / 793.0)
    assert s.gap_to_best == approx(0.0)


def test_offer_cost_weight_in_value():
    # lambda 0.5: V = 0.5 * 30 + 78 - 0.5 * 35 = 75.5 (effects left out of the value)
    inst = hand_instance(offer_cost_weight=0.5, offer_effects_in_objective=False)
    sc = checker.scores(inst, {"A25", "B25", "O1", "O2"})
    assert sc.expected_value == approx(75.5)


def test_rule_violations_by_hand():
    inst = hand_instance(
        domestic_budget=30.0, market_share_caps={"USA": 0.35}, market_share_floors={"CHN": 0.3}
    )
    # A0 + B25 cost 100 + 18 = 118 > 40 offered by O1; O1 alone: budget 10 fine
    assert "reciprocity" in checker.rule_violations(inst, {"A0", "B25", "O1"})
    # O1 + O2 cost 35 > 30
    assert "domestic budget" in checker.rule_violations(inst, {"O1", "O2"})
    # two tiers of A
    assert "one tier per sector: A" in checker.rule_violations(inst, {"A0", "A25"})
    # B0 alone: USA 200 + 150 = 350 of 350 + 300 + 200 = 850: 41.2% > 35%
    assert "market share cap USA [base]" in checker.rule_violations(inst, {"B0"})
    # O1 alone: CHN 270 of 200 + 270 + 200 = 670: 40.3%, above the 30% floor
    assert checker.rule_violations(inst, {"O1"}) == []
    # nothing chosen: USA 200/700 = 28.6% <= 35%; CHN 300/700 = 42.9% >= 30%
    assert checker.rule_violations(inst, set()) == []


# ----------------------------------------------------------------- scenario overrides

CALM_STORM = [
    # calm: the threat on A is only 25%; B keeps its 100%
    Scenario("calm", 0.25, threat_tariff={"A": 0.25}),
    Scenario("storm", 0.75),
]


def test_scenario_threat_override():
    coef = compute_coefficients(hand_instance(CALM_STORM))
    # calm, A: X(0) - X(25%) = 100 - 80 = 20 for A0; A25 and A150 protect 0
    assert coef.protected_value["A0", "calm"] == approx(20.0)
    assert coef.protected_value["A25", "calm"] == approx(0.0)
    assert coef.protected_value["A150", "calm"] == approx(0.0)
    assert coef.protected_value["A0", "storm"] == approx(50.0)
    assert coef.protected_value["B25", "calm"] == approx(78.0)
    # expected counterpart cost: A0 calm 2 * (0.25 * 80 - 0) = 40, storm 100:
    # 0.25 * 40 + 0.75 * 100 = 85; A25 calm 0, storm 60: 45; B0 stated 7 in both
    assert coef.counterpart_cost["A0"] == approx(85.0)
    assert coef.counterpart_cost["A25"] == approx(45.0)
    assert coef.counterpart_cost["B25"] == approx(18.0)
    assert coef.counterpart_cost["B0"] == approx(7.0)
    # baselines: calm 400 - 20 - 150 = 230, storm 400 - 50 - 150 = 200
    assert coef.value_at_risk["A", "calm"] == approx(20.0)
    assert coef.market_baseline["USA", "calm"] == approx(230.0)
    assert coef.market_baseline["USA", "storm"] == approx(200.0)
    assert coef.market_baseline["CHN", "calm"] == approx(300.0)
    assert coef.probability == {"calm": 0.25, "storm": 0.75}


def test_scenario_values_and_objective_kinds_by_hand():
    inst = hand_instance(CALM_STORM, offer_effects_in_objective=False)
    coef = compute_coefficients(inst)
    chosen = frozenset({"A0", "B25", "O2"})
    # V_calm = 20 + 78 - 25 = 73; V_storm = 50 + 78 - 25 = 103
    sc = checker.scores(inst, chosen)
    assert sc.scenario_values == approx({"calm": 73.0, "storm": 103.0})
    # expected 0.25 * 73 + 0.75 * 103 = 95.5; worst case 73
    assert objective_value(coef, inst, chosen, "expected") == approx(95.5)
    assert objective_value(coef, inst, chosen, "worst_case") == approx(73.0)
    # regret against optima 80 (calm) and 110 (storm): -max(80 - 73, 110 - 103) = -7
    optima = {"calm": 80.0, "storm": 110.0}
    assert objective_value(coef, inst, chosen, "regret", optima) == approx(-7.0)
    # protected value: probability- and acceptance-weighted:
    # 0.25 * (20 + 78) + 0.75 * (50 + 78) = 24.5 + 96 = 120.5
    assert sc.protected_value == approx(120.5)
    # exports to the US after the deal: calm 230 + 20 + 78 + 5, storm 200 + 50 + 78 + 5
    assert sc.market_exports["USA", "calm"] == approx(333.0)
    assert sc.market_exports["USA", "storm"] == approx(333.0)
    assert sc.market_exports["SGP", "calm"] == approx(210.0)


def test_scenario_elasticity_and_current_tariff_overrides():
    scenarios = [
        # sigma of A at 2: X(100%) = 25, X(25%) = 64
        Scenario("elastic", 0.5, elasticity={"A": 2.0}),
        # A pays 25% today: X(t) = 100 * 1.25 / (1 + t), so X(100%) = 62.5, X(0) = 125
        Scenario("dearer", 0.5, current_tariff={"A": 0.25}),
    ]
    inst = hand_instance(scenarios)
    coef = compute_coefficients(inst)
    assert coef.protected_value["A25", "elastic"] == approx(39.0)
    assert coef.value_at_risk["A", "elastic"] == approx(75.0)
    assert coef.protected_value["A0", "dearer"] == approx(62.5)
    assert coef.protected_value["A25", "dearer"] == approx(100.0 - 62.5)
    assert coef.value_at_risk["A", "dearer"] == approx(37.5)
    # A0's cost: elastic 2 * (1.0 * 25 - 0) = 50; dearer 2 * (1.0 * 62.5 - 0) = 125
    assert coef.counterpart_cost["A0"] == approx(0.5 * 50 + 0.5 * 125)
    # B untouched in both
    assert coef.protected_value["B25", "elastic"] == approx(78.0)
    assert coef.protected_value["B25", "dearer"] == approx(78.0)


# ------------------------------------------------ the three implementations agree


def _random_decision_sets(inst, rng, k):
    ids = inst.decision_ids()
    return [frozenset(d for d in ids if rng.random() < 0.4) for _ in range(k)]


@pytest.mark.parametrize("seed", [1, 2, 5, 8, 13, 21, 27, 34, 46, 55])
def test_checker_strategy_and_oracle_agree(seed):
    inst = random_instance(seed)
    coef = compute_coefficients(inst)
    evaluator = Evaluator(inst, coef, "expected")
    form = linear_form(inst)
    rng = random.Random(seed)
    for chosen in _random_decision_sets(inst, rng, 8):
        sc = checker.scores(inst, chosen)
        s = evaluator.strategy(1, chosen, 0.0)
        x = [1.0 if d in chosen else 0.0 for d in form.ids]
        assert_reports_the_scores(s, sc)
        assert evaluator.market_exports(chosen) == approx(sc.market_exports)
        # the test's own linear form, with the linkages' terms (randinst.linkage_terms)
        vector = np.array([x])
        extra, probs = linkage_terms(inst, form, vector)
        raised = (vector * extra)[0]
        for k, w in enumerate(inst.scenarios):
            value = float(form.values[k] @ x) + float(raised @ form.weighted[k])
            assert sc.scenario_values[w.name] == approx(value)
            for m in inst.markets:
                const, vec = form.exports[m.market][k]
                if m.market == inst.counterpart and inst.shares == "expected":
                    const += float(raised @ form.protected[k])
                assert sc.market_exports[m.market, w.name] == approx(const + float(vec @ x))
        asked = sum(probs[0, k] * float(c @ x) for k, c in enumerate(form.asked_in))
        assert sc.counterpart_cost * inst.reciprocity_ratio == approx(asked)


@pytest.mark.parametrize("seed", [0, 3, 9, 10, 12, 29, 40, 49])
def test_checker_rules_agree_with_oracle(seed):
    """Feasibility by advisor.checker equals the oracle's on every 0/1 vector."""
    inst = random_instance(seed)
    enum = enumerate_instance(inst)
    for i in range(len(enum.vectors)):
        chosen = enum.chosen(i)
        assert (checker.rule_violations(inst, chosen) == []) == bool(enum.feasible[i]), chosen
