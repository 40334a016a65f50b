"""Reports of a ranked strategy list: a terminal table, JSON, CSV and a Markdown brief.

Every format is a pure function of a :class:`~advisor.results.Result` returning a
string, so a notebook gets exactly what the command line prints::

    from advisor.report import render
    print(render(result, "table"))        # or "json", "csv", "markdown"

The same four formats exist for an explanation (:func:`render_explanation`, of
:func:`advisor.explain`: what each decision is worth, what each rule costs; its
Markdown is a briefing, "Why strategy 1") and for a trade-off frontier
(:func:`render_frontier`, of :func:`advisor.frontier`)::

    print(render_explanation(advisor.explain(result, rank=1), result, "markdown"))
    print(render_frontier(advisor.frontier(instance, vary="budget"), "table"))

Money is printed in the instance's unit (``instance.money``, e.g. ``USD million``)
with thousands separators and one decimal; tariffs and shares as percentages.
The table format keeps within 100 columns; the explanation and frontier briefings
wrap their Markdown prose at 100 columns too (a Markdown table row is one line).

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

CSV (``render(result, "csv")``) is :meth:`Result.to_frame`: one row per strategy,
indexed by ``rank``, full precision.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from advisor.checker import rule_violations
from advisor.instance import Instance
from advisor.results import Result, Strategy, tolerance

if TYPE_CHECKING:
    from advisor.analysis.diagnose import Diagnosis
    from advisor.analysis.explain import DecisionValue, Explanation, RulePrice
    from advisor.analysis.frontier import Frontier, FrontierPoint

SCHEMA_VERSION = 1
WIDTH = 100
FORMATS = ("table", "json", "csv", "markdown")

OBJECTIVE_WORDS = {
    "expected": "expected value over the scenarios",
    "worst_case": "worst-case value over the scenarios",
    "regret": "minus the largest regret (shortfall from a scenario's own optimum)",
}
STATUS_WORDS = {
    "optimal": "each listed strategy is proven the best of those left",
    "exhausted": "fewer feasible strategies than asked for: every one is listed",
    "gap": "solved to a relative MIP gap above 0: a strategy may be up to that gap "
    "from the best of those left",
    "time_limit": "stopped by the time limit: what was found is listed, and the last "
    "strategy may not be proven optimal",
    "infeasible": "no strategy satisfies the rules",
}
INFEASIBLE_HINT = (
    "Look at the rules that restrict every package: reciprocity (reciprocity_ratio), "
    "the domestic budget (domestic_budget), the treaty conditions (conditions.csv, "
    "especially at_least and requires), and the market-share caps and floors "
    "(instance.toml)."
)
DIAGNOSE_HINT = (
    "advisor.diagnose(instance) names the conflicting rules and the smallest fix of each "
    "(the command line includes its diagnosis)."
)
VSS_WORDS = "what planning over all scenarios gains over planning for the average future"
EVPI_WORDS = "what knowing in advance which scenario happens would be worth"


# ------------------------------------------------------------------------ numbers


def _number(value: float | None, digits: int, spec: str) -> str:
    """``value`` in format ``spec``; None or not finite -> ``"-"``; a value that rounds
    to 0 at ``digits`` decimals is printed as 0 (never ``"-0.0"``)."""
    if value is None or not math.isfinite(value):
        return "-"
    if round(value, digits) == 0:
        value = 0.0
    return format(value, spec)


def money(value: float | None) -> str:
    """``1234.56`` -> ``"1,234.6"``; None -> ``"-"``; never ``"-0.0"``."""
    return _number(value, 1, ",.1f")


def signed_money(value: float) -> str:
    text = money(value)
    return text if text.startswith("-") or text == "0.0" else "+" + text


def percent(value: float | None) -> str:
    """``0.1905`` -> ``"19.1%"``."""
    return _number(value, 3, ".1%")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 3)] + "..."


def _wrap(text: str, indent: str = "", hang: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "  " if hang is None else hang,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def text_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    align: str,
    indent: str = "",
    shrink: int | None = None,
) -> list[str]:
    """A plain-text table; ``align`` has one ``l`` or ``r`` per column.

    Column ``shrink`` (a text column) is clipped with ``...`` so the table keeps
    within :data:`WIDTH` columns.
    """
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    total = len(indent) + sum(widths) + 2 * (len(widths) - 1)
    if shrink is not None and total > WIDTH:
        widths[shrink] = max(len(headers[shrink]), 8, widths[shrink] - (total - WIDTH))

    def line(cells: Sequence[str]) -> str:
        out = []
        for cell, w, a in zip(cells, widths, align, strict=True):
            cell = _clip(cell, w)
            out.append(cell.rjust(w) if a == "r" else cell.ljust(w))
        return (indent + "  ".join(out)).rstrip()

    rule = indent + "  ".join("-" * w for w in widths)
    return [line(headers), rule, *(line(r) for r in rows)]


# ------------------------------------------------------------------------ shared


def _condition_text(result: Result) -> dict[str, str]:
    return {c.condition: c.description for c in result.instance.conditions}


def rule_text(result: Result, rule: str, described: Sequence[str] = ()) -> str:
    """A binding rule in words: the limit it sets, or the condition's description.

    Conditions in ``described`` (already shown with their description) are only
    referred to.
    """
    inst = result.instance
    if rule.startswith("condition "):
        cid = rule.removeprefix("condition ")
        if cid in described:
            return f"{rule} (above)"
        text = _condition_text(result).get(cid)
        return f"{rule}: {text}" if text else rule
    if rule == "reciprocity":
        return (
            f"reciprocity: value to {inst.counterpart} >= {inst.reciprocity_ratio:g} x its "
            "cost of the requests"
        )
    if rule == "domestic budget" and inst.domestic_budget is not None:
        return f"domestic budget: offer cost <= {money(inst.domestic_budget)} {inst.money}"
    match = re.fullmatch(r"market share (cap|floor) (\S+) \[(.+)\]", rule)
    if match:
        kind, market, scenario = match.groups()
        limits = inst.market_share_caps if kind == "cap" else inst.market_share_floors
        if market in limits:
            bound = "at most" if kind == "cap" else "at least"
            where = f" in scenario {scenario}" if len(inst.scenarios) > 1 else ""
            return (
                f"{rule}: {market} takes {bound} {percent(limits[market])} of "
                f"{inst.home}'s exports{where}"
            )
    return rule


def differences(first: Strategy, other: Strategy) -> tuple[list[str], list[str]]:
    """Decisions ``other`` adds to and drops from ``first`` (file order)."""
    a, b = set(first.decisions), set(other.decisions)
    return [d for d in other.decisions if d not in a], [d for d in first.decisions if d not in b]


def _difference_text(first: Strategy, other: Strategy) -> str:
    added, dropped = differences(first, other)
    parts = []
    if added:
        parts.append("adds " + ", ".join(added))
    if dropped:
        parts.append("drops " + ", ".join(dropped))
    return "; ".join(parts) or "same decisions"


def _empty_package_violations(result: Result) -> list[str]:
    """Rules that even the empty package (ask nothing, offer nothing) breaks."""
    try:
        return rule_violations(result.instance, frozenset())
    except Exception:  # a hint only: never let it hide the report
        return []


def _listing(items: Sequence[str]) -> str:
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _status_line(result: Result) -> str:
    words = STATUS_WORDS.get(result.status, "")
    if result.status == "gap":
        words = (
            f"solved to a relative MIP gap of {percent(result.mip_gap)}: " + words.split(": ", 1)[1]
        )
    return f"{result.status} ({words})" if words else result.status


def _solver_line(result: Result) -> str:
    s = result.solver
    return (
        f"Solver: {s.name} {s.version}; status {result.status}; {s.time_s:.2f} s; "
        f"gap {percent(s.gap)}; {s.solves} solve{'s' if s.solves != 1 else ''}"
        + ("; offer-package search" if s.search == "packages" else "")
    )


def _several_scenarios(result: Result) -> bool:
    return len(result.instance.scenarios) > 1


def _measure_lines(result: Result) -> list[str]:
    m = result.scenario_measures
    if m is None:
        return []
    unit = result.instance.money
    lines = []
    if m.value_of_stochastic_solution is None:
        lines.append(f"VSS (value of the stochastic solution): {m.note or 'undefined'}.")
    else:
        lines.append(
            f"VSS (value of the stochastic solution) = {money(m.value_of_stochastic_solution)}"
            f" {unit}: {VSS_WORDS} (RP {money(m.recourse_value)} - EEV "
            f"{money(m.mean_value_expected)})."
        )
    lines.append(
        f"EVPI (expected value of perfect information) = "
        f"{money(m.expected_value_of_perfect_information)} {unit}: {EVPI_WORDS} "
        f"(WS {money(m.wait_and_see_value)} - RP {money(m.recourse_value)})."
    )
    return lines


# ------------------------------------------------------------------------ table


def _objective_words(result: Result) -> str:
    if len(result.instance.scenarios) == 1 and result.objective in ("expected", "worst_case"):
        return "protected export value minus the weighted cost of the offers"
    return OBJECTIVE_WORDS.get(result.objective, result.objective)


def render_table(result: Result, diagnosis: Diagnosis | None = None) -> str:
    """A ranked report a person reads in a terminal, within 100 columns.

    For an infeasible result, ``diagnosis`` (:func:`advisor.diagnose`) names the
    conflicting rules and their fixes; without it the report gives a general hint.
    """
    inst = result.instance
    unit = inst.money
    n = len(result.strategies)
    out = [inst.name, "=" * min(WIDTH, len(inst.name))]
    out += _wrap(
        f"{inst.home} negotiating with {inst.counterpart}. Money in {unit}. "
        f"Objective: {_objective_words(result)}."
    )
    if _several_scenarios(result):
        out.append("Scenarios:")
        for w in inst.scenarios:
            text = f"{w.name} ({percent(w.probability)})"
            if w.description:
                text += f": {w.description}"
            if result.scenario_optimum is not None:
                text += f" [own optimum {money(result.scenario_optimum[w.name])}]"
            out += _wrap(text, "  ", "    ")
    out += _wrap(f"Status: {_status_line(result)}.")
    out.append("")

    if not n:
        out += _no_strategy_lines(result, diagnosis)
    else:
        out += _ranking_table(result)
        if _several_scenarios(result):
            out.append("")
            out += _scenario_table(result)
        measures = _measure_lines(result)
        if measures:
            out.append("")
            for line in measures:
                out += _wrap(line)
        for s in result.strategies:
            out.append("")
            out += _strategy_block(result, s)

    if result.warnings:
        out += ["", "Warnings:"]
        for w in result.warnings:
            out += _wrap(w, "  - ", "    ")
    out += ["", *_wrap(_solver_line(result))]
    return "\n".join(out) + "\n"


def _diagnosis_lines(diagnosis: Diagnosis, indent: str = "  ") -> list[str]:
    """The conflicting rules, each with its location and its smallest fix."""
    if diagnosis.feasible:
        return _wrap(
            "The diagnosis finds the rules satisfiable: the solver stopped for another "
            "reason (numerical trouble or a limit); try again with --gap or --time-limit."
        )
    n = len(diagnosis.conflicts)
    lines = _wrap(
        f"These {n} rule{'s' if n != 1 else ''} conflict: together they leave no strategy, "
        "and without any one of them the others can be met. Each fix is the smallest change "
        "of that rule alone, every other rule kept:"
    )
    for c in diagnosis.conflicts:
        lines += _wrap(f"- {c.location}", indent, indent + "  ")
        lines += _wrap(c.rule, indent + "    ", indent + "      ")
        lines += _wrap(f"fix: {c.fix}", indent + "    ", indent + "      ")
    return lines


def _no_strategy_lines(result: Result, diagnosis: Diagnosis | None = None) -> list[str]:
    if result.status == "infeasible" and diagnosis is not None:
        return _wrap("No strategy satisfies the rules of this instance.") + _diagnosis_lines(
            diagnosis
        )
    if result.status == "infeasible":
        lines = _wrap("No strategy satisfies the rules of this instance.")
        broken = _empty_package_violations(result)
        if broken:
            lines += _wrap(
                "Even asking for nothing and offering nothing breaks: " + ", ".join(broken) + "."
            )
        return lines + _wrap(INFEASIBLE_HINT + " " + DIAGNOSE_HINT)
    return _wrap(
        "No strategy was found before the solver stopped. Allow more time "
        "(--time-limit) or a larger MIP gap (--gap)."
    )


def _ranking_table(result: Result) -> list[str]:
    inst = result.instance
    cp = inst.counterpart
    headers = [
        "rank",
        "objective",
        "protected",
        "offer cost",
        "balance",
        f"{cp} share",
        "largest mkt",
        "vs best",
        "req+off",
    ]
    rows = []
    for s in result.strategies:
        largest = s.largest_market
        share = {m.market: m.share for m in s.markets}.get(cp)
        rows.append(
            [
                f"{s.rank}{'' if s.proven_optimal else ' *'}",
                money(s.objective),
                money(s.protected_value),
                money(s.offer_cost),
                signed_money(s.reciprocity_balance),
                percent(share),
                f"{largest.market} {percent(largest.share)}",
                money(-s.gap_to_best),
                f"{len(s.requests)}+{len(s.offers)}",
            ]
        )
    lines = [f"Ranked strategies ({inst.money})"]
    lines += text_table(headers, rows, "rrrrrrlrr", "  ")
    lines += _wrap(
        "protected: expected export value protected; offer cost: domestic cost of the "
        f"offers; balance: value to {cp} minus the reciprocity ratio times its cost of the "
        f"requests (>= 0); {cp} share, largest mkt: shares of {inst.home}'s exports after "
        "the deal (expected); vs best: objective minus rank 1's; req+off: requests + offers.",
        "  ",
        "  ",
    )
    if any(not s.proven_optimal for s in result.strategies):
        lines += _wrap("* not proven optimal (see its MIP gap below).", "  ", "  ")
    return lines


def _scenario_table(result: Result) -> list[str]:
    """Each strategy's value in every scenario; falls back to lines when too wide."""
    names = [w.name for w in result.instance.scenarios]
    with_regret = any(s.regret is not None for s in result.strategies)
    headers = ["rank", *names, "expected", "worst case"] + (["regret"] if with_regret else [])
    rows = []
    for s in result.strategies:
        row = [str(s.rank), *(money(s.scenario_values[w]) for w in names)]
        row += [money(s.expected_value), money(s.worst_case_value)]
        if with_regret:
            row.append(money(s.regret))
        rows.append(row)
    title = f"Value in each scenario ({result.instance.money}; protected value minus offer cost)"
    table = text_table(headers, rows, "r" * len(headers), "  ")
    if max(len(line) for line in table) <= WIDTH:
        return [title, *table]
    lines = [title]
    for s, row in zip(result.strategies, rows, strict=True):
        cells = [f"{h} {v}" for h, v in zip(headers[1:], row[1:], strict=True)]
        lines += _wrap(f"{s.rank}: " + "; ".join(cells), "  ", "     ")
    return lines


