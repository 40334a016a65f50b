"""The command line under stress (issue 12): interrupts, output it cannot write, time limits.

- An interrupt (SIGINT, SIGTERM) at any moment, the imports included: either the run
  had already finished (exit 0, the same report as an uninterrupted run) or it stops
  with exit 130 (143 for SIGTERM), one line on standard error, no report file and no
  temporary file. Never a traceback, never another exit code. Subprocess runs at
  several delays, and in-process runs that interrupt each stage.
- Output problems: a full standard output, a folder name that is not UTF-8, an
  ``--output`` that names a folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from advisor import cli, files
from advisor.cli.output import printable

ROOT = Path(__file__).resolve().parent.parent
SOLVE = ROOT / "solve.py"
MALAYSIA = ROOT / "instances" / "malaysia_us_2025"
TINY = ROOT / "instances" / "tiny"
INTERRUPTED = "solve.py: interrupted; nothing written"
TERMINATED = "solve.py: terminated; nothing written"

in_main_thread = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(),
    reason="signal handlers can only be set from the main thread",
)


# ------------------------------------------------------------------ helpers


def _without_timings(doc: dict[str, Any]) -> dict[str, Any]:
    doc["solver"].pop("time_s", None)
    return doc


def _command(*args: str | Path, script: Path = SOLVE) -> list[str]:
    return [sys.executable, str(script), *map(str, args)]


def _signalled(command: list[str], delay: float, number: int) -> subprocess.CompletedProcess:
    """Run ``command``, send it signal ``number`` ``delay`` seconds into its script.

    The clock starts when the script imports its first module of the advisor (seen
    with ``python -X importtime``), not at the process's start: Python's own startup,
    which no script can guard, takes from 0.05 s to seconds on a loaded machine.
    """
    python, *rest = command
    proc = subprocess.Popen(
        [python, "-X", "importtime", *rest],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.split("|")[-1].strip() == "advisor":
            break
    time.sleep(delay)
    proc.send_signal(number)
    out, err = proc.communicate(timeout=120)
    err = "".join(line for line in err.splitlines(True) if not line.startswith("import time:"))
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def assert_finished_or_stopped(
    proc: subprocess.CompletedProcess,
    folder: Path,
    reference: dict[str, Any],
    message: str = INTERRUPTED,
    stopped: int = 130,
) -> None:
    """Exit 0 with the whole report, or ``stopped`` with one line and no file at all."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, stopped), (proc.returncode, proc.stderr)
    if proc.returncode == 0:
        assert sorted(p.name for p in folder.iterdir()) == ["out.json"]
        doc = json.loads((folder / "out.json").read_text(encoding="utf-8"))
        assert _without_timings(doc) == reference
    else:
        assert proc.stderr.splitlines() == [message], proc.stderr
        assert list(folder.iterdir()) == []  # no report, no temporary file
    assert proc.stdout == ""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-line instance: above 200 decisions, so the offer-package search runs."""
    from advisor import generate

    folder = tmp_path_factory.mktemp("generated") / "lines300"
    generate.main(["--lines", "300", "--seed", "1", "--output", str(folder)])
    return folder


def _reference(instance: Path, folder: Path) -> dict[str, Any]:
    out = folder / "reference.json"
    command = _command(instance, "--format", "json", "--output", out, "--quiet")
    subprocess.run(command, check=True, cwd=ROOT, timeout=300)
    return _without_timings(json.loads(out.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def malaysia_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _reference(MALAYSIA, tmp_path_factory.mktemp("reference"))


# ------------------------------------------------------------------ interrupts, subprocesses

# after the interpreter's own startup: in the imports (about 1 s), the solve, the report
DELAYS = [0.0, 0.4, 1.1, 2.0]


@pytest.mark.parametrize("delay", DELAYS)
def test_ctrl_c_on_malaysia_stops_the_run_or_comes_too_late(
    delay: float, malaysia_reference: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    command = _command(MALAYSIA, "--format", "json", "--output", out, "--quiet")
    proc = _signalled(command, delay, signal.SIGINT)
    assert_finished_or_stopped(proc, tmp_path, malaysia_reference)


@pytest.fixture(scope="module")
def generated_reference(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An uninterrupted run of the 300-line instance (exit 0: the reference)."""
    return _reference(generated, tmp_path_factory.mktemp("reference300"))


