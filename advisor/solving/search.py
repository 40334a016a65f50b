"""Which ranking search runs, and running it on a session.

Two searches answer "the K best strategies": no-good ``cuts`` on one persistent
MILP (:mod:`advisor.solving.cuts`) and the offer-``packages`` branch and bound
(:mod:`advisor.solving.packages`) for tariff-line instances. :func:`search_method`
chooses; :func:`run_search` runs the choice and returns the solutions in rank
order; :func:`best_strategy` is the single best strategy of an instance, by the
same rule, for the scenario optima and the mean-value problem.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import highspy
import numpy as np

from advisor.instance import Instance
from advisor.results import OBJECTIVE_TOLERANCE
from advisor.solving.cuts import (
    TIE_BREAK_MAX_DECISIONS,
    CutRanking,
    ProgressFn,
    in_tie_group,
    tie_key,
)
from advisor.solving.enumerated import EnumeratedPackageSearch
from advisor.solving.lagrangian import PackageBounds, package_bounds
from advisor.solving.packages import OfferPackageSearch, Package
from advisor.solving.reduction import dominated_tiers
from advisor.solving.session import Solution, SolverSession, open_session

SIDE_BY_SIDE = 2  # searches run at once by best_maximising: the machine's two cores

SEARCHES = ("auto", "cuts", "packages")


class StoppedError(Exception):
    """A solve the ranking depends on ended without an answer.

    ``status`` says how: ``time_limit`` or ``infeasible``.
    """

    def __init__(self, status: str) -> None:
        """Stopped with ``status``."""
        super().__init__(status)
        self.status = status


@dataclass
class SearchOutcome:
    """The solutions found, in rank order, the HiGHS solves made and what to warn."""

    solutions: list[Solution]
    solves: int
    warnings: list[str] = field(default_factory=list)


def check_deadline(deadline: float | None) -> None:
    """Raise StoppedError("time_limit") if ``deadline`` has passed.

    Called before building a model: a build is not interruptible, and at tariff-line
    scale takes seconds that would overrun the limit.
    """
    if deadline is not None and time.monotonic() >= deadline:
        raise StoppedError("time_limit")


def search_method(
    search: str, instance: Instance, distinct_on: str, top: int, min_difference: int
) -> str:
    """Which ranking search to run: no-good ``cuts`` or the offer-``packages`` search.

    ``auto`` picks the package search for tariff-line instances (more than 200
    decisions) when it answers the question asked: distinct offer packages, strict
    K-best (the K best completions of each package, merged), distinct sector
    positions (of those, the best of each request set), or the single best
    strategy; otherwise (``min_difference`` > 1, and every small instance, whose
    ties are broken by the tie-break rule) no-good cuts.
    """
    if search != "auto":
        if search == "packages" and min_difference > 1:
            raise ValueError(
                "the package search ranks strategies that differ in at least one "
                "decision of distinct_on: min_difference must be 1"
            )
        return search
    large = len(instance.decision_ids()) > TIE_BREAK_MAX_DECISIONS
    return "packages" if large and min_difference <= 1 else "cuts"


def run_search(
    session: SolverSession, method: str, top: int, min_difference: int, progress: ProgressFn
) -> SearchOutcome:
    """The ``top`` best strategies by ``method``, on ``session``.

    Strict K-best lists every tie; with ``distinct_on`` offers or sectors a cut
    removes a whole class, so the greedy loop picks each class's tie-break winner.
    """
    if method == "packages":
        progress("searching offer packages (branch and bound over the offers)")
        return rank_packages(session, top, session.distinct_on)
    loop = CutRanking(session, progress)
    if min_difference <= 1 and session.distinct_on == "all":
        solutions = loop.strict(top)
    else:
        solutions = loop.diverse(top, min_difference)
    return SearchOutcome(solutions, session.solves, loop.warnings)


def _package_gap(package: Package, open_bound: float) -> float:
    """A package's gap: its completion's, or what an unexplored node could still add.

    When the search stopped with nodes left open, an unexplored strategy could
    still be above the package by up to the open bound.
    """
    unexplored = (open_bound - package.value) / max(1.0, abs(package.value))
    return max(package.gap, unexplored, 0.0)


def rank_packages(session: SolverSession, top: int, distinct_on: str) -> SearchOutcome:
    """The ``top`` best strategies that differ in ``distinct_on``.

    By :class:`OfferPackageSearch`: ``offers`` lists distinct offer packages with
    their best requests; ``all`` (strict K-best) merges each package's ``top`` best
    completions; ``sectors`` keeps, of those, the best of each request set (its best
    package).

    For packages (and a single best strategy) dominated request tiers
    (:mod:`advisor.solving.reduction`) are fixed to 0 first: no package's best
    requests need them; the other lists may, so they keep them.
    """
    per_package = top if distinct_on in ("all", "sectors") else 1
    if per_package == 1:
        fix_dominated(session)
    search = _package_search(session, per_package, distinct_on == "sectors")
    packages = search.rank(top)
    session.timed_out = session.timed_out or search.timed_out
    open_bound = search.open_bound if search.timed_out else -np.inf
    solutions = [_solution(session, p, _package_gap(p, open_bound)) for p in packages]
    warnings = []
    unit = session.model.scales.objective
    pairs = itertools.pairwise(solutions)
    if any(in_tie_group(a.objective, b.objective, unit) for a, b in pairs):
        warnings.append(
            "some listed strategies tie within 1e-6 of each other; the package search "
            "lists ties in its own (deterministic) order, not by the tie-break rule"
        )
    solves = session.solves + search.lp_solves + search.mip_solves
    return SearchOutcome(solutions, solves, warnings)


def best_with_offers(
    session: SolverSession, fixed: list[tuple[str, int]]
) -> tuple[list[Solution | None], list[bool]] | None:
    """For each (offer, 0 or 1): the best strategy with that offer fixed so, in one search.

    By :meth:`EnumeratedPackageSearch.best_in_groups` (the packages holding each
    offer at its value form a group); None when the model has no enumerated search
    (then each is a re-solve of its own). Also returns, for each, whether it was
    settled before the session's deadline.
    """
    flips = OfferFlips.build(session, fixed)
    if flips is None:
        return None
    answer = flips.run()
    session.timed_out = session.timed_out or flips.search.timed_out
    return flips.solutions(answer)


@dataclass
class OfferFlips:
    """:func:`best_with_offers` in two steps: built on the session, then run on its own.

    :meth:`run` reads nothing of the session (the search holds its own copy of the
    model, with no :class:`SearchMemory`), so it may run in another thread while the
    session is changed and re-solved; :meth:`solutions` then scores the answer.
    """

    session: SolverSession
    search: EnumeratedPackageSearch
    groups: list[np.ndarray]

    @classmethod
    def build(cls, session: SolverSession, fixed: list[tuple[str, int]]) -> OfferFlips | None:
        """The search for ``fixed`` on the model as it is now; None if not enumerated."""
        fix_dominated(session)
        search = _package_search(session, 1, False, remember=False)
        if not isinstance(search, EnumeratedPackageSearch):
            return None
        position = {name: k for k, name in enumerate(session.names)}
        groups = search.offer_groups([(position[o], float(v)) for o, v in fixed])
        return cls(session, search, groups)

    def run(self) -> tuple[list[Package | None], list[bool]]:
        """Each group's best package and whether it was settled in time."""
        return self.search.best_in_groups(self.groups)

    def solutions(
        self, answer: tuple[list[Package | None], list[bool]]
    ) -> tuple[list[Solution | None], list[bool]]:
        """The answer of :meth:`run` as the session's solutions."""
        packages, settled = answer
        return [None if p is None else _solution(self.session, p, p.gap) for p in packages], settled


