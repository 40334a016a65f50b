"""Scenario objectives: one scenario collapses them; the shipped scenarios are sound."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from randinst import random_instance

import advisor
from advisor.checker import scores

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "instances" / "tiny"
MALAYSIA = ROOT / "instances" / "malaysia_us_2025"


def _single_scenario(seed: int) -> advisor.Instance:
    """A random instance reduced to its first scenario (probability 1)."""
    inst = random_instance(seed)
    first = dataclasses.replace(inst.scenarios[0], probability=1.0)
    kept = tuple(link for link in inst.linkages if link.effect != "scenario")
    return dataclasses.replace(inst, scenarios=(first,), linkages=kept)


@pytest.mark.parametrize(
    "instance",
    [pytest.param(lambda: advisor.load_instance(TINY), id="tiny")]
    + [pytest.param(lambda s=s: _single_scenario(s), id=f"seed{s}") for s in (2, 3, 8, 13, 20)],
)
def test_one_scenario_gives_the_same_ranking_for_every_objective(instance) -> None:
    """With one scenario, worst case = expected value, and regret = value − optimum."""
    inst = instance()
    results = {
        kind: advisor.solve(inst, top=5, objective=kind, threads=1, with_measures=False)
        for kind in ("expected", "worst_case", "regret")
    }
    decisions = {k: [s.decisions for s in r.strategies] for k, r in results.items()}
    assert decisions["expected"] == decisions["worst_case"] == decisions["regret"]
    if not results["expected"].strategies:
        return
    best = results["expected"].strategies[0].objective
    for e, w, r in zip(*(results[k].strategies for k in results), strict=True):
        assert w.objective == pytest.approx(e.objective, abs=1e-9)
        assert r.objective == pytest.approx(e.objective - best, abs=1e-6)


def test_malaysia_ships_four_judgement_scenarios() -> None:
    inst = advisor.load_instance(MALAYSIA)
    assert len(inst.scenarios) >= 4
    assert sum(w.probability for w in inst.scenarios) == pytest.approx(1.0)
    names = {w.name for w in inst.scenarios}
    assert {"exemptions_kept", "s232_25", "chips_100", "peers_exempted"} <= names
    text = (MALAYSIA / "instance.toml").read_text(encoding="utf-8")
    assert text.count("judgement, not data") >= len(inst.scenarios)
    chips = next(w for w in inst.scenarios if w.name == "chips_100")
    assert chips.threat_tariff["IC"] == pytest.approx(1.0)


def test_worst_case_strategy_is_safest_and_expected_strategy_best_on_average() -> None:
    """The robust recommendation has the highest worst case; the expected one, the mean."""
    inst = advisor.load_instance(MALAYSIA)
    robust = advisor.solve(inst, top=1, objective="worst_case").strategies[0]
    average = advisor.solve(inst, top=1, objective="expected", with_measures=False).strategies[0]
    for strategy in (robust, average):
        checked = scores(inst, strategy.decisions)
        for name, value in strategy.scenario_values.items():
            assert value == pytest.approx(checked.scenario_values[name], rel=1e-9)
    assert robust.worst_case_value > average.worst_case_value + 1.0
    assert average.expected_value > robust.expected_value + 1.0
    assert robust.objective == pytest.approx(min(robust.scenario_values.values()))


def test_regret_is_measured_against_each_scenario_optimum() -> None:
    inst = advisor.load_instance(MALAYSIA)
    result = advisor.solve(inst, top=2, objective="regret")
    optimum = result.scenario_optimum
    assert optimum is not None and set(optimum) == {w.name for w in inst.scenarios}
    for s in result.strategies:
        shortfall = max(optimum[w] - v for w, v in s.scenario_values.items())
        assert s.regret == pytest.approx(shortfall)
        assert s.objective == pytest.approx(-shortfall)
        assert all(optimum[w] >= v - 1e-6 for w, v in s.scenario_values.items())


def test_cli_worst_case_prints_per_scenario_values() -> None:
    import contextlib
    import io

    from advisor.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([str(MALAYSIA), "--objective", "worst_case", "--top", "2", "--quiet"])
    assert code == 0
    text = out.getvalue()
    assert "Value in each scenario" in text
    for name in ("exemptions_kept", "s232_25", "chips_100", "peers_exempted"):
        assert name in text
