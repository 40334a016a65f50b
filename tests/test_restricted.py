"""The package LP on the lines near a tie (advisor.solving.restricted) against the whole LP.

Its answer must be an optimum of the package's LP with the tiers its rows forbid at
0, proven by the dual it builds: x within every row and column bound, every reduced
cost d = c - Aᵀπ of the sign its column's bound allows, a row dual non-zero only on
a row at that side, and c·x the bound it reports. Its bound lies between the
package's best strategy (enumerated by tests/randinst.py) and the whole LP's
optimum, and equals the whole LP's where no tier is fractional-only. Then the
rankings found with it equal those found by the whole LP, to the search's tolerance,
on generated tariff lines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_lagrangian import package_names, random_multipliers, searched_cases

import advisor
from advisor import generate as gen
from advisor.results import tolerance
from advisor.solving import enumerated, restricted
from advisor.solving.completion import Relaxation
from advisor.solving.enumerated import EnumeratedPackageSearch
from advisor.solving.lagrangian_dual import descend
from advisor.solving.restricted import RestrictedLp

TOLERANCE = 1e-7


def assert_optimal(search: EnumeratedPackageSearch, solver: RestrictedLp, i: int,
                   lp: Relaxation) -> None:
    """KKT conditions of ``lp`` for package i's LP with its forbidden tiers at 0."""
    bounds = search.bounds
    lower, upper = search.lower.copy(), search.upper.copy()
    lower[bounds.offer_columns] = upper[bounds.offer_columns] = bounds.packages[i]
    columns = solver.layout.columns
    allowed = solver._allowed(i)[:, 1:]
    forbidden = columns[(columns >= 0) & ~allowed]
    upper[forbidden] = np.minimum(upper[forbidden], 0.0)
    lower[forbidden] = np.minimum(lower[forbidden], 0.0)
    x, pi = lp.x, lp.row_dual
    activity = bounds.matrix @ x
    assert np.all(x >= lower - TOLERANCE) and np.all(x <= upper + TOLERANCE)
    assert np.all(activity >= search.row_lower - TOLERANCE)
    assert np.all(activity <= search.row_upper + TOLERANCE)
    reduced = bounds.cost - bounds.matrix.T @ pi
    moving = upper > lower
    at_lower = moving & (x <= lower + TOLERANCE)
    at_upper = moving & (x >= upper - TOLERANCE)
    assert not np.any(at_lower & ~at_upper & (reduced > TOLERANCE))  # a max: d ≤ 0 at a lower bound
    assert not np.any(at_upper & ~at_lower & (reduced < -TOLERANCE))
    assert not np.any(moving & ~at_lower & ~at_upper & (np.abs(reduced) > TOLERANCE))
    tight_upper = np.abs(activity - search.row_upper) <= TOLERANCE
    tight_lower = np.abs(activity - search.row_lower) <= TOLERANCE
    assert not np.any((pi > TOLERANCE) & ~tight_upper)
    assert not np.any((pi < -TOLERANCE) & ~tight_lower)
    assert lp.bound == pytest.approx(float(bounds.cost @ x + bounds.offset), abs=TOLERANCE)
    np.testing.assert_allclose(lp.reduced, np.abs(reduced), atol=1e-12)


