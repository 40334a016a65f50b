"""The robustness analysis (issue 16): draws, statistics, determinism, errors, SALib.

The hand case is ``instances/tiny`` with BUY's value to the counterpart drawn
uniform on [45, 135] (90 x [0.5, 1.5]). Strategy 1 (CHIPS_cap25, GLOVES_cap25,
FURN_zero, BUY, IP, objective 120) asks the counterpart for 30 + 60 + 25 = 115 and
offers BUY + IP = v + 30 (reciprocity ratio 1): it keeps the rules iff v >= 85.
Asking CHIPS_zero instead (cost 50, protects 50 instead of 30) is worth 140 and
needs v + 30 >= 135, v >= 105. So strategy 1 is feasible with probability
50/90 = 5/9 and the draw's optimum with probability 20/90 = 2/9 (85 <= v < 105).
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import advisor
from advisor.analysis.draws import normal_scores, perturb, quantiles, sample
from advisor.analysis.robustness import cvar, robustness
from advisor.analysis.sensitivity import sensitivity
from advisor.checker import rule_violations, scores
from advisor.errors import InstanceError
from advisor.inputs.uncertainty import UncertainInput, Uncertainty, load_uncertainty
from advisor.report import render_robustness

ROOT = Path(__file__).resolve().parent.parent
HEAD = "target,distribution,basis,sd,low,high,mode,group,correlation\n"
STRATEGY_1 = ("CHIPS_cap25", "GLOVES_cap25", "FURN_zero", "BUY", "IP")


def _folder(tmp_path: Path, rows: str, name: str = "tiny") -> Path:
    folder = tmp_path / name
    shutil.copytree(ROOT / "instances" / "tiny", folder)
    (folder / "uncertainty.csv").write_text(HEAD + rows, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def buy_case(tmp_path_factory: pytest.TempPathFactory) -> advisor.Robustness:
    folder = _folder(tmp_path_factory.mktemp("buy"),
                     "offers:BUY:counterpart_value,uniform,relative,,0.5,1.5,,,\n")
    instance = advisor.load_instance(folder)
    return robustness(instance, draws=24, seed=3, top=3, sensitivity_method=None)


def _buy_values(result: advisor.Robustness) -> np.ndarray:
    return sample(result.uncertainty, result.draws, result.seed)[:, 0]


def test_the_hand_case_thresholds_decide_feasibility_and_optimality(buy_case) -> None:
    v = _buy_values(buy_case)
    assert ((v >= 45) & (v <= 135)).all()
    first = buy_case.strategies[0]
    assert first.decisions == STRATEGY_1 and first.base_objective == pytest.approx(120)
    assert first.p_feasible == pytest.approx(np.mean(v >= 85))
    assert first.p_optimal == pytest.approx(np.mean((v >= 85) & (v < 105)))
    # the analytic probabilities, within four binomial standard deviations of 24 draws
    assert abs(first.p_feasible - 5 / 9) < 4 * np.sqrt(5 / 9 * 4 / 9 / 24)
    assert abs(first.p_optimal - 2 / 9) < 4 * np.sqrt(2 / 9 * 7 / 9 / 24)
    # the draw's optimum: 140 above 105, 120 from 85, strategy 2's 105 below
    expected = np.where(v >= 105, 140.0, np.where(v >= 85, 120.0, 105.0))
    assert buy_case.optimum_values == pytest.approx(expected)
    assert first.broken_rules == {"reciprocity": int(np.sum(v < 85))}
    new = buy_case.new_optima[0]
    assert new.added == ("CHIPS_zero",) and new.dropped == ("CHIPS_cap25",)
    assert new.draws == int(np.sum(v >= 105))


def test_statistics_are_numpys_over_the_same_draws(buy_case) -> None:
    v = _buy_values(buy_case)
    realised = np.where(v >= 85, 120.0, 0.0)  # strategy 1: its value, or no deal
    assert buy_case.realised[:, 0] == pytest.approx(realised)
    first = buy_case.strategies[0]  # from the draws' own values, not the result's array
    assert first.mean == pytest.approx(np.mean(realised))
    assert first.p5 == pytest.approx(np.percentile(realised, 5))
    for i, s in enumerate(buy_case.strategies):
        x = buy_case.realised[:, i]
        assert s.mean == pytest.approx(np.mean(x))
        assert s.p5 == pytest.approx(np.percentile(x, 5))
        assert s.cvar == pytest.approx(np.sort(x)[:2].mean())  # ceil(0.05 * 24) = 2
        assert s.mean_regret == pytest.approx(np.mean(buy_case.optimum_values - x))
        assert sum(s.rank_counts.values()) == buy_case.draws
        assert s.p_top3 == pytest.approx(
            sum(s.rank_counts[k] for k in ("1", "2", "3")) / buy_case.draws)
    choice = buy_case.choices["cvar"]
    assert buy_case.strategies[choice - 1].cvar == max(s.cvar for s in buy_case.strategies)


def test_cvar_is_the_mean_of_the_worst_tail() -> None:
    assert cvar(np.arange(100.0)) == pytest.approx(2.0)  # the 5 smallest: 0..4
    assert cvar(np.array([3.0, 1.0, 2.0])) == pytest.approx(1.0)


def test_each_draws_optimum_is_the_brute_force_best(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "offers:*:counterpart_value,normal,relative,0.3,,,,,\n"
                     "sectors:GLOVES:elasticity,lognormal,relative,0.3,,,,,\n")
    instance = advisor.load_instance(folder)
    result = robustness(instance, draws=3, seed=11, top=2, sensitivity_method=None)
    spec = load_uncertainty(instance)
    decisions = instance.decision_ids()
    for d, values in enumerate(sample(spec, 3, 11)):
        drawn, _ = perturb(instance, spec, values)
        best = max(
            scores(drawn, chosen).expected_value
            for n in range(len(decisions) + 1)
            for chosen in itertools.combinations(decisions, n)
            if not rule_violations(drawn, chosen)
        )
        assert result.optimum_values[d] == pytest.approx(best, abs=1e-6)


def test_zero_variance_reproduces_the_base_ranking(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "offers:BUY:counterpart_value,normal,relative,0,,,,,\n")
    instance = advisor.load_instance(folder)
    base = advisor.solve(instance, top=3)
    result = robustness(instance, draws=3, seed=0, top=3, sensitivity_method=None)
    for s, b in zip(result.strategies, base.strategies, strict=True):
        assert s.mean == s.p5 == s.cvar == b.objective
        assert s.p_feasible == 1.0 and s.p_top3 == 1.0
        assert s.rank_counts[str(b.rank)] == 3
    assert result.new_optima == ()
    assert result.optimum_values.tolist() == [base.strategies[0].objective] * 3


def test_draws_are_the_same_whatever_jobs_or_engine(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    folder = _folder(tmp_path, "offers:BUY:counterpart_value,uniform,relative,,0.5,1.5,,,\n"
                     "requests:GLOVES_zero:acceptance,beta,absolute,0.15,,,,,\n")
    instance = advisor.load_instance(folder)

    def run(**engine) -> str:
        result = robustness(instance, draws=4, seed=5, top=2, sensitivity_method=None, **engine)
        return render_robustness(result, "json")

    serial = run(jobs=1)
    assert run(jobs=2) == serial
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        assert run(scheduler=client) == serial


def test_a_draw_is_the_same_whatever_the_number_of_draws() -> None:
    spec = Uncertainty((UncertainInput("offers:A:domestic_cost", "offers", "A", "domestic_cost",
                                       "normal", "absolute", 10.0, sd=2.0),))
    assert sample(spec, 3, 9) == pytest.approx(sample(spec, 7, 9)[:3])
    assert not np.allclose(sample(spec, 3, 9), sample(spec, 3, 10))


def _item(target: str, group: str = "", correlation: float = 1.0, **kw) -> UncertainInput:
    table, ident, column = target.split(":")
    return UncertainInput(target, table, ident, column, kw.pop("distribution", "normal"),
                          "absolute", kw.pop("base", 1.0), group=group,
                          correlation=correlation, **kw)


def test_correlation_groups_move_together() -> None:
    spec = Uncertainty((
        _item("offers:A:domestic_cost", "g", 1.0, sd=1.0),
        _item("offers:B:domestic_cost", "g", 1.0, sd=1.0),
        _item("offers:C:domestic_cost", "g", -1.0, sd=1.0),
        _item("offers:D:domestic_cost", "h", 0.5, sd=1.0),
        _item("offers:E:domestic_cost", "h", 0.5, sd=1.0),
        _item("offers:F:domestic_cost", sd=1.0),
    ))
    z = normal_scores(spec, 4000, 1)
    assert z[:, 0] == pytest.approx(z[:, 1])
    assert z[:, 2] == pytest.approx(-z[:, 0])
    corr = np.corrcoef(z.T)
    assert corr[3, 4] == pytest.approx(0.25, abs=0.05)  # c_a c_b
    assert abs(corr[0, 5]) < 0.05 and abs(corr[0, 3]) < 0.05


def test_each_distribution_has_its_stated_shape() -> None:
    u = np.linspace(0.0005, 0.9995, 2000)
    uni = quantiles(_item("x:y:z", distribution="uniform", low=2.0, high=4.0), u)
    assert uni.min() == pytest.approx(2, abs=0.01) and uni.max() == pytest.approx(4, abs=0.01)
    tri = quantiles(_item("x:y:z", distribution="triangular", low=0.0, high=3.0, mode=1.0), u)
    assert tri.mean() == pytest.approx(4 / 3, abs=0.01)  # (a + b + c) / 3
    beta = quantiles(_item("x:y:z", distribution="beta", base=0.6, sd=0.1), u)
    assert beta.mean() == pytest.approx(0.6, abs=0.01)
    assert beta.std() == pytest.approx(0.1, abs=0.01)
    logn = quantiles(_item("x:y:z", distribution="lognormal", base=5.0, sd=0.2), np.array([0.5]))
    assert logn[0] == pytest.approx(5.0)  # the median at the base


def test_probabilities_are_clipped_and_scenarios_renormalised(malaysia) -> None:
    spec = Uncertainty((
        _item("requests:IC_cap10:acceptance", base=0.8, sd=0.5),
        _item("scenarios:s232_25:probability", base=0.3, sd=0.1),
    ))
    drawn, clipped = perturb(malaysia, spec, [1.7, 0.6])
    assert drawn.request_by_id["IC_cap10"].acceptance == 1.0
    assert clipped == ("requests:IC_cap10:acceptance",)
    total = sum(s.probability for s in drawn.scenarios)
    assert total == pytest.approx(1.0)
    assert {s.name: s.probability for s in drawn.scenarios}["s232_25"] == pytest.approx(0.6 / 1.3)


BAD_ROWS = {
    "nope:IC:elasticity,normal,relative,0.1,,,,,\n": (2, "target", "expected a table"),
    "sectors:XX:elasticity,normal,relative,0.1,,,,,\n": (2, "target", "'XX' is not in sectors"),
    "sectors:CHIPS:colour,normal,relative,0.1,,,,,\n": (2, "target", "no uncertain column"),
    "sectors:CHIPS:elasticity,gamma,relative,0.1,,,,,\n": (2, "distribution", "expected one of"),
    "sectors:CHIPS:elasticity,normal,relative,,,,,,\n": (2, "sd", "normal needs sd"),
    "sectors:CHIPS:elasticity,normal,relative,0.1,0.5,,,,\n": (2, "low", "does not use low"),
    "sectors:CHIPS:elasticity,uniform,relative,,1.5,0.5,,,\n": (2, "high", "below low"),
    "sectors:CHIPS:elasticity,lognormal,absolute,0.1,,,,,\n": (2, "basis", "must be relative"),
    "requests:GLOVES_zero:acceptance,beta,absolute,0.6,,,,,\n": (2, "sd", "needs sd <"),
    "offers:BUY:domestic_cost,normal,relative,-1,,,,,\n": (2, "sd", "sd >= 0"),
    "offers:BUY:domestic_cost,normal,relative,0.1,,,,,0.5\n": (2, "correlation", "needs a group"),
}


@pytest.mark.parametrize("row", list(BAD_ROWS))
def test_bad_rows_are_located(tmp_path: Path, row: str) -> None:
    folder = _folder(tmp_path, row)
    with pytest.raises(InstanceError) as caught:
        load_uncertainty(advisor.load_instance(folder))
    number, column, words = BAD_ROWS[row]
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("uncertainty.csv", number, column)
    assert words in problem.message


def test_a_repeated_target_and_every_problem_in_one_pass(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "offers:*:domestic_cost,normal,relative,0.1,,,,,\n"
                     "offers:BUY:domestic_cost,normal,relative,0.2,,,,,\n"
                     "sectors:XX:elasticity,normal,relative,0.1,,,,,\n")
    with pytest.raises(InstanceError) as caught:
        load_uncertainty(advisor.load_instance(folder))
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "target"), (4, "target")]
    assert "already uncertain in row 2" in caught.value.problems[0].message


def test_the_cli_reports_bad_input_with_exit_2_and_writes_nothing(tmp_path: Path,
                                                                   solve_py) -> None:
    folder = _folder(tmp_path, "sectors:CHIPS:elasticity,normal,relative,,,,,,\n")
    out = tmp_path / "report.json"
    run = solve_py("robustness", str(folder), "--draws", "2", "--output", str(out))
    assert run.returncode == 2
    assert "uncertainty.csv, row 2, column 'sd': normal needs sd" in run.stderr
    assert "Traceback" not in run.stderr and not out.exists()


def test_the_cli_writes_the_report_and_the_plot(tmp_path: Path, solve_py) -> None:
    folder = _folder(tmp_path, "offers:BUY:counterpart_value,uniform,relative,,0.5,1.5,,,\n")
    out, plot = tmp_path / "r.json", tmp_path / "r.png"
    run = solve_py("robustness", str(folder), "--draws", "3", "--seed", "2", "--top", "2",
                   "--jobs", "1", "--sensitivity", "none", "--format", "json",
                   "--output", str(out), "--plot", str(plot))
    assert run.returncode == 0, run.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["report"] == "robustness" and data["draws"] == 3 and data["seed"] == 2
    assert len(data["strategies"]) == 2 and plot.stat().st_size > 0


def test_sobol_puts_everything_on_the_only_input_that_matters(tiny) -> None:
    """Strategy 1's value is 120 - IP's cost + 10: additive in IP's cost alone.

    BUY's cost is drawn too, in a range that keeps the budget (35 + 10 <= 70) and
    changes nothing else; INVEST is not in the strategy.
    """
    spec = Uncertainty((
        _item("offers:IP:domestic_cost", distribution="uniform", base=10.0, low=5.0, high=15.0),
        _item("offers:INVEST:domestic_cost", distribution="uniform", base=25.0, low=0.0,
              high=50.0),
    ))
    listed = (frozenset(STRATEGY_1),)
    found = sensitivity(tiny, spec, listed, "expected", 1, "sobol", 64, seed=0)
    assert found is not None and found.method == "sobol"
    assert found.value["S1"][0] >= 0.95 and found.value["ST"][0] >= 0.95
    assert abs(found.value["S1"][1]) < 0.05 and abs(found.value["ST"][1]) < 0.05
    assert found.flip_rate == 0.0
    morris = sensitivity(tiny, spec, listed, "expected", 1, "morris", 10, seed=0)
    assert morris is not None
    assert morris.value["mu_star"][0] > 0 and morris.value["mu_star"][1] == 0


def test_depth_1_finds_only_each_draws_optimum(buy_case, tmp_path: Path) -> None:
    folder = _folder(tmp_path, "offers:BUY:counterpart_value,uniform,relative,,0.5,1.5,,,\n")
    result = robustness(advisor.load_instance(folder), draws=6, seed=3, top=3,
                        sensitivity_method=None, depth=1)
    assert result.optimum_values == pytest.approx(buy_case.optimum_values[:6])
    for s, full in zip(result.strategies, buy_case.strategies, strict=True):
        assert s.p_top3 is None and set(s.rank_counts) == {"1", ">1", "infeasible"}
        assert s.rank_counts["1"] == sum(r == 1 for r in _ranks(buy_case, full.rank)[:6])
    assert "P(top 3)" in render_robustness(result, "table")


def _ranks(result: advisor.Robustness, rank: int) -> list[int]:
    """Draw by draw: 1 where strategy ``rank`` is the draw's optimum (from realised values)."""
    i = rank - 1
    feasible = result.realised[:, i] > 0
    return [1 if f and abs(v - o) < 1e-6 else 0
            for f, v, o in zip(feasible, result.realised[:, i], result.optimum_values,
                               strict=True)]


