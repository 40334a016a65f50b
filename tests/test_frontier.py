"""advisor.frontier: hand-computed points on instances/tiny, monotonicity where theory
demands it (relaxing a limit never lowers the optimum) on tiny and the Malaysia
instance, the independent checker on every point's strategy, the plot files, the
reports and the --frontier command.

Tiny's numbers (instances/tiny/README.md, section 4): the offer sets allowed by c2 and c3
and their best packages are IP 65 (d 10), EXPCTL 85 (d 20), IP+EXPCTL 105 (d 30),
IP+INVEST 100 (d 35), BUY+IP 120 (d 45), EXPCTL+INVEST 90 (d 45), BUY+EXPCTL 80 (d 55),
IP+EXPCTL+INVEST 94 (d 55), BUY+IP+EXPCTL 84 (d 65). The best with a budget B is the
best of the sets with d <= B.
"""

from __future__ import annotations

import io
import json
import math
import struct
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import advisor
from advisor.analysis.frontier import Frontier, with_limit
from advisor.checker import rule_violations
from advisor.instance import Instance
from advisor.report import render_frontier

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "instances" / "tiny"
MALAYSIA = ROOT / "instances" / "malaysia_us_2025"
SOLVE = ROOT / "solve.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tiny() -> Instance:
    return advisor.load_instance(TINY)


@pytest.fixture(scope="module")
def malaysia() -> Instance:
    return advisor.load_instance(MALAYSIA)


@pytest.fixture(scope="module")
def budget_sweep(tiny: Instance) -> Frontier:
    return advisor.frontier(tiny, vary="budget", points=6, lower=0.0, upper=90.0)


def objectives(sweep: Frontier) -> list[float | None]:
    return [None if p.strategy is None else p.strategy.objective for p in sweep.points]


def assert_monotone(sweep: Frontier, direction: int) -> None:
    """Objectives never fall (direction +1) or never rise (-1) along the sweep, and a
    point where the limit is looser is never infeasible after a feasible one."""
    values = objectives(sweep)
    looser = values if direction > 0 else values[::-1]
    seen = False
    previous = -math.inf
    for value in looser:
        if value is None:
            assert not seen, f"{sweep.vary}: infeasible after feasible, {values}"
            continue
        seen = True
        assert value >= previous - 1e-6 * max(1.0, abs(previous)), values
        previous = value


def assert_checker_passes(sweep: Frontier) -> None:
    """Every point's strategy satisfies the point's rules (the swept limit at its value)."""
    for p in sweep.points:
        if p.strategy is None:
            continue
        point = with_limit(sweep.instance, sweep.vary, sweep.market, p.value)
        assert rule_violations(point, frozenset(p.strategy.decisions)) == [], p.value


# ------------------------------------------------------------------ tiny, by hand


def test_budget_points_equal_the_hand_computed_optima(budget_sweep: Frontier) -> None:
    assert [p.value for p in budget_sweep.points] == [0.0, 18.0, 36.0, 54.0, 72.0, 90.0]
    # 0: no offer set satisfies c3 (IP costs 10); 18: IP (F0, 75 - 10); 36: IP+EXPCTL
    # (G+F0, 135 - 30); 54 and up: BUY+IP (C+G+F0, 165 - 45), the optimum
    assert objectives(budget_sweep) == [None, 65.0, 105.0, 120.0, 120.0, 120.0]
    third = budget_sweep.points[2]
    assert (third.added, third.dropped) == (("GLOVES_cap25", "EXPCTL"), ())
    fourth = budget_sweep.points[3]
    assert (fourth.added, fourth.dropped) == (("CHIPS_cap25", "BUY"), ("EXPCTL",))
    # protected value against offer cost: each feasible point buys more for more
    assert [p.pareto for p in budget_sweep.points] == [False, True, True, True, True, True]
    assert_checker_passes(budget_sweep)


def test_reciprocity_and_cap_sweeps_on_tiny(tiny: Instance) -> None:
    ratio = advisor.frontier(tiny, vary="reciprocity", points=5, lower=0.0, upper=2.0)
    values = objectives(ratio)
    # ratio 0: reciprocity gone, IP buys Z+G+F0, 185 - 10 = 175; ratio 1: tiny's 120
    assert values[0] == pytest.approx(175.0) and values[2] == pytest.approx(120.0)
    assert_monotone(ratio, -1)
    assert_checker_passes(ratio)

    cap = advisor.frontier(tiny, vary="cap", points=3)  # the cap 37.5% +- 5 points
    assert cap.market == "USA"
    assert [p.value for p in cap.points] == pytest.approx([0.325, 0.375, 0.425])
    # 37.5%: tiny's 120; 42.5%: the uncapped optimum 130 (share 40%) fits
    assert objectives(cap)[1:] == pytest.approx([120.0, 130.0])
    assert_monotone(cap, +1)
    assert_checker_passes(cap)


