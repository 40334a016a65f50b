r"""Completing an offer package: its best requests, exact to the gap.

Once the offers are fixed at a package y, the request part of the model is a
multiple-choice knapsack with a handful of coupling rows (reciprocity, each market
cap and floor per scenario). The search hands over y with an LP optimum x* of the
model with the offers fixed (bound U(y)); this module finds f(y), the best value of
a strategy with offers y, within the gap.

**Core reduced-cost fixing.** LP duality gives, for every feasible x with offers y
(d_r the reduced costs, π_i the duals of the rows whose slack s_i is an integer:
one tier per sector, the conditions),

.. math:: c^T x ≤ U(y) - Σ_r |d_r| \, |x_r - x^*_r| - Σ_i |π_i| \, |s_i - s^*_i|,

so a strategy that moves a request or an integer row priced above δ is worth less
than U(y) - δ. The *core* MILP fixes every request at a bound of x* with |d_r| > δ,
and holds every tight integer row with |π_i| > δ, and HiGHS solves what is left: a
value L, with dual bound B. Then f(y) ≤ max(B, U(y) - δ); when L is within the gap
of that, the completion is done. Otherwise δ grows (a core CORE_GROWTH times
larger), or jumps to U(y) - L, where the core is exact. With ``per_package`` K > 1
(strict K-best), the core yields its K best strategies by no-good cuts over its
free requests, and the K-th takes L's place.

**Branching on the large fractional lines.** At 10,000 lines a package's LP optimum
often splits one large tariff line between two tiers; the optimum puts it in one
tier and re-balances dozens of small lines, so U(y) - f(y) is above the gap while
thousands of requests have a reduced cost below it: the exact core is nearly the
whole package, and HiGHS needs tens of seconds per such MILP (seed 7: 26-36 s, most
of it in its sub-MIP heuristics looking for a strategy within the gap). So when
the first core does not prove its node, the node is split on the fractional request
worth the most, |c_r| · min(x*_r, 1 - x*_r): r fixed at 0 and at 1, each child's LP
solved (on a second HiGHS object of the completion thread, made when first needed),
and completed the same way, best LP bound first. A child whose LP bound is within
the gap of the K-th strategy already found is not explored: its bound stands for
it. Once the large line is whole the child's LP is nearly integral and its first
core proves it (seed 7's hardest package: 35 s → a few seconds).

**Merging the children.** A node's answer is its K best strategies s_1 … s_K, each
with a bound β_k on the best strategy of the node other than s_1 … s_{k-1}, and a
bound on everything not listed. The parent lists the K best of its children's
strategies; the k-th's bound is the largest over the children of their bound on
what they have not yet contributed. Every bound is an LP or MILP bound of a part of
the package, so the package's value is exact to the gap, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import highspy
import numpy as np

from advisor.solving.runtime import quiet_stdout

INTEGRAL_TOLERANCE = 1e-9  # a request this close to 0 or 1 is at a bound of the LP
CORE_SIZE = 500  # requests (and rows) left free in the first core MILP of a completion
CORE_GROWTH = 4  # each later core frees this many times more, until the exact one
BRANCH_DEPTH = 6  # at most this many large lines branched on along one path
INFEASIBLE = (
    highspy.HighsModelStatus.kInfeasible,
    highspy.HighsModelStatus.kUnboundedOrInfeasible,  # bounded binaries: infeasible
)


@dataclass(frozen=True)
class Relaxation:
    """An LP optimum: bound U, primal x, |reduced costs|, row activities, row duals."""

    bound: float
    x: np.ndarray
    reduced: np.ndarray
    activity: np.ndarray
    row_dual: np.ndarray

    @property
    def row_price(self) -> np.ndarray:
        """|row duals|: what moving a row's activity by one costs at least."""
        return np.abs(self.row_dual)


def relaxation_of(highs: highspy.Highs) -> Relaxation:
    """The optimum HiGHS has just found for an LP."""
    solution = highs.getSolution()
    return Relaxation(
        highs.getInfo().objective_function_value,
        np.array(solution.col_value),
        np.abs(np.array(solution.col_dual)),
        np.array(solution.row_value),
        np.array(solution.row_dual),
    )


@dataclass(frozen=True)
class Completion:
    """One strategy: value, solution, the bound of its node without those listed before it."""

    value: float
    x: np.ndarray
    bound: float
    proven: bool