def _strategy_block(result: Result, s: Strategy) -> list[str]:
    inst = result.instance
    unit = inst.money
    head = f"Strategy {s.rank}: objective {money(s.objective)}"
    head += " (best)" if s.rank == 1 else f" ({money(s.gap_to_best)} below the best)"
    if not s.proven_optimal:
        head += f", not proven optimal (MIP gap {percent(s.mip_gap)})"
    lines = [head, "-" * min(WIDTH, len(head))]
    if s.rank > 1:
        first = result.strategies[0]
        lines += _wrap(f"Differs from strategy 1: {_difference_text(first, s)}.", "  ", "    ")

    if s.requests:
        uncertain = any(r.acceptance < 1 for r in inst.requests)
        headers = ["id", "sector", "tier", "tariff", "protected"]
        rows = [
            [r.sector, r.sector_name, r.tier, percent(r.tariff), money(r.protected_value)]
            + ([percent(r.acceptance)] if uncertain else [])
            for r in s.requests
        ]
        if uncertain:
            headers.append("granted")
            title = f"value protected if granted, in {unit}; probability it is granted"
        else:
            title = f"value protected, in {unit}"
        lines.append(f"  Requests to {inst.counterpart} ({title}):")
        lines += text_table(headers, rows, "lllrr" + "r" * uncertain, "    ", shrink=1)
    else:
        lines.append(f"  Requests to {inst.counterpart}: none")
    if s.offers:
        rows = [
            [o.offer, o.name, money(o.counterpart_value), money(o.domestic_cost)] for o in s.offers
        ]
        lines.append(f"  Offers in return ({unit}):")
        lines += text_table(
            ["id", "offer", f"value to {inst.counterpart}", "domestic cost"],
            rows,
            "llrr",
            "    ",
            shrink=1,
        )
    else:
        lines.append("  Offers in return: none")
    lines += _wrap(
        f"Counterpart: receives {money(s.counterpart_value)}, concedes "
        f"{money(s.counterpart_cost)}; balance {signed_money(s.reciprocity_balance)} {unit}.",
        "  ",
        "    ",
    )
    lines += _wrap(
        "Market shares after the deal: "
        + ", ".join(f"{m.market} {percent(m.share)}" for m in s.markets)
        + ".",
        "  ",
        "    ",
    )
    descriptions = _condition_text(result)
    if s.conditions_triggered:
        lines.append("  Conditions triggered:")
        for cid in s.conditions_triggered:
            text = f"{cid}: {descriptions[cid]}" if descriptions.get(cid) else cid
            lines += _wrap(text, "    - ", "      ")
    if s.binding_constraints:
        lines.append("  Binding rules (each blocks a move that would raise the objective):")
        shown = [f"condition {c}" for c in s.conditions_triggered]
        for rule in s.binding_constraints:
            if rule not in shown:
                lines += _wrap(rule_text(result, rule), "    - ", "      ")
        above = [r.removeprefix("condition ") for r in s.binding_constraints if r in shown]
        if above:
            text = f"condition{'s' if len(above) > 1 else ''} {', '.join(above)} (see above)"
            lines += _wrap(text, "    - ", "      ")
    return lines


