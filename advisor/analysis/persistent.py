r"""One persistent HiGHS model per worker: each draw changes numbers, not the model.

A draw changes figures, never the model's shape: the same decisions, linkage
products and rows, with other coefficients. :class:`DrawSolver` opens one
:class:`~advisor.solving.session.SolverSession` on the base instance (the Pyomo
model handed to HiGHS once) and, for each draw, writes the draw's numbers into that
HiGHS model and solves it again:

.. math::

    \max_x \; c(θ_d)^\top x + c_0(θ_d) \quad \text{s.t.} \quad
    l(θ_d) ≤ A(θ_d) x ≤ u(θ_d), \; x_i ∈ \{0, 1\} \text{ (decisions)}

where θ_d are the draw's figures. c, c_0, A, l and u are read from the draw's model
(:func:`advisor.model.build_model` on the draw's coefficients, the expressions only,
not handed to a solver) exactly as the session's hand-off reads them
(:class:`advisor.linear_form.LinearReader`, then ``lower - constant``, ``upper -
constant``), so the persistent model holds the same floats a rebuilt one would; only
what changed is pushed: the objective's costs and offset (``changeColsCost``,
``changeObjectiveOffset``), the matrix entries that moved (``changeCoeff``: the
reciprocity, budget, market-share and objective-linked rows), and the row bounds
(``changeRowsBounds``). HiGHS starts each draw from a cleared solver, as a new model
would. The draw's evaluator and rule book (which score and check strategies from the
instance's own numbers) are the draw's.

A draw is solved on a rebuilt model instead (:func:`~advisor.solving.session.open_session`,
the same result) when the persistent model cannot hold it: the draw's money scales
differ from the base's (:mod:`advisor.scaling`: a rescaled row is other numbers for
the same rows, but the tie tolerance is in the scale's units, so a rebuild keeps the
comparison exact), the set of non-zero entries differs (an entry that becomes 0, or
a linkage product that appears or disappears), an entry is below HiGHS's
small-matrix threshold (HiGHS would drop it on a fresh build but keep a changed one),
the ``regret`` objective (each draw's scenario optima are solves of their own), or
the offer-package search (above 200 decisions).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo

from advisor.economics import compute_coefficients
from advisor.evaluation import Evaluator
from advisor.instance import Instance
from advisor.linear_form import LinearReader, row_bounds
from advisor.model import build_model
from advisor.rules import RuleBook
from advisor.solving.cuts import TIE_BREAK_MAX_DECISIONS
from advisor.solving.runtime import quiet_stdout
from advisor.solving.session import SolverSession, open_session

SMALL_MATRIX_VALUE = 1e-9  # HiGHS drops matrix entries at or below this on a build


@dataclass
class LpNumbers:
    """A model's numbers as HiGHS holds them: costs, offset, entries, row bounds."""

    costs: np.ndarray
    offset: float
    entries: dict[tuple[int, int], float]  # (row, column) -> a_rc, non-zero
    lower: np.ndarray
    upper: np.ndarray


def lp_numbers(
    model: pyo.ConcreteModel, columns: dict[str, int], rows: dict[str, int]
) -> LpNumbers | None:
    """The numbers of ``model`` placed at the base model's columns and rows.

    None when the model does not fit them: a variable or row the base model lacks,
    or a row count that differs.
    """
    reader = LinearReader()
    costs = np.zeros(len(columns))
    objective = next(model.component_data_objects(pyo.Objective, active=True))
    form = reader.read(objective.expr)
    for vid, coef in form.coefficients.items():
        column = columns.get(reader.variable(vid).name)
        if column is None:
            return None
        costs[column] = coef
    lower = np.full(len(rows), -np.inf)
    upper = np.full(len(rows), np.inf)
    entries: dict[tuple[int, int], float] = {}
    count = 0
    for con in model.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        row = rows.get(con.name)
        if row is None:
            return None
        count += 1
        bounded = con.to_bounded_expression()
        body = reader.read(bounded[1])
        for vid, entry in body.coefficients.items():
            column = columns.get(reader.variable(vid).name)
            if column is None:
                return None
            if entry != 0:
                entries[row, column] = entry
        lower[row], upper[row] = row_bounds(bounded, body)
    if count != len(rows):
        return None
    return LpNumbers(costs, form.constant, entries, lower, upper)


