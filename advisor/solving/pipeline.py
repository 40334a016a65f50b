"""Solving with HiGHS and ranking strategies by no-good cuts.

The model is built once and handed to HiGHS through Pyomo's persistent interface
(``pyomo.contrib.solver``'s ``highs``); every later solve only adds or removes cut
rows, which the persistent interface passes on without rebuilding anything.

**Strict K-best.** Solve; record the strategy x*; add the no-good cut

.. math:: Σ_{i: x^*_i = 1} (1 - x_i) + Σ_{i: x^*_i = 0} x_i ≥ d

on the decision binaries only; re-solve; until K strategies or infeasible. With
d = 1 it excludes x* alone; with d > 1 (``min_difference``) it keeps every later
strategy at Hamming distance ≥ d from every listed one, so the list is not ten
copies of one package.

**What makes two strategies different** (``distinct_on``): ``all`` compares every
binary (strict K-best); ``offers`` only the offer binaries, so the list ranks
distinct offer packages, each with its best requests; ``sectors`` only the request
binaries, so it ranks distinct sector positions (which tier each sector gets),
each with its best offers. At tariff-line scale strict K-best lists near-copies
that differ by one small line; these modes list alternatives a negotiator can
tell apart.

**Ties.** Strategies whose objectives differ by less than 1e-6 (relative) are tied.
Ties are broken by a fixed rule, so the list is the same run to run: fewer
decisions first (the simpler package), then the decision ids in file order
(requests as in ``requests.csv``, then offers as in ``offers.csv``). To apply it the
solver enumerates the whole tie group before listing any of its members.

**Limits.** ``mip_gap`` (default 0: each strategy proven best of those left);
``time_limit`` bounds the whole ranking, each solve getting what remains; a solve
stopped by it returns its incumbent, listed with its gap and the status
``time_limit``, never a silent partial.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from advisor.economics import compute_coefficients
from advisor.instance import DISTINCT_ON, OBJECTIVES, Instance
from advisor.model import build_model
from advisor.results import (
    BINDING_ANALYSIS_LIMIT,
    OBJECTIVE_TOLERANCE,
    Evaluator,
    Result,
    SolverInfo,
    Strategy,
    scenario_values,
    tolerance,
)
from advisor.solving.measures import ScenarioMeasures, mean_value_instance, scenario_measures
from advisor.solving.packages import OfferPackageSearch, Package
from advisor.solving.reduction import dominated_tiers
from advisor.solving.runtime import (
    match_thread_pool,
    quiet_stdout,
    time_limit_option,
    wall_clock_guard,
)

TIE_GROUP_LIMIT = 200
# Above this many decisions (tariff-line instances) ties are not enumerated: lines
# whose values differ by less than the tolerance make tie groups of thousands. The
# solver's order is still deterministic; the result says that ties were not broken.
TIE_BREAK_MAX_DECISIONS = 200
ProgressFn = Callable[[str], None]


@dataclass(frozen=True)
class Solution:
    """One solve's decision set, its objective (recomputed) and how it ended."""

    chosen: frozenset[str]
    objective: float
    proven: bool
    gap: float


