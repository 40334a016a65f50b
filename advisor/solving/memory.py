r"""What one offer-package search leaves for the next, on a model changed in between.

An explanation at tariff-line scale re-solves one model about twenty times, each
time with one rule removed or one limit relaxed (its offer flips run apart, without
a memory). Two things carry over from search to search, both exact:

**Multipliers.** For any λ (one per coupling row, of the sign its row's finite side
allows) L(λ, y) bounds every package y of *whichever* model the bounds are built
from (weak duality, :mod:`advisor.solving.lagrangian`). So the row duals of every
LP solved so far, and the multipliers of the first search's Lagrangian dual
(:mod:`advisor.solving.lagrangian_dual`), are kept, read against the rows as they
are now (a freed row's side is infinite, so its multiplier is taken as 0), and give
the next search its first bounds; the duals of a nearby model are nearly optimal for this one.

**Package LP optima.** Let x* with duals (π, d) be an optimum of package y's LP in
an earlier model, and let the rows R differ now (bounds freed or moved,
coefficients changed: the rule re-solved), costs and column bounds unchanged. If
π_i = 0 for every i ∈ R and x* keeps the rows of R as they are now, then x* is
feasible now, (π, d) is still dual feasible (d = c - Aᵀπ does not involve the rows
of R) and complementary, so x* is an optimum of y's LP now: U(y) and x*, π, d stand
for a fresh solve, and the completion's reduced-cost argument
(:mod:`advisor.solving.completion`) holds with them. Checked exactly: π_i == 0 (a
basic row's dual) and x*'s activity within the bounds by HiGHS's primal feasibility
tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import highspy
import numpy as np
import scipy.sparse as sp

from advisor.solving.completion import Relaxation
from advisor.solving.session import within


@dataclass(eq=False)
class _Model:
    """One model as a search saw it, and the package LP optima found on it."""

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    matrix: sp.csr_matrix
    optima: dict[bytes, Relaxation] = field(default_factory=dict)


@dataclass
class SearchMemory:
    """Row duals and package LP optima of earlier searches of one session's model."""

    duals: list[np.ndarray] = field(default_factory=list)
    models: list[_Model] = field(default_factory=list)

    def seen(self, lp: highspy.HighsLp, matrix: sp.csr_matrix) -> ModelView:
        """The memory as it applies to ``lp`` (a search's model, with ``matrix``)."""
        now = _Model(
            np.array(lp.col_cost_, dtype=float),
            np.array(lp.col_lower_, dtype=float),
            np.array(lp.col_upper_, dtype=float),
            np.array(lp.row_lower_, dtype=float),
            np.array(lp.row_upper_, dtype=float),
            matrix,
        )
        earlier = []
        for model in self.models:
            changed = _changed_rows(model, now)
            if changed is not None and not len(changed):
                now = model  # the same model: its optima are this search's too
            elif changed is not None:
                earlier.append((model, changed))
        if not any(model is now for model in self.models):
            self.models.append(now)
        duals = [d for d in self.duals if len(d) == len(now.row_lower)]
        return ModelView(self, now, earlier, duals)


@dataclass
class ModelView:
    """:class:`SearchMemory` for one search: usable duals, optima still optimal."""

    memory: SearchMemory
    now: _Model
    earlier: list[tuple[_Model, np.ndarray]]
    duals: list[np.ndarray]

    def optimum(self, package: np.ndarray) -> Relaxation | None:
        """Package's LP optimum from this model or an earlier one, when still optimal."""
        key = package.tobytes()
        if key in self.now.optima:
            return self.now.optima[key]
        for model, rows in self.earlier:
            lp = model.optima.get(key)
            if lp is not None and not np.any(lp.row_dual[rows]):
                activity = self.now.matrix @ lp.x
                if within(activity[rows], self.now.row_lower[rows], self.now.row_upper[rows]):
                    found = replace(lp, activity=activity)
                    self.now.optima[key] = found
                    return found
        return None

    def keep_multipliers(self, rows: np.ndarray, lam: np.ndarray) -> None:
        """Remember multipliers found without an LP (the Lagrangian dual's) on ``rows``."""
        row_dual = np.zeros(len(self.now.row_lower))
        row_dual[rows] = lam
        self.memory.duals.append(row_dual)

    def keep(self, package: np.ndarray | None, lp: Relaxation) -> None:
        """Remember an LP solved afresh: its duals, and its optimum if it is a package's."""
        self.memory.duals.append(lp.row_dual)
        if package is not None:
            self.now.optima[package.tobytes()] = lp


def _changed_rows(old: _Model, new: _Model) -> np.ndarray | None:
    """The rows that differ between two models; None if more than rows differ."""
    same_columns = (
        old.matrix.shape == new.matrix.shape
        and np.array_equal(old.cost, new.cost)
        and np.array_equal(old.col_lower, new.col_lower)
        and np.array_equal(old.col_upper, new.col_upper)
    )
    if not same_columns:
        return None
    bounds = (old.row_lower != new.row_lower) | (old.row_upper != new.row_upper)
    difference = old.matrix - new.matrix
    difference.eliminate_zeros()
    coefficients = np.unique(difference.tocoo().row)
    return np.union1d(np.flatnonzero(bounds), coefficients)