def best_maximising(
    session: SolverSession, expressions: list[object]
) -> list[frozenset[str] | None]:
    """For each expression, the decisions of the best strategy maximising it on ``session``'s rules.

    Each is the offer-package search on the session's model with HiGHS's costs
    swapped for the expression's (:meth:`SolverSession.maximising`): at tariff-line
    scale, each scenario's own optimum on the ranking's model, with no model of its
    own. The searches are built here one after the other and run two at a time
    (the machine's two cores), each on its own HiGHS copies, so the answers do not
    depend on which finishes first; on an error or interrupt the running ones stop.
    None where no strategy keeps the rules; :class:`StoppedError` (``time_limit``)
    if the time limit stopped a search with nothing found.
    """
    fix_dominated(session)  # dominance holds scenario by scenario (advisor.solving.reduction)
    searches: list[OfferPackageSearch] = []
    running: list[Future[list[Package]]] = []
    rows: EnumeratedPackageSearch | None = None  # the first search, its rows shared
    with ThreadPoolExecutor(max_workers=SIDE_BY_SIDE) as pool:
        try:
            for expression in expressions:
                if len(running) >= SIDE_BY_SIDE:  # no more copies built than can run
                    running[-SIDE_BY_SIDE].result()
                with session.maximising(expression):
                    searches.append(_package_search(session, 1, False, False, rows))
                if isinstance(searches[-1], EnumeratedPackageSearch):
                    rows = searches[-1]
                running.append(pool.submit(searches[-1].rank, 1))
            found = [r.result() for r in running]
        except BaseException:
            for search in searches:
                search.cancel()
            raise
    session.timed_out = session.timed_out or any(s.timed_out for s in searches)
    if any(not packages and s.timed_out for packages, s in zip(found, searches, strict=True)):
        raise StoppedError("time_limit")
    return [packages[0].chosen if packages else None for packages in found]