class PersistentRanker:
    """One model, one persistent HiGHS instance, and the cuts added to it."""

    def __init__(
        self,
        model: pyo.ConcreteModel,
        evaluator: Evaluator,
        mip_gap: float,
        deadline: float | None,
        threads: int | None,
        distinct_on: str = "all",
    ) -> None:
        self.model = model
        self.evaluator = evaluator
        self.mip_gap = mip_gap
        self.deadline = deadline
        self.threads = threads
        self.solves = 0
        self._started = False  # a starting solution was given for the next solve
        self.timed_out = False
        self.solver_time = 0.0
        self.binaries = [model.request[r] for r in model.REQUESTS] + [
            model.offer[j] for j in model.OFFERS
        ]
        self.names = list(model.REQUESTS) + list(model.OFFERS)
        compared = {
            "all": set(self.names),
            "offers": set(model.OFFERS),
            "sectors": set(model.REQUESTS),
        }[distinct_on]
        self.compared = [
            (n, x) for n, x in zip(self.names, self.binaries, strict=True) if n in compared
        ]
        model.ranking_cuts = pyo.ConstraintList()
        self.opt = Highs()
        updates = self.opt.config.auto_updates
        for option in (
            "check_for_new_or_removed_constraints",
            "check_for_new_or_removed_vars",
            "check_for_new_or_removed_params",
            "update_constraints",
            "update_vars",
            "update_named_expressions",
            "update_parameters",
        ):
            setattr(updates, option, False)
        self.opt.config.raise_exception_on_nonoptimal_result = False
        self.opt.config.load_solutions = False
        with quiet_stdout():
            self.opt.set_instance(model)

    def version(self) -> str:
        return ".".join(str(v) for v in self.opt.version())

    def update_parameters(self) -> None:
        """Pass changed mutable parameters (budget, caps, ratio) to HiGHS."""
        with quiet_stdout():
            self.opt.update_parameters()

    def _match_thread_pool(self) -> None:
        match_thread_pool(self.threads)

    def solve(self) -> Solution | None:
        """Solve once; None when infeasible or stopped with nothing found."""
        self._match_thread_pool()
        # A gap of 0 means "proven within the tie tolerance": strategies closer than
        # that are ties anyway, and closing the last 1e-6 can take HiGHS 10x longer.
        options: dict[str, object] = {"rel_gap": max(self.mip_gap, OBJECTIVE_TOLERANCE)}
        if self.threads is not None:
            options["threads"] = self.threads
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                return None
            options["time_limit"] = time_limit_option(self.opt._solver_model, remaining)
        guard = wall_clock_guard(
            self.opt._solver_model.cancelSolve, None if self.deadline is None else remaining
        )
        with quiet_stdout(), guard as cancelled:
            results = self.opt.solve(self.model, **options)
        self.solves += 1
        self.solver_time += results.timing_info.wall_time or 0.0
        stopped = results.termination_condition == TerminationCondition.maxTimeLimit
        self.timed_out = self.timed_out or stopped or cancelled.is_set()
        if results.solution_status not in (SolutionStatus.optimal, SolutionStatus.feasible):
            return None
        if self._started and not self._solution_matches_objective():
            # HiGHS 1.16 can report a better objective with the start itself as its
            # solution; solve again from scratch (the start is dropped with the rest)
            self._started = False
            self.opt._solver_model.clearSolver()
            return self.solve()
        self._started = False
        primals = results.solution_loader.get_vars(self.binaries)
        chosen = frozenset(
            n for n, v in zip(self.names, self.binaries, strict=True) if primals[v] > 0.5
        )
        proven = results.termination_condition == TerminationCondition.convergenceCriteriaSatisfied
        gap = 0.0
        if results.objective_bound is not None and results.incumbent_objective is not None:
            bound, incumbent = results.objective_bound, results.incumbent_objective
            # scaled like the tie tolerance: an incumbent of 0 (a regret of 0, say)
            # must not turn rounding noise in the bound into a huge gap
            gap = abs(bound - incumbent) / max(1.0, abs(incumbent))
        # HiGHS also stops at its absolute gap (1e-6 by default): within a tie, so proven
        proven = proven and gap <= self.mip_gap + OBJECTIVE_TOLERANCE
        return Solution(chosen, self.evaluator.objective_of(chosen), proven, gap)

    def _distance_expr(self, chosen: frozenset[str], every: bool = False) -> pyo.Expression:
        """Hamming distance from ``chosen`` over the decisions that ``distinct_on`` compares
        (over every decision with ``every``)."""
        pairs = zip(self.names, self.binaries, strict=True) if every else self.compared
        return pyo.quicksum((1 - x) if name in chosen else x for name, x in pairs)

    def add_cut(self, expr: object) -> pyo.ConstraintData:
        con = self.model.ranking_cuts.add(expr)
        self.opt.add_constraints([con])
        return con

    def remove_cut(self, con: pyo.ConstraintData) -> None:
        self.opt.remove_constraints([con])
        index = con.index()
        del self.model.ranking_cuts[index]

    def exclude(
        self, chosen: frozenset[str], distance: int = 1, every: bool = False
    ) -> pyo.ConstraintData:
        """Add the no-good (Hamming) cut keeping later solutions ≥ distance away."""
        return self.add_cut(self._distance_expr(chosen, every) >= distance)

    @contextlib.contextmanager
    def without(self, constraints: Iterable[pyo.ConstraintData]) -> Iterator[None]:
        """Solve as if ``constraints`` were not there (a rule dropped), then restore."""
        rows = list(constraints)
        self.drop(rows)
        try:
            yield
        finally:
            self.restore(rows)

    def drop(self, rows: list[pyo.ConstraintData]) -> None:
        """Take constraint rows out of the model and the solver."""
        self.opt.remove_constraints(rows)
        for con in rows:
            con.deactivate()

    def restore(self, rows: list[pyo.ConstraintData]) -> None:
        """Put rows taken out by :meth:`drop` back."""
        for con in rows:
            con.activate()
        self.opt.add_constraints(rows)

    def feasible(self) -> bool:
        """Whether any strategy satisfies the rules now in the solver."""
        return self.solve() is not None

    @contextlib.contextmanager
    def fixed(self, decision: str, value: int) -> Iterator[None]:
        """Solve with one decision forced to ``value`` (0 or 1), then free it."""
        cut = self.add_cut(self.binaries[self.names.index(decision)] == value)
        try:
            yield
        finally:
            self.remove_cut(cut)

    @contextlib.contextmanager
    def parameter(self, param: pyo.Param, value: float) -> Iterator[None]:
        """Solve with a mutable parameter (budget, ratio, cap) at ``value``, then restore."""
        old = pyo.value(param)
        param.set_value(value)
        self.update_parameters()
        try:
            yield
        finally:
            param.set_value(old)
            self.update_parameters()

    def warm_start(self, chosen: frozenset[str]) -> None:
        """Offer HiGHS a known feasible strategy as its starting incumbent.

        Pyomo's persistent interface has no warm-start call for HiGHS, so the
        solution goes to the highspy object directly (``pyomo`` is pinned for this).
        """
        highs = self.opt._solver_model
        values = [0.0] * highs.getNumCol()
        for name, column in zip(self.names, self.decision_columns(), strict=True):
            values[column] = 1.0 if name in chosen else 0.0
        solution = highspy.HighsSolution()
        solution.col_value = values
        highs.setSolution(solution)
        self._started = True

    def decision_columns(self) -> list[int]:
        """HiGHS's column of each decision binary, in the order of ``names``."""
        columns = self.opt._pyomo_var_to_solver_var_map
        return [columns[id(x)] for x in self.binaries]

    def _solution_matches_objective(self) -> bool:
        """Whether HiGHS's solution is worth the objective it reports (c·x + offset)."""
        highs = self.opt._solver_model
        lp = highs.getLp()
        x = highs.getSolution().col_value
        value = sum(c * v for c, v in zip(lp.col_cost_, x, strict=True)) + lp.offset_
        reported = highs.getInfo().objective_function_value
        return abs(value - reported) <= tolerance(reported)

    def objective_floor(self, value: float) -> pyo.ConstraintData:
        """Keep only solutions tied with ``value`` (the enumeration of a tie group)."""
        return self.add_cut(self.model.objective.expr >= value - tolerance(value))


