"""A solver session: one model, one persistent HiGHS instance, and what is added to it.

:func:`open_session` is the one way the advisor goes from an instance to a solver:
coefficients (:mod:`advisor.economics`), the Pyomo model (:mod:`advisor.model`), the
evaluator that scores decision sets (:mod:`advisor.evaluation`), the model's rules
(:mod:`advisor.rules`) and a :class:`SolverSession` holding Pyomo's persistent HiGHS
interface (``pyomo.contrib.solver``'s ``highs``). Every later solve only adds or
removes rows (cuts, dropped rules) or changes a mutable parameter, which the
persistent interface passes on without rebuilding anything.

This module and :mod:`advisor.solving.handoff` (how the model reaches HiGHS) are
the only code that touches Pyomo's or highspy's private parts (``_solver_model``,
``_pyomo_var_to_solver_var_map``): Pyomo is pinned to a minor version for it
(``pyproject.toml``).
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs
from scipy import sparse

from advisor.economics import Coefficients, compute_coefficients
from advisor.evaluation import Evaluator
from advisor.instance import Instance
from advisor.linkages import derived_values
from advisor.model import build_model
from advisor.results import OBJECTIVE_TOLERANCE, tolerance
from advisor.rules import Rule, RuleBook, model_rules
from advisor.solving.handoff import BulkHighs
from advisor.solving.lagrangian import constraint_matrix
from advisor.solving.runtime import (
    guarded_run,
    interrupt_as_keyboard,
    match_thread_pool,
    quiet_stdout,
    time_limit_option,
)
from advisor.solving.trouble import NumericalTroubleError

if TYPE_CHECKING:
    from advisor.solving.memory import SearchMemory

# HiGHS 1.16's MIP presolve can call a suboptimal strategy optimal, or stop with
# "Solve error", on models of a dozen binaries that it solves right without presolve
# (found by tests/test_fuzz.py; the ERGO-Code/HiGHS "presolve returns a suboptimal
# solution as optimal" reports). Models up to this many decisions, whose ranking is
# exact and tie-broken and whose solves take milliseconds, are solved without it;
# a larger model's run that ends in an error status is solved again without it.
PRESOLVE_MIN_DECISIONS = 200
# A binary within HiGHS's default integrality tolerance (1e-6) of 0 still adds 1e-6 of
# its coefficient: an offer worth 7e7 beside requests costing 9 then "pays" for them
# at x = 1e-6 and every listed strategy breaks reciprocity (tests/test_fuzz.py), a
# range of 8e6, inside what scaling.SAFE_RANGE calls safe. 1e-9 keeps such binaries
# at 0 up to ranges of ~1e9.
MIP_FEASIBILITY_TOLERANCE = 1e-9
# HiGHS's default primal feasibility tolerance: a known point within it of a row's
# bounds keeps the row (SolverSession.keeps_rules)
FEASIBILITY_TOLERANCE = 1e-7
HIGHS_NO_LIMIT = 2147483647  # HiGHS's default of its count options (no limit)


@dataclass(frozen=True)
class Solution:
    """One solve's decision set, its objective (recomputed) and how it ended."""

    chosen: frozenset[str]
    objective: float
    proven: bool
    gap: float


