"""advisor.explain on instances/tiny: decision values and rule prices against numbers
worked out by hand from instances/tiny/README.md, re-checked by brute force with the
independent checker; the report formats of an explanation; the --explain command.

Notation of tiny's README: Z = CHIPS_zero, C = CHIPS_cap25, GZ = GLOVES_zero,
G = GLOVES_cap25, F0 = FURN_zero, F25 = FURN_cap25. Expected values a × p: Z 50, C 30,
GZ 0.5 × 100 = 50, G 60, F0 75, F25 39; US costs c: Z 50, C 30, GZ 100, G 60, F0 25,
F25 9. Offers (g to the US, d at home): BUY 90/35, IP 30/10, EXPCTL 80/20 (and −60 of
exports to China), INVEST 70/25. The US cap of 37.5% allows P ≤ 185 of protected value
without EXPCTL, P ≤ 149 with it. Strategy 1: C + G + F0 with BUY + IP, objective 120.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import advisor
from advisor.analysis import explain as explain_module
from advisor.analysis.explain import Explanation
from advisor.checker import rule_violations, scores
from advisor.instance import Instance, frozen_mapping
from advisor.report import render_explanation
from advisor.results import Result, tolerance

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "instances" / "tiny"

# The best objective with one decision reversed, everything else free (z = 120).
# Each line names the best package and where tiny's README (section 4) lists it.
DECISION_VALUES = {
    # forced in: the best packages with Z are Z+G+F25 under BUY+IP, 149 − 45
    "CHIPS_zero": 104.0,
    # forced out: G+F0 under IP+EXPCTL, 135 − 30 (rank 2)
    "CHIPS_cap25": 105.0,
    # forced in: GZ+F25 under IP+EXPCTL: 50 + 39 − 30 = 59 (c 109 ≤ g 110, P 139 ≤ 149);
    # under BUY+IP GZ+F25 gives 89 − 45 = 44, and GZ with C or F0 costs the US ≥ 125
    "GLOVES_zero": 59.0,
    # forced out: Z+F0 under IP+EXPCTL, 125 − 30 (tiny's sixth strategy)
    "GLOVES_cap25": 95.0,
    # forced out: Z+G+F25 under BUY+IP, 149 − 45 (rank 3)
    "FURN_zero": 104.0,
    # forced in: the same package, Z+G+F25 under BUY+IP
    "FURN_cap25": 104.0,
    # forced out: G+F0 under IP+EXPCTL, 105
    "BUY": 105.0,
    # forced out: c3 then needs EXPCTL, and Z needs IP (c1): EXPCTL alone 85,
    # BUY+EXPCTL 80, EXPCTL+INVEST G+F0 135 − 45 = 90
    "IP": 90.0,
    # forced in: IP+EXPCTL with G+F0, 105
    "EXPCTL": 105.0,
    # forced in: IP+INVEST with G+F0, 135 − 35 = 100 (rank 4); BUY is excluded (c2)
    "INVEST": 100.0,
}
CHOSEN = {"CHIPS_cap25", "GLOVES_cap25", "FURN_zero", "BUY", "IP"}

# Gains over the optimum 120: (removed, relaxed one step, relaxed 10%).
RULE_PRICES = {
    # Removed: IP alone (c3, and c1 for Z) buys Z+G+F0, 185 − 10 = 175: +55 (P 185 fits
    # the cap without EXPCTL). Ratio 0.9 (one step of 0.1 and 10% at once): Z+G+F0 needs
    # g ≥ 121.5 (BUY+IP has 120); C+G+F0 under IP+INVEST needs 103.5 > 100; under
    # IP+EXPCTL it breaks the cap (165 > 149): nothing beats 120.
    "instance.toml: model.reciprocity_ratio": (55.0, 0.0, 0.0),
    # The dearest offer set the conditions allow costs 65 < 70: the budget never binds.
    "instance.toml: model.domestic_budget": (0.0, 0.0, 0.0),
    # Removed: Z+G+F0 under IP+EXPCTL+INVEST, 185 − 55 = 130 (README section 6): +10.
    # 38.5%: E_USA ≤ 0.385/0.615 × 540 = 338.0 with EXPCTL, so P ≤ 163.0 < 185; without
    # EXPCTL Z+G+F0 needs g ≥ 135 (BUY+IP 120, IP+INVEST 100): still 120, +0.
    # 41.25%: 0.4125/0.5875 × 540 = 379.1, P ≤ 204.1: the 130 package fits again: +10.
    "instance.toml: market_share_caps.USA": (10.0, 0.0, 10.0),
    # c1 off: EXPCTL alone buys Z+F0, 125 − 20 = 105 < 120; c2 off: BUY+IP+INVEST buys
    # Z+G+F0, 185 − 70 = 115 < 120; c3 off: BUY alone buys G+F0, 100 < 120.
    "conditions.csv: c1": (0.0, None, None),
    "conditions.csv: c2": (0.0, None, None),
    "conditions.csv: c3": (0.0, None, None),
}


@pytest.fixture(scope="module")
def result(tiny: Instance) -> Result:
    return advisor.solve(tiny)


@pytest.fixture(scope="module")
def explanation(result: Result) -> Explanation:
    return advisor.explain(result)


# ------------------------------------------------------------------ brute force


def _packages(instance: Instance) -> list[frozenset[str]]:
    """Every decision set with at most one tier per sector."""
    choices = [(None, *instance.tiers_by_sector[s.sector]) for s in instance.sectors]
    offers = [o.offer for o in instance.offers]
    out = []
    for tiers in itertools.product(*choices):
        for mask in itertools.product((0, 1), repeat=len(offers)):
            chosen = {t for t in tiers if t} | {o for o, m in zip(offers, mask, strict=True) if m}
            out.append(frozenset(chosen))
    return out


def _best(instance: Instance, keep=lambda chosen: True) -> float | None:
    values = [
        scores(instance, c).expected_value
        for c in _packages(instance)
        if keep(c) and not rule_violations(instance, c)
    ]
    return max(values, default=None)


def _without(instance: Instance, location: str) -> Instance:
    key = location.split(": ", 1)[1]
    if key == "model.reciprocity_ratio":
        return dataclasses.replace(instance, reciprocity_ratio=0.0)
    if key == "model.domestic_budget":
        return dataclasses.replace(instance, domestic_budget=None)
    if key.startswith("market_share_caps."):
        caps = {m: v for m, v in instance.market_share_caps.items() if m != key.split(".")[1]}
        return dataclasses.replace(instance, market_share_caps=frozen_mapping(caps))
    conditions = tuple(c for c in instance.conditions if c.condition != key)
    return dataclasses.replace(instance, conditions=conditions)


# ------------------------------------------------------------------ decision values


def test_the_explained_strategy_is_tinys_optimum(explanation: Explanation) -> None:
    assert explanation.rank == 1
    assert explanation.optimum == pytest.approx(120.0)
    assert set(explanation.strategy.decisions) == CHOSEN


def test_decision_values_equal_the_hand_computed_numbers(explanation: Explanation) -> None:
    got = {d.decision: d for d in explanation.decisions}
    assert set(got) == set(DECISION_VALUES)
    for decision, value in DECISION_VALUES.items():
        d = got[decision]
        assert d.chosen == (decision in CHOSEN), decision
        assert d.objective_if_flipped == pytest.approx(value), decision
        assert d.change == pytest.approx(value - 120.0), decision


def test_decision_values_agree_with_brute_force(tiny: Instance, explanation: Explanation) -> None:
    for d in explanation.decisions:
        if d.chosen:
            best = _best(tiny, lambda c, d=d: d.decision not in c)
        else:
            best = _best(tiny, lambda c, d=d: d.decision in c)
        assert d.objective_if_flipped == pytest.approx(best), d.decision


def test_decisions_are_sorted_by_value_and_say_how_the_package_rearranges(
    explanation: Explanation,
) -> None:
    changes = [abs(d.change) for d in explanation.decisions]
    assert changes == sorted(changes, reverse=True)
    assert explanation.decisions[0].decision == "GLOVES_zero"  # −61, the largest
    ip = next(d for d in explanation.decisions if d.decision == "IP")
    # without IP: G+F0 under EXPCTL+INVEST (the decision itself is not listed)
    assert ip.then_added == ("EXPCTL", "INVEST")
    assert ip.then_dropped == ("CHIPS_cap25", "BUY")
    assert ip.summary == "dropping IP: -30.0 (then +EXPCTL, +INVEST, -CHIPS_cap25, -BUY)"
    invest = next(d for d in explanation.decisions if d.decision == "INVEST")
    assert (invest.then_added, invest.then_dropped) == ((), ("CHIPS_cap25", "BUY"))


def test_a_lower_rank_can_gain_from_a_flip(result: Result) -> None:
    # strategy 2 (G+F0 under IP+EXPCTL, 105): dropping EXPCTL leads to strategy 1
    second = advisor.explain(result, rank=2)
    assert second.strategy.objective == pytest.approx(105.0)
    expctl = next(d for d in second.decisions if d.decision == "EXPCTL")
    assert expctl.objective_if_flipped == pytest.approx(120.0)
    assert expctl.change == pytest.approx(15.0)
    assert second.optimum == pytest.approx(120.0)


def test_ranks_outside_the_list_are_refused(result: Result) -> None:
    with pytest.raises(ValueError, match="between 1 and 5"):
        advisor.explain(result, rank=6)
    with pytest.raises(ValueError, match="between 1 and 5"):
        advisor.explain(result, rank=0)


# ------------------------------------------------------------------ rule prices


def test_rule_prices_equal_the_hand_computed_numbers(explanation: Explanation) -> None:
    got = {r.location: r for r in explanation.rules}
    assert set(got) == set(RULE_PRICES)
    for location, (removed, one, ten) in RULE_PRICES.items():
        r = got[location]
        assert r.removed == pytest.approx(removed), location
        assert r.relaxed_one_unit == pytest.approx(one), location
        assert r.relaxed_10pct == pytest.approx(ten), location


def test_rule_prices_agree_with_brute_force(tiny: Instance, explanation: Explanation) -> None:
    relaxed = {
        # the steps of advisor.explain: 0.1 of the ratio, one money unit, one point
        "instance.toml: model.reciprocity_ratio": (
            dataclasses.replace(tiny, reciprocity_ratio=0.9),
            dataclasses.replace(tiny, reciprocity_ratio=0.9),
        ),
        "instance.toml: model.domestic_budget": (
            dataclasses.replace(tiny, domestic_budget=71.0),
            dataclasses.replace(tiny, domestic_budget=77.0),
        ),
        "instance.toml: market_share_caps.USA": (
            dataclasses.replace(tiny, market_share_caps=frozen_mapping({"USA": 0.385})),
            dataclasses.replace(tiny, market_share_caps=frozen_mapping({"USA": 0.4125})),
        ),
    }
    for r in explanation.rules:
        assert r.removed == pytest.approx(_best(_without(tiny, r.location)) - 120.0), r.location
        if r.location in relaxed:
            one, ten = relaxed[r.location]
            assert r.relaxed_one_unit == pytest.approx(_best(one) - 120.0), r.location
            assert r.relaxed_10pct == pytest.approx(_best(ten) - 120.0), r.location


def test_lp_marginal_values_are_given_for_the_numeric_limits_only(
    explanation: Explanation,
) -> None:
    for r in explanation.rules:
        if r.kind == "condition":
            assert r.lp_marginal_value is None
        else:
            assert r.lp_marginal_value is not None and r.lp_marginal_value >= 0.0


def test_frames_and_dict(explanation: Explanation) -> None:
    frame = explanation.to_frame()
    assert list(frame.index)[:2] == ["GLOVES_zero", "IP"]
    assert frame.loc["IP", "change"] == pytest.approx(-30.0)
    assert frame.loc["IP", "then_added"] == "EXPCTL; INVEST"
    rules = explanation.rules_frame()
    assert set(rules["location"]) == set(RULE_PRICES)
    data = json.loads(json.dumps(explanation.to_dict()))
    assert data["optimum"] == pytest.approx(120.0)
    assert len(data["decisions"]) == 10


# ------------------------------------------------------------------ reports


def test_table_report_keeps_within_100_columns(explanation: Explanation, result: Result) -> None:
    text = render_explanation(explanation, result, "table")
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text.startswith("Why strategy 1: Tiny hand-solvable negotiation")
    assert "  IP            yes      90.0   -30.0  +EXPCTL +INVEST -CHIPS_cap25 -BUY" in text
    assert "USA cap          37.5%    +10.0" in text


def test_markdown_briefing_tells_the_decisions_and_rules_in_words(
    explanation: Explanation, result: Result
) -> None:
    text = render_explanation(explanation, result, "markdown")
    prose = [line for line in text.splitlines() if not line.startswith("|")]
    assert max(len(line) for line in prose) <= 100
    text = " ".join(text.split())  # prose is wrapped: compare words
    assert text.startswith("# Why strategy 1: Tiny hand-solvable negotiation")
    assert (
        "**Dropping `IP` (Intellectual-property enforcement) would cost 30.0 objective units "
        "(USD million).**" in text
    )
    assert "drops `CHIPS_cap25` and `BUY` and adds `EXPCTL` and `INVEST`" in text
    assert "it meets condition `c3`" in text
    assert "It rules out `BUY` (condition `c2`)" in text  # adding INVEST
    assert "**The USA market-share cap of 37.5% costs 10.0 objective units (USD million).**" in text
    assert "Relaxing it by one point (to 38.5%) would gain 0.0; by 10% (to 41.25%), 10.0." in text
    assert "costs 55.0 objective units (USD million)" in text  # reciprocity
    assert "the domestic budget of 70.0 and conditions `c1`, `c2` and `c3`" in text


def test_json_and_csv(explanation: Explanation, result: Result) -> None:
    doc = json.loads(render_explanation(explanation, result, "json"), parse_constant=pytest.fail)
    assert doc["report"] == "explanation" and doc["money"] == "USD million"
    assert doc["strategy"]["rank"] == 1
    rules = {r["location"]: r for r in doc["explanation"]["rules"]}
    cap = rules["instance.toml: market_share_caps.USA"]
    assert (cap["limit"], cap["relaxed_one_unit_to"]) == pytest.approx((0.375, 0.385))
    assert cap["relaxed_10pct_to"] == pytest.approx(0.4125)
    assert rules["conditions.csv: c1"]["limit"] is None
    frame = pd.read_csv(io.StringIO(render_explanation(explanation, result, "csv")))
    assert len(frame) == 10 and set(frame["decision"]) == set(DECISION_VALUES)
    with pytest.raises(ValueError, match="format must be one of"):
        render_explanation(explanation, result, "pdf")


# ------------------------------------------------------------------ command line


def test_cli_explain_table_and_json(
    solve_py: Callable[..., subprocess.CompletedProcess],
) -> None:
    proc = solve_py(TINY, "--explain")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Why strategy 1: Tiny")
    assert "GLOVES_zero   no       59.0   -61.0" in proc.stdout
    proc = solve_py(TINY, "--explain", "2", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["explanation"]["rank"] == 2
    assert doc["explanation"]["objective"] == pytest.approx(105.0)


def test_cli_explain_beyond_the_list_is_a_usage_error(
    result: Result, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from advisor import cli

    assert cli.main([str(TINY), "--explain", "99"]) == 2  # beyond --top: refused unsolved
    err = capsys.readouterr().err
    assert "--explain 99" in err and "--top 99" in err
    # within --top, beyond the strategies that exist
    two = dataclasses.replace(result, strategies=result.strategies[:2], status="exhausted")
    monkeypatch.setattr(cli, "run_solve", lambda args, instance: two)
    assert cli.main([str(TINY), "--explain", "3"]) == 2
    assert "only 2 strategies satisfy the rules" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:  # one analysis at a time
        cli.main([str(TINY), "--explain", "--frontier", "budget"])
    assert stop.value.code == 2


def test_a_re_solve_within_the_gap_below_the_optimum_gains_nothing(result: Result) -> None:
    """The budget never binds (gain 0); priced against an optimum half a tolerance
    above the true one, as a package search's answer within its gap may be, its
    gains are 0, not a small negative number; one a full unit below is kept."""
    explainer = explain_module._Explainer(result, None)
    budget = next(r for r in explainer.session.rules if r.kind == "budget")
    optimum = result.strategies[0].objective
    above = optimum + 0.5 * tolerance(optimum)
    price = explainer.rule_price(budget, above, None)
    assert (price.removed, price.relaxed_one_unit, price.relaxed_10pct) == (0.0, 0.0, 0.0)
    below = explainer.rule_price(budget, optimum + 1.0, None)
    assert below.removed == pytest.approx(-1.0)