def tie_key(instance: Instance, chosen: frozenset[str]) -> tuple[int, tuple[int, ...]]:
    """The tie-break: fewer decisions first, then decision ids in file order."""
    order = {d: i for i, d in enumerate(instance.decision_ids())}
    return len(chosen), tuple(sorted(order[d] for d in chosen))


def _in_group(anchor: float, value: float) -> bool:
    return value >= anchor - tolerance(anchor)


class Ranking:
    """The ranking loop: strict K-best (d = 1 over all decisions) or greedy diverse
    K-best (d > 1, or ``distinct_on`` offers or sectors)."""

    def __init__(self, ranker: PersistentRanker, instance: Instance, progress: ProgressFn) -> None:
        self.ranker = ranker
        self.instance = instance
        self.progress = progress
        self.warnings: list[str] = []
        self.break_ties = len(instance.decision_ids()) <= TIE_BREAK_MAX_DECISIONS

    def _sorted(self, group: list[Solution]) -> list[Solution]:
        return sorted(group, key=lambda s: tie_key(self.instance, s.chosen))

    def strict(self, top: int) -> list[Solution]:
        """K-best with d = 1: each solve's cut is permanent; ties sorted per group.

        A tie group is complete once a solve returns a strictly worse strategy (or
        none): so K strategies take K + 1 solves when nothing ties. Without the
        tie-break (large instances) K strategies take K solves, in the solver's order.
        """
        if not self.break_ties:
            return self._unbroken(top, 1, every=True)
        listed: list[Solution] = []
        group: list[Solution] = []
        while True:
            self.progress(f"searching for strategy {len(listed) + len(group) + 1}")
            solution = self.ranker.solve()
            if solution is None:
                break
            self.ranker.exclude(solution.chosen)
            if group and not _in_group(group[0].objective, solution.objective):
                listed.extend(self._sorted(group))
                group = []
                if len(listed) >= top:
                    break
            group.append(solution)
            if not solution.proven:
                break
            if len(group) > TIE_GROUP_LIMIT:
                self._warn_ties(group[0].objective)
                break
        listed.extend(self._sorted(group))
        return listed[:top]

    def _warn_ties(self, objective: float) -> None:
        self.warnings.append(
            f"more than {TIE_GROUP_LIMIT} strategies tie at objective {objective:.6g}: "
            "the order among them is the solver's"
        )

    def _unbroken(self, top: int, distance: int, every: bool = False) -> list[Solution]:
        """K-best in the solver's order, ties not enumerated (large instances)."""
        listed: list[Solution] = []
        while len(listed) < top:
            self.progress(f"searching for strategy {len(listed) + 1}")
            solution = self.ranker.solve()
            if solution is None:
                break
            listed.append(solution)
            self.ranker.exclude(solution.chosen, distance, every)
            if not solution.proven:
                break
        # a gap of 1e-6 may return near-ties out of order: list them best first
        listed.sort(key=lambda s: -s.objective)
        if any(_in_group(a.objective, b.objective) for a, b in itertools.pairwise(listed)):
            self.warnings.append(
                "some listed strategies tie within 1e-6 of each other; above "
                f"{TIE_BREAK_MAX_DECISIONS} decisions ties are listed in the solver's "
                "(deterministic) order, not by the tie-break rule"
            )
        return listed

    def diverse(self, top: int, distance: int) -> list[Solution]:
        """K-best with Hamming distance ≥ d between listed strategies."""
        if not self.break_ties:
            return self._unbroken(top, distance)
        listed: list[Solution] = []
        while len(listed) < top:
            self.progress(f"searching for strategy {len(listed) + 1}")
            best = self.ranker.solve()
            if best is None:
                break
            if best.proven:
                best = self._tie_group(best)[0]
            listed.append(best)
            self.ranker.exclude(best.chosen, distance)
            if not best.proven:
                break
        return listed

    def _tie_group(self, first: Solution) -> list[Solution]:
        """Every strategy tied with ``first`` (same cuts), sorted by the tie-break."""
        group = [first]
        temporary = [self.ranker.objective_floor(first.objective)]
        while len(group) <= TIE_GROUP_LIMIT:
            # exclude this strategy alone, not all it is not distinct from
            # (distinct_on), so the tie-break sees every tied strategy
            temporary.append(self.ranker.exclude(group[-1].chosen, every=True))
            other = self.ranker.solve()
            if other is None or not other.proven:
                break
            group.append(other)
        else:
            self._warn_ties(first.objective)
        for con in temporary:
            self.ranker.remove_cut(con)
        return self._sorted(group)


