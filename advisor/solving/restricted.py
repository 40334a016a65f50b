r"""A package's LP on the lines near a tie, the others fixed and then proven fixed.

With the offers fixed at a package y, the LP relaxation is, per tariff line ℓ, a
choice among the options its rows allow (no request, or one tier), tied together
only by the handful of coupling rows. For multipliers λ on those rows an option's
λ-reduced value is v_o = (c - λA)_o (v_0 = 0). At the optimal λ most lines have one
option clearly best; only the lines near a tie can be split or move. So:

1. With λ from the Lagrangian dual (the best multipliers known), every line whose
   best allowed option beats its second by more than :data:`FREE_SHARE` of what the
   coupling rows contribute to the two (Σ_i |λ_i| (|A_{i,o₁}| + |A_{i,o₂}|)) is
   *fixed* at its best option (its columns' bounds); tiers its rows forbid under y
   are fixed at 0. HiGHS's presolve removes the fixed columns, so the LP it solves
   has the free lines only (at 50,000 lines, seed 1: 3,813 lines for the best
   package, 5,407 for the next, against 112,000 columns for the whole LP).
2. With that LP's duals λ' on the coupling rows, each fixed line's option must
   still be its best: v'_{o*} ≥ v'_o for every allowed o, within
   :data:`DUAL_TOLERANCE`. Lines that fail are freed and the LP solved again (at
   most :data:`MAX_ROUNDS` times; then the caller solves the whole LP).
2'. If the restricted LP is infeasible, HiGHS's dual ray r (over the rows) proves it:
   with d = Aᵀr, every x in the restricted box has d·x ≤ C(r) = Σ_j max(d_j l_j,
   d_j u_j), while every x keeping the rows has d·x = r·(Ax) ≥ R(r) = Σ_i
   min(r_i L_i, r_i U_i), and C(r) < R(r). The same r proves the *package's* LP
   infeasible when, in its box (fixed lines free again, within their allowed
   tiers), C(r) is unchanged: when each fixed line's option already maximises its
   share of d·x. Lines where another allowed option gives more are freed and the LP
   solved again (a round, as in step 2); when none is, the package has no
   strategy, proven without its whole LP. No ray, or a proof that does not hold to
   :data:`FARKAS_TOLERANCE`: the caller solves the whole LP.
3. Once every fixed line passes, the restricted optimum x is an optimum of the LP
   with the forbidden tiers at 0 (a relaxation of the same strategies, as tight as
   the whole package LP or tighter), by an optimal dual built from its duals: the
   coupling and free rows keep HiGHS's duals; a fixed line's rows get 0, except its
   one-tier row Σ_t x_t ≤ 1, which gets π_ℓ = v'_{o*} (≥ 0: no request is
   allowed). Then every reduced cost d = c - Aᵀπ of a fixed line's allowed tier is
   v'_t - π_ℓ ≤ 0 (0 for the chosen tier, at its upper bound), complementary
   slackness holds (π_ℓ > 0 only on a full one-tier row), and primal and dual are
   feasible: x and (π, d) are optimal, as a fresh solve's would be, and the
   completion's reduced-cost argument (:mod:`advisor.solving.completion`) holds.

A line is only fixed when it has no more than one tier or a one-tier row of that
form, and no request is one of its options under y.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np

from advisor.solving.completion import Relaxation
from advisor.solving.lagrangian import PackageBounds, line_span, option_values

FREE_SHARE = 0.05  # a line within this share of its coupling terms of a tie stays free
DUAL_TOLERANCE = 1e-9  # relative to the largest cost: a fixed option this close to best passes
MAX_ROUNDS = 4  # restricted LPs solved before the whole LP is
FARKAS_TOLERANCE = 1e-9  # C(r) < R(r) by this much of the terms' size proves infeasibility

Run = Callable[[highspy.Highs], highspy.HighsModelStatus]  # a solve, with the search's limit
INFEASIBLE = "infeasible"  # RestrictedLp.solve: the package's LP proven infeasible


@dataclass(frozen=True)
class LineLayout:
    """Every line's tier columns, its group, and its one-tier row (-1: none, or not needed).

    ``columns[ℓ, t]`` is line ℓ's t-th tier (-1 where it has fewer); ``row_line`` gives
    each row's line (-1: none or several); ``fixable`` says whether a line may be fixed.
    """

    columns: np.ndarray
    group: np.ndarray
    one_tier_row: np.ndarray
    row_line: np.ndarray
    fixable: np.ndarray

    @classmethod
    def of(cls, bounds: PackageBounds, row_upper: np.ndarray) -> LineLayout:
        """The layout of ``bounds``' lines in its matrix (``row_upper``: the rows' upper sides)."""
        width = max((g.columns.shape[1] for g in bounds.groups), default=0)
        blocks = [np.pad(g.columns, ((0, 0), (0, width - g.columns.shape[1])), constant_values=-1)
                  for g in bounds.groups]
        columns = np.vstack(blocks) if blocks else np.zeros((0, width), dtype=np.int64)
        none = [np.zeros(0, dtype=np.int64)]  # no lines at all: empty arrays
        group = np.concatenate(
            [np.full(len(g.columns), k) for k, g in enumerate(bounds.groups)] or none
        )
        line_of_column = np.full(bounds.matrix.shape[1], -1, dtype=np.int64)
        present = columns >= 0
        line_of_column[columns[present]] = np.nonzero(present)[0]
        tiers = present.sum(axis=1)
        row_line, one_tier = _line_rows(bounds, line_of_column, tiers, row_upper)
        one_tier_row = np.full(len(columns), -1, dtype=np.int64)
        found = one_tier >= 0
        one_tier_row[row_line[found]] = np.flatnonzero(found)
        counted = np.bincount(row_line[found], minlength=len(columns))
        fixable = (tiers <= 1) | (counted == 1)
        return cls(columns, group.astype(np.int64), one_tier_row, row_line, fixable)


def _line_rows(
    bounds: PackageBounds, line_of_column: np.ndarray, tiers: np.ndarray, row_upper: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's line (-1 if it holds none or several), and which rows are one-tier rows.

    A one-tier row holds every tier (``tiers`` per line) of one line with coefficient
    1, no offer, and has upper side 1.
    """
    matrix = bounds.matrix
    rows = matrix.shape[0]
    smallest, largest = line_span(matrix, line_of_column)
    row_line = np.where((largest >= 0) & (smallest == largest), largest, -1)
    entry_row = np.repeat(np.arange(rows), np.diff(matrix.indptr))
    off_line = np.bincount(entry_row[line_of_column[matrix.indices] < 0], minlength=rows)
    not_one = np.bincount(entry_row[matrix.data != 1.0], minlength=rows)
    entries = np.diff(matrix.indptr)
    row_tiers = np.where(row_line >= 0, tiers[np.maximum(row_line, 0)], 0)
    is_one_tier = (
        (row_line >= 0) & (off_line == 0) & (not_one == 0) & (entries == row_tiers)
        & (row_upper == 1.0)
    )
    return row_line, np.where(is_one_tier, row_line, -1)


