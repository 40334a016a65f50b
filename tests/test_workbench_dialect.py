"""CSV dialect detection (issue 18): ';'-separated files with decimal commas.

Each test writes tiny's tables in a regional spreadsheet's dialect and checks the
loaded instance against tiny's own numbers (read from its comma files), or checks
that an ambiguous file is refused with a located problem.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from advisor.errors import InstanceError
from advisor.inputs.dialect import COMMA, EITHER, POINT, decimal_mark, to_point
from advisor.inputs.loader import load_instance

TINY = Path(__file__).resolve().parent.parent / "instances" / "tiny"


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _write(path: Path, rows: list[list[str]], delimiter: str) -> None:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "inst"
    shutil.copytree(TINY, folder)
    return folder


@pytest.mark.parametrize(
    ("cell", "mark"),
    [
        ("2,5", COMMA), ("0,125", COMMA), ("1.234,5", COMMA), ("1.234.567", COMMA),
        ("12,5%", COMMA), ("-1 234,5", COMMA),
        ("0.35", POINT), ("1,234.5", POINT), ("1,234,567", POINT), ("12.5%", POINT),
        ("1,234", EITHER), ("1.234", EITHER), ("100", None), ("abc", None), ("", None),
    ],
)
def test_decimal_mark_of_a_cell(cell: str, mark: str | None) -> None:
    assert decimal_mark(cell) == mark


def test_to_point() -> None:
    assert to_point("1.234,5") == "1234.5"
    assert to_point("-1 234,25") == "-1234.25"
    assert float(to_point("0,125")) == 0.125


def test_semicolon_file_with_decimal_commas_reads_as_the_comma_file(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    rows = _rows(TINY / "sectors.csv")
    exports = rows[0].index("exports")
    elasticity = rows[0].index("elasticity")
    rows[1][exports] = "1.000,5"      # 1000.5 with a thousands point and a decimal comma
    rows[2][elasticity] = "1,25"      # 1.25
    rows[3][rows[0].index("current_tariff")] = "2,5%"  # 0.025
    _write(folder / "sectors.csv", rows, ";")
    markets = _rows(TINY / "markets.csv")
    markets[1][2] = "1.400,5"  # the US row holds at least the sectors' exports
    _write(folder / "markets.csv", markets, ";")
    instance = load_instance(folder)
    chips, gloves, furn = instance.sectors
    assert chips.exports == 1000.5
    assert gloves.elasticity == 1.25
    assert furn.current_tariff == pytest.approx(0.025)
    assert instance.markets[0].exports == 1400.5


def test_semicolon_file_with_points_is_read_as_is(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    rows = _rows(TINY / "sectors.csv")
    rows[2][rows[0].index("elasticity")] = "1.5"
    _write(folder / "sectors.csv", rows, ";")
    assert load_instance(folder).sectors[1].elasticity == 1.5


def test_members_cell_quoted_in_a_semicolon_file(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _write(folder / "conditions.csv", _rows(TINY / "conditions.csv"), ";")
    original = load_instance(TINY)
    assert load_instance(folder).conditions == original.conditions


def test_mixed_decimal_marks_are_located(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    rows = _rows(TINY / "sectors.csv")
    rows[1][rows[0].index("elasticity")] = "1,5"
    rows[3][rows[0].index("elasticity")] = "2.5"
    _write(folder / "sectors.csv", rows, ";")
    with pytest.raises(InstanceError) as caught:
        load_instance(folder)
    mixed = [p for p in caught.value.problems if "mixes decimal marks" in p.message]
    assert len(mixed) == 1
    assert (mixed[0].file, mixed[0].row, mixed[0].column) == ("sectors.csv", 4, "elasticity")
    assert "';'-separated" in mixed[0].message and "row 2, column 'elasticity'" in mixed[0].message


def test_only_ambiguous_cells_are_refused_each_located(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    rows = _rows(TINY / "offers.csv")
    rows[1][rows[0].index("counterpart_value")] = "1,250"  # 1.25 or 1250?
    _write(folder / "offers.csv", rows, ";")
    with pytest.raises(InstanceError) as caught:
        load_instance(folder)
    [problem] = [p for p in caught.value.problems if "could be a decimal" in p.message]
    assert (problem.file, problem.row, problem.column) == ("offers.csv", 2, "counterpart_value")


def test_header_splitting_at_two_separators_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    text = (TINY / "markets.csv").read_text(encoding="utf-8")
    head, rest = text.split("\n", 1)
    # two known names at ';' (market, name) and two at ',' (note, source)
    header = "market;name;exports,note,source\n"
    (folder / "markets.csv").write_text(header + rest, encoding="utf-8")
    with pytest.raises(InstanceError) as caught:
        load_instance(folder)
    first = caught.value.problems[0]
    assert (first.file, first.row) == ("markets.csv", 1)
    assert "cannot tell which separator" in first.message
    del head


def test_tab_separated_file_is_read(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _write(folder / "offers.csv", _rows(TINY / "offers.csv"), "\t")
    assert load_instance(folder).offers == load_instance(TINY).offers
