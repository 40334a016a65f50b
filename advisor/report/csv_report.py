r"""The CSV reports: each result type's pandas frame, written with full precision.

A ranked result is :meth:`Result.to_frame` (one row per strategy, indexed by ``rank``;
its fixed columns, then ``weighted_protected_value``, ``offer_effect_value`` and
``offer_cost_weight`` (λ), ``share_<market>``, ``share_<market>[<scenario>]`` (the
share in each scenario), ``cap_<market>`` or ``floor_<market>`` with
``tightest_<market>`` (the scenario the limit constrains), ``value_<scenario>`` and
``probability_<scenario>``), an explanation
:meth:`Explanation.to_frame` (one row per decision), a frontier :meth:`Frontier.to_frame`
(one row per point, no index). The columns are the frames' own: a result without
strategies, whose frame is empty, gets the header of the fixed columns from
:data:`advisor.results.FRAME_COLUMNS`, the spec the frame itself is built from. Lines
end in ``\n`` on every platform.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.results import FRAME_COLUMNS, Result

if TYPE_CHECKING:
    from advisor.analysis.diagnose import Diagnosis
    from advisor.analysis.explain import Explanation
    from advisor.analysis.frontier import Frontier


def render_csv(result: Result, diagnosis: Diagnosis | None = None) -> str:
    """One row per strategy (:meth:`Result.to_frame`), indexed by rank; header only if none.

    A diagnosis has no place in this table (it is in the other formats).
    """
    if not result.strategies:
        return ",".join(name for name, _ in FRAME_COLUMNS) + "\n"
    return result.to_frame().to_csv(lineterminator="\n")


def render_explanation_csv(explanation: Explanation, result: Result) -> str:
    """One row per decision (:meth:`Explanation.to_frame`); ``result`` is not needed."""
    return explanation.to_frame().to_csv(lineterminator="\n")


def render_frontier_csv(frontier: Frontier, plot: str | None = None) -> str:
    """One row per point (:meth:`Frontier.to_frame`), without an index.

    ``plot`` is not part of the table.
    """
    return frontier.to_frame().to_csv(index=False, lineterminator="\n")
