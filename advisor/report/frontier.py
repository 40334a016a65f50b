"""A trade-off frontier (:func:`advisor.frontier`) as a terminal table or a Markdown brief.

One row per point of the sweep: the swept limit's value, the best strategy's
objective, protected value and offer cost, the watched market's share (the capped
market, else the counterpart), whether the point is Pareto-efficient, and what changes
from the previous point. Then what the sweep shows in a sentence or two, and the
strategies along the way, one per stretch of consecutive points with the same package.
Theory the reading relies on: relaxing a limit never lowers the optimum.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from advisor.report.text import (
    WIDTH,
    code,
    listing,
    md,
    md_paragraph,
    md_table,
    money,
    percent,
    ratio_text,
    share_text,
    text_table,
    wrap,
)
from advisor.report.words import export_unit, objective_unit
from advisor.results import Strategy

if TYPE_CHECKING:
    from advisor.analysis.frontier import Frontier, FrontierPoint


def _swept_text(frontier: Frontier, value: float) -> str:
    if frontier.vary == "budget":
        return money(value)
    if frontier.vary in ("cap", "floor"):
        return share_text(value)
    return ratio_text(value)


def _swept_name(frontier: Frontier) -> str:
    return {
        "budget": "budget",
        "reciprocity": "ratio",
        "cap": f"{frontier.market} cap",
        "floor": f"{frontier.market} floor",
        "lambda": "λ",
    }[frontier.vary]


def _watched_market(frontier: Frontier) -> str:
    return frontier.market or frontier.instance.counterpart


def _market_share(s: Strategy, market: str) -> float | None:
    return next((m.share for m in s.markets if m.market == market), None)


def _point_changes(p: FrontierPoint, first: bool) -> str:
    """``start: 3 requests, 2 offers`` at the first strategy, then ``+A -B``."""
    if p.strategy is None:
        return "no strategy"
    if first:
        n, m = len(p.strategy.requests), len(p.strategy.offers)
        return f"start: {n} request{'s' if n != 1 else ''}, {m} offer{'s' if m != 1 else ''}"
    moves = [f"+{d}" for d in p.added] + [f"-{d}" for d in p.dropped]
    return " ".join(moves) or "same"


def _md_point_changes(p: FrontierPoint, first: bool) -> str:
    """:func:`_point_changes` for Markdown: ``+`A`, −`B``` after the first strategy."""
    if first:
        return _point_changes(p, True)
    return ", ".join([f"+`{d}`" for d in p.added] + [f"−`{d}`" for d in p.dropped])


def _stretches(frontier: Frontier) -> list[tuple[float, float, Strategy]]:
    """Runs of consecutive points with the same strategy: (first value, last value, it)."""
    runs: list[tuple[float, float, Strategy]] = []
    for p in frontier.points:
        s = p.strategy
        if s is None:
            continue
        if runs and runs[-1][2].decisions == s.decisions and not p.added and not p.dropped:
            runs[-1] = (runs[-1][0], p.value, runs[-1][2])
        else:
            runs.append((p.value, p.value, s))
    return runs


def _frontier_spans(frontier: Frontier) -> list[tuple[str, Strategy]]:
    """Each stretch of the frontier with one strategy: (``budget 10.0 to 20.0``, it)."""
    name = _swept_name(frontier)
    spans = []
    for low, high, s in _stretches(frontier):
        span = _swept_text(frontier, low)
        if high != low:
            span += f" to {_swept_text(frontier, high)}"
        spans.append((f"{name} {span}", s))
    return spans


def _frontier_rows(
    frontier: Frontier,
    no_strategy: list[str],
    pareto_mark: str,
    changes: Callable[[FrontierPoint, bool], str],
) -> list[list[str]]:
    """One row per point of the frontier; ``no_strategy`` fills a row without a strategy.

    A row holds the swept value, objective, protected value, offer cost, the watched
    market's share, ``pareto_mark`` if Pareto-efficient, and ``changes(point, first)``
    (``first``: the first point with a strategy).
    """
    watched = _watched_market(frontier)
    rows = []
    for i, p in enumerate(frontier.points):
        s = p.strategy
        if s is None:
            rows.append([_swept_text(frontier, p.value), *no_strategy])
            continue
        first = all(q.strategy is None for q in frontier.points[:i])
        rows.append(
            [
                _swept_text(frontier, p.value),
                money(s.objective),
                money(s.protected_value),
                money(s.offer_cost),
                percent(_market_share(s, watched)),
                pareto_mark if p.pareto else "",
                changes(p, first),
            ]
        )
    return rows


def _frontier_intro(frontier: Frontier) -> str:
    inst = frontier.instance
    values = [p.value for p in frontier.points]
    watched = _watched_market(frontier)
    against = {
        "cap": f"a lower {watched} share",
        "floor": f"a higher {watched} share",
    }.get(frontier.vary, "a lower offer cost")
    if not values:
        return f"No point of the sweep of the {frontier.axis_label} was solved."
    return (
        f"The best strategy as the {frontier.axis_label} varies over {len(values)} points, "
        f"from {_swept_text(frontier, values[0])} to {_swept_text(frontier, values[-1])}. "
        f"Objective in {objective_unit(inst)}; protected: expected protected exports, "
        f"{export_unit(inst)}; offer cost: {inst.money}, weighted by λ = "
        f"{inst.offer_cost_weight:g} in the objective. Pareto-efficient points (*): no other "
        f"point protects more export value for {against}."
    )


def _settled(objectives: list[float]) -> int:
    """The index from which the objective no longer changes (0: it never changed)."""
    settled = len(objectives) - 1
    while settled > 0 and math.isclose(
        objectives[settled - 1], objectives[-1], rel_tol=1e-9, abs_tol=1e-9
    ):
        settled -= 1
    return settled


def _frontier_reading(frontier: Frontier) -> str:
    """What the sweep shows, in a sentence or two."""
    feasible = [(p.value, p.strategy) for p in frontier.points if p.strategy is not None]
    if not feasible:
        return "No point of the sweep has a strategy: widen the range."
    text = []
    infeasible = [p for p in frontier.points if p.strategy is None]
    name = _swept_name(frontier)
    if infeasible:
        text.append(
            f"No strategy exists at {len(infeasible)} of the {len(frontier.points)} points "
            f"({name} {listing([_swept_text(frontier, p.value) for p in infeasible[:3]])}"
            f"{', ...' if len(infeasible) > 3 else ''})."
        )
    (first_value, first), (last_value, last) = feasible[0], feasible[-1]
    text.append(
        f"The best objective goes from {money(first.objective)} at {name} "
        f"{_swept_text(frontier, first_value)} to {money(last.objective)} at "
        f"{_swept_text(frontier, last_value)}."
    )
    objectives = [s.objective for _, s in feasible]
    settled = _settled(objectives)
    if 0 < settled < len(objectives) - 1:
        at = _swept_text(frontier, feasible[settled][0])
        text.append(
            f"From {name} {at} on, the best strategy no longer improves: the limit stops binding."
            if frontier.vary not in ("reciprocity", "floor", "lambda")
            else f"From {name} {at} on, the best objective no longer changes."
        )
    text.append(
        "Theory: relaxing a limit never lowers the optimum, so the objective cannot fall as "
        "the budget or a cap grows, nor rise as the reciprocity ratio or a floor grows; a "
        "higher λ prices offers higher, so the objective cannot rise with it either."
    )
    return " ".join(text)


def render_frontier_table(frontier: Frontier, plot: str | None = None) -> str:
    """The frontier for a terminal, within 100 columns; ``plot``: its drawing's path."""
    inst = frontier.instance
    watched = _watched_market(frontier)
    title = f"Trade-off frontier: {inst.name}"
    out = [title, "=" * min(WIDTH, len(title))]
    out += wrap(_frontier_intro(frontier))
    out.append("")
    headers = [
        _swept_name(frontier),
        "objective",
        "protected",
        "offer cost",
        f"{watched} share",
        "P",
        "what changes",
    ]
    rows = _frontier_rows(frontier, ["-", "-", "-", "-", "", "no strategy"], "*", _point_changes)
    out += text_table(headers, rows, "rrrrrll", "  ", 6)
    out.append("")
    out += wrap(_frontier_reading(frontier))
    spans = _frontier_spans(frontier)
    if spans:
        out += ["", "Strategies along the frontier:"]
        for span, s in spans:
            text = (
                f"{span}: requests "
                + (", ".join(r.request for r in s.requests) or "none")
                + "; offers "
                + (", ".join(o.offer for o in s.offers) or "none")
                + "."
            )
            out += wrap(text, "  - ", "    ")
    if plot:
        out += ["", f"Plot: {plot}"]
    for w in frontier.warnings:
        out += ["", *wrap("Warning: " + w)]
    return "\n".join(out) + "\n"


