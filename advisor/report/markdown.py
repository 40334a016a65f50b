"""The Markdown brief of a ranked result: a note an analyst pastes into a memo.

:func:`render_markdown` opens with the recommendation in one paragraph, then the
ranking as a Markdown table (each strategy compared with rank 1), a section per
strategy (requests, offers, value by scenario, conditions triggered, binding rules),
the scenarios with VSS and EVPI, and the caveats: the warnings, the model's limits,
and the solver status when not optimal. A result without strategies says why.
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
from advisor.report.text import md, md_table, money, percent, signed_money
from advisor.report.words import (
    BINDING_DEFINITION,
    MODEL_CAVEAT,
    SHARE_BASIS,
    binding_groups,
    binding_text,
    condition_text,
    decomposition,
    diagnosis_lines,
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
    summary,
    threat_names,
)
from advisor.results import Result, Strategy

if TYPE_CHECKING:
    from advisor.analysis.diagnose import Diagnosis


def render_markdown(
    result: Result, diagnosis: Diagnosis | None = None, detail: str = "auto"
) -> str:
    """A briefing note an analyst can paste into a memo.

    ``detail`` as in :func:`advisor.report.table.render_table`: above 200 decisions
    (``auto``) tariff lines are grouped by sector and conditions by pattern.
    """
    by_group = grouped(result, detail)
    inst = result.instance
    out = [f"# Negotiation brief: {inst.name}", ""]
    out.append(
        f"*{inst.home} negotiating with {inst.counterpart}. Money in {inst.money}. Objective: "
        f"{objective_words(result)}. Status: "
        f"{status_line(result)}.*"
    )
    out.append("")
    out += [f"- {line}" for line in model_lines(result)]
    out.append("")
    if inst.description:
        out += [inst.description, ""]
    if not result.strategies:
        out += ["## No strategy", ""]
        if result.status == "infeasible" and diagnosis is not None:
            out += _md_diagnosis(diagnosis)
        else:
            # the plain-text lines joined back into one Markdown paragraph
            out += [" ".join(no_strategy_lines(result)), ""]
    else:
        first = result.strategies[0]
        out += ["## Recommendation", "", summary(result, first, by_group=by_group), ""]
        out += _md_ranking(result, by_group)
        descriptions = condition_text(result)
        for s in result.strategies:
            out += _md_strategy(result, s, descriptions, by_group)
        if several_scenarios(result):
            out += _md_scenarios(result)
    out += _md_caveats(result)
    return "\n".join(out)


def _md_ranking(result: Result, by_group: bool = False) -> list[str]:
    """The ranking as a Markdown table, each strategy compared with rank 1."""
    first = result.strategies[0]

    def compared(s: Strategy) -> str:
        if s.rank == 1:
            return "recommended"
        if by_group:
            return md(group_difference_text(result.instance, first, s))
        return md(difference_text(first, s))

    rows = [
        [
            str(s.rank) + ("" if s.proven_optimal else " (not proven)"),
            money(s.objective),
            money(s.protected_value),
            money(s.offer_cost),
            signed_money(s.reciprocity_balance),
            f"{s.largest_market.market} {percent(s.largest_market.share)}",
            compared(s),
        ]
        for s in result.strategies
    ]
    out = ["## Ranked strategies", ""]
    out += md_table(
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
    inst = result.instance
    units = (
        f"Objective: {objective_unit(inst)}. Protected value: expected protected exports, "
        f"{export_unit(inst)}. Offer cost and counterpart balance: {inst.money} (the offer "
        f"cost weighs λ = {inst.offer_cost_weight:g} in the objective). Largest market: share "
        f"of {inst.home}'s exports after the deal ({share_basis(inst)})."
    )
    return [*out, "", units, ""]


def _md_scenarios(result: Result) -> list[str]:
    """The scenarios with their probabilities, then VSS and EVPI."""
    inst = result.instance
    names = threat_names(inst)
    risk = exports_at_risk(inst)
    out = ["## Scenarios", ""]
    out.append(
        f"Each with its probability and the exports to {inst.counterpart} at risk with no deal "
        f"({inst.money})."
    )
    out.append("")
    for w in inst.scenarios:
        what = f"{names[w.name]}, " if w.name in names else ""
        text = f"- **{md(w.name)}** ({percent(w.probability)}; {what}at risk {money(risk[w.name])})"
        out.append(text + (f": {w.description}" if w.description else ""))
    out.append("")
    out += [f"- {line}" for line in measure_lines(result)]
    if result.scenario_measures is not None:
        out.append("")
    return out


def _md_caveats(result: Result) -> list[str]:
    """The warnings and the model's limits, then the solver line."""
    out = ["## Caveats", ""]
    caveats = [*result.warnings, MODEL_CAVEAT]
    if any(r.acceptance < 1 for r in result.instance.requests):
        caveats.append(
            "Protected values are weighted by the analyst's probability that the "
            "counterpart grants each request."
        )
    if result.status != "optimal":
        caveats.append(f"Solver status: {status_line(result)}.")
    out += [f"- {c}" for c in caveats]
    return [*out, "", f"*{solver_line(result)}.*", ""]


