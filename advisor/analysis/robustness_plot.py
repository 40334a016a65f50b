"""The drawing of a robustness analysis (:meth:`advisor.analysis.robustness.Robustness.plot`).

One box per listed strategy: its realised value over the draws (objective units; a
draw in which it breaks a rule counts 0, no deal), whiskers at the 5th and 95th
percentiles, the mean as a dot, its base objective as a cross and its CVaR as a
dash; the recommended strategy's box is filled. Written atomically
(:mod:`advisor.files`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.analysis.robustness import Robustness


def plot_robustness(result: Robustness, path: str | Path) -> Path:
    """Draw ``result`` to ``path`` (PNG or SVG by its suffix); return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from advisor.files import save_figure

    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=100)
    try:
        ranks = [s.rank for s in result.strategies]
        data = [result.realised[:, i] for i in range(len(ranks))]
        if data:
            boxes = ax.boxplot(data, whis=(5, 95), patch_artist=True, showfliers=False)
            for rank, box in zip(ranks, boxes["boxes"], strict=True):
                box.set_facecolor("tab:blue" if rank == result.recommended else "white")
            x = range(1, len(ranks) + 1)
            ax.plot(x, [s.mean for s in result.strategies], "o", color="black", label="mean")
            ax.plot(x, [s.base_objective for s in result.strategies], "x", color="tab:red",
                    label="base objective")
            ax.plot(x, [s.cvar for s in result.strategies], "_", color="tab:orange",
                    markersize=14, label="CVaR 5%")
            ax.set_xticks(list(x), [f"#{r}" for r in ranks])
            ax.legend(loc="best", fontsize=8)
        ax.set_xlabel(f"listed strategy (filled: recommended by {result.robust_choice})")
        ax.set_ylabel(f"realised value ({result.money}, objective units)")
        ax.set_title(f"{result.instance.name}\n{result.draws} draws, seed {result.seed}",
                     fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        return save_figure(fig, path)
    finally:
        plt.close(fig)