SEARCHES = ("auto", "cuts", "packages")


def search_method(
    search: str, instance: Instance, distinct_on: str, top: int, min_difference: int
) -> str:
    """Which ranking search to run: no-good ``cuts`` or the offer-``packages`` search.

    ``auto`` picks the package search (:mod:`advisor.solving.packages`) for tariff-line
    instances (more than 200 decisions) when it answers the question asked: distinct
    offer packages, strict K-best (the K best completions of each package, merged),
    or the single best strategy; otherwise (``sectors``, ``min_difference`` > 1, and
    every small instance, whose ties are broken by the tie-break rule) no-good cuts.
    """
    if search != "auto":
        if search == "packages" and not _packages_apply(distinct_on, top, min_difference):
            raise ValueError(
                "the package search ranks distinct offer packages (distinct_on='offers'), "
                "strict K-best (distinct_on='all') or the single best strategy (top=1), "
                "with min_difference 1"
            )
        return search
    large = len(instance.decision_ids()) > TIE_BREAK_MAX_DECISIONS
    return "packages" if large and _packages_apply(distinct_on, top, min_difference) else "cuts"


def _packages_apply(distinct_on: str, top: int, min_difference: int) -> bool:
    return min_difference <= 1 and (distinct_on in ("offers", "all") or top == 1)


