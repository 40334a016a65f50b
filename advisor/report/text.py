"""Text primitives every report format shares: numbers, wrapping, tables, Markdown.

Money is printed with thousands separators and one decimal, tariffs and shares as
percentages, and no number ever prints as ``-0.0``: a value that rounds to 0 at the
shown precision is printed as 0. Plain-text prose wraps at :data:`WIDTH` (100)
columns and a plain-text table shrinks one text column to keep within it; Markdown
prose wraps at the same width, but a Markdown table row is always one line. Nothing
here knows about a result: these functions take strings and numbers only.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

from advisor.instance import Instance

WIDTH = 100
CURRENCY_SIGNS = {"USD": "US$"}


# ------------------------------------------------------------------------ numbers


def _number(value: float | None, digits: int, spec: str) -> str:
    """``value`` in format ``spec``; None or not finite -> ``"-"``.

    A value that rounds to 0 at ``digits`` decimals is printed as 0 (never ``"-0.0"``).
    """
    if value is None or not math.isfinite(value):
        return "-"
    if round(value, digits) == 0:
        value = 0.0
    return format(value, spec)


def money(value: float | None) -> str:
    """``1234.56`` -> ``"1,234.6"``; None -> ``"-"``; never ``"-0.0"``."""
    return _number(value, 1, ",.1f")


def signed_money(value: float) -> str:
    """:func:`money` with a ``+`` in front of a positive amount (``"+12.0"``)."""
    text = money(value)
    return text if text.startswith("-") or text == "0.0" else "+" + text


def percent(value: float | None) -> str:
    """``0.1905`` -> ``"19.1%"``."""
    return _number(value, 3, ".1%")


def share_text(value: float | None) -> str:
    """A share limit: ``16.5%``, ``18.15%`` (two decimals at most, no trailing zeros)."""
    if value is None:
        return "-"
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def ratio_text(value: float | None) -> str:
    """A reciprocity ratio with four significant digits (``1.5``)."""
    return "-" if value is None else f"{value:.4g}"


def amount(inst: Instance, value: float) -> str:
    """``US$ 441.4 million``: a money amount in a sentence."""
    sign = CURRENCY_SIGNS.get(inst.currency, inst.currency)
    return f"{sign} {money(value)} {inst.unit}".strip()


# ------------------------------------------------------------------------ words


def listing(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``; empty -> ``""``."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def code(items: Sequence[str]) -> str:
    """:func:`listing` of ids in Markdown code spans: ``` `a` and `b` ```."""
    return listing([f"`{i}`" for i in items])


# ------------------------------------------------------------------------ plain text


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending in ``...`` when cut."""
    return text if len(text) <= width else text[: max(0, width - 3)] + "..."


def wrap(text: str, indent: str = "", hang: str | None = None) -> list[str]:
    """``text`` wrapped at :data:`WIDTH`, as lines.

    Continuation lines indent by ``hang`` (default: ``indent`` and two spaces). An
    empty text is one (blank) line.
    """
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "  " if hang is None else hang,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def text_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    align: str,
    indent: str = "",
    shrink: int | None = None,
) -> list[str]:
    """A plain-text table; ``align`` has one ``l`` or ``r`` per column.

    Column ``shrink`` (a text column) is clipped with ``...`` so the table keeps
    within :data:`WIDTH` columns, but never below its header or 8 characters.
    """
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    total = len(indent) + sum(widths) + 2 * (len(widths) - 1)
    if shrink is not None and total > WIDTH:
        widths[shrink] = max(len(headers[shrink]), 8, widths[shrink] - (total - WIDTH))

    def line(cells: Sequence[str]) -> str:
        out = []
        for cell, w, a in zip(cells, widths, align, strict=True):
            cell = clip(cell, w)
            out.append(cell.rjust(w) if a == "r" else cell.ljust(w))
        return (indent + "  ".join(out)).rstrip()

    rule = indent + "  ".join("-" * w for w in widths)
    return [line(headers), rule, *(line(r) for r in rows)]


# ------------------------------------------------------------------------ Markdown


def md(text: str) -> str:
    """Escape what would break a Markdown table cell or start markup."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> list[str]:
    """A Markdown table; ``align`` has one ``l`` or ``r`` per column."""
    marks = {"l": ":--", "r": "--:"}
    return [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(marks[a] for a in align) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def md_paragraph(text: str, bullet: bool = False) -> list[str]:
    """Markdown prose wrapped at 100 columns (a bullet hangs by two spaces).

    A long word (a path, a code span) is never broken.
    """
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent="- " if bullet else "",
        subsequent_indent="  " if bullet else "",
        break_on_hyphens=False,
        break_long_words=False,
    )