def _md_diagnosis(diagnosis: Diagnosis) -> list[str]:
    """The conflicting rules of an infeasible instance, each with its fix."""
    if diagnosis.feasible:
        return [" ".join(diagnosis_lines(diagnosis)), ""]
    n = len(diagnosis.conflicts)
    out = [
        f"No strategy satisfies the rules of this instance. These {n} rule"
        f"{'s' if n != 1 else ''} conflict: together they leave no strategy, and without any "
        "one of them the others can be met. Each fix is the smallest change of that rule "
        "alone, every other rule kept.",
        "",
    ]
    for c in diagnosis.conflicts:
        out.append(f"- **`{c.location}`**: {md(c.rule)}. Fix: {md(c.fix)}.")
    return [*out, ""]


def _md_strategy(
    result: Result, s: Strategy, descriptions: dict[str, str], by_group: bool = False
) -> list[str]:
    """One strategy's section: requests, offers, values by scenario, conditions."""
    inst = result.instance
    out = [f"### Strategy {s.rank}: objective {money(s.objective)}", ""]
    if by_group:
        out += _md_group_decisions(result, s)
    else:
        out += _md_decisions(result, s)
    out += [f"Objective, in {objective_unit(inst)}: {md(decomposition(inst, s))}.", ""]
    if len(inst.scenarios) > 1:
        names = threat_names(inst)
        values = "; ".join(
            f"{md(w)}{f' ({names[w]})' if w in names else ''} {money(v)}"
            for w, v in s.scenario_values.items()
        )
        line = (
            f"Value by scenario (objective units): {values}. Expected "
            f"{money(s.expected_value)}, worst case {money(s.worst_case_value)}"
        )
        if s.regret is not None:
            line += f", regret {money(s.regret)}"
        out += [line + ".", ""]
    first = result.strategies[0]
    if by_group and s.rank > 1 and s.conditions_triggered == first.conditions_triggered:
        out += ["Conditions triggered: as strategy 1.", ""]
    elif s.conditions_triggered and by_group:
        out += ["Conditions triggered, by pattern:", ""]
        out += [
            f"- {md(condition_group_text(key, n, text))}"
            for key, n, text in condition_groups(inst, s.conditions_triggered)
        ]
        out.append("")
    elif s.conditions_triggered:
        out += ["Conditions triggered:", ""]
        out += [
            f"- {md(c)}" + (f": {descriptions[c]}" if descriptions.get(c) else "")
            for c in s.conditions_triggered
        ]
        out.append("")
    limited = [market_limit_text(inst, m) for m in s.markets if m.limit is not None]
    if limited:
        out += [
            f"Shares of capped or floored markets in each scenario ({SHARE_BASIS[inst.shares]}; "
            "tightest: the scenario the limit constrains):",
            "",
        ]
        out += [f"- {md(text)}" for text in limited]
        out.append("")
    if s.binding_constraints and by_group:
        scenarios = dict(binding_groups(s.binding_constraints))
        rules = binding_labels(inst, list(scenarios))
        out += [f"Binding rules ({BINDING_DEFINITION}):", ""]
        out += [f"- {md(binding_text(result, rule, scenarios.get(rule, [])))}" for rule in rules]
        out.append("")
    elif s.binding_constraints:
        out += [f"Binding rules ({BINDING_DEFINITION}):", ""]
        out += [
            f"- {md(binding_text(result, rule, scenarios, s.conditions_triggered))}"
            for rule, scenarios in binding_groups(s.binding_constraints)
        ]
        out.append("")
    return out


