"""The negotiation as a Pyomo MILP.

Decisions are binaries: ``request[r]`` = 1 if home asks for request tier r, and
``offer[j]`` = 1 if home makes offer j. Everything non-linear was computed in
:mod:`advisor.economics`, so every constraint here is linear in the binaries. Each
constraint family is built by one function whose docstring gives its maths.

Notation: R requests (R_s those of sector s), J offers, M markets, Ω scenarios with
probabilities π_ω; p_rω protected value (exports), w_s the sector's value weight,
a_r acceptance, c_rω the counterpart's cost of granting r in ω and c_r = Σ_ω π_ω c_rω;
g_j counterpart value and d_j domestic cost of offer j; e_jm the change in exports
to market m if j is made, v_j = Σ_m w_jm e_jm what it is worth to home (0 when
``offer_effects_in_objective`` is false); B_mω market m's exports with no deal; λ
the offer cost weight, ρ the reciprocity ratio.

Linkages (``linkages.csv``) make a_r and π_ω depend on the offers; their products
of binaries are linearised exactly in :mod:`advisor.linkages` (u_ri, z). Without
linkages every Σ below over u or z is empty.

Every money row and the objective are divided by a power of ten chosen from the data
(:mod:`advisor.scaling`: S_ρ, S_B, S_E, S_V), so that HiGHS sees numbers near 1 in
any currency unit; the maths below is written unscaled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from advisor.economics import Coefficients
from advisor.instance import Condition, Instance
from advisor.linkages import create_linkage_terms, shift_requests
from advisor.scaling import money_scales

OBJECTIVE_KINDS = ("expected", "worst_case", "regret")
# The constraint families whose coefficients hold scenario parameters (values,
# counterpart costs, exports by scenario); every other family is written over the
# decisions and the instance's limits alone (advisor.solving.mean_value relies on it)
SCENARIO_ROW_FAMILIES = (
    "reciprocity_constr",
    "market_share_cap_constr",
    "market_share_floor_constr",
)


def build_model(
    instance: Instance,
    coefficients: Coefficients,
    objective: str = "expected",
    scenario_optimum: Mapping[str, float] | None = None,
    scenario_rows_only: bool = False,
) -> pyo.ConcreteModel:
    """Build the MILP for ``instance``.

    ``objective`` is ``expected``, ``worst_case`` or ``regret``; ``regret`` needs
    ``scenario_optimum[ω]``, the best value attainable in each scenario. The name
    ``"scenario:ω"`` builds the model maximising scenario ω's value alone (used to
    compute those optima). With ``scenario_rows_only`` the only constraints built are
    the :data:`SCENARIO_ROW_FAMILIES` (a model to read those rows from, not to solve).
    """
    model = pyo.ConcreteModel(name=instance.name)
    model.instance_data = instance
    model.coefficients = coefficients
    model.scales = money_scales(instance, coefficients)
    _create_sets(model, instance, coefficients)
    _create_variables(model)
    create_linkage_terms(model, coefficients)
    _create_expressions(model, instance, coefficients)
    _create_constraints(model, instance, scenario_rows_only)
    _create_objective(model, objective, scenario_optimum)
    return model


# ----------------------------------------------------------------------------- sets


def _create_sets(model: pyo.ConcreteModel, instance: Instance, coef: Coefficients) -> None:
    model.REQUESTS = pyo.Set(initialize=[r.request for r in instance.requests], ordered=True)
    model.OFFERS = pyo.Set(initialize=[o.offer for o in instance.offers], ordered=True)
    model.SECTORS = pyo.Set(initialize=[s.sector for s in instance.sectors], ordered=True)
    model.MARKETS = pyo.Set(initialize=[m.market for m in instance.markets], ordered=True)
    model.SCENARIOS = pyo.Set(initialize=list(coef.scenarios), ordered=True)


def _create_variables(model: pyo.ConcreteModel) -> None:
    model.request = pyo.Var(model.REQUESTS, domain=pyo.Binary, doc="1 if home asks for the tier")
    model.offer = pyo.Var(model.OFFERS, domain=pyo.Binary, doc="1 if home makes the offer")


# ---------------------------------------------------------------------- expressions


def decision_term(model: pyo.ConcreteModel, identifier: str) -> pyo.Expression:
    """The 0/1 expression a condition member stands for.

    A request or offer id is its binary; a sector id is Σ_{r ∈ R_s} request[r]
    (1 if any tier of the sector is requested, since at most one is).
    """
    if identifier in model.request:
        return model.request[identifier]
    if identifier in model.offer:
        return model.offer[identifier]
    tiers = model.instance_data.member_decisions(identifier)
    return pyo.quicksum(model.request[r] for r in tiers)


def linear_sum(terms: Iterable[tuple[float, pyo.Var]]) -> Any:
    """Σ a x over ``terms`` (a, x), the expression ``quicksum(a * x ...)`` builds.

    Built at once instead of by Pyomo's arithmetic one term at a time (a product,
    then an addition, for each): the model's big sums have a term per tariff line.
    The same expression: a·x, or x itself where a = 1; one term alone; 0 for none.
    """
    args = [x if a == 1 else MonomialTermExpression((a, x)) for a, x in terms]
    if not args:
        return 0
    return args[0] if len(args) == 1 else LinearExpression(args)


def _create_expressions(model: pyo.ConcreteModel, instance: Instance, coef: Coefficients) -> None:
    r"""Scenario values, offer totals and exports after the deal.

    .. math::

        V_ω = Σ_r w_s p_{rω} (a_r x_r + Σ_i Δ_{ri} u_{ri}) + Σ_j (v_j - λ d_j) y_j

        E_{mω} = B_{mω} + [m = cp] Σ_r p_{rω} f_r + Σ_j e_{jm} y_j

    with f_r = x_r when caps assume every request granted (``shares =
    "all_granted"``) and f_r = a_r x_r + Σ_i Δ_ri u_ri (acceptance-weighted) with
    ``shares = "expected"``.
    """
    offers = instance.offer_by_id
    x, y = dict(model.request.items()), dict(model.offer.items())
    # λ, mutable so that a frontier can sweep it on one persistent model
    model.offer_cost_weight = pyo.Param(initialize=instance.offer_cost_weight, mutable=True)
    model.offer_domestic_cost = pyo.Expression(
        expr=linear_sum((offers[j].domestic_cost, y[j]) for j in model.OFFERS)
    )
    model.offer_counterpart_value = pyo.Expression(
        expr=linear_sum((offers[j].counterpart_value, y[j]) for j in model.OFFERS)
    )
    model.request_counterpart_cost = pyo.Expression(
        expr=linear_sum((coef.counterpart_cost[r], x[r]) for r in model.REQUESTS)
    )
    model.offer_effect_value = pyo.Expression(
        expr=linear_sum(
            (coef.effect_value[j], y[j]) for j in model.OFFERS if coef.effect_value[j]
        )
    )

    def steps(m: pyo.ConcreteModel, w: str, value: Mapping[tuple[str, str], float]) -> object:
        return pyo.quicksum(
            step.increment * value[r, w] * m.accepted[r, i]
            for r, i in m.ACCEPTANCE_STEPS
            for step in (coef.acceptance_steps[r][i],)
        )

    def scenario_value_rule(m: pyo.ConcreteModel, w: str) -> pyo.Expression:
        protected = linear_sum((coef.expected_value[r, w], x[r]) for r in m.REQUESTS)
        protected += steps(m, w, coef.weighted_value)
        offers_net = m.offer_effect_value - m.offer_cost_weight * m.offer_domestic_cost
        return protected + offers_net

    model.scenario_value = pyo.Expression(model.SCENARIOS, rule=scenario_value_rule)

    def exports_rule(m: pyo.ConcreteModel, market: str, w: str) -> pyo.Expression:
        expr = coef.market_baseline[market, w] + linear_sum(
            (coef.market_effect[j, market], y[j])
            for j in m.OFFERS
            if (j, market) in coef.market_effect
        )
        if market == instance.counterpart:
            expr += linear_sum((coef.share_exports[r, w], x[r]) for r in m.REQUESTS)
            if coef.shares_expected:
                expr += steps(m, w, coef.protected_value)
        return expr

    model.exports_after_deal = pyo.Expression(model.MARKETS, model.SCENARIOS, rule=exports_rule)
    risk_moved = pyo.quicksum(
        shift.amount
        * (coef.weighted_risk[shift.source] - coef.weighted_risk[shift.target])
        * model.offer[shift.offer]
        for shift in coef.shifts
    )
    model.shift_value = pyo.Expression(
        expr=_shift_terms(model, coef, coef.weighted_value, True) + risk_moved
    )


def _shift_terms(
    model: pyo.ConcreteModel,
    coef: Coefficients,
    value: Mapping[tuple[str, str], float],
    with_steps: bool,
) -> object:
    r"""What the scenario shifts add to an expectation over the scenarios.

    For a quantity Q_ω = Σ_r q_rω (a_r x_r + Σ_i Δ_ri u_ri), linear in the
    decisions, Σ_ω π_ω(y) Q_ω = Σ_ω π_ω Q_ω + Σ_{(j, ω→ω', δ)} δ y_j (Q_ω' - Q_ω),
    and y_j Q_ω = Σ_r q_rω (a_r z_{r,j} + Σ_i Δ_ri z_{ri,j}) (offer terms do not
    depend on the scenario, so they cancel). With ``with_steps`` false the
    quantity is Σ_r q_rω x_r (a counterpart cost).

    The expected objective also adds the no-deal loss a shift avoids,
    Σ δ y_j (R_ω - R_ω') (:meth:`advisor.economics.Coefficients.risk_moved`).
    """
    relevant = shift_requests(coef)
    terms = []
    for shift in coef.shifts:
        for r in relevant.get(shift.offer, ()):
            diff = value[r, shift.target] - value[r, shift.source]
            if not diff:
                continue
            weight = coef.base_acceptance[r] if with_steps else 1.0
            terms.append(shift.amount * diff * weight * model.joint[r, -1, shift.offer])
            if with_steps:
                terms += [
                    shift.amount * diff * step.increment * model.joint[r, i, shift.offer]
                    for i, step in enumerate(coef.acceptance_steps.get(r, ()))
                ]
    return pyo.quicksum(terms)


# ---------------------------------------------------------------------- constraints


def _create_constraints(
    model: pyo.ConcreteModel, instance: Instance, scenario_rows_only: bool
) -> None:
    """Every constraint family, in this order (HiGHS's rows follow it).

    With ``scenario_rows_only``: reciprocity and market shares, the
    :data:`SCENARIO_ROW_FAMILIES`.
    """
    every = not scenario_rows_only
    if every:
        _one_tier_per_sector(model, instance)
    _reciprocity(model, instance)
    if every:
        _domestic_budget(model, instance)
        _conditions(model, instance)
    _market_shares(model, instance)


def _one_tier_per_sector(model: pyo.ConcreteModel, instance: Instance) -> None:
    r"""At most one tier per sector.

    .. math:: Σ_{r ∈ R_s} x_r ≤ 1 \quad ∀ s
    """
    tiers = instance.tiers_by_sector

    def rule(m: pyo.ConcreteModel, s: str) -> pyo.Expression:
        if len(tiers[s]) <= 1:
            return pyo.Constraint.Skip
        return pyo.quicksum(m.request[r] for r in tiers[s]) <= 1

    model.one_tier_per_sector_constr = pyo.Constraint(model.SECTORS, rule=rule)


def _reciprocity(model: pyo.ConcreteModel, instance: Instance) -> None:
    r"""The counterpart accepts only a balanced deal: on average, or in every scenario.

    ``reciprocity = "expected"`` (one row, with c_r under the probabilities π_ω(y)
    the offers leave; see :func:`_shift_terms`) or ``"every_scenario"`` (one row per
    scenario):

    .. math::

        Σ_j g_j y_j ≥ ρ Σ_ω π_ω(y) Σ_r c_{rω} x_r
        \qquad\text{or}\qquad
        Σ_j g_j y_j ≥ ρ Σ_r c_{rω} x_r \quad ∀ ω
    """
    coef: Coefficients = model.coefficients
    model.reciprocity_ratio = pyo.Param(initialize=instance.reciprocity_ratio, mutable=True)
    every = instance.reciprocity == "every_scenario"
    x = dict(model.request.items())
    model.RECIPROCITY_ROWS = pyo.Set(
        initialize=list(model.SCENARIOS) if every else ["expected"], ordered=True
    )

    def cost(m: pyo.ConcreteModel, row: str) -> object:
        if every:
            return linear_sum((coef.counterpart_cost_in[r, row], x[r]) for r in m.REQUESTS)
        shifted = _shift_terms(m, coef, coef.counterpart_cost_in, False)
        return m.request_counterpart_cost + shifted

    model.reciprocity_constr = pyo.Constraint(
        model.RECIPROCITY_ROWS,
        rule=lambda m, row: (
            (m.offer_counterpart_value - m.reciprocity_ratio * cost(m, row)) / m.scales.reciprocity
            >= 0
        ),
    )


def _domestic_budget(model: pyo.ConcreteModel, instance: Instance) -> None:
    """What home gives away is capped (only when the instance sets a budget).

    .. math:: Σ_j d_j y_j ≤ B
    """
    if instance.domestic_budget is None:
        return
    model.domestic_budget = pyo.Param(initialize=instance.domestic_budget, mutable=True)
    scale = model.scales.budget
    model.domestic_budget_constr = pyo.Constraint(
        expr=model.offer_domestic_cost / scale <= model.domestic_budget / scale
    )


def _conditions(model: pyo.ConcreteModel, instance: Instance) -> None:
    r"""Treaty conditions, one constraint family per kind (A subject, G the objects).

    .. math::

        requires:         x_A ≤ x_B \quad ∀ B ∈ G

        requires\_one\_of:  x_A ≤ Σ_{B ∈ G} x_B

        excludes:         x_A + x_B ≤ 1 \quad ∀ B ∈ G

        at\_most:          Σ_{i ∈ G} x_i ≤ k

        at\_least:         Σ_{i ∈ G} x_i ≥ k
    """
    by_kind: dict[str, list[Condition]] = {}
    for c in instance.conditions:
        by_kind.setdefault(c.kind, []).append(c)
    term = lambda identifier: decision_term(model, identifier)  # noqa: E731
    pairs = {
        kind: [(c.condition, b) for c in by_kind.get(kind, []) for b in c.objects]
        for kind in ("requires", "excludes")
    }
    conditions = {c.condition: c for c in instance.conditions}
    model.condition_requires_constr = pyo.Constraint(
        pairs["requires"], rule=lambda m, c, b: term(conditions[c].subject) <= term(b)
    )
    model.condition_excludes_constr = pyo.Constraint(
        pairs["excludes"], rule=lambda m, c, b: term(conditions[c].subject) + term(b) <= 1
    )
    model.condition_requires_one_of_constr = pyo.Constraint(
        [c.condition for c in by_kind.get("requires_one_of", [])],
        rule=lambda m, c: (
            term(conditions[c].subject) <= pyo.quicksum(term(b) for b in conditions[c].objects)
        ),
    )
    model.condition_at_most_constr = pyo.Constraint(
        [c.condition for c in by_kind.get("at_most", [])],
        rule=lambda m, c: (
            pyo.quicksum(term(i) for i in conditions[c].members) <= conditions[c].count
        ),
    )
    model.condition_at_least_constr = pyo.Constraint(
        [c.condition for c in by_kind.get("at_least", [])],
        rule=lambda m, c: (
            pyo.quicksum(term(i) for i in conditions[c].members) >= conditions[c].count
        ),
    )


def _market_shares(model: pyo.ConcreteModel, instance: Instance) -> None:
    r"""Market diversification: caps and floors on each market's share, in every scenario.

    Written directly over the binaries (no auxiliary total), which HiGHS solves
    much faster:

    .. math::

        E_{mω} - \bar{s}_m Σ_{m'} E_{m'ω} ≤ 0, \qquad
        E_{mω} - \underline{s}_m Σ_{m'} E_{m'ω} ≥ 0 \quad ∀ ω
    """
    model.CAPPED = pyo.Set(initialize=list(instance.market_share_caps), ordered=True)
    model.FLOORED = pyo.Set(initialize=list(instance.market_share_floors), ordered=True)
    model.market_share_cap = pyo.Param(
        model.CAPPED, initialize=dict(instance.market_share_caps), mutable=True
    )
    model.market_share_floor = pyo.Param(
        model.FLOORED, initialize=dict(instance.market_share_floors), mutable=True
    )

    scale = model.scales.exports

    def total(m: pyo.ConcreteModel, w: str) -> pyo.Expression:
        return pyo.quicksum(m.exports_after_deal[k, w] for k in m.MARKETS)

    def excess(m: pyo.ConcreteModel, k: str, w: str, share: pyo.Param) -> pyo.Expression:
        return (m.exports_after_deal[k, w] - share * total(m, w)) / scale

    model.market_share_cap_constr = pyo.Constraint(
        model.CAPPED,
        model.SCENARIOS,
        rule=lambda m, k, w: excess(m, k, w, m.market_share_cap[k]) <= 0,
    )
    model.market_share_floor_constr = pyo.Constraint(
        model.FLOORED,
        model.SCENARIOS,
        rule=lambda m, k, w: excess(m, k, w, m.market_share_floor[k]) >= 0,
    )


# ------------------------------------------------------------------------ objective


def _create_objective(
    model: pyo.ConcreteModel, objective: str, scenario_optimum: Mapping[str, float] | None
) -> None:
    r"""The objective, by kind.

    .. math::

        expected:    \max Σ_ω π_ω(y) V_ω   (π_ω(y): see :func:`_shift_terms`)

        worst\_case:  \max η \quad s.t. \; η ≤ V_ω \; ∀ ω

        regret:      \max -ρ \quad s.t. \; ρ ≥ V^*_ω - V_ω \; ∀ ω

    where V*_ω is the best value attainable in scenario ω alone (same rules). In the
    model the objective, η and ρ are in units of S_V (``model.scales.objective``).
    """
    coef: Coefficients = model.coefficients
    scale = model.scales.objective
    value = {w: model.scenario_value[w] / scale for w in model.SCENARIOS}
    if objective == "expected":
        model.objective = pyo.Objective(
            expr=pyo.quicksum(coef.probability[w] * value[w] for w in model.SCENARIOS)
            + model.shift_value / scale,
            sense=pyo.maximize,
        )
    elif objective == "worst_case":
        model.worst_case_value = pyo.Var(domain=pyo.Reals)
        model.worst_case_constr = pyo.Constraint(
            model.SCENARIOS, rule=lambda m, w: m.worst_case_value <= value[w]
        )
        model.objective = pyo.Objective(expr=model.worst_case_value, sense=pyo.maximize)
    elif objective == "regret":
        if scenario_optimum is None:
            raise ValueError("the regret objective needs each scenario's optimum")
        model.max_regret = pyo.Var(domain=pyo.Reals)
        model.regret_constr = pyo.Constraint(
            model.SCENARIOS,
            rule=lambda m, w: m.max_regret >= scenario_optimum[w] / scale - value[w],
        )
        model.objective = pyo.Objective(expr=-model.max_regret, sense=pyo.maximize)
    elif objective.startswith("scenario:"):
        model.objective = pyo.Objective(expr=value[objective.split(":", 1)[1]], sense=pyo.maximize)
    else:
        raise ValueError(f"unknown objective {objective!r}; expected one of {OBJECTIVE_KINDS}")
