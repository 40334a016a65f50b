"""Feasibility questions without a solve: a known strategy that keeps the rules now
in force (``SolverSession.keeps_rules``), the objective set aside in a feasibility
solve, and the diagnosis that uses both giving the verdicts it gives without them.

Tiny's best strategy, worked out by hand from instances/tiny: CHIPS_cap25 (US cost
30), GLOVES_cap25 (60), FURN_zero (25), under BUY (US value 90, domestic cost 35)
and IP (30, 10). Its offers cost 45 at home (budget 70); reciprocity holds while
the ratio is at most 120 / 115 = 1.0435.
"""

from __future__ import annotations

import dataclasses

import pytest
from randinst import random_instance

import advisor
from advisor.analysis import diagnose as diagnose_module
from advisor.instance import Condition, Instance
from advisor.rules import Rule
from advisor.solving.session import SolverSession, open_session

BEST = frozenset({"CHIPS_cap25", "GLOVES_cap25", "FURN_zero", "BUY", "IP"})


def _rule(session: SolverSession, kind: str) -> Rule:
    return next(r for r in session.rules if r.kind == kind)


@pytest.fixture
def solved(tiny: Instance) -> SolverSession:
    session = open_session(tiny, "expected", binding=False)
    solution = session.solve()
    assert solution is not None and solution.chosen == BEST
    return session


def test_the_best_strategy_keeps_the_budget_down_to_its_cost(solved: SolverSession) -> None:
    point = solved.last_point()
    assert solved.keeps_rules(point)
    budget = _rule(solved, "budget").limit
    assert budget is not None
    with solved.parameter(budget.param, 45.0):  # BUY 35 + IP 10, exactly
        assert solved.keeps_rules(point)
    with solved.parameter(budget.param, 44.9):
        assert not solved.keeps_rules(point)
        with solved.without(_rule(solved, "budget").constraints):
            assert solved.keeps_rules(point)
        assert not solved.keeps_rules(point)
    assert solved.keeps_rules(point)


def test_a_new_reciprocity_ratio_is_read_into_the_matrix(solved: SolverSession) -> None:
    """The ratio is a coefficient of the reciprocity row: the kept matrix must follow it."""
    point = solved.last_point()
    assert solved.keeps_rules(point)  # the matrix is read and kept here
    ratio = _rule(solved, "reciprocity").limit
    assert ratio is not None
    with solved.parameter(ratio.param, 1.04):  # 1.04 x 115 = 119.6 <= 120
        assert solved.keeps_rules(point)
    with solved.parameter(ratio.param, 1.05):  # 120.75 > 120
        assert not solved.keeps_rules(point)
    assert solved.keeps_rules(point)


def test_a_cut_and_a_fixed_request_are_rules_in_force(solved: SolverSession) -> None:
    point = solved.last_point()
    cut = solved.exclude(BEST)
    assert not solved.keeps_rules(point)
    solved.remove_cut(cut)
    assert solved.keeps_rules(point)
    solved.fix_requests(["FURN_zero"])  # a column bound, not a row
    assert not solved.keeps_rules(point)


def test_a_feasibility_solve_puts_the_objective_back(solved: SolverSession) -> None:
    budget = _rule(solved, "budget").limit
    assert budget is not None
    with solved.parameter(budget.param, 10.0):  # IP alone: feasible, not the best
        assert solved.feasible()
    again = solved.solve()
    assert again is not None and again.chosen == BEST


def _without_known_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SolverSession, "keeps_rules", lambda self, point: False)


def _cut(inst: Instance) -> Instance:
    """Two sectors' requests made a must, the budget cut to a fifth, the ratio at 1.5x."""
    budget, ratio = inst.domestic_budget, inst.reciprocity_ratio
    sectors = sorted({r.sector for r in inst.requests})[:2]
    must = Condition("must", "at_least", tuple(sectors), len(sectors))
    return dataclasses.replace(
        inst,
        conditions=(*inst.conditions, must),
        domestic_budget=None if budget is None else budget * 0.2,
        reciprocity_ratio=1.0 if ratio is None else ratio * 1.5,
    )


def test_known_points_never_change_a_diagnosis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Random instances made infeasible by a budget cut and a higher ratio: the same
    conflicts and fixes with and without the strategies found along the way."""
    infeasible = 0
    for seed in range(30):
        inst = _cut(random_instance(seed))
        with_points = advisor.diagnose(inst)
        with monkeypatch.context() as patch:
            _without_known_points(patch)
            without = advisor.diagnose(inst)
        assert with_points.feasible == without.feasible, seed
        infeasible += not without.feasible
        assert [c.location for c in with_points.conflicts] == [
            c.location for c in without.conflicts
        ], seed
        for a, b in zip(with_points.conflicts, without.conflicts, strict=True):
            assert a.fix == b.fix, seed
            if a.relaxed_value is None or b.relaxed_value is None:
                assert a.relaxed_value == b.relaxed_value, seed
            else:
                # within the solver's feasibility tolerance (a ratio of 2e-9 or 4e-9 is 0)
                assert a.relaxed_value == pytest.approx(b.relaxed_value, rel=1e-6, abs=1e-6), seed
    assert infeasible >= 12, infeasible  # 16 of the 30 are infeasible


def test_the_example_diagnosis_answers_from_known_points(
    infeasible_example: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The budget's and the ratio's bisections loosen past strategies already found:
    those steps take no solve (fewer solves than without the points)."""
    sessions: list[SolverSession] = []
    real = diagnose_module._Diagnoser.__init__

    def counting(self: diagnose_module._Diagnoser, *args: object) -> None:
        real(self, *args)  # type: ignore[arg-type]
        sessions.append(self.session)

    monkeypatch.setattr(diagnose_module._Diagnoser, "__init__", counting)
    advisor.diagnose(infeasible_example)
    with monkeypatch.context() as patch:
        _without_known_points(patch)
        advisor.diagnose(infeasible_example)
    with_points, without = (s.solves for s in sessions)
    assert with_points < without - 20  # two bisections of 30 steps, most answered
