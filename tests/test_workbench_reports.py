"""Issue 18 reports: results as workbooks, the short answer, compare, frontier range.

Expected values come from tiny's hand solution (instances/tiny/README.md: the best
strategy is CHIPS_cap25 + GLOVES_cap25 + FURN_zero with BUY + IP, objective 120) or
from the files the test itself writes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from advisor.cli import main

TINY = Path(__file__).resolve().parent.parent / "instances" / "tiny"
BEST = {"CHIPS_cap25", "GLOVES_cap25", "FURN_zero", "BUY", "IP"}


def test_rank_as_a_workbook_holds_numbers(tmp_path: Path) -> None:
    book = tmp_path / "r.xlsx"
    assert main(["rank", str(TINY), "--format", "xlsx", "-o", str(book), "-q"]) == 0
    workbook = openpyxl.load_workbook(book)
    assert workbook.sheetnames[:3] == ["strategies", "decisions", "markets"]
    strategies = workbook["strategies"]
    header = [c.value for c in strategies[1]]
    objective = strategies.cell(row=2, column=header.index("objective") + 1).value
    assert isinstance(objective, int | float) and objective == pytest.approx(120.0)
    decisions = workbook["decisions"]
    first = {row[2] for row in decisions.iter_rows(min_row=2, values_only=True) if row[0] == 1}
    assert first == BEST
    again = tmp_path / "again.xlsx"
    assert main(["rank", str(TINY), "--format", "xlsx", "-o", str(again), "-q"]) == 0
    assert again.read_bytes() == book.read_bytes()


def test_workbook_needs_an_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rank", str(TINY), "--format", "xlsx", "-q"]) == 2
    assert "--output FILE.xlsx" in capsys.readouterr().err
    assert main(["diagnose", str(TINY), "--format", "html"]) == 2


def test_brief_is_the_recommendation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rank", str(TINY), "--brief", "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Tiny hand-solvable negotiation"
    assert lines[1].startswith("Recommended: ask USA for CHIPS cap 25%, GLOVES cap 25% and FURN")
    text = " ".join(line.strip() for line in lines)
    assert "offer Aircraft purchase and Intellectual-property enforcement" in text
    assert "objective 120.0" in text and "What limits it: reciprocity" in text
    assert len(lines) <= 12


def test_compare_names_the_edit_and_the_moves(tmp_path: Path) -> None:
    edited = tmp_path / "tiny2"
    shutil.copytree(TINY, edited)
    offers = (edited / "offers.csv").read_text(encoding="utf-8")
    (edited / "offers.csv").write_text(
        offers.replace("IP,Intellectual-property enforcement,regulatory,30,10,",
                       "IP,Intellectual-property enforcement,regulatory,30,40,"),
        encoding="utf-8",
    )
    out = tmp_path / "c.json"
    assert main(["compare", str(TINY), str(edited), "--format", "json", "-o", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["input_changes"] == [
        {"table": "offers", "row": "IP", "field": "domestic_cost", "before": 10.0, "after": 40.0}
    ]
    figures = {f["figure"]: (f["a"], f["b"]) for f in doc["recommendation"]["figures"]}
    assert figures["objective"][0] == pytest.approx(120.0)
    # every strategy with IP loses 30: the old best is worth 90 at most now
    assert figures["objective"][1] <= 90.0 + 1e-6
    assert "IP" in doc["recommendation"]["dropped"]
    assert doc["reasons"]["IP"][0]["field"] == "domestic_cost"
    same = tmp_path / "same.json"
    assert main(["compare", str(TINY), str(TINY), "--format", "json", "-o", str(same)]) == 0
    unchanged = json.loads(same.read_text(encoding="utf-8"))
    assert unchanged["input_changes"] == [] and unchanged["recommendation"]["added"] == []


def test_compare_refuses_a_bad_side(tmp_path: Path) -> None:
    junk = tmp_path / "x.json"
    junk.write_text("{}", encoding="utf-8")
    assert main(["compare", str(TINY), str(junk)]) == 2
    assert main(["compare", str(TINY), str(tmp_path / "missing")]) == 2


def test_frontier_range_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "f.json"
    assert main(["frontier", "budget", str(TINY), "--lower", "10", "--upper", "70",
                 "--points", "4", "--format", "json", "-o", str(out), "-q"]) in (0, 3)
    points = json.loads(out.read_text(encoding="utf-8"))["points"]
    assert [p["budget"] for p in points] == pytest.approx([10.0, 30.0, 50.0, 70.0])


def test_frontier_chart_is_an_honest_step_function() -> None:
    import advisor
    from advisor.charts import draw_frontier, figure

    # tiny at budget 0 has no strategy: condition c3 needs IP (cost 10) or EXPCTL (20)
    sweep = advisor.frontier(advisor.load_instance(TINY), vary="budget", points=3,
                             lower=0, upper=70)
    assert [p.strategy is None for p in sweep.points] == [True, False, False]
    _fig, ax = figure()
    draw_frontier(ax, sweep)
    assert ax.get_ylim()[0] == 0.0  # the no-deal baseline, not the data minimum
    assert list(ax.get_xticks()) == pytest.approx([0.0, 35.0, 70.0])
    [step] = ax.get_lines()[:1]
    assert step.get_drawstyle() == "steps-post"
    crosses = [c for c in ax.collections if c.get_label().startswith("no strategy")]
    assert [tuple(xy) for xy in crosses[0].get_offsets()] == [(0.0, 0.0)]
