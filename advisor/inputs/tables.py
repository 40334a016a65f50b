"""Reading one CSV table of an instance folder against its column specification.

A :class:`TableSpec` declares a table's columns: which must be present, how each
cell is parsed, and the default for an optional blank cell. :func:`read_table`
reads the file with the csv module (cells as text, so nothing is guessed and no row
can shift columns; a ``;``- or tab-separated file with decimal commas is read when
its dialect is unambiguous: :mod:`advisor.inputs.dialect`), checks the header
against the spec (a missing column and an unknown column are both errors), parses
every cell, and records each problem with
its spreadsheet row (header = 1). It never raises for a user's mistake: problems go
into the list it is given.

Everything still checkable is checked in one pass: a problem in the header (an
unknown, missing or repeated column) does not stop the cells of the other columns
from being parsed, and a row that cannot be read (too many cells, a stray quote)
does not stop the rows around it. What such a row could not say is recorded in the
:class:`Table` (``ids_complete``), so that checks across files do not call a
reference dangling when the row it may point to could not be read.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.errors import Problem
from advisor.inputs.cells import CellError
from advisor.inputs.dialect import detect_delimiter, normalise_decimals, numeric_columns

FREE_TEXT_COLUMNS = ("note", "source")
_REQUIRED = object()

MAX_FILE_BYTES = 50_000_000
"""The largest table (or ``instance.toml``) read: 50 MB.

The largest instance the advisor is meant for has 50,000 tariff lines (``python -m
advisor.generate --lines 50000``: 9.2 MB in its largest table, the whole folder read
in about 5 s); a national tariff schedule at HS-10 has about 20,000 lines. 50 MB is
five times the largest table, and even 45 MB of bad rows is read and reported in
under 20 s; a larger file is an export of something else (a whole trade database),
which the loader should not chew on for minutes.
"""
_FIELD_LIMIT = csv.field_size_limit()


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
    """A parsed row: its spreadsheet row number, its values, and whether all parsed.

    ``ok`` rows become objects of the instance. ``readable`` is False for a row whose
    cells cannot be told apart (more cells than the header): its values then hold
    its id at most. ``duplicate`` marks a row repeating an earlier row's id;
    ``failed`` names the columns whose cell was filled but did not parse.
    """

    number: int
    values: dict[str, Any]
    ok: bool
    readable: bool = True
    duplicate: bool = False
    failed: frozenset[str] = frozenset()


@dataclass
class Table:
    """A table's rows, and whether every row's id is known.

    ``ids_complete`` is False when the file could not be read, its key column is
    missing, or a row's id could not be read: a reference to an id not in
    :attr:`ids` may then point to that row, so checks across files skip it rather
    than report a false "not a sector" (the problem that hid the id is reported).
    """

    spec: TableSpec
    rows: list[Row] = field(default_factory=list)
    ids_complete: bool = False

    @property
    def ids(self) -> set[str]:
        """The ids read (of every row whose key cell parsed, ok or not)."""
        key = self.spec.key
        return {r.values[key] for r in self.rows if key and r.values.get(key) is not None}


# ----------------------------------------------------------------------- the file


def file_problem(path: Path, file: str) -> str | None:
    """Why ``path`` cannot be read as a data file, or None if it is a readable file.

    Says what is there instead: nothing, a folder, a device or pipe (never opened:
    reading a pipe would wait forever), or a file above :data:`MAX_FILE_BYTES`.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return f"file not found in {path.parent}"
    except OSError as exc:  # no permission to look into the folder, a loop, ...
        return f"cannot read the file: {exc.strerror or exc}"
    if stat.S_ISDIR(info.st_mode):
        return f"is a folder, expected a file named {file}"
    if not stat.S_ISREG(info.st_mode):
        return f"is not a regular file (a device, pipe or socket), expected a file named {file}"
    if info.st_size > MAX_FILE_BYTES:
        return (
            f"the file is {info.st_size / 1e6:,.0f} MB; the limit is "
            f"{MAX_FILE_BYTES / 1e6:,.0f} MB (five times the largest table of a 50,000-line "
            "instance): is it the right file?"
        )
    if not os.access(path, os.R_OK):
        return "cannot read the file: Permission denied"
    return None


_UNDECODABLE = re.compile("[\udc80-\udcff]")


