"""The command line: subprocess runs of solve.py (few: each costs ~1 s of imports),
and in-process runs of advisor.cli.main for argument checks and rare outcomes."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from advisor import cli

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "instances" / "malaysia_us_2025"

NAME = "CLI test negotiation"  # of the small instance (tests/conftest.py)
SolvePy = Callable[..., subprocess.CompletedProcess]  # the solve_py fixture (tests/conftest.py)


@pytest.fixture(scope="module")
def tiny(
    tmp_path_factory: pytest.TempPathFactory, write_small_instance: Callable[..., Path]
) -> Path:
    return write_small_instance(tmp_path_factory.mktemp("cli") / "tiny", NAME)


def assert_clean_failure(proc: subprocess.CompletedProcess, code: int) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


# ------------------------------------------------------------------ subprocess runs


def test_default_instance_runs_from_any_directory(tmp_path: Path, solve_py: SolvePy) -> None:
    if not DEFAULT.is_dir():
        pytest.skip("instances/malaysia_us_2025 is not there")
    proc = solve_py("--top", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Malaysia" in proc.stdout and "USD million" in proc.stdout
    assert "Strategy 2:" in proc.stdout
    assert "searching" not in proc.stderr  # no progress when stderr is not a terminal


def test_json_redirected_to_a_file_is_pure_json(
    tiny: Path, tmp_path: Path, solve_py: SolvePy
) -> None:
    out = tmp_path / "out.json"
    with out.open("w") as handle:
        proc = solve_py(tiny, "--format", "json", "--top", "2", stdout=handle)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())  # nothing but the JSON reached stdout
    assert doc["instance"] == "CLI test negotiation"
    assert [s["rank"] for s in doc["strategies"]] == [1, 2]
    assert doc["status"] == "optimal"


def test_csv_and_markdown_to_stdout(tiny: Path, solve_py: SolvePy) -> None:
    proc = solve_py(tiny, "--format", "csv", "--top", "3", "--objective", "worst_case", "--quiet")
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(io.StringIO(proc.stdout), index_col="rank")
    assert list(frame.index) == [1, 2, 3]
    proc = solve_py(tiny, "-f", "markdown", "--min-difference", "2", "--gap", "0", "--threads", "1")
    assert proc.returncode == 0, proc.stderr
    assert "| Rank | Objective |" in proc.stdout


def test_output_file_is_written_whole_and_alone(
    tiny: Path, tmp_path: Path, solve_py: SolvePy
) -> None:
    target = tmp_path / "brief.md"
    proc = solve_py(tiny, "--format", "markdown", "--output", target, "--top", "1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("# Negotiation brief: CLI test")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.md"]


def test_bad_instances_list_located_problems(
    tmp_path: Path, write_small_instance: Callable[..., Path], solve_py: SolvePy
) -> None:
    proc = solve_py(tmp_path / "nowhere")
    assert_clean_failure(proc, 2)
    assert "no such folder" in proc.stderr

    broken = write_small_instance(tmp_path / "broken", NAME)
    sectors = (broken / "sectors.csv").read_text(encoding="utf-8")
    sectors = sectors.replace(",1.2\n", ",abc\n")
    sectors = sectors.replace("Furniture,100", "Furniture,-5")
    (broken / "sectors.csv").write_text(sectors, encoding="utf-8")
    proc = solve_py(broken)
    assert_clean_failure(proc, 2)
    lines = proc.stderr.splitlines()
    assert any(line.startswith("sectors.csv, row 2, column 'elasticity': ") for line in lines)
    assert any(line.startswith("sectors.csv, row 3, column 'exports': ") for line in lines)


def test_infeasible_instance_exits_3(
    tmp_path: Path, write_small_instance: Callable[..., Path], solve_py: SolvePy
) -> None:
    floors = '\n[market_share_floors]\nCHN = "95%"'
    folder = write_small_instance(tmp_path / "infeasible", NAME, tail=floors)
    proc = solve_py(folder, "--format", "json")
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "infeasible" in proc.stderr
    for rule in ("reciprocity", "budget", "conditions", "market-share"):
        assert rule in proc.stderr
    assert json.loads(proc.stdout)["status"] == "infeasible"


# ------------------------------------------------------------------ in-process runs


def test_output_into_a_missing_folder_fails_cleanly(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "somefile").write_text("x")
    for target in (tmp_path / "missing" / "out.json", tmp_path / "somefile" / "out.json"):
        assert cli.main([str(tiny), "--output", str(target)]) == 2
        err = capsys.readouterr().err
        assert f"cannot write {target}" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["somefile"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_output_into_a_read_only_folder_fails_cleanly(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert cli.main([str(tiny), "--output", str(locked / "out.json")]) == 2
        assert "not writable" in capsys.readouterr().err
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.json"
    target.write_text("old report")

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli.os, "replace", refuse)
    with pytest.raises(cli.CliError, match=r"cannot write .*Permission denied"):
        cli.write_atomically(target, "new report")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    assert target.read_text() == "old report"


def test_time_limit_without_a_strategy_exits_4(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = cli.solve

    def stopped(instance, **kwargs):
        result = real(instance, **kwargs)
        return dataclasses.replace(result, status="time_limit", strategies=())

    monkeypatch.setattr(cli, "solve", stopped)
    assert cli.main([str(tiny), "--quiet"]) == 4
    captured = capsys.readouterr()
    assert "time_limit" in captured.out
    assert "--time-limit" in captured.err


def test_time_limit_with_strategies_exits_0_and_says_so(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = cli.solve
    monkeypatch.setattr(
        cli, "solve", lambda i, **kw: dataclasses.replace(real(i, **kw), status="time_limit")
    )
    assert cli.main([str(tiny), "--top", "1"]) == 0
    captured = capsys.readouterr()
    assert "Status: time_limit" in captured.out
    assert "stopped by the time limit" in captured.err


@pytest.mark.parametrize(
    "args",
    [
        ["--top", "0"],
        ["--top", "two"],
        ["--gap", "2"],
        ["--gap", "-0.1"],
        ["--time-limit", "0"],
        ["--min-difference", "0"],
        ["--threads", "0"],
        ["--objective", "best"],
        ["--format", "xml"],
        ["--bogus"],
    ],
)
def test_bad_option_values_are_usage_errors(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "Traceback" not in err


def test_help_explains_every_option_and_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "INSTANCE_DIR",
        "--top",
        "--min-difference",
        "--time-limit",
        "--gap",
        "--objective",
        "--threads",
        "--format",
        "--output",
        "--quiet",
        "examples:",
        "exit codes:",
    ):
        assert option in text, option
    for code in ("0 ", "2 ", "3 ", "4 "):
        assert f"\n  {code}" in text


def test_missing_default_instance_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "REPOSITORY_ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "default instance folder" in err and "missing" in err


def test_progress_goes_to_a_terminals_stderr_only(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_stderr_is_terminal", lambda: True)
    assert cli.main([str(tiny), "--top", "1", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "searching for strategy 1" in captured.err
    json.loads(captured.out)
    assert cli.main([str(tiny), "--top", "1", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_a_value_error_from_solve_is_a_usage_error(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(instance, **kwargs):
        raise ValueError("top must be at least 1, got 0")

    monkeypatch.setattr(cli, "solve", refuse)
    assert cli.main([str(tiny)]) == 2
    captured = capsys.readouterr()
    assert "top must be at least 1, got 0" in captured.err
    assert captured.out == ""


def test_output_to_a_named_pipe_writes_in_place(tmp_path: Path, tiny: Path) -> None:
    """A device or pipe (like /dev/null) is written to, never replaced by a file."""
    import stat
    import threading

    pipe = tmp_path / "report.pipe"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text("utf-8")), daemon=True)
    reader.start()
    code = cli.main([str(tiny), "--top", "1", "--format", "json", "--output", str(pipe), "-q"])
    reader.join(timeout=30)
    assert code == 0
    assert stat.S_ISFIFO(os.stat(pipe).st_mode), "the pipe was replaced by a file"
    assert json.loads(received[0])["strategies"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pipe"]
