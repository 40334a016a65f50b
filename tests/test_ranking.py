"""The ranked list: every strategy checked independently, determinism, order, limits,
the scenario measures and the explanations, on hand-worked cases and on the shipped
instances (with an objective regression for each)."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from helpers import assert_reports_the_scores
from randinst import enumerate_instance, make_instance, milp_optimum, random_instance

import advisor
from advisor import checker
from advisor.errors import InstanceError
from advisor.instance import Condition, Offer, RequestTier, Scenario, Sector

approx = pytest.approx
INSTANCES = Path(__file__).resolve().parent.parent / "instances"


# Shipped without any strategy on purpose (its README; tests/test_diagnose.py).
INFEASIBLE_SHIPPED = {"infeasible_example"}


def shipped_instances() -> list[Path]:
    return sorted(p.parent for p in INSTANCES.glob("*/instance.toml"))


def load_shipped(folder: Path) -> advisor.Instance:
    try:
        return advisor.load_instance(folder)
    except InstanceError as error:  # a data file being edited: reported, not hidden
        pytest.skip(f"{folder.name} does not load: {error}")


# --------------------------------------------------- every strategy, checked again


def assert_strategies_check_out(result: advisor.Result) -> None:
    """Every listed strategy obeys the rules and reports the checker's numbers."""
    inst = result.instance
    for s in result.strategies:
        assert checker.rule_violations(inst, s.decisions) == [], (s.rank, s.decisions)
        sc = checker.scores(inst, s.decisions)
        assert_reports_the_scores(s, sc)
        weighed = sc.counterpart_cost  # reciprocity weighs the expected cost, or the worst
        if inst.reciprocity == "every_scenario":
            weighed = max(sc.counterpart_cost_in.values())
        assert s.reciprocity_balance == approx(
            sc.counterpart_value - inst.reciprocity_ratio * weighed
        )
        if result.objective == "expected":
            assert s.objective == approx(sc.expected_value)
        elif result.objective == "worst_case":
            assert s.objective == approx(sc.worst_case_value)
        else:
            regret = max(result.scenario_optimum[w] - v for w, v in sc.scenario_values.items())
            assert s.regret == approx(regret)
            assert s.objective == approx(-regret)
        # market shares: expected exports over expected total (under the probabilities
        # the offers leave, linkages.csv); the highest share
        probability = sc.probabilities
        totals = {w: sum(sc.market_exports[m.market, w] for m in inst.markets) for w in probability}
        expected_total = sum(probability[w] * totals[w] for w in probability)
        for outcome in s.markets:
            exports = sum(probability[w] * sc.market_exports[outcome.market, w] for w in totals)
            assert outcome.exports == approx(exports)
            assert outcome.share == approx(exports / expected_total)
            assert outcome.max_share == approx(
                max(sc.market_exports[outcome.market, w] / totals[w] for w in totals)
            )
        assert s.gap_to_best == approx(result.strategies[0].objective - s.objective)
        assert s.decisions == tuple(d for d in inst.decision_ids() if d in set(s.decisions))


def assert_well_ordered(result: advisor.Result) -> None:
    objectives = [s.objective for s in result.strategies]
    for a, b in itertools.pairwise(objectives):
        assert b <= a + 1e-6 * max(1.0, abs(a))
    decision_sets = [frozenset(s.decisions) for s in result.strategies]
    assert len(set(decision_sets)) == len(decision_sets)
    for i, a in enumerate(decision_sets):
        for b in decision_sets[i + 1 :]:
            assert len(a ^ b) >= result.min_difference
    assert [s.rank for s in result.strategies] == list(range(1, len(result) + 1))


RANDOM_CASES = [(seed, "expected") for seed in (0, 4, 6, 13, 16, 24, 31, 45)] + [
    (6, "worst_case"),
    (16, "regret"),
    (24, "regret"),
    (45, "worst_case"),
]