def encoding_problem(text: str) -> str | None:
    """Why ``text`` (read as UTF-8 with surrogate escapes) is not UTF-8 text; or None.

    In words a spreadsheet user can act on: "Unicode text" (UTF-16 or UTF-32, with or
    without its byte-order mark, so full of NUL bytes) and other encodings differ.
    """
    save = "save it as 'CSV UTF-8' (or UTF-8 text) in a spreadsheet or editor"
    boms = (
        ("\udcff\udcfe\x00\x00", "UTF-32"),
        ("\x00\x00\udcfe\udcff", "UTF-32"),
        ("\udcff\udcfe", "UTF-16"),
        ("\udcfe\udcff", "UTF-16"),
    )
    for bom, name in boms:
        if text.startswith(bom):
            return f"not UTF-8 text: the file is saved as {name} ('Unicode text'); {save}"
    if "\x00" in text:
        return (
            "not UTF-8 text: the file holds NUL bytes (UTF-16 text without its mark, "
            f"or not a text file); {save}"
        )
    if _UNDECODABLE.search(text):
        return f"not UTF-8 text: {save}"
    return None


def read_text(path: Path, file: str, problems: list[Problem]) -> str | None:
    """The text of ``path`` (a UTF-8 byte-order mark dropped), or None with the problem."""
    reason = file_problem(path, file)
    if reason is None:
        try:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
        except OSError as exc:  # no permission, removed meanwhile, an I/O error, ...
            reason = f"cannot read the file: {exc.strerror or exc}"
        else:
            reason = encoding_problem(text)
            if reason is None:
                return text.removeprefix("\ufeff")
    problems.append(Problem(file, None, None, reason))
    return None


# ----------------------------------------------------------------------- records