# ------------------------------------------------------------------------ JSON


def _finite(value: Any) -> Any:
    """Replace NaN and infinities by None, recursively, so the JSON is strict."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


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
    return _dumps(json_document(result, diagnosis))


def _dumps(doc: dict[str, Any]) -> str:
    return json.dumps(_finite(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ------------------------------------------------------------------------ CSV

CSV_COLUMNS = (
    "rank",
    "objective",
    "expected_value",
    "worst_case_value",
    "regret",
    "protected_value",
    "offer_cost",
    "counterpart_value",
    "counterpart_cost",
    "reciprocity_balance",
    "largest_market",
    "largest_market_share",
    "gap_to_best",
    "requests",
    "offers",
    "conditions_triggered",
    "binding_constraints",
)


def render_csv(result: Result, diagnosis: Diagnosis | None = None) -> str:
    """One row per strategy (:meth:`Result.to_frame`), indexed by rank; header only if none.

    A diagnosis has no place in this table (it is in the other formats).
    """
    if not result.strategies:
        return ",".join(CSV_COLUMNS) + "\n"
    return result.to_frame().to_csv(lineterminator="\n")


# ------------------------------------------------------------------------ Markdown


def _md(text: str) -> str:
    """Escape what would break a Markdown table cell or start markup."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> list[str]:
    marks = {"l": ":--", "r": "--:"}
    return [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(marks[a] for a in align) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _summary(result: Result, s: Strategy, lead: str = "The recommended strategy") -> str:
    inst = result.instance
    unit = inst.money
    by_tier: dict[str, list[str]] = {}
    for r in s.requests:
        by_tier.setdefault(r.tier, []).append(r.sector_name)
    asks = [f"{tier} on {_listing(names)}" for tier, names in by_tier.items()]
    gives = [o.name for o in s.offers]
    text = f"{lead} asks {inst.counterpart} for "
    text += "; ".join(asks) if asks else "nothing"
    text += f"; and offers {_listing(gives)} in return. " if gives else "; and offers nothing. "
    text += (
        f"It protects an expected {money(s.protected_value)} {unit} of exports at a domestic "
        f"cost of {money(s.offer_cost)} {unit}, an objective of {money(s.objective)} "
        f"({_objective_words(result)}). "
    )
    text += (
        f"{inst.counterpart} receives {money(s.counterpart_value)} {unit} of value against "
        f"{money(s.counterpart_cost)} {unit} it concedes (balance "
        f"{signed_money(s.reciprocity_balance)}). "
    )
    largest = s.largest_market
    text += (
        f"After the deal, {largest.market} is the largest market for {inst.home}'s exports, "
        f"with a share of {percent(largest.share)}."
    )
    if len(inst.scenarios) > 1:
        text += (
            f" Its value ranges from {money(s.worst_case_value)} in the worst scenario to "
            f"{money(max(s.scenario_values.values()))} in the best."
        )
    if len(result.strategies) > 1 and s.rank == 1:
        runner = result.strategies[1]
        text += f" The next best strategy scores {money(runner.gap_to_best)} less."
    return text


def render_markdown(result: Result, diagnosis: Diagnosis | None = None) -> str:
    """A briefing note an analyst can paste into a memo."""
    inst = result.instance
    unit = inst.money
    descriptions = _condition_text(result)
    out = [f"# Negotiation brief: {inst.name}", ""]
    out.append(
        f"*{inst.home} negotiating with {inst.counterpart}. Money in {unit}. Objective: "
        f"{_objective_words(result)}. Status: "
        f"{_status_line(result)}.*"
    )
    out.append("")
    if inst.description:
        out += [inst.description, ""]

    if not result.strategies:
        out += ["## No strategy", ""]
        if result.status == "infeasible" and diagnosis is not None:
            out += _md_diagnosis(diagnosis)
        else:
            out += [" ".join(_no_strategy_lines(result)), ""]
    else:
        out += ["## Recommendation", "", _summary(result, result.strategies[0]), ""]
        out += ["## Ranked strategies", ""]
        rows = [
            [
                str(s.rank) + ("" if s.proven_optimal else " (not proven)"),
                money(s.objective),
                money(s.protected_value),
                money(s.offer_cost),
                signed_money(s.reciprocity_balance),
                f"{s.largest_market.market} {percent(s.largest_market.share)}",
                "recommended" if s.rank == 1 else _md(_difference_text(result.strategies[0], s)),
            ]
            for s in result.strategies
        ]
        out += _md_table(
            [
                "Rank",
                "Objective",
                "Protected value",
                "Offer cost",
                "Counterpart balance",
                "Largest market",
                "Compared with rank 1",
            ],
            rows,
            "rrrrrll",
        )
        out += ["", f"Money in {unit}.", ""]
        for s in result.strategies:
            out += _md_strategy(result, s, descriptions)
        if _several_scenarios(result):
            out += ["## Scenarios", ""]
            for w in inst.scenarios:
                text = f"- **{_md(w.name)}** ({percent(w.probability)})"
                out.append(text + (f": {w.description}" if w.description else ""))
            out.append("")
            out += [f"- {line}" for line in _measure_lines(result)]
            if result.scenario_measures is not None:
                out.append("")

    out += ["## Caveats", ""]
    caveats = list(result.warnings)
    caveats.append(
        "Values come from a constant-elasticity model of trade (WITS-SMART, GSIM) and the "
        "figures in the instance; estimates there carry their own uncertainty."
    )
    if any(r.acceptance < 1 for r in inst.requests):
        caveats.append(
            "Protected values are weighted by the analyst's probability that the "
            "counterpart grants each request."
        )
    if result.status != "optimal":
        caveats.append(f"Solver status: {_status_line(result)}.")
    out += [f"- {c}" for c in caveats]
    out += ["", f"*{_solver_line(result)}.*", ""]
    return "\n".join(out)


def _md_diagnosis(diagnosis: Diagnosis) -> list[str]:
    if diagnosis.feasible:
        return [" ".join(_diagnosis_lines(diagnosis)), ""]
    n = len(diagnosis.conflicts)
    out = [
        f"No strategy satisfies the rules of this instance. These {n} rule"
        f"{'s' if n != 1 else ''} conflict: together they leave no strategy, and without any "
        "one of them the others can be met. Each fix is the smallest change of that rule "
        "alone, every other rule kept.",
        "",
    ]
    for c in diagnosis.conflicts:
        out.append(f"- **`{c.location}`**: {_md(c.rule)}. Fix: {_md(c.fix)}.")
    return [*out, ""]


def _md_strategy(result: Result, s: Strategy, descriptions: dict[str, str]) -> list[str]:
    inst = result.instance
    out = [f"### Strategy {s.rank}: objective {money(s.objective)}", ""]
    out.append(f"Requests to {inst.counterpart}:")
    out.append("")
    if s.requests:
        out += [
            f"- {_md(r.sector_name)} ({_md(r.sector)}): {_md(r.tier)}, tariff "
            f"{percent(r.tariff)}, protects {money(r.protected_value)}"
            for r in s.requests
        ]
    else:
        out.append("- none")
    out += ["", "Offers:", ""]
    if s.offers:
        out += [
            f"- {_md(o.name)} ({_md(o.offer)}): worth {money(o.counterpart_value)} to "
            f"{inst.counterpart}, costs {money(o.domestic_cost)} at home"
            for o in s.offers
        ]
    else:
        out.append("- none")
    out.append("")
    if len(inst.scenarios) > 1:
        values = "; ".join(f"{_md(w)} {money(v)}" for w, v in s.scenario_values.items())
        line = (
            f"Value by scenario: {values}. Expected {money(s.expected_value)}, worst case "
            f"{money(s.worst_case_value)}"
        )
        if s.regret is not None:
            line += f", regret {money(s.regret)}"
        out += [line + ".", ""]
    if s.conditions_triggered:
        out += ["Conditions triggered:", ""]
        out += [
            f"- {_md(c)}" + (f": {descriptions[c]}" if descriptions.get(c) else "")
            for c in s.conditions_triggered
        ]
        out.append("")
    if s.binding_constraints:
        out.append(
            "Binding rules: "
            + "; ".join(rule_text(result, b, s.conditions_triggered) for b in s.binding_constraints)
            + "."
        )
        out.append("")
    return out


# ------------------------------------------------------------------------ explanations

BRIEF_DECISIONS = 6  # decisions of the strategy told in words in the briefing
BRIEF_LEFT_OUT = 4  # decisions it leaves out told in words
CURRENCY_SIGNS = {"USD": "US$"}


def _amount(inst: Instance, value: float) -> str:
    """``US$ 441.4 million``: a money amount in a sentence."""
    sign = CURRENCY_SIGNS.get(inst.currency, inst.currency)
    return f"{sign} {money(value)} {inst.unit}".strip()


def _share_text(value: float | None) -> str:
    """A share limit: ``16.5%``, ``18.15%`` (two decimals at most, no trailing zeros)."""
    if value is None:
        return "-"
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def _ratio_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _code(items: Sequence[str]) -> str:
    return _listing([f"`{i}`" for i in items])


def _decision_name(inst: Instance, decision: str) -> str:
    """``Integrated circuits: permanent 0%`` for a request, the offer's name for an offer."""
    if decision in inst.request_by_id:
        r = inst.request_by_id[decision]
        return f"{inst.sector_by_id[r.sector].name}: {r.tier}"
    return inst.offer_by_id[decision].name


def _is_member(inst: Instance, decision: str, member: str) -> bool:
    """Whether a condition member (a decision, or a sector: any of its tiers) names it."""
    request = inst.request_by_id.get(decision)
    return decision == member or (request is not None and request.sector == member)


def _stands_for(inst: Instance, member: str, ids: Iterable[str]) -> list[str]:
    """The decisions among ``ids`` a condition member stands for."""
    return [d for d in ids if _is_member(inst, d, member)]


def _unlocks(inst: Instance, decision: str, dropped: Sequence[str]) -> list[tuple[str, str]]:
    """(decision, condition) pairs: what ``decision`` unlocks among ``dropped``, i.e. the
    subjects of the ``requires`` / ``requires_one_of`` conditions that need it."""
    out = []
    for c in inst.conditions:
        if c.kind in ("requires", "requires_one_of") and any(
            _is_member(inst, decision, o) for o in c.objects
        ):
            out += [(d, c.condition) for d in _stands_for(inst, c.subject, dropped)]
    return out


def _obstacles(inst: Instance, decision: str, chosen: Sequence[str]) -> list[str]:
    """Why adding ``decision`` to ``chosen`` breaks a condition, in words (Markdown)."""
    out = []
    for c in inst.conditions:
        subject = _is_member(inst, decision, c.subject)
        where = f"(condition `{c.condition}`)"
        if c.kind == "requires" and subject:
            missing = [o for o in c.objects if not _stands_for(inst, o, chosen)]
            if missing:
                out.append(f"it needs {_code(missing)} {where}")
        elif c.kind == "requires_one_of" and subject:
            if not any(_stands_for(inst, o, chosen) for o in c.objects):
                out.append(f"it needs one of {_code(c.objects)} {where}")
        elif c.kind == "excludes":
            hit: list[str] = []
            if subject:
                hit = [d for o in c.objects for d in _stands_for(inst, o, chosen)]
            elif any(_is_member(inst, decision, o) for o in c.objects):
                hit = _stands_for(inst, c.subject, chosen)
            if hit:
                out.append(f"it rules out {_code(hit)} {where}")
        elif c.kind == "at_most" and any(_is_member(inst, decision, m) for m in c.members):
            used = sum(len(_stands_for(inst, m, chosen)) for m in c.members)
            if c.count is not None and used >= c.count:
                out.append(f"the strategy already has {c.count} of {_code(c.members)} {where}")
    return out


def _holds(inst: Instance, decision: str, s: Strategy) -> list[str]:
    """What a chosen decision holds up in strategy ``s``: the balance of the deal, an
    ``at_least`` condition met exactly (Markdown)."""
    out = []
    offer = inst.offer_by_id.get(decision)
    if offer is not None and offer.counterpart_value > s.reciprocity_balance + tolerance(
        s.counterpart_value
    ):
        out.append(
            f"without its value to {inst.counterpart} the deal would not balance "
            f"(reciprocity balance {signed_money(s.reciprocity_balance)})"
        )
    for c in inst.conditions:
        if (
            c.kind == "at_least"
            and any(_is_member(inst, decision, m) for m in c.members)
            and sum(len(_stands_for(inst, m, s.decisions)) for m in c.members) == c.count
        ):
            out.append(
                f"it meets condition `{c.condition}` (at least {c.count} of {_code(c.members)})"
            )
    return out


def _decision_facts(inst: Instance, decision: str, s: Strategy) -> str:
    """What a decision weighs: an offer's value, cost and market effects; a request's
    protected value and counterpart cost (Markdown)."""
    cp = inst.counterpart
    request = next((r for r in s.requests if r.request == decision), None)
    if request is not None:
        value = request.acceptance * request.protected_value
        return (
            f"It protects an expected {money(value)} of exports and costs {cp} "
            f"{money(request.counterpart_cost)}."
        )
    if decision in inst.offer_by_id:
        o = inst.offer_by_id[decision]
        text = (
            f"It is worth {money(o.counterpart_value)} to {cp} and costs "
            f"{money(o.domestic_cost)} at home"
        )
        effects = [e for e in inst.offer_effects if e.offer == decision]
        if effects:
            text += "; it moves " + _listing(
                [f"exports to {e.market} by {signed_money(e.export_change)}" for e in effects]
            )
        return text + "."
    return ""


def _moves_text(d: DecisionValue) -> str:
    """``drops `A` and `B` and adds `C``` (Markdown)."""
    parts = []
    if d.then_dropped:
        parts.append(f"drops {_code(d.then_dropped)}")
    if d.then_added:
        parts.append(f"adds {_code(d.then_added)}")
    return " and ".join(parts) if parts else "changes nothing else"


def _decision_sentence(inst: Instance, d: DecisionValue, s: Strategy) -> str:
    """One decision's value as a briefing bullet (Markdown)."""
    name = f"`{d.decision}` ({_md(_decision_name(inst, d.decision))})"
    verb = "Dropping" if d.chosen else "Adding"
    if d.change is None:
        head = (
            f"**{name} is essential**: no strategy satisfies the rules without it."
            if d.chosen
            else f"**{name} cannot be added**: no strategy with it satisfies the rules."
        )
        tail = ""
    else:
        if abs(d.change) <= tolerance(d.objective_if_flipped or 0.0):
            head = f"**{verb} {name} would cost nothing**: an equally good package exists."
        elif d.change < 0:
            head = f"**{verb} {name} would cost {_amount(inst, -d.change)}.**"
        else:
            head = f"**{verb} {name} would gain {_amount(inst, d.change)}.**"
        tail = f" The best package {'without' if d.chosen else 'with'} it {_moves_text(d)}."
    reasons = []
    if d.chosen:
        why = []
        unlocked = _unlocks(inst, d.decision, d.then_dropped)
        if unlocked:
            why.append(
                "it is what unlocks " + _listing([f"`{u}` (condition `{c}`)" for u, c in unlocked])
            )
        why += _holds(inst, d.decision, s)
        if why:
            text = "; ".join(why)
            reasons.append(text[0].upper() + text[1:] + ".")
    else:
        obstacles = _obstacles(inst, d.decision, s.decisions)
        if obstacles:
            text = "; ".join(obstacles)
            reasons.append(text[0].upper() + text[1:] + ".")
    facts = _decision_facts(inst, d.decision, s)
    if facts:
        reasons.append(facts)
    return " ".join([head + tail, *reasons])


def _rule_limits(inst: Instance, r: RulePrice) -> tuple[str, Any, Any, Any, Callable[[Any], str]]:
    """(short name, limit, limit one step looser, limit 10% looser, formatter).

    The steps are those of :mod:`advisor.explain`: one money unit of budget, one
    percentage point of share, 0.1 of the reciprocity ratio.
    """
    key = r.location.split(": ", 1)[1]
    if r.kind == "reciprocity":
        rho = inst.reciprocity_ratio
        return "reciprocity", rho, max(0.0, rho - 0.1), rho * 0.9, _ratio_text
    if r.kind == "budget" and inst.domestic_budget is not None:
        b = inst.domestic_budget
        return "domestic budget", b, b + 1.0, b * 1.1, money
    market = key.rsplit(".", 1)[-1]
    if r.kind == "cap" and market in inst.market_share_caps:
        c = inst.market_share_caps[market]
        return f"{market} cap", c, min(1.0, c + 0.01), min(1.0, c * 1.1), _share_text
    if r.kind == "floor" and market in inst.market_share_floors:
        f = inst.market_share_floors[market]
        return f"{market} floor", f, max(0.0, f - 0.01), f * 0.9, _share_text
    kinds = {c.condition: c.kind for c in inst.conditions}
    return f"{key} ({kinds.get(key, r.kind)})", None, None, None, str


def _costs(value: float | None, optimum: float) -> bool:
    return value is not None and value > tolerance(optimum)


def _rule_sentence(inst: Instance, r: RulePrice, optimum: float) -> str:
    """A rule's price as a briefing bullet (Markdown)."""
    _, limit, one, ten, fmt = _rule_limits(inst, r)
    cost = _amount(inst, r.removed or 0.0)

    def gain(value: float | None) -> str:
        return "-" if value is None else money(value)

    if r.kind in ("cap", "floor"):
        market = r.location.rsplit(".", 1)[-1]
        verb = "Relaxing" if r.kind == "cap" else "Lowering"
        head = f"**The {market} market-share {r.kind} of {fmt(limit)} costs {cost}.**"
        step = (
            f"{verb} it by one point (to {fmt(one)}) would gain {gain(r.relaxed_one_unit)}; "
            f"by 10% (to {fmt(ten)}), {gain(r.relaxed_10pct)}."
        )
    elif r.kind == "reciprocity":
        times = "as much as" if limit == 1 else f"{fmt(limit)} times what"
        head = (
            f"**Reciprocity ({inst.counterpart} must receive at least {times} it "
            f"concedes) costs {cost}.**"
        )
        if math.isclose(one, ten):
            step = f"Lowering the ratio to {fmt(one)} would gain {gain(r.relaxed_one_unit)}."
        else:
            step = (
                f"Lowering the ratio by 0.1 (to {fmt(one)}) would gain "
                f"{gain(r.relaxed_one_unit)}; by 10% (to {fmt(ten)}), {gain(r.relaxed_10pct)}."
            )
    elif r.kind == "budget":
        head = f"**The domestic budget of {fmt(limit)} costs {cost}.**"
        step = (
            f"One more {inst.unit} of budget would gain {gain(r.relaxed_one_unit)}; 10% more "
            f"(to {fmt(ten)}), {gain(r.relaxed_10pct)}."
        )
    else:
        key = r.location.split(": ", 1)[1]
        condition = next((c for c in inst.conditions if c.condition == key), None)
        text = condition.description if condition and condition.description else r.rule
        kind = condition.kind if condition else r.kind
        head = f"**Condition `{key}` ({kind}) costs {cost}**: {_md(text)}"
        step = ""
    if r.removed is not None:
        head += f" Without it the best objective would be {money(optimum + r.removed)}."
    return f"{head} {step}".strip()


def _free_rule_name(inst: Instance, r: RulePrice) -> str:
    _, limit, _, _, fmt = _rule_limits(inst, r)
    key = r.location.split(": ", 1)[1]
    if r.kind == "reciprocity":
        return f"reciprocity (ratio {fmt(limit)})"
    if r.kind == "budget":
        return f"the domestic budget of {fmt(limit)}"
    if r.kind in ("cap", "floor"):
        return f"the {key.rsplit('.', 1)[-1]} {r.kind} of {fmt(limit)}"
    return f"condition {_md(key)}"


def _md_paragraph(text: str, bullet: bool = False) -> list[str]:
    """Markdown prose wrapped at 100 columns (a bullet hangs by two spaces)."""
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent="- " if bullet else "",
        subsequent_indent="  " if bullet else "",
        break_on_hyphens=False,
        break_long_words=False,
    )


