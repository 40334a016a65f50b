"""The model reaches HiGHS in bulk (advisor.solving.handoff) exactly as Pyomo's own
persistent interface hands it over, and stays so through parameter changes and cuts.

Pyomo's ``highs`` interface is the reference: for each model both are set up, and
HiGHS's copies are compared entry by entry (costs, offset, sense, column bounds and
types, row bounds, the constraint matrix) together with the column and row maps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.solvers.highs import Highs
from randinst import random_instance

import advisor
from advisor import generate as gen
from advisor.instance import Instance
from advisor.linear_form import ExpressionWalker, LinearReader
from advisor.rules import RuleBook
from advisor.solving.handoff import BulkHighs
from advisor.solving.lagrangian import constraint_matrix
from advisor.solving.session import _model, open_session

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.parent.name for p in (ROOT / "instances").glob("*/instance.toml"))


def _lp(opt: Highs) -> dict[str, object]:
    lp = opt._solver_model.getLp()
    matrix = constraint_matrix(lp)
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return {
        "cost": np.array(lp.col_cost_),
        "offset": lp.offset_,
        "sense": lp.sense_,
        "col_lower": np.array(lp.col_lower_),
        "col_upper": np.array(lp.col_upper_),
        "integrality": list(lp.integrality_),
        "row_lower": np.array(lp.row_lower_),
        "row_upper": np.array(lp.row_upper_),
        "matrix": matrix.toarray() if matrix.shape[0] * matrix.shape[1] < 4e6 else matrix,
        "columns": list(opt._pyomo_var_to_solver_var_map.items()),
        "rows": [(c.name, i) for c, i in opt._pyomo_con_to_solver_con_map.items()],
    }


def _assert_same(bulk: Highs, pyomo: Highs) -> None:
    ours, theirs = _lp(bulk), _lp(pyomo)
    for key, expected in theirs.items():
        got = ours[key]
        if isinstance(expected, np.ndarray):
            assert got.shape == expected.shape, key
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14, err_msg=key)
        elif key == "offset":
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-14)
        else:
            assert got == expected, key


def _both(model: pyo.ConcreteModel) -> tuple[BulkHighs, Highs]:
    bulk, pyomo = BulkHighs(), Highs()
    bulk.set_instance(model)
    pyomo.set_instance(model)
    return bulk, pyomo


def _objectives(instance: Instance) -> list[tuple[str, dict[str, float] | None]]:
    optima = {w.name: 1.5 * k for k, w in enumerate(instance.scenarios)}  # any numbers
    kinds: list[tuple[str, dict[str, float] | None]] = [("expected", None), ("worst_case", None)]
    kinds += [("regret", optima), (f"scenario:{instance.scenarios[-1].name}", None)]
    return kinds


def _mutable(model: pyo.ConcreteModel) -> list[pyo.Param]:
    return [p for p in model.component_data_objects(pyo.Param) if p.parent_component().mutable]


CASES = [*SHIPPED, "random 3", "random 8", "random 13"]


def _instance(name: str) -> Instance:
    """A shipped instance, or ``random N``: randinst's seed N with every option."""
    if name.startswith("random "):
        return random_instance(int(name.split()[1]), every_option=True)
    return advisor.load_instance(ROOT / "instances" / name)


@pytest.mark.parametrize("name", CASES)
def test_every_objective_reaches_highs_as_pyomo_hands_it_over(name: str) -> None:
    instance = _instance(name)
    for objective, optima in _objectives(instance):
        _, model = _model(instance, objective, optima)
        _assert_same(*_both(model))


@pytest.mark.parametrize("name", CASES)
def test_each_parameter_change_reaches_highs_as_pyomo_passes_it_on(name: str) -> None:
    """Each mutable parameter moved, set to 0 (coefficients leave the rows), put back."""
    _, model = _model(_instance(name), "expected", None)
    bulk, pyomo = _both(model)
    assert _mutable(model)
    for param in _mutable(model):
        old = pyo.value(param)
        for value in (0.7 * old + 0.01, 0.0, old):
            param.set_value(value)
            bulk.update_parameter(param)
            pyomo.update_parameters()
            _assert_same(bulk, pyomo)


def test_a_parameter_change_says_whether_a_coefficient_changed(malaysia: Instance) -> None:
    """The ratio sits in the reciprocity row's coefficients, the budget in a bound."""
    _, model = _model(malaysia, "expected", None)
    bulk = BulkHighs()
    bulk.set_instance(model)
    model.reciprocity_ratio.set_value(2.0)
    assert bulk.update_parameter(model.reciprocity_ratio)
    model.domestic_budget.set_value(10.0)
    assert not bulk.update_parameter(model.domestic_budget)
    upper = bulk._solver_model.getLp().row_upper_
    row = bulk._pyomo_con_to_solver_con_map[model.domestic_budget_constr]
    assert upper[row] == pytest.approx(10.0 / model.scales.budget)