@dataclass
class SolverSession:
    """One model and one persistent HiGHS instance; cuts and changes come and go.

    ``deadline`` (a ``time.monotonic()`` value) bounds every solve of the session;
    ``timed_out`` says whether one was stopped by it. ``distinct_on`` (``all``,
    ``offers`` or ``sectors``) says which decisions a no-good cut compares;
    ``rulebook`` checks decision sets against the model's rules.
    """

    instance: Instance
    coefficients: Coefficients
    model: pyo.ConcreteModel
    evaluator: Evaluator
    rulebook: RuleBook
    mip_gap: float = 0.0
    deadline: float | None = None
    threads: int | None = None
    distinct_on: str = "all"
    solves: int = 0
    timed_out: bool = False
    solver_time: float = 0.0
    _started: bool = field(default=False, repr=False)
    dominated_fixed: bool = False  # the dominated request tiers are fixed at 0 (for good)
    # HiGHS rows taken out by drop(): their bounds, to put back
    _dropped: dict[int, tuple[float, float]] = field(default_factory=dict, repr=False)
    # HiGHS's constraint matrix for keeps_rules(), None after a change to it
    _matrix_cache: sparse.csr_matrix | None = field(default=None, repr=False)
    # what each offer-package search leaves for the next (advisor.solving.memory),
    # when set: an explanation's re-solves of one model with one rule changed
    memory: SearchMemory | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        """Hand the model to a persistent HiGHS instance, once."""
        model = self.model
        self.binaries = [model.request[r] for r in model.REQUESTS] + [
            model.offer[j] for j in model.OFFERS
        ]
        self.names = list(model.REQUESTS) + list(model.OFFERS)
        compared = {
            "all": set(self.names),
            "offers": set(model.OFFERS),
            "sectors": set(model.REQUESTS),
        }[self.distinct_on]
        self.compared = [
            (n, x) for n, x in zip(self.names, self.binaries, strict=True) if n in compared
        ]
        model.ranking_cuts = pyo.ConstraintList()
        self.opt = BulkHighs()
        self.opt.config.raise_exception_on_nonoptimal_result = False
        self.opt.config.load_solutions = False
        with quiet_stdout(), interrupt_as_keyboard():
            self.opt.set_instance(model)
        if self.rulebook.model is model:  # its rows as read for HiGHS, not read again
            self.rulebook.share_forms(self.opt.forms)

    # ------------------------------------------------------------------ the rules

    @functools.cached_property
    def rules(self) -> list[Rule]:
        """The model's negotiable rules (:func:`advisor.rules.model_rules`), read once."""
        return model_rules(self.model, self.instance)

    def version(self) -> str:
        """HiGHS's version, e.g. ``1.16.0``."""
        return ".".join(str(v) for v in self.opt.version())

    # ------------------------------------------------------------------ solving

    def solve(self, presolve: bool | None = None, first_found: bool = False) -> Solution | None:
        """Solve once; None when infeasible or stopped with nothing found.

        ``presolve`` None: HiGHS's presolve above :data:`PRESOLVE_MIN_DECISIONS`
        decisions only. ``first_found``: stop at the first strategy that keeps the
        rules (a feasibility question; its objective is not optimal).
        """
        if presolve is None:
            presolve = len(self.names) > PRESOLVE_MIN_DECISIONS
        match_thread_pool(self.threads)
        # A gap of 0 means "proven within the tie tolerance": strategies closer than
        # that are ties anyway, and closing the last 1e-6 can take HiGHS 10x longer.
        options: dict[str, object] = {
            "rel_gap": max(self.mip_gap, OBJECTIVE_TOLERANCE),
            # set on every solve: highspy keeps an option until it is set again
            "solver_options": {
                "presolve": "choose" if presolve else "off",
                "mip_feasibility_tolerance": MIP_FEASIBILITY_TOLERANCE,
                "mip_max_improving_sols": 1 if first_found else HIGHS_NO_LIMIT,
                # HiGHS checks the solution limit in its tree search only: a restart
                # after the root (a second presolve, 4-8 s at 10,000 lines) would come
                # after the strategy a feasibility question needs
                "mip_allow_restart": not first_found,
            },
        }
        if self.threads is not None:
            options["threads"] = self.threads
        remaining = None
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                return None
            options["time_limit"] = time_limit_option(self.highs, remaining)
        try:
            with guarded_run(self.highs, remaining) as cancelled:
                results = self.opt.solve(self.model, **options)
        except NumericalTroubleError:
            if not presolve:
                raise
            self.solves += 1
            self.highs.clearSolver()
            # an error of HiGHS's presolve, not ours
            return self.solve(presolve=False, first_found=first_found)
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
            self.highs.clearSolver()
            return self.solve(presolve, first_found)
        self._started = False
        return self._solution(results)

    def _solution(self, results: object) -> Solution:
        primals = results.solution_loader.get_vars(self.binaries)  # type: ignore[attr-defined]
        chosen = frozenset(
            n for n, v in zip(self.names, self.binaries, strict=True) if primals[v] > 0.5
        )
        converged = TerminationCondition.convergenceCriteriaSatisfied
        proven = results.termination_condition == converged  # type: ignore[attr-defined]
        gap = 0.0
        bound = results.objective_bound  # type: ignore[attr-defined]
        incumbent = results.incumbent_objective  # type: ignore[attr-defined]
        if bound is not None and incumbent is not None:
            # in the model's units (money / S_V), scaled like the tie tolerance: an
            # incumbent of 0 (a regret of 0, say) must not turn rounding noise in the
            # bound into a huge gap
            gap = abs(bound - incumbent) / max(1.0, abs(incumbent))
        # HiGHS also stops at its absolute gap (1e-6 by default): within a tie, so proven
        proven = proven and gap <= self.mip_gap + OBJECTIVE_TOLERANCE
        return Solution(chosen, self.evaluator.objective_of(chosen), proven, gap)

    def feasible(self) -> bool:
        """Whether any strategy satisfies the rules now in the solver.

        HiGHS stops at the first strategy it finds (``mip_max_improving_sols`` 1): at
        10,000 lines a diagnosis's feasibility solves no longer prove an optimum each.
        The objective is set aside (every cost 0, put back after): HiGHS partitions
        the objective's binaries into cliques before its root node, 10 s of a 16 s
        feasibility solve at 10,000 lines, against 0.2 s for the same question with
        no objective.
        """
        costs = np.array(self.highs.getLp().col_cost_)
        columns = np.arange(len(costs), dtype=np.int32)
        self.highs.changeColsCost(len(costs), columns, np.zeros(len(costs)))
        try:
            return self.solve(first_found=True) is not None
        finally:
            self.highs.changeColsCost(len(costs), columns, costs)

    # ------------------------------------------------------------------ cuts and rows

    def _distance_expr(self, chosen: frozenset[str], every: bool = False) -> pyo.Expression:
        """Hamming distance from ``chosen`` over the decisions ``distinct_on`` compares.

        With ``every``, over every decision.
        """
        pairs = zip(self.names, self.binaries, strict=True) if every else self.compared
        return pyo.quicksum((1 - x) if name in chosen else x for name, x in pairs)

    def add_cut(self, expr: object) -> pyo.ConstraintData:
        """Add a row to the model and the solver."""
        con = self.model.ranking_cuts.add(expr)
        self.opt.add_constraints([con])
        self._matrix_cache = None
        return con

    def remove_cut(self, con: pyo.ConstraintData) -> None:
        """Remove a row added by :meth:`add_cut`."""
        self.opt.remove_constraints([con])
        del self.model.ranking_cuts[con.index()]
        self._matrix_cache = None

    def exclude(
        self, chosen: frozenset[str], distance: int = 1, every: bool = False
    ) -> pyo.ConstraintData:
        r"""Add the no-good (Hamming) cut keeping later solutions ≥ ``distance`` away.

        .. math:: Σ_{i: x^*_i = 1} (1 - x_i) + Σ_{i: x^*_i = 0} x_i ≥ d
        """
        return self.add_cut(self._distance_expr(chosen, every) >= distance)

    def objective_floor(self, value: float) -> pyo.ConstraintData:
        """Keep only solutions tied with ``value`` (the enumeration of a tie group)."""
        unit = self.model.scales.objective
        return self.add_cut(self.model.objective.expr >= (value - tolerance(value, unit)) / unit)

    def drop(self, rows: list[pyo.ConstraintData]) -> None:
        """Take constraint rows out of the solves: their HiGHS rows made free (±∞).

        On HiGHS's rows, not through Pyomo: Pyomo's ``remove_constraints`` also removes
        every variable no longer referenced and renumbers HiGHS's columns (at 10,000
        lines 51 s of an explanation's 278 s, and as much again to add them back).
        """
        indices = [i for i in dict.fromkeys(self.constraint_rows(rows)) if i not in self._dropped]
        if indices:
            lower, upper = self._row_bounds()
            self._dropped.update({i: (lower[i], upper[i]) for i in indices})
            self._free_rows(np.array(indices, dtype=np.int32))
        for con in rows:
            con.deactivate()

    def _row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lp = self.highs.getLp()
        return np.array(lp.row_lower_), np.array(lp.row_upper_)

    def _free_rows(self, indices: np.ndarray) -> None:
        free = np.full(len(indices), highspy.kHighsInf)
        self.highs.changeRowsBounds(len(indices), indices, -free, free)  # type: ignore[attr-defined]

    def restore(self, rows: list[pyo.ConstraintData]) -> None:
        """Put rows taken out by :meth:`drop` back."""
        indices = [i for i in dict.fromkeys(self.constraint_rows(rows)) if i in self._dropped]
        if indices:
            bounds = np.array([self._dropped.pop(i) for i in indices])
            self.highs.changeRowsBounds(  # type: ignore[attr-defined]
                len(indices), np.array(indices, dtype=np.int32), bounds[:, 0], bounds[:, 1]
            )
        for con in rows:
            con.activate()

    @contextlib.contextmanager
    def without(self, constraints: Iterable[pyo.ConstraintData]) -> Iterator[None]:
        """Solve as if ``constraints`` were not there (a rule dropped), then restore."""
        rows = list(constraints)
        self.drop(rows)
        try:
            yield
        finally:
            self.restore(rows)

    @contextlib.contextmanager
    def fixed(self, decision: str, value: int) -> Iterator[None]:
        """Solve with one decision forced to ``value`` (0 or 1), then free it."""
        cut = self.add_cut(self.binaries[self.names.index(decision)] == value)
        try:
            yield
        finally:
            self.remove_cut(cut)

    def set_parameter(self, param: pyo.Param, value: float) -> None:
        """Set a mutable parameter (budget, ratio, cap) and pass it to HiGHS.

        Only the coefficients and row bounds that hold ``param`` are recomputed (Pyomo's
        ``update_parameters`` recomputes every mutable one: at 10,000 lines about 0.5 s
        a call, most of a diagnosis's budget bisection).
        """
        param.set_value(value)
        with quiet_stdout():
            if self.opt.update_parameter(param):
                self._matrix_cache = None  # a coefficient (the ratio's), not a bound
        if self._dropped:  # rows whose bounds the hand-off put back: keep those for restore()
            indices = np.array(list(self._dropped), dtype=np.int32)
            lower, upper = self._row_bounds()
            reset = np.isfinite(lower[indices]) | np.isfinite(upper[indices])
            self._dropped.update({int(i): (lower[i], upper[i]) for i in indices[reset]})
            self._free_rows(indices)

    @contextlib.contextmanager
    def parameter(self, param: pyo.Param, value: float) -> Iterator[None]:
        """Solve with a mutable parameter at ``value``, then restore it."""
        old = pyo.value(param)
        self.set_parameter(param, value)
        try:
            yield
        finally:
            self.set_parameter(param, old)

    @contextlib.contextmanager
    def maximising(self, expression: object) -> Iterator[None]:
        """Solve with ``expression`` maximised instead of the objective, then restore it.

        HiGHS's costs and offset change, not its rows: one scenario's value on the
        ranking's model is that scenario's own problem (its optimum for VSS and EVPI).
        """
        saved = self.opt.costs()
        self.opt.pass_costs_of(expression)
        self._started = False
        try:
            yield
        finally:
            self.opt.pass_costs(*saved)

    def fix_requests(self, requests: Iterable[str]) -> None:
        """Fix request tiers to 0 for good (tiers no strategy of interest needs)."""
        variables = [self.model.request[r] for r in requests]
        for x in variables:
            x.fix(0)
        match_thread_pool(self.threads)
        with quiet_stdout():
            self.opt.update_variables(variables)

    # ------------------------------------------------------------------ highspy's side

    @property
    def highs(self) -> highspy.Highs:
        """The highspy object behind Pyomo's persistent interface."""
        return self.opt._solver_model

    def highs_model(self) -> highspy.HighsModel:
        """A copy of the model as HiGHS holds it (for the offer-package search)."""
        return self.highs.getModel()

    def decision_columns(self) -> list[int]:
        """HiGHS's column of each decision binary, in the order of ``names``."""
        columns = self.opt._pyomo_var_to_solver_var_map
        return [columns[id(x)] for x in self.binaries]

    def variable_columns(self) -> dict[str, int]:
        """HiGHS's column of every model variable, by the variable's Pyomo name."""
        columns = self.opt._pyomo_var_to_solver_var_map
        return {
            x.name: columns[id(x)]
            for x in self.model.component_data_objects(pyo.Var, descend_into=True)
            if id(x) in columns
        }

    def constraint_rows(self, constraints: Iterable[pyo.ConstraintData]) -> list[int]:
        """HiGHS's row of each constraint (as the model was handed over, before any cut)."""
        rows = self.opt._pyomo_con_to_solver_con_map
        return [rows[con] for con in constraints]

    def last_point(self) -> np.ndarray:
        """HiGHS's column values after the last solve that found a strategy."""
        return np.array(self.highs.getSolution().col_value)

    def keeps_rules(self, point: np.ndarray) -> bool:
        """Whether ``point`` (a value per HiGHS column) keeps every row and bound now in force.

        The rows as HiGHS holds them now, with cuts, dropped rules (free rows) and
        parameter changes: a strategy found earlier answers a later feasibility
        question without a solve when it still fits. Within HiGHS's primal
        feasibility tolerance (1e-7, relative above 1): a point it rejects only costs
        a solve.
        """
        lp = self.highs.getLp()
        activity = self._matrix(lp) @ point
        return within(activity, lp.row_lower_, lp.row_upper_) and within(
            point, lp.col_lower_, lp.col_upper_
        )

    def _matrix(self, lp: highspy.HighsLp) -> sparse.csr_matrix:
        """HiGHS's constraint matrix, kept until a cut or parameter changes it.

        Reading it from highspy takes about 0.15 s at 10,000 lines (lists of 220,000
        numbers); a diagnosis asks dozens of times between changes.
        """
        if self._matrix_cache is None:
            self._matrix_cache = constraint_matrix(lp)
        return self._matrix_cache

    def warm_start(self, chosen: frozenset[str]) -> None:
        """Offer HiGHS a known feasible strategy as its starting incumbent.

        Pyomo's persistent interface has no warm-start call for HiGHS, so the
        solution goes to the highspy object directly.
        """
        values = [0.0] * self.highs.getNumCol()
        for name, column in zip(self.names, self.decision_columns(), strict=True):
            values[column] = 1.0 if name in chosen else 0.0
        columns = self.opt._pyomo_var_to_solver_var_map
        for variable, value in derived_values(self.model, chosen).items():
            values[columns[variable]] = value  # the linkages' products, consistent
        solution = highspy.HighsSolution()
        solution.col_value = values
        self.highs.setSolution(solution)
        self._started = True

    def _solution_matches_objective(self) -> bool:
        """Whether HiGHS's solution is worth the objective it reports (c·x + offset)."""
        lp = self.highs.getLp()
        x = self.highs.getSolution().col_value
        value = sum(c * v for c, v in zip(lp.col_cost_, x, strict=True)) + lp.offset_
        reported = self.highs.getInfo().objective_function_value
        return abs(value - reported) <= tolerance(reported)