@pytest.mark.parametrize(("seed", "objective"), RANDOM_CASES)
def test_checker_agrees_on_random_instances(seed, objective):
    inst = random_instance(seed)
    result = advisor.solve(inst, top=6, objective=objective, threads=1)
    assert result.strategies or result.status == "infeasible"
    assert_strategies_check_out(result)
    assert_well_ordered(result)


@pytest.mark.parametrize("distance", [2, 3])
@pytest.mark.parametrize("seed", [2, 8, 30])
def test_min_difference_holds_pairwise(seed, distance):
    result = advisor.solve(random_instance(seed), top=6, min_difference=distance, threads=1)
    assert result.min_difference == distance
    assert_well_ordered(result)
    assert_strategies_check_out(result)


@pytest.mark.parametrize("folder", shipped_instances(), ids=lambda p: p.name)
def test_checker_agrees_on_shipped_instances(folder):
    inst = load_shipped(folder)
    result = advisor.solve(inst)
    if folder.name in INFEASIBLE_SHIPPED:
        assert result.status == "infeasible" and not result.strategies
        return
    assert result.status in ("optimal", "exhausted")
    assert result.strategies
    assert_strategies_check_out(result)
    assert_well_ordered(result)
    json.dumps(result.to_dict())


def test_some_instance_is_shipped():
    if not shipped_instances():
        pytest.skip("no instance folder under instances/ yet")
    assert {"tiny", "malaysia_us_2025"} <= {p.name for p in shipped_instances()}


# ------------------------------------------------------------------- determinism


def _solve_twice(inst, **options):
    first = advisor.solve(inst, **options)
    second = advisor.solve(inst, **options)
    assert first.to_dict() == second.to_dict()
    assert json.dumps(first.to_dict(), sort_keys=True) == json.dumps(
        second.to_dict(), sort_keys=True
    )
    pd.testing.assert_frame_equal(first.to_frame(), second.to_frame())
    return first


@pytest.mark.parametrize("seed", [6, 10, 20])  # ties broken by the tie key in each
def test_determinism_random(seed):
    inst = random_instance(seed)
    _solve_twice(inst, top=5)
    _solve_twice(inst, top=4, min_difference=2)


def test_determinism_multi_scenario_with_measures():
    seed = next(s for s in range(1, 100, 2) if len(random_instance(s).scenarios) > 1)
    result = _solve_twice(random_instance(seed), top=3)
    assert result.scenario_measures is not None


@pytest.mark.parametrize("folder", shipped_instances(), ids=lambda p: p.name)
def test_determinism_shipped(folder):
    _solve_twice(load_shipped(folder))


def test_to_dict_excludes_timing_by_default():
    result = advisor.solve(random_instance(4), top=2)
    assert "time_s" not in result.to_dict()["solver"]
    assert "time_s" in result.to_dict(timing=True)["solver"]


# ------------------------------------------------------------------- time limit


@pytest.mark.parametrize("objective", ["expected", "worst_case", "regret"])
def test_tiny_time_limit_stops_cleanly(objective):
    seed = next(s for s in range(1, 100, 2) if len(random_instance(s).scenarios) > 1)
    inst = random_instance(seed)
    result = advisor.solve(inst, top=5, time_limit=1e-6, objective=objective)
    assert result.status == "time_limit"
    assert any("time limit" in w for w in result.warnings)
    assert_strategies_check_out(result)
    json.dumps(result.to_dict())
    result.to_frame()


# ------------------------------------------------------------ hand-worked cases

# one sector: X0 = 100 at 0%, sigma 1, threatened with 100%: X(100%) = 50
SECTOR_S = Sector("S", "sector S", "", 100.0, 0.0, 1.0, 1.0)


