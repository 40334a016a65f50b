"""The model's rules (advisor.rules): the RuleBook against exhaustive enumeration and
the independent checker, and each numeric rule's Limit against hand values."""

from __future__ import annotations

import numpy as np
import pytest
from randinst import enumerate_instance, random_instance

from advisor import checker
from advisor.rules import RuleBook, rule_for
from advisor.solving.session import open_session


def _sets(ids: tuple[str, ...], vectors) -> list[frozenset[str]]:
    return [frozenset(d for d, bit in zip(ids, row, strict=True) if bit) for row in vectors]


@pytest.mark.parametrize("seed", range(0, 40, 3))
def test_rulebook_feasibility_matches_enumeration(seed: int) -> None:
    """Every 0/1 vector: the RuleBook finds no broken row exactly when the oracle,
    which shares no code with the model, calls it feasible."""
    inst = random_instance(seed)
    enum = enumerate_instance(inst)
    session = open_session(inst)
    sets = _sets(enum.ids, enum.vectors)
    broken = session.rulebook.violations_of_each(sets)
    assert [not b for b in broken] == list(enum.feasible)


@pytest.mark.parametrize("seed", [1, 4, 11, 20, 33])
def test_rulebook_names_the_rules_the_checker_names(seed: int) -> None:
    """Same labels, same order as the independent checker, for every decision set."""
    inst = random_instance(seed)
    enum = enumerate_instance(inst)
    rulebook = open_session(inst).rulebook
    for chosen in _sets(enum.ids, enum.vectors):
        assert rulebook.violations(chosen) == checker.rule_violations(inst, chosen), chosen


def test_rulebook_follows_a_changed_parameter(tiny) -> None:
    """After a cap moves, refresh() reads the rows at the new value."""
    session = open_session(tiny)
    cap = rule_for(session.rules, "cap", tiny.counterpart)
    assert cap is not None and cap.limit is not None
    everything = frozenset(r.request for r in tiny.requests if r.request.endswith("0"))
    before = session.rulebook.violations(everything)
    session.set_parameter(cap.limit.param, 1.0)
    session.rulebook.refresh()
    after = session.rulebook.violations(everything)
    assert not [v for v in after if v.startswith("market share cap")]
    assert set(after) <= set(before)


def test_rulebook_refuses_unknown_decisions(tiny) -> None:
    with pytest.raises(ValueError, match="unknown decisions: NOPE"):
        RuleBook(open_session(tiny).model, tiny.decision_ids()).violations(frozenset({"NOPE"}))


def test_limits_relax_as_the_explanation_states(malaysia) -> None:
    """Hand values: ratio -0.1 and x0.9; budget +1 and x1.1; a cap +1 point and x1.1."""
    rules = open_session(malaysia).rules
    ratio = rule_for(rules, "reciprocity")
    assert ratio is not None and ratio.limit is not None
    rho = malaysia.reciprocity_ratio
    assert ratio.limit.by_unit() == pytest.approx(max(0.0, rho - 0.1))
    assert ratio.limit.by_ten_percent() == pytest.approx(rho * 0.9)
    assert ratio.limit.loosest == 0.0
    budget = rule_for(rules, "budget")
    assert budget is not None and budget.limit is not None
    assert malaysia.domestic_budget is not None
    assert budget.limit.by_unit() == pytest.approx(malaysia.domestic_budget + 1)
    assert budget.limit.by_ten_percent() == pytest.approx(malaysia.domestic_budget * 1.1)
    assert budget.limit.loosest == pytest.approx(sum(o.domestic_cost for o in malaysia.offers))
    market, share = next(iter(malaysia.market_share_caps.items()))
    cap = rule_for(rules, "cap", market)
    assert cap is not None and cap.limit is not None and cap.market == market
    assert cap.limit.by_unit() == pytest.approx(min(1.0, share + 0.01))
    assert cap.limit.by_ten_percent() == pytest.approx(min(1.0, share * 1.1))
    assert rule_for(rules, "cap", "NOWHERE") is None


def _row_bounds(session, rule):
    lp = session.highs.getLp()
    rows = session.constraint_rows(rule.constraints)
    return [(lp.row_lower_[i], lp.row_upper_[i]) for i in rows]


def test_a_dropped_rule_stays_out_while_a_parameter_moves(malaysia) -> None:
    """drop() frees the rule's HiGHS rows; a parameter change (Pyomo re-pushes the
    bounds of rows with mutable parameters) keeps them free, and restore() puts back
    the bounds at the parameter's value of that moment."""
    session = open_session(malaysia)
    cap = rule_for(session.rules, "cap", malaysia.counterpart)
    budget = rule_for(session.rules, "budget")
    assert cap is not None and cap.limit is not None and budget is not None
    held = _row_bounds(session, cap)
    free = [(-np.inf, np.inf)] * len(held)
    best = session.solve()
    session.drop(list(cap.constraints))
    assert _row_bounds(session, cap) == free
    without = session.solve()
    assert without is not None and best is not None and without.objective >= best.objective
    session.set_parameter(cap.limit.param, cap.limit.value + 0.05)
    session.set_parameter(budget.limit.param, budget.limit.value)  # another rule's parameter
    assert _row_bounds(session, cap) == free
    assert session.solve().objective == pytest.approx(without.objective)
    session.restore(list(cap.constraints))
    loosened = _row_bounds(session, cap)
    assert loosened != held and all(u >= h for (_, u), (_, h) in zip(loosened, held, strict=True))
    session.set_parameter(cap.limit.param, cap.limit.value - 0.05)
    np.testing.assert_allclose(_row_bounds(session, cap), held, rtol=1e-12)
    assert session.solve().objective == pytest.approx(best.objective)


def _lp_numbers(session):
    lp = session.highs.getLp()
    matrix = lp.a_matrix_
    end = matrix.start_[-1]
    return (
        np.array(lp.row_lower_),
        np.array(lp.row_upper_),
        np.array(lp.col_cost_),
        np.array(matrix.value_)[:end],
    )


@pytest.mark.parametrize("name", ["malaysia", "tiny"])
def test_a_parameter_change_updates_what_pyomo_would(name, request) -> None:
    """set_parameter recomputes only what holds the parameter: the HiGHS model equals
    the one after Pyomo's full update_parameters, for every limit moved in turn."""
    instance = request.getfixturevalue(name)
    session = open_session(instance)
    limits = [r.limit for r in session.rules if r.limit is not None]
    assert len(limits) >= 3
    for limit in limits:
        before = _lp_numbers(session)
        session.set_parameter(limit.param, limit.by_ten_percent())
        ours = _lp_numbers(session)
        assert any(not np.array_equal(a, b) for a, b in zip(before, ours, strict=True))
        session.opt.update_parameters()
        for a, b in zip(ours, _lp_numbers(session), strict=True):
            np.testing.assert_array_equal(a, b)