# ------------------------------------------------------- one persistent model per worker


def _spread(instance: advisor.Instance) -> Uncertainty:
    """Every offer's value and cost, every acceptance, elasticity and probability drawn."""
    def item(table: str, ident: str, column: str, base: float, kind: str,
             **kw: float) -> UncertainInput:
        return UncertainInput(f"{table}:{ident}:{column}", table, ident, column, kind,
                              "absolute", base, **kw)

    rows = [item("offers", o.offer, c, getattr(o, c), "normal", sd=0.3 * abs(getattr(o, c)))
            for o in instance.offers for c in ("counterpart_value", "domestic_cost")]
    rows += [item("requests", r.request, "acceptance", r.acceptance, "uniform",
                  low=max(0.0, r.acceptance - 0.2), high=min(1.0, r.acceptance + 0.2))
             for r in instance.requests]
    rows += [item("sectors", s.sector, "elasticity", s.elasticity, "lognormal", sd=0.3)
             for s in instance.sectors]
    rows += [item("scenarios", w.name, "probability", w.probability, "uniform",
                  low=0.5 * w.probability, high=1.5 * w.probability)
             for w in instance.scenarios]
    return Uncertainty(tuple(rows))


def _draws_both_ways(instance: advisor.Instance, draws: int, seed: int) -> tuple[int, int]:
    """Each draw's outcome on the persistent model and on a rebuilt one: the same.

    Returns (draws compared, draws the persistent model held).
    """
    from advisor.analysis import persistent
    from advisor.analysis.robustness import DrawContext, draw_task

    spec = _spread(instance)
    base = advisor.solve(instance, top=3, with_measures=False)
    listed = tuple(frozenset(s.decisions) for s in base.strategies)
    if not listed:
        return 0, 0
    kept = DrawContext(instance, spec, listed, base.objective, 3, persistent=True)
    rebuilt = DrawContext(instance, spec, listed, base.objective, 3, persistent=False)
    for d, values in enumerate(sample(spec, draws, seed).tolist()):
        assert draw_task(kept, (d, values)) == draw_task(rebuilt, (d, values)), (seed, d)
    solver = persistent.draw_solver(kept, instance, base.objective)
    return draws, draws - solver.rebuilt


