"""The command line's subcommands (rank, explain, frontier, diagnose, validate), the
older flag forms they replace, and the atomic writes of :mod:`advisor.files`.

In-process runs of :func:`advisor.cli.main` on instances/tiny and
instances/infeasible_example; the comparisons of the two forms zero the solver's
wall time (the only number that differs between two runs).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from advisor import cli, files
from advisor.cli.parser import COMMANDS, parse
from advisor.results import Result

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "instances" / "tiny"
INFEASIBLE = ROOT / "instances" / "infeasible_example"


@dataclasses.dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``run(*args)``: ``advisor ARGS`` in-process, its exit code and output."""

    def run_main(*args: str | Path) -> Run:
        capsys.readouterr()
        code = cli.main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run_main


@pytest.fixture
def steady(monkeypatch: pytest.MonkeyPatch) -> None:
    """The solver's wall time zeroed, so that two runs print the same bytes."""
    real = cli.solve

    def solve(instance: Any, **kwargs: Any) -> Result:
        result = real(instance, **kwargs)
        return dataclasses.replace(result, solver=dataclasses.replace(result.solver, time_s=0.0))

    monkeypatch.setattr(cli, "solve", solve)


# ------------------------------------------------------------------ each subcommand


def test_rank(run: Callable[..., Run]) -> None:
    done = run("rank", TINY, "--top", "2", "--quiet")
    assert done.code == 0 and done.err == ""
    assert done.out.startswith("Tiny hand-solvable negotiation") and "Strategy 2:" in done.out
    done = run("rank", INFEASIBLE, "--format", "json")
    assert done.code == 3
    assert json.loads(done.out)["status"] == "infeasible"
    assert "conditions.csv: c4" in done.err


def test_explain(run: Callable[..., Run]) -> None:
    done = run("explain", TINY, "2", "--format", "json")
    assert done.code == 0
    assert json.loads(done.out)["explanation"]["rank"] == 2
    same = run("explain", TINY, "--rank", "2", "--format", "json")
    assert same == done
    done = run("explain", TINY)
    assert done.code == 0 and done.out.startswith("Why strategy 1: Tiny")
    done = run("explain", TINY, "99")
    assert done.code == 2 and "explain 99: the ranking lists 5 strategies" in done.err
    done = run("explain", INFEASIBLE, "--quiet")
    assert done.code == 3 and "These 4 rules conflict" in done.out


def test_frontier(run: Callable[..., Run], tmp_path: Path) -> None:
    plot = tmp_path / "f.svg"
    done = run("frontier", "budget", TINY, "--points", "4", "--plot", plot, "-f", "json")
    assert done.code == 0
    doc = json.loads(done.out)
    assert doc["vary"] == "budget" and len(doc["points"]) == 4 and doc["plot"] == str(plot)
    assert "<svg" in plot.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.svg"]
    done = run("frontier", "cap", INFEASIBLE, "--points", "3", "--format", "csv")
    assert done.code == 3 and "no point of the cap sweep has a strategy" in done.err
    done = run("frontier", "budget", TINY, "--market", "USA")
    assert done.code == 2 and "--market goes with frontier cap" in done.err


def test_diagnose(run: Callable[..., Run]) -> None:
    done = run("diagnose", TINY)
    assert done.code == 0
    assert "the instance is feasible" in done.out and done.err == ""
    done = run("diagnose", INFEASIBLE)
    assert done.code == 3
    assert "raise the budget from 25.0 to 30.0" in done.out
    assert "infeasible: 4 conflicting rules" in done.err
    doc = json.loads(run("diagnose", INFEASIBLE, "--format", "json").out)
    assert doc["report"] == "diagnosis" and doc["feasible"] is False
    assert "conditions.csv: c4" in {c["location"] for c in doc["conflicts"]}
    csv = run("diagnose", INFEASIBLE, "-f", "csv").out.splitlines()
    assert csv[0] == "location,rule,kind,fix,relaxed_value" and len(csv) == 5
    assert run("diagnose", INFEASIBLE, "-f", "markdown").out.startswith("# Diagnosis: ")


def test_validate(run: Callable[..., Run], tmp_path: Path) -> None:
    done = run("validate", TINY)
    assert done.code == 0 and done.err == ""
    assert done.out.startswith(f"{TINY}: a valid instance\nTiny hand-solvable negotiation\n")

    broken = tmp_path / "broken"
    shutil.copytree(TINY, broken)
    sectors = (broken / "sectors.csv").read_text(encoding="utf-8").splitlines()
    header = sectors[0].split(",")
    row = sectors[1].split(",")
    row[header.index("exports")] = "-5"
    row[header.index("elasticity")] = "abc"
    (broken / "sectors.csv").write_text("\n".join([sectors[0], ",".join(row), *sectors[2:]]))
    done = run("validate", broken)
    assert done.code == 2
    lines = done.out.splitlines()
    assert lines[0] == f"{broken}: invalid instance (2 problems):"
    assert any(line.startswith("sectors.csv, row 2, column 'exports': ") for line in lines)
    assert any(line.startswith("sectors.csv, row 2, column 'elasticity': ") for line in lines)

    done = run("validate", tmp_path / "nowhere")
    assert done.code == 2 and "no such folder" in done.out


