"""The frontier's floor and λ sweeps (issue 18) against exhaustive enumeration.

Each point's best objective must be the best objective of the instance with that
limit set, as the enumeration oracle of ``randinst`` finds it (its own rules and
values, no Pyomo), and infeasible points must be infeasible there too.
"""

from __future__ import annotations

import numpy as np
import pytest
from randinst import enumerate_instance, random_instance

import advisor
from advisor.analysis.frontier import with_limit


def _best(inst) -> float | None:
    enum = enumerate_instance(inst, check_caps=True)
    if not enum.feasible.any():
        return None
    return float(enum.objectives("expected")[enum.feasible].max())


def _check(inst, vary: str, market: str | None, lower: float, upper: float) -> None:
    sweep = advisor.frontier(
        inst, vary=vary, points=4, market=market, lower=lower, upper=upper, objective="expected"
    )
    assert [p.value for p in sweep.points] == pytest.approx(np.linspace(lower, upper, 4))
    for p in sweep.points:
        expected = _best(with_limit(inst, vary, market, p.value))
        if expected is None:
            assert p.strategy is None, (vary, p.value)
        else:
            assert p.strategy is not None, (vary, p.value)
            assert p.strategy.objective == pytest.approx(expected, abs=1e-6), (vary, p.value)


@pytest.mark.parametrize("seed", [3, 8, 15, 22, 41, 57])
def test_lambda_sweep_matches_enumeration(seed: int) -> None:
    inst = random_instance(seed)
    _check(inst, "lambda", None, 0.0, 2.0)


@pytest.mark.parametrize("seed", [4, 9, 16, 27, 38, 60])
def test_floor_sweep_matches_enumeration(seed: int) -> None:
    inst = random_instance(seed)
    enum = enumerate_instance(inst, check_caps=False)
    share = enum.shares["CHN"][enum.feasible].min(axis=1) if enum.feasible.any() else None
    high = float(np.quantile(share, 0.9)) if share is not None else 0.5
    _check(inst, "floor", "CHN", 0.0, high)


def test_lambda_on_tiny_by_hand() -> None:
    """Tiny's best (protected 165, offer cost 45) holds from λ 0 to 2: 165 - 45 λ."""
    tiny = advisor.load_instance("instances/tiny")
    sweep = advisor.frontier(tiny, vary="lambda", points=5, lower=0.0, upper=2.0)
    assert [p.strategy.objective for p in sweep.points] == pytest.approx(
        [165.0, 142.5, 120.0, 97.5, 75.0]
    )


def test_floor_needs_a_market_and_lambda_takes_none() -> None:
    tiny = advisor.load_instance("instances/tiny")
    with pytest.raises(ValueError, match="floor sweep needs market"):
        advisor.frontier(tiny, vary="floor")
    with pytest.raises(ValueError, match="market applies to vary='cap' or 'floor'"):
        advisor.frontier(tiny, vary="lambda", market="USA")
