"""Reports as Excel workbooks (``--format xlsx``): one sheet per table of the report.

A ranking gives the sheets ``strategies`` (:meth:`Result.to_frame`), ``decisions``
(one row per request or offer of each strategy), ``markets`` (each strategy's shares
after the deal, with their caps and floors), ``scenarios`` and ``notes`` (the
instance, the status and the warnings); an explanation adds ``decision_values`` and
``rule_costs``; a frontier gives ``frontier`` (:meth:`Frontier.to_frame`); a
bargaining analysis ``bargain``. Numbers are stored as numbers (shares with a
percentage format), never as text. A workbook is bytes, not text: the renderer
returns a :class:`WorkbookReport`, a short ``str`` whose ``data`` holds the bytes,
which the command line writes to ``--output FILE`` atomically. The same input gives
the same bytes (:func:`advisor.inputs.workbook.workbook_bytes`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from advisor.results import Result

if TYPE_CHECKING:
    from advisor.analysis.bargain import Bargain
    from advisor.analysis.diagnose import Diagnosis
    from advisor.analysis.explain import Explanation
    from advisor.analysis.frontier import Frontier

Sheet = tuple[str, pd.DataFrame]


class WorkbookReport(str):
    """A report that is an Excel workbook: ``data`` holds its ``.xlsx`` bytes."""

    data: bytes

    def __new__(cls, data: bytes) -> WorkbookReport:
        """A short text saying what it is, carrying the workbook's bytes."""
        report = super().__new__(cls, "(an Excel workbook: write it with --output FILE.xlsx)\n")
        report.data = data
        return report


def _cell(value: Any) -> Any:
    """A frame value as a cell value: numbers stay numbers, NaN blank, the rest text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    return str(value)


_SHARE_WORDS = ("share", "probability", "cap_", "floor_", "tariff", "acceptance")


def _is_share(name: str) -> bool:
    return any(k in name for k in _SHARE_WORDS)


def workbook_report(sheets: Sequence[Sheet]) -> WorkbookReport:
    """The workbook of ``sheets`` (name, frame): a bold header row, numbers as numbers."""
    import openpyxl
    from openpyxl.styles import Font

    from advisor.inputs.workbook import workbook_bytes

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, frame in sheets:
        sheet = workbook.create_sheet(name[:31])
        columns = [str(c) for c in frame.columns]
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
        for position, column in enumerate(columns, start=1):
            if _is_share(column):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position):
                    if isinstance(cell.value, float | int) and not isinstance(cell.value, bool):
                        cell.number_format = "0.0%"
        sheet.freeze_panes = "A2"
    return WorkbookReport(workbook_bytes(workbook))


def _decisions(result: Result) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for s in result.strategies:
        for r in s.requests:
            rows.append({"rank": s.rank, "kind": "request", "id": r.request, "name": r.sector_name,
                         "tier": r.tier, "tariff": r.tariff, "acceptance": r.acceptance,
                         "protected_value": r.protected_value,
                         "counterpart_cost": r.counterpart_cost})
        for o in s.offers:
            rows.append({"rank": s.rank, "kind": "offer", "id": o.offer, "name": o.name,
                         "category": o.category, "counterpart_value": o.counterpart_value,
                         "domestic_cost": o.domestic_cost})
    return pd.DataFrame(rows)


def _markets(result: Result) -> pd.DataFrame:
    rows = [
        {"rank": s.rank, "market": m.market, "exports": m.exports, "share": m.share,
         "max_share": m.max_share, "limit": m.limit or "", "limit_share": m.limit_share,
         "closest_scenario": m.closest_scenario or ""}
        for s in result.strategies
        for m in s.markets
    ]
    return pd.DataFrame(rows)


def result_sheets(result: Result) -> list[Sheet]:
    """The ranking's sheets (see the module)."""
    instance = result.instance
    scenarios = pd.DataFrame(
        [{"scenario": w.name, "probability": w.probability, "description": w.description}
         for w in instance.scenarios]
    )
    notes = pd.DataFrame(
        [{"item": "instance", "value": instance.name}, {"item": "path", "value": instance.path},
         {"item": "money", "value": f"{instance.currency} {instance.unit}"},
         {"item": "objective", "value": result.objective},
         {"item": "status", "value": result.status},
         *({"item": "warning", "value": w} for w in result.warnings)]
    )
    frame = result.to_frame().reset_index() if result.strategies else pd.DataFrame()
    return [("strategies", frame), ("decisions", _decisions(result)),
            ("markets", _markets(result)), ("scenarios", scenarios), ("notes", notes)]


def render_xlsx(result: Result, diagnosis: Diagnosis | None = None) -> WorkbookReport:
    """The ranking as a workbook (an infeasible one lists the conflicting rules)."""
    sheets = result_sheets(result)
    if diagnosis is not None:
        sheets.append(("conflicts", diagnosis.to_frame()))
    return workbook_report(sheets)


def render_explanation_xlsx(explanation: Explanation, result: Result) -> WorkbookReport:
    """The explanation's decision values and rule costs, then the ranking's sheets."""
    sheets = [("decision_values", explanation.to_frame().reset_index()),
              ("rule_costs", explanation.rules_frame().reset_index())]
    return workbook_report([*sheets, *result_sheets(result)])


def render_frontier_xlsx(frontier: Frontier, plot: str | None = None) -> WorkbookReport:
    """The frontier's points, one row each (:meth:`Frontier.to_frame`)."""
    del plot
    return workbook_report([("frontier", frontier.to_frame().reset_index())])


def render_bargain_xlsx(bargain: Bargain, plot: str | None = None) -> WorkbookReport:
    """The bargaining frontier's points (:meth:`Bargain.to_frame`)."""
    del plot
    return workbook_report([("bargain", bargain.to_frame().reset_index())])
