r"""The coalition as one MILP: every member's own model as a block, plus joint commitments.

Each member m of the (sub-)coalition S keeps its whole model from
:func:`advisor.model.build_model` (its requests x_m, offers, one tier per sector,
budget, conditions, market-share caps and floors), attached as block
``member[m]`` with its objective deactivated. The joint commitments link them.

Notation: J the joint offers that at least ``min_members`` members of S may join;
E_j ⊆ S the members eligible for j; b_j the base value per participant, β_j the
leverage bonus and k_j its threshold, n_j the least number of participants;
d_jm m's domestic cost of joining j; ω_m m's split weight (1 for ``equal``, its
export weight for ``export_weight``, scaled so that the largest is 1).

Variables: z_j = 1 if j is made, y_jm = 1 if m takes part, w_j = 1 if the leverage
bonus is earned, s_jm ≥ 0 m's share of j's value to the counterpart.

.. math::

    y_{jm} ≤ z_j, \qquad y_{jm} = z_j \text{ for a core member}, \qquad
    Σ_m y_{jm} ≥ n_j z_j

    k_j w_j ≤ Σ_m y_{jm}, \qquad w_j ≤ z_j
    \qquad (w_j = 1 \text{ only if at least } k_j \text{ join: exact, since a larger
    value only relaxes reciprocity})

    G_j = b_j Σ_m y_{jm} + β_j w_j = Σ_m s_{jm}, \qquad s_{jm} ≤ \bar G_j y_{jm}

    ω_{m'} s_{jm} - ω_m s_{jm'} ∈ [-M_j(2 - y_{jm} - y_{jm'}),\; M_j(2 - y_{jm} - y_{jm'})]

so each participant gets G_j ω_m / Σ_{participants} ω (an exact linearisation of the
split; \bar G_j = b_j |E_j| + β_j and M_j = \bar G_j). In member m's own rows:

.. math::

    reciprocity:\; Σ_i g_i o_i + Σ_j s_{jm} ≥ ρ_m Σ_r c_r x_r \quad (\text{each of its rows})

    budget:\; Σ_i d_i o_i + Σ_j d_{jm} y_{jm} ≤ B_m

    market\ m':\; E_{m'ω} + Σ_j e_{jmm'} y_{jm} \text{ in its caps and floors}

    V_m = (\text{its objective}) + Σ_j (\bar w_m Σ_k e_{jmk} - λ_m d_{jm}) y_{jm}

A joint condition (``joint_conditions.csv``) binds S only when S has at least two
members and every member it names is in S (alone, a member negotiates under its own
instance's rules); its terms are z_j (``J``), y_jm (``M:J``) or member m's decision
(``M:ID``, as in the member's own conditions). Objectives: utilitarian
max Σ_m V_m; egalitarian max t with t ≤ V_m − V_m^alone, then max Σ_m V_m with
t ≥ t* − tolerance (:mod:`advisor.coalition.plans`). Individual rationality, when
enforced: V_m ≥ V_m^alone − tolerance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyomo.environ as pyo

from advisor.coalition.spec import Coalition, JointCondition, Term
from advisor.economics import compute_coefficients
from advisor.model import build_model, decision_term


def build_joint_model(coalition: Coalition, members: Sequence[str]) -> pyo.ConcreteModel:
    """The joint MILP of sub-coalition ``members`` (in coalition order), without objective.

    ``model.value[m]`` is member m's value V_m in the money unit; :mod:`plans` adds
    the objective.
    """
    model = pyo.ConcreteModel(name=coalition.name)
    model.coalition = coalition
    model.MEMBERS = pyo.Set(initialize=[m for m in coalition.member_ids if m in members],
                            ordered=True)
    model.member = pyo.Block(model.MEMBERS)
    for m in model.MEMBERS:
        instance = coalition.member_by_id[m].instance
        block = build_model(instance, compute_coefficients(instance), "expected")
        block.objective.deactivate()
        model.member[m].transfer_attributes_from(block)
    _joint_sets(model, coalition)
    _joint_variables(model, coalition)
    _participation(model, coalition)
    _split(model, coalition)
    _member_rows(model, coalition)
    _member_values(model, coalition)
    _joint_conditions(model, coalition)
    model.scale = max(model.member[m].scales.objective for m in model.MEMBERS)
    return model


def _joint_sets(model: pyo.ConcreteModel, coalition: Coalition) -> None:
    inside = set(model.MEMBERS)
    eligible = {j: [m for m in ms if m in inside] for j, ms in coalition.eligible.items()}
    joint = [j for j in coalition.joint_offers if len(eligible[j.joint_offer]) >= j.min_members]
    model.joint_by_id = {j.joint_offer: j for j in joint}
    model.JOINT = pyo.Set(initialize=[j.joint_offer for j in joint], ordered=True)
    model.PART = pyo.Set(
        initialize=[(j, m) for j in model.JOINT for m in eligible[j]], ordered=True
    )
    model.eligible = {j: tuple(eligible[j]) for j in model.JOINT}


def _joint_variables(model: pyo.ConcreteModel, coalition: Coalition) -> None:
    model.made = pyo.Var(model.JOINT, domain=pyo.Binary, doc="1 if the joint offer is made")
    model.take_part = pyo.Var(model.PART, domain=pyo.Binary, doc="1 if the member joins")
    model.leverage = pyo.Var(model.JOINT, domain=pyo.Binary, doc="1 if the bonus is earned")
    model.share = pyo.Var(model.PART, domain=pyo.NonNegativeReals, doc="member's share of G_j")


def _participation(model: pyo.ConcreteModel, coalition: Coalition) -> None:
    """Who joins: y ≤ z (core: y = z), at least n_j participants, the leverage threshold."""
    tiers = {m.member: m.tier for m in coalition.members}
    model.join_constr = pyo.Constraint(
        model.PART,
        rule=lambda mdl, j, m: (
            mdl.take_part[j, m] == mdl.made[j] if tiers[m] == "core"
            else mdl.take_part[j, m] <= mdl.made[j]
        ),
    )

    def count(mdl: pyo.ConcreteModel, j: str) -> pyo.Expression:
        return pyo.quicksum(mdl.take_part[j, m] for m in mdl.eligible[j])

    joint = model.joint_by_id
    model.min_members_constr = pyo.Constraint(
        model.JOINT, rule=lambda mdl, j: count(mdl, j) >= joint[j].min_members * mdl.made[j]
    )
    model.leverage_count_constr = pyo.Constraint(
        model.JOINT, rule=lambda mdl, j: joint[j].leverage_min * mdl.leverage[j] <= count(mdl, j)
    )
    model.leverage_made_constr = pyo.Constraint(
        model.JOINT, rule=lambda mdl, j: mdl.leverage[j] <= mdl.made[j]
    )
    model.joint_value = pyo.Expression(
        model.JOINT,
        rule=lambda mdl, j: mdl.joint_by_id[j].base_value * count(mdl, j)
        + mdl.joint_by_id[j].leverage_bonus * mdl.leverage[j],
    )


def split_weights(coalition: Coalition) -> dict[str, float]:
    """ω_m: 1 for an equal split, else the export weight over the largest (≤ 1)."""
    if coalition.split == "equal":
        return {m.member: 1.0 for m in coalition.members}
    top = max(m.export_weight for m in coalition.members)
    return {m.member: m.export_weight / top for m in coalition.members}


def _split(model: pyo.ConcreteModel, coalition: Coalition) -> None:
    """Shares: Σ_m s_jm = G_j, s_jm ≤ Ḡ_j y_jm, in proportion to ω among participants."""
    weight = split_weights(coalition)

    def most(j: str) -> float:
        joint = model.joint_by_id[j]
        return joint.base_value * len(model.eligible[j]) + joint.leverage_bonus

    model.share_total_constr = pyo.Constraint(
        model.JOINT,
        rule=lambda mdl, j: pyo.quicksum(mdl.share[j, m] for m in mdl.eligible[j])
        == mdl.joint_value[j],
    )
    model.share_member_constr = pyo.Constraint(
        model.PART, rule=lambda mdl, j, m: mdl.share[j, m] <= most(j) * mdl.take_part[j, m]
    )
    pairs = [(j, a, b) for j in model.JOINT for i, a in enumerate(model.eligible[j])
             for b in model.eligible[j][i + 1:]]

    def gap(mdl: pyo.ConcreteModel, j: str, a: str, b: str) -> tuple[pyo.Expression, ...]:
        slack = most(j) * (2 - mdl.take_part[j, a] - mdl.take_part[j, b])
        diff = weight[b] * mdl.share[j, a] - weight[a] * mdl.share[j, b]
        return diff, slack

    model.share_ratio_up_constr = pyo.Constraint(
        pairs, rule=lambda mdl, j, a, b: gap(mdl, j, a, b)[0] <= gap(mdl, j, a, b)[1]
    )
    model.share_ratio_down_constr = pyo.Constraint(
        pairs, rule=lambda mdl, j, a, b: -gap(mdl, j, a, b)[0] <= gap(mdl, j, a, b)[1]
    )


def _joined(model: pyo.ConcreteModel, m: str, coefficient: Mapping[str, float]) -> pyo.Expression:
    """Σ_j coefficient[j] y_jm over the joint offers m may join."""
    return pyo.quicksum(
        coefficient.get(j, 0.0) * model.take_part[j, m]
        for j in model.JOINT if (j, m) in model.PART
    )


def _replace(block: pyo.Block, name: str, extra_of: Callable[[Any], Any]) -> None:
    """Rebuild each row of ``block.name`` with ``extra_of(index)`` added to its body."""
    component = block.component(name)
    if component is None:
        return
    rows = []
    for index in list(component):
        row = component[index]
        rows.append((index, (row.lower, row.body + extra_of(index), row.upper)))
        row.deactivate()
    if not rows:
        return
    if component.is_indexed():
        table = dict(rows)
        new = pyo.Constraint(list(table), rule=lambda b, *i: table[i[0] if len(i) == 1 else i])
    else:
        new = pyo.Constraint(expr=rows[0][1])
    block.add_component(f"joint_{name}", new)


def _member_rows(model: pyo.ConcreteModel, coalition: Coalition) -> None:
    """Each member's rows get the joint terms (see the module docstring).

    Its reciprocity gets its shares, its budget its joint costs, its market-share
    rows its joint export changes.
    """
    for m in model.MEMBERS:
        _member_joint_terms(model, coalition, m)


def _member_joint_terms(model: pyo.ConcreteModel, coalition: Coalition, m: str) -> None:
    block = model.member[m]
    shares = pyo.quicksum(model.share[j, m] for j in model.JOINT if (j, m) in model.PART)
    costs = _joined(model, m, {j: coalition.cost[j, m] for j in model.JOINT
                               if (j, m) in coalition.cost})
    effects = _market_effects(model, coalition, m)
    shift = sum(effects.values())

    def reciprocity(index: Any) -> Any:
        return shares / block.scales.reciprocity

    def budget(index: Any) -> Any:
        return costs / block.scales.budget

    def cap(index: Any) -> Any:
        market = index[0]
        return (effects.get(market, 0) - block.market_share_cap[market] * shift) / (
            block.scales.exports)

    def floor(index: Any) -> Any:
        market = index[0]
        return (effects.get(market, 0) - block.market_share_floor[market] * shift) / (
            block.scales.exports)

    _replace(block, "reciprocity_constr", reciprocity)
    _replace(block, "domestic_budget_constr", budget)
    if effects:
        _replace(block, "market_share_cap_constr", cap)
        _replace(block, "market_share_floor_constr", floor)


def _market_effects(model: pyo.ConcreteModel, coalition: Coalition, m: str) -> dict[str, Any]:
    """Market -> Σ_j e_jmk y_jm, the member's export changes from joint offers it joins."""
    by_market: dict[str, dict[str, float]] = {}
    for e in coalition.effects:
        if e.member == m and (e.joint_offer, m) in model.PART:
            by_market.setdefault(e.market, {})[e.joint_offer] = e.export_change
    return {k: _joined(model, m, v) for k, v in by_market.items()}


