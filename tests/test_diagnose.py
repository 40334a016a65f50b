"""advisor.diagnose on instances/infeasible_example: the conflict set is exactly the
four rules its README names, with the smallest fixes worked out there; the reports
and the command line carry the diagnosis.

The example is tiny plus condition c4 (CHIPS_zero is a must) and a budget of 25.
CHIPS_zero costs the US 50 and needs IP (c1, g 30, d 10); reciprocity then needs a
second offer, and every pair with IP costs more than 25 (IP + EXPCTL 30, IP + INVEST
35, IP + BUY 45). Fixes, each rule alone: budget 25 -> 30 (IP + EXPCTL); ratio 1 ->
30 / 50 = 0.6 (IP alone within 25); drop c1 (EXPCTL alone, d 20, g 80); c4's count
1 -> 0.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

import advisor
from advisor.analysis.diagnose import Diagnosis
from advisor.instance import Instance
from advisor.report import render

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "instances" / "infeasible_example"

CONFLICT = {
    "instance.toml: model.reciprocity_ratio",
    "instance.toml: model.domestic_budget",
    "conditions.csv: c1",
    "conditions.csv: c4",
}


@pytest.fixture(scope="module")
def example() -> Instance:
    return advisor.load_instance(EXAMPLE)


@pytest.fixture(scope="module")
def diagnosis(example: Instance) -> Diagnosis:
    return advisor.diagnose(example)


def test_the_example_is_tiny_with_two_changes(example: Instance, tiny: Instance) -> None:
    assert example.domestic_budget == 25 and tiny.domestic_budget == 70
    assert [c.condition for c in example.conditions] == ["c1", "c2", "c3", "c4"]
    assert example.conditions[:3] == tiny.conditions
    c4 = example.conditions[3]
    assert (c4.kind, c4.members, c4.count) == ("at_least", ("CHIPS_zero",), 1)
    assert (example.requests, example.offers, example.markets) == (
        tiny.requests,
        tiny.offers,
        tiny.markets,
    )
    assert advisor.solve(example, top=1).status == "infeasible"


def test_diagnosis_names_exactly_the_conflicting_rules(diagnosis: Diagnosis) -> None:
    assert not diagnosis.feasible
    assert {c.location for c in diagnosis.conflicts} == CONFLICT
    assert len(diagnosis.conflicts) == len(CONFLICT)


def test_the_fixes_are_the_smallest_relaxations_worked_out_by_hand(
    diagnosis: Diagnosis,
) -> None:
    fixes = {c.location: c for c in diagnosis.conflicts}
    budget = fixes["instance.toml: model.domestic_budget"]
    assert budget.relaxed_value == pytest.approx(30.0, abs=1e-4)  # IP + EXPCTL: 10 + 20
    assert budget.fix == "raise the budget from 25.0 to 30.0"
    ratio = fixes["instance.toml: model.reciprocity_ratio"]
    assert ratio.relaxed_value == pytest.approx(0.6, abs=1e-6)  # IP alone: 30 / 50
    assert "from 1 to 0.6000" in ratio.fix
    c1 = fixes["conditions.csv: c1"]
    assert c1.relaxed_value is None and c1.fix.startswith("drop condition c1")
    c4 = fixes["conditions.csv: c4"]
    assert c4.relaxed_value == 0.0 and c4.fix == "lower the count of c4 from 1 to 0"


def test_each_fix_alone_makes_the_example_feasible(example: Instance) -> None:
    def best(instance: Instance) -> float | None:
        result = advisor.solve(instance, top=1, with_measures=False)
        return result.strategies[0].objective if result.strategies else None

    # budget 30: CHIPS_zero + FURN_zero under IP + EXPCTL, 125 - 30 = 95 (README)
    assert best(dataclasses.replace(example, domestic_budget=30.0)) == pytest.approx(95.0)
    # just below 30 and 0.6, nothing: the fixes are the smallest
    assert best(dataclasses.replace(example, domestic_budget=29.9)) is None
    assert best(dataclasses.replace(example, reciprocity_ratio=0.61)) is None
    # ratio 0.6: CHIPS_zero under IP alone (g 30 >= 0.6 x 50), 50 - 10 = 40
    assert best(dataclasses.replace(example, reciprocity_ratio=0.6)) == pytest.approx(40.0)
    c1, c2, c3, c4 = example.conditions
    assert best(dataclasses.replace(example, conditions=(c2, c3, c4))) is not None
    assert best(dataclasses.replace(example, conditions=(c1, c2, c3))) is not None


def test_a_feasible_instance_has_no_conflicts(tiny: Instance) -> None:
    diagnosis = advisor.diagnose(tiny)
    assert diagnosis.feasible and diagnosis.conflicts == ()
    assert "feasible" in str(diagnosis)


def test_the_diagnosis_converts_to_text_frame_and_dict(diagnosis: Diagnosis) -> None:
    text = str(diagnosis)
    for location in CONFLICT:
        assert f"  - {location}: " in text
    assert set(diagnosis.to_frame()["location"]) == CONFLICT
    data = json.loads(json.dumps(diagnosis.to_dict()))
    assert data["feasible"] is False and len(data["conflicts"]) == 4


def test_every_report_format_carries_the_diagnosis(example: Instance, diagnosis: Diagnosis) -> None:
    result = advisor.solve(example)
    table = render(result, "table", diagnosis=diagnosis)
    assert "These 4 rules conflict" in table
    for location in CONFLICT:
        assert f"  - {location}\n" in table
    assert "fix: raise the budget from 25.0 to 30.0" in table
    assert max(len(line) for line in table.splitlines()) <= 100
    markdown = render(result, "markdown", diagnosis=diagnosis)
    assert "- **`conditions.csv: c4`**:" in markdown
    doc = json.loads(render(result, "json", diagnosis=diagnosis))
    assert {c["location"] for c in doc["diagnosis"]["conflicts"]} == CONFLICT
    assert json.loads(render(result, "json"))["diagnosis"] is None  # none given
    assert "advisor.diagnose" in render(result, "table")  # the hint says where to look


def test_cli_prints_the_diagnosis_and_exits_3(
    solve_py: Callable[..., subprocess.CompletedProcess],
) -> None:
    proc = solve_py(EXAMPLE, "--format", "json")
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "infeasible"
    assert {c["location"] for c in doc["diagnosis"]["conflicts"]} == CONFLICT
    for location in CONFLICT:
        assert location in proc.stderr
    assert "raise the budget from 25.0 to 30.0" in proc.stderr


def test_cli_explain_of_an_infeasible_instance_reports_the_diagnosis(
    capsys: pytest.CaptureFixture,
) -> None:
    from advisor import cli

    assert cli.main([str(EXAMPLE), "--explain", "--quiet"]) == 3
    out = capsys.readouterr().out
    assert "These 4 rules conflict" in out and "conditions.csv: c4" in out
