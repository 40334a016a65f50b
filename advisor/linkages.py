r"""The linkages' products of binaries, linearised exactly.

An offer that changes the odds (``linkages.csv``) multiplies decisions: a request's
acceptance a_r(y) depends on the offers made, and a scenario's probability π_ω(y)
too, so the expected value Σ_ω π_ω(y) V_ω(x, y) has products of binaries. Each
product is a continuous variable in [0, 1] tied to its factors by the standard
exact formulation of a product of 0-1 variables (McCormick's envelope, which is
tight at 0-1 points, so the model stays a MILP whose integer solutions are exact):

**Acceptance steps.** u_ri = x_r ∧ (∨_{j ∈ J_i} y_j), the i-th step of request r
(:class:`advisor.economics.AcceptanceStep`):

.. math::

    u_{ri} ≤ x_r, \quad u_{ri} ≤ Σ_{j ∈ J_i} y_j, \quad
    u_{ri} ≥ x_r + y_j - 1 \;\; ∀ j ∈ J_i

so that a_r(y) x_r = a_r x_r + Σ_i Δ_ri u_ri.

**Joint terms.** z = f · y_j for a factor f (a request binary x_r or a step u_ri)
and an offer j that shifts scenario probability:

.. math:: z ≤ f, \quad z ≤ y_j, \quad z ≥ f + y_j - 1.

Every product variable is *derived*: :func:`derived_values` gives its value for a
decision set, which :class:`advisor.rules.RuleBook` and warm starts use.
"""

from __future__ import annotations

from collections.abc import Callable

import pyomo.environ as pyo

from advisor.economics import Coefficients

Step = tuple[str, int]  # (request, step index)
# a joint term: (request, step index or -1 for the request itself, shifting offer)
Joint = tuple[str, int, str]


def shift_requests(coef: Coefficients) -> dict[str, list[str]]:
    """For each offer that shifts probability, the requests whose terms it changes.

    A request matters when its value or its counterpart cost differs between a
    shift's two scenarios (otherwise the shift leaves its terms unchanged).
    """
    out: dict[str, list[str]] = {}
    requests = list(coef.base_acceptance)  # file order
    for shift in coef.shifts:
        moved = [
            r
            for r in requests
            if coef.weighted_value[r, shift.source] != coef.weighted_value[r, shift.target]
            or coef.counterpart_cost_in[r, shift.source]
            != coef.counterpart_cost_in[r, shift.target]
        ]
        chosen = out.setdefault(shift.offer, [])
        chosen += [r for r in moved if r not in chosen]
    return out


def create_linkage_terms(model: pyo.ConcreteModel, coef: Coefficients) -> None:
    """Add the acceptance steps u, the joint terms z, their rows and ``model.derived``."""
    steps = [(r, i) for r, ss in coef.acceptance_steps.items() for i in range(len(ss))]
    model.ACCEPTANCE_STEPS = pyo.Set(initialize=steps, dimen=2, ordered=True)
    model.accepted = pyo.Var(model.ACCEPTANCE_STEPS, bounds=(0, 1), doc="u_ri = x_r AND any J_i")
    offers_of = {(r, i): sorted(coef.acceptance_steps[r][i].offers) for r, i in steps}
    model.accepted_request_constr = pyo.Constraint(
        model.ACCEPTANCE_STEPS, rule=lambda m, r, i: m.accepted[r, i] <= m.request[r]
    )
    model.accepted_offers_constr = pyo.Constraint(
        model.ACCEPTANCE_STEPS,
        rule=lambda m, r, i: m.accepted[r, i] <= pyo.quicksum(m.offer[j] for j in offers_of[r, i]),
    )
    model.accepted_both_constr = pyo.Constraint(
        [(r, i, j) for r, i in steps for j in offers_of[r, i]],
        rule=lambda m, r, i, j: m.accepted[r, i] >= m.request[r] + m.offer[j] - 1,
    )
    joints = _joint_index(coef, steps)
    model.JOINTS = pyo.Set(initialize=joints, dimen=3, ordered=True)
    model.joint = pyo.Var(model.JOINTS, bounds=(0, 1), doc="z = factor * y_j")
    model.joint_factor_constr = pyo.Constraint(
        model.JOINTS, rule=lambda m, r, i, j: m.joint[r, i, j] <= factor(m, r, i)
    )
    model.joint_offer_constr = pyo.Constraint(
        model.JOINTS, rule=lambda m, r, i, j: m.joint[r, i, j] <= m.offer[j]
    )
    model.joint_both_constr = pyo.Constraint(
        model.JOINTS,
        rule=lambda m, r, i, j: m.joint[r, i, j] >= factor(m, r, i) + m.offer[j] - 1,
    )
    model.derived = _derived(model, coef, steps, joints)


def factor(model: pyo.ConcreteModel, request: str, step: int) -> pyo.Var:
    """The factor of a joint term: the request's binary (step -1) or its step u_ri."""
    return model.request[request] if step < 0 else model.accepted[request, step]


def _joint_index(coef: Coefficients, steps: list[Step]) -> list[Joint]:
    joints: list[Joint] = []
    for offer, requests in shift_requests(coef).items():
        for r in requests:
            joints.append((r, -1, offer))
            joints += [(r, i, offer) for rr, i in steps if rr == r]
    return joints


def _derived(
    model: pyo.ConcreteModel, coef: Coefficients, steps: list[Step], joints: list[Joint]
) -> list[tuple[pyo.Var, Callable[[frozenset[str]], float]]]:
    """Each product variable with the function giving its value for a decision set."""

    def step_value(r: str, i: int) -> Callable[[frozenset[str]], float]:
        offers = coef.acceptance_steps[r][i].offers
        return lambda chosen: float(r in chosen and bool(offers & chosen))

    def joint_value(r: str, i: int, j: str) -> Callable[[frozenset[str]], float]:
        first = step_value(r, i) if i >= 0 else (lambda chosen: float(r in chosen))
        return lambda chosen: first(chosen) * float(j in chosen)

    return [(model.accepted[r, i], step_value(r, i)) for r, i in steps] + [
        (model.joint[r, i, j], joint_value(r, i, j)) for r, i, j in joints
    ]


def derived_values(model: pyo.ConcreteModel, chosen: frozenset[str]) -> dict[int, float]:
    """id(variable) -> the value of every product variable for ``chosen``."""
    return {id(var): value(chosen) for var, value in model.derived}