def best_on(
    session: SolverSession,
    model: highspy.HighsModel,
    instance: Instance,
    on_start: Callable[[OfferPackageSearch], None] | None = None,
) -> frozenset[str] | None:
    """The decisions of ``model``'s best strategy, by the package search.

    ``model`` is a HiGHS model over the session's columns (the mean-value problem on
    the ranking's rows, :mod:`advisor.solving.mean_value`) whose ties ``instance``
    breaks; its dominated tiers already fixed. Reads the session's columns, not its
    HiGHS; ``on_start`` is given the search before it runs (to cancel it). None
    if it has no strategy; :class:`StoppedError` (``time_limit``) if the time limit
    stopped the search with nothing found.
    """
    search = _package_search(session, 1, False, remember=False, model=(model, instance))
    if on_start is not None:
        on_start(search)
    packages = search.rank(1)
    session.timed_out = session.timed_out or search.timed_out
    if not packages and search.timed_out:
        raise StoppedError("time_limit")
    return packages[0].chosen if packages else None


def fix_dominated(session: SolverSession) -> None:
    """Fix the dominated request tiers at 0, once a session: no package's best needs them."""
    if not session.dominated_fixed:
        session.fix_requests(dominated_tiers(session.instance, session.coefficients))
        session.dominated_fixed = True


def _solution(session: SolverSession, package: Package, gap: float) -> Solution:
    """A package found by the search as the session's solution (its value recomputed)."""
    proven = package.proven and package.gap <= session.mip_gap + OBJECTIVE_TOLERANCE
    return Solution(package.chosen, session.evaluator.objective_of(package.chosen), proven, gap)


