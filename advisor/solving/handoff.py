"""Pyomo's persistent HiGHS interface, with rows handed over in bulk.

Pyomo's interface (``pyomo.contrib.solver``'s ``highs``) derives each row's
standard representation one at a time, with every coefficient that holds a mutable
parameter kept as an expression and evaluated, and walks each row a second time
for its variables: at 10,000 lines (seed 1) 6.7-8.1 s, against 1.2-1.5 s here.
:class:`BulkHighs` keeps that interface (its solve, results, solution loading,
column and row maps) and replaces how rows, columns and the objective reach HiGHS:
every row is read by :class:`advisor.linear_form.LinearReader` (each named
expression read once) and the rows go to HiGHS in one ``addRows``, the columns in
one ``addVars``, in the order Pyomo's own interface gives them, so that HiGHS holds
the same model, entry for entry (``tests/test_handoff.py``).

Mutable parameters (the reciprocity ratio ρ, the budget B, the share caps and
floors, the offer cost weight λ): Pyomo keeps one helper per coefficient that
holds one (about 200,000 at 10,000 lines); here each row that holds a parameter
is read again when it changes (:meth:`BulkHighs.update_parameter`), and only its
changed coefficients and bounds are passed on.

Columns stay for the session's life: removing a row never removes a variable
(Pyomo's interface removes variables no row refers to any longer, which renumbers
HiGHS's columns). Every change goes through an explicit call: the automatic
updates of Pyomo's interface are off.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.solvers.highs import Highs

from advisor.linear_form import ExpressionWalker, LinearForm, LinearReader, row_bounds

INF = highspy.kHighsInf

# Pyomo re-reads nothing on its own: every change goes through explicit calls
_NO_AUTO_UPDATES = (
    "check_for_new_or_removed_constraints",
    "check_for_new_or_removed_vars",
    "check_for_new_or_removed_params",
    "update_constraints",
    "update_vars",
    "update_named_expressions",
    "update_parameters",
)


class BulkHighs(Highs):
    """Pyomo's persistent HiGHS interface, rows and objective read in bulk."""

    def __init__(self, **kwds: Any) -> None:
        """Pyomo's interface with its automatic updates off."""
        super().__init__(**kwds)
        for option in _NO_AUTO_UPDATES:
            setattr(self.config.auto_updates, option, False)
        # rows holding mutable parameters: the ids of those parameters, and the
        # coefficients HiGHS holds for the row (column -> value)
        self._row_parameters: dict[Any, frozenset[int]] = {}
        self._row_values: dict[Any, dict[int, float]] = {}
        self._objective_parameters: frozenset[int] = frozenset()
        # every row's linear form as HiGHS holds it now (the trust check reads these)
        self.forms: dict[Any, LinearForm] = {}

    # ------------------------------------------------------------------ rows

    def add_constraints(self, cons: list[Any]) -> None:
        """Add rows (and the variables they bring) to HiGHS in one call each."""
        walker = ExpressionWalker()
        new_variables: dict[int, Any] = {}
        parameters = []
        rows = [con.to_bounded_expression() for con in cons]
        for con, (lower, body, upper) in zip(cons, rows, strict=True):
            if con in self._named_expressions:
                raise ValueError(f"Constraint {con.name} has already been added")
            self._active_constraints[con] = con.expr
            variables, held = walker.walk(body)
            parameters.append(held | walker.parameters(b for b in (lower, upper) if b is not None))
            self._named_expressions[con] = []  # named expressions are never re-read
            self._vars_referenced_by_con[con] = list(variables.values())
            for vid, var in variables.items():
                if vid not in self._referenced_variables:
                    new_variables.setdefault(vid, var)
        if new_variables:
            self.add_variables(list(new_variables.values()))
        for con in cons:
            for var in self._vars_referenced_by_con[con]:
                self._referenced_variables[id(var)][0][con] = None
        self._add_rows(cons, rows, parameters)

    def _add_rows(
        self, cons: list[Any], rows: list[tuple[Any, Any, Any]], parameters: list[frozenset[int]]
    ) -> None:
        self._invalidate()
        reader = LinearReader()
        columns = self._pyomo_var_to_solver_var_map
        lower: list[float] = []
        upper: list[float] = []
        entries: list[dict[int, float]] = []
        first = len(self._pyomo_con_to_solver_con_map)
        for k, (con, bounded, held) in enumerate(zip(cons, rows, parameters, strict=True)):
            form = reader.read(bounded[1])
            self.forms[con] = form
            row = _row(form, columns)
            entries.append(row)
            low, high = row_bounds(bounded, form)
            lower.append(low)
            upper.append(high)
            self._pyomo_con_to_solver_con_map[con] = first + k
            self._solver_con_to_pyomo_con_map[first + k] = con
            if held:
                self._row_parameters[con] = held
                self._row_values[con] = row
        add_rows(self._solver_model, entries, lower, upper)

    def _remove_constraints(self, cons: list[Any]) -> None:
        super()._remove_constraints(cons)
        for con in cons:
            self._row_parameters.pop(con, None)
            self._row_values.pop(con, None)
            self.forms.pop(con, None)

    def _check_to_remove_vars(self, variables: list[Any]) -> None:
        """Keep every column: HiGHS's column numbers never change in a session."""

    # ------------------------------------------------------------------ objective

    def set_objective(self, obj: Any) -> None:
        """Make ``obj`` the objective (None: no objective), its variables read once."""
        if self._objective is not None:  # type: ignore[has-type]
            for var in self._vars_referenced_by_obj:  # type: ignore[has-type]
                self._referenced_variables[id(var)][2] = None
        variables: dict[int, Any] = {}
        self._objective_parameters = frozenset()
        if obj is not None:
            variables, self._objective_parameters = ExpressionWalker().walk(obj.expr)
            self.add_variables([v for vid, v in variables.items() if vid not in self._vars])
        for var in variables.values():
            self._referenced_variables[id(var)][2] = obj
        self._objective = obj
        self._objective_expr = None if obj is None else obj.expr
        self._objective_sense = None if obj is None else obj.sense
        self._vars_referenced_by_obj = list(variables.values())
        self._set_objective(obj)

    def _set_objective(self, obj: Any) -> None:
        """Costs for every column and the offset, from one reading of the objective."""
        if obj is None:
            self._solver_model.changeObjectiveSense(highspy.ObjSense.kMinimize)
            self._pass_costs(LinearForm({}, 0.0))
            return
        sense = (
            highspy.ObjSense.kMaximize if obj.sense == pyo.maximize else highspy.ObjSense.kMinimize
        )
        self._solver_model.changeObjectiveSense(sense)
        self._pass_costs(LinearReader().read(obj.expr))

    def pass_costs_of(self, expression: Any) -> None:
        """Give HiGHS the costs and offset of ``expression`` (the rows and sense stay).

        The model's own objective is untouched in Pyomo; :meth:`set_objective` or a
        change of a parameter it holds passes it on again.
        """
        form = LinearReader().read(expression)
        unknown = form.coefficients.keys() - self._pyomo_var_to_solver_var_map.keys()
        if unknown:
            raise ValueError(f"{len(unknown)} variable(s) of the expression are not columns")
        self._pass_costs(form)

    def costs(self) -> tuple[np.ndarray, float]:
        """HiGHS's cost of every column and its objective offset, as they are now."""
        lp = self._solver_model.getLp()
        return np.array(lp.col_cost_, dtype=np.double), float(lp.offset_)

    def pass_costs(self, costs: np.ndarray, offset: float) -> None:
        """Give HiGHS these costs (one per column) and this offset."""
        self._invalidate()
        n = len(costs)
        self._solver_model.changeColsCost(n, np.arange(n, dtype=np.int32), costs)
        self._solver_model.changeObjectiveOffset(offset)

    def _pass_costs(self, form: LinearForm) -> None:
        costs = np.zeros(len(self._pyomo_var_to_solver_var_map), dtype=np.double)
        columns = self._pyomo_var_to_solver_var_map
        for vid, a in form.coefficients.items():
            costs[columns[vid]] = a
        self.pass_costs(costs, form.constant)

    # ------------------------------------------------------------------ parameters

    def update_parameter(self, param: Any) -> bool:
        """Pass on a change of one mutable parameter; whether a coefficient changed.

        Every row holding ``param`` is read again at the current values and its
        changed coefficients and bounds go to HiGHS (a coefficient that became 0 is
        removed from the row); the objective too if it holds ``param``.
        """
        key = id(param)
        rows = [con for con, held in self._row_parameters.items() if key in held]
        changed = self._update_rows(rows)
        if key in self._objective_parameters:
            self._set_objective(self._objective)
        return changed

    def update_parameters(self) -> None:
        """Pass on the current value of every mutable parameter."""
        self._update_rows(list(self._row_parameters))
        if self._objective is not None:
            self._set_objective(self._objective)

    def _update_rows(self, rows: Iterable[Any]) -> bool:
        self._invalidate()
        reader = LinearReader()
        columns = self._pyomo_var_to_solver_var_map
        changed = False
        for con in rows:
            i = self._pyomo_con_to_solver_con_map[con]
            bounded = con.to_bounded_expression()
            form = reader.read(bounded[1])
            self.forms[con] = form
            new = _row(form, columns)
            old = self._row_values[con]
            for j in sorted(old.keys() | new.keys()):
                a = new.get(j, 0.0)
                if old.get(j, 0.0) != a:
                    self._solver_model.changeCoeff(i, j, a)
                    changed = True
            self._row_values[con] = new
            self._solver_model.changeRowBounds(i, *row_bounds(bounded, form))
        return changed

    def _invalidate(self) -> None:
        """Forget the last solution (the model it answered has changed)."""
        self._sol = None
        if self._last_results_object is not None:
            self._last_results_object.solution_loader.invalidate()


def add_rows(
    highs: highspy.Highs, rows: list[dict[int, float]], lower: list[float], upper: list[float]
) -> None:
    """Append rows ({column: coefficient} each, with their bounds) to HiGHS in one call."""
    starts = np.cumsum([0] + [len(row) for row in rows[:-1]]) if rows else np.zeros(0)
    index = [column for row in rows for column in row]
    value = [a for row in rows for a in row.values()]
    highs.addRows(
        len(lower),
        np.array(lower, dtype=np.double),
        np.array(upper, dtype=np.double),
        len(index),
        np.asarray(starts, dtype=np.int32),
        np.array(index, dtype=np.int32),
        np.array(value, dtype=np.double),
    )


def _row(form: LinearForm, columns: dict[int, int]) -> dict[int, float]:
    """The row's nonzero coefficients by HiGHS column."""
    return {columns[vid]: a for vid, a in form.coefficients.items() if a != 0.0}
