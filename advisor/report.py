"""Reports of a ranked strategy list: a terminal table, JSON, CSV and a Markdown brief.

Every format is a pure function of a :class:`~advisor.strategy.Result` returning a
string, so a notebook gets exactly what the command line prints::

    from advisor.report import render
    print(render(result, "table"))        # or "json", "csv", "markdown"

Money is printed in the instance's unit (``instance.money``, e.g. ``USD million``)
with thousands separators and one decimal; tariffs and shares as percentages.
The text formats (``table``, ``markdown``) keep within 100 columns.

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
  ``solves`` (int, MIP solves made).
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
from collections.abc import Callable, Sequence
from typing import Any

from advisor.checker import rule_violations
from advisor.strategy import Result, Strategy

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
VSS_WORDS = "what planning over all scenarios gains over planning for the average future"
EVPI_WORDS = "what knowing in advance which scenario happens would be worth"


# ------------------------------------------------------------------------ numbers


def money(value: float | None) -> str:
    """``1234.56`` -> ``"1,234.6"``; None -> ``"-"``; never ``"-0.0"``."""
    if value is None or not math.isfinite(value):
        return "-"
    if round(value, 1) == 0:
        value = 0.0
    return f"{value:,.1f}"


def signed_money(value: float) -> str:
    text = money(value)
    return text if text.startswith("-") or text == "0.0" else "+" + text


def percent(value: float | None) -> str:
    """``0.1905`` -> ``"19.1%"``."""
    if value is None or not math.isfinite(value):
        return "-"
    if round(value, 3) == 0:
        value = 0.0
    return f"{value:.1%}"


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


def render_table(result: Result) -> str:
    """A ranked report a person reads in a terminal, within 100 columns."""
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
        out += _no_strategy_lines(result)
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


def _no_strategy_lines(result: Result) -> list[str]:
    if result.status == "infeasible":
        lines = _wrap("No strategy satisfies the rules of this instance.")
        broken = _empty_package_violations(result)
        if broken:
            lines += _wrap(
                "Even asking for nothing and offering nothing breaks: " + ", ".join(broken) + "."
            )
        return lines + _wrap(INFEASIBLE_HINT)
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


def json_document(result: Result) -> dict[str, Any]:
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
    return _finite(doc)


def render_json(result: Result) -> str:
    """The JSON report (schema in this module's docstring), indented, newline-ended."""
    return json.dumps(json_document(result), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


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


def render_csv(result: Result) -> str:
    """One row per strategy (:meth:`Result.to_frame`), indexed by rank; header only if none."""
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


def _summary(result: Result, s: Strategy) -> str:
    inst = result.instance
    unit = inst.money
    by_tier: dict[str, list[str]] = {}
    for r in s.requests:
        by_tier.setdefault(r.tier, []).append(r.sector_name)
    asks = [f"{tier} on {_listing(names)}" for tier, names in by_tier.items()]
    gives = [o.name for o in s.offers]
    text = f"The recommended strategy asks {inst.counterpart} for "
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
    if len(result.strategies) > 1:
        runner = result.strategies[1]
        text += f" The next best strategy scores {money(runner.gap_to_best)} less."
    return text


def render_markdown(result: Result) -> str:
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


# ------------------------------------------------------------------------ dispatch

RENDERERS: dict[str, Callable[[Result], str]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
}


def render(result: Result, fmt: str = "table") -> str:
    """The report of ``result`` in format ``fmt`` (one of :data:`FORMATS`)."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}") from None
    return renderer(result)


__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "json_document",
    "render",
    "render_csv",
    "render_json",
    "render_markdown",
    "render_table",
]