def test_vss_and_evpi_by_hand():
    """Two equally likely futures: the threat on S (100%) is imposed, or not (0%).

    S0 (0%, stated counterpart cost 10) protects 100 - 50 = 50 if hit, 0 if spared;
    it needs offer O (value 10 to the counterpart, domestic cost 30).

    - strategies: {} worth (0, 0); {O} (-30, -30); {S0, O} (50 - 30, 0 - 30) = (20, -30)
    - RP: best expected value: max(0, -30, 0.5 * 20 + 0.5 * -30 = -5) = 0, doing nothing
    - mean-value problem: threat 0.5 * 1.0 + 0.5 * 0 = 50%; S0 protects
      100 - 100/1.5 = 33.33 > 30, so it plans {S0, O}; EEV = its expected value = -5
    - VSS = RP - EEV = 0 - (-5) = 5
    - WS: hit: best 20 ({S0, O}); spared: best 0 ({}): 0.5 * 20 + 0.5 * 0 = 10
    - EVPI = WS - RP = 10 - 0 = 10
    """
    inst = make_instance(
        [SECTOR_S],
        [RequestTier("S0", "S", "0%", 0.0, counterpart_cost=10.0)],
        [Offer("O", "offer", "", 10.0, 30.0)],
        scenarios=[
            Scenario("hit", 0.5, threat_tariff={"S": 1.0}),
            Scenario("spared", 0.5, threat_tariff={"S": 0.0}),
        ],
    )
    result = advisor.solve(inst, top=3)
    assert [s.decisions for s in result.strategies] == [(), ("S0", "O"), ("O",)]
    assert [s.objective for s in result.strategies] == approx([0.0, -5.0, -30.0])
    m = result.scenario_measures
    assert m is not None
    assert m.recourse_value == approx(0.0)
    assert m.mean_value_strategy == ("S0", "O")
    assert m.mean_value_expected == approx(-5.0)
    assert m.value_of_stochastic_solution == approx(5.0)
    assert m.wait_and_see_value == approx(10.0)
    assert m.expected_value_of_perfect_information == approx(10.0)
    assert m.expected_value_of_perfect_information >= 0


def test_objective_kinds_rank_by_hand():
    """Two futures, calm (threat on S 25%) and storm (100%), each with probability 0.5.

    S0 (0%, acceptance 0.5): calm 0.5 * (100 - 80) = 10, storm 0.5 * (100 - 50) = 25
    S25 (25%): calm 0 (the threat is 25%), storm 80 - 50 = 30
    O (domestic cost 5, nothing else) lowers both by 5. One tier of S at most.

    | strategy | calm | storm | expected | worst | regret (optima 10, 30) |
    | {S0}     | 10   | 25    | 17.5     | 10    | max(0, 5) = 5          |
    | {S25}    | 0    | 30    | 15       | 0     | max(10, 0) = 10        |
    | {S0, O}  | 5    | 20    | 12.5     | 5     | max(5, 10) = 10        |
    | {S25, O} | -5   | 25    | 10       | -5    | max(15, 5) = 15        |
    | {}       | 0    | 0     | 0        | 0     | 30                     |
    | {O}      | -5   | -5    | -5       | -5    | 35                     |

    Ties go to fewer decisions: worst case {} before {S25} (both 0) and {O} before
    {S25, O} (both -5); regret {S25} before {S0, O} (both -10).
    """
    inst = make_instance(
        [SECTOR_S],
        [
            RequestTier("S0", "S", "0%", 0.0, acceptance=0.5, counterpart_cost=0.0),
            RequestTier("S25", "S", "25%", 0.25, counterpart_cost=0.0),
        ],
        [Offer("O", "offer", "", 0.0, 5.0)],
        scenarios=[
            Scenario("calm", 0.5, threat_tariff={"S": 0.25}),
            Scenario("storm", 0.5),
        ],
    )
    expected = advisor.solve(inst, top=6, objective="expected", with_measures=False)
    assert [s.decisions for s in expected.strategies] == [
        ("S0",),
        ("S25",),
        ("S0", "O"),
        ("S25", "O"),
        (),
        ("O",),
    ]
    assert [s.objective for s in expected.strategies] == approx([17.5, 15, 12.5, 10, 0, -5])
    assert expected.status == "optimal"

    worst = advisor.solve(inst, top=6, objective="worst_case")
    assert [s.decisions for s in worst.strategies] == [
        ("S0",),
        ("S0", "O"),
        (),
        ("S25",),
        ("O",),
        ("S25", "O"),
    ]
    assert [s.objective for s in worst.strategies] == approx([10, 5, 0, 0, -5, -5])

    regret = advisor.solve(inst, top=7, objective="regret")
    assert regret.status == "exhausted"  # six feasible strategies, seven asked for
    assert dict(regret.scenario_optimum) == approx({"calm": 10.0, "storm": 30.0})
    assert [s.decisions for s in regret.strategies] == [
        ("S0",),
        ("S25",),
        ("S0", "O"),
        ("S25", "O"),
        (),
        ("O",),
    ]
    assert [s.objective for s in regret.strategies] == approx([-5, -10, -10, -15, -30, -35])
    assert [s.regret for s in regret.strategies] == approx([5, 10, 10, 15, 30, 35])


