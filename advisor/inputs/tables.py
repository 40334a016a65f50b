"""Reading one CSV table of an instance folder against its column specification.

A :class:`TableSpec` declares a table's columns: which must be present, how each
cell is parsed, and the default for an optional blank cell. :func:`read_table`
reads the file with the csv module into a pandas frame of text (so nothing is guessed
and no row can shift columns), checks the
header against the spec (a missing column and an unknown column are both errors),
parses every cell, and records each problem with its spreadsheet row (header = 1).
It never raises for a user's mistake: problems go into the list it is given.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from advisor.errors import Problem
from advisor.inputs.cells import CellError

FREE_TEXT_COLUMNS = ("note", "source")
_REQUIRED = object()


@dataclass(frozen=True)
class Column:
    """One column: its name, its cell parser (None: free text) and its default.

    A column with no default is required: it must be in the header and every row
    must fill it. A column with a default may be left out or left blank.
    """

    name: str
    parse: Callable[[str], Any] | None = None
    default: Any = _REQUIRED

    @property
    def required(self) -> bool:
        """Whether the column must be present (it has no default)."""
        return self.default is _REQUIRED


@dataclass(frozen=True)
class TableSpec:
    """A table's file name, its key (id) column, and its columns."""

    file: str
    columns: tuple[Column, ...]
    key: str | None = None
    may_be_empty: bool = False
    all_columns: tuple[Column, ...] = field(init=False)

    def __post_init__(self) -> None:
        """Add the free-text columns every table may have."""
        extra = tuple(Column(n, None, "") for n in FREE_TEXT_COLUMNS)
        object.__setattr__(self, "all_columns", self.columns + extra)


@dataclass(frozen=True)
class Row:
    """A parsed row: its spreadsheet row number, its values, and whether all parsed."""

    number: int
    values: dict[str, Any]
    ok: bool


def _read_text(path: Path, spec: TableSpec, problems: list[Problem]) -> str | None:
    """The file's text, or None with the problem that stopped it."""
    if not path.is_file():
        problems.append(Problem(spec.file, None, None, f"file not found in {path.parent}"))
        return None
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.append(
            Problem(
                spec.file, None, None, "not UTF-8 text: save it as 'CSV UTF-8' in a spreadsheet"
            )
        )
    except OSError as exc:  # no permission, a folder named like the file, ...
        problems.append(Problem(spec.file, None, None, f"cannot read the file: {exc.strerror}"))
    return None


def _records(text: str, spec: TableSpec, problems: list[Problem]) -> list[list[str]] | None:
    """The CSV records, or None if one cannot be read or there is no header row."""
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), strict=True):
            records.append(record)
    except csv.Error as exc:
        problems.append(Problem(spec.file, len(records) + 1, None, f"cannot read the row: {exc}"))
        return None
    if not any(cell.strip() for record in records for cell in record):
        problems.append(Problem(spec.file, None, None, "the file is empty: expected a header row"))
        return None
    if not any(cell.strip() for cell in records[0]):
        problems.append(Problem(spec.file, 1, None, "the first row is blank: expected the header"))
        return None
    return records


def _header_names(header: list[str]) -> list[str]:
    """Column names, a blank one ``Unnamed: i`` and a repeated one ``exports.1``.

    As pandas names them.
    """
    names: list[str] = []
    for index, cell in enumerate(header):
        base = cell.strip() or f"Unnamed: {index}"
        name, copy = base, 0
        while name in names:
            copy += 1
            name = f"{base}.{copy}"
        names.append(name)
    return names