def _member_values(model: pyo.ConcreteModel, coalition: Coalition) -> None:
    """V_m: its own objective (money) + its joint export changes' value − λ_m × joint costs.

    The export changes count as its own offers' do (``offer_effects_in_objective``),
    each weighted by the member's mean value weight w̄_m (``Instance.effect_weight``):
    V_m = objective_m + Σ_j (w̄_m Σ_k e_jmk − λ_m d_jm) y_jm.
    """
    def value(mdl: pyo.ConcreteModel, m: str) -> pyo.Expression:
        block = mdl.member[m]
        instance = coalition.member_by_id[m].instance
        net = {j: -instance.offer_cost_weight * coalition.cost[j, m]
               for j in mdl.JOINT if (j, m) in coalition.cost}
        if instance.offer_effects_in_objective:
            for e in coalition.effects:
                if e.member == m and e.joint_offer in net:
                    net[e.joint_offer] += instance.effect_weight * e.export_change
        return block.objective.expr * block.scales.objective + _joined(mdl, m, net)

    model.value = pyo.Expression(model.MEMBERS, rule=value)


def _term(model: pyo.ConcreteModel, term: Term) -> Any:
    """The 0/1 expression of a joint condition's term (0 for a joint offer not in J)."""
    if not term.member:
        return model.made[term.ref] if term.ref in model.JOINT else 0
    if term.ref in model.coalition.eligible:  # a joint offer: the member's participation
        pair = (term.ref, term.member)
        return model.take_part[pair] if pair in model.PART else 0
    return decision_term(model.member[term.member], term.ref)