def _strategy_head(result: Result, s: Strategy) -> str:
    n = len(result.strategies)
    where = "the best" if s.rank == 1 else f"{money(s.gap_to_best)} below the best"
    return f"Strategy {s.rank} of {n} ({where}): objective {money(s.objective)}"


def _decision_row(inst: Instance, d: DecisionValue) -> list[str]:
    moves = [f"+{a}" for a in d.then_added] + [f"-{b}" for b in d.then_dropped]
    return [
        d.decision,
        "yes" if d.chosen else "no",
        money(d.objective_if_flipped) if d.change is not None else "none",
        signed_money(d.change) if d.change is not None else "-",
        " ".join(moves) if d.change is not None else "no feasible strategy",
    ]


def _rule_row(inst: Instance, r: RulePrice) -> list[str]:
    name, limit, one, ten, fmt = _rule_limits(inst, r)

    def step(to: Any, value: float | None) -> str:
        return "-" if to is None else f"{fmt(to)}: {'-' if value is None else signed_money(value)}"

    return [
        name,
        "-" if limit is None else fmt(limit),
        "-" if r.removed is None else signed_money(r.removed),
        step(one, r.relaxed_one_unit),
        step(ten, r.relaxed_10pct),
        "-" if r.lp_marginal_value is None else f"{r.lp_marginal_value:.3f}",
    ]