def test_reciprocity_binds_by_hand():
    """S25 (25%) protects 80 - 50 = 30 and costs the counterpart 30; S0 (0%)
    protects 50 and costs 50. The only offer O is worth 40 to the counterpart and
    costs 5 at home.

    Best: {S25, O}, 30 - 5 = 25. Switching S25 to S0 would give 50 - 5 = 45 but
    needs 50 of counterpart value (40 offered); dropping O would give 30 but leaves
    nothing to balance S25: both moves are blocked by reciprocity alone. The budget
    (10) has slack.
    """
    inst = make_instance(
        [SECTOR_S],
        [
            RequestTier("S25", "S", "25%", 0.25, counterpart_cost=30.0),
            RequestTier("S0", "S", "0%", 0.0, counterpart_cost=50.0),
        ],
        [Offer("O", "offer", "", 40.0, 5.0)],
        domestic_budget=10.0,
    )
    result = advisor.solve(inst, top=2)
    best = result.strategies[0]
    assert best.decisions == ("S25", "O")
    assert best.objective == approx(25.0)
    assert best.reciprocity_balance == approx(40.0 - 30.0)
    assert best.binding_constraints == ("reciprocity",)
    # with more counterpart value on the table, S0 wins and nothing blocks it
    richer = replace(inst, offers=(Offer("O", "offer", "", 50.0, 5.0),))
    top = advisor.solve(richer, top=1).strategies[0]
    assert top.decisions == ("S0", "O")
    assert top.objective == approx(45.0)
    assert top.binding_constraints == ("reciprocity",)  # dropping O: 50 > 45, blocked


def test_conditions_triggered_by_hand():
    """S0 and T0 each protect 50 and each cost the counterpart 20: together 40,
    which takes offers O1 (20) and O2 (20). O3 is a costly offer never worth making.

    Best: {S0, T0, O1, O2} = 100 - 5 - 8 = 87. Its conditions:
    - c1 requires S0 -> O1: triggered (S0 chosen)
    - c2 requires_one_of T (a sector id: any tier of T) -> O1 or O2: triggered
    - c3 excludes O3 -> S0: not triggered (O3 not chosen)
    - c4 at_most 2 of O1, O2, O3: exactly 2 chosen, triggered (at its count)
    - c5 at_least 1 of sectors S, T: 2 chosen, not at its count
    """
    sector_t = Sector("T", "sector T", "", 100.0, 0.0, 1.0, 1.0)
    inst = make_instance(
        [SECTOR_S, sector_t],
        [
            RequestTier("S0", "S", "0%", 0.0, counterpart_cost=20.0),
            RequestTier("T0", "T", "0%", 0.0, counterpart_cost=20.0),
        ],
        [
            Offer("O1", "one", "", 20.0, 5.0),
            Offer("O2", "two", "", 20.0, 8.0),
            Offer("O3", "three", "", 0.0, 1.0),
        ],
        conditions=[
            Condition("c1", "requires", ("S0", "O1")),
            Condition("c2", "requires_one_of", ("T", "O1", "O2")),
            Condition("c3", "excludes", ("O3", "S0")),
            Condition("c4", "at_most", ("O1", "O2", "O3"), 2),
            Condition("c5", "at_least", ("S", "T"), 1),
        ],
    )
    result = advisor.solve(inst, top=3)
    best = result.strategies[0]
    assert best.decisions == ("S0", "T0", "O1", "O2")
    assert best.objective == approx(87.0)
    assert best.conditions_triggered == ("c1", "c2", "c4")
    # dropping O1 (+5) breaks reciprocity and c1; dropping O2 (+8) reciprocity. Both
    # block a better move, but only reciprocity binds the advice: without c1, O1 is
    # still needed for reciprocity (20 + 20 = 40 = 20 + 20), so the best stays 87
    assert best.binding_constraints == ("reciprocity",)
    # rank 2, S0 + O1 (50 - 5 = 45, tied with T0 + O1 but first in file order):
    # c1 triggered by S0, c5 exactly at its count
    second = result.strategies[1]
    assert second.decisions == ("S0", "O1")
    assert second.conditions_triggered == ("c1", "c5")


