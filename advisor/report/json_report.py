"""The JSON reports: a ranked result, an explanation and a frontier as strict JSON.

Each document is a plain dict first (:func:`json_document`, :func:`explanation_document`,
:func:`frontier_document`, for a caller that wants the data), then dumped indented with
a final newline. Money keeps full precision here (the text formats round it); any NaN or
infinity becomes null, so the output is strict JSON. The schema of a ranked result
follows; those of an explanation and a frontier are in the docstrings of
:func:`advisor.report.render_explanation` and :func:`advisor.report.render_frontier`.

JSON schema (``render(result, "json")``, version 2)
----------------------------------------------------

One object. Keys are stable: later versions only add keys, and raise
``schema_version`` if they ever change one. Money is in ``currency`` ``unit``;
tariffs, shares and gaps are fractions (0.19 is 19%); no value is NaN or infinite.
Two kinds of money figures (``units``): *objective units* (exports weighted by the
sectors' value weights, net of λ x offer cost: the objective, scenario values,
``weighted_protected_value``, ``offer_effect_value``, gaps) and *exports*
(``protected_value``, market ``exports``); offer costs and the counterpart's figures
are plain money.

Version 2 (issue 13) changed the meaning of two keys: ``scenario_values`` (and so the
objective) count the offers' export changes and value weights, and
``binding_constraints`` lists only rules whose removal or one-step relaxation raises
the best objective; it added ``model``, ``units``, the scenarios' ``exports_at_risk``
and ``threat``, and the strategies' ``weighted_protected_value``,
``offer_effect_value``, ``scenario_probabilities``, ``binding_rules`` and markets'
``scenario_shares``, ``limit``, ``limit_share``, ``closest_scenario``.

- ``schema_version`` (int): 2.
- ``instance`` (str): the instance's name; ``path`` (str): its folder;
  ``currency``, ``unit``, ``money`` (str): e.g. ``"USD"``, ``"million"``,
  ``"USD million"``.
- ``objective`` (str): what the ranking maximises: ``expected`` (probability-weighted
  value), ``worst_case`` (lowest scenario value) or ``regret`` (minus the largest
  shortfall from a scenario's own optimum).
- ``status`` (str): ``optimal`` (each strategy proven best of those left),
  ``exhausted`` (fewer feasible strategies than asked for; all are listed),
  ``gap`` (solved to a relative MIP gap above 0), ``time_limit`` (stopped by the
  time limit: what was found is listed), ``infeasible`` (no strategy satisfies the
  rules; ``strategies`` is empty).
- ``solver`` (object): ``name``, ``version`` (str), ``time_s`` (float, wall time of
  the whole ranking), ``gap`` (float, largest relative MIP gap of a listed strategy),
  ``solves`` (int, HiGHS solves made: MIPs, and LPs in the package search),
  ``search`` (str, ``cuts``: no-good cuts on one MILP, or ``packages``: the
  offer-package branch and bound of ``advisor/solving/packages.py``).
- ``settings`` (object): ``top``, ``min_difference`` (int), ``mip_gap`` (float).
- ``model`` (object): what the objective counts and the model options:
  ``offer_cost_weight`` (λ), ``offer_effects_in_objective`` (bool),
  ``value_weights`` (bool: some sector or offer effect weighs other than 1),
  ``reciprocity`` (``expected``: the counterpart comes out even on average over the
  scenarios; ``every_scenario``), ``shares`` (``all_granted``: caps and floors
  assume every request granted; ``expected``: acceptance-weighted exports),
  ``linkages`` (list: ``offer``, ``effect`` (``acceptance`` or ``scenario``),
  ``target``, ``value``, ``to``).
- ``units`` (object of str): ``objective`` (e.g. ``"objective units (USD million
  equivalent)"``), ``exports`` (``"USD million of exports"``), ``money``.
- ``scenarios`` (list): ``name``, ``probability``, ``description``, ``optimum``
  (the scenario's own best value under the regret objective, else null),
  ``exports_at_risk`` (exports to the counterpart lost to the scenario's threat with
  no deal), ``threat`` (``"most threatened"``, ``"least threatened"`` or null: the
  scenarios with the most and the least exports at risk).
- ``scenario_measures`` (object or null; expected objective with several scenarios):
  ``recourse_value`` (RP), ``wait_and_see_value`` (WS), ``mean_value_expected``
  (EEV or null), ``value_of_stochastic_solution`` (VSS = RP - EEV, or null),
  ``expected_value_of_perfect_information`` (EVPI = WS - RP),
  ``mean_value_strategy`` (decision ids), ``note`` (why EEV is undefined, or "").
- ``conditions`` (list): every treaty condition of the instance: ``condition``,
  ``kind``, ``members`` (ids), ``count`` (int or null), ``description``.
- ``warnings`` (list of str): what a reader must know.
- ``diagnosis`` (object or null): for an infeasible result rendered with a
  diagnosis (the command line always adds one), :meth:`advisor.diagnose.Diagnosis.to_dict`:
  ``feasible`` (bool), ``conflicts`` (list: ``location``, e.g. ``"conditions.csv: c4"``,
  ``rule``, ``kind``, ``fix`` in words, ``relaxed_value``: the relaxed limit or count,
  null when the fix is to drop the rule); else null.
- ``strategies`` (list, best first), each:

  - ``rank`` (int, from 1), ``objective`` (float), ``gap_to_best`` (float: rank 1's
    objective minus this one's), ``proven_optimal`` (bool), ``mip_gap`` (float);
  - ``decisions`` (list of request and offer ids, in file order);
  - ``protected_value``: expected exports protected (acceptance- and
    probability-weighted), in exports; ``weighted_protected_value``: the same in
    objective units (value-weighted); ``offer_effect_value``: what the offers'
    export changes are worth, in objective units (0 when they do not count);
    ``offer_cost``: domestic cost of the offers (weighted by λ in the value), so that
    ``expected_value = weighted_protected_value + offer_effect_value - λ x offer_cost``;
    ``counterpart_value``: value of the offers to the counterpart;
    ``counterpart_cost``: the counterpart's cost of the requests;
    ``reciprocity_balance``: ``counterpart_value - rho * counterpart_cost`` (>= 0);
  - ``scenario_values`` (object: scenario name -> value in objective units,
    protected + offer effects - λ x offer cost), ``scenario_probabilities`` (object:
    scenario -> probability once the offers' linkages apply), ``expected_value``,
    ``worst_case_value``, ``regret`` (largest shortfall from a scenario's own
    optimum; null unless the objective is ``regret``);
  - ``market_shares`` (object: market -> share of home's exports after the deal,
    probability-weighted over the scenarios, under the ``shares`` mode);
    ``markets`` (list): ``market``, ``exports`` (probability-weighted, in exports),
    ``share``, ``max_share`` (highest share over the scenarios),
    ``scenario_shares`` (object: scenario -> share in that scenario, which a cap
    or floor constrains), ``limit`` (``"cap"``, ``"floor"`` or null),
    ``limit_share``, ``closest_scenario`` (the scenario whose share is nearest the
    limit: the one the limit constrains; null without a limit);
  - ``requests`` (list): ``request``, ``sector``, ``sector_name``, ``tier``,
    ``tariff`` (granted), ``acceptance`` (probability the counterpart grants it),
    ``protected_value`` (probability-weighted, before acceptance),
    ``counterpart_cost``;
  - ``offers`` (list): ``offer``, ``name``, ``category``, ``counterpart_value``,
    ``domestic_cost``;
  - ``conditions_triggered`` (list of condition ids: see ``conditions``);
  - ``binding_constraints`` (list of str: a rule is binding when removing it, or
    relaxing it one step, would raise the best objective by more than the
    tolerance, and it blocks a better single move from this strategy; e.g.
    ``"reciprocity"``, ``"reciprocity [storm]"`` (every_scenario), ``"domestic
    budget"``, ``"condition c1"``, ``"market share cap USA [base]"``);
    ``binding_rules`` (list: the same grouped, one entry per rule: ``rule``, e.g.
    ``"market share cap USA"``, and ``scenarios``, the scenarios it binds in, [] if
    the rule is not per scenario).
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from advisor.report.explanation import rule_limits
from advisor.report.words import (
    binding_groups,
    export_unit,
    exports_at_risk,
    objective_unit,
    threat_names,
    value_weighted,
)
from advisor.results import Result

if TYPE_CHECKING:
    from advisor.analysis.diagnose import Diagnosis
    from advisor.analysis.explain import Explanation
    from advisor.analysis.frontier import Frontier

SCHEMA_VERSION = 2


def finite(value: Any) -> Any:
    """Replace NaN and infinities by None, recursively, so the JSON is strict."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def dumps(doc: dict[str, Any]) -> str:
    """``doc`` as strict JSON, indented by 2, non-ASCII kept, newline-ended."""
    return json.dumps(finite(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def json_document(result: Result, diagnosis: Diagnosis | None = None) -> dict[str, Any]:
    """The JSON report as a dict (the schema is in this module's docstring)."""
    data = result.to_dict(timing=True)
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    doc.update(data)
    inst = result.instance
    doc["money"] = inst.money
    doc["model"] = {
        "offer_cost_weight": inst.offer_cost_weight,
        "offer_effects_in_objective": inst.offer_effects_in_objective,
        "value_weights": value_weighted(inst),
        "reciprocity": inst.reciprocity,
        "shares": inst.shares,
        "linkages": [
            {"offer": k.offer, "effect": k.effect, "target": k.target, "value": k.value, "to": k.to}
            for k in inst.linkages
        ],
    }
    doc["units"] = {
        "objective": objective_unit(inst),
        "exports": export_unit(inst),
        "money": inst.money,
    }
    risk, names = exports_at_risk(inst), threat_names(inst)
    for scenario in doc["scenarios"]:
        scenario["exports_at_risk"] = risk.get(scenario["name"])
        scenario["threat"] = names.get(scenario["name"])
    for entry, s in zip(doc["strategies"], result.strategies, strict=True):
        entry["binding_rules"] = [
            {"rule": rule, "scenarios": scenarios}
            for rule, scenarios in binding_groups(s.binding_constraints)
        ]
    doc["conditions"] = [
        {
            "condition": c.condition,
            "kind": c.kind,
            "members": list(c.members),
            "count": c.count,
            "description": c.description,
        }
        for c in result.instance.conditions
    ]
    doc["diagnosis"] = None if diagnosis is None else diagnosis.to_dict()
    return finite(doc)


def render_json(result: Result, diagnosis: Diagnosis | None = None) -> str:
    """The JSON report (schema in this module's docstring), indented, newline-ended."""
    return dumps(json_document(result, diagnosis))


def explanation_document(explanation: Explanation, result: Result) -> dict[str, Any]:
    """The JSON explanation as a dict (schema: :func:`advisor.report.render_explanation`).

    Each rule also carries its limit and the two relaxed limits the prices are at.
    """
    inst = result.instance
    data = explanation.to_dict()
    for rule, price in zip(data["rules"], explanation.rules, strict=True):
        _, limit, one, ten, _ = rule_limits(inst, price)
        rule |= {"limit": limit, "relaxed_one_unit_to": one, "relaxed_10pct_to": ten}
    return {
        "schema_version": SCHEMA_VERSION,
        "report": "explanation",
        "instance": inst.name,
        "path": inst.path,
        "currency": inst.currency,
        "unit": inst.unit,
        "money": inst.money,
        "objective": result.objective,
        "status": result.status,
        "explanation": data,
        "strategy": explanation.strategy.to_dict(),
    }


def render_explanation_json(explanation: Explanation, result: Result) -> str:
    """:func:`explanation_document`, indented, newline-ended."""
    return dumps(explanation_document(explanation, result))


def frontier_document(frontier: Frontier, plot: str | None = None) -> dict[str, Any]:
    """The JSON frontier as a dict (schema: :func:`advisor.report.render_frontier`)."""
    inst = frontier.instance
    return {
        "schema_version": SCHEMA_VERSION,
        "report": "frontier",
        "currency": inst.currency,
        "unit": inst.unit,
        "money": inst.money,
        "path": inst.path,
        "axis_label": frontier.axis_label,
        **frontier.to_dict(),
        "plot": plot,
    }


def render_frontier_json(frontier: Frontier, plot: str | None = None) -> str:
    """:func:`frontier_document`, indented, newline-ended."""
    return dumps(frontier_document(frontier, plot))
