"""The drawing of a bargaining analysis (:meth:`advisor.analysis.bargain.Bargain.plot`).

Home's value on x (objective units), the counterpart's surplus on y (its money): the
efficient strategies as a staircase, the reservation values as dashed lines, the
ZOPA shaded, the ideal point with the line to it from the reservation point, the
Nash and Kalai–Smorodinsky points marked. Written atomically (:mod:`advisor.files`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.analysis.bargain import Bargain


def draw(result: Bargain, path: str | Path) -> Path:
    """Draw ``result`` to ``path`` (PNG or SVG by its suffix); return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from advisor.files import save_figure

    fig, ax = plt.subplots(figsize=(9, 6), dpi=100)
    try:
        _frontier(ax, result)
        _reservations(ax, result)
        _solutions(ax, result)
        money = result.instance.money
        ax.set_xlabel(f"home's expected value ({money}, objective units)")
        ax.set_ylabel(f"{result.instance.counterpart}'s expected surplus ({money})")
        ax.set_title(f"{result.instance.name}\nbargaining frontier", fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        return save_figure(fig, path)
    finally:
        plt.close(fig)


def _frontier(ax: Any, result: Bargain) -> None:
    xs = [p.home_value for p in result.points]
    ys = [p.counterpart_surplus for p in result.points]
    if xs:
        ax.step(xs, ys, where="post", color="0.7", zorder=1)
    ax.scatter(xs, ys, color="tab:blue", s=16, zorder=2, label="efficient strategy")


def _reservations(ax: Any, result: Bargain) -> None:
    dh, dc = result.home_reservation, result.counterpart_reservation
    ax.axvline(dh, color="tab:red", linestyle="--", linewidth=0.8, label="home's reservation")
    ax.axhline(
        dc, color="tab:purple", linestyle="--", linewidth=0.8, label="counterpart's reservation"
    )
    ideal = result.ideal
    if ideal is None:
        return
    ax.axvspan(dh, ideal[0], ymin=0, ymax=1, color="tab:green", alpha=0.06, label="ZOPA (x range)")
    ax.plot([dh, ideal[0]], [dc, ideal[1]], color="0.4", linestyle=":", linewidth=1)
    ax.scatter([ideal[0]], [ideal[1]], marker="x", color="0.3", s=40, label="ideal point")


def _solutions(ax: Any, result: Bargain) -> None:
    marks = (
        (result.nash_point, "o", "tab:orange", "Nash"),
        (result.kalai_smorodinsky_point, "D", "tab:green", "Kalai–Smorodinsky"),
    )
    for point, marker, colour, name in marks:
        if point is None:
            continue
        ax.scatter(
            [point.home_value],
            [point.counterpart_surplus],
            marker=marker,
            facecolors="none",
            edgecolors=colour,
            s=140,
            linewidths=2,
            zorder=4,
            label=name,
        )