@pytest.mark.parametrize("delay", [0.3])
def test_ctrl_c_on_a_tariff_line_instance_stops_the_run(
    delay: float, generated: Path, generated_reference: dict, tmp_path: Path
) -> None:
    """The package search: exit 130 with nothing written, or (on a loaded machine the
    signal can come after the end) the whole, correct report."""
    out = tmp_path / "out.json"
    command = _command(generated, "--format", "json", "--output", out, "--quiet")
    proc = _signalled(command, delay, signal.SIGINT)
    assert_finished_or_stopped(proc, tmp_path, generated_reference)


def test_an_interrupted_tariff_line_run_was_really_interrupted(generated_reference: dict) -> None:
    """An uninterrupted run of the same instance finishes with exit 0 (the reference)."""
    assert generated_reference["strategies"]
    assert generated_reference["status"] in ("optimal", "exhausted")


@pytest.mark.parametrize("delay", [0.1, 1.3])
def test_sigterm_stops_the_run_with_143(
    delay: float, malaysia_reference: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    command = _command(MALAYSIA, "--format", "json", "--output", out, "--quiet")
    proc = _signalled(command, delay, signal.SIGTERM)
    assert_finished_or_stopped(proc, tmp_path, malaysia_reference, TERMINATED, 143)


@pytest.mark.parametrize("delay", [0.05, 1.2])
def test_ctrl_c_on_the_console_script(
    delay: float, malaysia_reference: dict[str, Any], tmp_path: Path
) -> None:
    script = shutil.which("advisor", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("the advisor console script is not installed")
    out = tmp_path / "out.json"
    command = _command(
        MALAYSIA, "--format", "json", "--output", out, "--quiet", script=Path(script)
    )
    proc = _signalled(command, delay, signal.SIGINT)
    message = f"{Path(script).name}: interrupted; nothing written"
    assert_finished_or_stopped(proc, tmp_path, malaysia_reference, message)


# ------------------------------------------------------------------ interrupts, in process


def _raise_interrupt(*args: Any, **kwargs: Any) -> Any:
    raise KeyboardInterrupt


@pytest.fixture
def handlers() -> Iterator[None]:
    """The test process's signal handlers are the same after main as before."""
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    assert {s: signal.getsignal(s) for s in before} == before


@pytest.mark.parametrize("stage", ["parse", "load_instance", "solve", "render", "write"])
def test_an_interrupt_at_each_stage_writes_nothing(
    stage: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    handlers: None,
) -> None:
    out = tmp_path / "out.json"
    if stage == "write":
        monkeypatch.setattr(files.os, "replace", _raise_interrupt)
    else:
        monkeypatch.setattr(cli, stage, _raise_interrupt)
    code = cli.main([str(TINY), "--format", "json", "--output", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 130
    assert err == f"{cli.PROG}: interrupted; nothing written\n"
    assert list(tmp_path.iterdir()) == []


@in_main_thread
def test_a_signal_after_the_report_is_written_comes_too_late(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    handlers: None,
) -> None:
    def late(*args: Any) -> None:
        signal.raise_signal(signal.SIGINT)
        time.sleep(0.01)

    monkeypatch.setattr(cli, "_time_limit_note", late)  # runs after the report's write
    out = tmp_path / "out.json"
    assert cli.main([str(TINY), "--format", "json", "--output", str(out), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert json.loads(out.read_text(encoding="utf-8"))["strategies"]


def test_an_interrupt_while_printing_the_report_says_it_is_incomplete(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Broken:
        def write(self, text: str) -> int:
            raise KeyboardInterrupt

        def flush(self) -> None:
            pass

    monkeypatch.setattr(sys, "stdout", Broken())
    assert cli.main([str(TINY), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert err == f"{cli.PROG}: interrupted; the report on standard output is incomplete\n"


def _solve_then(number: int, then: Callable[[], None] | None = None) -> Callable[..., Any]:
    """A solve that receives signal ``number`` and swallows what it raises."""
    real = cli.solve

    def solve(instance: Any, **kwargs: Any) -> Any:
        result = real(instance, **kwargs)
        try:
            signal.raise_signal(number)
            time.sleep(0.01)  # Python runs the handler between instructions
        except KeyboardInterrupt:
            pass  # swallowed, as highspy once did
        if then is not None:
            then()
        return result

    return solve


@in_main_thread
def test_a_swallowed_interrupt_still_stops_the_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    handlers: None,
) -> None:
    monkeypatch.setattr(cli, "solve", _solve_then(signal.SIGINT))
    out = tmp_path / "out.json"
    assert cli.main([str(TINY), "--format", "json", "--output", str(out)]) == 130
    assert capsys.readouterr().err == f"{cli.PROG}: interrupted; nothing written\n"
    assert list(tmp_path.iterdir()) == []


@in_main_thread
def test_an_error_after_an_interrupt_is_the_interrupt(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    handlers: None,
) -> None:
    def tee_fails() -> None:  # Pyomo's output capture turns the interrupt into this
        raise RuntimeError("KeyboardInterrupt: (4: <pyomo.common.tee.TeeStream>)")

    monkeypatch.setattr(cli, "solve", _solve_then(signal.SIGINT, tee_fails))
    assert cli.main([str(TINY), "--output", str(tmp_path / "out.txt")]) == 130
    assert capsys.readouterr().err == f"{cli.PROG}: interrupted; nothing written\n"
    assert list(tmp_path.iterdir()) == []


@in_main_thread
def test_sigterm_in_process_exits_143(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    handlers: None,
) -> None:
    monkeypatch.setattr(cli, "solve", _solve_then(signal.SIGTERM))
    assert cli.main([str(TINY), "--output", str(tmp_path / "out.txt")]) == 143
    assert capsys.readouterr().err == f"{cli.PROG}: terminated; nothing written\n"
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_during_a_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path,
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old report")

    def interrupted(handle: Any) -> None:
        handle.write(b"half a rep")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.replace_atomically(target, interrupted)
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    assert target.read_text() == "old report"


def test_the_package_imports_nothing_heavy_until_used() -> None:
    code = (
        "import sys, advisor, advisor.cli; "
        "heavy = [m for m in ('pandas', 'pyomo', 'highspy', 'scipy') if m in sys.modules]; "
        "print(heavy); from advisor import solve, Instance; import advisor as a; "
        "print(callable(solve), a.Instance is Instance, "
        "all(getattr(a, n) is not None for n in a.__all__))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert proc.stdout.splitlines() == ["[]", "True True True"]


# ------------------------------------------------------------------ output problems


def test_a_full_standard_output_is_one_line_exit_2() -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    for fmt in ("table", "json"):
        with open("/dev/full", "w") as full:
            proc = subprocess.run(
                _command(TINY, "--format", fmt),
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
                timeout=120,
            )
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.splitlines() == [
            "solve.py: error: cannot write the report to standard output: No space left on device"
        ]


@pytest.fixture
def latin1_folder(tmp_path: Path) -> bytes:
    """instances/tiny copied into a folder named ``café`` in Latin-1 (not UTF-8)."""
    if sys.getfilesystemencoding().lower() not in ("utf-8", "utf8"):
        pytest.skip("file names here are not UTF-8")
    folder = os.fsencode(tmp_path) + b"/caf\xe9"
    try:
        os.mkdir(folder)
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    for name in os.listdir(TINY):
        shutil.copyfile(TINY / name, folder + b"/" + os.fsencode(name))
    return folder


def test_a_folder_name_that_is_not_utf8_gives_valid_json(
    latin1_folder: bytes, tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    command = [sys.executable, os.fsencode(SOLVE), latin1_folder]
    proc = subprocess.run(
        [*command, b"--format", b"json", b"--output", os.fsencode(out)],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_bytes().decode("utf-8"))  # strict UTF-8, valid JSON
    assert doc["path"].endswith("/caf\\xe9")  # the byte, as the four characters \xe9
    to_stdout = subprocess.run([*command, b"--format", b"json"], capture_output=True, cwd=ROOT)
    assert to_stdout.returncode == 0
    assert json.loads(to_stdout.stdout.decode("utf-8"))["path"] == doc["path"]
    for fmt in (b"table", b"csv", b"markdown"):
        proc = subprocess.run([*command, b"--format", fmt], capture_output=True, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        proc.stdout.decode("utf-8")  # valid UTF-8 whatever the format


def test_printable_escapes_undecodable_bytes() -> None:
    name = os.fsdecode(b"caf\xe9")
    assert printable(f"path {name}") == "path caf\\xe9"
    document = json.dumps({"path": name}, ensure_ascii=False)
    escaped = printable(document, "json")
    assert json.loads(escaped.encode("utf-8").decode("utf-8")) == {"path": "caf\\xe9"}
    assert printable("plain ünïcode") == "plain ünïcode"
    assert printable("half \ud800 pair") == "half \\ud800 pair"


@pytest.mark.parametrize("tail", ["sub/", "sub/.", ".", "sub/.."])
def test_an_output_that_names_a_folder_is_refused(
    tail: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = f"{tmp_path}/{tail}"
    assert cli.main([str(TINY), "--output", output, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{cli.PROG}: error: cannot write {output}: it names a folder")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(files.OutputError, match="names a folder"):
        files.write_atomically(output, "text")
    assert list(tmp_path.iterdir()) == []


def test_a_plot_that_names_a_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plot = f"{tmp_path}/frontier.png/"
    assert cli.main(["frontier", "budget", str(TINY), "--plot", plot]) == 2
    assert "it names a folder" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ one time limit per run


@pytest.mark.parametrize(
    "args",
    [
        ["rank", str(TINY)],
        ["explain", str(TINY)],
        ["frontier", "budget", str(TINY)],
        ["diagnose", str(TINY)],
        [str(TINY), "--frontier", "budget"],
        [str(TINY), "--explain"],
    ],
)
def test_every_command_takes_a_time_limit(args: list[str]) -> None:
    from advisor.cli.parser import parse, select_command

    parsed = parse([*args, "--time-limit", "7"])
    select_command(parsed)  # the older --frontier form no longer refuses it
    assert parsed.time_limit == 7


def _recording(real: Callable[..., Any], seen: list[float | None]) -> Callable[..., Any]:
    """``real`` with a ``time_limit`` keyword whose value is recorded, not passed on."""

    def call(*args: Any, time_limit: float | None = None, **kwargs: Any) -> Any:
        seen.append(time_limit)
        return real(*args, **kwargs)

    return call


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["explain", str(TINY)], "explain"),
        (["frontier", "budget", str(TINY), "--points", "3"], "frontier"),
        ([str(TINY), "--frontier", "budget", "--points", "3"], "frontier"),
        (["diagnose", str(TINY)], "diagnose"),
    ],
)
def test_the_analysis_gets_what_is_left_of_the_one_time_limit(
    args: list[str], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[float | None] = []
    ranking: list[float | None] = []
    monkeypatch.setattr(cli, name, _recording(getattr(cli, name), seen))
    monkeypatch.setattr(cli, "solve", _recording(cli.solve, ranking))  # passes None on
    assert cli.main([*args, "--time-limit", "30", "--quiet"]) == 0
    assert len(seen) == 1 and seen[0] is not None and 0 < seen[0] < 30
    for limit in ranking:  # explain: the ranking first, within the same limit
        assert limit is not None and seen[0] <= limit <= 30
    assert len(ranking) == (name == "explain")
    seen.clear()
    assert cli.main([*args, "--quiet"]) == 0
    if name == "explain":  # no --time-limit: the instance's ranking.time_limit (60 s)
        assert len(seen) == 1 and seen[0] is not None and 0 < seen[0] <= 60
    else:  # no limit: none passed on
        assert seen == [None]


def test_a_signal_while_the_console_script_loads_stops_the_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """advisor.cli.early records a Ctrl-C that arrives before main watches; main then
    stops with its one line and 130, writing nothing (no traceback from the imports)."""
    import signal as signals

    from advisor.cli import early, main

    out = tmp_path / "out.json"
    early.SIGNALS.append(signals.SIGINT)
    try:
        code = main([str(MALAYSIA), "--format", "json", "--output", str(out), "--quiet"])
    finally:
        early.SIGNALS.clear()
    assert code == 130
    assert "interrupted; nothing written" in capsys.readouterr().err
    assert not out.exists()
    # a notebook importing the package keeps its own Ctrl-C
    assert signals.getsignal(signals.SIGINT) is not early._record
