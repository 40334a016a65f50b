"""Reports of a ranked strategy list: a terminal table, JSON, CSV and a Markdown brief.

Every format is a pure function of a :class:`~advisor.results.Result` returning a
string, so a notebook gets exactly what the command line prints::

    from advisor.report import render
    print(render(result, "table"))        # or "json", "csv", "markdown"

The same four formats exist for an explanation (:func:`render_explanation`, of
:func:`advisor.explain`: what each decision is worth, what each rule costs; its
Markdown is a briefing, "Why strategy 1") and for a trade-off frontier
(:func:`render_frontier`, of :func:`advisor.frontier`)::

    print(render_explanation(advisor.explain(result, rank=1), result, "markdown"))
    print(render_frontier(advisor.frontier(instance, vary="budget"), "table"))

Money is printed in the instance's unit (``instance.money``, e.g. ``USD million``)
with thousands separators and one decimal; tariffs and shares as percentages.
The table format keeps within 100 columns; the explanation and frontier briefings
wrap their Markdown prose at 100 columns too (a Markdown table row is one line).

The modules: :mod:`~advisor.report.dispatch` (the one (result type, format) ->
renderer table), :mod:`~advisor.report.table` and :mod:`~advisor.report.markdown` (a
ranked result), :mod:`~advisor.report.explanation`, :mod:`~advisor.report.frontier`
(their table and Markdown), :mod:`~advisor.report.json_report` (every JSON document,
and the JSON schema of a ranked result), :mod:`~advisor.report.csv_report` (every
CSV), :mod:`~advisor.report.words` (wording shared by the ranked reports) and
:mod:`~advisor.report.text` (numbers, wrapping, tables).
"""

from advisor.report.csv_report import render_csv
from advisor.report.dispatch import (
    FORMATS,
    RENDERERS,
    render,
    render_bargain,
    render_explanation,
    render_frontier,
    render_robustness,
)
from advisor.report.explanation import render_explanation_markdown, render_explanation_table
from advisor.report.frontier import render_frontier_markdown, render_frontier_table
from advisor.report.json_report import (
    SCHEMA_VERSION,
    explanation_document,
    frontier_document,
    json_document,
    render_json,
)
from advisor.report.markdown import render_markdown
from advisor.report.table import render_table
from advisor.report.text import WIDTH, money, percent, signed_money, text_table
from advisor.report.words import OBJECTIVE_WORDS, STATUS_WORDS, differences, rule_text

__all__ = [
    "FORMATS",
    "OBJECTIVE_WORDS",
    "RENDERERS",
    "SCHEMA_VERSION",
    "STATUS_WORDS",
    "WIDTH",
    "differences",
    "explanation_document",
    "frontier_document",
    "json_document",
    "money",
    "percent",
    "render",
    "render_bargain",
    "render_csv",
    "render_explanation",
    "render_explanation_markdown",
    "render_explanation_table",
    "render_frontier",
    "render_frontier_markdown",
    "render_frontier_table",
    "render_json",
    "render_markdown",
    "render_robustness",
    "render_table",
    "rule_text",
    "signed_money",
    "text_table",
]