def _read_frame(path: Path, spec: TableSpec, problems: list[Problem]) -> pd.DataFrame | None:
    """Read the file's cells as text (the csv module, so no row can shift columns)."""
    text = _read_text(path, spec, problems)
    records = None if text is None else _records(text, spec, problems)
    if records is None:
        return None
    names = _header_names(records[0])
    width = len(names)
    body: list[list[str]] = []
    readable = True
    for number, record in enumerate(records[1:], start=2):
        filled = [i for i, cell in enumerate(record) if cell.strip()]
        if filled and filled[-1] >= width:
            problems.append(
                Problem(
                    spec.file,
                    number,
                    None,
                    f"expected {width} cells as in the header, found {filled[-1] + 1}",
                )
            )
            readable = False
        body.append((record + [""] * width)[:width])
    if not readable:
        return None
    return pd.DataFrame(body, columns=names, dtype=str)


def _check_header(
    frame: pd.DataFrame, spec: TableSpec, problems: list[Problem]
) -> dict[str, str] | None:
    """Map spec column names to the frame's columns; report missing and unknown ones."""
    known = {c.name for c in spec.all_columns}
    mapping: dict[str, str] = {}
    ok = True
    for raw in frame.columns:
        name = str(raw).strip().lower()
        blank = not name or name.startswith("unnamed:")
        if blank and (frame[raw].str.strip() == "").all():
            continue  # an empty spreadsheet column with no header
        if blank:
            problems.append(Problem(spec.file, 1, None, "a column has values but no header"))
            ok = False
        elif name in mapping or re.sub(r"\.\d+$", "", name) in mapping:
            name = re.sub(r"\.\d+$", "", name)
            problems.append(Problem(spec.file, 1, name, "the column appears twice"))
            ok = False
        elif name not in known:
            expected = ", ".join(c.name for c in spec.all_columns)
            problems.append(
                Problem(
                    spec.file, 1, str(raw).strip(), f"unknown column; expected one of: {expected}"
                )
            )
            ok = False
        else:
            mapping[name] = raw
    for column in spec.all_columns:
        if column.required and column.name not in mapping:
            problems.append(Problem(spec.file, 1, column.name, "required column is missing"))
            ok = False
    return mapping if ok else None


def _parse_row(number: int, cells: dict[str, str], spec: TableSpec, problems: list[Problem]) -> Row:
    values: dict[str, Any] = {}
    ok = True
    for column in spec.all_columns:
        text = cells.get(column.name, "").strip()
        if not text:
            if column.required:
                problems.append(Problem(spec.file, number, column.name, "a value is required"))
                ok = False
                values[column.name] = None
            else:
                values[column.name] = column.default
            continue
        if column.parse is None:
            values[column.name] = text
            continue
        try:
            values[column.name] = column.parse(text)
        except CellError as exc:
            problems.append(Problem(spec.file, number, column.name, str(exc)))
            values[column.name] = None
            ok = False
    return Row(number, values, ok)


def read_table(folder: Path, spec: TableSpec, problems: list[Problem]) -> list[Row] | None:
    """Read ``folder/spec.file``; return its parsed rows, or None if unreadable.

    Rows whose cells are all blank (Excel's trailing rows) are skipped; row numbers
    stay those a spreadsheet shows. Duplicate keys are reported here.
    """
    frame = _read_frame(folder / spec.file, spec, problems)
    if frame is None:
        return None
    mapping = _check_header(frame, spec, problems)
    if mapping is None:
        return None
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(frame.to_dict("records")):
        cells = {name: str(record[raw]) for name, raw in mapping.items()}
        if all(not str(v).strip() for v in record.values()):
            continue
        row = _parse_row(index + 2, cells, spec, problems)
        key = row.values.get(spec.key) if spec.key else None
        if key is not None:
            if key in seen:
                problems.append(
                    Problem(
                        spec.file,
                        row.number,
                        spec.key,
                        f"duplicate id '{key}' (first used in row {seen[key]})",
                    )
                )
                row = Row(row.number, row.values, False)
            else:
                seen[key] = row.number
        rows.append(row)
    if not rows and not spec.may_be_empty:
        problems.append(
            Problem(spec.file, None, None, "the table has no rows: expected at least one")
        )
    return rows