def render_frontier_markdown(frontier: Frontier, plot: str | None = None) -> str:
    """The frontier as a Markdown brief; ``plot`` (if any) is shown as an image."""
    inst = frontier.instance
    watched = _watched_market(frontier)
    out = [f"# Trade-off frontier: {inst.name}", ""]
    out += md_paragraph(
        f"*{inst.home} negotiating with {inst.counterpart}.* " + md(_frontier_intro(frontier))
    )
    out.append("")
    out += md_paragraph(md(_frontier_reading(frontier)))
    out.append("")
    if plot:
        out += [f"![frontier]({plot})", ""]
    rows = _frontier_rows(frontier, ["no strategy", "", "", "", "", ""], "yes", _md_point_changes)
    name = _swept_name(frontier)
    out += md_table(
        [
            name[0].upper() + name[1:],
            "Objective",
            "Protected value",
            "Offer cost",
            f"{watched} share",
            "Pareto",
            "What changes",
        ],
        rows,
        "rrrrrll",
    )
    spans = _frontier_spans(frontier)
    if spans:
        out += ["", "## Strategies along the frontier", ""]
        for span, s in spans:
            text = (
                f"**{span}**: objective {money(s.objective)}; requests "
                + (code([r.request for r in s.requests]) or "none")
                + "; offers "
                + (code([o.offer for o in s.offers]) or "none")
                + "."
            )
            out += md_paragraph(text, bullet=True)
    out += [
        "",
        f"Objective in {objective_unit(inst)}; protected value in {export_unit(inst)}; offer "
        f"cost in {inst.money}.",
        "",
    ]
    for w in frontier.warnings:
        out += [*md_paragraph(f"**Warning:** {md(w)}"), ""]
    return "\n".join(out)
