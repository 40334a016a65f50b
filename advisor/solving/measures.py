"""The value of planning with scenarios: VSS and EVPI (Birge and Louveaux, ch. 4).

For the expected-value objective with several scenarios, three numbers tell how
much the scenarios matter:

- RP, the *recourse problem* value: the expected value of the best strategy
  planned over all scenarios (rank 1 of the ranking);
- EEV, the *expected result of the mean-value solution*: plan for a single
  scenario in which every sector's threat tariff, current tariff and elasticity is
  its probability-weighted mean, then evaluate that strategy over all scenarios;
- WS, *wait and see*: the probability-weighted value of each scenario's own optimum.

Then ``VSS = RP - EEV`` (what planning with scenarios gains over planning for the
average future; ≥ 0) and ``EVPI = WS - RP`` (what knowing the future in advance
would be worth; ≥ 0). If the mean-value strategy breaks a rule in some scenario
(a market-share cap, say), EEV and VSS are undefined and the note says why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from advisor.checker import rule_violations
from advisor.instance import Instance, Scenario, frozen_mapping


@dataclass(frozen=True)
class ScenarioMeasures:
    """RP, EEV, WS, VSS and EVPI of one expected-value ranking (money)."""

    recourse_value: float
    wait_and_see_value: float
    mean_value_expected: float | None
    value_of_stochastic_solution: float | None
    expected_value_of_perfect_information: float
    mean_value_strategy: tuple[str, ...]
    note: str = ""


def mean_value_instance(instance: Instance) -> Instance:
    """The instance with one scenario: every sector parameter at its expectation."""
    overrides: dict[str, dict[str, float]] = {}
    for key in ("threat_tariff", "current_tariff", "elasticity"):
        overrides[key] = {
            s.sector: sum(
                w.probability * getattr(w, key).get(s.sector, getattr(s, key))
                for w in instance.scenarios
            )
            for s in instance.sectors
        }
    mean = Scenario(
        name="mean_value",
        probability=1.0,
        description="every sector parameter at its probability-weighted mean",
        threat_tariff=frozen_mapping(overrides["threat_tariff"]),
        current_tariff=frozen_mapping(overrides["current_tariff"]),
        elasticity=frozen_mapping(overrides["elasticity"]),
    )
    return dataclasses.replace(instance, scenarios=(mean,))


def scenario_measures(
    instance: Instance,
    recourse_value: float,
    optima: Mapping[str, float],
    mean_value_strategy: frozenset[str] | None,
    expected_value_of: Callable[[frozenset[str]], float],
) -> ScenarioMeasures:
    """Assemble the measures from the solves the solver made.

    ``mean_value_strategy`` is the optimum of :func:`mean_value_instance` (None if
    it has none); ``expected_value_of`` evaluates a decision set over all scenarios.
    """
    wait_and_see = sum(w.probability * optima[w.name] for w in instance.scenarios)
    evpi = wait_and_see - recourse_value
    order = instance.decision_ids()
    if mean_value_strategy is None:
        return ScenarioMeasures(
            recourse_value,
            wait_and_see,
            None,
            None,
            evpi,
            (),
            "the mean-value problem has no feasible strategy",
        )
    decisions = tuple(d for d in order if d in mean_value_strategy)
    broken = rule_violations(instance, mean_value_strategy)
    if broken:
        return ScenarioMeasures(
            recourse_value,
            wait_and_see,
            None,
            None,
            evpi,
            decisions,
            "the mean-value strategy breaks "
            + ", ".join(broken)
            + " in some scenario, so it is not a valid plan: EEV and VSS are undefined",
        )
    eev = expected_value_of(mean_value_strategy)
    return ScenarioMeasures(
        recourse_value, wait_and_see, eev, recourse_value - eev, evpi, decisions
    )
