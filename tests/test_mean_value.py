"""The mean-value problem on the ranking's rows (advisor.solving.mean_value).

Its HiGHS model must be the mean-value instance's own model, row for row (each row
up to its scale), bound for bound and cost for cost, with the mean's dominated tiers
at 0 as its own session would fix them; its best strategy must be the mean-value
optimum found by enumeration (small instances) or by the independent MILP of
tests/randinst.py (generated tariff lines), and the measures of a ranking at scale
must name the same mean-value strategy as a session of the mean's own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from randinst import enumerate_instance, milp_optimum, random_instance, tolerance

import advisor
from advisor import generate as gen
from advisor.solving import measures as measures_module
from advisor.solving.lagrangian import constraint_matrix
from advisor.solving.mean_value import swapped_model
from advisor.solving.measures import mean_value_instance, mean_value_strategy
from advisor.solving.search import best_on, fix_dominated
from advisor.solving.session import open_session

SEEDS = [s for s in range(1, 400) if len(random_instance(s, ("expected",)).scenarios) > 1]


def canonical_rows(lp) -> list[tuple]:
    """Each row as (columns, coefficients, lower, upper) divided by its largest |a|, sorted."""
    matrix = constraint_matrix(lp)
    rows = []
    for i in range(lp.num_row_):
        cols = matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]]
        vals = matrix.data[matrix.indptr[i] : matrix.indptr[i + 1]]
        keep = vals != 0
        cols, vals = cols[keep], vals[keep]
        scale = np.max(np.abs(vals)) if len(vals) else 1.0
        order = np.argsort(cols)
        rows.append(
            (
                tuple(cols[order]),
                tuple(np.round(vals[order] / scale, 9)),
                round(lp.row_lower_[i] / scale, 9) if np.isfinite(lp.row_lower_[i]) else -np.inf,
                round(lp.row_upper_[i] / scale, 9) if np.isfinite(lp.row_upper_[i]) else np.inf,
            )
        )
    return sorted(rows)


def assert_same_model(inst: advisor.Instance) -> bool:
    """The swapped model equals the mean's own (False: the swap does not apply)."""
    ranking = open_session(inst, "expected", binding=False)
    fix_dominated(ranking)  # the ranking's dominated tiers, as after a ranking
    mean = mean_value_instance(inst)
    swapped = swapped_model(ranking, mean)
    own = open_session(mean, "expected", binding=False)
    if swapped is None:  # only when either model has columns beyond the decisions
        columns = {ranking.highs.getNumCol(), own.highs.getNumCol()}
        assert columns != {len(ranking.names)}
        return False
    fix_dominated(own)
    theirs = own.highs_model().lp_
    assert own.names == ranking.names
    assert own.decision_columns() == ranking.decision_columns()
    lp = swapped.lp_
    assert lp.sense_ == theirs.sense_
    assert lp.offset_ == pytest.approx(theirs.offset_, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(lp.col_cost_, theirs.col_cost_, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(lp.col_lower_, theirs.col_lower_)
    np.testing.assert_array_equal(lp.col_upper_, theirs.col_upper_)
    np.testing.assert_array_equal(lp.integrality_, theirs.integrality_)
    assert canonical_rows(lp) == canonical_rows(theirs)
    return True


@pytest.mark.parametrize("seed", SEEDS)
def test_the_swapped_model_is_the_mean_value_model(seed) -> None:
    inst = random_instance(seed, ("expected",))
    applies = assert_same_model(inst)
    assert applies or inst.linkages  # products of binaries: columns of their own


@pytest.fixture(scope="module")
def lines300(tmp_path_factory: pytest.TempPathFactory) -> advisor.Instance:
    folder: Path = tmp_path_factory.mktemp("mean300")
    gen.main(["--lines", "300", "--seed", "5", "--output", str(folder)])
    return advisor.load_instance(folder)


def test_the_swapped_model_at_tariff_line_scale(lines300) -> None:
    assert assert_same_model(lines300)


UNLINKED = [s for s in SEEDS if not random_instance(s, ("expected",)).linkages]


@pytest.mark.parametrize("seed", UNLINKED[:60])
def test_its_best_strategy_is_the_enumerated_mean_value_optimum(seed) -> None:
    inst = random_instance(seed, ("expected",))
    ranking = open_session(inst, "expected", binding=False)
    mean = mean_value_instance(inst)
    model = swapped_model(ranking, mean)
    assert model is not None  # no linkages: the same columns
    chosen = best_on(ranking, model, mean)
    listed = enumerate_instance(mean).ranking("expected", 1)
    if not listed:
        assert chosen is None
        return
    assert chosen is not None
    own = open_session(mean, "expected", binding=False)
    best = listed[0][1]
    assert own.evaluator.objective_of(chosen) == pytest.approx(best, abs=tolerance(best))
    assert own.rulebook.violations(chosen) == []


def test_at_tariff_line_scale_the_mean_value_optimum_is_the_independent_milps(
    lines300, monkeypatch
) -> None:
    """And the measures name the strategy a session of the mean's own names."""
    ranking = open_session(lines300, "expected", binding=False, mip_gap=0.0)
    swaps = []
    swapped = measures_module.swapped_model
    monkeypatch.setattr(
        measures_module, "swapped_model", lambda *a: swaps.append(1) or swapped(*a)
    )
    fast = mean_value_strategy(lines300, 0.0, None, None, ranking)
    assert swaps == [1]
    own = mean_value_strategy(lines300, 0.0, None, None, None)
    assert fast is not None and fast == own
    mean = mean_value_instance(lines300)
    _, best = milp_optimum(mean)
    value = open_session(mean, "expected", binding=False).evaluator.objective_of(fast)
    assert value == pytest.approx(best, rel=1e-6)


def test_side_by_side_the_measures_are_those_made_one_after_the_other(
    lines300, monkeypatch
) -> None:
    """The mean-value search in a second thread, beside the scenario searches."""
    beside = advisor.solve(lines300, top=1, with_measures=True).scenario_measures

    def one_after_the_other(instance, session, optima_now):
        optima = optima_now()
        chosen = mean_value_strategy(instance, 0.0, None, None, session)
        return optima, chosen

    monkeypatch.setattr(measures_module, "_side_by_side", one_after_the_other)
    alone = advisor.solve(lines300, top=1, with_measures=True).scenario_measures
    assert beside is not None and alone is not None
    assert beside == alone


def test_an_interrupt_stops_the_mean_value_search(lines300, monkeypatch) -> None:
    import threading
    import time

    started = threading.Event()
    searches = []
    add = measures_module._Stopper.add

    def kept(self, search):
        searches.append(search)
        add(self, search)
        started.set()

    def interrupted(*args, **kwargs):
        assert started.wait(60)  # the mean-value search has begun
        raise KeyboardInterrupt

    monkeypatch.setattr(measures_module._Stopper, "add", kept)
    monkeypatch.setattr(measures_module, "scenario_optima", interrupted)
    with pytest.raises(KeyboardInterrupt):
        advisor.solve(lines300, top=1, with_measures=True)
    assert len(searches) == 1
    assert searches[0].deadline is not None and searches[0].deadline <= time.monotonic()
