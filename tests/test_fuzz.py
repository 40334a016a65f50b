"""A property-based fuzzer (Hypothesis) over instance files, magnitudes and random instances.

Strategies:

- **mutated files**: a copy of instances/tiny with one to three mutations: a cell
  replaced by text from a palette (empty, spaces, ``abc``, ``1e308``, ``nan``, ``150%``,
  ``1,5``, ``٣٠٠``, a NUL, a 200,000-character string, another row's id, the cell
  above, ...), rows deleted, duplicated or added, header columns renamed, deleted,
  duplicated or added, the separator changed, a file re-encoded (UTF-16, UTF-32,
  Latin-1 with an accent), truncated, emptied, deleted or replaced by a folder, raw
  bytes inserted; ``instance.toml`` values replaced (strings for numbers, negatives,
  huge, NaN, lists, tables), keys deleted or added, scenarios added, the TOML broken;
- **magnitudes**: every money figure of tiny times 10^k, k from -9 to 18 (and each
  money column by its own power of ten);
- **random valid instances**: ``randinst.random_instance(seed)`` in memory and written
  to files, and ``advisor.generate`` tariff-line instances on tiny.

Properties:

- ``load_instance`` raises nothing but ``InstanceError``;
- the CLI (in process, and ``python solve.py`` for a few) exits 0, 2, 3, 4 or 6 with
  no traceback, 2 exactly when the folder does not load, 6 only when the instance
  carries a numerical-range warning;
- every listed strategy of a valid instance passes the independent checker, unless
  the solve raised ``NumericalTroubleError``, allowed only with a range warning;
- the ranking is the same with ``threads=1`` and ``threads=2``; on random instances it
  is the enumeration's; multiplying every money figure by 10^k changes no ranking.

Profiles (tests/conftest.py): ``ci`` (the default: derandomized, few examples) and
``long`` (``HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py``: 50 times as many
examples, random, plus the tests marked slow here).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import tempfile
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from randinst import OBJECTIVES, enumerate_instance, random_instance

import advisor
from advisor.checker import rule_violations
from advisor.cli import main as cli_main
from advisor.economics import compute_coefficients
from advisor.generate import generate, write_instance
from advisor.instance import Instance
from advisor.scaling import range_warnings
from advisor.solving.trouble import NumericalTroubleError

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "instances" / "tiny"
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
slow = pytest.mark.skipif(PROFILE == "ci", reason="slow: HYPOTHESIS_PROFILE=long runs it")

EXIT_CODES = {0, 2, 3, 4, 6}
NUMERICAL_TROUBLE = 6

CSV_FILES = (
    "markets.csv",
    "sectors.csv",
    "requests.csv",
    "offers.csv",
    "offer_effects.csv",
    "conditions.csv",
)
FILES = (*CSV_FILES, "instance.toml")
MONEY_COLUMNS = {
    "markets.csv": ("exports",),
    "sectors.csv": ("exports",),
    "requests.csv": ("counterpart_cost",),
    "offers.csv": ("counterpart_value", "domestic_cost"),
    "offer_effects.csv": ("export_change",),
}


def fuzz_settings(share: float, **kwargs: object):
    """The profile's settings with ``share`` times its max_examples."""
    base = settings()
    return settings(max_examples=max(1, round(base.max_examples * share)), **kwargs)


# --------------------------------------------------------------------- file models

Files = dict[str, "bytes | str | None"]  # name -> bytes; None: deleted; "dir": a folder


def tiny_files() -> dict[str, bytes]:
    return {name: (TINY / name).read_bytes() for name in FILES}


def parse_csv(data: bytes) -> list[list[str]]:
    return [list(row) for row in csv.reader(io.StringIO(data.decode("utf-8"), newline=""))]


def quote(cell: str, sep: str) -> str:
    if any(ch in cell for ch in (sep, '"', "\n", "\r")) or cell != cell.strip():
        return '"' + cell.replace('"', '""') + '"'
    return cell


def format_csv(rows: list[list[str]], sep: str = ",", newline: str = "\n") -> str:
    return "".join(sep.join(quote(c, sep) for c in row) + newline for row in rows)


