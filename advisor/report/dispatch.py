"""The one dispatch of the reports: (result type, format) -> renderer.

Every renderer takes the thing reported and one companion: a ranked result and its
diagnosis (or None), an explanation and the result it explains, a frontier and the
path of its plot (or None), a bargaining analysis and the path of its plot.
:data:`RENDERERS` holds all twenty-four; :func:`render`, :func:`render_explanation`,
:func:`render_frontier` and :func:`render_bargain` look theirs up through
:func:`renderer`, which raises the one error for an unknown format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from advisor.report.bargain import (
    render_bargain_csv,
    render_bargain_json,
    render_bargain_markdown,
    render_bargain_table,
)
from advisor.report.csv_report import render_csv, render_explanation_csv, render_frontier_csv
from advisor.report.explanation import render_explanation_markdown, render_explanation_table
from advisor.report.frontier import render_frontier_markdown, render_frontier_table
from advisor.report.html import (
    render_bargain_html,
    render_explanation_html,
    render_frontier_html,
    render_html,
)
from advisor.report.json_report import render_explanation_json, render_frontier_json, render_json
from advisor.report.lines import grouped
from advisor.report.markdown import render_markdown
from advisor.report.robustness import (
    render_robustness_csv,
    render_robustness_json,
    render_robustness_markdown,
    render_robustness_table,
)
from advisor.report.table import render_table
from advisor.report.xlsx import (
    render_bargain_xlsx,
    render_explanation_xlsx,
    render_frontier_xlsx,
    render_xlsx,
)
from advisor.results import Result

if TYPE_CHECKING:
    from advisor.analysis.bargain import Bargain
    from advisor.analysis.diagnose import Diagnosis
    from advisor.analysis.explain import Explanation
    from advisor.analysis.frontier import Frontier
    from advisor.analysis.robustness import Robustness

# the text formats (html: a self-contained briefing with SVG charts); ALL_FORMATS adds
# xlsx, a workbook: its renderer returns a WorkbookReport (report/xlsx.py), a short str
# whose ``data`` holds the bytes the command line writes to --output
FORMATS = ("table", "json", "csv", "markdown", "html")
ALL_FORMATS = (*FORMATS, "xlsx")
RESULT, EXPLANATION, FRONTIER, BARGAIN = "result", "explanation", "frontier", "bargain"
ROBUSTNESS = "robustness"

# (thing reported, companion) -> the report; the companion's type depends on the kind
Renderer = Callable[[Any, Any], str]

RENDERERS: Mapping[tuple[str, str], Renderer] = MappingProxyType(
    {
        (RESULT, "table"): render_table,
        (RESULT, "json"): render_json,
        (RESULT, "csv"): render_csv,
        (RESULT, "markdown"): render_markdown,
        (EXPLANATION, "table"): render_explanation_table,
        (EXPLANATION, "json"): render_explanation_json,
        (EXPLANATION, "csv"): render_explanation_csv,
        (EXPLANATION, "markdown"): render_explanation_markdown,
        (FRONTIER, "table"): render_frontier_table,
        (FRONTIER, "json"): render_frontier_json,
        (FRONTIER, "csv"): render_frontier_csv,
        (FRONTIER, "markdown"): render_frontier_markdown,
        (BARGAIN, "table"): render_bargain_table,
        (BARGAIN, "json"): render_bargain_json,
        (BARGAIN, "csv"): render_bargain_csv,
        (BARGAIN, "markdown"): render_bargain_markdown,
        (RESULT, "html"): render_html,
        (EXPLANATION, "html"): render_explanation_html,
        (FRONTIER, "html"): render_frontier_html,
        (BARGAIN, "html"): render_bargain_html,
        (RESULT, "xlsx"): render_xlsx,
        (EXPLANATION, "xlsx"): render_explanation_xlsx,
        (FRONTIER, "xlsx"): render_frontier_xlsx,
        (BARGAIN, "xlsx"): render_bargain_xlsx,
        (ROBUSTNESS, "table"): render_robustness_table,
        (ROBUSTNESS, "json"): render_robustness_json,
        (ROBUSTNESS, "csv"): render_robustness_csv,
        (ROBUSTNESS, "markdown"): render_robustness_markdown,
    }
)


def renderer(kind: str, fmt: str) -> Renderer:
    """The renderer of ``kind`` (``result``, ``explanation``, ``frontier``) in ``fmt``.

    Raises ValueError naming :data:`FORMATS` for an unknown format (checked by
    equality first, so even an unhashable ``fmt`` gets this error).
    """
    if fmt not in ALL_FORMATS:
        raise ValueError(f"format must be one of {', '.join(ALL_FORMATS)}, got {fmt!r}")
    return RENDERERS[kind, fmt]


def render(
    result: Result, fmt: str = "table", diagnosis: Diagnosis | None = None, detail: str = "auto"
) -> str:
    """The report of ``result`` in format ``fmt`` (one of :data:`FORMATS`).

    For an infeasible result, pass ``diagnosis=advisor.diagnose(result.instance)``
    to name the conflicting rules (table, Markdown, and the JSON key ``diagnosis``).
    ``detail`` (table and Markdown): ``lines`` lists every tariff line and condition,
    ``sectors`` groups lines by sector and conditions by pattern, ``auto`` (default)
    groups above 200 decisions (:mod:`advisor.report.lines`); the other formats
    always list every line.
    """
    grouped(result, detail)  # checks ``detail``
    if fmt == "table":
        return render_table(result, diagnosis, detail)
    if fmt == "markdown":
        return render_markdown(result, diagnosis, detail)
    return renderer(RESULT, fmt)(result, diagnosis)


def render_explanation(explanation: Explanation, result: Result, fmt: str = "table") -> str:
    """The explanation of a strategy of ``result`` in format ``fmt``.

    - ``table``: decision values and rule prices, within 100 columns;
    - ``markdown``: a briefing, "Why strategy N", with the weightiest decisions and every
      costly rule in words, then the full tables;
    - ``csv``: :meth:`Explanation.to_frame` (one row per decision);
    - ``json`` (version 2): ``schema_version``, ``report`` (``"explanation"``),
      ``instance``, ``path``, ``currency``, ``unit``, ``money``, ``objective`` (what the
      ranking maximises), ``status``; ``explanation``: :meth:`Explanation.to_dict`
      (``rank``, ``objective``, ``optimum``, ``money``, ``decisions``: ``decision``,
      ``kind``, ``name``, ``chosen``, ``objective_if_flipped`` and ``change`` (null: no
      strategy with the decision reversed), ``then_added``, ``then_dropped``,
      ``summary``; ``rules``: ``rule``, ``location``, ``kind``, ``removed``,
      ``relaxed_one_unit``, ``relaxed_10pct`` (gains over ``optimum``),
      ``lp_marginal_value`` (indicative LP dual, null for conditions), and ``limit``,
      ``relaxed_one_unit_to``, ``relaxed_10pct_to``: the limit and its relaxed values,
      null for conditions); ``strategy``: the strategy, as in the ranking's JSON.
    """
    return renderer(EXPLANATION, fmt)(explanation, result)


def render_frontier(frontier: Frontier, fmt: str = "table", plot: str | None = None) -> str:
    """A frontier in format ``fmt``; ``plot`` is the path of its drawing, if any.

    - ``table`` and ``markdown``: one row per point (the swept value, the best
      strategy's objective, protected value, offer cost, the watched market's share,
      whether it is Pareto-efficient, what changes from the previous point), what the
      sweep shows, and the strategies along the way;
    - ``csv``: :meth:`Frontier.to_frame`;
    - ``json`` (version 2): ``schema_version``, ``report`` (``"frontier"``),
      ``currency``, ``unit``, ``money``, ``path``, ``axis_label``, ``plot`` (or null),
      and :meth:`Frontier.to_dict`: ``instance``, ``vary``, ``market``, ``points``
      (the rows of :meth:`Frontier.to_frame`; null where a point has no strategy).
    """
    return renderer(FRONTIER, fmt)(frontier, plot)


def render_bargain(bargain: Bargain, fmt: str = "table", plot: str | None = None) -> str:
    """A bargaining analysis (:func:`advisor.bargain`) in format ``fmt``.

    The formats and the JSON schema: :mod:`advisor.report.bargain`.
    """
    return renderer(BARGAIN, fmt)(bargain, plot)


def render_robustness(result: Robustness, fmt: str = "table", plot: str | None = None) -> str:
    """A robustness analysis (:func:`advisor.robustness`) in format ``fmt``.

    The formats and the JSON schema: :mod:`advisor.report.robustness`.
    """
    return renderer(ROBUSTNESS, fmt)(result, plot)
