r"""Ranking distinct offer packages at tariff-line scale: branch and bound over the offers.

With ``distinct_on = "offers"`` the ranking lists offer packages y (sets of offers),
each with its best requests. Writing f(y) for the best objective with the offers
fixed at y, the list is the K packages with the largest f(y). The same search gives
the single best strategy (K = 1), and strict K-best (``distinct_on = "all"``: the K
best completions of each package, merged).

**Why a search of its own.** Once the offers are fixed, the request part of the
model is a multiple-choice knapsack with a handful of coupling rows (reciprocity,
each market cap and floor per scenario): its LP relaxation leaves at most one
fractional request per coupling row, so its bound U(y) is within a few lines' value
of f(y). What makes the MILP hard for a generic solver is the offers: they act
like fixed charges, and a fractional offer (a forced-labour ban at 0.72) makes every
line that requires it fractional too (1,141 of them at 10,000 lines). So this
search branches on the offers only, and leaves the lines to LP bounds:

1. **Best-first branch and bound over the offers.** A node N fixes some offers to 0
   or 1; its bound is the LP relaxation with those fixings,

   .. math:: U(N) = \max \{ c^T x : A x ≤ b, 0 ≤ x ≤ 1, y_j = v_j \; ∀ j ∈ N \},

   solved by HiGHS's dual simplex, warm-started from its parent's basis. A node is
   solved lazily: a child carries its parent's bound until it is first popped. A
   node whose LP optimum has a fractional offer is split on the most fractional one.

2. **Packages.** When the LP optimum of a node has every offer at 0 or 1, that
   package y is the node's best, with U(y) = U(N). Its requests are completed
   (step 3) and the node is split into "N without y" by Lawler's partition: with
   the node's free offers j_1 … j_m (file order), child i fixes j_1 … j_{i-1} as
   in y and j_i to 1 - y_{j_i}, so every other package of N lies in exactly one
   child.

3. **Completion** of y (:mod:`advisor.solving.completion`), from the node's LP
   optimum x* (every offer at 0 or 1, so it is also the optimum with the offers
   fixed at y): reduced-cost fixing around x* leaves a core MILP of a few hundred
   lines for HiGHS, with a bound that says when it is exact to the gap; a package
   whose LP splits a large line is split on it first.

4. **Stop** when K strategies are known and no other can beat the K-th by more
   than the gap: every open node's bound, and the bound of every completed strategy
   not listed, is at most L_K + gap · max(1, |L_K|). Completions run in a second
   thread beside the LP search (HiGHS releases the GIL).

The listed packages are sorted by value (ties by the advisor's tie-break key). The
result is exact to the gap: a package's value is within its completion gap of
f(y), and no package left out is better than the K-th by more than the gap.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import highspy
import numpy as np

from advisor.solving.completion import (
    INFEASIBLE,
    CompletionSolvers,
    PackageCompletion,
    Relaxation,
    relaxation_of,
)
from advisor.solving.runtime import guarded_run, quiet_stdout, time_limit_option

OFFER_TOLERANCE = 1e-6  # an LP offer value within this of 0 or 1 counts as integral
COMPLETION_THREADS = 1  # HiGHS objects running completions beside the LP search (see Completions)


@dataclass(frozen=True)
class Package:
    """One strategy found by the search: an offer package with its requests.

    Its value L, an upper bound U on what it could be improved to, and whether the
    completion proved L within the gap of U.
    """

    chosen: frozenset[str]
    value: float
    bound: float
    proven: bool

    @property
    def gap(self) -> float:
        """(U - L) / max(1, |L|): how far the package could still be improved."""
        return max(0.0, self.bound - self.value) / max(1.0, abs(self.value))


@dataclass(order=True)
class _Node:
    priority: tuple[float, int]  # (-bound, sequence number): best bound first, then age
    fixed: dict[int, float] = field(compare=False)  # offer position -> 0.0 or 1.0
    # the parent's LP basis: a warm start
    basis: highspy.HighsBasis | None = field(compare=False, default=None)
    solved: bool = field(compare=False, default=False)


@dataclass
class _Columns:
    """Where the decisions sit among HiGHS's columns."""

    names: list[str]  # request ids then offer ids, as in the ranker
    index: np.ndarray  # column of each name
    offers: np.ndarray  # positions (in ``names``) of the offers
    requests: np.ndarray  # positions of the requests


