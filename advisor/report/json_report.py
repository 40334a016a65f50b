"""The JSON reports: a ranked result, an explanation and a frontier as strict JSON.

Each document is a plain dict first (:func:`json_document`, :func:`explanation_document`,
:func:`frontier_document`, for a caller that wants the data), then dumped indented with
a final newline. Money keeps full precision here (the text formats round it); any NaN or
infinity becomes null, so the output is strict JSON. The schema of a ranked result
follows; those of an explanation and a frontier are in the docstrings of
:func:`advisor.report.render_explanation` and :func:`advisor.report.render_frontier`.

JSON schema (``render(result, "json")``, version 1)
----------------------------------------------------

One object. Keys are stable: later versions only add keys, and raise
``schema_version`` if they ever change one. Money is in ``currency`` ``unit``;
tariffs, shares and gaps are fractions (0.19 is 19%); no value is NaN or infinite.

- ``schema_version`` (int): 1.
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
- ``scenarios`` (list): ``name``, ``probability``, ``description``, ``optimum``
  (the scenario's own best value under the regret objective, else null).
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
  - ``protected_value``: expected export value protected (acceptance- and
    probability-weighted); ``offer_cost``: domestic cost of the offers;
    ``counterpart_value``: value of the offers to the counterpart;
    ``counterpart_cost``: the counterpart's cost of the requests;
    ``reciprocity_balance``: ``counterpart_value - rho * counterpart_cost`` (>= 0);
  - ``scenario_values`` (object: scenario name -> value, protected value minus the
    weighted offer cost), ``expected_value``, ``worst_case_value``, ``regret``
    (largest shortfall from a scenario's own optimum; null unless the objective
    is ``regret``);
  - ``market_shares`` (object: market -> share of home's exports after the deal,
    expected); ``markets`` (list): ``market``, ``exports`` (expected, money),
    ``share``, ``max_share`` (highest share over the scenarios);
  - ``requests`` (list): ``request``, ``sector``, ``sector_name``, ``tier``,
    ``tariff`` (granted), ``acceptance`` (probability the counterpart grants it),
    ``protected_value`` (probability-weighted, before acceptance),
    ``counterpart_cost``;
  - ``offers`` (list): ``offer``, ``name``, ``category``, ``counterpart_value``,
    ``domestic_cost``;
  - ``conditions_triggered`` (list of condition ids: see ``conditions``);
  - ``binding_constraints`` (list of str: rules that block a single move which would
    raise the objective, e.g. ``"reciprocity"``, ``"domestic budget"``,
    ``"condition c1"``, ``"market share cap USA [base]"``).
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from advisor.report.explanation import rule_limits
from advisor.results import Result

if TYPE_CHECKING:
    from advisor.analysis.diagnose import Diagnosis
    from advisor.analysis.explain import Explanation
    from advisor.analysis.frontier import Frontier

SCHEMA_VERSION = 1


def _finite(value: Any) -> Any:
    """Replace NaN and infinities by None, recursively, so the JSON is strict."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def dumps(doc: dict[str, Any]) -> str:
    """``doc`` as strict JSON, indented by 2, non-ASCII kept, newline-ended."""
    return json.dumps(_finite(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def json_document(result: Result, diagnosis: Diagnosis | None = None) -> dict[str, Any]:
    """The JSON report as a dict (the schema is in this module's docstring)."""
    data = result.to_dict(timing=True)
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    doc.update(data)
    doc["money"] = result.instance.money
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
    return _finite(doc)


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