@dataclass
class RestrictedLp:
    """Package LPs solved on the lines near a tie (the module's steps 1-3)."""

    bounds: PackageBounds
    layout: LineLayout
    highs: highspy.Highs
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    rounds_last: int = 0  # restricted LPs the last solve took
    freed: int = 0  # lines left free in the last settled LP

    @classmethod
    def of(
        cls, bounds: PackageBounds, highs: highspy.Highs, lower: np.ndarray, upper: np.ndarray
    ) -> RestrictedLp:
        """For the search's LP ``highs`` (its model's column bounds ``lower``, ``upper``)."""
        lp = highs.getLp()
        row_lower, row_upper = (np.array(b, dtype=float) for b in (lp.row_lower_, lp.row_upper_))
        layout = LineLayout.of(bounds, row_upper)
        return cls(bounds, layout, highs, lower, upper, row_lower, row_upper)

    def solve(self, package: int, lam: np.ndarray, run: Run) -> Relaxation | str | None:
        """Package ``package``'s LP optimum (see the module), or None: solve the whole LP.

        :data:`INFEASIBLE` when step 2' proved the package's LP infeasible. ``lam``:
        multipliers on the coupling rows to start from; ``run(highs)`` solves and
        returns HiGHS's model status (the search's, with its time limit).
        """
        self.rounds_last = 0
        allowed = self._allowed(package)
        if not np.any(self.layout.fixable & allowed[:, 0]):
            return None
        values, chosen = self._best(lam, allowed)
        free = self._near_tie(lam, values, chosen) | ~self.layout.fixable | ~allowed[:, 0]
        try:
            for _ in range(MAX_ROUNDS):
                solution = self._solve_with(package, allowed, chosen, free, run)
                if solution is None:
                    refuted = self._refuted_lines(package, allowed, chosen, free)
                    if refuted is None:
                        return None
                    if not np.any(refuted):
                        return INFEASIBLE
                    free |= refuted
                    continue
                lam_now = np.asarray(solution.row_dual)[self.bounds.coupling]
                now, _ = self._best(lam_now, allowed)
                broken = ~free & self._not_best(now, chosen)
                if not np.any(broken):
                    self.freed = int(np.sum(free))
                    return self._relaxation(solution, chosen, free, now)
                free |= broken
            return None
        finally:
            self._restore()

    # ------------------------------------------------------------------ steps

    def _allowed(self, package: int) -> np.ndarray:
        """Which options (no request, then each tier) each line's rows allow under the package."""
        width = self.layout.columns.shape[1] + 1
        allowed = np.zeros((len(self.layout.columns), width), dtype=bool)
        for k, group in enumerate(self.bounds.groups):
            mask = group.masks[group.code[package]]
            allowed[self.layout.group == k, : len(mask)] = mask
        return allowed

    def _best(self, lam: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The options' λ-reduced values (-∞ where not allowed) and each line's best."""
        reduced = self.bounds.cost - self.bounds.coupling_matrix.T @ lam
        values = option_values(self.layout.columns, reduced)
        values = np.where(allowed, values, -np.inf)
        return values, np.argmax(values, axis=1)

    def _near_tie(self, lam: np.ndarray, values: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """Lines whose best option beats the second by at most FREE_SHARE of their coupling terms.

        The terms are Σ_i |λ_i| (|A_{i,o₁}| + |A_{i,o₂}|): how far the two could move
        apart if λ moved by its own size.
        """
        lines = np.arange(len(values))
        best = values[lines, chosen]
        rest = values.copy()
        rest[lines, chosen] = -np.inf
        second = np.argmax(rest, axis=1)
        margin = best - rest[lines, second]
        weight = np.abs(lam) @ abs(self.bounds.coupling_matrix)
        weight = np.asarray(weight).ravel()
        column_weight = np.concatenate(([0.0], weight))  # option 0 (no request) weighs 0
        option_column = np.hstack([np.full((len(values), 1), -1), self.layout.columns])
        terms = (column_weight[option_column[lines, chosen] + 1]
                 + column_weight[option_column[lines, second] + 1])
        return margin <= FREE_SHARE * terms

    def _not_best(self, values: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """Lines whose chosen option is beaten, under these values, beyond the tolerance."""
        lines = np.arange(len(values))
        scale = max(1.0, float(np.max(np.abs(self.bounds.cost), initial=0.0)))
        return np.max(values, axis=1) > values[lines, chosen] + DUAL_TOLERANCE * scale

    def _solve_with(
        self,
        package: int,
        allowed: np.ndarray,
        chosen: np.ndarray,
        free: np.ndarray,
        run: Run,
    ) -> highspy.HighsSolution | None:
        """The LP with fixed lines at their option, forbidden tiers at 0; None if not optimal."""
        columns = self.layout.columns
        present = columns >= 0
        tier_allowed = allowed[:, 1:]
        lower = np.where(present, self.col_lower[np.maximum(columns, 0)], 0.0)
        upper = np.where(present & tier_allowed, self.col_upper[np.maximum(columns, 0)], 0.0)
        fixed = ~free
        pick = np.zeros_like(present)
        rows = np.flatnonzero(fixed & (chosen > 0))
        pick[rows, chosen[rows] - 1] = True
        lower = np.where(fixed[:, None], pick.astype(float), np.minimum(lower, upper))
        upper = np.where(fixed[:, None], pick.astype(float), upper)
        offers = self.bounds.offer_columns
        index = np.concatenate([columns[present], offers]).astype(np.int32)
        y = self.bounds.packages[package]
        low = np.concatenate([lower[present], y])
        high = np.concatenate([upper[present], y])
        self.highs.changeColsBounds(len(index), index, low, high)
        self.highs.clearSolver()
        self.rounds_last += 1
        if run(self.highs) != highspy.HighsModelStatus.kOptimal:
            return None
        return self.highs.getSolution()

    def _refuted_lines(
        self, package: int, allowed: np.ndarray, chosen: np.ndarray, free: np.ndarray
    ) -> np.ndarray | None:
        """Step 2': the fixed lines the dual ray's proof does not cover (none: proven).

        None when the restricted LP is not proven infeasible by a ray of HiGHS's.
        """
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kInfeasible:
            return None
        _, has_ray, ray = self.highs.getDualRay()  # type: ignore[attr-defined]  # not in the stubs
        if not has_ray:
            return None
        lower, upper = self._package_box(package, allowed)
        columns, fixed = self.layout.columns, ~free
        at = np.zeros((len(columns), columns.shape[1]), dtype=bool)  # the fixed lines' tiers
        rows = np.flatnonzero(fixed & (chosen > 0))
        at[rows, chosen[rows] - 1] = True
        for r in (np.asarray(ray, dtype=float), -np.asarray(ray, dtype=float)):
            side = self._row_side(r)
            if side is None:
                continue
            d = self.bounds.matrix.T @ r
            share = np.maximum(d * lower, d * upper)  # each column's most in the package's box
            in_box = np.where(columns >= 0, share[np.maximum(columns, 0)], 0.0).sum(axis=1)
            at_fixed = np.where(at, d[np.maximum(columns, 0)], 0.0).sum(axis=1)
            gain = np.where(fixed, in_box - at_fixed, 0.0)  # what freeing each fixed line adds
            margin = FARKAS_TOLERANCE * max(1.0, float(np.sum(np.abs(share))) + abs(side))
            if float(np.sum(share)) < side - margin:
                return np.zeros(len(columns), dtype=bool)  # the package's LP: proven infeasible
            short = side - float(np.sum(share) - np.sum(gain))  # how far the proof holds
            if short > margin:
                return _most_gain(gain, short)
        return None

    def _row_side(self, r: np.ndarray) -> float | None:
        """R(r) = Σ_i min(r_i L_i, r_i U_i), the least r·(Ax) for x keeping the rows (None: -∞)."""
        up, down = r > 0, r < 0
        if np.any(~np.isfinite(self.row_lower[up])) or np.any(~np.isfinite(self.row_upper[down])):
            return None
        return float(r[up] @ self.row_lower[up] + r[down] @ self.row_upper[down])

    def _package_box(self, package: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every column's bounds in the package's LP: its offers fixed, forbidden tiers at 0."""
        lower, upper = self.col_lower.copy(), self.col_upper.copy()
        columns = self.layout.columns
        present = columns >= 0
        forbidden = columns[present & ~allowed[:, 1:]]
        upper[forbidden] = 0.0
        lower[forbidden] = np.minimum(lower[forbidden], 0.0)
        lower[self.bounds.offer_columns] = upper[self.bounds.offer_columns] = (
            self.bounds.packages[package]
        )
        return lower, upper

    def _relaxation(
        self,
        solution: highspy.HighsSolution,
        chosen: np.ndarray,
        free: np.ndarray,
        values: np.ndarray,
    ) -> Relaxation:
        """The optimum of step 3: x, and the dual built for the fixed lines."""
        x = np.array(solution.col_value)
        row_dual = np.array(solution.row_dual)
        fixed_line = np.zeros(len(free) + 1, dtype=bool)
        fixed_line[:-1] = ~free
        row_line = self.layout.row_line
        row_dual[fixed_line[row_line]] = 0.0  # row_line -1 reads the False at the end
        lines = np.flatnonzero(~free & (self.layout.one_tier_row >= 0))
        best = values[lines, chosen[lines]]
        row_dual[self.layout.one_tier_row[lines]] = np.maximum(best, 0.0)
        matrix = self.bounds.matrix
        reduced = self.bounds.cost - matrix.T @ row_dual
        activity = matrix @ x
        bound = float(self.bounds.cost @ x + self.bounds.offset)
        return Relaxation(bound, x, np.abs(reduced), activity, row_dual)

    def _restore(self) -> None:
        """Every column's bounds as the search had them."""
        n = len(self.col_lower)
        self.highs.changeColsBounds(n, np.arange(n, dtype=np.int32), self.col_lower, self.col_upper)


def _most_gain(gain: np.ndarray, short: float) -> np.ndarray:
    """The lines of largest gain, just enough that freeing them adds more than ``short``.

    Freed, they break this ray's proof of the restricted LP (its C(r) then reaches
    R(r)); the next LP is feasible or gives another ray. The first of equal gains
    first (a stable sort): the same lines on every run.
    """
    order = np.argsort(-gain, kind="stable")
    enough = int(np.searchsorted(np.cumsum(gain[order]), short, side="right")) + 1
    freed = np.zeros(len(gain), dtype=bool)
    freed[order[:enough]] = True
    return freed & (gain > 0)
