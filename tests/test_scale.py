"""Tariff-line scale: the generator, distinct_on on generated instances, the time guard."""

from __future__ import annotations

import filecmp
import itertools
import time
from pathlib import Path

import pytest

import advisor
from advisor import generate as gen
from advisor.checker import rule_violations
from advisor.solving import runtime as highs_runtime
from advisor.solving.session import open_session

MALAYSIA = Path(__file__).resolve().parent.parent / "instances" / "malaysia_us_2025"


@pytest.fixture(scope="module")
def lines300(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lines300")
    assert gen.main(["--lines", "300", "--seed", "3", "--output", str(folder)]) == 0
    return folder


def test_generator_output_loads_and_is_calibrated(lines300: Path) -> None:
    base = advisor.load_instance(MALAYSIA)
    instance = advisor.load_instance(lines300)
    assert len(instance.sectors) == 300
    assert "SYNTHETIC" in instance.description
    assert all(s.source.startswith("SYNTHETIC") for s in instance.sectors)
    for sector in base.sectors:
        lines = [s for s in instance.sectors if s.sector.startswith(sector.sector + ".")]
        assert lines, sector.sector
        assert sum(s.exports for s in lines) == pytest.approx(sector.exports, abs=1e-3)
        assert all(len(s.hs_codes) >= 8 and s.hs_codes.isdigit() for s in lines)
        # every base tier is offered on every line
        assert len(instance.requests) >= len(lines)
    assert [w.name for w in instance.scenarios] == [w.name for w in base.scenarios]


def test_generator_is_deterministic_and_seeded(tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        gen.main(["--lines", "60", "--seed", str(seed), "--output", str(tmp_path / name)])
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", files, shallow=False)
    assert mismatch == [] and errors == [] and len(match) == 7
    assert not filecmp.cmp(tmp_path / "a" / "sectors.csv", tmp_path / "c" / "sectors.csv", False)


def test_allocation_is_proportional_with_one_line_minimum() -> None:
    base = advisor.load_instance(MALAYSIA)
    counts = gen.allocate_lines(base.sectors, 1000)
    assert sum(counts) == 1000 and min(counts) >= 1
    biggest = max(range(len(counts)), key=lambda i: base.sectors[i].exports)
    assert counts[biggest] == max(counts)
    with pytest.raises(ValueError):
        gen.allocate_lines(base.sectors, 5)


def test_generator_rejects_a_bad_line_count(tmp_path: Path) -> None:
    assert gen.main(["--lines", "3", "--output", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("distinct_on", ["offers", "sectors"])
def test_distinct_on_lists_strategies_that_differ_as_promised(
    lines300: Path, distinct_on: str
) -> None:
    instance = advisor.load_instance(lines300)
    result = advisor.solve(instance, top=4, distinct_on=distinct_on, with_measures=False)
    assert result.strategies and result.distinct_on == distinct_on
    kind = "offer" if distinct_on == "offers" else "request"
    ids = instance.offer_by_id if kind == "offer" else instance.request_by_id
    keys = [frozenset(d for d in s.decisions if d in ids) for s in result.strategies]
    assert len(set(keys)) == len(keys), "two listed strategies share the compared decisions"
    objectives = [s.objective for s in result.strategies]
    assert all(a >= b - 1e-6 * max(1, abs(a)) for a, b in itertools.pairwise(objectives))
    for s in result.strategies:
        assert rule_violations(instance, s.decisions) == []


def test_wall_clock_guard_stops_a_solve_that_overruns(lines300: Path, monkeypatch) -> None:
    """A solve past its limit is cancelled and returns its incumbent, flagged as timed out."""
    instance = advisor.load_instance(lines300)
    ranker = open_session(instance, deadline=time.monotonic() + 30)
    # make the guard fire long before HiGHS's own 30 s limit, as if HiGHS ignored it
    monkeypatch.setattr(highs_runtime, "GUARD_GRACE_S", -29.95)
    started = time.monotonic()
    ranker.solve()
    assert ranker.timed_out
    assert time.monotonic() - started < 20


def test_solves_with_different_thread_counts_in_one_process(lines300: Path) -> None:
    """HiGHS's thread pool is process-wide: a later solve with another size must work."""
    malaysia = advisor.load_instance(MALAYSIA)
    lines = advisor.load_instance(lines300)
    expected = {}
    for inst, threads in [(lines, None), (malaysia, 2), (lines, 1), (malaysia, None), (lines, 2)]:
        result = advisor.solve(inst, top=1, threads=threads, with_measures=False)
        assert result.status == "optimal", (inst.name, threads, result.status)
        value = result.strategies[0].objective
        assert value == pytest.approx(expected.setdefault(inst.name, value), rel=1e-6)


def test_quiet_stdout_from_two_threads_restores_standard_output(capfd) -> None:
    """Overlapping quiet sections (the package search's two HiGHS threads) must leave
    file descriptor 1 pointing where it was, not at /dev/null."""
    import os
    import threading

    inside = threading.Barrier(2)

    def quiet_section(delay: float) -> None:
        with highs_runtime.quiet_stdout():
            inside.wait()
            os.write(1, b"hidden\n")
            time.sleep(delay)

    threads = [threading.Thread(target=quiet_section, args=(d,)) for d in (0.05, 0.15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    os.write(1, b"visible\n")
    out = capfd.readouterr().out
    assert "visible" in out
    assert "hidden" not in out


def test_cli_report_reaches_stdout_with_the_package_search(lines300: Path, solve_py) -> None:
    run = solve_py(lines300, "--distinct-on", "offers", "--top", "3", "--format", "csv")
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.strip().splitlines()) == 4  # header + 3 strategies


def test_time_limits_allow_for_highs_cumulative_run_clock(lines300: Path) -> None:
    """HiGHS measures time_limit against a Highs object's total run time since it was
    made. A persistent object that has run for a while must still get the seconds
    that remain, not stop at once (which read as 'time limit' long before it)."""
    import highspy

    instance = advisor.load_instance(lines300)
    ranker = open_session(instance, threads=1)
    highs = ranker.highs
    while highs.getRunTime() < 1.0:  # a history of runs on this object
        highs.clearSolver()
        highs.run()
    ranker.deadline = time.monotonic() + 60.0
    solution = ranker.solve()
    assert solution is not None and solution.proven and not ranker.timed_out
    # what the option would be without the allowance: HiGHS stops at once
    highs.clearSolver()
    highs.setOptionValue("time_limit", 0.5)
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kTimeLimit
    assert highs_runtime.time_limit_option(highs, 0.5) == pytest.approx(highs.getRunTime() + 0.5)