def highs_of(opt: Highs) -> highspy.Highs:
    """The highspy object behind Pyomo's persistent HiGHS ``opt`` (after set_instance).

    For code that drives its own persistent interface (the coalition's joint model)
    and must run it through :func:`~advisor.solving.runtime.guarded_run`.
    """
    return opt._solver_model


def highs_version() -> str:
    """HiGHS's version without a session, e.g. ``1.16.0``."""
    return ".".join(str(v) for v in Highs().version())


def within(values: np.ndarray, lower: Iterable[float], upper: Iterable[float]) -> bool:
    """Whether every value lies in its [lower, upper], within 1e-7 (relative above 1)."""
    low, high = np.asarray(lower), np.asarray(upper)
    slack_low = FEASIBILITY_TOLERANCE * np.maximum(1.0, np.abs(low))  # inf where infinite
    slack_high = FEASIBILITY_TOLERANCE * np.maximum(1.0, np.abs(high))
    return bool(np.all(values >= low - slack_low) and np.all(values <= high + slack_high))


def open_session(
    instance: Instance,
    objective: str = "expected",
    optima: Mapping[str, float] | None = None,
    *,
    mip_gap: float = 0.0,
    deadline: float | None = None,
    threads: int | None = None,
    distinct_on: str = "all",
    binding: bool = True,
) -> SolverSession:
    """Coefficients, model, evaluator and a persistent solver for ``instance``.

    ``objective`` is ``expected``, ``worst_case``, ``regret`` (with ``optima``, each
    scenario's own best value) or ``scenario:NAME``; strategies are scored under the
    same objective (``expected`` for a single scenario's model). With ``binding``
    the evaluator lists each strategy's binding rules from the model's rules.
    ``threads`` None is one HiGHS thread, as every solve of the advisor
    (:func:`advisor.solving.settings.default_threads`): the analyses that open a
    session without saying (explain, frontier, diagnose, bargain, calibrate) then
    give the same answer on every machine.
    """
    threads = 1 if threads is None else threads
    coefficients, model = _model(instance, objective, optima)
    scored = "expected" if objective.startswith("scenario:") else objective
    rulebook = RuleBook(model, instance.decision_ids())
    evaluator = Evaluator(
        instance,
        coefficients,
        scored,
        optima,
        rulebook if binding else None,
        unit=model.scales.objective,
    )
    return SolverSession(
        instance, coefficients, model, evaluator, rulebook, mip_gap, deadline, threads, distinct_on
    )


