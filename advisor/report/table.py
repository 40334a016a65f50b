"""The terminal report of a ranked result: a plain-text table within 100 columns.

:func:`render_table` prints the instance and objective, the scenarios, the status,
then the ranking (one row per strategy), each strategy's value in every scenario, the
scenario measures, and a block per strategy: its requests and offers, what the
counterpart receives and concedes, the market shares after the deal, the conditions it
triggers and the rules that bind it. A result without strategies says why instead
(naming the conflicting rules when given a diagnosis).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from advisor.report.lines import (
    GroupRequests,
    binding_labels,
    condition_group_text,
    condition_groups,
    group_difference_text,
    grouped,
    request_groups,
)
from advisor.report.summary import summary_lines
from advisor.report.text import (
    WIDTH,
    money,
    percent,
    share_text,
    signed_money,
    text_table,
    wrap,
)
from advisor.report.words import (
    BINDING_DEFINITION,
    binding_groups,
    binding_text,
    condition_text,
    decomposition,
    difference_text,
    export_unit,
    exports_at_risk,
    market_limit_text,
    measure_lines,
    model_lines,
    no_strategy_lines,
    objective_unit,
    objective_words,
    several_scenarios,
    share_basis,
    solver_line,
    status_line,
    threat_names,
    value_weighted,
)
from advisor.results import Result, Strategy

if TYPE_CHECKING:
    from advisor.analysis.diagnose import Diagnosis


def render_table(result: Result, diagnosis: Diagnosis | None = None, detail: str = "auto") -> str:
    """A ranked report a person reads in a terminal, within 100 columns.

    For an infeasible result, ``diagnosis`` (:func:`advisor.diagnose`) names the
    conflicting rules and their fixes; without it the report gives a general hint.
    ``detail`` (:func:`advisor.report.lines.grouped`): ``lines`` lists every request
    and condition, ``sectors`` groups tariff lines by sector and conditions by
    pattern, ``auto`` groups above 200 decisions.
    """
    by_group = grouped(result, detail)
    out = _heading(result)
    short = summary_lines(result, detail)  # the short answer first; --brief prints it alone
    if short:
        out[2:2] = [*short, ""]
    if not result.strategies:
        out += no_strategy_lines(result, diagnosis)
    else:
        out += _ranking_table(result)
        if several_scenarios(result):
            out.append("")
            out += _scenario_table(result)
        measures = measure_lines(result)
        if measures:
            out.append("")
            for line in measures:
                out += wrap(line)
        for s in result.strategies:
            out.append("")
            out += _strategy_block(result, s, by_group)
    if result.warnings:
        out += ["", "Warnings:"]
        for w in result.warnings:
            out += wrap(w, "  - ", "    ")
    out += ["", *wrap(solver_line(result))]
    return "\n".join(out) + "\n"


def _heading(result: Result) -> list[str]:
    """The title, the parties and objective, the scenarios and the status."""
    inst = result.instance
    out = [inst.name, "=" * min(WIDTH, len(inst.name))]
    out += wrap(
        f"{inst.home} negotiating with {inst.counterpart}. Money in {inst.money}. "
        f"Objective: {objective_words(result)}."
    )
    for line in model_lines(result):
        out += wrap(line, "", "  ")
    if several_scenarios(result):
        out.append(
            f"Scenarios (probability; exports to {inst.counterpart} at risk with no deal, "
            f"{inst.money}):"
        )
        names = threat_names(inst)
        risk = exports_at_risk(inst)
        for w in inst.scenarios:
            what = f"{names[w.name]}, " if w.name in names else ""
            text = f"{w.name} ({percent(w.probability)}; {what}at risk {money(risk[w.name])})"
            if w.description:
                text += f": {w.description}"
            if result.scenario_optimum is not None:
                text += f" [own optimum {money(result.scenario_optimum[w.name])}]"
            out += wrap(text, "  ", "    ")
    out += wrap(f"Status: {status_line(result)}.")
    out.append("")
    return out


def _ranking_table(result: Result) -> list[str]:
    """One row per strategy: objective, protected value, offer cost, balance, shares."""
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
    lines = ["Ranked strategies"]
    lines += text_table(headers, rows, "rrrrrrlrr", "  ")
    lines += wrap(
        f"objective, vs best (minus rank 1's): {objective_unit(inst)}; protected: expected "
        f"protected exports, {export_unit(inst)}; offer cost: domestic cost, {inst.money} "
        f"(x λ {inst.offer_cost_weight:g} in the objective); balance: value to {cp} minus the "
        f"reciprocity ratio times its cost of the requests (>= 0), {inst.money}; {cp} share, "
        f"largest mkt: shares of {inst.home}'s exports after the deal ({share_basis(inst)}); "
        "req+off: requests + offers.",
        "  ",
        "  ",
    )
    if any(not s.proven_optimal for s in result.strategies):
        lines += wrap("* not proven optimal (see its MIP gap below).", "  ", "  ")
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
    inst = result.instance
    weight = inst.offer_cost_weight
    effects = " + offer effects" if inst.offer_effects_in_objective else ""
    protected = "value-weighted" if value_weighted(inst) else "the"
    title = (
        f"Value in each scenario, in objective units: {protected} protected exports{effects} - "
        f"{weight:g} x offer cost"
    )
    threat = threat_names(inst)
    if threat:
        title += " (" + ", ".join(f"{w}: {what}" for w, what in threat.items()) + ")"
    table = text_table(headers, rows, "r" * len(headers), "  ")
    if max(len(line) for line in table) <= WIDTH:
        return [*wrap(title), *table]
    lines = wrap(title)
    for s, row in zip(result.strategies, rows, strict=True):
        cells = [f"{h} {v}" for h, v in zip(headers[1:], row[1:], strict=True)]
        lines += wrap(f"{s.rank}: " + "; ".join(cells), "  ", "     ")
    return lines


def _strategy_block(result: Result, s: Strategy, by_group: bool = False) -> list[str]:
    """One strategy in full: how it differs from rank 1, its decisions, the deal.

    ``by_group``: requests by sector group, conditions by pattern (tariff-line scale).
    """
    unit = result.instance.money
    head = f"Strategy {s.rank}: objective {money(s.objective)}"
    head += " (best)" if s.rank == 1 else f" ({money(s.gap_to_best)} below the best)"
    if not s.proven_optimal:
        head += f", not proven optimal (MIP gap {percent(s.mip_gap)})"
    lines = [head, "-" * min(WIDTH, len(head))]
    if s.rank > 1:
        first = result.strategies[0]
        differs = (
            group_difference_text(result.instance, first, s)
            if by_group
            else difference_text(first, s)
        )
        lines += wrap(f"Differs from strategy 1: {differs}.", "  ", "    ")
    lines += wrap(f"Objective: {decomposition(result.instance, s)}.", "  ", "    ")
    lines += _group_tables(result, s) if by_group else _decision_tables(result, s)
    lines += wrap(
        f"Counterpart: receives {money(s.counterpart_value)}, concedes "
        f"{money(s.counterpart_cost)}; balance {signed_money(s.reciprocity_balance)} {unit}.",
        "  ",
        "    ",
    )
    if by_group:
        shares = _limited_share_lines(result, s) if s.rank > 1 else _share_lines(result, s)
        return lines + shares + _group_rule_lines(result, s)
    return lines + _share_lines(result, s) + _rule_lines(result, s)


def _limited_share_lines(result: Result, s: Strategy) -> list[str]:
    """Below rank 1 at scale: the largest market and each capped or floored one, tightest."""
    if _shares_shown(result, s) == _shares_shown(result, result.strategies[0]):
        return ["  Market shares after the deal: as strategy 1."]
    largest = s.largest_market
    parts = [f"largest {largest.market} {percent(largest.share)}"]
    for m in s.markets:
        if m.limit is not None and m.closest_scenario is not None:
            tight = m.scenario_shares.get(m.closest_scenario, m.share)
            parts.append(
                f"{m.market} {percent(tight)} in {m.closest_scenario} ({m.limit} "
                f"{share_text(m.limit_share)})"
            )
    return wrap(f"Market shares after the deal: {'; '.join(parts)}.", "  ", "    ")


def _shares_shown(result: Result, s: Strategy) -> list[str]:
    return [f"{m.market} {percent(m.share)}" for m in s.markets] + [
        market_limit_text(result.instance, m) for m in s.markets
    ]


def _share_lines(result: Result, s: Strategy) -> list[str]:
    """The market shares after the deal; "as strategy 1" when they read the same."""
    first = result.strategies[0]
    if s.rank > 1 and _shares_shown(result, s) == _shares_shown(result, first):
        return ["  Market shares after the deal: as strategy 1."]
    lines = wrap(
        f"Market shares after the deal ({share_basis(result.instance)}): "
        + ", ".join(f"{m.market} {percent(m.share)}" for m in s.markets)
        + ".",
        "  ",
        "    ",
    )
    for m in s.markets:
        text = market_limit_text(result.instance, m)
        if text:
            lines += wrap(f"In each scenario, {text}.", "    ", "      ")
    return lines


def _decision_tables(result: Result, s: Strategy) -> list[str]:
    """The strategy's requests and its offers, as two tables.

    The requests show the probability each is granted when any is uncertain.
    """
    inst = result.instance
    unit = inst.money
    lines = []
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
            title = f"exports protected if granted, {export_unit(inst)}; probability granted"
        else:
            title = f"exports protected, {export_unit(inst)}"
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
    return lines


def _rule_lines(result: Result, s: Strategy) -> list[str]:
    """The conditions the strategy triggers, then the rules that bind it.

    A binding condition already listed as triggered is only referred to.
    """
    lines = []
    descriptions = condition_text(result)
    same = s.rank > 1 and s.conditions_triggered == result.strategies[0].conditions_triggered
    if same and s.conditions_triggered:
        named = ", ".join(s.conditions_triggered)
        lines.append(f"  Conditions triggered: as strategy 1 ({named}).")
    elif s.conditions_triggered:
        lines.append("  Conditions triggered:")
        for cid in s.conditions_triggered:
            text = f"{cid}: {descriptions[cid]}" if descriptions.get(cid) else cid
            lines += wrap(text, "    - ", "      ")
    if s.binding_constraints:
        lines += wrap(f"Binding rules ({BINDING_DEFINITION}):", "  ", "    ")
        shown = [f"condition {c}" for c in s.conditions_triggered]
        for rule, scenarios in binding_groups(s.binding_constraints):
            if rule not in shown:
                lines += wrap(binding_text(result, rule, scenarios), "    - ", "      ")
        above = [r.removeprefix("condition ") for r in s.binding_constraints if r in shown]
        if above:
            text = f"condition{'s' if len(above) > 1 else ''} {', '.join(above)} (see above)"
            lines += wrap(text, "    - ", "      ")
    return lines


def _group_tables(result: Result, s: Strategy) -> list[str]:
    """The requests per sector group (lines per tier and their sums), then the offers.

    The totals are the sums over the group's lines; ``--detail lines``, the CSV and
    the JSON reports list the lines themselves. Below rank 1, only the groups whose
    requests differ from strategy 1's are shown, and the offers in one sentence.
    """
    inst = result.instance
    groups = request_groups(inst, s)
    if s.rank > 1:
        same = set(request_groups(inst, result.strategies[0]))
        shown = [g for g in groups if g not in same]
        rest = [g.group for g in groups if g in same]
    else:
        shown, rest = groups, []
    if not groups:
        lines = [f"  Requests to {inst.counterpart}: none"]
    elif s.rank == 1:
        lines = wrap(
            f"Requests to {inst.counterpart} by sector ({len(s.requests):,} tariff lines; "
            f"protected: {export_unit(inst)}; cost to {inst.counterpart}: {inst.money}):",
            "  ",
            "    ",
        )
    else:  # the units are strategy 1's
        kept = f"; as strategy 1 in {', '.join(rest)}" if rest else ""
        text = f"Requests by sector ({len(s.requests):,} lines{kept})" + (":" if shown else ".")
        lines = wrap(text, "  ", "    ")
    if shown:
        lines += _group_request_table(shown)
    if s.rank == 1 or not s.offers:
        return lines + _decision_tables(result, replace(s, requests=()))[1:]
    offers = ", ".join(o.offer for o in s.offers)
    return lines + wrap(f"Offers: {offers} (domestic cost {money(s.offer_cost)}).", "  ", "    ")


def _group_request_table(groups: list[GroupRequests]) -> list[str]:
    rows = [
        [
            g.group,
            g.name,
            f"{g.requested:,}/{g.lines:,}",
            g.tier_text(),
            money(g.protected_value),
            money(g.counterpart_cost),
        ]
        for g in groups
    ]
    headers = ["sector", "name", "lines", "tiers (lines)", "protected", "cost"]
    return text_table(headers, rows, "llrlrr", "    ", shrink=1)


def _group_rule_lines(result: Result, s: Strategy) -> list[str]:
    """:func:`_rule_lines` with line conditions grouped by their pattern."""
    inst = result.instance
    groups = condition_groups(inst, s.conditions_triggered)
    first = result.strategies[0]
    lines = []
    if s.rank > 1 and groups:
        named = ", ".join(condition_group_text(key, n) for key, n, _ in groups)
        same = s.conditions_triggered == first.conditions_triggered
        head = "as strategy 1" if same else f"{len(s.conditions_triggered):,}"
        lines += wrap(f"Conditions triggered: {head} ({named}).", "  ", "    ")
        known = {key for key, _, _ in condition_groups(inst, first.conditions_triggered)}
        for key, n, text in groups:  # described under strategy 1 unless new here
            if key not in known:
                lines += wrap(condition_group_text(key, n, text), "    - ", "      ")
    elif groups:
        lines.append(f"  Conditions triggered ({len(s.conditions_triggered):,}, by pattern):")
        for key, n, text in groups:
            lines += wrap(condition_group_text(key, n, text), "    - ", "      ")
    rules = binding_labels(inst, [rule for rule, _ in binding_groups(s.binding_constraints)])
    if rules:
        lines += wrap(f"Binding rules ({BINDING_DEFINITION}):", "  ", "    ")
        scenarios = dict(binding_groups(s.binding_constraints))
        for rule in rules:
            text = binding_text(result, rule, scenarios.get(rule, []))
            lines += wrap(text, "    - ", "      ")
    return lines
