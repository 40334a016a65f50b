"""An instance as one Excel workbook, and the conversion to and from a folder.

The workbook holds one sheet per table, named after its file (``markets``,
``sectors``, ``requests``, ``offers``, ``offer_effects``, ``conditions``, and
``linkages`` if the instance has one), laid out as the CSV file is (the header in
row 1, one row per record), and a ``settings`` sheet holding ``instance.toml`` one
line per row in column A, so comments, scenarios and every TOML form survive. Sheet
names are case-insensitive; any other sheet is an error (a misspelt sheet must not
be silently ignored).

Reading (:func:`load_workbook_instance`) turns every sheet into the text of its file
in a temporary folder and loads that with :func:`advisor.inputs.loader.load_instance`,
so a workbook is checked exactly as a folder is; each problem is then located in the
workbook: ``book.xlsx, sheet 'sectors', row 3, column 'elasticity': ... (cell F3)``.
A number cell becomes the text its number format shows when that text reads back as
the same number (``25%``, ``1,234.5``), else the shortest text that does, so no
precision is lost. Writing (:func:`folder_to_workbook`) stores a numeric column's
cell as a number, with a number format that shows exactly the folder's text, only
when reading it back gives that text again; everything else stays text. Converting
a folder to a workbook and back therefore gives every cell's text and
``instance.toml`` unchanged (CSV quoting aside). Workbooks are written
deterministically: the same input gives the same bytes (:func:`workbook_bytes`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from advisor.errors import InstanceError, Problem
from advisor.files import replace_atomically
from advisor.inputs.cells import CellError, parse_number
from advisor.inputs.dialect import detect_delimiter, normalise_decimals, numeric_columns
from advisor.inputs.linkages import LINKAGES
from advisor.inputs.loader import TABLES
from advisor.inputs.settings_file import TOML_FILE
from advisor.inputs.tables import TableSpec, read_text
from advisor.instance import Instance

SUFFIXES = (".xlsx", ".xlsm")
SETTINGS_SHEET = "settings"
SPECS: dict[str, TableSpec] = {spec.file.removesuffix(".csv"): spec for spec in (*TABLES, LINKAGES)}
OPTIONAL_SHEETS = ("linkages",)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def is_workbook(path: str | Path) -> bool:
    """Whether ``path`` names a workbook (by its suffix) rather than a folder."""
    return Path(path).suffix.lower() in SUFFIXES and not Path(path).is_dir()


# ---------------------------------------------------------------- cells as text


def _format_parts(fmt: str) -> tuple[bool, int, bool]:
    """(percent, decimals, grouped) of a number format such as ``#,##0.00%``."""
    section = fmt.split(";")[0]
    decimals = len(m.group(1)) if (m := re.search(r"\.(0+)", section)) else 0
    return "%" in section, decimals, "," in section


def _plain(value: float) -> str:
    """The shortest text of ``value`` that reads back as it: ``1200``, ``0.35``."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _same(text: str, value: float) -> bool:
    try:
        return parse_number(text) == value
    except CellError:
        return False


def number_text(value: float, fmt: str) -> str:
    """A number cell as the loader reads it: its formatted text if exact, else exact text."""
    percent, decimals, grouped = _format_parts(fmt or "General")
    if fmt and fmt not in ("General", "@") and re.search(r"[0#]", fmt):
        shown = value * 100 if percent else value
        text = f"{shown:{',' if grouped else ''}.{decimals}f}" + ("%" if percent else "")
        if _same(text, value):
            return text
    if percent:
        text = _plain(value * 100) + "%"
        if _same(text, value):
            return text
    return _plain(value)


def cell_text(value: Any, fmt: str) -> str:
    """The text of a cell's value (None: blank; booleans TRUE/FALSE, as Excel shows them)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return number_text(float(value), fmt)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


_NUMBER_TEXT = re.compile(r"^-?(0|[1-9][0-9]{0,2}(,[0-9]{3})+|[1-9][0-9]*)(\.[0-9]+)?%?$")


def number_cell(text: str) -> tuple[float, str] | None:
    """(value, number format) storing ``text`` as a number that shows as ``text``; or None."""
    if not _NUMBER_TEXT.match(text):
        return None
    percent = text.endswith("%")
    body = text.removesuffix("%")
    decimals = len(body.split(".")[1]) if "." in body else 0
    fmt = ("#,##0" if "," in body else "0") + ("." + "0" * decimals if decimals else "")
    fmt += "%" if percent else ""
    value = parse_number(text)
    return (value, fmt) if number_text(value, fmt) == text else None


# ---------------------------------------------------------------- reading


