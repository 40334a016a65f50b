"""Regression tests for issue 13, finding 2: the reports say what their figures are.

"Value in each scenario (protected value minus offer cost)" omitted λ; the Markdown
explanation said "would cost US$ 2,745.0 million" for a figure in objective units; the
brief called the scenario in which home is most threatened its "best". Each test checks
the reports against numbers worked by hand (instances/tiny: threats of 100% on exports
of 100, 200 and 100 at elasticities 1, 1 and 2) or against the Strategy's own fields.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

import advisor
from advisor.instance import Instance, Scenario, frozen_mapping
from advisor.report import money, render, render_explanation
from advisor.report.words import exports_at_risk, threat_names
from advisor.results import Result

LAMBDA = 0.5


@pytest.fixture(scope="module")
def two_scenarios(tiny: Instance) -> Result:
    """Tiny with λ = 0.5 and a calm scenario: a 25% threat instead of 100% on every sector.

    Exports at risk, by hand: with the 100% threat 100 - 50 + 200 - 100 + 100 - 25 = 225;
    with 25%, 100 - 80 + 200 - 160 + 100 - 64 = 96. So "base" is the most threatened
    scenario and "calm" the least, whatever the deal is worth in each.
    """
    base = dataclasses.replace(tiny.scenarios[0], probability=0.5)
    calm = Scenario(
        "calm",
        0.5,
        "a 25% threat",
        threat_tariff=frozen_mapping({s.sector: 0.25 for s in tiny.sectors}),
    )
    instance = dataclasses.replace(
        tiny,
        offer_cost_weight=LAMBDA,
        scenarios=(base, calm),
        offer_effects_in_objective=True,  # EXPCTL's -60 of exports to China counts
    )
    return advisor.solve(instance, top=2)


def words(text: str) -> str:
    """Prose is wrapped: compare words."""
    return " ".join(text.split())


def test_exports_at_risk_name_the_scenarios_by_hand(two_scenarios: Result) -> None:
    inst = two_scenarios.instance
    base = inst.scenarios[0].name
    assert exports_at_risk(inst) == pytest.approx({base: 225.0, "calm": 96.0})
    assert threat_names(inst) == {base: "most threatened", "calm": "least threatened"}


def test_the_scenario_value_label_carries_lambda(two_scenarios: Result) -> None:
    table = words(render(two_scenarios, "table"))
    assert (
        "Value in each scenario, in objective units: the protected exports + offer effects - "
        f"{LAMBDA:g} x offer cost" in table
    )
    assert "protected value minus offer cost" not in table  # the old label, without λ
    assert f"λ = {LAMBDA:g}" in table  # the header states λ
    # offer effects that do not count are not in the label
    inst = dataclasses.replace(two_scenarios.instance, offer_effects_in_objective=False)
    table = words(render(dataclasses.replace(two_scenarios, instance=inst), "table"))
    assert f"in objective units: the protected exports - {LAMBDA:g} x offer cost" in table
    brief = words(render(two_scenarios, "markdown"))
    assert f"λ = {LAMBDA:g}" in brief


def test_the_objective_decomposition_adds_up_and_is_shown_with_lambda(
    two_scenarios: Result,
) -> None:
    table = words(render(two_scenarios, "table"))
    brief = words(render(two_scenarios, "markdown"))
    for s in two_scenarios.strategies:
        # by hand: value weights are 1, so weighted protected = protected exports
        assert s.weighted_protected_value == pytest.approx(s.protected_value)
        assert s.expected_value == pytest.approx(
            s.weighted_protected_value + s.offer_effect_value - LAMBDA * s.offer_cost
        )
        line = (
            f"expected value {money(s.expected_value)} = protected exports "
            f"{money(s.weighted_protected_value)} + offer effects "
            f"{money(s.offer_effect_value)} - λ x offer cost ({LAMBDA:g} x "
            f"{money(s.offer_cost)})"
        )
        assert line in table
        assert line in brief


def test_the_brief_names_the_scenarios_by_what_they_are(two_scenarios: Result) -> None:
    brief = words(render(two_scenarios, "markdown"))
    s = two_scenarios.strategies[0]
    base = two_scenarios.instance.scenarios[0].name
    low = min(s.scenario_values, key=lambda w: (s.scenario_values[w], w))
    high = max(s.scenario_values, key=lambda w: (s.scenario_values[w], w))
    named = {base: "most threatened", "calm": "least threatened"}
    assert (
        f"Its value ranges from {money(s.scenario_values[low])} in scenario {low} "
        f"({named[low]}) to {money(s.scenario_values[high])} in scenario {high} "
        f"({named[high]})" in brief
    )
    assert "best scenario" not in brief and "in the best" not in brief
    table = words(render(two_scenarios, "table"))
    assert f"{base} (50.0%; most threatened, at risk 225.0)" in table
    assert "calm (50.0%; least threatened, at risk 96.0)" in table


def test_the_explanation_states_costs_in_objective_units(two_scenarios: Result) -> None:
    explanation = advisor.explain(two_scenarios, rank=1)
    text = words(render_explanation(explanation, two_scenarios, "markdown"))
    chosen = [d for d in explanation.decisions if d.chosen and d.change and d.change < -1e-6]
    assert chosen
    for d in chosen:
        assert f"would cost {money(-d.change)} objective units (USD million)." in text
    # no objective figure is dressed as a money amount any more
    assert not re.search(r"would (cost|gain) US\$", text)
    assert not re.search(r"costs US\$", text)
    table = words(render_explanation(explanation, two_scenarios, "table"))
    assert "What each decision is worth, in objective units" in table
    assert "What each rule costs, in objective units" in table
