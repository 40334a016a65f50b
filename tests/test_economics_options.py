"""Issue 13's economics options against exhaustive enumeration, on 200 random instances.

Every instance here (``randinst.random_instance(seed, every_option=True)``) has at
least two scenarios, value weights on some sectors, linkages (offers that raise a
request's acceptance or move probability between scenarios) and a draw of the
options: offer effects in or out of the objective, reciprocity in expectation or in
every scenario, shares with every request granted or acceptance-weighted. The oracle
in ``randinst`` scores every 0/1 vector with its own rules (the linkages evaluated
directly, not linearised), so the solver's exact linearisation, the evaluator and the
checker are all tested against it.
"""

from __future__ import annotations

import functools
from collections import Counter

import pytest
from randinst import enumerate_instance, random_instance
from test_bruteforce import TOP, chunks, tolerance

import advisor
from advisor.checker import rule_violations

SEEDS = range(1000, 1200)


@functools.cache
def case(seed: int):
    inst = random_instance(seed, every_option=True)
    return inst, enumerate_instance(inst)


def check(seed: int, objective: str, search: str = "auto", top: int = TOP) -> None:
    inst, enum = case(seed)
    expected = enum.ranking(objective, top)
    result = advisor.solve(
        inst, top=top, objective=objective, with_measures=False, threads=1, search=search
    )
    where = f"seed {seed} (every option), {objective}, search={search}"
    got = [(frozenset(s.decisions), s.objective) for s in result.strategies]
    assert [g for g, _ in got] == [e for e, _ in expected], where
    for (_, z_got), (_, z_exp) in zip(got, expected, strict=True):
        assert abs(z_got - z_exp) <= tolerance(z_exp), where
    for s in result.strategies:
        assert rule_violations(inst, s.decisions) == [], where


@pytest.mark.parametrize("seeds", chunks(SEEDS, 40))
def test_expected_strict_with_every_option(seeds):
    for seed in seeds:
        check(seed, "expected")


@pytest.mark.parametrize("seeds", chunks(SEEDS[::2], 50))
def test_worst_case_and_regret_with_every_option(seeds):
    for seed in seeds:
        check(seed, "worst_case" if seed % 4 == 0 else "regret")


@pytest.mark.parametrize("seeds", chunks(SEEDS[1::4], 50))
def test_package_search_with_every_option(seeds):
    """The offer-package search (tariff-line scale) on the linearised model, top 1."""
    for seed in seeds:
        check(seed, "expected", search="packages", top=1)


def test_the_option_set_covers_what_it_should():
    """Each option is on in many instances, and each changes some ranking."""
    seen: Counter[str] = Counter()
    for seed in SEEDS:
        inst, _ = case(seed)
        seen["acceptance linkage"] += any(k.effect == "acceptance" for k in inst.linkages)
        seen["scenario linkage"] += any(k.effect == "scenario" for k in inst.linkages)
        seen["every scenario"] += inst.reciprocity == "every_scenario"
        seen["expected shares"] += inst.shares == "expected"
        seen["effects out"] += not inst.offer_effects_in_objective
        seen["weights"] += any(s.value_weight != 1 for s in inst.sectors)
    for key in ("scenario linkage", "weights", "every scenario", "expected shares"):
        assert seen[key] >= 60, (key, seen)
    assert seen["acceptance linkage"] >= 40, seen
    assert seen["effects out"] >= 30, seen