@dataclasses.dataclass
class _Sheets:
    """The workbook's files as text (file name -> text) and each table sheet's header."""

    texts: dict[str, str]
    headers: dict[str, list[str]]
    names: dict[str, str]  # file name -> the sheet's own name


def _sheet_rows(sheet: Any) -> list[list[str]]:
    rows = []
    for row in sheet.iter_rows():
        rows.append([cell_text(c.value, getattr(c, "number_format", "General")) for c in row])
    return rows


def _csv_text(rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _open(book: Path, problems: list[Problem]) -> Any:
    import openpyxl

    reason = None if book.is_file() else "no such workbook"
    if reason is None:
        try:
            return openpyxl.load_workbook(book, read_only=True, data_only=True)
        except Exception as error:  # a zip that is not a workbook, a damaged file, ...
            reason = f"cannot read the workbook ({type(error).__name__}: {error}); save it as .xlsx"
    problems.append(Problem(str(book), None, None, reason))
    return None


def _read_sheets(book: Path, problems: list[Problem]) -> _Sheets | None:
    """Every sheet of ``book`` as its file's text; unknown or missing sheets recorded."""
    workbook = _open(book, problems)
    if workbook is None:
        return None
    sheets = _Sheets({}, {}, {})
    expected = [*SPECS, SETTINGS_SHEET]
    try:
        for sheet in workbook.worksheets:
            key = sheet.title.strip().lower()
            if key not in expected:
                message = f"unknown sheet '{sheet.title}'; expected: {', '.join(expected)}"
                problems.append(Problem(book.name, None, None, message))
                continue
            rows = _sheet_rows(sheet)
            if key == SETTINGS_SHEET:
                sheets.texts[TOML_FILE] = "".join(f"{r[0] if r else ''}\n" for r in rows)
                sheets.names[TOML_FILE] = sheet.title
            else:
                file = SPECS[key].file
                sheets.texts[file] = _csv_text(rows)
                sheets.headers[file] = rows[0] if rows else []
                sheets.names[file] = sheet.title
    finally:
        workbook.close()
    for key in expected:
        file = SPECS[key].file if key in SPECS else TOML_FILE
        if file not in sheets.texts and key not in OPTIONAL_SHEETS:
            problems.append(Problem(book.name, None, None, f"the sheet '{key}' is missing"))
    return sheets


def _letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(position + 1))


def _relocate(problem: Problem, book: Path, sheets: _Sheets, folder: Path) -> Problem:
    """A problem of the temporary folder, located in the workbook instead."""
    message = problem.message.replace(str(folder), book.name)
    if problem.file not in sheets.names:
        return Problem(book.name, problem.row, problem.column, message)
    where = f"{book.name}, sheet '{sheets.names[problem.file]}'"
    header = [h.strip().lower() for h in sheets.headers.get(problem.file, [])]
    column = (problem.column or "").lower()
    if problem.row is not None and column in header:
        message += f" (cell {_letter(header.index(column))}{problem.row})"
    return Problem(where, problem.row, problem.column, message)


def read_workbook(book: str | Path) -> dict[str, str]:
    """The workbook's files as text (``sectors.csv`` -> its CSV text, ``instance.toml``).

    Raises :class:`InstanceError` when the workbook cannot be read or has an unknown
    or missing sheet.
    """
    path = Path(book)
    problems: list[Problem] = []
    sheets = _read_sheets(path, problems)
    if problems or sheets is None:
        raise InstanceError(problems)
    return sheets.texts


def load_workbook_instance(book: str | Path) -> Instance:
    """Read, validate and return the instance in workbook ``book`` (see the module).

    Raises :class:`InstanceError` with every problem located by sheet, row, column
    and cell; the instance's ``path`` is the workbook and its warnings are located
    in it too.
    """
    from advisor.inputs.loader import load_instance

    path = Path(book)
    problems: list[Problem] = []
    sheets = _read_sheets(path, problems)
    if sheets is None:
        raise InstanceError(problems)
    with tempfile.TemporaryDirectory(prefix="advisor-workbook-") as work:
        folder = Path(work)
        for file, text in sheets.texts.items():
            (folder / file).write_text(text, encoding="utf-8")
        try:
            instance = load_instance(folder)
        except InstanceError as error:
            found = [_relocate(p, path, sheets, folder) for p in error.problems]
            # a missing sheet is reported above, not as its file missing in the folder
            found = [p for p in found if "file not found" not in p.message]
            raise InstanceError([*problems, *found], error.title) from None
    if problems:
        raise InstanceError(problems)
    warnings = tuple(_relocate(w, path, sheets, folder) for w in instance.warnings)
    return dataclasses.replace(instance, path=str(path), warnings=warnings)


# ---------------------------------------------------------------- writing