@pytest.mark.parametrize("share", [restricted.FREE_SHARE, 0.0])
def test_each_package_lp_is_proven_optimal_and_bounds_its_best(
    share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every feasible package of the random instances; ``share`` 0 fixes all but ties."""
    monkeypatch.setattr(restricted, "FREE_SHARE", share)
    settled = equal = fixed = 0
    for seed, best, search, unit in searched_cases():
        dual = descend(search.bounds)
        solver = RestrictedLp.of(search.bounds, search.lp, search.lower, search.upper)
        for i, name in enumerate(package_names(search, row) for row in search.bounds.packages):
            if name not in best:
                continue
            lp = solver.solve(i, dual.multipliers, search._run)
            whole = search._solve_fixed(search._package_dict(i))
            assert whole is not None, f"seed {seed}"
            assert lp != restricted.INFEASIBLE, f"seed {seed}: a package with strategies"
            if not isinstance(lp, Relaxation):
                continue
            truth = best[name] / unit
            slack = 1e-7 * max(1.0, abs(truth))
            assert truth - slack <= lp.bound <= whole.bound + slack, f"seed {seed}"
            assert_optimal(search, solver, i, lp)
            settled += 1
            equal += lp.bound == pytest.approx(whole.bound, rel=1e-9, abs=1e-9)
            fixed += len(solver.layout.columns) - solver.freed
    assert settled >= 200 and fixed >= 200  # lines really were fixed
    assert equal >= 0.8 * settled


@pytest.mark.parametrize("share", [restricted.FREE_SHARE, 0.0])
def test_a_package_proven_infeasible_has_an_infeasible_lp(
    share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Step 2': the dual ray's proof only for packages whose whole LP is infeasible.

    Every package of the random instances, at the Lagrangian dual's multipliers and
    at random ones (which fix lines far from the optimum: more restricted LPs are
    infeasible); lines the proof does not cover are freed and the LP solved again.
    """
    monkeypatch.setattr(restricted, "FREE_SHARE", share)
    refuted: list[int] = []
    real = RestrictedLp._refuted_lines

    def counted(self: RestrictedLp, *args: object) -> np.ndarray | None:
        answer = real(self, *args)  # type: ignore[arg-type]
        if answer is not None:
            refuted.append(int(np.sum(answer)))
        return answer

    monkeypatch.setattr(RestrictedLp, "_refuted_lines", counted)
    rng = np.random.default_rng(5)
    proven = 0
    for seed, best, search, _ in searched_cases():
        solver = RestrictedLp.of(search.bounds, search.lp, search.lower, search.upper)
        for lam in (descend(search.bounds).multipliers, random_multipliers(search, rng)):
            for i, row in enumerate(search.bounds.packages):
                lp = solver.solve(i, lam, search._run)
                if lp == restricted.INFEASIBLE:
                    assert package_names(search, row) not in best, f"seed {seed}"
                    assert search._solve_fixed(search._package_dict(i)) is None, f"seed {seed}"
                    proven += 1
    assert proven >= 20  # packages settled without their whole LP
    assert sum(1 for n in refuted if n > 0) >= 5  # and restricted LPs re-solved with lines freed


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lines1000")
    assert gen.main(["--lines", "1000", "--seed", "3", "--output", str(folder)]) == 0
    return folder


def test_a_generated_instances_top_packages_match_the_whole_lp(generated: Path) -> None:
    from advisor.solving.search import _package_search, fix_dominated
    from advisor.solving.session import open_session

    session = open_session(advisor.load_instance(generated), mip_gap=0.0, threads=1)
    fix_dominated(session)
    search = _package_search(session, 1, False, remember=False)
    assert isinstance(search, EnumeratedPackageSearch)
    dual = descend(search.bounds)
    solver = RestrictedLp.of(search.bounds, search.lp, search.lower, search.upper)
    for i in np.argsort(-dual.bound, kind="stable")[:8]:
        lp = solver.solve(int(i), dual.multipliers, search._run)
        assert lp is not None and solver.freed < len(solver.layout.columns)  # some fixed
        whole = search._solve_fixed(search._package_dict(int(i)))
        assert whole is not None
        assert lp.bound == pytest.approx(whole.bound, rel=1e-9)
        assert_optimal(search, solver, int(i), lp)


@pytest.mark.parametrize("distinct_on", ["offers", "all"])
def test_rankings_with_the_restricted_lps_equal_those_with_the_whole_lp(
    generated: Path, distinct_on: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = advisor.load_instance(generated)
    options = {"top": 5, "distinct_on": distinct_on, "with_measures": False, "mip_gap": 0.0}
    used = []
    real = RestrictedLp.solve

    def counted(self: RestrictedLp, *args: object) -> Relaxation | None:
        answer = real(self, *args)  # type: ignore[arg-type]
        used.append(answer is not None)
        return answer

    with monkeypatch.context() as patch:
        patch.setattr(RestrictedLp, "solve", counted)
        fast = advisor.solve(instance, **options)
    assert any(used)
    with monkeypatch.context() as patch:
        patch.setattr(enumerated.EnumeratedPackageSearch, "_solve_package",
                      lambda self, i: (self._solve_fixed(self._package_dict(i)), True))
        whole = advisor.solve(instance, **options)
    assert len(fast.strategies) == len(whole.strategies) == 5
    for got, expected in zip(fast.strategies, whole.strategies, strict=True):
        # each exact to the search's tolerance: completions within it may differ
        assert abs(got.objective - expected.objective) <= 2 * tolerance(expected.objective)