def write_folder(files: Files, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if content is None:
            continue
        if content == "dir":
            (folder / name).mkdir()
        else:
            (folder / name).write_bytes(content)
    return folder


# ---------------------------------------------------------------------- the palette

LONG_TEXT = "x" * 200_000
PALETTE = [
    "",
    "   ",
    "abc",
    "1e308",
    "-1e18",
    "1e18",
    "1e-9",
    "1e-320",
    "1e400",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "10",
    "0",
    "-0",
    "-1",
    "0.5",
    "150%",
    "-5%",
    "%",
    "1,5",
    '"1,234.5"',
    "1_000",
    "0x10",
    "+5",
    " 5 ",
    "5e",
    "٣٠٠",
    "３００",
    "∞",
    "true",
    LONG_TEXT,
    'a "quoted", cell',
    "a,b",
    "x\x00y",
    "\x00",
    "line\nbreak",
    "é",
    "CHIPS; IP",
    ";",
    "; ;",
    "requires",
    "at_most",
    "USA",
    "CHIPS",
    "IP",
    "CHIPS_zero",
]
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-9, 18).map(lambda k: f"{7 if k % 2 else 3}e{k}"),
    st.integers(-(10**20), 10**20).map(str),
)
cell_text = st.one_of(
    st.sampled_from(PALETTE),
    numbers,
    numbers.map(lambda s: s + "%"),
    st.text(max_size=12),
)
index = st.integers(0, 50)  # taken modulo the table's size when applied
column_names = st.one_of(
    st.sampled_from(
        [
            "note",
            "source",
            "NOTE",
            "Exports",
            "exports ",
            " exports",
            "export",
            "market",
            "sector",
            "request",
            "offer",
            "tariff",
            "members",
            "count",
            "unknown",
            "",
            "é",
            "\ufeffmarket",
        ]
    ),
    st.text(max_size=8),
)

csv_file = st.sampled_from(CSV_FILES)
any_file = st.sampled_from(FILES)
csv_mutation = st.one_of(
    st.tuples(st.just("cell"), csv_file, index, index, cell_text),
    st.tuples(st.just("id_of_other_row"), csv_file, index, index, csv_file, index),
    st.tuples(st.just("copy_cell_above"), csv_file, index, index),
    st.tuples(st.just("delete_row"), csv_file, index),
    st.tuples(st.just("duplicate_row"), csv_file, index),
    st.tuples(st.just("add_row"), csv_file, st.lists(cell_text, max_size=12)),
    st.tuples(st.just("rename_column"), csv_file, index, column_names),
    st.tuples(st.just("delete_column"), csv_file, index),
    st.tuples(st.just("delete_header_cell"), csv_file, index),
    st.tuples(st.just("duplicate_column"), csv_file, index),
    st.tuples(st.just("add_column"), csv_file, column_names, cell_text),
    st.tuples(st.just("separator"), csv_file, st.sampled_from([";", "\t", "|"])),
    st.tuples(st.just("line_endings"), csv_file, st.sampled_from(["\r\n", "\r"])),
)
file_mutation = st.one_of(
    st.tuples(
        st.just("encode"),
        any_file,
        st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "utf-8-sig"]),
    ),
    st.tuples(st.just("truncate"), any_file, st.floats(0, 1)),
    st.tuples(st.just("empty"), any_file),
    st.tuples(st.just("delete_file"), any_file),
    st.tuples(st.just("directory"), any_file),
    st.tuples(
        st.just("insert_bytes"),
        any_file,
        st.floats(0, 1),
        st.sampled_from([b"\xff\xfe", b"\x80", b"\x00", b'"', b"\r", b"\n\n", b"\xef\xbb\xbf"]),
    ),
)

# ------------------------------------------------------------------ TOML mutations