def _package_gap(package: Package, open_bound: float) -> float:
    """A package's gap: its completion's, or, when the search stopped with nodes left
    open, how far an unexplored strategy could still be above it."""
    unexplored = (open_bound - package.value) / max(1.0, abs(package.value))
    return max(package.gap, unexplored, 0.0)


def _rank_packages(
    ranker: PersistentRanker, instance: Instance, top: int, strict: bool, warnings: list[str]
) -> tuple[list[Solution], int]:
    """The ``top`` best offer packages by :class:`~advisor.solving.packages.OfferPackageSearch`,
    or with ``strict`` the ``top`` best strategies (each package's ``top`` best
    completions, merged).

    For packages (and a single best strategy) dominated request tiers
    (:mod:`advisor.solving.reduction`) are fixed to 0 first: no package's best requests need
    them; a strict list may, so it keeps them. Returns the solutions and the HiGHS
    solves.
    """
    model = ranker.model
    per_package = top if strict else 1
    pruned = dominated_tiers(instance, model.coefficients) if per_package == 1 else {}
    for request in pruned:
        model.request[request].fix(0)
    ranker._match_thread_pool()
    with quiet_stdout():
        ranker.opt.update_variables([model.request[r] for r in pruned])
    highs_model = ranker.opt._solver_model.getModel()
    if highs_model.lp_.sense_ != highspy.ObjSense.kMaximize:
        raise RuntimeError("the package search expects a maximisation")
    search = OfferPackageSearch(
        highs_model,
        ranker.names,
        ranker.decision_columns(),
        list(model.OFFERS),
        max(ranker.mip_gap, OBJECTIVE_TOLERANCE),
        ranker.deadline,
        ranker.threads,
        lambda chosen: tie_key(instance, chosen),
        per_package,
    )
    packages = search.rank(top)
    ranker.timed_out = ranker.timed_out or search.timed_out
    solutions = [
        Solution(
            p.chosen,
            ranker.evaluator.objective_of(p.chosen),
            p.proven and p.gap <= ranker.mip_gap + OBJECTIVE_TOLERANCE,
            _package_gap(p, search.open_bound if search.timed_out else -np.inf),
        )
        for p in packages
    ]
    if any(_in_group(a.objective, b.objective) for a, b in itertools.pairwise(solutions)):
        warnings.append(
            "some listed strategies tie within 1e-6 of each other; the package search "
            "lists ties in its own (deterministic) order, not by the tie-break rule"
        )
    return solutions, search.lp_solves + search.mip_solves


def _best_once(
    instance: Instance,
    objective: str,
    mip_gap: float,
    deadline: float | None,
    threads: int | None,
    tie_break: bool = False,
) -> Solution | None:
    """Build and solve one model for its single best strategy (no ranking): by the
    offer-package search above 200 decisions, else one MILP solve.

    With ``tie_break``, the strategy is the tie-break's pick among all those tied
    at the optimum (needed when the strategy itself is reported, not just its value).
    """
    coefficients = compute_coefficients(instance)
    model = build_model(instance, coefficients, objective=objective)
    evaluator = Evaluator(instance, coefficients, "expected")
    ranker = PersistentRanker(model, evaluator, mip_gap, deadline, threads)
    if search_method("auto", instance, "all", 1, 1) == "packages":  # tariff-line scale
        found, _ = _rank_packages(ranker, instance, 1, False, [])
        solution = found[0] if found else None
    else:
        solution = ranker.solve()
    if solution is None and ranker.timed_out:
        raise _StoppedError("time_limit")
    loop = Ranking(ranker, instance, lambda message: None)
    if tie_break and loop.break_ties and solution is not None and solution.proven:
        solution = loop._tie_group(solution)[0]
    return solution