def test_the_persistent_model_gives_each_draws_outcome_of_a_rebuilt_one(malaysia) -> None:
    from randinst import random_instance

    compared, held = _draws_both_ways(malaysia, 12, 5)
    assert compared == 12 and held >= 6  # Malaysia's linkage step vanishes in a few draws
    total = held_total = 0
    for seed in range(10):
        instance = random_instance(seed, objectives=("expected",), every_option=seed % 2 == 1)
        compared, held = _draws_both_ways(instance, 6, seed)
        total += compared
        held_total += held
    assert total >= 40 and held_total >= total // 2


def test_the_persistent_model_holds_the_rebuilt_models_numbers(malaysia) -> None:
    from advisor.analysis.persistent import DrawSolver
    from advisor.solving.session import open_session

    spec = load_uncertainty(malaysia)
    solver = DrawSolver(malaysia, malaysia.objective)
    held = 0
    for values in sample(spec, 8, 2):
        drawn, _ = perturb(malaysia, spec, values)
        session, persistent = solver.session_for(drawn)
        if not persistent:
            continue
        held += 1
        mine = session.highs.getLp()
        theirs = open_session(drawn, malaysia.objective, binding=False).highs.getLp()
        for name in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_"):
            assert list(getattr(mine, name)) == list(getattr(theirs, name)), name
        assert mine.offset_ == theirs.offset_ and mine.sense_ == theirs.sense_
        assert _entries(mine) == _entries(theirs)
        solver.release()
    assert held >= 4 and solver.bounds_changed > 0  # the market-share rows' bounds moved


