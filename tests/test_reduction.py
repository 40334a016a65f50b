"""Dominated request tiers (advisor.solving.reduction) against hand computation, brute force
and HiGHS.

- A hand-built instance whose every tier comparison is worked out below: a tier
  dominated, one kept because of the share cap, one because of a condition, one
  because of its counterpart cost, a chain and a tie.
- Each condition kind and role, one case at a time.
- Random small instances (``randinst``) enumerated exhaustively with the oracle,
  which shares no code with ``advisor``: forbidding the pruned tiers keeps the best
  value of every objective and of every offer package, and swapping a pruned tier
  for its dominator keeps any feasible strategy feasible and no worse.
- A generated tariff-line instance solved by HiGHS with and without the pruned tiers.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs
from randinst import (
    CP,
    OBJECTIVES,
    Enumeration,
    enumerate_instance,
    make_instance,
    random_instance,
    tolerance,
)

import advisor
from advisor import generate as gen
from advisor.economics import compute_coefficients
from advisor.instance import (
    Condition,
    Instance,
    Offer,
    RequestTier,
    Scenario,
    Sector,
    frozen_mapping,
)
from advisor.model import build_model
from advisor.solving.reduction import dominated_tiers
from advisor.solving.runtime import match_thread_pool, quiet_stdout

MALAYSIA = Path(__file__).resolve().parent.parent / "instances" / "malaysia_us_2025"
SEEDS = range(150)


def pruned_of(instance: Instance) -> dict[str, str]:
    return dominated_tiers(instance, compute_coefficients(instance))


# ------------------------------------------------------------------ the hand-built case


def sector(sid: str) -> Sector:
    """Exports 100 at 0% threatened with 100%, sigma 1: X(t) = 100 / (1 + t), so a
    tier at 0% protects 100 - 50 = 50 and one at 25% protects 80 - 50 = 30."""
    return Sector(sid, sid, "", 100.0, 0.0, 1.0, 1.0)


def tier(rid: str, tariff: float, acceptance: float, cost: float) -> RequestTier:
    return RequestTier(rid, rid.split("_")[0], rid, tariff, acceptance, counterpart_cost=cost)


def offers() -> list[Offer]:
    return [Offer("O1", "offer 1", "", 100.0, 1.0), Offer("O2", "offer 2", "", 100.0, 1.0)]


def hand_instance(**settings: object) -> Instance:
    """Protected value p, expected value a·p and stated cost c of each tier:

    ======  ====  ======  ====  ====================================================
    tier    p     a·p     c
    ======  ====  ======  ====  ====================================================
    A_0     50    25      20    dominated by A_25 (lower p: fine under a US cap)
    A_25    30    30      10    (the sector id A in c3, A_0 as a subject in c4)
    B_0     50    50      10    would dominate B_25, but protects more: the US cap
    B_25    30    30      20
    C_0     50    25      20    would be dominated by C_25, but O1 requires C_0 (c1)
    C_25    30    30      10
    D_0     50    25      20    would be dominated by D_25, but D_25 excludes O2 (c2)
    D_25    30    30      10
    E_mid   30    27      10    dominated by E_top (E_top2 too, but it is pruned)
    E_low   30    24      10    dominated by E_mid, E_top, E_top2: E_top is returned
    E_top   30    30      10
    E_top2  30    30      10    ties E_top both ways and comes later: pruned
    F_0     50    25       5    F_25 is worth more but costs the counterpart more
    F_25    30    30      10
    ======  ====  ======  ====  ====================================================
    """
    tiers = [
        tier("A_0", 0.0, 0.5, 20.0),
        tier("A_25", 0.25, 1.0, 10.0),
        tier("B_0", 0.0, 1.0, 10.0),
        tier("B_25", 0.25, 1.0, 20.0),
        tier("C_0", 0.0, 0.5, 20.0),
        tier("C_25", 0.25, 1.0, 10.0),
        tier("D_0", 0.0, 0.5, 20.0),
        tier("D_25", 0.25, 1.0, 10.0),
        tier("E_mid", 0.25, 0.9, 10.0),
        tier("E_low", 0.25, 0.8, 10.0),
        tier("E_top", 0.25, 1.0, 10.0),
        tier("E_top2", 0.25, 1.0, 10.0),
        tier("F_0", 0.0, 0.5, 5.0),
        tier("F_25", 0.25, 1.0, 10.0),
    ]
    conditions = [
        Condition("c1", "requires", ("O1", "C_0")),
        Condition("c2", "excludes", ("D_25", "O2")),
        Condition("c3", "at_least", ("A", "O1"), 1),
        Condition("c4", "requires", ("A_0", "O2")),
    ]
    fields: dict[str, object] = {"market_share_caps": {CP: 0.35}, "conditions": conditions}
    fields.update(settings)
    return make_instance([sector(s) for s in "ABCDEF"], tiers, offers(), **fields)


E_CHAIN = {"E_mid": "E_top", "E_low": "E_top", "E_top2": "E_top"}


def test_hand_computed_case() -> None:
    instance = hand_instance()
    pruned = pruned_of(instance)
    assert pruned == {"A_0": "A_25", **E_CHAIN}
    assert list(pruned) == ["A_0", "E_mid", "E_low", "E_top2"]  # requests.csv order
    assert_pruning_is_safe(enumerate_instance(instance), pruned)


def test_ties_keep_the_first_tier_in_file_order() -> None:
    instance = hand_instance()
    order = [r.request for r in instance.requests]
    i, j = order.index("E_top"), order.index("E_top2")
    requests = list(instance.requests)
    requests[i], requests[j] = requests[j], requests[i]
    swapped = replace(instance, requests=tuple(requests))
    expected = {"A_0": "A_25", "E_mid": "E_top2", "E_low": "E_top2", "E_top": "E_top2"}
    assert pruned_of(swapped) == expected
    assert pruned_of(swapped) == pruned_of(swapped)


def test_hand_case_without_the_cap_or_the_conditions() -> None:
    """What the cap row and the conditions held back is pruned once they go."""
    no_cap = pruned_of(hand_instance(market_share_caps={}))
    assert no_cap == {"A_0": "A_25", "B_25": "B_0", **E_CHAIN}
    no_conditions = pruned_of(hand_instance(conditions=[]))
    assert no_conditions == {"A_0": "A_25", "C_0": "C_25", "D_0": "D_25", **E_CHAIN}


@pytest.mark.parametrize(
    ("caps", "floors", "expected"),
    [
        # the sign of each row's factor of p, derived from the row: f = [m = cp] - s
        ({CP: 0.35}, {}, {"A_0": "A_25"}),  # f > 0: less protected is better
        ({"ROW": 0.9}, {}, {"B_25": "B_0"}),  # f < 0: more protected is better
        ({}, {CP: 0.1}, {"B_25": "B_0"}),  # a floor row flips the sign
        ({}, {"ROW": 0.5}, {"A_0": "A_25"}),
        ({CP: 0.35, "ROW": 0.9}, {}, {}),  # both signs: equal p only
        ({CP: 1.0}, {"ROW": 0.0}, {"A_0": "A_25", "B_25": "B_0"}),  # f = 0: no constraint
    ],
)
def test_share_rows_by_the_sign_of_their_coefficient(caps, floors, expected) -> None:
    instance = hand_instance(market_share_caps=caps, market_share_floors=floors)
    assert pruned_of(instance) == {**expected, **E_CHAIN}


def test_every_scenario_counts() -> None:
    """G_25 is worth more than G_0 when the threat is 100% (30 against 0.5 x 50 = 25)
    but less when it is 30%: X(0.3) = 76.92, so G_0 keeps 0.5 x 23.08 = 11.54 and
    G_25 only 80 - 76.92 = 3.08. Dominance must hold in every scenario."""
    tiers = [tier("G_0", 0.0, 0.5, 20.0), tier("G_25", 0.25, 1.0, 10.0)]
    high = Scenario("high", 0.9)
    low = Scenario("low", 0.1, threat_tariff=frozen_mapping({"G": 0.3}))
    for scenarios, expected in (
        ([high], {"G_0": "G_25"}),
        ([low], {}),  # G_0 worth more, but costs more
        ([high, low], {}),  # the expected value favours G_25: 27.3 against 23.65
    ):
        instance = make_instance([sector("G")], tiers, offers(), scenarios=scenarios)
        assert pruned_of(instance) == expected, [w.name for w in scenarios]
    # pruning G_0 anyway would lose the worst-case optimum (G_0 keeps 11.54 at worst)
    with pytest.raises(AssertionError):
        assert_pruning_is_safe(enumerate_instance(instance), {"G_0": "G_25"})


# ----------------------------------------------------------------- conditions, by role

# k = S_lo (a·p 15, c 20) is dominated by k' = S_hi (a·p 30, c 10) when no condition
# says otherwise; "S" is the sector id.
CONDITION_CASES = [
    ("requires", ("S_lo", "O1"), None, True),  # k restricted: fine
    ("requires", ("O1", "S_lo"), None, False),  # k helps O1
    ("requires", ("O1", "O2", "S_lo"), None, False),  # in the second object's row
    ("requires", ("S_hi", "O1"), None, False),  # k' restricted
    ("requires", ("O1", "S_hi"), None, True),  # k' helps: fine
    ("requires", ("S", "O1"), None, True),  # a sector id treats its tiers alike
    ("requires", ("O1", "S"), None, True),
    ("requires_one_of", ("O1", "S_lo", "O2"), None, False),
    ("requires_one_of", ("S_hi", "O1", "O2"), None, False),
    ("requires_one_of", ("S_lo", "O1", "O2"), None, True),
    ("requires_one_of", ("O1", "S_hi", "O2"), None, True),
    ("requires_one_of", ("O1", "S_lo", "S_hi"), None, True),  # both help the one row
    ("requires_one_of", ("O1", "S", "O2"), None, True),
    ("excludes", ("S_lo", "O1"), None, True),
    ("excludes", ("O1", "S_lo"), None, True),
    ("excludes", ("S_hi", "O1"), None, False),
    ("excludes", ("O1", "S_hi"), None, False),
    ("excludes", ("S", "O1"), None, True),
    ("at_most", ("S_lo", "O1"), 1, True),
    ("at_most", ("S_hi", "O1"), 1, False),
    ("at_most", ("S_lo", "S_hi", "O1"), 1, True),  # the swap leaves the sum as it is
    ("at_most", ("S", "O1"), 1, True),
    ("at_least", ("S_lo", "O1"), 1, False),
    ("at_least", ("S_hi", "O1"), 1, True),
    ("at_least", ("S_lo", "S_hi", "O1"), 1, True),
    ("at_least", ("S", "O1"), 1, True),
]


@pytest.mark.parametrize(("kind", "members", "count", "pruned"), CONDITION_CASES)
def test_condition_roles(kind: str, members: tuple[str, ...], count, pruned: bool) -> None:
    instance = make_instance(
        [sector("S")],
        [tier("S_lo", 0.25, 0.5, 20.0), tier("S_hi", 0.25, 1.0, 10.0)],
        offers(),
        conditions=[Condition("c", kind, members, count)],
    )
    result = pruned_of(instance)
    assert result == ({"S_lo": "S_hi"} if pruned else {})
    assert_pruning_is_safe(enumerate_instance(instance), result)


# ----------------------------------------------------------------------- brute force


def lowered(instance: Instance) -> Instance:
    """The instance with each multi-tier sector's first tier 70% less likely granted."""
    first = {t[0] for t in instance.tiers_by_sector.values() if len(t) > 1}
    return replace(
        instance,
        requests=tuple(
            replace(r, acceptance=0.3 * r.acceptance) if r.request in first else r
            for r in instance.requests
        ),
    )