def test_cuts_and_their_removal_reach_highs_as_pyomo_passes_them_on(
    malaysia: Instance,
) -> None:
    """A Hamming cut, an objective floor (it holds λ), λ changed, then both removed."""
    _, model = _model(malaysia, "expected", None)
    bulk, pyomo = _both(model)
    decisions = [model.request[r] for r in model.REQUESTS] + [model.offer[j] for j in model.OFFERS]
    model.cuts = pyo.ConstraintList()
    hamming = model.cuts.add(pyo.quicksum(decisions[:5]) - pyo.quicksum(decisions[5:9]) >= 1)
    floor = model.cuts.add(model.objective.expr >= 1.0)
    for opt in (bulk, pyomo):
        opt.add_constraints([hamming, floor])
    _assert_same(bulk, pyomo)
    model.offer_cost_weight.set_value(0.3)
    bulk.update_parameter(model.offer_cost_weight)
    pyomo.update_parameters()
    _assert_same(bulk, pyomo)
    for opt in (bulk, pyomo):
        opt.remove_constraints([hamming, floor])
    _assert_same(bulk, pyomo)


def test_the_session_solves_on_the_bulk_interface(malaysia: Instance) -> None:
    """The session's best strategy is Pyomo's interface's, solved on its own."""
    session = open_session(malaysia)
    assert isinstance(session.opt, BulkHighs)
    best = session.solve()
    assert best is not None
    _, model = _model(malaysia, "expected", None)
    results = pyo.SolverFactory("highs").solve(model)
    assert str(results.solver.termination_condition) == "optimal"
    chosen = {r for r in model.REQUESTS if pyo.value(model.request[r]) > 0.5}
    chosen |= {j for j in model.OFFERS if pyo.value(model.offer[j]) > 0.5}
    assert best.objective == pytest.approx(session.evaluator.objective_of(frozenset(chosen)))


def test_a_generated_tariff_line_instance_reaches_highs_as_pyomo_hands_it_over(
    tmp_path: Path,
) -> None:
    assert gen.main(["--lines", "300", "--seed", "4", "--output", str(tmp_path)]) == 0
    _, model = _model(advisor.load_instance(tmp_path), "expected", None)
    _assert_same(*_both(model))


def test_the_reader_and_walker_on_hand_written_expressions() -> None:
    """Coefficients, constant, variables (with a zero coefficient) and parameters."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2, 3])
    m.p = pyo.Param(initialize=2.0, mutable=True)
    m.e = pyo.Expression(expr=3 * m.x[1] + m.p * m.x[2] + 0 * m.x[3] + 4)
    form = LinearReader().read(2 * m.e - m.x[1] + 1)
    assert form.coefficients == {id(m.x[1]): 5.0, id(m.x[2]): 4.0}
    assert form.constant == 9.0
    variables, parameters = ExpressionWalker().walk(m.x[3] + 2 * m.e)
    assert list(variables) == [id(m.x[3]), id(m.x[1]), id(m.x[2])]
    assert parameters == {id(m.p)}
    with pytest.raises(ValueError, match="not a linear expression"):
        LinearReader().read(m.x[1] * m.x[2])


def _read(book: RuleBook) -> tuple[np.ndarray, ...]:
    book._read_rows()
    return book.rows, book.cols, book.values, book.constant, book.lower, book.upper


@pytest.mark.parametrize("name", CASES)
def test_the_rulebook_reads_the_rows_the_hand_off_read_as_parameters_change(name: str) -> None:
    """The session's rule book (rows shared with the hand-off) equals a fresh reading.

    After each mutable parameter is moved through the session (the ratio's
    coefficients, the limits' bounds) and the book refreshed, as a frontier does.
    """
    session = open_session(_instance(name))
    assert session.rulebook._forms is session.opt.forms and session.opt.forms
    for param in [None, *_mutable(session.model)]:
        if param is not None:
            session.set_parameter(param, 0.7 * pyo.value(param) + 0.01)
            session.rulebook.refresh()
        fresh = RuleBook(session.model, session.instance.decision_ids())
        for shared, read in zip(_read(session.rulebook), _read(fresh), strict=True):
            np.testing.assert_array_equal(shared, read)