def _package_search(
    session: SolverSession,
    per_package: int,
    distinct_requests: bool,
    remember: bool = True,
    rows_of: EnumeratedPackageSearch | None = None,
    model: tuple[highspy.HighsModel, Instance] | None = None,
) -> OfferPackageSearch:
    """The search over enumerated packages when the model allows it, else the tree.

    Enumerated (:mod:`advisor.solving.enumerated`) when there are at most
    ``MAX_ENUMERATED_OFFERS`` offers and every column is a request or an offer (no
    linkages, expected value); otherwise branch and bound over the offers. With
    ``remember``, an enumerated search shares the session's :class:`SearchMemory`.
    ``rows_of``: an earlier search of the same rows (only the costs differ), whose
    packages, line groups and integral rows are reused. ``model``: search this HiGHS
    model over the session's columns (ties broken by its instance) instead of the
    session's own.
    """
    highs_model, instance = (session.highs_model(), session.instance) if model is None else model
    if highs_model.lp_.sense_ != highspy.ObjSense.kMaximize:
        raise RuntimeError("the package search expects a maximisation")
    columns = session.decision_columns()
    args = (
        highs_model,
        session.names,
        columns,
        list(session.model.OFFERS),
        max(session.mip_gap, OBJECTIVE_TOLERANCE),
        session.deadline,
        session.threads,
        lambda chosen: tie_key(instance, chosen),
        per_package,
        distinct_requests,
    )
    if rows_of is not None:
        bounds: PackageBounds | None = rows_of.bounds.recosted(highs_model.lp_)
    else:
        bounds = _bounds(session, highs_model.lp_, columns)
    if bounds is None:
        return OfferPackageSearch(*args)
    memory = session.memory if remember else None
    shared = None if rows_of is None else rows_of.integral_rows
    return EnumeratedPackageSearch(bounds, *args, memory=memory, integral_rows=shared)


def _bounds(
    session: SolverSession, lp: highspy.HighsLp, columns: list[int]
) -> PackageBounds | None:
    """The Lagrangian bounds of the session's packages (None: not enumerable)."""
    instance = session.instance
    sector_of = {r.request: r.sector for r in instance.requests}
    line_of_sector = {s.sector: k for k, s in enumerate(instance.sectors)}
    line_of_column = np.full(lp.num_col_, -1, dtype=np.int64)
    for name, column in zip(session.names, columns, strict=True):
        if name in sector_of:
            line_of_column[column] = line_of_sector[sector_of[name]]
    offer_set = set(session.model.OFFERS)
    pairs = zip(session.names, columns, strict=True)
    offer_columns = np.array([c for n, c in pairs if n in offer_set])
    return package_bounds(lp, offer_columns, line_of_column)


def best_solution(session: SolverSession) -> Solution | None:
    """The best strategy of the model as ``session`` holds it now; None if infeasible.

    Above 200 decisions by the offer-package search (its dominated tiers stay
    dominated under any limit, and with any rule dropped), else one MILP solve. For
    the analyses that re-solve one model many times (explain, frontier).
    """
    if len(session.instance.decision_ids()) > TIE_BREAK_MAX_DECISIONS:
        found = rank_packages(session, 1, "offers").solutions
        return found[0] if found else None
    return session.solve()


def best_strategy(
    instance: Instance,
    objective: str,
    mip_gap: float,
    deadline: float | None,
    threads: int | None,
    tie_break: bool = False,
) -> Solution | None:
    """The single best strategy of ``instance`` (no ranking); None if infeasible.

    By the offer-package search above 200 decisions, else one MILP solve. Raises
    :class:`StoppedError` if the time limit stopped it with nothing found.

    With ``tie_break``, the strategy is the tie-break's pick among all those tied
    at the optimum (needed when the strategy itself is reported, not just its value).
    """
    check_deadline(deadline)
    session = open_session(
        instance, objective, mip_gap=mip_gap, deadline=deadline, threads=threads, binding=False
    )
    loop = CutRanking(session, lambda message: None)
    if search_method("auto", instance, "all", 1, 1) == "packages":  # tariff-line scale
        found = rank_packages(session, 1, "offers").solutions
        solution = found[0] if found else None
    else:
        solution = session.solve()
    if solution is None and session.timed_out:
        raise StoppedError("time_limit")
    if tie_break and loop.break_ties and solution is not None and solution.proven:
        solution = loop.tie_group(solution)[0]
    return solution
