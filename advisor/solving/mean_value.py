r"""The mean-value problem on the ranking's rows (VSS at tariff-line scale).

The mean-value instance (:func:`advisor.solving.measures.mean_value_instance`) has one
scenario whose threat tariffs, current tariffs and elasticities are the
probability-weighted means. Its MILP differs from the ranking's only where a scenario
parameter enters: the objective, the reciprocity rows and the market-share caps and
floors (:data:`advisor.model.SCENARIO_ROW_FAMILIES`). Every other row (one tier per
sector, the conditions, the domestic budget) is written over the decisions and the
instance's limits alone, so it is the ranking's own row, column for column.

So, with z the decision binaries (the ranking's HiGHS columns), the mean-value
problem is the ranking's HiGHS model with those rows swapped:

.. math::

    \max_z \; \bar c · z + \bar c_0 \quad \text{s.t.} \quad
    l_k ≤ A_k z ≤ u_k \;\; (k \text{ a ranking row with no scenario parameter}), \quad
    \bar l ≤ \bar A z ≤ \bar u, \quad z_r = 0 \;\; (r \text{ dominated in the mean})

where c̄, c̄₀, Ā, l̄, ū are read from a Pyomo model of the mean-value instance (its
objective and its reciprocity and market-share rows only; the model is never handed
to HiGHS) and the dominated tiers are the mean-value instance's
(:func:`advisor.solving.reduction.dominated_tiers`). The ranking's own search then
ranks it. At 10,000 lines (seed 1) the mean-value strategy took 1.6-1.9 s so
against 2.8 s with a session of its own, whose model builds and hands HiGHS its
19,000 condition and one-tier rows again (``/tmp`` script, back to back).

Only when the two models have the same columns: when either has columns beyond the
decisions (the linkages' products of binaries) the mean-value problem gets a session
of its own.
"""

from __future__ import annotations

import highspy
import numpy as np
import pyomo.environ as pyo

from advisor.economics import compute_coefficients
from advisor.instance import Instance
from advisor.linear_form import LinearReader, row_bounds
from advisor.model import SCENARIO_ROW_FAMILIES, build_model
from advisor.solving.handoff import add_rows
from advisor.solving.reduction import dominated_tiers
from advisor.solving.runtime import quiet_stdout
from advisor.solving.session import SolverSession


def swapped_model(
    session: SolverSession, instance: Instance, held: highspy.HighsModel | None = None
) -> highspy.HighsModel | None:
    """The MILP of ``instance`` (the ranking's mean-value instance) on ``session``'s rows.

    See the module. ``held``: the session's HiGHS model as copied before (None: copied
    now), so that this may run beside searches that change the session's costs; it
    reads nothing else of the session's HiGHS. None when the mean-value model's
    variables are not the session's columns.
    """
    held = session.highs_model() if held is None else held
    if held.lp_.num_col_ != len(session.names):  # columns beyond the decisions: linkages
        return None
    coefficients = compute_coefficients(instance)
    model = build_model(instance, coefficients, "expected", scenario_rows_only=True)
    variables = [model.request[r] for r in model.REQUESTS] + [model.offer[j] for j in model.OFFERS]
    names = list(model.REQUESTS) + list(model.OFFERS)
    count = sum(1 for _ in model.component_data_objects(pyo.Var, descend_into=True))
    if names != session.names or count != len(names) or held.lp_.num_col_ != count:
        return None
    column_of = {id(v): c for v, c in zip(variables, session.decision_columns(), strict=True)}
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    with quiet_stdout():
        highs.passModel(held)
    ranking_rows = [c for f in SCENARIO_ROW_FAMILIES for c in _rows(session.model, f)]
    if ranking_rows:
        rows = np.array(sorted(session.constraint_rows(ranking_rows)), dtype=np.int32)
        highs.deleteRows(len(rows), rows)
    reader = LinearReader()
    _add_rows(highs, [c for f in SCENARIO_ROW_FAMILIES for c in _rows(model, f)], reader, column_of)
    objective = reader.read(model.objective.expr)
    costs = np.zeros(len(variables))
    for vid, a in objective.coefficients.items():
        costs[column_of[vid]] = a
    highs.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), costs)
    highs.changeObjectiveOffset(objective.constant)
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    _set_bounds(highs, variables, column_of, dominated_tiers(instance, coefficients), model)
    return highs.getModel()


def _rows(model: pyo.ConcreteModel, family: str) -> list[pyo.ConstraintData]:
    component = getattr(model, family, None)
    return [] if component is None else list(component.values())


def _add_rows(
    highs: highspy.Highs,
    constraints: list[pyo.ConstraintData],
    reader: LinearReader,
    column_of: dict[int, int],
) -> None:
    """Add ``constraints`` (of another model than HiGHS's) by the columns of ``column_of``."""
    lower: list[float] = []
    upper: list[float] = []
    rows: list[dict[int, float]] = []
    for con in constraints:
        bounded = con.to_bounded_expression()
        form = reader.read(bounded[1])
        row: dict[int, float] = {}
        for vid, a in form.coefficients.items():
            if a != 0.0:
                row[column_of[vid]] = row.get(column_of[vid], 0.0) + a
        rows.append(row)
        low, high = row_bounds(bounded, form)
        lower.append(low)
        upper.append(high)
    add_rows(highs, rows, lower, upper)


def _set_bounds(
    highs: highspy.Highs,
    variables: list[pyo.VarData],
    column_of: dict[int, int],
    dominated: dict[str, str],
    model: pyo.ConcreteModel,
) -> None:
    """The mean-value model's own column bounds, its dominated tiers fixed at 0.

    The session's HiGHS may hold the ranking's dominated tiers at 0; the mean's
    differ (dominance is judged on each model's own values).
    """
    n = len(variables)
    lower, upper = np.zeros(n), np.zeros(n)
    order = np.array([column_of[id(v)] for v in variables], dtype=np.int32)
    for k, v in enumerate(variables):
        if v.fixed:
            lower[k] = upper[k] = float(v.value)
        else:
            lower[k] = -np.inf if v.lb is None else float(v.lb)
            upper[k] = np.inf if v.ub is None else float(v.ub)
    position = {id(v): k for k, v in enumerate(variables)}
    for request in dominated:
        upper[position[id(model.request[request])]] = 0.0
    highs.changeColsBounds(n, order, lower, upper)