def scenario_optima(
    instance: Instance, mip_gap: float, deadline: float | None, threads: int | None
) -> dict[str, float]:
    """V*_ω: the best value attainable in each scenario alone, under the same rules."""
    optima = {}
    coefficients = compute_coefficients(instance)
    for w in instance.scenarios:
        solution = _best_once(instance, f"scenario:{w.name}", mip_gap, deadline, threads)
        if solution is None:
            raise _StoppedError("infeasible")
        optima[w.name] = scenario_values(coefficients, instance, solution.chosen)[w.name]
    return optima


def _measures(
    instance: Instance,
    evaluator: Evaluator,
    best: Solution,
    optima: dict[str, float] | None,
    mip_gap: float,
    deadline: float | None,
    threads: int | None,
) -> tuple[ScenarioMeasures, dict[str, float]]:
    """VSS and EVPI for an expected-value ranking (see :mod:`advisor.solving.measures`)."""
    if optima is None:
        optima = scenario_optima(instance, mip_gap, deadline, threads)
    mean = _best_once(
        mean_value_instance(instance), "expected", mip_gap, deadline, threads, tie_break=True
    )
    measures = scenario_measures(
        instance,
        evaluator.objective_of(best.chosen),
        optima,
        None if mean is None else mean.chosen,
        evaluator.objective_of,
    )
    return measures, optima


class _StoppedError(Exception):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def solve(
    instance: Instance,
    top: int | None = None,
    min_difference: int | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    objective: str | None = None,
    threads: int | None = None,
    progress: ProgressFn | None = None,
    with_measures: bool | None = None,
    distinct_on: str | None = None,
    search: str = "auto",
) -> Result:
    """Rank the best strategies of ``instance``.

    Arguments left as None take the instance's defaults (``[ranking]`` and
    ``[model]`` in ``instance.toml``); ``threads`` None means one thread for a
    small model (≤ 200 decisions), HiGHS's default otherwise. ``progress`` receives
    short messages while the search runs. With several scenarios and the expected
    objective, the result also carries VSS and EVPI: one more solve per scenario and
    the mean-value solve, made by default up to 200 decisions only (``with_measures``
    True: always, False: never; when skipped by default the result says so).
    ``search`` is ``auto``, ``cuts`` (no-good cuts on one persistent model) or
    ``packages`` (the offer-package branch and bound of :mod:`advisor.solving.packages`, for
    ``distinct_on`` offers or all, or ``top=1``); ``auto`` takes the package search
    for those questions above 200 decisions. Returns a
    :class:`~advisor.results.Result`; an infeasible instance gives
    ``status == "infeasible"`` and no strategies.
    """
    ranking = instance.ranking
    top = ranking.top if top is None else top
    min_difference = ranking.min_difference if min_difference is None else min_difference
    mip_gap = ranking.mip_gap if mip_gap is None else mip_gap
    time_limit = ranking.time_limit if time_limit is None else time_limit
    objective = instance.objective if objective is None else objective
    distinct_on = ranking.distinct_on if distinct_on is None else distinct_on
    threads = default_threads(instance) if threads is None else threads
    _check_arguments(top, min_difference, mip_gap, time_limit, objective, distinct_on)
    if search not in SEARCHES:
        raise ValueError(f"search must be one of {', '.join(SEARCHES)}, got {search!r}")
    method = search_method(search, instance, distinct_on, top, min_difference)
    report = progress or (lambda message: None)
    started = time.monotonic()
    deadline = None if time_limit is None else started + time_limit

    coefficients = compute_coefficients(instance)
    optima: dict[str, float] | None = None
    measures: ScenarioMeasures | None = None
    solutions: list[Solution] = []
    warnings: list[str] = []
    status = "optimal"
    solves = 0
    version = ""
    try:
        if objective == "regret":
            report("computing each scenario's own optimum")
            optima = scenario_optima(instance, mip_gap, deadline, threads)
            solves += len(optima)
        evaluator = Evaluator(instance, coefficients, objective, optima)
        model = build_model(instance, coefficients, objective, optima)
        ranker = PersistentRanker(model, evaluator, mip_gap, deadline, threads, distinct_on)
        version = ranker.version()
        loop = Ranking(ranker, instance, report)
        # strict K-best lists every tie; with distinct_on offers or sectors a cut
        # removes a whole class, so the greedy loop picks each class's tie-break winner
        if method == "packages":
            report("searching offer packages (branch and bound over the offers)")
            strict = distinct_on == "all"
            solutions, package_solves = _rank_packages(ranker, instance, top, strict, warnings)
            solves += package_solves
        elif min_difference <= 1 and distinct_on == "all":
            solutions = loop.strict(top)
        else:
            solutions = loop.diverse(top, min_difference)
        solves += ranker.solves
        wants_measures = objective == "expected" and len(instance.scenarios) > 1 and solutions
        if with_measures is None:
            with_measures = len(instance.decision_ids()) <= TIE_BREAK_MAX_DECISIONS
            if wants_measures and not with_measures:
                warnings.append(
                    "VSS and EVPI are not computed above "
                    f"{TIE_BREAK_MAX_DECISIONS} decisions by default (one more full solve per "
                    "scenario, and the mean-value solve); ask with with_measures=True "
                    "(CLI --measures)"
                )
        if with_measures and wants_measures:
            report("computing the value of the stochastic solution")
            measures, optima = _measures(
                instance, evaluator, solutions[0], optima, mip_gap, deadline, threads
            )
        warnings.extend(loop.warnings)
        if ranker.timed_out:
            status = "time_limit"
        elif not solutions:
            status = "infeasible"
        elif len(solutions) < top:
            status = "exhausted"
        elif mip_gap > 0:
            status = "gap"
    except _StoppedError as stop:
        status = stop.status
        evaluator = Evaluator(instance, coefficients, objective, optima)
    if status == "time_limit":
        why = (
            f"by the time limit of {time_limit:g} s"
            if time_limit is not None
            else "early (HiGHS did not finish a solve)"
        )
        warnings.append(
            f"stopped {why} after {len(solutions)} strateg"
            f"{'y' if len(solutions) == 1 else 'ies'}; the last may not be proven optimal"
        )
    if len(instance.decision_ids()) > BINDING_ANALYSIS_LIMIT:
        warnings.append(
            f"binding rules are not analysed above {BINDING_ANALYSIS_LIMIT} decisions "
            "(use advisor.explain for rule prices)"
        )
    best = solutions[0].objective if solutions else 0.0
    strategies = tuple(
        evaluator.strategy(rank, s.chosen, best, s.proven, s.gap)
        for rank, s in enumerate(solutions, start=1)
    )
    elapsed = time.monotonic() - started
    return Result(
        instance=instance,
        objective=objective,
        status=status,
        strategies=strategies,
        solver=SolverInfo(
            "highs",
            version or _highs_version(),
            elapsed,
            max((s.gap for s in solutions), default=0.0),
            solves,
            method,
        ),
        top=top,
        min_difference=min_difference,
        mip_gap=mip_gap,
        distinct_on=distinct_on,
        scenario_optimum=optima if objective == "regret" else None,
        scenario_measures=measures,
        warnings=tuple(warnings),
    )