class DrawSolver:
    """A worker's persistent model: the base session, re-numbered for each draw."""

    def __init__(self, instance: Instance, objective: str) -> None:
        """Open the base session once and read its numbers."""
        self.objective = objective
        self.session = open_session(instance, objective, None, binding=False)
        self.base_scales = self.session.model.scales
        self.columns = self.session.variable_columns()
        model = self.session.model
        constraints = list(model.component_data_objects(pyo.Constraint, active=True))
        self.rows = dict(zip([c.name for c in constraints],
                             self.session.constraint_rows(constraints), strict=True))
        self.current = lp_numbers(model, self.columns, self.rows)
        self.base_instance = instance
        self.rebuilt = 0  # draws that needed a rebuilt model
        self.bounds_changed = 0  # row bounds written (a count, for tests)

    def usable(self, instance: Instance) -> bool:
        """Whether draws of ``instance`` may run on the persistent model."""
        return (
            self.current is not None
            and self.objective != "regret"
            and len(instance.decision_ids()) <= TIE_BREAK_MAX_DECISIONS
        )

    def session_for(self, instance: Instance) -> tuple[SolverSession, bool]:
        """A session holding ``instance``'s numbers, and whether it is the persistent one.

        The persistent session must be given back with :meth:`release` after use.
        """
        if not self.usable(instance):
            self.rebuilt += 1
            return open_session(instance, self.objective, None, binding=False), False
        coefficients = compute_coefficients(instance)
        model = build_model(instance, coefficients, self.objective, None)
        scored = "expected" if self.objective.startswith("scenario:") else self.objective
        evaluator = Evaluator(instance, coefficients, scored, None, None,
                              unit=model.scales.objective)
        rulebook = RuleBook(model, instance.decision_ids())
        numbers = None
        if model.scales == self.base_scales and self._same_shape(model):
            numbers = lp_numbers(model, self.columns, self.rows)
        if numbers is None or not self._push(numbers):
            # the draw's own model to a solver of its own: open_session's, built once
            self.rebuilt += 1
            return SolverSession(instance, coefficients, model, evaluator, rulebook,
                                 threads=1), False
        session = self.session
        session.instance = instance
        session.coefficients = coefficients
        session.evaluator = evaluator
        session.rulebook = rulebook
        session.highs.clearSolver()
        return session, True

    def _same_shape(self, model: pyo.ConcreteModel) -> bool:
        """Whether ``model`` has the base model's variables and rows (by name)."""
        variables = [x.name for x in model.component_data_objects(pyo.Var)]
        constraints = [c.name for c in model.component_data_objects(pyo.Constraint, active=True)]
        return (len(variables) == len(self.columns) and all(v in self.columns for v in variables)
                and len(constraints) == len(self.rows)
                and all(c in self.rows for c in constraints))

    def release(self) -> None:
        """Take the draw's cuts out of the persistent model."""
        cuts = self.session.model.ranking_cuts
        for index in list(cuts.keys()):
            self.session.remove_cut(cuts[index])
        self.session.timed_out = False
        # a fresh session's state: no start offered (a draw without a solution keeps it)
        self.session._started = False

    def _push(self, numbers: LpNumbers) -> bool:
        """Write what differs from the model's current numbers into HiGHS.

        False (nothing written) when the non-zero entries are not the same set, or an
        entry is at or below HiGHS's small-matrix threshold.
        """
        current = self.current
        assert current is not None
        if numbers.entries.keys() != current.entries.keys() or any(
            abs(v) <= SMALL_MATRIX_VALUE for v in numbers.entries.values()
        ):
            return False
        highs = self.session.highs
        with quiet_stdout():
            if not np.array_equal(numbers.costs, current.costs):
                n = len(numbers.costs)
                highs.changeColsCost(n, np.arange(n, dtype=np.int32), numbers.costs)
            if numbers.offset != current.offset:
                highs.changeObjectiveOffset(numbers.offset)
            for (row, column), value in numbers.entries.items():
                if current.entries[row, column] != value:
                    highs.changeCoeff(row, column, value)
            moved = (numbers.lower != current.lower) | (numbers.upper != current.upper)
            lower, upper = _finite(numbers.lower), _finite(numbers.upper)
            for row in np.flatnonzero(moved).tolist():
                highs.changeRowBounds(row, lower[row], upper[row])
                self.bounds_changed += 1
        self.current = numbers
        return True


def _finite(bounds: np.ndarray) -> np.ndarray:
    """Infinite bounds as HiGHS's infinity."""
    import highspy

    return np.clip(bounds, -highspy.kHighsInf, highspy.kHighsInf)


# this thread's solver, with the context it serves: a worker's, whether the worker is
# a process (the pool, Dask's nanny) or a thread (a Dask cluster with processes=False)
_LOCAL = threading.local()


def draw_solver(context: Any, instance: Instance, objective: str) -> DrawSolver:
    """The worker's persistent solver for ``context`` (one per worker, made at first use)."""
    found: tuple[Any, DrawSolver] | None = getattr(_LOCAL, "solver", None)
    if found is not None and found[0] is context:
        return found[1]
    solver = DrawSolver(instance, objective)
    _LOCAL.solver = (context, solver)
    return solver