LP_WORDS = (
    "LP dual: indicative only, from the LP relaxation (every decision a fraction between 0 "
    "and 1); the model has no continuous variables, so with the decisions fixed at the "
    "strategy every dual is 0. Per {unit} of the rule's slack: of budget; of counterpart "
    "balance (value to {cp} minus the ratio times its cost); of a market's exports beyond "
    "its share limit. The re-solved prices are exact."
)


def render_explanation_table(explanation: Explanation, result: Result) -> str:
    """Decision values and rule prices for a terminal, within 100 columns."""
    inst = result.instance
    unit = inst.money
    s = explanation.strategy
    title = f"Why strategy {s.rank}: {inst.name}"
    out = [title, "=" * min(WIDTH, len(title))]
    out += _wrap(
        f"{inst.home} negotiating with {inst.counterpart}. Money in {unit}. Objective: "
        f"{_objective_words(result)}."
    )
    out += _wrap(
        f"{_strategy_head(result, s)}; protected {money(s.protected_value)}, offer cost "
        f"{money(s.offer_cost)}."
    )
    out += _wrap("Requests: " + (", ".join(r.request for r in s.requests) or "none") + ".", "  ")
    out += _wrap("Offers: " + (", ".join(o.offer for o in s.offers) or "none") + ".", "  ")
    out.append("")
    out += _wrap(
        f"What each decision is worth ({unit}): the best objective with that decision reversed "
        f"(in: dropped; out: added), everything else free to change; change: that objective "
        f"minus strategy {s.rank}'s; then: how the best package rearranges."
    )
    rows = [_decision_row(inst, d) for d in explanation.decisions]
    out += text_table(["decision", "in", "reversed", "change", "then"], rows, "llrrl", "  ", 4)
    out.append("")
    out += _wrap(
        f"What each rule costs ({unit}): the gain in the best objective "
        f"({money(explanation.optimum)}) with the rule removed, or relaxed by one step (one "
        f"{inst.unit} of budget, one point of share, 0.1 of the ratio) or by 10%, all other "
        "rules kept."
    )
    rows = [_rule_row(inst, r) for r in explanation.rules]
    out += text_table(
        ["rule", "limit", "removed", "one step", "10%", "LP dual"], rows, "lrrrrr", "  ", 0
    )
    out += _wrap(LP_WORDS.format(unit=unit, cp=inst.counterpart), "  ", "  ")
    return "\n".join(out) + "\n"


