"""The charts of the reports and of the frontier plot, drawn with matplotlib.

A module of no stage: the analysis draws its plot with it, the reports embed it.
Each ``draw_*`` function fills one matplotlib ``Axes``; :func:`svg` turns a figure
into inline SVG text (text as paths, a fixed id salt and no date, so the same input
gives the same bytes and the page needs no font). The frontier chart is the one of
:meth:`advisor.analysis.frontier.Frontier.plot` too: the best objective at each value
of the swept limit is a step function of the limit (the best package changes at a
threshold and stays until the next), so it is drawn as steps with a marker at each
solved point, never as a line blending two packages; the swept values are the ticks;
the value axis starts at 0, the no-deal value (no request granted, no offer made);
and a point with no strategy is drawn as a red cross on that baseline and labelled.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from advisor.results import Result

if TYPE_CHECKING:
    from advisor.analysis.frontier import Frontier

SVG_STYLE: dict[str, Any] = {"svg.hashsalt": "advisor", "svg.fonttype": "path", "font.size": 9}


def figure(width: float = 8.0, height: float = 4.0) -> Any:
    """A new matplotlib figure and its axes (no pyplot state: safe in a library)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    return fig, fig.add_subplot()


def svg(fig: Any) -> str:
    """The figure as inline SVG text, the same bytes for the same figure."""
    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context(SVG_STYLE):  # type: ignore[arg-type]
        fig.tight_layout()
        fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg"):]


def draw_scenario_values(ax: Any, result: Result) -> None:
    """Each listed strategy's value in every scenario: bars grouped by scenario."""
    names = [w.name for w in result.instance.scenarios]
    strategies = result.strategies
    width = 0.8 / max(len(strategies), 1)
    for i, s in enumerate(strategies):
        xs = [j + (i - (len(strategies) - 1) / 2) * width for j in range(len(names))]
        ax.bar(xs, [s.scenario_values[w] for w in names], width, label=f"strategy {s.rank}")
    ax.set_xticks(range(len(names)), names)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(f"value ({result.instance.money} equivalent)")
    ax.set_title("Value of each strategy in each scenario (0 = no deal)")
    ax.legend(fontsize=7)


def baseline_shares(result: Result) -> dict[str, float]:
    """Each market's share of home's exports before the deal (markets.csv)."""
    total = sum(m.exports for m in result.instance.markets)
    return {m.market: (m.exports / total if total else 0.0) for m in result.instance.markets}


def draw_shares(ax: Any, result: Result) -> None:
    """Market shares before and after strategy 1, caps and floors marked."""
    inst, best = result.instance, result.strategies[0]
    before = baseline_shares(result)
    markets = [m.market for m in best.markets]
    after = {m.market: m.share for m in best.markets}
    xs = range(len(markets))
    ax.bar([x - 0.2 for x in xs], [100 * before.get(m, 0.0) for m in markets], 0.4,
           label="before the deal", color="0.7")
    ax.bar([x + 0.2 for x in xs], [100 * after[m] for m in markets], 0.4,
           label="after strategy 1", color="tab:blue")
    for x, m in zip(xs, markets, strict=True):
        if m in inst.market_share_caps:
            ax.hlines(100 * inst.market_share_caps[m], x - 0.45, x + 0.45, colors="tab:red",
                      label="cap" if m == next(iter(inst.market_share_caps)) else None)
        if m in inst.market_share_floors:
            ax.hlines(100 * inst.market_share_floors[m], x - 0.45, x + 0.45,
                      colors="tab:green", linestyles="dashed",
                      label="floor" if m == next(iter(inst.market_share_floors)) else None)
    ax.set_xticks(list(xs), markets)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"share of {inst.home}'s exports (%)")
    ax.set_title("Market shares before and after the recommended deal")
    ax.legend(fontsize=7)


def draw_frontier(ax: Any, frontier: Frontier) -> None:
    """The best objective against the swept limit, as a step function (see the module)."""
    points = frontier.points
    feasible = [p for p in points if p.strategy is not None]
    xs = [p.value for p in feasible]
    ys = [p.strategy.objective for p in feasible]  # type: ignore[union-attr]
    if feasible:
        ax.step(xs, ys, where="post", color="tab:blue", linewidth=1.2)
        ax.scatter(xs, ys, color="tab:blue", s=20, zorder=3, label="best strategy at the point")
    missing = [p.value for p in points if p.strategy is None]
    if missing:
        ax.scatter(missing, [0.0] * len(missing), marker="x", color="tab:red", s=40, zorder=3,
                   label="no strategy satisfies the rules")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylim(bottom=min(0.0, *ys) if ys else 0.0, top=max([0.0, *ys]) * 1.08 or 1.0)
    values = [p.value for p in points]
    ax.set_xticks(values, [_tick(frontier, v) for v in values], rotation=45, ha="right")
    ax.set_xlabel(frontier.axis_label)
    ax.set_ylabel(f"best objective ({frontier.instance.money} equivalent; 0 = no deal)")
    ax.set_title(f"{frontier.instance.name}: best strategy as the {frontier.axis_label} varies",
                 fontsize=9)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")


def _tick(frontier: Frontier, value: float) -> str:
    if frontier.vary in ("cap", "floor"):
        return f"{100 * value:.1f}%"
    if frontier.vary == "budget":
        return f"{value:,.0f}"
    return f"{value:.2f}"