def _entries(lp: object) -> dict[tuple[int, int], float]:
    """(row, column) -> value of a HiGHS LP's matrix, whichever way it is stored."""
    a = lp.a_matrix_  # type: ignore[attr-defined]
    rowwise = a.format_ == a.format_.__class__.kRowwise
    out = {}
    for major in range(len(a.start_) - 1):
        for k in range(a.start_[major], a.start_[major + 1]):
            key = (major, a.index_[k]) if rowwise else (a.index_[k], major)
            out[key] = a.value_[k]
    return out


def test_the_draws_progress_bar(
    capsys: pytest.CaptureFixture[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On a terminal the command line counts the draws on a tqdm bar on standard error;
    disabled (--quiet, or not a terminal) it prints nothing; the library takes any
    progress object with ``count`` the same way."""
    from advisor.cli.output import Progress

    bar = Progress(enabled=True)
    for done in range(1, 5):
        bar.count(done, 4)
    assert bar.bar is not None and bar.bar.n == 4 and bar.bar.total == 4
    bar.done()
    assert bar.bar is None and "0/4 [" in capsys.readouterr().err  # the bar was drawn
    silent = Progress(enabled=False)
    silent.count(1, 4)
    silent.done()
    assert capsys.readouterr().err == ""

    counted: list[tuple[int, int]] = []

    class Counter:
        def __call__(self, message: str) -> None:
            pass

        def count(self, done: int, total: int) -> None:
            counted.append((done, total))

    folder = _folder(tmp_path_factory.mktemp("bar"),
                     "offers:BUY:counterpart_value,uniform,relative,,0.5,1.5,,,\n")
    robustness(advisor.load_instance(folder), draws=3, seed=1, progress=Counter(),
               sensitivity_method=None)
    assert counted[-1] == (3, 3)