def render_explanation_markdown(explanation: Explanation, result: Result) -> str:
    """The briefing "Why strategy N": its decisions and rules in words, then the tables."""
    inst = result.instance
    unit = inst.money
    s = explanation.strategy
    out = [f"# Why strategy {s.rank}: {inst.name}", ""]
    out += _md_paragraph(
        f"*{inst.home} negotiating with {inst.counterpart}. Money in {unit}. Objective: "
        f"{_objective_words(result)}. {_strategy_head(result, s)}.*"
    )
    out += ["", "## The strategy", ""]
    lead = "The recommended strategy" if s.rank == 1 else f"Strategy {s.rank}"
    out += _md_paragraph(_summary(result, s, lead))
    out += ["", "## What its decisions are worth", ""]
    out += _md_paragraph(
        "Each figure is a re-solve: the best strategy with that one decision reversed, "
        f"everything else free to change, against this strategy's objective of "
        f"{money(s.objective)}."
    )
    out.append("")
    mine = [d for d in explanation.decisions if d.chosen]
    for d in mine[:BRIEF_DECISIONS]:
        out += _md_paragraph(_decision_sentence(inst, d, s), bullet=True)
    rest = mine[BRIEF_DECISIONS:]
    if rest:
        out += _md_paragraph(
            "The others, by value: "
            + "; ".join(
                f"`{d.decision}` {money(-d.change) if d.change is not None else 'essential'}"
                for d in rest
            )
            + " (what dropping each would cost).",
            bullet=True,
        )
    left_out = [d for d in explanation.decisions if not d.chosen]
    if left_out:
        out += ["", "## What it leaves out, and why", ""]
        out += _md_paragraph(
            "The additions that would cost most, and the cheapest one: each is the best "
            "strategy forced to include that decision."
        )
        out.append("")
        shown = left_out[:BRIEF_LEFT_OUT]
        nearest = min(
            (d for d in left_out if d.change is not None),
            key=lambda d: abs(d.change or 0.0),
            default=None,
        )
        if nearest is not None and nearest not in shown:
            shown.append(nearest)
        for d in shown:
            out += _md_paragraph(_decision_sentence(inst, d, s), bullet=True)
    out += ["", "## What each rule costs", ""]
    optimum = explanation.optimum
    out += _md_paragraph(
        f"Each price is what the best objective ({money(optimum)}) would gain with that one "
        "rule removed or relaxed, every other rule kept. Prices do not add up: rules interact."
    )
    out.append("")
    costly = sorted(
        (r for r in explanation.rules if _costs(r.removed, optimum)),
        key=lambda r: -(r.removed or 0.0),
    )
    for r in costly:
        out += _md_paragraph(_rule_sentence(inst, r, optimum), bullet=True)
    free = [r for r in explanation.rules if not _costs(r.removed, optimum)]
    if free:
        names = [_free_rule_name(inst, r) for r in free if r.kind != "condition"]
        conditions = [f"`{r.location.split(': ', 1)[1]}`" for r in free if r.kind == "condition"]
        if conditions:
            names.append(f"condition{'s' if len(conditions) > 1 else ''} {_listing(conditions)}")
        out += _md_paragraph(
            "Rules that cost nothing here (removing any one alone would not raise the best "
            "objective): " + _listing(names) + ".",
            bullet=True,
        )
    marginal = [r for r in explanation.rules if r.lp_marginal_value is not None]
    if marginal:
        out += ["", "### Marginal values (indicative)", ""]
        out += _md_paragraph(LP_WORDS.format(unit=unit, cp=inst.counterpart))
        out.append("")
        out += _md_paragraph(
            "; ".join(
                f"{_rule_limits(inst, r)[0]} {r.lp_marginal_value:.3f}"  # type: ignore[str-format]
                for r in marginal
            )
            + "."
        )
    out += ["", "## Every decision", ""]
    out += _md_table(
        [
            "Decision",
            "What",
            "In strategy",
            "Objective if reversed",
            "Change",
            "Then adds",
            "Then drops",
        ],
        [
            [
                f"`{d.decision}`",
                _md(_decision_name(inst, d.decision)),
                "yes" if d.chosen else "no",
                money(d.objective_if_flipped) if d.change is not None else "infeasible",
                signed_money(d.change) if d.change is not None else "-",
                ", ".join(f"`{a}`" for a in d.then_added),
                ", ".join(f"`{b}`" for b in d.then_dropped),
            ]
            for d in explanation.decisions
        ],
        "lllrrll",
    )
    out += ["", "## Every rule", ""]
    out += _md_table(
        ["Rule", "Where", "Limit", "Removed", "One step", "10%", "LP dual (indicative)"],
        [
            [_md(row[0]), f"`{r.location}`", *row[1:]]
            for r, row in ((r, _rule_row(inst, r)) for r in explanation.rules)
        ],
        "llrrrrr",
    )
    out += ["", f"Money in {unit}. Gains are against the best objective, {money(optimum)}.", ""]
    out += ["## Caveats", ""]
    caveats = [
        "Decision values and rule prices are exact re-solves of the model (HiGHS), one change "
        "at a time; they are not additive.",
        "Values come from a constant-elasticity model of trade (WITS-SMART, GSIM) and the "
        "figures in the instance; estimates there carry their own uncertainty.",
    ]
    if s.rank > 1:
        caveats.append(
            f"Decision values are against strategy {s.rank}; rule prices against the best strategy."
        )
    for c in caveats:
        out += _md_paragraph(c, bullet=True)
    out.append("")
    return "\n".join(out)


