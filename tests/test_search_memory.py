"""A package's LP optimum remembered from an earlier model is reused only when it is
still an optimum (advisor.solving.memory): checked against the LP solved afresh on
the changed model, for every remembered package, every rule removed, and limits
tightened (where the remembered point may no longer fit)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import pytest

import advisor
from advisor import generate as gen
from advisor.analysis.scale import rule_families
from advisor.solving.enumerated import EnumeratedPackageSearch
from advisor.solving.lagrangian import constraint_matrix
from advisor.solving.memory import SearchMemory
from advisor.solving.search import _package_search, rank_packages
from advisor.solving.session import SolverSession, open_session


def _session(folder: Path, seed: int) -> SolverSession:
    assert gen.main(["--lines", "60", "--seed", str(seed), "--output", str(folder)]) == 0
    session = open_session(advisor.load_instance(folder), "expected", binding=False)
    session.memory = SearchMemory()
    with pytest.MonkeyPatch.context() as patch:  # whole LPs: the optima a memory keeps
        patch.setattr(EnumeratedPackageSearch, "_solve_package",
                      lambda self, i: (self._solve_fixed(self._package_dict(i)), True))
        rank_packages(session, 6, "offers")  # prices a few packages of the model as ranked
    return session


def _searches(session: SolverSession) -> tuple[EnumeratedPackageSearch, EnumeratedPackageSearch]:
    """A search of the model as it is now with the memory, and one without it."""
    memory, session.memory = session.memory, None
    fresh = _package_search(session, 1, False)
    session.memory = memory
    remembering = _package_search(session, 1, False)
    assert isinstance(fresh, EnumeratedPackageSearch)
    assert isinstance(remembering, EnumeratedPackageSearch)
    return remembering, fresh


def _changes(session: SolverSession) -> Iterator[AbstractContextManager[None]]:
    """Each rule removed; the reciprocity ratio and each cap and floor made stricter."""
    for rule in rule_families(session.instance, session.rules):
        yield session.without(rule.constraints)
        if rule.limit is not None:
            stricter = rule.limit.value * (1 - 0.3 * rule.limit.loosen)
            yield session.parameter(rule.limit.param, stricter)


@pytest.mark.parametrize("seed", [2, 4])
def test_remembered_optima_are_reused_only_when_still_optimal(seed: int, tmp_path: Path) -> None:
    session = _session(tmp_path, seed)
    assert session.memory is not None
    first = session.memory.models[0]
    remembered = [np.frombuffer(key) for key in first.optima]
    assert len(remembered) >= 3
    reused = better_afresh = 0
    for change in _changes(session):
        with change:
            search, fresh = _searches(session)
            assert search.memory is not None
            matrix = constraint_matrix(fresh.lp.getLp())
            for package in remembered:
                i = fresh.bounds.index_of(package)
                exact = None if i is None else fresh._solve_fixed(fresh._package_dict(i))
                found = search.memory.optimum(package)
                if found is not None:
                    reused += 1
                    assert exact is not None
                    assert abs(found.bound - exact.bound) <= 1e-7 * max(1.0, abs(exact.bound))
                    assert np.allclose(found.activity, matrix @ found.x)
                elif exact is not None:
                    old = first.optima[package.tobytes()].bound
                    better_afresh += exact.bound > old + 1e-6 * max(1.0, abs(old))
    assert reused and better_afresh  # both cases occur: the check decides
