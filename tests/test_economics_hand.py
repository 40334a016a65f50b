"""Issue 13's economics, by hand, and one regression test per numbered finding.

The hand instance of ``test_economics`` (sectors A: 100 at sigma 1, B: 200 at sigma
2, threat 100%; offers O1 (value 40, cost 10, China -30) and O2 (value 100, cost 25,
USA +5, Singapore +10)). Every figure below is computed in the comments. Finding 2
(what the reports say) is covered in ``tests/test_findings_13.py``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from randinst import make_instance
from test_economics import CALM_STORM, EFFECTS, MARKETS, OFFERS, REQUESTS, SECTOR_A, SECTOR_B

import advisor
from advisor import checker
from advisor.economics import compute_coefficients
from advisor.evaluation import Evaluator, objective_value
from advisor.instance import Linkage, OfferEffect, Scenario

approx = pytest.approx
CHOSEN = frozenset({"A25", "B25", "O1", "O2"})


def hand(scenarios=None, sectors=(SECTOR_A, SECTOR_B), effects=EFFECTS, **settings):
    settings.setdefault("counterpart_cost_weight", 2.0)
    return make_instance(
        list(sectors),
        REQUESTS,
        OFFERS,
        markets=MARKETS,
        offer_effects=list(effects),
        scenarios=scenarios,
        **settings,
    )


def values(inst, chosen=CHOSEN):
    """The value by the evaluator, the checker and the strategy, which must agree."""
    coef = compute_coefficients(inst)
    by_model_terms = objective_value(coef, inst, frozenset(chosen), "expected")
    by_checker = checker.scores(inst, chosen).expected_value
    strategy = Evaluator(inst, coef, "expected").strategy(1, frozenset(chosen), 0.0)
    assert by_model_terms == approx(by_checker)
    assert strategy.expected_value == approx(by_checker)
    return by_checker, strategy


# --------------------------------------------------- finding 1: offer effects count


def test_offer_effects_count_in_home_value_by_default():
    # protected 0.5 * 30 (A25 at acceptance 0.5) + 78 (B25) = 93; offers cost 35 (lambda 1)
    # effects -30 (CHN) + 5 (USA) + 10 (SGP) = -15: V = 93 - 35 - 15 = 43
    value, s = values(hand())
    assert value == approx(43.0)
    assert s.offer_effect_value == approx(-15.0)
    assert s.weighted_protected_value == approx(93.0)
    # the old reading leaves them out: 58
    assert values(hand(offer_effects_in_objective=False))[0] == approx(58.0)


def test_finding_1_a_costlier_effect_changes_the_advice():
    """Raising an effect from -2,500 to -25,000 left the objective and the offer
    unchanged; now the loss counts and the offer is dropped when it costs too much."""
    small = [OfferEffect("O1", "CHN", -2.5), *EFFECTS[1:]]
    large = [OfferEffect("O1", "CHN", -250.0), *EFFECTS[1:]]
    best_small = advisor.solve(hand(effects=small), top=1)[0]
    best_large = advisor.solve(hand(effects=large), top=1)[0]
    assert "O1" in best_small.decisions
    assert best_small.objective != approx(best_large.objective)
    assert "O1" not in best_large.decisions
    # an offer's loss on exports to the counterpart no longer comes for free either
    cp_loss = [OfferEffect("O2", "USA", -500.0)]
    assert "O2" in advisor.solve(hand(effects=[]), top=1)[0].decisions
    assert "O2" not in advisor.solve(hand(effects=cp_loss), top=1)[0].decisions


# ----------------------------------------------------- finding 5: value weights


def test_value_weights_multiply_protected_value_and_effects():
    # A weight 0.5, B weight 0.25: protected 0.5 * 0.5 * 30 + 0.25 * 78 = 7.5 + 19.5 = 27;
    # effects weigh the sectors' export-weighted mean: (100 * 0.5 + 200 * 0.25) / 300 = 1/3,
    # so -15 / 3 = -5; V = 27 - 35 - 5 = -13
    sectors = (replace(SECTOR_A, value_weight=0.5), replace(SECTOR_B, value_weight=0.25))
    value, s = values(hand(sectors=sectors))
    assert value == approx(-13.0)
    assert s.weighted_protected_value == approx(27.0)
    assert s.protected_value == approx(93.0)  # still in exports
    # an effect with its own weight: O1's -30 at weight 1, O2's +15 at 1/3: -30 + 5
    effects = [replace(EFFECTS[0], value_weight=1.0), *EFFECTS[1:]]
    assert values(hand(sectors=sectors, effects=effects))[0] == approx(27 - 35 - 25)


def test_finding_5_value_added_changes_the_ranking():
    """A dollar of low value-added exports no longer weighs like any other."""
    low_b = (SECTOR_A, replace(SECTOR_B, value_weight=0.01))
    plain = advisor.solve(hand(), top=1)[0]
    weighted = advisor.solve(hand(sectors=low_b), top=1)[0]
    assert "B25" in plain.decisions or "B0" in plain.decisions
    assert plain.decisions != weighted.decisions


# -------------------------------------------- finding 3: reciprocity and shares modes


def test_reciprocity_in_every_scenario():
    # CALM_STORM (0.25 / 0.75), rho 2: A25 costs 0 calm, 2 * 30 = 60 storm (45 expected);
    # with O2 (100): expected 2 * 45 = 90 <= 100 holds; storm 2 * 60 = 120 > 100 breaks
    inst = hand(CALM_STORM, reciprocity_ratio=2.0)
    assert checker.rule_violations(inst, {"A25", "O2"}) == []
    every = replace(inst, reciprocity="every_scenario")
    assert checker.rule_violations(every, {"A25", "O2"}) == ["reciprocity [storm]"]
    result = advisor.solve(every, top=20)
    assert all({"A25", "O2"} != set(s.decisions) for s in result.strategies)
    assert any({"A25", "O2"} == set(s.decisions) for s in advisor.solve(inst, top=40))


def test_shares_all_granted_or_expected():
    # A25 at acceptance 0.5 protects 30: exports to the USA 200 + 30 = 230 if granted
    # for sure, 200 + 0.5 * 30 = 215 acceptance-weighted
    free = {"reciprocity_ratio": 0.0}
    assert checker.scores(hand(**free), {"A25"}).market_exports["USA", "base"] == approx(230.0)
    expected = hand(shares="expected", **free)
    assert checker.scores(expected, {"A25"}).market_exports["USA", "base"] == approx(215.0)
    # a cap a bit under 230 / 730 binds only the cautious reading
    cap = {"USA": 229.0 / 729.0}
    cautious = hand(market_share_caps=cap, **free)
    assert checker.rule_violations(cautious, {"A25"}) == ["market share cap USA [base]"]
    weighted = hand(market_share_caps=cap, shares="expected", **free)
    assert checker.rule_violations(weighted, {"A25"}) == []


# ---------------------------------------------------- finding 6: linkages


def test_acceptance_linkage_takes_the_highest_level():
    # O1 raises A25 to 0.9, O2 to 0.7: with both, 0.9 (levels do not add up)
    links = (Linkage("O1", "acceptance", "A25", 0.9), Linkage("O2", "acceptance", "A25", 0.7))
    inst = replace(hand(), linkages=links)
    # {A25, O1}: 0.9 * 30 - 10 - 30 = -13; {A25, O2}: 0.7 * 30 - 25 + 15 = 11
    assert values(inst, {"A25", "O1"})[0] == approx(-13.0)
    assert values(inst, {"A25", "O2"})[0] == approx(11.0)
    # all four: 0.9 * 30 + 78 - 35 - 15 = 55
    value, s = values(inst)
    assert value == approx(55.0)
    assert {r.request: r.acceptance for r in s.requests}["A25"] == approx(0.9)


def test_scenario_linkage_moves_probability():
    # O2 moves 0.25 from storm to calm: 0.5 / 0.5. {A25, B25, O2}: A25 protects 0 in calm
    # (its tier is the threat) and 0.5 * 30 in storm: V_calm = 0 + 78 - 25 + 15 = 68,
    # V_storm = 15 + 78 - 25 + 15 = 83; 0.5 * 68 + 0.5 * 83 = 75.5 (base odds: 79.25).
    # The move also avoids no-deal loss: R_storm - R_calm = (50 + 150) - (20 + 150) = 30,
    # times 0.25 = 7.5, so the expected value is 75.5 + 7.5 = 83.0
    inst = replace(hand(CALM_STORM), linkages=(Linkage("O2", "scenario", "storm", 0.25, "calm"),))
    value, s = values(inst, {"A25", "B25", "O2"})
    assert value == approx(83.0)
    assert s.risk_moved == approx(7.5)
    assert s.scenario_probabilities == approx({"calm": 0.5, "storm": 0.5})
    # a deal that protects everything is worth the same whatever the odds: {A0, B25, O2}
    # 0.5 * 88 + 0.5 * 118 + 7.5 = 110.5, as with the base odds (0.25 * 88 + 0.75 * 118)
    assert values(inst, {"A0", "B25", "O2"})[0] == approx(110.5)
    # counterpart cost under the moved odds: A0 0.5 * 40 + 0.5 * 100 = 70, B25 18
    assert values(inst, {"A0", "B25", "O2"})[1].counterpart_cost == approx(88.0)


def test_finding_6_an_offer_that_lowers_a_threat_is_chosen_for_it():
    """Offers could only enter through hard conditions; now lowering the odds of the
    harsh scenario is worth something. O3 (worth nothing to the counterpart, cost 1)
    moves 0.5 of probability from storm to calm. With rho 2 home cannot afford to
    protect A in full, so the storm is worth avoiding.
    """
    from advisor.instance import Offer

    o3 = Offer("O3", "enforcement", "", 0.0, 1.0)
    base = hand(CALM_STORM, reciprocity_ratio=2.0)
    inst = replace(base, offers=(*base.offers, o3))
    without = advisor.solve(inst, top=1)[0]
    assert "O3" not in without.decisions  # costs 1 and does nothing
    # {B0, O2}: 150 - 25 + 15 = 140 in both scenarios
    assert without.objective == approx(140.0)
    linked = replace(inst, linkages=(Linkage("O3", "scenario", "storm", 0.5, "calm"),))
    best = advisor.solve(linked, top=1)[0]
    assert "O3" in best.decisions
    # {A25, B0, O2, O3}, odds 0.75 / 0.25: V_calm = 0 + 150 - 26 + 15 = 139, V_storm =
    # 15 + 150 - 26 + 15 = 154; 0.75 * 139 + 0.25 * 154 = 142.75, + 0.5 * 30 = 157.75
    assert best.objective == approx(157.75)
    assert best.scenario_probabilities == approx({"calm": 0.75, "storm": 0.25})


def test_linkages_csv_is_read_and_checked(tmp_path):
    """A linkages.csv beside tiny is read; its mistakes are located in one pass."""
    import shutil

    folder = tmp_path / "tiny"
    shutil.copytree("instances/tiny", folder)
    inst = advisor.load_instance(folder)
    offer = inst.offers[0].offer
    request = next(r for r in inst.requests if r.acceptance < 1)
    (folder / "linkages.csv").write_text(
        "offer,effect,target,value,to,note\n"
        f"{offer},acceptance,{request.request},1.0,,EST\n"
        f"NOPE,acceptance,{request.request},0.0,,\n"
        f"{offer},scenario,nowhere,0.1,,\n"
    )
    with pytest.raises(advisor.InstanceError) as err:
        advisor.load_instance(folder)
    text = str(err.value)
    assert "linkages.csv, row 3, column 'offer'" in text or "linkages.csv" in text
    assert "'NOPE' is not an offer" in text
    assert "at least the request's own acceptance" in text
    assert "needs the scenario that gains" in text
    (folder / "linkages.csv").write_text(
        f"offer,effect,target,value\n{offer},acceptance,{request.request},1.0\n"
    )
    assert advisor.load_instance(folder).linkages[0].value == 1.0


def test_model_settings_are_read_and_checked(tmp_path):
    import shutil

    folder = tmp_path / "tiny"
    shutil.copytree("instances/tiny", folder)
    toml = folder / "instance.toml"
    text = toml.read_text()
    assert "[model]" in text
    lines = [
        line
        for line in text.splitlines()
        if not line.startswith(("reciprocity =", "shares =", "offer_effects_in_objective ="))
    ]
    text = "\n".join(lines).replace(
        "[model]",
        '[model]\nreciprocity = "each"\nshares = "expected"\noffer_effects_in_objective = "no"',
    )
    toml.write_text(text + "\n")
    with pytest.raises(advisor.InstanceError) as err:
        advisor.load_instance(folder)
    text = str(err.value)
    assert "model.reciprocity" in text and "expected, every_scenario" in text
    assert "model.offer_effects_in_objective" in text and "true or false" in text


def test_scenario_shift_cannot_empty_a_scenario(tmp_path):
    import shutil

    folder = tmp_path / "malaysia"
    shutil.copytree("instances/malaysia_us_2025", folder)
    inst = advisor.load_instance(folder)
    w = inst.scenarios[0]
    offers = [o.offer for o in inst.offers[:2]]
    (folder / "linkages.csv").write_text(
        "offer,effect,target,value,to\n"
        + "".join(
            f"{o},scenario,{w.name},{w.probability * 0.6},{inst.scenarios[1].name}\n"
            for o in offers
        )
    )
    with pytest.raises(advisor.InstanceError) as err:
        advisor.load_instance(folder)
    assert "would be negative" in str(err.value)


def test_a_single_scenario_is_unchanged_by_probability_links():
    inst = hand([Scenario("only", 1.0)])
    assert values(inst)[0] == approx(43.0)