def explanation_document(explanation: Explanation, result: Result) -> dict[str, Any]:
    """The JSON explanation as a dict (schema: :func:`render_explanation`)."""
    inst = result.instance
    data = explanation.to_dict()
    for rule, price in zip(data["rules"], explanation.rules, strict=True):
        _, limit, one, ten, _ = _rule_limits(inst, price)
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


def render_explanation(explanation: Explanation, result: Result, fmt: str = "table") -> str:
    """The explanation of a strategy of ``result`` in format ``fmt``.

    - ``table``: decision values and rule prices, within 100 columns;
    - ``markdown``: a briefing, "Why strategy N", with the weightiest decisions and every
      costly rule in words, then the full tables;
    - ``csv``: :meth:`Explanation.to_frame` (one row per decision);
    - ``json`` (version 1): ``schema_version``, ``report`` (``"explanation"``),
      ``instance``, ``path``, ``currency``, ``unit``, ``money``, ``objective`` (what the
      ranking maximises), ``status``; ``explanation``: :meth:`Explanation.to_dict`
      (``rank``, ``objective``, ``optimum``, ``money``, ``decisions``: ``decision``,
      ``kind``, ``name``, ``chosen``, ``objective_if_flipped`` and ``change`` (null: no
      strategy with the decision reversed), ``then_added``, ``then_dropped``,
      ``summary``; ``rules``: ``rule``, ``location``, ``kind``, ``removed``,
      ``relaxed_one_unit``, ``relaxed_10pct`` (gains over ``optimum``),
      ``lp_marginal_value`` (indicative LP dual, null for conditions), and ``limit``,
      ``relaxed_one_unit_to``, ``relaxed_10pct_to``: the limit and its relaxed values,
      null for conditions); ``strategy``: the strategy, as in the ranking's JSON.
    """
    if fmt == "table":
        return render_explanation_table(explanation, result)
    if fmt == "markdown":
        return render_explanation_markdown(explanation, result)
    if fmt == "csv":
        return explanation.to_frame().to_csv(lineterminator="\n")
    if fmt == "json":
        return _dumps(explanation_document(explanation, result))
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")


# ------------------------------------------------------------------------ frontiers


def _swept_text(frontier: Frontier, value: float) -> str:
    if frontier.vary == "budget":
        return money(value)
    if frontier.vary == "cap":
        return _share_text(value)
    return _ratio_text(value)


def _swept_name(frontier: Frontier) -> str:
    return {
        "budget": "budget",
        "reciprocity": "ratio",
        "cap": f"{frontier.market} cap",
    }[frontier.vary]


def _watched_market(frontier: Frontier) -> str:
    return frontier.market or frontier.instance.counterpart


def _market_share(s: Strategy, market: str) -> float | None:
    return next((m.share for m in s.markets if m.market == market), None)


def _point_changes(p: FrontierPoint, first: bool) -> str:
    if p.strategy is None:
        return "no strategy"
    if first:
        n, m = len(p.strategy.requests), len(p.strategy.offers)
        return f"start: {n} request{'s' if n != 1 else ''}, {m} offer{'s' if m != 1 else ''}"
    moves = [f"+{d}" for d in p.added] + [f"-{d}" for d in p.dropped]
    return " ".join(moves) or "same"


def _stretches(frontier: Frontier) -> list[tuple[float, float, Strategy]]:
    """Runs of consecutive points with the same strategy: (first value, last value, it)."""
    runs: list[tuple[float, float, Strategy]] = []
    for p in frontier.points:
        s = p.strategy
        if s is None:
            continue
        if runs and runs[-1][2].decisions == s.decisions and not p.added and not p.dropped:
            runs[-1] = (runs[-1][0], p.value, runs[-1][2])
        else:
            runs.append((p.value, p.value, s))
    return runs


def _frontier_spans(frontier: Frontier) -> list[tuple[str, Strategy]]:
    """Each stretch of the frontier with one strategy: (``budget 10.0 to 20.0``, it)."""
    name = _swept_name(frontier)
    spans = []
    for low, high, s in _stretches(frontier):
        span = _swept_text(frontier, low)
        if high != low:
            span += f" to {_swept_text(frontier, high)}"
        spans.append((f"{name} {span}", s))
    return spans


def _md_point_changes(p: FrontierPoint, first: bool) -> str:
    """:func:`_point_changes` for Markdown: ``+`A`, −`B``` after the first strategy."""
    if first:
        return _point_changes(p, True)
    return ", ".join([f"+`{d}`" for d in p.added] + [f"−`{d}`" for d in p.dropped])


def _frontier_rows(
    frontier: Frontier,
    no_strategy: list[str],
    pareto_mark: str,
    changes: Callable[[FrontierPoint, bool], str],
) -> list[list[str]]:
    """One row per point: the swept value, objective, protected value, offer cost, the
    watched market's share, ``pareto_mark`` if Pareto-efficient, ``changes(point, first)``
    (``first``: the first point with a strategy); ``no_strategy`` fills a row without one."""
    watched = _watched_market(frontier)
    rows = []
    for i, p in enumerate(frontier.points):
        s = p.strategy
        if s is None:
            rows.append([_swept_text(frontier, p.value), *no_strategy])
            continue
        first = all(q.strategy is None for q in frontier.points[:i])
        rows.append(
            [
                _swept_text(frontier, p.value),
                money(s.objective),
                money(s.protected_value),
                money(s.offer_cost),
                percent(_market_share(s, watched)),
                pareto_mark if p.pareto else "",
                changes(p, first),
            ]
        )
    return rows