class OfferPackageSearch(PackageCompletion):
    """Best-first branch and bound over the offer binaries of a built HiGHS model.

    ``model`` is a ``highspy.HighsModel`` of the advisor's MILP, a maximisation (the
    persistent ranker's, with any rules already added); ``names[i]`` is the decision
    in column ``columns[i]``, and ``offer_names`` says which decisions are offers.
    ``per_package`` is how many completions of each package to keep: 1 ranks
    distinct packages, K ranks the K best strategies (strict K-best), and with
    ``distinct_requests`` the K best distinct request sets, each with its best
    package (``distinct_on = "sectors"``: see :meth:`_listed`). ``tie_key`` orders
    strategies of equal value. Each search owns two HiGHS objects: an LP
    relaxation (re-solved with warm starts from node to node) and the MILP for
    completions.
    """

    def __init__(
        self,
        model: highspy.HighsModel,
        names: Sequence[str],
        columns: Sequence[int],
        offer_names: Sequence[str],
        mip_gap: float,
        deadline: float | None,
        threads: int | None,
        tie_key: Callable[[frozenset[str]], object],
        per_package: int = 1,
        distinct_requests: bool = False,
        integral_rows: np.ndarray | None = None,
    ) -> None:
        """Search ``model``; ``names`` are the decisions at HiGHS ``columns``.

        ``integral_rows``: those of another search of the same rows, when known.
        """
        offers = frozenset(offer_names)
        self.offer_names = offers
        self.per_package = per_package
        self.distinct_requests = distinct_requests
        self.columns = _Columns(
            list(names),
            np.asarray(columns, dtype=np.int32),
            np.array([i for i, n in enumerate(names) if n in offers], dtype=np.int64),
            np.array([i for i, n in enumerate(names) if n not in offers], dtype=np.int64),
        )
        self.mip_gap = mip_gap
        self.deadline = deadline
        self.tie_key = tie_key
        self.timed_out = False
        self.lp_solves = 0
        self.mip_solves = 0
        self.lower = np.array(model.lp_.col_lower_, dtype=float)
        self.upper = np.array(model.lp_.col_upper_, dtype=float)
        self.num_col = len(self.lower)
        self.row_lower = np.array(model.lp_.row_lower_, dtype=float)
        self.row_upper = np.array(model.lp_.row_upper_, dtype=float)
        self.integral_rows = _integral_rows(model.lp_) if integral_rows is None else integral_rows
        self.lp = _highs(model, threads)
        # Devex pricing: after a warm start HiGHS need not rebuild steepest-edge weights
        # (top-3 offer packages at 10,000 lines: 7.5 s of LP against 9.5 s)
        self.lp.setOptionValue("simplex_dual_edge_weight_strategy", 1)
        self.lp.changeColsIntegrality(
            self.num_col,
            np.arange(self.num_col, dtype=np.int32),
            np.zeros(self.num_col, dtype=np.uint8),
        )
        self.cost = np.array(model.lp_.col_cost_, dtype=float)
        self.solvers = [
            CompletionSolvers(model, _highs(model, threads), threads)
            for _ in range(COMPLETION_THREADS)
        ]
        for solvers in self.solvers:
            solvers.mip.setOptionValue("mip_rel_gap", mip_gap)
        self._count_lock = threading.Lock()
        self._sequence = 0
        self.open_bound = np.inf  # after rank(): the best bound of the nodes left open

    # ------------------------------------------------------------------ search

    def rank(self, top: int) -> list[Package]:
        """The ``top`` best offer packages, best first; fewer if there are fewer.

        With ``per_package`` > 1 they are the ``top`` best strategies.

        Completions run in a second thread (HiGHS releases the GIL), beside the LP
        search. The search waits for them whenever the stopping rule could hold, so
        it takes the same steps as a sequential run: the result does not depend on
        timing.
        """
        found: list[Package] = []
        pending: list[Future[list[Package]]] = []
        heap: list[_Node] = [self._node({}, np.inf)]
        dive: _Node | None = None  # until the first package: follow the LP's rounding
        current: _Node | None = None  # popped and not yet split (open at a time out)
        with Completions(self) as completions:
            while (heap or dive) and not self.timed_out:
                if heap and len(found) + self.per_package * len(pending) >= top:
                    found.extend(p for f in pending for p in f.result())
                    pending = []
                    if self._enough(found, top, -heap[0].priority[0]):
                        break
                current = dive if dive is not None else heapq.heappop(heap)
                dive = None
                lp = self._solve_node(current)
                if lp is None:
                    current = None
                    continue
                diving = not found and not pending
                if heap and not diving and not current.solved and lp.bound < -heap[0].priority[0]:
                    current.priority, current.solved = (-lp.bound, current.priority[1]), True
                    current.basis = self.lp.getBasis()  # its own optimal basis: re-solved at once
                    heapq.heappush(heap, current)  # no longer the best: solve it again later
                    current = None
                    continue
                fractional = self._most_fractional_offer(current, lp.x)
                if fractional is None:
                    package = self._package_of(lp)
                    children = self._lawler_children(current, lp, package)
                    pending.append(completions.submit(package, lp))
                else:
                    children = self._split(current, lp, fractional)
                    if diving:  # follow the child the LP value rounds to
                        dive = children.pop(0 if lp.x[self.columns.index[fractional]] >= 0.5 else 1)
                for child in children:
                    heapq.heappush(heap, child)
                current = None
            found.extend(p for f in pending for p in f.result())
        open_nodes = heap + [n for n in (current, dive) if n is not None]
        self.open_bound = max((-n.priority[0] for n in open_nodes), default=-np.inf)
        return self._listed(found)[:top]

    def _listed(self, found: list[Package]) -> list[Package]:
        r"""The strategies found, best first (ties by the tie key).

        With ``distinct_requests``, only the best of each request set. The K best
        request sets by g(x) = max_y f(x, y) are among the packages' K best
        completions: if x is among them, with its best package y*, a request set
        beating x within y* beats it overall, so at most K - 1 do.
        """
        ordered = sorted(found, key=lambda p: (-p.value, self.tie_key(p.chosen)))
        if not self.distinct_requests:
            return ordered
        seen: set[frozenset[str]] = set()
        listed = []
        for p in ordered:
            requests = p.chosen - self.offer_names
            if requests not in seen:
                seen.add(requests)
                listed.append(p)
        return listed

    def _package_of(self, lp: Relaxation) -> dict[int, float]:
        """The package of an LP optimum with every offer at 0 or 1."""
        return {int(k): float(np.round(lp.x[self.columns.index[k]])) for k in self.columns.offers}

    def _split(self, node: _Node, lp: Relaxation, fractional: int) -> list[_Node]:
        """The node's children on a fractional offer: at 1, then at 0."""
        basis = self.lp.getBasis()
        return [
            self._node({**node.fixed, fractional: value}, lp.bound, basis) for value in (1.0, 0.0)
        ]

    def _enough(self, found: list[Package], top: int, open_bound: float) -> bool:
        """K packages known and nothing else can beat the K-th by more than the gap.

        With ``distinct_requests`` what is not known is what the open packages hold,
        and in each completed package what its last completion's bound covers (a
        package that listed fewer than ``per_package`` has nothing more).
        """
        listed = self._listed(found)
        if len(listed) < top:
            return False
        kth = listed[top - 1].value
        if self.distinct_requests:
            last: dict[frozenset[str], list[Package]] = {}
            for p in found:  # a package's completions arrive together, best first
                last.setdefault(p.chosen & self.offer_names, []).append(p)
            rest = [c[-1].bound for c in last.values() if len(c) == self.per_package]
        else:
            rest = [p.bound for p in listed[top:]]
        outside = max([open_bound, *rest])
        return outside <= kth + max(self.mip_gap, 1e-9) * max(1.0, abs(kth))

    def _node(
        self, fixed: dict[int, float], bound: float, basis: highspy.HighsBasis | None = None
    ) -> _Node:
        self._sequence += 1
        return _Node((-bound, self._sequence), fixed, basis)

    def _most_fractional_offer(self, node: _Node, x: np.ndarray) -> int | None:
        best, best_score = None, OFFER_TOLERANCE
        for k in self.columns.offers:
            if int(k) in node.fixed:
                continue
            value = x[self.columns.index[k]]
            score = min(value, 1.0 - value)
            if score > best_score:
                best, best_score = int(k), score
        return best

    def _lawler_children(
        self, node: _Node, lp: Relaxation, package: dict[int, float]
    ) -> list[_Node]:
        """Lawler's partition of ``node`` without ``package``.

        With the free offers j_1 … j_m, child i fixes j_1 … j_{i-1} as in the package
        and flips j_i. Flipping an offer at a bound of the LP costs at least its
        reduced cost.
        """
        basis = self.lp.getBasis()
        children = []
        prefix = dict(node.fixed)
        for k in self.columns.offers:
            k = int(k)
            if k in node.fixed:
                continue
            bound = lp.bound - lp.reduced[self.columns.index[k]]
            children.append(self._node({**prefix, k: 1.0 - package[k]}, bound, basis))
            prefix[k] = package[k]
        return children

    # ---------------------------------------------------------------- LP nodes

    def _solve_node(self, node: _Node) -> Relaxation | None:
        """The node's LP relaxation; None if it is infeasible (or time is up)."""
        lower, upper = self._offer_bounds(node.fixed)
        offers = self.columns.index[self.columns.offers]
        self.lp.changeColsBounds(len(offers), offers, lower, upper)
        if node.basis is not None:
            self.lp.setBasis(node.basis)
        status = self._run(self.lp)
        self.lp_solves += 1
        if status != highspy.HighsModelStatus.kOptimal:
            if status not in INFEASIBLE:
                self.timed_out = True
            return None
        return relaxation_of(self.lp)

    def _offer_bounds(self, fixed: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
        offers = self.columns.index[self.columns.offers]
        lower, upper = self.lower[offers].copy(), self.upper[offers].copy()
        for i, k in enumerate(self.columns.offers):
            if int(k) in fixed:
                lower[i] = upper[i] = fixed[int(k)]
        return lower, upper

    def _complete(
        self, package: dict[int, float], lp: Relaxation, solvers: CompletionSolvers
    ) -> list[Package]:
        """The package's ``per_package`` best completions (step 3) as listed strategies."""
        return [
            self._package(c.x, c.value, c.bound, c.proven)
            for c in self._complete_package(package, lp, solvers)
        ]

    def _package(self, x: np.ndarray, value: float, bound: float, proven: bool) -> Package:
        chosen = frozenset(
            self.columns.names[i] for i, column in enumerate(self.columns.index) if x[column] > 0.5
        )
        return Package(chosen, value, max(bound, value), proven)

    def cancel(self) -> None:
        """Stop the search from another thread: no solve starts, the running ones stop."""
        self.deadline = time.monotonic()
        for highs in [self.lp, *(h for solvers in self.solvers for h in solvers.objects())]:
            highs.cancelSolve()

    def _run(self, highs: highspy.Highs) -> highspy.HighsModelStatus:
        limit = None
        if self.deadline is not None:
            limit = self.deadline - time.monotonic()
            if limit <= 0:
                self.timed_out = True
                return highspy.HighsModelStatus.kTimeLimit
            highs.setOptionValue("time_limit", time_limit_option(highs, limit))
        with guarded_run(highs, limit):
            highs.run()
        return highs.getModelStatus()


class Completions:
    """The completions running beside the search, on ``COMPLETION_THREADS`` MILP objects.

    The i-th completion submitted runs on object i mod n, and each object runs its
    completions in the order submitted, so every completion sees the same HiGHS
    object in the same state whatever the timing: the results do not depend on it.
    On an interrupt every running completion is stopped at once.
    """

    def __init__(self, search: OfferPackageSearch) -> None:
        """Completions of ``search``."""
        self.search = search
        self.pools = [ThreadPoolExecutor(max_workers=1) for _ in search.solvers]
        self.submitted = 0

    def submit(self, package: dict[int, float], lp: Relaxation) -> Future[list[Package]]:
        """Complete ``package`` from its LP optimum ``lp`` (step 3), in the background."""
        k = self.submitted % len(self.pools)
        self.submitted += 1
        return self.pools[k].submit(self.search._complete, package, lp, self.search.solvers[k])

    def __enter__(self) -> Completions:
        """Start."""
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        """Wait for the running completions; on an error or interrupt, stop them first."""
        if kind is not None:
            for solvers in self.search.solvers:
                for highs in solvers.objects():
                    highs.cancelSolve()
        for pool in self.pools:
            pool.shutdown(wait=True)


def _integral_rows(lp: highspy.HighsLp) -> np.ndarray:
    """Rows whose slack is an integer in every integer solution.

    Integer coefficients on integer columns only, and integer (or infinite) bounds.
    """
    matrix = lp.a_matrix_
    start = np.array(matrix.start_)
    # HiGHS may keep room past the last entry (after rows were deleted): start[-1] counts
    index, value = np.array(matrix.index_)[: start[-1]], np.array(matrix.value_)[: start[-1]]
    integer_column = (
        np.array(lp.integrality_, dtype=int) != 0
        if len(lp.integrality_)
        else (np.zeros(lp.num_col_, dtype=bool))
    )
    if matrix.format_ == highspy.MatrixFormat.kColwise:
        entry_column, entry_row = np.repeat(np.arange(lp.num_col_), np.diff(start)), index
    else:
        entry_row, entry_column = np.repeat(np.arange(lp.num_row_), np.diff(start)), index
    bad = (value != np.round(value)) | ~integer_column[entry_column]
    integral = np.ones(lp.num_row_, dtype=bool)
    integral[entry_row[bad]] = False
    for bounds in (np.array(lp.row_lower_), np.array(lp.row_upper_)):
        finite = np.isfinite(bounds)
        integral &= ~finite | (bounds == np.round(bounds))
    return integral


def _highs(model: highspy.HighsModel, threads: int | None) -> highspy.Highs:
    """A quiet HiGHS object holding ``model``.

    Its user-interrupt callbacks are on (as Pyomo's interface sets them), so that the
    wall-clock guard's ``cancelSolve`` stops a run and Ctrl-C stops it at once.
    """
    highs = highspy.Highs()
    highs.HandleUserInterrupt = True
    highs.setOptionValue("output_flag", False)
    if threads is not None:
        highs.setOptionValue("threads", threads)
    with quiet_stdout():
        highs.passModel(model)
    return highs