def test_verify_is_passed_to_solve(
    run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = cli.solve

    def solve(instance: Any, **kwargs: Any) -> Result:
        seen.append(kwargs["verify"])
        return real(instance, **kwargs)

    monkeypatch.setattr(cli, "solve", solve)
    assert run("rank", TINY, "--top", "1", "--verify").code == 0
    assert run("explain", TINY, "--verify", "--top", "1").code == 0
    assert run(TINY, "--top", "1").code == 0
    assert seen == [True, True, False]
    done = run(TINY, "--frontier", "budget", "--verify")
    assert done.code == 2 and "--verify does not apply to --frontier" in done.err


# ------------------------------------------------------------------ the older flag forms


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ([TINY, "--top", "3"], ["rank", TINY, "--top", "3"]),
        ([TINY, "-f", "json", "-q"], ["-q", "rank", TINY, "-f", "json"]),
        ([INFEASIBLE, "--format", "markdown"], ["rank", INFEASIBLE, "--format", "markdown"]),
        ([TINY, "--explain"], ["explain", TINY]),
        ([TINY, "--explain", "2", "-f", "csv"], ["explain", TINY, "2", "-f", "csv"]),
        ([TINY, "--explain", "99"], ["explain", TINY, "--rank", "99"]),
        ([INFEASIBLE, "--explain", "--quiet"], ["explain", INFEASIBLE, "--quiet"]),
        (
            [TINY, "--frontier", "budget", "--points", "4", "-f", "json"],
            ["frontier", "budget", TINY, "--points", "4", "-f", "json"],
        ),
        (
            [TINY, "--frontier", "cap", "--market", "USA", "--points", "3"],
            ["frontier", "cap", TINY, "--market", "USA", "--points", "3"],
        ),
    ],
)
def test_old_flag_forms_print_what_the_subcommands_print(
    old: list[str | Path], new: list[str | Path], run: Callable[..., Run], steady: None
) -> None:
    before, after = run(*old), run(*new)
    assert (before.code, before.out) == (after.code, after.out)
    # the error of an explained rank beyond the list names the form used
    assert before.err == after.err.replace("explain 99", "--explain 99")


def test_the_old_forms_keep_their_misuse_messages(run: Callable[..., Run], tmp_path: Path) -> None:
    cases = [
        (["--plot", tmp_path / "x.png"], "--plot goes with --frontier, e.g. --frontier budget"),
        (["--points", "3"], "--points goes with --frontier"),
        (["--frontier", "budget", "--market", "USA"], "--market goes with --frontier cap"),
        (["--frontier", "cap", "--threads", "2"], "--threads does not apply to --frontier"),
    ]
    for args, message in cases:
        done = run(TINY, *args)
        assert done.code == 2 and message in done.err and done.out == "", args


# ------------------------------------------------------------------ finding the command


def test_the_command_is_the_first_argument_that_is_no_option_or_value() -> None:
    args = parse(["--top", "3", "-q", "explain", str(TINY)])
    assert (args.command, args.top, args.instance, args.rank) == ("explain", 3, str(TINY), 1)
    args = parse(["--format", "json", "rank"])
    assert (args.command, args.format, args.instance) == ("rank", "json", None)
    args = parse(["--min-diff", "2", "rank"])  # argparse's abbreviations count too
    assert (args.command, args.min_difference) == ("rank", 2)
    args = parse([str(TINY), "--top", "2"])  # no command: the older form
    assert args.legacy and args.command is None and args.instance == str(TINY)


def test_a_folder_named_like_a_command_is_written_after_dashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse(["rank"]).command == "rank"  # the command wins
    args = parse(["--", "rank"])
    assert args.legacy and args.instance == "rank"
    assert parse(["rank", "./rank"]).instance == "./rank"


def test_explain_rank_forms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    args = parse(["explain", "2"])  # a lone whole number that is no folder: the rank
    assert (args.instance, args.rank) == (None, 2)
    (tmp_path / "2").mkdir()
    assert (parse(["explain", "2"]).instance, parse(["explain", "2"]).rank) == ("2", 1)
    with pytest.raises(SystemExit) as stop:
        parse(["explain", str(TINY), "2", "--rank", "3"])
    assert stop.value.code == 2
    assert "give the rank once" in capsys.readouterr().err


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_of_every_command(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--help"] if command is None else [command, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "exit codes:" in text
    if command is None:
        for name in COMMANDS:
            assert f"\n  {name:<10}  " in text, name
    else:
        assert text.startswith(f"usage: {cli.PROG} {command} ")


# ------------------------------------------------------------------ advisor.files


def test_a_failed_write_leaves_no_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.md"

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(files.OutputError, match=r"^cannot write .*: No space left on device$"):
        files.write_atomically(target, "text")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()

    def broken(handle: Any) -> None:
        handle.write(b"half")
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        files.replace_atomically(target, broken)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(files.OutputError, match="does not exist"):
        files.check_writable(tmp_path / "missing" / "out.json")


def test_a_write_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")
    assert files.write_atomically(target, "new ünïcode\r\n") == target
    assert target.read_bytes() == "new ünïcode\r\n".encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_a_named_pipe_and_dev_null_are_written_in_place(tmp_path: Path) -> None:
    pipe = tmp_path / "report.pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    files.write_atomically(pipe, "through the pipe")
    reader.join(timeout=30)
    assert received == [b"through the pipe"]
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["report.pipe"]
    assert files.write_atomically(os.devnull, "nothing") == Path(os.devnull)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_save_figure_writes_atomically(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.plot([0, 1], [1, 0])
    try:
        files.save_figure(figure, tmp_path / "line.svg")
        with pytest.raises(ValueError):
            files.save_figure(figure, tmp_path / "line.unknown")
    finally:
        plt.close(figure)
    assert "<svg" in (tmp_path / "line.svg").read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["line.svg"]
