"""The CSV dialect of a table: its separator and its decimal mark.

A spreadsheet saves "CSV" in the user's regional format: in most of Europe, Latin
America and Vietnam that is ``;`` between cells and a decimal comma (``2,5``), with
``.`` or a space grouping thousands (``1.234,5``). The table reader accepts such a
file when it can tell the dialect without guessing:

- the separator is the one of ``,``, ``;`` and tab that splits the header into the
  most known column names (the header holds only column names, so this is a clear
  test); a header that splits as well at two separators is an error;
- in a file not separated by commas, the numeric cells say which decimal mark is
  meant: ``2,5``, ``0,125`` and ``1.234,5`` are decimal commas, ``0.35``, ``12.5`` and
  ``1,234.5`` are decimal points; ``1,234`` and ``1.234`` could be either. When the
  cells point one way only, every numeric cell is rewritten to the reader's own form
  (``1.234,5`` -> ``1234.5``). Cells pointing both ways, or only cells that could be
  either, are errors located at the cell, saying what is ambiguous and how to fix it.

A comma-separated file is read exactly as before: its decimal mark is the point.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass

from advisor.errors import Problem
from advisor.inputs.cells import parse_id, parse_id_list

DELIMITERS = (",", ";", "\t")
_NAMES = {",": "','", ";": "';'", "\t": "tab"}
SAVE_AS = "save it as 'CSV UTF-8 (comma delimited)' with a point as the decimal mark"

# a number as a regional spreadsheet writes it: digits with '.', ',' or spaces inside
_NUMERIC = re.compile(r"^[+-]?[0-9][0-9.,\s\u00a0\u202f]*%?$")
_SPACED = re.compile(r"^[0-9]{1,3}([\s\u00a0\u202f][0-9]{3})+([.,][0-9]+)?$")

COMMA, POINT, EITHER = "comma", "point", "either"


def _header_line(text: str) -> str:
    """The first non-blank line of ``text`` (the header)."""
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def _known_fields(line: str, delimiter: str, known: set[str]) -> int:
    """How many of the header's cells, split at ``delimiter``, are known column names."""
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return 0
    return sum(1 for cell in cells if cell.strip().lower() in known)


def detect_delimiter(text: str, file: str, known: set[str], problems: list[Problem]) -> str:
    """The separator of ``text``: the one splitting its header into most known names.

    ``known`` holds the table's column names. With no known name at all the comma is
    assumed (the header's own problems are reported as usual). A tie between two
    separators with known names is recorded as a problem in row 1 (the comma is then
    returned, so the rest of the file is still checked).
    """
    line = _header_line(text)
    counts = {d: _known_fields(line, d, known) for d in DELIMITERS if d in line}
    best = max(counts.values(), default=0)
    if best == 0:
        return ","
    winners = [d for d, n in counts.items() if n == best]
    if len(winners) > 1:
        names = " and ".join(_NAMES[d] for d in winners)
        problems.append(
            Problem(
                file, 1, None,
                f"cannot tell which separator this file uses: the header splits into "
                f"{best} known column names at {names} alike; {SAVE_AS}",
            )
        )
        return ","
    return winners[0]


def separator_note(delimiter: str) -> str:
    """What a file not separated by commas is said to be, for messages."""
    return f"this file is {_NAMES[delimiter]}-separated (a spreadsheet's regional format)"


def decimal_mark(cell: str) -> str | None:
    """Which decimal mark the numeric ``cell`` shows: COMMA, POINT, EITHER, or None.

    None: not a number with a mark (text, or digits only). EITHER: one separator
    followed by exactly three digits after a leading group that is not 0 (``1,234``).
    """
    body = cell.strip().removesuffix("%").strip().lstrip("+-")
    if not _NUMERIC.match(cell.strip()) or not body:
        return None
    if _SPACED.match(body):  # spaces group thousands: the last mark, if any, decides
        body = re.sub(r"[\s\u00a0\u202f]", "", body)
    if re.search(r"\s", body):
        return None
    commas, points = body.count(","), body.count(".")
    if commas and points:
        return COMMA if body.rfind(",") > body.rfind(".") else POINT
    if not commas and not points:
        return None
    mark = "," if commas else "."
    if commas + points > 1:  # '1.234.567' groups thousands: the other mark is decimal
        return POINT if mark == "," else COMMA
    head, tail = body.split(mark)
    if len(tail) == 3 and head.strip("0") != "" and len(head) <= 3:
        return EITHER
    return COMMA if mark == "," else POINT


def to_point(cell: str) -> str:
    """A decimal-comma number in the reader's form: ``1.234,5`` -> ``1234.5``."""
    text = re.sub(r"[.\s\u00a0\u202f]", "", cell.strip())
    return text.replace(",", ".")


@dataclass(frozen=True)
class _Cell:
    row: int  # the spreadsheet row (header = 1)
    column: str
    text: str


def _marked_cells(
    records: Sequence[list[str] | None], columns: dict[str, int]
) -> dict[str, list[_Cell]]:
    """The numeric cells of ``columns`` grouped by the decimal mark they show."""
    found: dict[str, list[_Cell]] = {COMMA: [], POINT: [], EITHER: []}
    for number, record in enumerate(records, start=2):
        if record is None:
            continue
        for name, position in columns.items():
            if position < len(record):
                mark = decimal_mark(record[position])
                if mark is not None:
                    found[mark].append(_Cell(number, name, record[position].strip()))
    return found


def numeric_columns(columns: Sequence[tuple[str, object]], index: dict[str, int]) -> dict[str, int]:
    """Of the (name, parser) pairs, those parsed as something other than text or ids."""
    return {
        name: index[name]
        for name, parse in columns
        if parse is not None and parse not in (parse_id, parse_id_list) and name in index
    }


def normalise_decimals(
    records: list[list[str] | None],
    columns: dict[str, int],
    file: str,
    delimiter: str,
    problems: list[Problem],
) -> list[list[str] | None]:
    """The body records with decimal commas rewritten, when the file shows them unambiguously.

    ``records`` are the rows after the header; ``columns`` the numeric columns'
    positions. Ambiguous cells are recorded as located problems (see the module).
    """
    found = _marked_cells(records, columns)
    note = separator_note(delimiter)
    if found[COMMA] and found[POINT]:
        comma, point = found[COMMA][0], found[POINT][0]
        problems.append(
            Problem(
                file, point.row, point.column,
                f"{note} and mixes decimal marks: '{point.text}' has a decimal point but "
                f"row {comma.row}, column '{comma.column}' has a decimal comma "
                f"('{comma.text}'); use one mark throughout, or {SAVE_AS}",
            )
        )
        return records
    if found[EITHER] and not found[COMMA] and not found[POINT]:
        for cell in found[EITHER]:
            problems.append(
                Problem(
                    file, cell.row, cell.column,
                    f"{note}, and '{cell.text}' could be a decimal (decimal comma) or a "
                    "whole number with a thousands separator: write it without the "
                    f"separator, or with a decimal mark elsewhere in the file, or {SAVE_AS}",
                )
            )
        return records
    if not found[COMMA]:
        return records  # decimal points, as the reader expects
    out = [None if r is None else list(r) for r in records]
    for cell in found[COMMA] + found[EITHER]:
        record = out[cell.row - 2]
        assert record is not None
        position = columns[cell.column]
        percent = record[position].strip().endswith("%")
        record[position] = to_point(cell.text.removesuffix("%")) + ("%" if percent else "")
    return out