def _csv_message(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return (
            f"a cell is longer than {_FIELD_LIMIT:,} characters (128 KiB): ids, numbers "
            "and notes are short; a quote may be left open, or a whole file pasted in a cell"
        )
    if "unexpected end of data" in text:
        return 'the file ends inside a quoted cell: a quote (") is opened and never closed'
    if "expected after" in text:
        return (
            'a quote (") in the middle of a cell: quote the whole cell, and double a quote '
            'inside it ("a ""quoted"" word")'
        )
    return f"cannot read the row: {text}"


def _records(
    text: str, file: str, problems: list[Problem], delimiter: str = ","
) -> list[list[str] | None]:
    """The CSV records; a record that cannot be read is None (its problem recorded).

    The csv module resumes at the next line after an error, so the rows after a bad
    one are still read; the spreadsheet row numbers count records, as before.
    """
    records: list[list[str] | None] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return records
        except csv.Error as exc:
            problems.append(Problem(file, len(records) + 1, None, _csv_message(exc)))
            record = None
        records.append(record)


@dataclass
class _Header:
    """The header read against the spec.

    ``index`` maps a spec column to its position; ``blocked`` names the spec columns
    no cell can be read from (missing, or repeated so that which copy is meant is
    unknown): a row's value there is None, with the problem reported once, in row 1.
    """

    index: dict[str, int]
    blocked: set[str]
    width: int


def _check_header(
    header: list[str], body: list[list[str] | None], spec: TableSpec, problems: list[Problem]
) -> _Header:
    """Map spec column names to positions; report unknown, blank, repeated, missing ones."""
    known = {c.name for c in spec.all_columns}
    index: dict[str, int] = {}
    blocked: set[str] = set()
    seen: set[str] = set()
    for position, cell in enumerate(header):
        base = cell.strip().lower()
        if not base:
            if any(r is not None and position < len(r) and r[position].strip() for r in body):
                problems.append(Problem(spec.file, 1, None, "a column has values but no header"))
            continue  # an empty spreadsheet column with no header
        if base in seen:
            if base in known and base not in blocked:
                problems.append(Problem(spec.file, 1, base, "the column appears twice"))
                blocked.add(base)
                index.pop(base, None)
            continue
        seen.add(base)
        if base not in known:
            expected = ", ".join(c.name for c in spec.all_columns)
            problems.append(
                Problem(
                    spec.file, 1, header[position].strip(),
                    f"unknown column; expected one of: {expected}",
                )
            )
            continue
        index[base] = position
    for column in spec.all_columns:
        if column.required and column.name not in index and column.name not in blocked:
            problems.append(Problem(spec.file, 1, column.name, "required column is missing"))
            blocked.add(column.name)
    return _Header(index, blocked, len(header))


# -------------------------------------------------------------------------- rows


def _parse_row(number: int, record: list[str], spec: TableSpec, header: _Header,
               problems: list[Problem]) -> Row:
    values: dict[str, Any] = {}
    failed: set[str] = set()
    ok = True
    for column in spec.all_columns:
        if column.name in header.blocked:
            values[column.name] = None
            ok = False
            continue
        position = header.index.get(column.name)
        text = record[position].strip() if position is not None else ""
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
            failed.add(column.name)
            ok = False
    return Row(number, values, ok, failed=frozenset(failed))


def _ragged_row(number: int, record: list[str], spec: TableSpec, header: _Header) -> Row:
    """A row with more cells than the header: its id, if its key cell reads as one.

    Its other cells are not parsed (any of them may be shifted); its id is kept only
    so that references to it are not called dangling.
    """
    values: dict[str, Any] = {}
    position = header.index.get(spec.key) if spec.key else None
    column = next((c for c in spec.columns if c.name == spec.key), None)
    if position is not None and column is not None and column.parse is not None:
        try:
            values[column.name] = column.parse(record[position])
        except CellError:
            values[column.name] = None
    return Row(number, values, ok=False, readable=False)


def _rows(
    records: list[list[str] | None], spec: TableSpec, header: _Header, problems: list[Problem]
) -> tuple[list[Row], bool]:
    """The parsed rows, and whether every row's id could be read."""
    rows: list[Row] = []
    complete = spec.key is None or spec.key not in header.blocked
    seen: dict[str, int] = {}
    for number, record in enumerate(records, start=2):
        if record is None:  # a csv error, reported when it was read
            complete = False
            continue
        filled = [i for i, cell in enumerate(record) if cell.strip()]
        if not filled:
            continue  # a blank row (Excel's trailing rows)
        if filled[-1] >= header.width:
            problems.append(
                Problem(
                    spec.file, number, None,
                    f"expected {header.width} cells as in the header, found {filled[-1] + 1}",
                )
            )
            row = _ragged_row(number, record, spec, header)
        else:
            padded = record + [""] * (header.width - len(record))
            row = _parse_row(number, padded, spec, header, problems)
        key = row.values.get(spec.key) if spec.key else None
        if spec.key and key is None:
            complete = False
        elif key is not None and row.readable:
            if key in seen:
                problems.append(
                    Problem(
                        spec.file, number, spec.key,
                        f"duplicate id '{key}' (first used in row {seen[key]})",
                    )
                )
                row = Row(row.number, row.values, False, duplicate=True, failed=row.failed)
            else:
                seen[key] = number
        rows.append(row)
    return rows, complete


def read_table(folder: Path, spec: TableSpec, problems: list[Problem]) -> Table:
    """Read ``folder/spec.file`` into a :class:`Table` (no rows if it cannot be read).

    Rows whose cells are all blank (Excel's trailing rows) are skipped; row numbers
    stay those a spreadsheet shows. Duplicate keys are reported here.
    """
    table = Table(spec)
    text = read_text(folder / spec.file, spec.file, problems)
    if text is None:
        return table
    known = {c.name for c in spec.all_columns}
    delimiter = detect_delimiter(text, spec.file, known, problems)
    records = _records(text, spec.file, problems, delimiter)
    if not any(cell.strip() for record in records if record for cell in record):
        if all(record is not None for record in records):
            problems.append(
                Problem(spec.file, None, None, "the file is empty: expected a header row")
            )
        return table
    header_record = records[0]
    if header_record is None:
        return table  # the header could not be read: its problem is reported
    if not any(cell.strip() for cell in header_record):
        problems.append(Problem(spec.file, 1, None, "the first row is blank: expected the header"))
        return table
    header = _check_header(header_record, records[1:], spec, problems)
    body = records[1:]
    if delimiter != ",":  # a regional spreadsheet's CSV: its decimal mark (dialect.py)
        numeric = numeric_columns([(c.name, c.parse) for c in spec.all_columns], header.index)
        body = normalise_decimals(body, numeric, spec.file, delimiter, problems)
    table.rows, table.ids_complete = _rows(body, spec, header, problems)
    if not table.rows and not spec.may_be_empty and all(r is not None for r in records):
        problems.append(
            Problem(spec.file, None, None, "the table has no rows: expected at least one")
        )
    return table
