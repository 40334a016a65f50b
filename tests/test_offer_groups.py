"""One offer-package search for every offer flipped (issue 17's explanation at scale):
``best_with_offers`` against one MILP per (offer, value) with the offer fixed, on
generated tariff-line instances small enough for HiGHS to solve each exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import advisor
from advisor import generate as gen
from advisor.instance import Instance
from advisor.results import tolerance
from advisor.solving import enumerated
from advisor.solving.packages import Package
from advisor.solving.search import best_with_offers
from advisor.solving.session import open_session


def _generated(folder: Path, lines: int, seed: int) -> Instance:
    assert gen.main(["--lines", str(lines), "--seed", str(seed), "--output", str(folder)]) == 0
    return advisor.load_instance(folder)


@pytest.mark.parametrize("seed", range(1, 9))
def test_every_offer_flipped_in_one_search_matches_a_milp_each(
    seed: int, tmp_path: Path
) -> None:
    inst = _generated(tmp_path, 24 + 4 * seed, seed)
    offers = [o.offer for o in inst.offers]
    fixed = [(o, v) for o in offers for v in (0, 1)]
    session = open_session(inst, "expected", binding=False)
    answer = best_with_offers(session, fixed)
    assert answer is not None  # generated instances have the enumerated search
    solutions, settled = answer
    assert all(settled)
    reference = open_session(inst, "expected", binding=False)
    for (offer, value), found in zip(fixed, solutions, strict=True):
        with reference.fixed(offer, value):
            exact = reference.solve()
        assert (found is None) == (exact is None), (offer, value)
        if found is not None and exact is not None:
            assert (offer in found.chosen) == bool(value)
            unit = session.model.scales.objective
            assert abs(found.objective - exact.objective) <= tolerance(exact.objective, unit)


def test_the_groups_need_fewer_lps_than_a_search_each(tmp_path: Path) -> None:
    """What the one search is for: it prices each package once for all the offers."""
    inst = _generated(tmp_path, 60, 3)
    offers = [o.offer for o in inst.offers]
    counted: list[int] = []
    real = enumerated.EnumeratedPackageSearch._solve_package

    def counting(self: enumerated.EnumeratedPackageSearch, i: int) -> object:
        counted.append(i)  # every package LP, on the lines near a tie or whole
        return real(self, i)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(enumerated.EnumeratedPackageSearch, "_solve_package", counting)
        session = open_session(inst, "expected", binding=False)
        best_with_offers(session, [(o, 1) for o in offers])
        together = len(counted)
        counted.clear()
        for offer in offers:
            best_with_offers(session, [(offer, 1)])
        apart = len(counted)
    assert together < apart


def _bare_search() -> enumerated.EnumeratedPackageSearch:
    """A search with only what settling a group reads (gap, tie key, no request dedup)."""
    search = object.__new__(enumerated.EnumeratedPackageSearch)
    search.mip_gap = 1e-6
    search.tie_key = lambda chosen: sorted(chosen)
    search.distinct_requests = False
    return search


def test_a_group_is_settled_by_its_best_package_worked_by_hand() -> None:
    """Four packages, the group {0, 1, 2}: 0 completed at 10 (bound 10), 1 at 12 (bound
    12.5), 2 open with bound 11; 3 (outside the group) open with bound 50."""
    search = _bare_search()
    group = np.array([True, True, True, False])
    found = {
        0: Package(frozenset({"A"}), 10.0, 10.0, True),
        1: Package(frozenset({"B"}), 12.0, 12.5, True),
    }
    state = np.array([enumerated.DONE, enumerated.DONE, enumerated.OPEN, enumerated.OPEN])
    best = np.array([-np.inf, -np.inf, 11.0, 50.0])
    assert search._best_of(group, found) is found[1]
    # 1's own bound (12.5) is no other package's: what is outside it is 10 and 11
    assert search._settled(group, best, state, found)
    best[2] = 12.1  # an open package that could beat 12
    assert not search._settled(group, best, state, found)
    found[1] = Package(frozenset({"B"}), 9.0, 12.5, False)  # now 0 is the best, 1 may hold 12.5
    best[2] = 9.5
    assert search._best_of(group, found) is found[0]
    assert not search._settled(group, best, state, found)
    empty = np.array([False, False, False, True])
    state[3] = enumerated.DONE
    assert search._best_of(empty, found) is None and search._settled(empty, best, state, found)
