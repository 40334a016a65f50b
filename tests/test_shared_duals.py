"""An explanation at tariff-line scale shares LP duals between its re-solves (issue 17).

Each rule price is a package search on the model with the rule removed or its limit
relaxed; the searches start from the duals of every earlier LP (any λ bounds every
package of any of these models) instead of a descent of their own on the
Lagrangian dual. Checked against HiGHS solving
each changed model's MILP outright, on generated instances just above the scale
threshold (200 decisions), small enough for the MILP.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import advisor
from advisor import generate as gen
from advisor.analysis.explain import RulePrice
from advisor.analysis.scale import SCALE_ABOVE, rule_families
from advisor.results import Result, tolerance
from advisor.solving import enumerated, pipeline
from advisor.solving.session import open_session


def _ranked(folder: Path, seed: int) -> Result:
    assert gen.main(["--lines", "100", "--seed", str(seed), "--output", str(folder)]) == 0
    instance = advisor.load_instance(folder)
    assert len(instance.decision_ids()) > SCALE_ABOVE
    with pytest.MonkeyPatch.context() as mp:  # the binding analysis is not under test here
        mp.setattr(pipeline, "_binding", lambda instance, run, strategies, best: strategies)
        return advisor.solve(instance, top=3, distinct_on="offers", with_measures=False)


def _milp_prices(result: Result) -> dict[str, tuple[float | None, ...]]:
    """Each rule family's optimum removed, relaxed one unit and 10%, by HiGHS's MILP."""
    optima = dict(result.scenario_optimum) if result.scenario_optimum else None
    session = open_session(result.instance, result.objective, optima, binding=False)

    def best() -> float | None:
        solution = session.solve()
        return None if solution is None else solution.objective

    prices: dict[str, tuple[float | None, ...]] = {}
    for rule in rule_families(result.instance, session.rules):
        with session.without(rule.constraints):
            removed = best()
        relaxed: list[float | None] = []
        if rule.limit is not None:
            for value in (rule.limit.by_unit(), rule.limit.by_ten_percent()):
                with session.parameter(rule.limit.param, value):
                    relaxed.append(best())
        prices[rule.label] = (removed, *relaxed)
    return prices


def _found(price: RulePrice, optimum: float) -> tuple[float | None, ...]:
    gains = (price.removed, price.relaxed_one_unit, price.relaxed_10pct)
    values = tuple(None if g is None else optimum + g for g in gains)
    return values if price.kind != "condition" else values[:1]


@pytest.mark.parametrize("seed", [2, 5])
def test_rule_prices_with_shared_duals_match_the_milp(seed: int, tmp_path: Path) -> None:
    result = _ranked(tmp_path, seed)
    starts: list[bool] = []
    real = enumerated.EnumeratedPackageSearch._start

    def counting(self: enumerated.EnumeratedPackageSearch) -> object:
        starts.append(self.memory is not None and bool(self.memory.duals))
        return real(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(enumerated.EnumeratedPackageSearch, "_start", counting)
        explanation = advisor.explain(result)
    assert explanation.at_scale and not explanation.warnings[1:]
    assert sum(starts) >= len(explanation.rules)  # the re-solves started from the pool
    optimum = result.strategies[0].objective
    expected = _milp_prices(result)
    assert {r.rule for r in explanation.rules} == set(expected)
    unit = result.instance.money
    for price in explanation.rules:
        gains = (price.removed, price.relaxed_one_unit, price.relaxed_10pct)
        assert all(g is None or g >= 0 for g in gains), price  # a relaxation never loses
        for got, exact in zip(_found(price, optimum), expected[price.rule], strict=True):
            assert (got is None) == (exact is None), price
            if got is not None and exact is not None:
                assert abs(got - exact) <= tolerance(exact), (price, exact, unit)