@dataclass(frozen=True)
class NodeAnswer:
    """A node's best strategies, best first, and a bound on any strategy not listed."""

    found: list[Completion]
    rest: float

    def bound_at(self, k: int) -> float:
        """A bound on the node's best strategy other than its first k listed."""
        return self.found[k].bound if k < len(self.found) else self.rest


def merge(answers: Sequence[NodeAnswer], per_package: int) -> NodeAnswer:
    """The ``per_package`` best of the children's strategies, with the parent's bounds.

    The k-th listed is bounded by the largest of the children's bounds on what they
    have not contributed among the first k - 1.
    """
    entries = sorted(
        ((c.value, i, j) for i, a in enumerate(answers) for j, c in enumerate(a.found)),
        key=lambda e: (-e[0], e[1], e[2]),
    )[:per_package]
    taken = [0] * len(answers)
    found = []
    for value, i, j in entries:
        bound = max(a.bound_at(taken[n]) for n, a in enumerate(answers))
        c = answers[i].found[j]
        found.append(Completion(value, c.x, max(bound, value), c.proven))
        taken[i] += 1
    rest = max((a.bound_at(taken[n]) for n, a in enumerate(answers)), default=-np.inf)
    return NodeAnswer(found, rest)


class CompletionSolvers:
    """One completion thread's HiGHS objects: the MILP, and an LP made when first needed."""

    def __init__(
        self, model: highspy.HighsModel, mip: highspy.Highs, threads: int | None
    ) -> None:
        """The MILP ``mip`` holds ``model``; the LP will hold it relaxed."""
        self.model = model
        self.mip = mip
        self.threads = threads
        self._lp: highspy.Highs | None = None

    @property
    def lp(self) -> highspy.Highs:
        """The relaxation of the model (made on first use), for the branches' LPs."""
        if self._lp is None:
            lp = highspy.Highs()
            lp.HandleUserInterrupt = True
            lp.setOptionValue("output_flag", False)
            if self.threads is not None:
                lp.setOptionValue("threads", self.threads)
            with quiet_stdout():
                lp.passModel(self.model)
            n = lp.getNumCol()
            lp.changeColsIntegrality(
                n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8)
            )
            self._lp = lp
        return self._lp

    def objects(self) -> list[highspy.Highs]:
        """The HiGHS objects made so far (to stop them on an interrupt)."""
        return [self.mip] + ([self._lp] if self._lp is not None else [])


class _Columns(Protocol):
    names: list[str]
    index: np.ndarray
    offers: np.ndarray
    requests: np.ndarray