def objective_values(enum: Enumeration, allowed: np.ndarray, kind: str) -> np.ndarray:
    """Each vector's objective, the regret measured against the optima over ``allowed``."""
    if kind != "regret":
        return enum.objectives(kind)
    optimum = enum.values[allowed].max(axis=0)
    return -(optimum - enum.values).max(axis=1)


def best_by_package(enum: Enumeration, allowed: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The best objective of each offer package over ``allowed`` (-inf: none allowed)."""
    offers = enum.vectors[:, len(enum.inst.requests) :]
    package = offers @ (1 << np.arange(offers.shape[1]))
    best = np.full(1 << offers.shape[1], -np.inf)
    np.maximum.at(best, package[allowed], z[allowed])
    return best


def swapped_index(enum: Enumeration, pruned: dict[str, str]) -> np.ndarray:
    """The index of each vector with every pruned tier swapped for its dominator.

    ``itertools.product`` order: column i has weight 2^(n-1-i) in the index.
    """
    column = {d: i for i, d in enumerate(enum.ids)}
    weight = 1 << (enum.n - 1 - np.arange(enum.n))
    shift = np.zeros(enum.n, dtype=np.int64)
    for k, d in pruned.items():
        shift[column[k]] = weight[column[d]] - weight[column[k]]
    return np.arange(len(enum.vectors)) + enum.vectors @ shift


def assert_pruning_is_safe(enum: Enumeration, pruned: dict[str, str]) -> None:
    """The properties the reduction promises, checked by the oracle.

    (1) swapping each pruned tier for its dominator keeps every feasible strategy
    feasible and lowers no scenario value; (2) every objective's optimum and (3) every
    offer package's best value are the same with the pruned tiers forbidden.
    """
    where = enum.inst.name
    kept = set(enum.ids) - set(pruned)
    assert set(pruned.values()) <= kept, where
    for k, d in pruned.items():
        assert enum.inst.request_by_id[k].sector == enum.inst.request_by_id[d].sector, where
    columns = [enum.ids.index(k) for k in pruned]
    allowed = enum.feasible & ~enum.vectors[:, columns].any(axis=1)
    feasible = np.flatnonzero(enum.feasible)
    target = swapped_index(enum, pruned)[feasible]
    assert allowed[target].all(), where
    scale = np.maximum(1.0, np.abs(enum.values[feasible]))
    assert (enum.values[target] >= enum.values[feasible] - 1e-9 * scale).all(), where
    if not enum.feasible.any():
        return
    for kind in OBJECTIVES:
        z_full = objective_values(enum, enum.feasible, kind)
        z_pruned = objective_values(enum, allowed, kind)
        best = z_full[enum.feasible].max()
        assert abs(z_pruned[allowed].max() - best) <= tolerance(best), (where, kind)
        full = best_by_package(enum, enum.feasible, z_full)
        with_pruning = best_by_package(enum, allowed, z_pruned)
        assert np.array_equal(full == -np.inf, with_pruning == -np.inf), (where, kind)
        finite = full > -np.inf
        gap = np.abs(full[finite] - with_pruning[finite])
        assert (gap <= [tolerance(float(v)) for v in full[finite]]).all(), (where, kind)


@functools.cache
def random_case(seed: int, variant: str) -> tuple[Enumeration, dict[str, str]]:
    instance = random_instance(seed, OBJECTIVES)
    if variant == "lowered":
        instance = lowered(instance)
    return enumerate_instance(instance), pruned_of(instance)


@pytest.mark.parametrize("variant", ["random", "lowered"])
def test_brute_force_pruning_keeps_every_optimum(variant: str) -> None:
    seen: Counter[str] = Counter()
    for seed in SEEDS:
        enum, pruned = random_case(seed, variant)
        assert_pruning_is_safe(enum, pruned)
        if not pruned:
            continue
        seen["prunes"] += 1
        columns = [enum.ids.index(k) for k in pruned]
        uses_pruned = enum.feasible & enum.vectors[:, columns].any(axis=1)
        seen["a feasible strategy uses a pruned tier"] += bool(uses_pruned.any())
        inst = enum.inst
        seen["caps or floors"] += bool(inst.market_share_caps or inst.market_share_floors)
        seen["several scenarios"] += len(inst.scenarios) > 1
        seen["conditions on requests"] += any(
            m in inst.request_by_id for c in inst.conditions for m in c.members
        )
    # the test proves something only if pruning happens, in all kinds of instance
    assert seen["prunes"] >= 40, seen
    for what in (
        "a feasible strategy uses a pruned tier",
        "caps or floors",
        "several scenarios",
        "conditions on requests",
    ):
        assert seen[what] >= 5, (what, seen)


def relaxations(instance: Instance) -> dict[str, Instance]:
    """The instance without its share limits, without its conditions, at no cost."""
    return {
        "shares": replace(
            instance, market_share_caps=frozen_mapping(), market_share_floors=frozen_mapping()
        ),
        "conditions": replace(instance, conditions=()),
        "costs": replace(
            instance,
            requests=tuple(replace(r, counterpart_cost=0.0) for r in instance.requests),
        ),
    }


def test_random_instances_exercise_every_rule_of_the_reduction() -> None:
    """Share rows, conditions and costs each keep some tier that would go otherwise."""
    blocked: Counter[str] = Counter()
    for seed in SEEDS:
        instance = random_instance(seed, OBJECTIVES)
        pruned = set(pruned_of(instance))
        for rule, loose in relaxations(instance).items():
            blocked[rule] += bool(set(pruned_of(loose)) - pruned)
    assert len(blocked) == 3 and min(blocked.values()) >= 5, blocked


# -------------------------------------------------------------- generated, with HiGHS


def highs_optimum(instance: Instance, forbidden: set[str]) -> float:
    """The expected-value optimum of advisor's model with ``forbidden`` tiers fixed to 0."""
    model = build_model(instance, compute_coefficients(instance))
    for r in forbidden:
        model.request[r].fix(0)
    match_thread_pool(None)
    opt = Highs()
    with quiet_stdout():
        result = opt.solve(model, rel_gap=1e-9, abs_gap=1e-9)
    assert result.termination_condition == TerminationCondition.convergenceCriteriaSatisfied
    return pyo.value(model.objective)


@pytest.fixture(scope="module")
def lines300(tmp_path_factory: pytest.TempPathFactory) -> Instance:
    folder = tmp_path_factory.mktemp("lines300")
    gen.write_instance(gen.generate(advisor.load_instance(MALAYSIA), 300, 3), folder)
    return advisor.load_instance(folder)


def test_generated_instance_optimum_is_kept(lines300: Instance) -> None:
    """On 300 generated lines, and on a variant whose lowest tiers are less likely
    granted (so that tiers are dominated), HiGHS finds the same optimum both ways."""
    tariff = {r.request: r.tariff for r in lines300.requests}
    lowest = {min(t, key=tariff.get) for t in lines300.tiers_by_sector.values() if len(t) > 1}
    variant = replace(
        lines300,
        requests=tuple(
            replace(r, acceptance=0.3 * r.acceptance) if r.request in lowest else r
            for r in lines300.requests
        ),
    )
    counts = {}
    for name, instance in (("generated", lines300), ("lowered", variant)):
        pruned = pruned_of(instance)
        counts[name] = len(pruned)
        full = highs_optimum(instance, set())
        reduced = highs_optimum(instance, set(pruned))
        assert reduced == pytest.approx(full, rel=1e-6), name
    print(f"tiers pruned of {len(lines300.requests)}: {counts}")
    assert counts["lowered"] >= 100, counts