def condition_rows(model: pyo.ConcreteModel, c: JointCondition) -> list[tuple[Any, Any, Any]]:
    """(lower, body, upper) rows of joint condition ``c`` (same kinds as an instance's)."""
    t = [_term(model, x) for x in c.terms]
    if c.kind == "requires":
        return [(None, t[0] - b, 0) for b in t[1:]]
    if c.kind == "excludes":
        return [(None, t[0] + b, 1) for b in t[1:]]
    if c.kind == "requires_one_of":
        return [(None, t[0] - sum(t[1:]), 0)]
    if c.kind == "at_most":
        return [(None, sum(t), c.count)]
    return [(c.count, sum(t), None)]


def _joint_conditions(model: pyo.ConcreteModel, coalition: Coalition) -> None:
    """Joint conditions that bind S: S has 2+ members and every member they name is in S.

    A member alone negotiates bilaterally, bound by its own instance only, so that
    v({m}) is its own instance's optimum.
    """
    inside = set(model.MEMBERS)
    model.impossible = False
    model.joint_condition_constr = pyo.ConstraintList()
    if len(inside) < 2:
        return
    for c in coalition.conditions:
        if not c.members <= inside:
            continue
        for lower, body, upper in condition_rows(model, c):
            if isinstance(body, (int, float)):  # no variable left: true or impossible
                model.impossible |= (lower is not None and body < lower) or (
                    upper is not None and body > upper)
                continue
            model.joint_condition_constr.add((lower, body, upper))