# ------------------------------------------------------------------ Malaysia


@pytest.mark.parametrize(("vary", "direction"), [("budget", 1), ("reciprocity", -1), ("cap", 1)])
def test_malaysia_sweeps_are_monotone_and_pass_the_checker(
    malaysia: Instance, vary: str, direction: int
) -> None:
    sweep = advisor.frontier(malaysia, vary=vary, points=5)
    assert len(sweep.points) == 5
    assert any(p.strategy is not None for p in sweep.points)
    assert_monotone(sweep, direction)
    assert_checker_passes(sweep)


def test_a_cap_sweep_on_another_market(malaysia: Instance) -> None:
    sweep = advisor.frontier(malaysia, vary="cap", market="CHN", points=3)
    assert sweep.market == "CHN"
    assert_monotone(sweep, +1)
    assert_checker_passes(sweep)
    assert "share_CHN" in sweep.to_frame().columns


def test_bad_arguments_are_refused(tiny: Instance) -> None:
    with pytest.raises(ValueError, match="vary must be one of"):
        advisor.frontier(tiny, vary="tariff")
    with pytest.raises(ValueError, match="at least 2"):
        advisor.frontier(tiny, points=1)
    with pytest.raises(ValueError, match="unknown market"):
        advisor.frontier(tiny, vary="cap", market="MARS")


# ------------------------------------------------------------------ plots


def test_png_plot_is_a_valid_900_by_600_png(budget_sweep: Frontier, tmp_path: Path) -> None:
    path = budget_sweep.plot(tmp_path / "frontier.png")
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"  # the first chunk
    assert struct.unpack(">II", data[16:24]) == (900, 600)


def test_svg_plot(malaysia: Instance, tmp_path: Path) -> None:
    sweep = advisor.frontier(malaysia, vary="budget", points=4)
    text = sweep.plot(tmp_path / "frontier.svg").read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert 'width="648pt" height="432pt"' in text  # 9 x 6 inches


# ------------------------------------------------------------------ reports


def test_reports(budget_sweep: Frontier) -> None:
    table = render_frontier(budget_sweep, "table")
    assert max(len(line) for line in table.splitlines()) <= 100
    assert (
        "    54.0      120.0      165.0        45.0      36.2%  *  +CHIPS_cap25 +BUY -EXPCTL"
        in (table)
    )
    assert "budget 54.0 to 90.0: requests CHIPS_cap25, GLOVES_cap25, FURN_zero" in table
    markdown = render_frontier(budget_sweep, "markdown", plot="frontier.png")
    assert "![frontier](frontier.png)" in markdown
    doc = json.loads(render_frontier(budget_sweep, "json"), parse_constant=pytest.fail)
    assert doc["report"] == "frontier" and doc["vary"] == "budget" and doc["plot"] is None
    assert [p["objective"] for p in doc["points"]] == [None, 65.0, 105.0, 120.0, 120.0, 120.0]
    frame = pd.read_csv(io.StringIO(render_frontier(budget_sweep, "csv")))
    assert list(frame["budget"]) == [0.0, 18.0, 36.0, 54.0, 72.0, 90.0]


# ------------------------------------------------------------------ command line


def test_cli_frontier_writes_the_plot_and_json(tmp_path: Path) -> None:
    plot = tmp_path / "x.png"
    args = ["--frontier", "budget", "--points", "5", "--plot", str(plot), "--format", "json"]
    proc = subprocess.run(
        [sys.executable, str(SOLVE), str(TINY), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert len(doc["points"]) == 5 and doc["plot"] == str(plot)
    data = plot.read_bytes()
    assert data[:8] == PNG_SIGNATURE and struct.unpack(">II", data[16:24]) == (900, 600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.png"]  # no temporary left


def test_cli_frontier_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from advisor import cli

    cases = [
        (["--frontier", "budget", "--plot", str(tmp_path / "x.pdf")], "must end in .png or .svg"),
        (["--frontier", "budget", "--market", "USA"], "--market goes with --frontier cap"),
        (["--frontier", "budget", "--top", "3"], "--top does not apply to --frontier"),
        (["--plot", str(tmp_path / "x.png")], "--plot goes with --frontier"),
        (["--frontier", "cap", "--market", "MARS"], "unknown market 'MARS'"),
        (["--frontier", "reciprocity", "--objective", "regret"], "expected or worst_case"),
    ]
    for args, message in cases:
        assert cli.main([str(TINY), *args]) == 2, args
        assert message in capsys.readouterr().err, args
    assert list(tmp_path.iterdir()) == []


def test_cli_frontier_svg_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from advisor import cli

    plot = tmp_path / "f.svg"
    code = cli.main(
        [str(TINY), "--frontier", "cap", "--points", "3", "--plot", str(plot), "-f", "markdown"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("# Trade-off frontier: Tiny") and f"![frontier]({plot})" in out
    assert "<svg" in plot.read_text(encoding="utf-8")
