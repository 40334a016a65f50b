"""The Lagrangian package bounds (advisor.solving.lagrangian) against enumeration.

For every package y that some feasible strategy makes, the best objective f(y) is
known by enumerating every strategy (tests/randinst.py, which shares no code with
the advisor). A bound L(λ, y) must be at least f(y) for every multiplier λ of the
right signs (zero, random, the LP's duals), and at the duals of the LP with the
offers fixed at y it must lie between f(y) and that LP's optimum, and equal the LP's
optimum where the lines' own rows leave no fractional tier (most packages: a
condition like ``at_most (S2_t3, S2) 1`` forbids tier t3 outright, while the LP
allows it at one half). No feasible package may be missing from the enumerated ones.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
import pytest
from helpers import package_bests
from randinst import enumerate_instance, random_instance

from advisor.solving.enumerated import EnumeratedPackageSearch
from advisor.solving.lagrangian_dual import descend
from advisor.solving.search import _package_search
from advisor.solving.session import open_session

SEEDS = range(80)


@functools.cache
def bests(seed: int) -> tuple[object, dict[frozenset[str], float]]:
    """The instance and each feasible package's best expected value, by enumeration."""
    inst = random_instance(seed, ("expected",))
    return inst, package_bests(enumerate_instance(inst), "expected")


def enumerated_search(inst) -> tuple[EnumeratedPackageSearch, float] | None:
    """The enumerated search the ranking would run, and the objective's unit."""
    session = open_session(inst, "expected", mip_gap=0.0, deadline=None, threads=1)
    search = _package_search(session, 1, False)
    if not isinstance(search, EnumeratedPackageSearch):
        return None
    return search, session.model.scales.objective


Case = tuple[int, dict[frozenset[str], float], EnumeratedPackageSearch, float]


def searched_cases() -> Iterator[Case]:
    """Each seed with an enumerated search and a feasible package: its bests, search, unit."""
    for seed in SEEDS:
        inst, best = bests(seed)
        found = enumerated_search(inst)
        if found is not None and best:
            yield (seed, best, *found)


def package_names(search: EnumeratedPackageSearch, row: np.ndarray) -> frozenset[str]:
    offers = [search.columns.names[k] for k in search.columns.offers]
    return frozenset(o for o, v in zip(offers, row, strict=True) if v > 0.5)


def random_multipliers(search: EnumeratedPackageSearch, rng: np.random.Generator) -> np.ndarray:
    """λ of the right sign: ≥ 0 where only the upper side is finite, ≤ 0 where only the lower."""
    bounds = search.bounds
    lam = rng.normal(0.0, 2.0, len(bounds.coupling))
    lam = np.where(np.isfinite(bounds.upper), lam, -np.abs(lam))
    return np.where(np.isfinite(bounds.lower), lam, np.abs(lam))


def test_bounds_cover_every_package_and_are_exact_at_its_lp_duals() -> None:
    rng = np.random.default_rng(7)
    checked = packages_checked = equal = 0
    for seed, best, search, unit in searched_cases():
        bounds = search.bounds
        names = [package_names(search, row) for row in bounds.packages]
        assert set(best) <= set(names), f"seed {seed}: a feasible package is missing"
        truth = np.array([best.get(n, -np.inf) / unit for n in names])
        slack = 1e-7 * np.maximum(1.0, np.abs(truth))
        root = search._solve_fixed({})
        assert root is not None
        for lam in (
            np.zeros(len(bounds.coupling)),
            random_multipliers(search, rng),
            bounds.multipliers(root.row_dual),
        ):
            assert np.all(bounds.evaluate(lam) >= truth - slack), f"seed {seed}"
        for i, name in enumerate(names):
            if name not in best:
                continue
            lp = search._solve_fixed(search._package_dict(i))
            assert lp is not None, f"seed {seed}: a feasible package's LP is infeasible"
            at_duals = bounds.evaluate(bounds.multipliers(lp.row_dual))[i]
            assert truth[i] - slack[i] <= at_duals <= lp.bound + slack[i], f"seed {seed}"
            equal += at_duals == pytest.approx(lp.bound, rel=1e-7, abs=1e-7)
            packages_checked += 1
        checked += 1
    assert checked >= 30 and packages_checked >= 200  # the bounds really were exercised
    assert equal >= 0.8 * packages_checked


def test_a_subgradient_bounds_the_lagrangian_from_below() -> None:
    """L(λ', y) ≥ L(λ, y) + g·(λ' - λ) for every package y, g its subgradient at λ."""
    rng = np.random.default_rng(11)
    checked = 0
    for seed in SEEDS:
        inst, _ = bests(seed)
        found = enumerated_search(inst)
        if found is None or not found[0].bounds.size:
            continue
        bounds = found[0].bounds
        for _ in range(3):
            lam, other = random_multipliers(found[0], rng), random_multipliers(found[0], rng)
            at, there = bounds.evaluate(lam), bounds.evaluate(other)
            for y in range(bounds.size):
                g = bounds.subgradient(lam, y)
                assert there[y] >= at[y] + g @ (other - lam) - 1e-7 * max(1.0, abs(at[y]))
                checked += 1
    assert checked >= 500


def test_the_dual_descent_bounds_every_package_and_reaches_the_lp_bound() -> None:
    """The descent's bounds cover every package's best (enumerated), and its F is the LP's.

    min_λ max_y L(λ, y) keeps y and the lines' options whole, so it is at most the
    LP relaxation's optimum; the descent gets there within its tolerance. Every
    package's bound, the minimum over the λ the descent met, is at least its best.
    """
    checked = 0
    for seed, best, search, unit in searched_cases():
        bounds = search.bounds
        names = [package_names(search, row) for row in bounds.packages]
        truth = np.array([best.get(n, -np.inf) / unit for n in names])
        dual = descend(bounds)
        slack = 1e-7 * np.maximum(1.0, np.abs(truth))
        assert np.all(dual.bound >= truth - slack), f"seed {seed}"
        assert np.max(dual.bound) <= dual.value + 1e-12 * max(1.0, abs(dual.value))
        root = search._solve_fixed({})
        assert root is not None
        assert dual.value <= root.bound + 1e-6 * max(1.0, abs(root.bound)), f"seed {seed}"
        checked += 1
    assert checked >= 30


def test_a_packages_own_dual_is_its_lp_bound() -> None:
    """min_λ L(λ, y) for one package (the search's tighter bound before its LP).

    At least the package's best strategy, at most the bound every package got from
    the Lagrangian dual and (its line options integral) at most the package's LP
    optimum; equal to that optimum for most packages.
    """
    checked = equal = 0
    for seed, best, search, unit in searched_cases():
        dual = descend(search.bounds)
        for i, row in enumerate(search.bounds.packages):
            name = package_names(search, row)
            if name not in best:
                continue
            own = descend(search.bounds.only(i), start=dual.multipliers)
            truth = best[name] / unit
            slack = 1e-7 * max(1.0, abs(truth))
            assert truth - slack <= own.value <= dual.bound[i] + slack, f"seed {seed}"
            lp = search._solve_fixed(search._package_dict(i))
            assert lp is not None
            assert own.value <= lp.bound + 1e-6 * max(1.0, abs(lp.bound)), f"seed {seed}"
            checked += 1
            equal += own.value == pytest.approx(lp.bound, rel=1e-6, abs=1e-6)
    assert checked >= 200 and equal >= 0.8 * checked