def workbook_bytes(workbook: Any) -> bytes:
    """The ``.xlsx`` bytes of an openpyxl workbook, the same for the same content.

    openpyxl stamps the save time into ``docProps/core.xml`` and the zip entries;
    both are set to a fixed time here, so a report or a conversion is reproducible.
    """
    raw = io.BytesIO()
    workbook.properties.created = datetime.datetime(2000, 1, 1)
    workbook.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>2000-01-01T00:00:00Z\g<2>", data
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    return out.getvalue()


def save_workbook(workbook: Any, path: str | Path) -> Path:
    """Write ``workbook`` to ``path`` atomically (:func:`advisor.files.replace_atomically`)."""
    data = workbook_bytes(workbook)

    def fill(handle: IO[bytes]) -> None:
        handle.write(data)

    return replace_atomically(path, fill)


def _folder_records(folder: Path, spec: TableSpec, problems: list[Problem]) -> list[list[str]]:
    """The records of a (valid) folder's table, decimal commas already read."""
    text = read_text(folder / spec.file, spec.file, problems) or ""
    known = {c.name for c in spec.all_columns}
    delimiter = detect_delimiter(text, spec.file, known, problems)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if delimiter != "," and rows:
        index = {c.strip().lower(): i for i, c in enumerate(rows[0])}
        numeric = numeric_columns([(c.name, c.parse) for c in spec.all_columns], index)
        body = normalise_decimals(list(rows[1:]), numeric, spec.file, delimiter, problems)
        rows = [rows[0], *(r or [] for r in body)]
    return rows


def _fill_sheet(sheet: Any, rows: list[list[str]], spec: TableSpec) -> None:
    """Write a table's rows: numbers as numbers where exact, header notes from the docs."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    from advisor.scaffold import COLUMN_DOCS, SHARED_DOCS

    docs = {**COLUMN_DOCS.get(spec.file, {}), **SHARED_DOCS}
    header = [c.strip().lower() for c in rows[0]] if rows else []
    numeric = set(numeric_columns([(c.name, c.parse) for c in spec.all_columns],
                                  {name: i for i, name in enumerate(header)}))
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row, start=1):
            name = header[c - 1] if c - 1 < len(header) else ""
            cell = sheet.cell(row=r, column=c)
            stored = number_cell(text) if r > 1 and name in numeric else None
            if stored is not None:
                cell.value, cell.number_format = stored
            elif text:
                cell.value = text
                cell.data_type = "s"  # a note starting with '=' is text, not a formula
            if r == 1 and name in docs:
                cell.comment = Comment(docs[name], "advisor")
                cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def folder_to_workbook(folder: str | Path, book: str | Path) -> Path:
    """Convert the (valid) instance folder ``folder`` into the workbook ``book``.

    Raises :class:`InstanceError` if the folder is not a valid instance; writes
    ``book`` atomically.
    """
    import openpyxl

    from advisor.inputs.loader import load_instance

    source = Path(folder)
    load_instance(source)  # only a valid instance is converted
    problems: list[Problem] = []
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, spec in SPECS.items():
        if name in OPTIONAL_SHEETS and not (source / spec.file).exists():
            continue
        _fill_sheet(workbook.create_sheet(name), _folder_records(source, spec, problems), spec)
    settings = workbook.create_sheet(SETTINGS_SHEET)
    toml = read_text(source / TOML_FILE, TOML_FILE, problems) or ""
    for r, line in enumerate(toml.split("\n")[:-1] if toml.endswith("\n") else toml.split("\n")):
        if line:
            settings.cell(row=r + 1, column=1, value=line).data_type = "s"
    settings.column_dimensions["A"].width = 100
    if problems:
        raise InstanceError(problems)
    return save_workbook(workbook, book)


def workbook_to_folder(book: str | Path, folder: str | Path) -> Path:
    """Convert the (valid) workbook ``book`` into the instance folder ``folder``.

    ``folder`` must not exist (or be empty); it is built beside its place and renamed
    into it, so a failure leaves nothing. Raises :class:`InstanceError` if the
    workbook is not a valid instance.
    """
    load_workbook_instance(book)
    texts = read_workbook(book)
    target = Path(folder)
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise FileExistsError(f"{target} already exists: give a new folder name")
    parent = target.parent if str(target.parent) else Path(".")
    with tempfile.TemporaryDirectory(prefix=".advisor-convert-", dir=parent) as work:
        staging = Path(work) / "instance"
        staging.mkdir()
        for file, text in texts.items():
            (staging / file).write_text(text, encoding="utf-8")
        if target.exists():
            target.rmdir()
        shutil.move(str(staging), str(target))
    return target
