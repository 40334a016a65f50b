"""The one exception type a user's mistake raises, with located problems.

Every error an analyst can cause by editing an instance folder (a missing file, a
typo in a column name, a dangling reference, a negative export value, ...) is
collected as a :class:`Problem` that names the file, the row as a spreadsheet shows
it (the header is row 1) and the column. The loader gathers all problems in one
pass and raises a single :class:`InstanceError` carrying them, so a person can fix
every mistake at once and a notebook can show them as a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_LISTED = 200
"""How many problems a message lists; the rest are counted ("... and 12 more problems").

A spreadsheet with 50 MB of bad rows has hundreds of thousands of problems: listing
them all buries the first (usually the cause of the rest) and floods a terminal. The
first 200 cover every distinct mistake of a real instance (the shipped ones have at
most a few hundred cells); :attr:`InstanceError.problems` always keeps them all.
"""


@dataclass(frozen=True)
class Problem:
    """One located problem in an instance folder.

    ``row`` is the spreadsheet row (1 is the header, 2 the first data row) or
    ``None`` when the problem concerns the whole file; ``column`` is the column
    name, or a dotted TOML key for ``instance.toml``, or ``None``.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        """``file, row R, column 'C': message`` (row and column only when known)."""
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


def listing(problems: Sequence[Problem], limit: int = MAX_LISTED) -> list[str]:
    """The first ``limit`` problems as text, then "... and N more problems" if any."""
    lines = [str(p) for p in problems[:limit]]
    rest = len(problems) - limit
    if rest > 0:
        lines.append(f"... and {rest:,} more problem{'s' if rest != 1 else ''}")
    return lines


class InstanceError(Exception):
    """An instance folder (or a strategy request on it) the advisor cannot use.

    ``problems`` holds every located :class:`Problem` found; ``str(error)`` lists
    them one per line, the first :data:`MAX_LISTED` of them (:meth:`listing`).
    """

    def __init__(self, problems: Iterable[Problem] | Problem, title: str = "invalid instance"):
        """Collect ``problems`` (one or several) under ``title``, the message's first line."""
        self.problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        self.title = title
        super().__init__(self._text())

    def _text(self) -> str:
        n = len(self.problems)
        head = f"{self.title}: {n} problem{'s' if n != 1 else ''}"
        lines = self.listing()
        shown = min(len(self.problems), MAX_LISTED)
        return "\n".join(
            [head, *(f"  - {line}" for line in lines[:shown]), *(f"  {x}" for x in lines[shown:])]
        )

    def listing(self, limit: int = MAX_LISTED) -> list[str]:
        """The problems one per line, the first ``limit``, then how many more."""
        return listing(self.problems, limit)

    def to_records(self) -> list[dict[str, object]]:
        """The problems as JSON-ready dicts (file, row, column, message)."""
        return [
            {"file": p.file, "row": p.row, "column": p.column, "message": p.message}
            for p in self.problems
        ]