# --------------------------------------------- objective regressions, shipped instances

TINY_TOP5 = [
    # instances/tiny/README.md, section 5: objective = protected value - offer cost
    (120.0, {"CHIPS_cap25", "GLOVES_cap25", "FURN_zero", "BUY", "IP"}),
    (105.0, {"GLOVES_cap25", "FURN_zero", "IP", "EXPCTL"}),
    (104.0, {"CHIPS_zero", "GLOVES_cap25", "FURN_cap25", "BUY", "IP"}),
    (100.0, {"GLOVES_cap25", "FURN_zero", "IP", "INVEST"}),
    (99.0, {"CHIPS_cap25", "GLOVES_cap25", "FURN_cap25", "IP", "EXPCTL"}),
]


def test_tiny_matches_its_readme():
    folder = INSTANCES / "tiny"
    if not (folder / "instance.toml").exists():
        pytest.skip("instances/tiny not shipped yet")
    inst = load_shipped(folder)
    result = advisor.solve(inst)
    assert result.status == "optimal"
    assert [(s.objective, set(s.decisions)) for s in result.strategies] == [
        (approx(z), d) for z, d in TINY_TOP5
    ]
    best = result.strategies[0]
    # README section 5: protected 30 + 60 + 75 = 165, offer cost 35 + 10 = 45,
    # reciprocity 120 >= 115, US share (175 + 165) / 940
    assert best.protected_value == approx(165.0)
    assert best.offer_cost == approx(45.0)
    assert best.counterpart_value == approx(120.0)
    assert best.counterpart_cost == approx(115.0)
    assert {m.market: m.share for m in best.markets}["USA"] == approx(340.0 / 940.0)
    # README section 6: the step blocked at the optimum is "drop IP" (reciprocity, c3);
    # only reciprocity binds the advice (without c3 the best is still 120)
    assert best.binding_constraints == ("reciprocity",)
    # ... and the brute force of all 2^10 vectors agrees with the README
    enum = enumerate_instance(inst)
    assert [(z, set(d)) for d, z in enum.ranking("expected", 5)] == [
        (approx(z), d) for z, d in TINY_TOP5
    ]


def test_tiny_what_ifs_from_its_readme():
    folder = INSTANCES / "tiny"
    if not (folder / "instance.toml").exists():
        pytest.skip("instances/tiny not shipped yet")
    inst = load_shipped(folder)
    # section 6: without the cap, CHIPS_zero + GLOVES_cap25 + FURN_zero with IP,
    # EXPCTL, INVEST: 185 - 55 = 130
    uncapped = advisor.solve(replace(inst, market_share_caps={}), top=1).strategies[0]
    assert uncapped.objective == approx(130.0)
    assert set(uncapped.decisions) == {
        "CHIPS_zero",
        "GLOVES_cap25",
        "FURN_zero",
        "IP",
        "EXPCTL",
        "INVEST",
    }
    # with a budget of 44 the optimum (offer cost 45) is out: rank 2 (105) takes over
    tight = advisor.solve(replace(inst, domestic_budget=44.0), top=1).strategies[0]
    assert tight.objective == approx(105.0)
    assert set(tight.decisions) == {"GLOVES_cap25", "FURN_zero", "IP", "EXPCTL"}


