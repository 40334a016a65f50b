"""Instances as Excel workbooks (issue 18): lossless conversion, located problems.

The round trip is checked on every shipped instance against the folder's own files:
every cell's text and instance.toml's text come back unchanged, and the instance
loaded from the workbook equals the one loaded from the folder.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
from pathlib import Path

import openpyxl
import pytest

from advisor.errors import InstanceError
from advisor.inputs.loader import load_instance
from advisor.inputs.workbook import (
    SPECS,
    folder_to_workbook,
    number_cell,
    number_text,
    workbook_to_folder,
)

INSTANCES = Path(__file__).resolve().parent.parent / "instances"
SHIPPED = sorted(p.name for p in INSTANCES.iterdir() if (p / "instance.toml").is_file())


def _records(path: Path) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows = [list(r) for r in rows]
    for r in rows:
        while r and not r[-1]:
            r.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def test_every_instance_is_shipped() -> None:
    assert {"tiny", "malaysia_us_2025", "infeasible_example"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_round_trip_is_lossless(name: str, tmp_path: Path) -> None:
    source = INSTANCES / name
    book = tmp_path / f"{name}.xlsx"
    folder_to_workbook(source, book)
    back = tmp_path / "back"
    workbook_to_folder(book, back)
    # the instance's own tables; other files (a README, robustness's uncertainty.csv)
    # are not part of the instance format and are not carried (instances/README.md)
    own = {spec.file for spec in SPECS.values()}
    tables = sorted(p.name for p in source.glob("*.csv") if p.name in own)
    assert sorted(p.name for p in back.glob("*.csv")) == tables
    for file in tables:
        assert _records(back / file) == _records(source / file), file
    toml = (source / "instance.toml").read_text(encoding="utf-8")
    assert (back / "instance.toml").read_text(encoding="utf-8") == toml
    original = load_instance(source)
    from_book = load_instance(book)
    assert from_book.path == str(book)
    assert dataclasses.replace(from_book, path=original.path) == original


def test_numbers_are_stored_as_numbers(tmp_path: Path) -> None:
    book = tmp_path / "tiny.xlsx"
    folder_to_workbook(INSTANCES / "tiny", book)
    sheet = openpyxl.load_workbook(book)["sectors"]
    # tiny's sectors.csv row 2: CHIPS,Semiconductors,8542,100,0%,100%,1,1,...
    assert sheet["A2"].value == "CHIPS"
    assert sheet["C2"].value == "8542"  # hs_codes is text
    assert sheet["D2"].value == 100 and sheet["D2"].data_type == "n"
    assert sheet["F2"].value == 1 and sheet["F2"].number_format == "0%"
    assert sheet["A1"].comment is not None  # every header cell explained


def test_conversion_is_deterministic(tmp_path: Path) -> None:
    folder_to_workbook(INSTANCES / "tiny", tmp_path / "a.xlsx")
    folder_to_workbook(INSTANCES / "tiny", tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


@pytest.mark.parametrize(
    ("text", "value", "fmt"),
    [("1,234.5", 1234.5, "#,##0.0"), ("25%", 0.25, "0%"), ("0.35", 0.35, "0.00"),
     ("-300", -300.0, "0"), ("12.5%", 0.125, "0.0%")],
)
def test_number_cell_shows_the_same_text(text: str, value: float, fmt: str) -> None:
    assert number_cell(text) == (value, fmt)
    assert number_text(value, fmt) == text


def test_text_that_is_no_exact_number_stays_text() -> None:
    assert number_cell("007") is None
    assert number_cell("1e9") is None
    assert number_cell("12345678901234567891") is None  # beyond a float's precision


def test_a_number_cell_keeps_its_precision_whatever_its_format() -> None:
    # shown as 13% by Excel, but the value is 0.125: the loader must read 0.125
    assert number_text(0.125, "0%") == "12.5%"
    assert number_text(0.1 + 0.2, "0.00") == repr(0.1 + 0.2)


def _broken_tiny(tmp_path: Path) -> Path:
    book = tmp_path / "tiny.xlsx"
    folder_to_workbook(INSTANCES / "tiny", book)
    workbook = openpyxl.load_workbook(book)
    workbook["sectors"]["G3"] = -1.2  # GLOVES' elasticity
    workbook["requests"]["B2"] = "CHIP"  # a sector that does not exist
    workbook.create_sheet("scratch")
    workbook.save(book)
    return book


def test_problems_are_located_by_sheet_row_column_and_cell(tmp_path: Path) -> None:
    book = _broken_tiny(tmp_path)
    with pytest.raises(InstanceError) as caught:
        load_instance(book)
    found = {(p.file, p.row, p.column): p.message for p in caught.value.problems}
    assert found[("tiny.xlsx", None, None)].startswith("unknown sheet 'scratch'")
    elasticity = found[("tiny.xlsx, sheet 'sectors'", 3, "elasticity")]
    assert elasticity.endswith("(cell G3)") and "-1.2" in elasticity
    assert found[("tiny.xlsx, sheet 'requests'", 2, "sector")].endswith("(cell B2)")
    assert "advisor-workbook" not in str(caught.value)  # no temporary path shown


def test_missing_sheet_and_unreadable_file(tmp_path: Path) -> None:
    book = tmp_path / "tiny.xlsx"
    folder_to_workbook(INSTANCES / "tiny", book)
    workbook = openpyxl.load_workbook(book)
    del workbook["offers"]
    workbook.save(book)
    with pytest.raises(InstanceError) as caught:
        load_instance(book)
    messages = [str(p) for p in caught.value.problems]
    assert "tiny.xlsx: the sheet 'offers' is missing" in messages
    assert not any("file not found" in m for m in messages)
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(InstanceError) as caught:
        load_instance(junk)
    assert "cannot read the workbook" in caught.value.problems[0].message


def test_workbook_to_existing_folder_writes_nothing(tmp_path: Path) -> None:
    book = tmp_path / "tiny.xlsx"
    folder_to_workbook(INSTANCES / "tiny", book)
    target = tmp_path / "taken"
    shutil.copytree(INSTANCES / "tiny", target)
    before = sorted(p.name for p in target.iterdir())
    with pytest.raises(FileExistsError):
        workbook_to_folder(book, target)
    assert sorted(p.name for p in target.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
