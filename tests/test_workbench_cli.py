"""The workbench commands (issue 18): new, convert, validate on workbooks.

Each runs through advisor.cli.main in-process; outcomes are checked against the
files written (and against the template's own files), not against printed text.
"""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.inputs.loader import load_instance

INSTANCES = Path(__file__).resolve().parent.parent / "instances"


def _records(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@pytest.mark.parametrize("template", ["tiny", "malaysia_us_2025"])
def test_new_writes_a_valid_marked_instance(template: str, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    assert main(["new", str(folder), "--from", template, "--home", "VNM",
                 "--counterpart", "US", "-q"]) == 0
    instance = load_instance(folder)
    original = load_instance(INSTANCES / template)
    assert (instance.home, instance.counterpart) == ("VNM", "US")
    assert instance.market_share_caps.keys() == {
        "US" if m == original.counterpart else m for m in original.market_share_caps
    }
    assert [s.sector for s in instance.sectors] == [s.sector for s in original.sectors]
    assert len(instance.offers) == len(original.offers)
    for table in folder.glob("*.csv"):
        rows = _records(table)
        note = [c.lower() for c in rows[0]].index("note")
        assert all(r[note].startswith("PLACEHOLDER") for r in rows[1:] if any(r)), table.name
    settings = tomllib.loads((folder / "instance.toml").read_text(encoding="utf-8"))
    assert settings["name"].startswith("PLACEHOLDER")
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for file in ("markets.csv", "sectors.csv", "requests.csv", "offers.csv"):
        for column in _records(INSTANCES / "tiny" / file)[0]:
            assert f"`{column}`" in readme, (file, column)


def test_new_runs_at_once_and_refuses_an_existing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    assert main(["new", str(folder), "-q"]) == 0
    before = sorted(p.name for p in folder.iterdir())
    assert main(["rank", str(folder), "--top", "1", "-q", "--format", "json",
                 "--output", str(tmp_path / "r.json")]) == 0
    assert main(["new", str(folder), "-q"]) == 2
    assert sorted(p.name for p in folder.iterdir()) == before
    assert main(["new", str(tmp_path / "x"), "--home", "bad code", "-q"]) == 2
    assert not (tmp_path / "x").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_new_workbook_and_convert_both_ways(tmp_path: Path) -> None:
    book = tmp_path / "mine.xlsx"
    assert main(["new", str(book), "-q"]) == 0
    assert main(["validate", str(book)]) == 0
    back = tmp_path / "back"
    assert main(["convert", str(book), str(back), "-q"]) == 0
    again = tmp_path / "again.xlsx"
    assert main(["convert", str(back), str(again), "-q"]) == 0
    assert again.read_bytes() == book.read_bytes()
    assert main(["convert", str(back), str(tmp_path / "folder2"), "-q"]) == 2


def test_validate_a_broken_workbook_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    book = tmp_path / "tiny.xlsx"
    assert main(["convert", str(INSTANCES / "tiny"), str(book), "-q"]) == 0
    workbook = openpyxl.load_workbook(book)
    workbook["offers"]["D3"] = "lots"  # IP's counterpart_value
    workbook.save(book)
    capsys.readouterr()
    assert main(["validate", str(book)]) == 2
    out = capsys.readouterr().out
    assert "tiny.xlsx, sheet 'offers', row 3, column 'counterpart_value'" in out
    assert "(cell D3)" in out and "Traceback" not in out
