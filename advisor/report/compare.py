"""A comparison (:func:`advisor.compare.compare`) in every report format.

``table`` and ``markdown``: what changed in the recommendation first (decisions added
and dropped, the figures before and after, how many of the top K stayed), the reasons
the inputs give, then every input change; ``json``: :meth:`Comparison.to_dict`;
``csv``: one row per input change; ``html``: the markdown's content as a page;
``xlsx``: sheets ``figures`` and ``input_changes``.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from advisor.compare import Change, Comparison
from advisor.report.json_report import dumps
from advisor.report.text import listing, percent, wrap


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.1f}"
    return "-" if value is None else str(value)


def _change_text(c: Change) -> str:
    where = c.table if not c.row else f"{c.table} {c.row}"
    if c.field == "(row)":
        return f"{where}: row {c.after}"
    return f"{where}, {c.field}: {_value(c.before)} -> {_value(c.after)}"


def comparison_lines(comparison: Comparison) -> list[str]:
    """The comparison as wrapped lines (the table format)."""
    c = comparison
    lines = [f"Comparison: A = {c.a.label}, B = {c.b.label}", ""]
    if not c.added and not c.dropped:
        lines += wrap("The recommended strategy is the same in A and B.")
    else:
        moves = []
        if c.added:
            moves.append(f"adds {listing(list(c.added))}")
        if c.dropped:
            moves.append(f"drops {listing(list(c.dropped))}")
        lines += wrap(f"The recommended strategy changes: B {'; '.join(moves)}.")
    for name, x, y in c.figures:
        if x != y:
            shown = (percent(x), percent(y)) if name.startswith("share") else (_value(x), _value(y))
            lines.append(f"  {name}: {shown[0]} -> {shown[1]}")
    total = c.kept_packages + c.new_packages
    lines += wrap(f"Of B's {total} listed strategies, {c.kept_packages} are in A's list too; "
                  f"{c.new_packages} are new.")
    for decision, changes in c.reasons.items():
        lines += wrap(f"Why {decision}: " + "; ".join(_change_text(x) for x in changes) + ".",
                      "  ", "    ")
    if c.a.instance is None or c.b.instance is None:
        lines += ["", "Input changes: not compared (a side is a saved result)."]
    else:
        lines += ["", f"Input changes ({len(c.changes)}):"]
        lines += [f"  {_change_text(x)}" for x in c.changes] or ["  none"]
    return lines


def render_comparison(comparison: Comparison, fmt: str = "table") -> str:
    """The comparison in ``fmt``: table, json, csv, markdown, html or xlsx."""
    if fmt == "json":
        return dumps(comparison.to_dict())
    if fmt == "csv":
        return changes_frame(comparison).to_csv(index=False, lineterminator="\n")
    if fmt == "xlsx":
        from advisor.report.xlsx import workbook_report

        figures = pd.DataFrame(comparison.figures, columns=["figure", "a", "b"])
        return workbook_report([("figures", figures), ("input_changes", changes_frame(comparison))])
    lines = comparison_lines(comparison)
    if fmt == "markdown":
        head, *rest = lines
        body = [f"- {x.strip()}" if x.startswith("  ") else x for x in rest]
        return "\n".join([f"# {head}", *body]) + "\n"
    if fmt == "html":
        paragraphs = "".join(f"<p>{escape(x)}</p>" for x in lines[1:] if x.strip())
        return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
                f"{escape(lines[0])}</title></head><body><h1>{escape(lines[0])}</h1>{paragraphs}"
                "</body></html>\n")
    return "\n".join(lines) + "\n"


def changes_frame(comparison: Comparison) -> pd.DataFrame:
    """One row per input change: table, row, field, before, after."""
    rows = [{"table": c.table, "row": c.row, "field": c.field, "before": _value(c.before),
             "after": _value(c.after)} for c in comparison.changes]
    return pd.DataFrame(rows, columns=["table", "row", "field", "before", "after"])