def _highs_version() -> str:
    return ".".join(str(v) for v in Highs().version())


def default_threads(instance: Instance) -> int | None:
    """One HiGHS thread for small models, HiGHS's choice for large ones.

    Starting HiGHS's worker threads costs more than a small MIP takes: on the
    Malaysia instance one thread makes the whole CLI run ~30% faster (measured with
    ``time python solve.py --quiet`` against ``--threads 1``).
    """
    return 1 if len(instance.decision_ids()) <= TIE_BREAK_MAX_DECISIONS else None


def _check_arguments(
    top: int,
    min_difference: int,
    mip_gap: float,
    time_limit: float | None,
    objective: str,
    distinct_on: str,
) -> None:
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    if min_difference < 1:
        raise ValueError(f"min_difference must be at least 1, got {min_difference}")
    if not 0 <= mip_gap <= 1:
        raise ValueError(f"mip_gap must be between 0 and 1, got {mip_gap}")
    if time_limit is not None and time_limit <= 0:
        raise ValueError(f"time_limit must be positive, got {time_limit}")
    if distinct_on not in DISTINCT_ON:
        raise ValueError(
            f"distinct_on must be one of {', '.join(DISTINCT_ON)}, got {distinct_on!r}"
        )
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")


__all__ = ["Result", "Strategy", "solve", "tie_key"]