# Malaysia–US, October 2025 (instances/malaysia_us_2025), expected value over its four
# scenarios. Too large to enumerate (41 binaries), so the optimum is confirmed by an
# independent MILP (randinst.milp_optimum: the test's own economics and rules as
# matrix rows, solved by scipy's HiGHS, sharing nothing with advisor.model). The
# value below is that optimum for the data files as they stand; after a deliberate
# data change, re-derive it with `milp_optimum(load_instance(...))` and update it.
MALAYSIA_OPTIMUM = 872.344471  # protected value added (issue 13: sectors.csv value_weight)
MALAYSIA_BEST = {
    "IC_cap10",
    "DISC_cap10",
    "SME_cap10",
    "COMP_perm0",
    "TEL_perm0",
    "ELEC_cut15",
    "OPT_cut10",
    "GLOVE_cut10",
    "FURN_cut15",
    "WOOD_cut10",
    "PALM_annex0",
    "LNG",
    "BOEING1",
    "DC_EQUIP",
    "IP",
    "DATA",
    "FDA",
}


def test_malaysia_optimum():
    folder = INSTANCES / "malaysia_us_2025"
    if not (folder / "instance.toml").exists():
        pytest.skip("instances/malaysia_us_2025 not shipped yet")
    inst = load_shipped(folder)
    result = advisor.solve(inst, top=3, with_measures=False)
    best = result.strategies[0]
    # the independent MILP agrees, on the files as they are now
    chosen, value = milp_optimum(inst)
    assert best.objective == approx(value, rel=1e-9, abs=1e-6)
    # the runner-up, independently: the best strategy other than the optimum
    _, second = milp_optimum(inst, exclude=(frozenset(best.decisions),))
    assert result.strategies[1].objective == approx(second, rel=1e-9, abs=1e-6)
    # the regression: the files have not drifted from the value derived above
    assert best.objective == approx(MALAYSIA_OPTIMUM, abs=1e-3)
    assert set(best.decisions) == MALAYSIA_BEST == set(chosen)


def test_mip_gap_status_and_checked_strategies():
    inst = random_instance(4)
    result = advisor.solve(inst, top=3, mip_gap=0.05, threads=1)
    assert result.status == "gap"
    assert result.mip_gap == 0.05
    assert all(s.mip_gap <= 0.05 + 1e-6 for s in result.strategies)
    assert_strategies_check_out(result)


def test_a_warm_start_never_returns_the_start_in_place_of_a_better_strategy() -> None:
    """HiGHS 1.16 reported objective 34.04 with the warm start (worth 28.01) as its
    solution on this instance (offers fixed: O2 made, O1 not). The ranker must notice
    and return the real optimum."""
    from randinst import OBJECTIVES

    from advisor.solving.session import open_session

    inst = random_instance(85, OBJECTIVES, options=False)
    ranker = open_session(inst, threads=1)
    enum = enumerate_instance(inst)
    names = list(enum.ids)
    with ranker.fixed("O1", 0), ranker.fixed("O2", 1):
        ranker.warm_start(frozenset({"O2", "S2_t2", "S3_t3", "S4_t2"}))
        solution = ranker.solve()
    z = enum.objectives("expected")
    offers = enum.vectors[:, [names.index("O1"), names.index("O2")]]
    best = z[enum.feasible & (offers[:, 0] == 0) & (offers[:, 1] == 1)].max()
    assert solution is not None
    assert solution.objective == pytest.approx(best, abs=1e-6)
    assert solution.objective == pytest.approx(34.036029686699, abs=1e-6)
