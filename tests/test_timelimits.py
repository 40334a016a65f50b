"""One time limit for every analysis: explain, frontier and diagnose stop in time and
say what they left out, in every report format; with time to spare they are whole."""

from __future__ import annotations

import pytest

import advisor
from advisor.analysis.diagnose import DiagnosisTimeoutError
from advisor.report import FORMATS, render_explanation, render_frontier

TINY_BUDGET = 1e-4  # seconds: runs out at the first re-solve


@pytest.fixture(scope="module")
def ranked(malaysia):
    return advisor.solve(malaysia, top=2)


@pytest.fixture(scope="module")
def whole(ranked):
    """Strategy 2's explanation with no time limit."""
    return advisor.explain(ranked, 2)


def test_explain_stopped_by_its_time_limit_says_what_it_left_out(ranked, whole) -> None:
    cut = advisor.explain(ranked, 2, time_limit=TINY_BUDGET)
    assert whole.warnings == ()
    assert len(cut.decisions) < len(whole.decisions) and cut.rules == ()
    assert len(cut.warnings) == 1 and "time limit" in cut.warnings[0]
    left = len(whole.decisions) - len(cut.decisions)
    assert f"{left} decision(s) and {len(whole.rules)} rule(s) are not explained" in cut.warnings[0]
    for fmt in FORMATS:
        text = render_explanation(cut, ranked, fmt)
        assert "not explained" in text or fmt == "csv"


def test_explain_with_time_to_spare_is_whole(ranked, whole) -> None:
    spare = advisor.explain(ranked, 2, time_limit=600)
    assert spare.warnings == ()
    assert [(d.decision, d.objective_if_flipped) for d in spare.decisions] == [
        (d.decision, d.objective_if_flipped) for d in whole.decisions
    ]
    assert spare.rules == whole.rules


def test_frontier_stopped_by_its_time_limit_keeps_the_points_it_solved(malaysia) -> None:
    whole = advisor.frontier(malaysia, vary="budget", points=4)
    cut = advisor.frontier(malaysia, vary="budget", points=4, time_limit=TINY_BUDGET)
    assert whole.warnings == () and len(whole.points) == 4
    assert len(cut.points) < 4 and "time limit" in cut.warnings[0]
    assert cut.points == whole.points[: len(cut.points)]
    for fmt in FORMATS:
        text = render_frontier(cut, fmt)
        assert "time limit" in text or fmt == "csv"


def test_diagnose_stopped_by_its_time_limit_gives_no_verdict(infeasible_example) -> None:
    with pytest.raises(DiagnosisTimeoutError, match="stopped the diagnosis"):
        advisor.diagnose(infeasible_example, time_limit=TINY_BUDGET)
    assert advisor.diagnose(infeasible_example, time_limit=600) == advisor.diagnose(
        infeasible_example
    )


def test_cli_diagnose_out_of_time_exits_4(capsys) -> None:
    from advisor import cli

    code = cli.main(["diagnose", "instances/infeasible_example", "--time-limit", "0.0001"])
    assert code == 4
    assert "stopped the diagnosis" in capsys.readouterr().err


@pytest.mark.parametrize("limit", ["-1", "0", "nan", "abc"])
def test_analysis_time_limits_are_checked(ranked, limit: str) -> None:
    value = float(limit) if limit != "abc" else limit
    with pytest.raises((TypeError, ValueError), match="time_limit must be"):
        advisor.explain(ranked, 1, time_limit=value)
