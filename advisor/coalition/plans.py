"""Solving the joint model: sub-coalition values, and the ranked joint plans.

A *plan* is one solution of the joint model of the grand coalition: who joins
which joint offer, each member's own requests and offers, and each member's value.
:func:`coalition_value` gives v(S), the utilitarian optimum of sub-coalition S with
no individual-rationality rows (transferable value, as the Shapley value and the
core read it). :func:`best_plans` ranks the grand coalition's plans by the
coalition's objective, each next plan differing in who joins what (a no-good cut
on the participation binaries y_jm), lexicographic for ``egalitarian``.

HiGHS is called through Pyomo's public ``highs`` interface, with the advisor's
options (:mod:`advisor.solving.session`): no presolve on models of up to
:data:`~advisor.solving.session.PRESOLVE_MIN_DECISIONS` binaries, MIP feasibility
tolerance 1e-9, one thread, a relative gap of 1e-6.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus
from pyomo.contrib.solver.solvers.highs import Highs

from advisor.coalition.joint_model import build_joint_model
from advisor.coalition.spec import Coalition
from advisor.results import OBJECTIVE_TOLERANCE
from advisor.solving.runtime import (
    guarded_run,
    interrupt_as_keyboard,
    match_thread_pool,
    quiet_stdout,
)
from advisor.solving.session import MIP_FEASIBILITY_TOLERANCE, PRESOLVE_MIN_DECISIONS, highs_of


@dataclass(frozen=True)
class MemberPlan:
    """One member's part of a plan: its value, decisions and joint offers joined.

    ``value`` is V_m in the coalition's money unit: the member's expected objective
    (protected value minus λ times its offers' and joint offers' domestic cost).
    """

    member: str
    value: float
    requests: tuple[str, ...]
    offers: tuple[str, ...]
    joint_offers: tuple[str, ...]
    joint_share: float  # Σ_j s_jm: credit toward its reciprocity, money unit
    joint_cost: float  # Σ_j d_jm y_jm, money unit


@dataclass(frozen=True)
class JointPlan:
    """Who joins one joint offer in a plan, and its value to the counterpart."""

    joint_offer: str
    participants: tuple[str, ...]
    counterpart_value: float
    leverage: bool


@dataclass(frozen=True)
class Plan:
    """A grand-coalition plan: members' parts, joint offers made, the objective."""

    objective: float
    members: tuple[MemberPlan, ...]
    joint: tuple[JointPlan, ...]
    total: float = 0.0
    smallest_gain: float | None = None

    @property
    def key(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Who joins what: the plan's identity in the ranked list."""
        return tuple((j.joint_offer, j.participants) for j in self.joint)


@dataclass
class _Solver:
    """A persistent HiGHS on one joint model (Pyomo's public interface)."""

    model: pyo.ConcreteModel
    solves: int = 0
    opt: Highs = field(default_factory=Highs)

    def __post_init__(self) -> None:
        self.opt.config.raise_exception_on_nonoptimal_result = False
        self.opt.config.load_solutions = False
        binaries = sum(1 for v in self.model.component_data_objects(pyo.Var) if v.is_binary())
        self.presolve = binaries > PRESOLVE_MIN_DECISIONS
        with quiet_stdout(), interrupt_as_keyboard():
            self.opt.set_instance(self.model)

    def solve(self) -> bool:
        """Solve; load the solution and return True, or False when infeasible.

        Run as every solve of the advisor (:func:`guarded_run`): a Ctrl-C raises
        KeyboardInterrupt and a HiGHS error status NumericalTroubleError, never a
        false "no plan".
        """
        if getattr(self.model, "impossible", False):
            return False
        match_thread_pool(1)  # the process-wide pool must match threads=1
        with guarded_run(highs_of(self.opt), None):
            results = self.opt.solve(
                self.model,
                rel_gap=OBJECTIVE_TOLERANCE,
                threads=1,
                solver_options={
                    "presolve": "choose" if self.presolve else "off",
                    "mip_feasibility_tolerance": MIP_FEASIBILITY_TOLERANCE,
                },
            )
        self.solves += 1
        if results.solution_status not in (SolutionStatus.optimal, SolutionStatus.feasible):
            return False
        results.solution_loader.load_vars()
        return True


def _total(model: pyo.ConcreteModel) -> pyo.Expression:
    return pyo.quicksum(model.value[m] for m in model.MEMBERS)


def coalition_value(coalition: Coalition, members: Sequence[str]) -> float | None:
    """v(S): the best Σ_m V_m of sub-coalition ``members``; None if it has no plan."""
    model = build_joint_model(coalition, members)
    model.objective = pyo.Objective(expr=_total(model) / model.scale, sense=pyo.maximize)
    if not _Solver(model).solve():
        return None
    return float(pyo.value(_total(model)))


def _read_plan(model: pyo.ConcreteModel, alone: Mapping[str, float]) -> Plan:
    """The loaded solution as a :class:`Plan` (values recomputed from the binaries)."""
    joined = {
        j: tuple(m for m in model.eligible[j] if pyo.value(model.take_part[j, m]) > 0.5)
        for j in model.JOINT
    }
    joint = tuple(
        JointPlan(j, ms, _counterpart_value(model, j, len(ms)),
                  model.joint_by_id[j].leverage_bonus > 0
                  and len(ms) >= model.joint_by_id[j].leverage_min)
        for j, ms in joined.items() if ms
    )
    members = tuple(_member_plan(model, m, joined) for m in model.MEMBERS)
    total = sum(p.value for p in members)
    gains = [p.value - alone[p.member] for p in members] if alone else []
    return Plan(total, members, joint, total, min(gains) if gains else None)


def _counterpart_value(model: pyo.ConcreteModel, j: str, n: int) -> float:
    joint = model.joint_by_id[j]
    return joint.base_value * n + (joint.leverage_bonus if n >= joint.leverage_min else 0.0)


def _member_plan(
    model: pyo.ConcreteModel, m: str, joined: Mapping[str, tuple[str, ...]]
) -> MemberPlan:
    block = model.member[m]
    coalition: Coalition = model.coalition
    mine = tuple(j for j, ms in joined.items() if m in ms)
    return MemberPlan(
        member=m,
        value=float(pyo.value(model.value[m])),
        requests=tuple(r for r in block.REQUESTS if pyo.value(block.request[r]) > 0.5),
        offers=tuple(o for o in block.OFFERS if pyo.value(block.offer[o]) > 0.5),
        joint_offers=mine,
        joint_share=sum(float(pyo.value(model.share[j, m])) for j in mine),
        joint_cost=sum(coalition.cost[j, m] for j in mine),
    )


def best_plans(
    coalition: Coalition,
    alone: Mapping[str, float],
    objective: str = "utilitarian",
    top: int = 1,
    rationality: str = "enforce",
    tolerance: float = 0.0,
) -> list[Plan]:
    """The ``top`` best plans of the grand coalition, each differing in who joins what.

    ``alone`` holds each member's standalone optimum V_m^alone; with ``rationality``
    ``enforce`` every plan keeps V_m ≥ V_m^alone − ``tolerance``. ``egalitarian``
    solves twice per plan: max t (t ≤ V_m − V_m^alone), then max Σ V_m with t ≥ t* − tol.
    An empty list: no plan satisfies the rules.
    """
    model = build_joint_model(coalition, coalition.member_ids)
    scale = model.scale
    if rationality == "enforce":
        model.rationality_constr = pyo.Constraint(
            model.MEMBERS, rule=lambda mdl, m: (mdl.value[m] - alone[m] + tolerance) / scale >= 0
        )
    model.ranking_cuts = pyo.ConstraintList()
    solver = _Solver(model)
    plans: list[Plan] = []
    while len(plans) < top:
        found = _solve_once(model, solver, objective, alone, scale)
        if not found:
            break
        plan = _read_plan(model, alone)
        plans.append(plan)
        _cut(model)
    return _tie_sorted(plans, objective)


def _solve_once(
    model: pyo.ConcreteModel, solver: _Solver, objective: str, alone: Mapping[str, float],
    scale: float,
) -> bool:
    """One plan: utilitarian in one solve, egalitarian in two (lexicographic)."""
    for name in ("objective", "smallest_gain", "gain_constr", "fairness_constr"):
        if model.component(name) is not None:
            model.del_component(name)
    if objective == "utilitarian":
        model.objective = pyo.Objective(expr=_total(model) / scale, sense=pyo.maximize)
        return solver.solve()
    model.smallest_gain = pyo.Var(domain=pyo.Reals)
    model.gain_constr = pyo.Constraint(
        model.MEMBERS,
        rule=lambda mdl, m: mdl.smallest_gain <= (mdl.value[m] - alone[m]) / scale,
    )
    model.objective = pyo.Objective(expr=model.smallest_gain, sense=pyo.maximize)
    if not solver.solve():
        return False
    best = pyo.value(model.smallest_gain)
    model.fairness_constr = pyo.Constraint(
        expr=model.smallest_gain >= best - OBJECTIVE_TOLERANCE * max(1.0, abs(best))
    )
    model.del_component("objective")
    model.objective = pyo.Objective(expr=_total(model) / scale, sense=pyo.maximize)
    return solver.solve()


def _cut(model: pyo.ConcreteModel) -> None:
    """Exclude the loaded plan's participation pattern: Σ_{y=1} (1 − y) + Σ_{y=0} y ≥ 1."""
    ones = [model.take_part[p] for p in model.PART if pyo.value(model.take_part[p]) > 0.5]
    zeros = [model.take_part[p] for p in model.PART if pyo.value(model.take_part[p]) <= 0.5]
    if not ones and not zeros:
        model.impossible = True  # no joint offer at all: the one plan is listed
        return
    model.ranking_cuts.add(sum(1 - y for y in ones) + sum(zeros) >= 1)


def _tie_sorted(plans: list[Plan], objective: str) -> list[Plan]:
    """Plans in objective order; ties (1e-6 relative) by fewer participations, then key."""
    def score(p: Plan) -> tuple[float, float]:
        main = p.smallest_gain if objective == "egalitarian" and p.smallest_gain is not None \
            else p.total
        return main, p.total

    def rounded(x: float) -> float:
        step = OBJECTIVE_TOLERANCE * max(1.0, abs(x)) * 10
        return round(x / step) * step

    return sorted(plans, key=lambda p: (
        tuple(-rounded(v) for v in score(p)),
        sum(len(j.participants) for j in p.joint),
        p.key,
    ))
