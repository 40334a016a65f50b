"""The report formats, on a small instance written in a temporary folder."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from advisor import load_instance, solve
from advisor.report import FORMATS, money, percent, render, render_csv, render_json, render_table
from advisor.results import Result

LONG_NAME = (
    "Integrated circuits, processors, memories and every other electronic circuit of HS 8542"
)

NAME = "Report test negotiation"
# the small instance of tests/conftest.py with a description, a cap, two scenarios,
# a long sector name, acceptance probabilities and offer categories
HEAD = 'description = "Two sectors, three offers, one condition, two markets"\n'
TAIL = """
[market_share_caps]
USA = "60%"

[ranking]
top = 3

[[scenarios]]
name = "base"
probability = 0.6
description = "threats as in sectors.csv"

[[scenarios]]
name = "chips_50"
probability = 0.4
description = "Section 232 duty of 50% on chips"
threat_tariff = { IC = "50%" }"""
TABLES = {
    "sectors.csv": (
        "sector,name,exports,current_tariff,threat_tariff,elasticity\n"
        f'IC,"{LONG_NAME}",300,0%,25%,1.2\n'
        "FURN,Furniture,100,10%,19%,1.6\n"
    ),
    "requests.csv": (
        "request,sector,tier,tariff,acceptance\n"
        "IC_perm0,IC,permanent 0%,0%,0.9\n"
        "IC_cap10,IC,cap 10%,10%,1\n"
        "FURN_cap10,FURN,cap 10%,10%,1\n"
    ),
    "offers.csv": (
        "offer,name,category,counterpart_value,domestic_cost\n"
        "BOEING,Aircraft purchases,purchase,40,10\n"
        "IP,IP enforcement,regulatory,20,5\n"
        "EXPCTRL,Export-control alignment,security,60,15\n"
    ),
}


def solve_small(folder: Path, write_small_instance: Callable[..., Path], tail: str = "") -> Result:
    write_small_instance(folder, NAME, HEAD, TAIL + tail, **TABLES)
    return solve(load_instance(folder))


@pytest.fixture(scope="module")
def result(
    tmp_path_factory: pytest.TempPathFactory, write_small_instance: Callable[..., Path]
) -> Result:
    return solve_small(tmp_path_factory.mktemp("report") / "small", write_small_instance)


@pytest.fixture(scope="module")
def infeasible(
    tmp_path_factory: pytest.TempPathFactory, write_small_instance: Callable[..., Path]
) -> Result:
    # a 95% floor on China cannot be met: nothing is feasible
    floors = '\n[market_share_floors]\nCHN = "95%"\n'
    folder = tmp_path_factory.mktemp("report") / "infeasible"
    return solve_small(folder, write_small_instance, floors)


def test_the_fixture_ranks_three_strategies(result: Result) -> None:
    assert result.status == "optimal"
    assert len(result) == 3
    assert result.scenario_measures is not None


def test_table_names_the_instance_unit_and_every_strategy(result: Result) -> None:
    text = render(result, "table")
    assert text.startswith("Report test negotiation\n")
    assert "USD million" in text
    for s in result.strategies:
        assert f"Strategy {s.rank}: objective {money(s.objective)}" in text
        for o in s.offers:
            assert o.name in text
    # the ranked table: its header and rank 1's numbers
    header = next(line for line in text.splitlines() if "objective" in line and "rank" in line)
    for column in ("protected", "offer cost", "balance", "USA share", "largest mkt"):
        assert column in header
    best = result.strategies[0]
    row = next(line for line in text.splitlines() if line.strip().startswith("1 "))
    assert money(best.objective) in row
    assert money(best.protected_value) in row
    assert percent(best.largest_market.share) in row


def test_table_explains_conditions_scenarios_and_solver(result: Result) -> None:
    text = render_table(result)
    assert "c1: A permanent chip exemption needs export-control alignment" in text
    assert "base" in text and "chips_50" in text and "worst case" in text
    assert "EVPI" in text and "VSS" in text
    assert "Furniture" in text and "10.0%" in text
    assert "granted" in text  # an acceptance below 1 shows the probability column
    last = text.rstrip().splitlines()[-1]
    assert last.startswith("Solver: highs") and "status optimal" in last


def test_table_keeps_within_100_columns(result: Result) -> None:
    text = render_table(result)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert LONG_NAME not in text  # clipped to fit
    assert LONG_NAME[:30] in text


def test_json_has_the_documented_keys(result: Result) -> None:
    doc = json.loads(render_json(result), parse_constant=pytest.fail)
    for key in (
        "schema_version",
        "instance",
        "money",
        "objective",
        "status",
        "solver",
        "scenarios",
        "scenario_measures",
        "conditions",
        "warnings",
        "strategies",
    ):
        assert key in doc, key
    assert doc["instance"] == "Report test negotiation"
    assert doc["money"] == "USD million"
    assert set(doc["solver"]) == {"name", "version", "time_s", "gap", "solves", "search"}
    assert len(doc["strategies"]) == 3
    first = doc["strategies"][0]
    for key in (
        "rank",
        "objective",
        "protected_value",
        "offer_cost",
        "counterpart_value",
        "counterpart_cost",
        "reciprocity_balance",
        "market_shares",
        "scenario_values",
        "expected_value",
        "worst_case_value",
        "regret",
        "requests",
        "offers",
        "conditions_triggered",
        "binding_constraints",
        "gap_to_best",
    ):
        assert key in first, key
    assert [s["rank"] for s in doc["strategies"]] == [1, 2, 3]
    assert set(first["scenario_values"]) == {"base", "chips_50"}
    assert {"request", "sector", "tier", "tariff", "protected_value"} <= set(first["requests"][0])
    assert {"offer", "counterpart_value", "domestic_cost"} <= set(first["offers"][0])
    assert first["objective"] == pytest.approx(result.strategies[0].objective)


def test_csv_reads_back_one_row_per_strategy(result: Result) -> None:
    frame = pd.read_csv(io.StringIO(render(result, "csv")), index_col="rank")
    assert list(frame.index) == [1, 2, 3]
    assert frame.loc[1, "objective"] == pytest.approx(result.strategies[0].objective)
    assert frame.loc[2, "offer_cost"] == pytest.approx(result.strategies[1].offer_cost)
    assert "value_chips_50" in frame.columns


def test_markdown_is_a_briefing_note(result: Result) -> None:
    text = render(result, "markdown")
    assert text.startswith("# Negotiation brief: Report test negotiation\n")
    assert "## Recommendation" in text
    assert "The recommended strategy asks USA for" in text
    assert "| Rank | Objective | Protected value |" in text
    assert text.count("\n| ") >= 1 + len(result)  # header and one row per strategy
    assert "### Strategy 2" in text
    assert "- Export-control alignment (EXPCTRL): worth 60.0 to USA" in text
    assert "## Caveats" in text


def test_an_infeasible_result_renders_in_every_format(infeasible: Result) -> None:
    assert infeasible.status == "infeasible"
    table = render(infeasible, "table")
    assert "No strategy satisfies the rules" in table
    assert "market share floor CHN" in table  # even the empty package breaks it
    assert "reciprocity" in table
    assert json.loads(render(infeasible, "json"))["strategies"] == []
    assert pd.read_csv(io.StringIO(render(infeasible, "csv"))).empty
    assert "## No strategy" in render(infeasible, "markdown")


def test_a_time_limited_result_says_so(result: Result) -> None:
    last = dataclasses.replace(result.strategies[-1], proven_optimal=False, mip_gap=0.05)
    stopped = dataclasses.replace(
        result,
        status="time_limit",
        strategies=(*result.strategies[:-1], last),
        warnings=("stopped by the time limit of 1 s after 3 strategies",),
    )
    text = render(stopped, "table")
    assert "Status: time_limit" in text
    assert "not proven optimal (MIP gap 5.0%)" in text
    assert "stopped by the time limit of 1 s" in text
    assert "Solver status: time_limit" in render(stopped, "markdown")


def test_every_format_is_deterministic_but_for_timing(result: Result) -> None:
    frozen = dataclasses.replace(result, solver=dataclasses.replace(result.solver, time_s=1.0))
    for fmt in FORMATS:
        assert render(frozen, fmt) == render(frozen, fmt)


def test_unknown_format_is_a_value_error(result: Result) -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        render(result, "xml")


@pytest.mark.parametrize(
    ("value", "text"),
    [(1234.56, "1,234.6"), (-0.04, "0.0"), (-1500.0, "-1,500.0"), (None, "-")],
)
def test_money(value: float | None, text: str) -> None:
    assert money(value) == text


def test_percent() -> None:
    assert percent(0.19) == "19.0%"
    assert percent(0.1234) == "12.3%"


def test_regret_shows_each_scenarios_optimum_and_regrets(result: Result) -> None:
    regret = solve(result.instance, objective="regret", top=2)
    text = render_table(regret)
    assert "own optimum" in text
    header = next(line for line in text.splitlines() if "worst case" in line)
    assert header.split()[-1] == "regret"
    frame = pd.read_csv(io.StringIO(render_csv(regret)), index_col="rank")
    assert frame["regret"].notna().all()


def words(text: str) -> str:
    """Prose is wrapped: compare words."""
    return " ".join(text.split())


def test_every_figure_carries_its_unit(result: Result) -> None:
    """Objective figures in objective units (exports net of λ x offer cost when every
    value weight is 1), protected value in exports, offer cost in money, with λ."""
    inst = result.instance
    lam = f"{inst.offer_cost_weight:g}"
    objective = f"objective units (USD million of exports, net of {lam} x offer cost)"
    table = words(render_table(result))
    assert f"objective, vs best (minus rank 1's): {objective}" in table
    assert "protected: expected protected exports, USD million of exports" in table
    assert f"offer cost: domestic cost, USD million (x λ {lam} in the objective)" in table
    brief = words(render(result, "markdown"))
    assert f"Objective: {objective}." in brief
    assert "Protected value: expected protected exports, USD million of exports." in brief
    assert f"the offer cost weighs λ = {lam} in the objective" in brief
    doc = json.loads(render_json(result))
    assert doc["units"] == {
        "objective": objective,
        "exports": "USD million of exports",
        "money": "USD million",
    }
    assert doc["schema_version"] == 2
    # with a value weight other than 1 the objective is no longer exports
    weighted = dataclasses.replace(
        inst, sectors=(dataclasses.replace(inst.sectors[0], value_weight=0.4), *inst.sectors[1:])
    )
    text = words(render_table(dataclasses.replace(result, instance=weighted)))
    assert "objective units (USD million equivalent)" in text
    assert "value weights on" in text


def test_the_decomposition_adds_up_with_lambda(result: Result) -> None:
    lam = result.instance.offer_cost_weight
    table = words(render_table(result))
    frame = pd.read_csv(io.StringIO(render_csv(result)), index_col="rank")
    for s in result.strategies:
        assert s.expected_value == pytest.approx(
            s.weighted_protected_value + s.offer_effect_value - lam * s.offer_cost
        )
        assert (
            f"expected value {money(s.expected_value)} = protected exports "
            f"{money(s.weighted_protected_value)} + offer effects "
            f"{money(s.offer_effect_value)} - λ x offer cost ({lam:g} x {money(s.offer_cost)})"
        ) in table
        row = frame.loc[s.rank]
        assert row["expected_value"] == pytest.approx(
            row["weighted_protected_value"]
            + row["offer_effect_value"]
            - row["offer_cost_weight"] * row["offer_cost"]
        )


def test_the_header_states_the_model_options(result: Result) -> None:
    table = words(render_table(result))
    assert "offer effects (offers' export changes) count" in table
    assert "value weights off" in table
    assert "reciprocity expected (the counterpart comes out even on average" in table
    assert "shares all_granted (caps assume every request granted: cautious)" in table
    assert "no linkages" in table
    from advisor.instance import Linkage

    inst = dataclasses.replace(
        result.instance,
        offer_effects_in_objective=False,
        reciprocity="every_scenario",
        shares="expected",
        linkages=(Linkage("IP", "acceptance", "IC_perm0", 0.95),),
    )
    other = dataclasses.replace(result, instance=inst)
    for text in (words(render_table(other)), words(render(other, "markdown"))):
        assert "offer effects move market shares only" in text
        assert (
            "reciprocity every_scenario (the counterpart comes out even in every scenario)" in text
        )
        assert "shares expected (caps use acceptance-weighted exports)" in text
        assert "IP raises IC_perm0's acceptance to 95.0%" in text
    doc = json.loads(render_json(other))
    assert doc["model"]["reciprocity"] == "every_scenario"
    assert doc["model"]["shares"] == "expected"
    assert doc["model"]["offer_effects_in_objective"] is False
    assert doc["model"]["linkages"][0]["target"] == "IC_perm0"


def test_the_share_a_cap_constrains_is_marked_in_every_format(result: Result) -> None:
    s = result.strategies[0]
    usa = next(m for m in s.markets if m.market == "USA")
    assert (usa.limit, usa.limit_share) == ("cap", pytest.approx(0.6))
    # by hand from the strategy's own shares: the scenario nearest the cap
    tightest = min(usa.scenario_shares, key=lambda w: abs(usa.scenario_shares[w] - 0.6))
    assert usa.closest_scenario == tightest
    marked = f"{percent(usa.scenario_shares[tightest])} in {tightest} (cap 60%, tightest)"
    alone = dataclasses.replace(result, strategies=(s,))
    for fmt in ("table", "markdown"):
        text = words(render(alone, fmt)).replace("\\_", "_")
        assert marked in text
        for w in usa.scenario_shares:
            if w != tightest:  # listed, not marked
                assert f"{percent(usa.scenario_shares[w])} in {w}" in text
                assert f"in {w} (cap" not in text
    doc = json.loads(render_json(result))
    market = next(m for m in doc["strategies"][0]["markets"] if m["market"] == "USA")
    assert market["scenario_shares"] == pytest.approx(dict(usa.scenario_shares))
    assert (market["limit"], market["closest_scenario"]) == ("cap", tightest)
    frame = pd.read_csv(io.StringIO(render_csv(result)), index_col="rank")
    for w, share in usa.scenario_shares.items():
        assert frame.loc[1, f"share_USA[{w}]"] == pytest.approx(share)
    assert frame.loc[1, "tightest_USA"] == tightest
    assert frame.loc[1, "cap_USA"] == pytest.approx(0.6)


def test_binding_rules_are_grouped_one_line_each_with_the_definition(result: Result) -> None:
    s = dataclasses.replace(
        result.strategies[0],
        binding_constraints=(
            "reciprocity [chips_50]",
            "market share cap USA [base]",
            "market share cap USA [chips_50]",
        ),
    )
    grouped = dataclasses.replace(result, strategies=(s,))
    line = "market-share cap USA (60%): scenarios base, chips_50"
    table = render_table(grouped)
    assert sum(line in row for row in table.splitlines()) == 1
    assert "market share cap USA [base]" not in table
    assert "(value to USA >= 1 x its cost of the requests, expected): scenario chips_50" in words(
        table
    )
    assert "a rule is binding when removing it, or relaxing it one step, would raise the best" in (
        words(table)
    )
    brief = render(grouped, "markdown")
    assert sum(line.replace("_", "\\_") in row for row in brief.splitlines()) == 1
    assert "a rule is binding when removing it" in brief
    doc = json.loads(render_json(grouped))
    assert doc["strategies"][0]["binding_rules"] == [
        {"rule": "reciprocity", "scenarios": ["chips_50"]},
        {"rule": "market share cap USA", "scenarios": ["base", "chips_50"]},
    ]