class PackageCompletion:
    """The completion of offer packages, for the offer-package searches to inherit.

    A search sets the attributes below and provides ``_run`` (HiGHS under the
    deadline) and ``_package`` (a listed strategy from a solution).
    """

    columns: _Columns
    lower: np.ndarray
    upper: np.ndarray
    cost: np.ndarray
    num_col: int
    row_lower: np.ndarray
    row_upper: np.ndarray
    integral_rows: np.ndarray
    per_package: int
    mip_gap: float
    timed_out: bool
    mip_solves: int
    _count_lock: threading.Lock

    def _run(self, highs: highspy.Highs) -> highspy.HighsModelStatus:
        raise NotImplementedError

    def _complete_package(
        self, package: dict[int, float], lp: Relaxation, solvers: CompletionSolvers
    ) -> list[Completion]:
        """The package's ``per_package`` best completions, best first.

        ``lp`` is an LP optimum with the offers fixed at the package (the node of the
        search where it was found, every offer at 0 or 1 there). Empty if there is
        none, or time ran out before one was found.
        """
        lower, upper = self.lower.copy(), self.upper.copy()
        for k, value in package.items():
            lower[self.columns.index[k]] = upper[self.columns.index[k]] = value
        return self._complete_node(solvers, lower, upper, lp, 0).found

    def _complete_node(
        self,
        solvers: CompletionSolvers,
        lower: np.ndarray,
        upper: np.ndarray,
        lp: Relaxation,
        depth: int,
    ) -> NodeAnswer:
        """The node's best strategies by growing cores, or by branching after the first."""
        bound, x, reduced = lp.bound, lp.x, lp.reduced
        requests = self.columns.index[self.columns.requests]
        at_bound = np.abs(x[requests] - np.round(x[requests])) <= INTEGRAL_TOLERANCE
        if at_bound.all() and self.per_package == 1:
            return NodeAnswer([Completion(bound, x, bound, True)], bound)
        tight = self._tight_integral_rows(lp.activity)
        row_price = lp.row_price
        prices = np.sort(np.concatenate([reduced[requests[at_bound]], row_price[tight]]))
        prices = prices[prices > 0.0]  # a zero price never fixes anything: not a core's size
        size = CORE_SIZE
        threshold = _threshold(prices, size)
        best: list[Completion] = []
        while True:
            fix = requests[at_bound & (reduced[requests] > threshold)]
            core_lower, core_upper = lower.copy(), upper.copy()
            core_lower[fix] = core_upper[fix] = np.round(x[fix])
            held = tight & (row_price > threshold)
            self._hold_rows(solvers.mip, held, lp.activity)
            core = self._best_in_core(solvers.mip, core_lower, core_upper, requests)
            self._hold_rows(solvers.mip, np.zeros_like(held), None)
            if len(core) >= len(best):
                best = core
            everything_free = len(fix) == 0 and not held.any()
            if self.timed_out or (not core and everything_free):
                break
            size *= CORE_GROWTH
            # a strategy moving a fixed request or a held row is worth < U - threshold
            outside = -np.inf if everything_free else bound - threshold
            full = len(core) == self.per_package
            if everything_free or (full and self._within_gap(core[-1].value, outside)):
                found = [
                    Completion(c.value, c.x, min(bound, max(c.bound, outside)), c.proven)
                    for c in core
                ]
                return NodeAnswer(found, found[-1].bound if full else -np.inf)
            column = self._branching_request(x, lower, upper) if depth < BRANCH_DEPTH else None
            if column is not None:
                return self._branch(solvers, lower, upper, bound, column, depth, core)
            if full:  # bound - (the last value) is exact; a smaller core first,
                # unless the exact core is at most CORE_GROWTH times the next one
                exact = bound - core[-1].value
                smaller = np.searchsorted(prices, exact, side="right") > CORE_GROWTH * size
                threshold = min(exact, _threshold(prices, size)) if smaller else exact
            else:  # too few strategies respect the fixings: free more
                threshold = _threshold(prices, size)
        found = [Completion(c.value, c.x, bound, False) for c in best]
        return NodeAnswer(found, bound if self.timed_out else -np.inf)

    def _branching_request(
        self, x: np.ndarray, lower: np.ndarray, upper: np.ndarray
    ) -> int | None:
        """The free fractional request worth the most, |c_r| · min(x_r, 1 - x_r); None if none."""
        requests = self.columns.index[self.columns.requests]
        share = np.minimum(x[requests], 1.0 - x[requests])
        free = (upper[requests] - lower[requests] > 0.5) & (share > INTEGRAL_TOLERANCE)
        if not free.any():
            return None
        score = np.where(free, np.abs(self.cost[requests]) * share, -np.inf)
        return int(requests[int(np.argmax(score))])

    def _branch(
        self,
        solvers: CompletionSolvers,
        lower: np.ndarray,
        upper: np.ndarray,
        bound: float,
        column: int,
        depth: int,
        core: list[Completion],
    ) -> NodeAnswer:
        """The node split on ``column`` at 0 and 1, children completed best LP bound first.

        A child whose LP bound is within the gap of the K-th strategy found so far is
        not explored. On a time-out the node keeps its bound, and the strategies of
        its first ``core`` if the children found fewer or worse.
        """
        stopped = NodeAnswer([Completion(c.value, c.x, bound, False) for c in core], bound)
        children = []
        for value in (0.0, 1.0):
            child_lower, child_upper = lower.copy(), upper.copy()
            child_lower[column] = child_upper[column] = value
            relaxed = self._relax(solvers.lp, child_lower, child_upper)
            if self.timed_out:
                return stopped
            if relaxed is not None:
                children.append((relaxed, child_lower, child_upper))
        children.sort(key=lambda child: -child[0].bound)  # stable: 0 first on ties
        answers: list[NodeAnswer] = []
        for relaxed, child_lower, child_upper in children:
            so_far = merge(answers, self.per_package)
            full = len(so_far.found) == self.per_package
            if self.timed_out or (full and self._within_gap(so_far.found[-1].value, relaxed.bound)):
                answers.append(NodeAnswer([], relaxed.bound))
                continue
            answers.append(
                self._complete_node(solvers, child_lower, child_upper, relaxed, depth + 1)
            )
        answer = merge(answers, self.per_package)
        return stopped if self.timed_out and _listing(answer) < _listing(stopped) else answer

    def _relax(
        self, lp: highspy.Highs, lower: np.ndarray, upper: np.ndarray
    ) -> Relaxation | None:
        """The LP optimum within these bounds; None if infeasible (or time is up)."""
        lp.changeColsBounds(self.num_col, np.arange(self.num_col, dtype=np.int32), lower, upper)
        status = self._run(lp)
        if status != highspy.HighsModelStatus.kOptimal:
            if status not in INFEASIBLE:
                self.timed_out = True
            return None
        return relaxation_of(lp)

    def _best_in_core(
        self, mip: highspy.Highs, lower: np.ndarray, upper: np.ndarray, requests: np.ndarray
    ) -> list[Completion]:
        """The ``per_package`` best strategies within these bounds.

        By no-good cuts over the free requests (rows added to the MILP for the
        search, then deleted).
        """
        found: list[Completion] = []
        free = requests[upper[requests] - lower[requests] > 0.5]
        base_rows = mip.getNumRow()
        while len(found) < self.per_package:
            solved = self._solve_mip(mip, lower, upper)
            if solved is None:
                break
            found.append(solved)
            if len(found) < self.per_package:
                ones = solved.x[free] > 0.5
                coefficients = np.where(ones, -1.0, 1.0)
                mip.addRow(1.0 - ones.sum(), highspy.kHighsInf, len(free), free, coefficients)
        added = mip.getNumRow() - base_rows
        if added:
            mip.deleteRows(added, np.arange(base_rows, base_rows + added, dtype=np.int32))
        return found

    def _tight_integral_rows(self, activity: np.ndarray) -> np.ndarray:
        """Rows with integer slack (integer coefficients, integer columns) that are tight."""
        at_upper = np.abs(activity - self.row_upper) <= INTEGRAL_TOLERANCE
        at_lower = np.abs(activity - self.row_lower) <= INTEGRAL_TOLERANCE
        return self.integral_rows & (at_upper | at_lower)

    def _hold_rows(
        self, mip: highspy.Highs, held: np.ndarray, activity: np.ndarray | None
    ) -> None:
        """Make the ``held`` rows equalities at ``activity``; the others as in the model."""
        lower, upper = self.row_lower.copy(), self.row_upper.copy()
        if activity is not None:
            lower[held] = upper[held] = np.round(activity[held])
        rows = np.arange(len(lower), dtype=np.int32)
        mip.changeRowsBounds(len(rows), rows, lower, upper)  # type: ignore[attr-defined]

    def _solve_mip(
        self, mip: highspy.Highs, lower: np.ndarray, upper: np.ndarray
    ) -> Completion | None:
        """The MILP's best strategy within these bounds, with its dual bound.

        No starting solution is given: with one (``setSolution``), HiGHS 1.16 was seen
        to report a better objective together with the starting solution itself.
        """
        mip.changeColsBounds(self.num_col, np.arange(self.num_col, dtype=np.int32), lower, upper)
        status = self._run(mip)
        with self._count_lock:
            self.mip_solves += 1
        info = mip.getInfo()
        if status in INFEASIBLE or info.primal_solution_status != 2:  # 2: feasible point
            if status not in INFEASIBLE and status != highspy.HighsModelStatus.kOptimal:
                self.timed_out = True
            return None
        proven = status == highspy.HighsModelStatus.kOptimal
        self.timed_out = self.timed_out or not proven
        return Completion(
            info.objective_function_value,
            np.array(mip.getSolution().col_value),
            info.mip_dual_bound,
            proven,
        )

    def _within_gap(self, value: float, bound: float) -> bool:
        return bound - value <= max(self.mip_gap, 1e-9) * max(1.0, abs(value))


def _listing(answer: NodeAnswer) -> tuple[int, float]:
    """How many strategies an answer lists, then its best value: which of two is better."""
    return len(answer.found), answer.found[0].value if answer.found else -np.inf


def _threshold(prices: np.ndarray, size: int) -> float:
    """The price above which all but about ``size`` of the sorted ``prices`` lie."""
    return float(prices[size]) if size < len(prices) else np.inf