def _md_group_requests(result: Result, s: Strategy) -> list[str]:
    """The requests per sector group: lines per tier, protected value, counterpart's cost."""
    note = (
        f"{len(s.requests):,} tariff lines, grouped by sector (the CSV and JSON reports, and "
        "`--detail lines`, list each line)."
    )
    return [*_md_group_table(result, request_groups(result.instance, s)), "", note]


def _md_group_table(result: Result, groups: list[GroupRequests]) -> list[str]:
    inst = result.instance
    rows = [
        [
            md(g.group),
            md(g.name),
            f"{g.requested:,} of {g.lines:,}",
            md(g.tier_text()),
            money(g.protected_value),
            money(g.counterpart_cost),
        ]
        for g in groups
    ]
    headers = [
        "Sector",
        "Name",
        "Lines",
        "Tiers (lines)",
        "Protected",
        f"Cost to {inst.counterpart}",
    ]
    return md_table(headers, rows, "llrlrr")


def _md_decisions(result: Result, s: Strategy) -> list[str]:
    """A strategy's requests and offers, one bullet each."""
    inst = result.instance
    out: list[str] = []
    out += [f"Requests to {inst.counterpart} (exports protected, {export_unit(inst)}):", ""]
    if s.requests:
        out += [
            f"- {md(r.sector_name)} ({md(r.sector)}): {md(r.tier)}, tariff "
            f"{percent(r.tariff)}, protects {money(r.protected_value)} if granted"
            for r in s.requests
        ]
    else:
        out.append("- none")
    out += ["", f"Offers ({inst.money}):", ""]
    if s.offers:
        out += [
            f"- {md(o.name)} ({md(o.offer)}): worth {money(o.counterpart_value)} to "
            f"{inst.counterpart}, costs {money(o.domestic_cost)} at home"
            for o in s.offers
        ]
    else:
        out.append("- none")
    out.append("")
    return out


def _md_group_decisions(result: Result, s: Strategy) -> list[str]:
    """At scale: requests per sector group; below rank 1 only the groups that differ."""
    inst = result.instance
    if s.rank == 1:  # the heading, the groups in place of "- none", then the offers
        plain = _md_decisions(result, replace(s, requests=()))
        return [*plain[:2], *_md_group_requests(result, s), *plain[3:]]
    same = set(request_groups(inst, result.strategies[0]))
    groups = request_groups(inst, s)
    rest = [g.group for g in groups if g in same]
    shown = [g for g in groups if g not in same]
    out = [
        f"Requests by sector ({len(s.requests):,} lines"
        + (f"; as strategy 1 in {', '.join(md(g) for g in rest)})" if rest else ")")
        + (":" if shown else "."),
        "",
    ]
    if shown:
        out += [*_md_group_table(result, shown), ""]
    offers = ", ".join(f"`{o.offer}`" for o in s.offers) or "none"
    return [*out, f"Offers: {offers} (domestic cost {money(s.offer_cost)}).", ""]