def _model(
    instance: Instance, objective: str, optima: Mapping[str, float] | None
) -> tuple[Coefficients, pyo.ConcreteModel]:
    coefficients = compute_coefficients(instance)
    return coefficients, build_model(instance, coefficients, objective, optima)


def lp_relaxation_duals(
    instance: Instance,
    objective: str,
    optima: Mapping[str, float] | None = None,
    time_limit: float | None = None,
) -> dict[str, float]:
    """|Σ duals| of each numeric rule's rows in the LP relaxation, by rule location.

    Locations read ``instance.toml: model.domestic_budget``; the result is empty if
    HiGHS gives no duals.

    The relaxation is a model of its own (integrality relaxed), solved once, within
    ``time_limit`` seconds (None: no limit; stopped: no prices).
    """
    _, model = _model(instance, objective, optima)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    opt = BulkHighs()
    with quiet_stdout():
        results = opt.solve(
            model,
            load_solutions=False,
            raise_exception_on_nonoptimal_result=False,
            time_limit=time_limit,
        )
    if results.termination_condition != TerminationCondition.convergenceCriteriaSatisfied:
        return {}
    out: dict[str, float] = {}
    s = model.scales  # a row divided by S_r, the objective by S_V: duals times S_V / S_r
    row_scale = {"reciprocity": s.reciprocity, "budget": s.budget, "cap": s.exports}
    with contextlib.suppress(Exception):  # no duals (infeasible, stopped): no prices
        duals = results.solution_loader.get_duals()
        for rule in model_rules(model, instance):
            if rule.kind != "condition":
                total = abs(sum(duals.get(c, 0.0) for c in rule.constraints))
                out[rule.location] = total * s.objective / row_scale.get(rule.kind, s.exports)
    return out
