r"""The packages' first bounds from the Lagrangian dual, instead of the root LP.

Every multiplier λ of the right signs bounds every package y at once:
f(y) ≤ L(λ, y) (:mod:`advisor.solving.lagrangian`). The enumerated search needs
first bounds B(y) before it prices any package; it took them from the duals of
the LP relaxation with the offers relaxed, whose simplex dominates a 50,000-line
solve (97,000 × 112,000, 23-36 s). This module minimises instead

.. math:: F(λ) = \max_y L(λ, y),

the Lagrangian dual over the handful of coupling rows, in numpy: F is convex and
piecewise linear, each evaluation is :meth:`PackageBounds.evaluate` (every package
in one pass) and a subgradient comes from the maximising package's lines
(:meth:`PackageBounds.subgradient`). Since y and the lines' options stay integral,
min F is at most the root LP's optimum: as strong a bound on the best package, and
every λ met on the way tightens every package, so

.. math:: B(y) = \min_{k} L(λ_k, y)

over all the evaluated λ_k, tighter than one LP's duals for most packages.

**Bundle method with a trust region** (Kelley's cutting planes kept in a box): the
cuts F(λ_k) + g_k·(λ - λ_k) ≤ F(λ) model F from below; the master LP
min θ s.t. θ ≥ each cut, λ within the box |λ_i - λ̂_i| ≤ Δ_i around the best point
λ̂ and of the signs its row allows (solved by HiGHS, m + 1 columns) proposes λ; a
*serious step* moves λ̂ there when F drops by at least a tenth of what the model
predicted (doubling Δ when the step reached the box's edge), else a *null step*
keeps the cut and halves Δ. Stops when the predicted decrease is below
:data:`DUAL_TOLERANCE` of |F(λ̂)|, Δ has shrunk to nothing or grown without end
(F falling along a ray: then the coupling rows cannot all hold, and the search's
first package LP finds it so), or after :data:`MAX_EVALUATIONS`; any λ met gives
valid bounds, so stopping early only loosens them. The first box is Δ_i = max|c| / max_j |A_ij|, the
multiplier that would cancel the largest cost on row i. Every step is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from advisor.solving.lagrangian import PackageBounds
from advisor.solving.runtime import quiet_stdout

DUAL_TOLERANCE = 1e-7  # stop when the model predicts F can drop by less than this, relatively
MAX_EVALUATIONS = 200  # F evaluated at most this often (each one pass over the packages)
SERIOUS_STEP = 0.1  # a step is taken when F drops by this share of the predicted decrease
SMALLEST_BOX = 1e-12  # Δ this small (relative to the first) ends the descent
LARGEST_BOX = 1e6  # Δ this large ends it too: F falls without end (no strategy keeps the rows)


@dataclass(frozen=True)
class DualBounds:
    """B(y) = min_k L(λ_k, y) per package, the best λ found, F there, evaluations made."""

    bound: np.ndarray
    multipliers: np.ndarray
    value: float
    evaluations: int


def descend(bounds: PackageBounds, start: np.ndarray | None = None) -> DualBounds:
    """Minimise F(λ) = max_y L(λ, y) from λ = ``start`` (None: 0), as the module says."""
    low, high = _sign_box(bounds)
    centre = np.zeros(len(bounds.coupling)) if start is None else np.clip(start, low, high)
    if not bounds.size:  # no package keeps the offer rows and every line's: nothing to bound
        return DualBounds(np.zeros(0), centre, -np.inf, 0)
    best, value, cut = _evaluate(bounds, centre)
    box = _first_box(bounds)
    smallest, largest = SMALLEST_BOX * box, LARGEST_BOX * box
    master = _Master(len(centre))
    master.add(centre, value, cut)
    evaluations = 1
    while evaluations < MAX_EVALUATIONS and np.all(box > smallest) and np.all(box < largest):
        proposed = master.solve(np.maximum(low, centre - box), np.minimum(high, centre + box))
        if proposed is None:
            break
        proposal, model_value = proposed
        predicted = value - model_value
        if predicted <= DUAL_TOLERANCE * max(1.0, abs(value)):
            break
        bound, new_value, new_cut = _evaluate(bounds, proposal)
        evaluations += 1
        best = np.minimum(best, bound)
        master.add(proposal, new_value, new_cut)
        if value - new_value >= SERIOUS_STEP * predicted:
            at_edge = np.any(np.abs(np.abs(proposal - centre) - box) <= 1e-9 * box)
            centre, value = proposal, new_value
            box = box * 2.0 if at_edge else box
        else:
            box = box * 0.5
    return DualBounds(best, centre, value, evaluations)


def _evaluate(bounds: PackageBounds, lam: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """L(λ, ·) for every package, F(λ) (their largest) and a subgradient of F at λ."""
    bound = bounds.evaluate(lam)
    top = int(np.argmax(bound))
    return bound, float(bound[top]), bounds.subgradient(lam, top)


def _sign_box(bounds: PackageBounds) -> tuple[np.ndarray, np.ndarray]:
    """The signs each row's finite sides allow: λ_i ≥ 0 without l_i, ≤ 0 without u_i."""
    low = np.where(np.isfinite(bounds.lower), -np.inf, 0.0)
    high = np.where(np.isfinite(bounds.upper), np.inf, 0.0)
    return low, high


def _first_box(bounds: PackageBounds) -> np.ndarray:
    """Δ_i = max|c| / max_j |A_ij|: the multiplier that cancels the largest cost on row i."""
    largest_cost = max(float(np.max(np.abs(bounds.cost), initial=0.0)), 1.0)
    largest_entry = abs(bounds.coupling_matrix).max(axis=1).toarray().ravel()
    return largest_cost / np.maximum(largest_entry, 1e-12)


class _Master:
    """min θ s.t. θ ≥ F_k + g_k·(λ - λ_k) for every cut k, λ in a box: a HiGHS LP."""

    def __init__(self, size: int) -> None:
        """Columns λ_1 … λ_m and θ; no cuts yet."""
        self.size = size
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("threads", 1)
        inf = highspy.kHighsInf
        self.highs.addVars(size + 1, np.full(size + 1, -inf), np.full(size + 1, inf))
        cost = np.zeros(size + 1)
        cost[-1] = 1.0
        self.highs.changeColsCost(size + 1, np.arange(size + 1, dtype=np.int32), cost)

    def add(self, lam: np.ndarray, value: float, cut: np.ndarray) -> None:
        """The cut g·λ - θ ≤ g·λ_k - F_k."""
        index = np.arange(self.size + 1, dtype=np.int32)
        coefficients = np.append(cut, -1.0)
        upper = float(cut @ lam) - value
        self.highs.addRow(-highspy.kHighsInf, upper, self.size + 1, index, coefficients)

    def solve(self, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, float] | None:
        """The model's minimiser within [low, high] and its value θ; None if HiGHS fails."""
        index = np.arange(self.size, dtype=np.int32)
        self.highs.changeColsBounds(self.size, index, low, high)
        with quiet_stdout():
            self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None  # numerical trouble: the bounds found so far stand
        solution = np.array(self.highs.getSolution().col_value)
        return solution[: self.size], float(solution[-1])
