"""The HTML briefing (``--format html``): one self-contained page with charts.

The page needs no network and no script: styles are inline and the charts are static
SVG drawn by matplotlib (:mod:`advisor.charts`). A ranking's page holds the
short answer (:mod:`advisor.report.summary`), the ranked strategies, a chart of each
strategy's value in every scenario, the market shares before and after the
recommended deal (caps and floors marked), each strategy's requests and offers, the
warnings and the sources of the instance's figures. An explanation's page adds what
each decision is worth and what each rule costs; a frontier's page the frontier
chart and its points. Every text is escaped; the same input gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import pandas as pd

from advisor import charts
from advisor.report.summary import summary_lines
from advisor.report.text import money, percent, signed_money
from advisor.results import Result

if TYPE_CHECKING:
    from advisor.analysis.bargain import Bargain
    from advisor.analysis.diagnose import Diagnosis
    from advisor.analysis.explain import Explanation
    from advisor.analysis.frontier import Frontier

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.summary { background: #eef4fb; border-left: 4px solid #2a6ebb; padding: 0.5rem 1rem; }
figure { margin: 1rem 0; } svg { max-width: 100%; height: auto; }
"""


def _page(title: str, sections: Sequence[str]) -> str:
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n{body}\n</body>\n</html>\n"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    lines = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{escape(str(v))}</td>' if _numeric(v) else f"<td>{escape(str(v))}</td>"
            for v in row
        )
        lines.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _numeric(value: Any) -> bool:
    text = str(value).replace(",", "").replace("%", "").replace("+", "").replace("-", "")
    return text.replace(".", "", 1).isdigit()


def _frame_table(frame: pd.DataFrame) -> str:
    frame = frame.reset_index() if frame.index.name else frame
    rows = [[_fmt(v) for v in row] for row in frame.itertuples(index=False)]
    return _table([str(c) for c in frame.columns], rows)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.4g}" if abs(value) < 1 else money(value)
    return "" if value is None else str(value)


def _chart(fig_axes: Any, draw: Any, *args: Any, caption: str) -> str:
    fig, ax = fig_axes
    draw(ax, *args)
    label = f"<figcaption>{escape(caption)}</figcaption>"
    return f'<figure class="chart">{charts.svg(fig)}{label}</figure>'


def _summary(result: Result) -> str:
    lines = summary_lines(result)
    if not lines:
        return f'<p class="summary">No strategy satisfies the rules ({escape(result.status)}).</p>'
    text = " ".join(line.strip() for line in lines)
    sentences = [s.strip() for s in text.replace(". ", ".\n").split("\n") if s.strip()]
    items = "".join(f"<li>{escape(s)}</li>" for s in sentences)
    return f'<div class="summary"><h2>The short answer</h2><ul>{items}</ul></div>'


def _ranking(result: Result) -> str:
    cp = result.instance.counterpart
    rows = [
        [s.rank, money(s.objective), money(s.protected_value), money(s.offer_cost),
         signed_money(s.reciprocity_balance),
         percent({m.market: m.share for m in s.markets}.get(cp)),
         ", ".join(r.request for r in s.requests), ", ".join(o.offer for o in s.offers)]
        for s in result.strategies
    ]
    headers = ["rank", "objective", "protected", "offer cost", "balance", f"{cp} share",
               "requests", "offers"]
    return f"<h2>Ranked strategies ({escape(result.instance.money)})</h2>" + _table(headers, rows)


def _sources(result: Result) -> str:
    sources = result.instance.sources
    if not sources:
        return "<h2>Sources</h2><p>The instance names no sources.</p>"
    items = "".join(f"<li>{escape(s)}</li>" for s in sources)
    return f"<h2>Sources</h2><ul class=\"sources\">{items}</ul>"


def _warnings(warnings: Sequence[str]) -> list[str]:
    if not warnings:
        return []
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
    return [f"<h2>Warnings</h2><ul>{items}</ul>"]


def result_sections(result: Result) -> list[str]:
    """The sections of a ranking's page (see the module)."""
    sections = [_summary(result)]
    if result.strategies:
        sections.append(_ranking(result))
        sections.append(_chart(charts.figure(), charts.draw_scenario_values, result,
                               caption="Value of each listed strategy in each scenario."))
        sections.append(_chart(charts.figure(), charts.draw_shares, result,
                               caption="Shares of exports before and after strategy 1; "
                               "red: cap, green dashed: floor."))
    sections += _warnings(result.warnings)
    sections.append(_sources(result))
    return sections


def render_html(result: Result, diagnosis: Diagnosis | None = None) -> str:
    """A ranking as a self-contained HTML briefing (the conflicts if infeasible)."""
    sections = result_sections(result)
    if diagnosis is not None and not diagnosis.feasible:
        sections.insert(1, "<h2>Conflicting rules</h2>" + _frame_table(diagnosis.to_frame()))
    return _page(result.instance.name, sections)


def render_explanation_html(explanation: Explanation, result: Result) -> str:
    """The ranking's page with what each decision is worth and what each rule costs."""
    sections = result_sections(result)
    sections[2:2] = [
        f"<h2>Why strategy {explanation.rank}: what each decision is worth</h2>"
        + _frame_table(explanation.to_frame()),
        "<h2>What each rule costs</h2>" + _frame_table(explanation.rules_frame()),
        *_warnings(explanation.warnings),
    ]
    return _page(result.instance.name, sections)


def render_frontier_html(frontier: Frontier, plot: str | None = None) -> str:
    """The frontier chart (a step function) and its points."""
    del plot
    sections = [
        _chart(charts.figure(9, 5), charts.draw_frontier, frontier,
               caption=f"Best objective as the {frontier.axis_label} varies; red crosses: "
               "no strategy."),
        "<h2>Points</h2>" + _frame_table(frontier.to_frame()),
        *_warnings(frontier.warnings),
    ]
    sources = frontier.instance.sources
    sections.append("<h2>Sources</h2><ul>" + "".join(f"<li>{escape(s)}</li>" for s in sources)
                    + "</ul>")
    return _page(f"{frontier.instance.name}: frontier", sections)


def render_bargain_html(bargain: Bargain, plot: str | None = None) -> str:
    """The bargaining frontier's points as a table."""
    del plot
    return _page("Bargaining frontier", ["<h2>Points</h2>" + _frame_table(bargain.to_frame())])