TOML_KEYS = [
    ("name",),
    ("description",),
    ("home",),
    ("counterpart",),
    ("currency",),
    ("unit",),
    ("sources",),
    ("model",),
    ("model", "offer_cost_weight"),
    ("model", "reciprocity_ratio"),
    ("model", "domestic_budget"),
    ("model", "counterpart_cost_weight"),
    ("model", "objective"),
    ("market_share_caps",),
    ("market_share_caps", "USA"),
    ("market_share_caps", "CHN"),
    ("market_share_caps", "XXX"),
    ("market_share_floors", "CHN"),
    ("market_share_floors", "USA"),
    ("ranking",),
    ("ranking", "top"),
    ("ranking", "min_difference"),
    ("ranking", "mip_gap"),
    ("ranking", "time_limit"),
    ("ranking", "distinct_on"),
    ("scenarios",),
]
toml_scalar = st.one_of(
    st.sampled_from(PALETTE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e18, 1e18, 1e-9, -1.0, 0.0, 5e-324, 0.375, 1.5, 10.0]),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, -1, 1, 2, 10, 10**6, 2**63 - 1]),
    st.booleans(),
    st.sampled_from(["expected", "worst_case", "regret", "offers", "sectors", "all"]),
)
plausible = st.one_of(
    st.floats(0, 2),
    st.integers(0, 12),
    st.sampled_from(["37.5%", "50%", "0%", "100%", "0.2", "USA", "CHN", "MYS", "x"]),
)
toml_value = st.one_of(
    plausible,
    plausible,
    toml_scalar,
    st.lists(toml_scalar, max_size=3),
    st.dictionaries(st.sampled_from(["USA", "CHN", "CHIPS", "x"]), toml_scalar, max_size=2),
)
scenario = st.fixed_dictionaries(
    {
        "name": st.one_of(st.sampled_from(["a", "b", "base", ""]), toml_scalar),
        "probability": st.one_of(st.sampled_from([0.5, 1.0, "50%", 0.25]), plausible, toml_scalar),
    },
    optional={
        "threat_tariff": st.dictionaries(
            st.sampled_from(["CHIPS", "GLOVES", "FURN", "USA", "x"]),
            st.one_of(plausible, toml_scalar),
            max_size=3,
        ),
        "current_tariff": st.dictionaries(
            st.sampled_from(["CHIPS", "FURN", "x"]), toml_scalar, max_size=2
        ),
        "elasticity": st.dictionaries(st.sampled_from(["CHIPS", "FURN"]), toml_scalar, max_size=2),
        "description": st.text(max_size=5),
        "unknown": toml_scalar,
    },
)
toml_mutation = st.one_of(
    st.tuples(st.just("toml_set"), st.sampled_from(TOML_KEYS), toml_value),
    st.tuples(st.just("toml_delete"), st.sampled_from(TOML_KEYS)),
    st.tuples(
        st.just("toml_unknown"),
        st.sampled_from([(), ("model",), ("ranking",), ("market_share_caps",)]),
        st.sampled_from(["reciprocty_ratio", "foo", "Name", "top"]),
        toml_scalar,
    ),
    st.tuples(st.just("toml_scenarios"), st.lists(scenario, min_size=1, max_size=3)),
    st.tuples(
        st.just("toml_break"),
        st.sampled_from(["x = ", "= =", "[model]", "name = 'a'", "[[ranking]]", '"', "\x00"]),
        st.floats(0, 1),
    ),
)
mutation = st.one_of(csv_mutation, csv_mutation, file_mutation, toml_mutation)


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def toml_literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{toml_string(str(k))} = {toml_literal(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(value)


def dump_toml(data: dict) -> str:
    """A TOML text for ``data``: scalars, then tables, then arrays of tables."""
    lines = [f"{toml_string(k)} = {toml_literal(v)}" for k, v in data.items() if not _is_table(v)]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{toml_string(key)}]"]
            lines += [f"{toml_string(k)} = {toml_literal(v)}" for k, v in value.items()]
        elif _is_table(value):
            for item in value:
                lines += ["", f"[[{toml_string(key)}]]"]
                lines += [f"{toml_string(k)} = {toml_literal(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def _is_table(value: object) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
    )


# ------------------------------------------------------------------ applying them


def _rows(files: Files, name: str) -> list[list[str]] | None:
    data = files.get(name)
    if not isinstance(data, bytes):
        return None
    try:
        return parse_csv(data)
    except (UnicodeDecodeError, csv.Error):
        return None  # already mangled: leave it


def _put(files: Files, name: str, rows: list[list[str]]) -> None:
    files[name] = format_csv(rows).encode("utf-8")


def _pick(seq: list, i: int):
    return seq[i % len(seq)] if seq else None


def apply_csv(files: Files, op: tuple) -> None:
    kind, name, *args = op
    rows = _rows(files, name)
    if rows is None or not rows:
        return
    header, body = rows[0], rows[1:]
    width = max(len(r) for r in rows) or 1
    if kind == "cell":
        r, c, text = args
        row = _pick(rows, r)
        if row:
            row[c % len(row)] = text
    elif kind == "id_of_other_row":
        r, c, other, r2 = args
        source = _rows(files, other) or [[""]]
        row = _pick(rows, r)
        value = _pick(source[1:] or source, r2)
        if row and value:
            row[c % len(row)] = value[0]
    elif kind == "copy_cell_above":
        r, c = args
        i = r % len(rows)
        if i >= 1:
            row, above = rows[i], rows[max(1, i - 1) if i > 1 else 0]
            col = c % width
            if col < len(row) and col < len(above):
                row[col] = above[col]
    elif kind == "delete_row":
        if body:
            del body[args[0] % len(body)]
        rows = [header, *body]
    elif kind == "duplicate_row":
        if body:
            i = args[0] % len(body)
            body.insert(i, list(body[i]))
        rows = [header, *body]
    elif kind == "add_row":
        rows.append(list(args[0]))
    elif kind == "rename_column":
        header[args[0] % len(header)] = args[1]
    elif kind in ("delete_column", "duplicate_column"):
        col = args[0] % width
        for row in rows:
            if col < len(row):
                if kind == "delete_column":
                    del row[col]
                else:
                    row.insert(col, row[col])
    elif kind == "delete_header_cell":
        del header[args[0] % len(header)]
    elif kind == "add_column":
        header.append(args[0])
        for row in body:
            row.append(args[1])
    elif kind == "separator":
        files[name] = format_csv(rows, sep=args[0]).encode("utf-8")
        return
    elif kind == "line_endings":
        files[name] = format_csv(rows, newline=args[0]).encode("utf-8")
        return
    _put(files, name, rows)


def apply_file(files: Files, op: tuple) -> None:
    kind, name, *args = op
    data = files.get(name)
    if kind == "delete_file":
        files[name] = None
    elif kind == "directory":
        files[name] = "dir"
    elif not isinstance(data, bytes):
        return
    elif kind == "encode":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return
        if args[0] in ("latin-1", "cp1252"):
            text = text.replace("name", "nämé", 1) if name != "instance.toml" else text
            text = text.replace("Semiconductors", "Semicondúctors").replace("Tiny", "Tíny")
        files[name] = text.encode(args[0], "replace")  # latin-1 cannot hold every char
    elif kind == "truncate":
        files[name] = data[: int(len(data) * args[0])]
    elif kind == "empty":
        files[name] = b""
    elif kind == "insert_bytes":
        at = int(len(data) * args[0])
        files[name] = data[:at] + args[1] + data[at:]


def apply_toml(files: Files, op: tuple) -> None:
    data = files.get("instance.toml")
    if not isinstance(data, bytes):
        return
    if op[0] == "toml_break":
        text, at = data.decode("utf-8", "replace"), int(len(data) * op[2])
        files["instance.toml"] = (text[:at] + op[1] + "\n" + text[at:]).encode("utf-8")
        return
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return
    if op[0] == "toml_set":
        *parents, last = op[1]
        table = doc
        for key in parents:
            if not isinstance(table.get(key), dict):
                table[key] = {}
            table = table[key]
        table[last] = op[2]
    elif op[0] == "toml_delete":
        *parents, last = op[1]
        table = doc
        for key in parents:
            table = table.get(key) if isinstance(table.get(key), dict) else {}
        table.pop(last, None)
    elif op[0] == "toml_unknown":
        table = doc
        for key in op[1]:
            if not isinstance(table.get(key), dict):
                table[key] = {}
            table = table[key]
        table[op[2]] = op[3]
    elif op[0] == "toml_scenarios":
        doc["scenarios"] = op[1]
    try:
        text = dump_toml(doc)
    except TypeError:
        return
    files["instance.toml"] = text.encode("utf-8", "surrogatepass")


def mutate(ops: list[tuple]) -> Files:
    files: Files = dict(tiny_files())
    for op in ops:
        if op[0].startswith("toml_"):
            apply_toml(files, op)
        elif op[0] in ("encode", "truncate", "empty", "delete_file", "directory", "insert_bytes"):
            apply_file(files, op)
        else:
            apply_csv(files, op)
    return files


# ---------------------------------------------------------------------- properties


def load_or_none(folder: Path) -> Instance | None:
    """The instance, or None if the folder is invalid; any other exception fails."""
    try:
        instance = advisor.load_instance(folder)
    except advisor.InstanceError as error:
        assert error.problems, "an InstanceError without a located problem"
        str(error)  # the message renders
        event("invalid folder")
        return None
    event("valid folder")
    return instance


def has_range_warning(instance: Instance) -> bool:
    return bool(range_warnings(instance, compute_coefficients(instance)))


def solve_checked(instance: Instance, **kwargs) -> list[tuple[str, ...]] | None:
    """The decisions of each listed strategy, each kept by the independent checker.

    None when the solve raised NumericalTroubleError, which only a numerical-range
    warning allows.
    """
    kwargs.setdefault("top", 3)
    kwargs.setdefault("with_measures", False)
    try:
        result = advisor.solve(instance, **kwargs)
    except NumericalTroubleError as trouble:
        assert has_range_warning(instance), f"numerical trouble without a range warning: {trouble}"
        return None
    for s in result.strategies:
        assert rule_violations(instance, s.decisions) == [], (s.rank, s.decisions)
    if result.status == "infeasible":
        assert not result.strategies
    return [tuple(s.decisions) for s in result.strategies]


def same_under_threads(instance: Instance, **kwargs) -> list[tuple[str, ...]] | None:
    """solve_checked with threads=1 and with threads=2: the same ranking."""
    one = solve_checked(instance, threads=1, **kwargs)
    two = solve_checked(instance, threads=2, **kwargs)
    assert one == two, "the ranking depends on the thread count"
    return one


def run_cli(*argv: str | Path) -> tuple[int, str, str]:
    """``advisor.cli.main(argv)`` in process: its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli_main([str(a) for a in argv])
        except SystemExit as stop:  # argparse's usage errors
            code = stop.code if isinstance(stop.code, int) else 2
    stderr = err.getvalue()
    assert "Traceback" not in stderr, stderr
    assert code in EXIT_CODES, (code, stderr)
    return code, out.getvalue(), stderr


def check_cli(folder: Path, instance: Instance | None, *options: str) -> int:
    code, _, stderr = run_cli("rank", folder, "--top", "3", "--verify", *options)
    if instance is None:
        assert code == 2, (code, stderr)
    else:
        assert code != 2, stderr  # a folder that loads is no bad input
        if code == NUMERICAL_TROUBLE:
            assert has_range_warning(instance), stderr
    return code


@contextlib.contextmanager
def folder_of(files: Files):
    with tempfile.TemporaryDirectory(prefix="fuzz") as tmp:
        yield write_folder(files, Path(tmp) / "inst")


# --------------------------------------------------------------- (a) mutated files


@fuzz_settings(3)
@given(ops=st.lists(mutation, min_size=1, max_size=3))
@example(ops=[("cell", "sectors.csv", 1, 6, "1e308")])
@example(ops=[("cell", "offers.csv", 2, 3, "x\x00y")])
@example(ops=[("encode", "requests.csv", "utf-16")])
# an offer worth 7e7 beside costs of 9: every strategy broke reciprocity, no range
# warning (HiGHS's integrality tolerance; fixed in session.py)
@example(ops=[("cell", "offers.csv", 8, 3, "7e9%")])
@example(ops=[("cell", "markets.csv", 0, 0, ""), ("encode", "markets.csv", "latin-1")])
@example(ops=[("toml_set", ("model", "domestic_budget"), float("nan"))])
def test_mutated_files_load_or_raise_instance_error_and_the_cli_exits_cleanly(ops):
    with folder_of(mutate(ops)) as folder:
        instance = load_or_none(folder)
        if instance is not None:
            solve_checked(instance, time_limit=20)
        check_cli(folder, instance, "--time-limit", "20")


@fuzz_settings(1, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(toml_mutation, min_size=1, max_size=4))
# a ratio or weight of 1e308 overflowed the model's figures: exit 6 with no range
# warning to explain it (fixed in scaling.py: non-finite figures are named)
@example(ops=[("toml_set", ("model", "reciprocity_ratio"), "1e308")])
@example(ops=[("toml_set", ("model", "offer_cost_weight"), "1e308")])
def test_mutated_toml_loads_or_raises_instance_error(ops):
    with folder_of(mutate(ops)) as folder:
        instance = load_or_none(folder)
        code, _, _ = run_cli("validate", folder)
        assert code == (0 if instance is not None else 2)
        if instance is not None:
            solve_checked(instance, time_limit=20)


@slow
@fuzz_settings(0.2)
@given(ops=st.lists(mutation, min_size=1, max_size=2))
def test_solve_py_subprocess_exits_cleanly(ops, solve_py):
    with folder_of(mutate(ops)) as folder:
        loads = load_or_none(folder) is not None
        run = solve_py("rank", folder, "--top", "2", "--time-limit", "30")
        assert "Traceback" not in run.stderr, run.stderr
        assert run.returncode in EXIT_CODES, run.stderr
        assert (run.returncode == 2) == (not loads), run.stderr


def test_solve_py_subprocess_on_a_broken_and_a_scaled_folder(solve_py):
    """Two runs as a user makes them (the fuzz test above runs only in the long profile)."""
    broken = mutate([("cell", "sectors.csv", 1, 3, "1e400"), ("encode", "offers.csv", "utf-16")])
    with folder_of(broken) as folder:
        run = solve_py("rank", folder)
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    with folder_of(scaled_files({name: 18 for name in MONEY_KEYS})) as folder:
        run = solve_py("rank", folder, "--verify")
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr


# ------------------------------------------------------------------ (b) magnitudes

MONEY_KEYS = [f"{f}:{c}" for f, cols in MONEY_COLUMNS.items() for c in cols] + ["budget"]


def scaled_files(powers: dict[str, int]) -> Files:
    """Tiny with each money column ``file:column`` (and ``budget``) times 10^power."""
    files: Files = dict(tiny_files())
    for name, columns in MONEY_COLUMNS.items():
        rows = parse_csv(files[name])
        for column in columns:
            k = powers.get(f"{name}:{column}", 0)
            j = rows[0].index(column)
            for row in rows[1:]:
                if row[j].strip():
                    row[j] = repr(float(row[j]) * 10.0**k)
        _put(files, name, rows)
    doc = tomllib.loads(files["instance.toml"].decode("utf-8"))
    doc["model"]["domestic_budget"] = float(doc["model"]["domestic_budget"]) * 10.0 ** powers.get(
        "budget", 0
    )
    files["instance.toml"] = dump_toml(doc).encode("utf-8")
    return files


@pytest.fixture(scope="module")
def tiny_ranking() -> list[tuple[str, ...]]:
    ranking = solve_checked(advisor.load_instance(TINY), top=5, threads=1)
    assert ranking and len(ranking) == 5
    return ranking


@fuzz_settings(0.3)
@given(k=st.integers(-9, 18))
@example(k=-9)
@example(k=18)
@example(k=13)
def test_every_money_figure_times_ten_to_the_k_ranks_the_same(k, tiny_ranking):
    with folder_of(scaled_files(dict.fromkeys(MONEY_KEYS, k))) as folder:
        instance = advisor.load_instance(folder)
        assert not has_range_warning(instance)  # one factor for all: no new range
        assert same_under_threads(instance, top=5) == tiny_ranking
        code, out, stderr = run_cli("rank", folder, "--top", "5", "--verify", "--format", "json")
        assert code == 0, stderr
        listed = [tuple(s["decisions"]) for s in json.loads(out)["strategies"]]
        assert listed == tiny_ranking


@fuzz_settings(0.75)
@given(powers=st.fixed_dictionaries({key: st.integers(-9, 18) for key in MONEY_KEYS}))
@example(powers={**dict.fromkeys(MONEY_KEYS, 0), "offers.csv:counterpart_value": 18})
@example(powers={**dict.fromkeys(MONEY_KEYS, 0), "offers.csv:domestic_cost": -9})
def test_money_columns_of_different_magnitudes(powers):
    # mostly valid: the counterpart's row at least as large as its sectors
    sectors = powers["sectors.csv:exports"]
    if powers["markets.csv:exports"] < sectors and sectors % 3:
        powers = {**powers, "markets.csv:exports": sectors}
    with folder_of(scaled_files(powers)) as folder:
        instance = load_or_none(folder)
        if instance is not None:
            same_under_threads(instance, top=3)
        check_cli(folder, instance)


# ---------------------------------------------------------- (c) random valid instances


@fuzz_settings(1)
@given(
    seed=st.integers(0, 10**6),
    objective=st.sampled_from(OBJECTIVES),
    top=st.integers(1, 6),
    min_difference=st.integers(1, 3),
    distinct_on=st.sampled_from(["all", "offers", "sectors"]),
)
# HiGHS 1.16's presolve called a worse strategy optimal (seed 5) and stopped with
# "Solve error" (seed 122, exit 6 without a range warning): fixed in session.py
@example(seed=5, objective="regret", top=3, min_difference=1, distinct_on="sectors")
@example(seed=122, objective="worst_case", top=4, min_difference=1, distinct_on="sectors")
def test_random_instances_rank_as_the_enumeration(
    seed, objective, top, min_difference, distinct_on
):
    instance = random_instance(seed, OBJECTIVES)
    ranking = same_under_threads(
        instance,
        top=top,
        objective=objective,
        min_difference=min_difference,
        distinct_on=distinct_on,
    )
    assert ranking is not None  # no numerical trouble on these figures
    expected = enumerate_instance(instance).ranking(objective, top, min_difference, distinct_on)
    assert [frozenset(d) for d in ranking] == [e for e, _ in expected]


def percent(value: float) -> str:
    return f"{value * 100!r}%"


def instance_files(inst: Instance) -> Files:
    """The files of an in-memory instance (tariffs and shares written as percentages)."""

    def table(header: list[str], rows: list[list[object]]) -> bytes:
        return format_csv([header, *[[str(c) for c in r] for r in rows]]).encode("utf-8")

    files: Files = {
        "markets.csv": table(
            ["market", "name", "exports"],
            [[m.market, m.name, repr(m.exports)] for m in inst.markets],
        ),
        "sectors.csv": table(
            [
                "sector",
                "name",
                "exports",
                "current_tariff",
                "threat_tariff",
                "elasticity",
                "sensitivity",
                "value_weight",
            ],
            [
                [
                    s.sector,
                    s.name,
                    repr(s.exports),
                    percent(s.current_tariff),
                    percent(s.threat_tariff),
                    repr(s.elasticity),
                    repr(s.sensitivity),
                    repr(s.value_weight),
                ]
                for s in inst.sectors
            ],
        ),
        "requests.csv": table(
            ["request", "sector", "tier", "tariff", "acceptance", "counterpart_cost"],
            [
                [
                    r.request,
                    r.sector,
                    "tier",
                    percent(r.tariff),
                    repr(r.acceptance),
                    "" if r.counterpart_cost is None else repr(r.counterpart_cost),
                ]
                for r in inst.requests
            ],
        ),
        "offers.csv": table(
            ["offer", "name", "counterpart_value", "domestic_cost"],
            [
                [o.offer, o.name, repr(o.counterpart_value), repr(o.domestic_cost)]
                for o in inst.offers
            ],
        ),
        "offer_effects.csv": table(
            ["offer", "market", "export_change", "value_weight"],
            [
                [
                    e.offer,
                    e.market,
                    repr(e.export_change),
                    "" if e.value_weight is None else repr(e.value_weight),
                ]
                for e in inst.offer_effects
            ],
        ),
        "conditions.csv": table(
            ["condition", "kind", "members", "count"],
            [
                [c.condition, c.kind, "; ".join(c.members), "" if c.count is None else c.count]
                for c in inst.conditions
            ],
        ),
    }
    doc: dict = {
        "name": inst.name,
        "home": inst.home,
        "counterpart": inst.counterpart,
        "currency": inst.currency,
        "unit": inst.unit,
        "model": {
            "offer_cost_weight": inst.offer_cost_weight,
            "reciprocity_ratio": inst.reciprocity_ratio,
            "counterpart_cost_weight": inst.counterpart_cost_weight,
            "objective": inst.objective,
            "offer_effects_in_objective": inst.offer_effects_in_objective,
            "reciprocity": inst.reciprocity,
            "shares": inst.shares,
        },
    }
    if inst.domestic_budget is not None:
        doc["model"]["domestic_budget"] = inst.domestic_budget
    for key in ("market_share_caps", "market_share_floors"):
        if getattr(inst, key):
            doc[key] = {m: percent(v) for m, v in getattr(inst, key).items()}
    doc["scenarios"] = []
    for w in inst.scenarios:
        item: dict = {"name": w.name, "probability": w.probability}
        for key in ("threat_tariff", "current_tariff"):
            if getattr(w, key):
                item[key] = {s: percent(v) for s, v in getattr(w, key).items()}
        if w.elasticity:
            item["elasticity"] = dict(w.elasticity)
        doc["scenarios"].append(item)
    files["instance.toml"] = dump_toml(doc).encode("utf-8")
    if inst.linkages:
        files["linkages.csv"] = table(
            ["offer", "effect", "target", "value", "to"],
            [[k.offer, k.effect, k.target, repr(k.value), k.to] for k in inst.linkages],
        )
    return files


@fuzz_settings(0.5)
@given(seed=st.integers(0, 10**6))
def test_random_instances_written_to_files_load_and_rank_the_same(seed):
    inst = random_instance(seed, OBJECTIVES)
    # randinst may put a floor above the cap of one market (seed 1096): the loader
    # rightly rejects that in a file
    caps, floors = inst.market_share_caps, inst.market_share_floors
    assume(all(floors[m] <= caps[m] for m in floors if m in caps))
    with folder_of(instance_files(inst)) as folder:
        loaded = advisor.load_instance(folder)
        ranking = same_under_threads(loaded, top=4)
        assert ranking is not None
        # the files hold the numbers to an ulp; random instances keep off knife edges
        assert ranking == solve_checked(inst, top=4, threads=1)
        assert check_cli(folder, loaded) in (0, 3)


def generated(base: Instance, lines: int, seed: int, folder: Path) -> Path:
    """``advisor.generate``'s folder of ``lines`` lines of ``base``."""
    write_instance(generate(base, lines, seed), folder)
    return folder


@fuzz_settings(0.3)
@given(lines=st.integers(3, 12), seed=st.integers(0, 10**6))
@example(lines=8, seed=146)
def test_tariff_line_instances_from_tiny(lines, seed):
    with tempfile.TemporaryDirectory(prefix="fuzz") as tmp:
        folder = generated(advisor.load_instance(TINY), lines, seed, Path(tmp) / "lines")
        instance = advisor.load_instance(folder)
        same_under_threads(instance, top=3)
        check_cli(folder, instance)


def test_generate_writes_a_folder_that_loads_for_tariffs_above_100_percent(tmp_path):
    base = advisor.load_instance(TINY)
    requests = list(base.requests)
    requests[1] = replace(requests[1], tariff=1.5, tier="cap 150%")  # CHIPS_cap25 at 150%
    base = replace(base, requests=tuple(requests))
    write_instance(generate(base, 4, 0), tmp_path / "lines")
    advisor.load_instance(tmp_path / "lines")


def test_generate_on_tiny_writes_a_folder_that_loads(tmp_path):
    write_instance(generate(advisor.load_instance(TINY), 8, 146), tmp_path / "lines")
    advisor.load_instance(tmp_path / "lines")


def test_a_presolve_error_is_solved_again_without_presolve(monkeypatch):
    """Above PRESOLVE_MIN_DECISIONS a HiGHS error status retries without presolve.

    Seed 122 with presolve makes HiGHS 1.16 stop with "Solve error" on its 11th solve;
    the threshold at 0 puts this small instance on the large models' path.
    """
    from advisor.solving import session

    monkeypatch.setattr(session, "PRESOLVE_MIN_DECISIONS", 0)
    instance = random_instance(122, OBJECTIVES)
    ranking = solve_checked(instance, top=4, objective="worst_case", distinct_on="sectors")
    expected = enumerate_instance(instance).ranking("worst_case", 4, 1, "sectors")
    assert [frozenset(d) for d in ranking] == [e for e, _ in expected]