def _frontier_intro(frontier: Frontier) -> str:
    inst = frontier.instance
    values = [p.value for p in frontier.points]
    watched = _watched_market(frontier)
    against = f"a lower {watched} share" if frontier.vary == "cap" else "a lower offer cost"
    return (
        f"The best strategy as the {frontier.axis_label} varies over {len(values)} points, "
        f"from {_swept_text(frontier, values[0])} to {_swept_text(frontier, values[-1])}. "
        f"Money in {inst.money}. Pareto-efficient points (*): no other point protects more "
        f"export value for {against}."
    )


def _frontier_reading(frontier: Frontier) -> str:
    """What the sweep shows, in a sentence or two."""
    feasible = [p for p in frontier.points if p.strategy is not None]
    if not feasible:
        return "No point of the sweep has a strategy: widen the range."
    text = []
    infeasible = [p for p in frontier.points if p.strategy is None]
    name = _swept_name(frontier)
    if infeasible:
        text.append(
            f"No strategy exists at {len(infeasible)} of the {len(frontier.points)} points "
            f"({name} {_listing([_swept_text(frontier, p.value) for p in infeasible[:3]])}"
            f"{', ...' if len(infeasible) > 3 else ''})."
        )
    first, last = feasible[0].strategy, feasible[-1].strategy
    assert first is not None and last is not None
    text.append(
        f"The best objective goes from {money(first.objective)} at {name} "
        f"{_swept_text(frontier, feasible[0].value)} to {money(last.objective)} at "
        f"{_swept_text(frontier, feasible[-1].value)}."
    )
    objectives = [p.strategy.objective for p in feasible]  # type: ignore[union-attr]
    settled = len(objectives) - 1
    while settled > 0 and math.isclose(
        objectives[settled - 1], objectives[-1], rel_tol=1e-9, abs_tol=1e-9
    ):
        settled -= 1
    if 0 < settled < len(objectives) - 1:
        text.append(
            f"From {name} {_swept_text(frontier, feasible[settled].value)} on, the best "
            "strategy no longer improves: the limit stops binding."
            if frontier.vary != "reciprocity"
            else f"From ratio {_swept_text(frontier, feasible[settled].value)} on, the best "
            "objective no longer changes."
        )
    text.append(
        "Theory: relaxing a limit never lowers the optimum, so the objective cannot fall as "
        "the budget or a cap grows, nor rise as the reciprocity ratio grows."
    )
    return " ".join(text)


def render_frontier_table(frontier: Frontier, plot: str | None = None) -> str:
    inst = frontier.instance
    watched = _watched_market(frontier)
    title = f"Trade-off frontier: {inst.name}"
    out = [title, "=" * min(WIDTH, len(title))]
    out += _wrap(_frontier_intro(frontier))
    out.append("")
    headers = [
        _swept_name(frontier),
        "objective",
        "protected",
        "offer cost",
        f"{watched} share",
        "P",
        "what changes",
    ]
    rows = _frontier_rows(frontier, ["-", "-", "-", "-", "", "no strategy"], "*", _point_changes)
    out += text_table(headers, rows, "rrrrrll", "  ", 6)
    out.append("")
    out += _wrap(_frontier_reading(frontier))
    spans = _frontier_spans(frontier)
    if spans:
        out += ["", "Strategies along the frontier:"]
        for span, s in spans:
            text = (
                f"{span}: requests "
                + (", ".join(r.request for r in s.requests) or "none")
                + "; offers "
                + (", ".join(o.offer for o in s.offers) or "none")
                + "."
            )
            out += _wrap(text, "  - ", "    ")
    if plot:
        out += ["", f"Plot: {plot}"]
    return "\n".join(out) + "\n"


def render_frontier_markdown(frontier: Frontier, plot: str | None = None) -> str:
    inst = frontier.instance
    watched = _watched_market(frontier)
    out = [f"# Trade-off frontier: {inst.name}", ""]
    out += _md_paragraph(
        f"*{inst.home} negotiating with {inst.counterpart}.* " + _md(_frontier_intro(frontier))
    )
    out.append("")
    out += _md_paragraph(_md(_frontier_reading(frontier)))
    out.append("")
    if plot:
        out += [f"![frontier]({plot})", ""]
    rows = _frontier_rows(frontier, ["no strategy", "", "", "", "", ""], "yes", _md_point_changes)
    out += _md_table(
        [
            _swept_name(frontier)[0].upper() + _swept_name(frontier)[1:],
            "Objective",
            "Protected value",
            "Offer cost",
            f"{watched} share",
            "Pareto",
            "What changes",
        ],
        rows,
        "rrrrrll",
    )
    spans = _frontier_spans(frontier)
    if spans:
        out += ["", "## Strategies along the frontier", ""]
        for span, s in spans:
            text = (
                f"**{span}**: objective {money(s.objective)}; requests "
                + (_code([r.request for r in s.requests]) or "none")
                + "; offers "
                + (_code([o.offer for o in s.offers]) or "none")
                + "."
            )
            out += _md_paragraph(text, bullet=True)
    out += ["", f"Money in {inst.money}.", ""]
    return "\n".join(out)


def frontier_document(frontier: Frontier, plot: str | None = None) -> dict[str, Any]:
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


def render_frontier(frontier: Frontier, fmt: str = "table", plot: str | None = None) -> str:
    """A frontier in format ``fmt``; ``plot`` is the path of its drawing, if any.

    - ``table`` and ``markdown``: one row per point (the swept value, the best
      strategy's objective, protected value, offer cost, the watched market's share,
      whether it is Pareto-efficient, what changes from the previous point), what the
      sweep shows, and the strategies along the way;
    - ``csv``: :meth:`Frontier.to_frame`;
    - ``json`` (version 1): ``schema_version``, ``report`` (``"frontier"``),
      ``currency``, ``unit``, ``money``, ``path``, ``axis_label``, ``plot`` (or null),
      and :meth:`Frontier.to_dict`: ``instance``, ``vary``, ``market``, ``points``
      (the rows of :meth:`Frontier.to_frame`; null where a point has no strategy).
    """
    if fmt == "table":
        return render_frontier_table(frontier, plot)
    if fmt == "markdown":
        return render_frontier_markdown(frontier, plot)
    if fmt == "csv":
        return frontier.to_frame().to_csv(index=False, lineterminator="\n")
    if fmt == "json":
        return _dumps(frontier_document(frontier, plot))
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")


# ------------------------------------------------------------------------ dispatch

RENDERERS: dict[str, Callable[[Result, Diagnosis | None], str]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
}


def render(result: Result, fmt: str = "table", diagnosis: Diagnosis | None = None) -> str:
    """The report of ``result`` in format ``fmt`` (one of :data:`FORMATS`).

    For an infeasible result, pass ``diagnosis=advisor.diagnose(result.instance)``
    to name the conflicting rules (table, Markdown, and the JSON key ``diagnosis``).
    """
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}") from None
    return renderer(result, diagnosis)


__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "json_document",
    "render",
    "render_csv",
    "render_explanation",
    "render_frontier",
    "render_json",
    "render_markdown",
    "render_table",
]
