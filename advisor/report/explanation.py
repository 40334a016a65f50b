"""The explanation of a strategy (:func:`advisor.explain`) as a terminal table or a briefing.

Two numbers explain a strategy, both exact re-solves of the model, one change at a
time: a decision's value (the best objective with that decision reversed, everything
else free; its change against the strategy's objective) and a rule's price (the gain
in the best objective with the rule removed, or relaxed by one step or by 10%). The
table lists both; the Markdown briefing "Why strategy N" tells the weightiest
decisions and every costly rule in words, using :mod:`advisor.analysis.conditions`
for which conditions tie a decision to the others, then gives the full tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from advisor.analysis.conditions import holds, obstacles, unlocks
from advisor.instance import Instance
from advisor.report.lines import asks_text
from advisor.report.text import (
    WIDTH,
    code,
    listing,
    md,
    md_paragraph,
    md_table,
    money,
    ratio_text,
    share_text,
    signed_money,
    text_table,
    wrap,
)
from advisor.report.words import (
    MODEL_CAVEAT,
    decomposition,
    export_unit,
    model_lines,
    objective_amount,
    objective_unit,
    objective_words,
    summary,
)
from advisor.results import Result, Strategy, tolerance

if TYPE_CHECKING:
    from advisor.analysis.explain import DecisionValue, Explanation, RulePrice

BRIEF_DECISIONS = 6  # decisions of the strategy told in words in the briefing
BRIEF_LEFT_OUT = 4  # decisions it leaves out told in words
LP_WORDS = (
    "LP dual: indicative only, from the LP relaxation (every decision a fraction between 0 "
    "and 1); the model has no continuous variables, so with the decisions fixed at the "
    "strategy every dual is 0. Per {unit} of the rule's slack: of budget; of counterpart "
    "balance (value to {cp} minus the ratio times its cost); of a market's exports beyond "
    "its share limit. The re-solved prices are exact."
)

# ------------------------------------------------------------------------ decisions


def _decision_facts(inst: Instance, decision: str, s: Strategy) -> str:
    """What a decision weighs, in Markdown.

    For an offer, its value, cost and market effects; for a request, its expected
    protected value (acceptance times protected value) and counterpart cost.
    """
    cp = inst.counterpart
    request = next((r for r in s.requests if r.request == decision), None)
    if request is not None:
        value = request.acceptance * request.protected_value
        return (
            f"It protects an expected {money(value)} {export_unit(inst)} and costs {cp} "
            f"{money(request.counterpart_cost)} {inst.money}."
        )
    if decision in inst.offer_by_id:
        o = inst.offer_by_id[decision]
        text = (
            f"It is worth {money(o.counterpart_value)} {inst.money} to {cp} and costs "
            f"{money(o.domestic_cost)} at home"
        )
        effects = [e for e in inst.offer_effects if e.offer == decision]
        if effects:
            text += "; it moves " + listing(
                [f"exports to {e.market} by {signed_money(e.export_change)}" for e in effects]
            )
            text += f" ({export_unit(inst)})"
        return text + "."
    return ""


def _moves_text(d: DecisionValue) -> str:
    """``drops `A` and `B` and adds `C``` (Markdown)."""
    parts = []
    if d.then_dropped:
        parts.append(f"drops {code(d.then_dropped)}")
    if d.then_added:
        parts.append(f"adds {code(d.then_added)}")
    return " and ".join(parts) if parts else "changes nothing else"


def _chosen_reasons(inst: Instance, d: DecisionValue, s: Strategy) -> list[str]:
    """Why a chosen decision matters, as Markdown clauses.

    The dropped decisions it unlocks (they need it by a condition), the balance it
    holds up, the ``at_least`` conditions it meets exactly.
    """
    why = []
    unlocked = [
        f"`{u}` (condition `{link.condition}`)"
        for link in unlocks(inst, d.decision, d.then_dropped)
        for u in link.ids
    ]
    if unlocked:
        why.append("it is what unlocks " + listing(unlocked))
    held = holds(inst, d.decision, s)
    if held.balance:
        why.append(
            f"without its value to {inst.counterpart} the deal would not balance "
            f"(reciprocity balance {signed_money(s.reciprocity_balance)})"
        )
    why += [
        f"it meets condition `{c.condition}` (at least {c.count} of {code(c.ids)})"
        for c in held.conditions
    ]
    return why


def _obstacle_reasons(inst: Instance, d: DecisionValue, s: Strategy) -> list[str]:
    """Which conditions stop adding a decision left out (Markdown clauses)."""
    out = []
    for link in obstacles(inst, d.decision, s.decisions):
        where = f"(condition `{link.condition}`)"
        if link.kind == "requires":
            out.append(f"it needs {code(link.ids)} {where}")
        elif link.kind == "requires_one_of":
            out.append(f"it needs one of {code(link.ids)} {where}")
        elif link.kind == "excludes":
            out.append(f"it rules out {code(link.ids)} {where}")
        else:
            out.append(f"the strategy already has {link.count} of {code(link.ids)} {where}")
    return out


def _decision_sentence(inst: Instance, d: DecisionValue, s: Strategy) -> str:
    """One decision's value as a briefing bullet (Markdown)."""
    name = f"`{d.decision}` ({md(inst.decision_name(d.decision))})"
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
            head = f"**{verb} {name} would cost {objective_amount(inst, -d.change)}.**"
        else:
            head = f"**{verb} {name} would gain {objective_amount(inst, d.change)}.**"
        tail = f" The best package {'without' if d.chosen else 'with'} it {_moves_text(d)}."
    reasons = []
    clauses = _chosen_reasons(inst, d, s) if d.chosen else _obstacle_reasons(inst, d, s)
    if clauses:
        text = "; ".join(clauses)
        reasons.append(text[0].upper() + text[1:] + ".")
    facts = _decision_facts(inst, d.decision, s)
    if facts:
        reasons.append(facts)
    return " ".join([head + tail, *reasons])


def _decision_row(d: DecisionValue) -> list[str]:
    """A decision's row of the table: in or out, objective reversed, change, moves."""
    moves = [f"+{a}" for a in d.then_added] + [f"-{b}" for b in d.then_dropped]
    return [
        d.decision,
        "yes" if d.chosen else "no",
        money(d.objective_if_flipped) if d.change is not None else "none",
        signed_money(d.change) if d.change is not None else "-",
        " ".join(moves) if d.change is not None else "no feasible strategy",
    ]


# ------------------------------------------------------------------------ rules


def rule_limits(inst: Instance, r: RulePrice) -> tuple[str, Any, Any, Any, Callable[[Any], str]]:
    """(short name, limit, limit one step looser, limit 10% looser, formatter).

    The steps are those of :mod:`advisor.explain`: one money unit of budget, one
    percentage point of share, 0.1 of the reciprocity ratio (each clipped to its
    range: a share in [0, 1], a ratio >= 0). A condition has no limit: None.
    """
    key = r.location.split(": ", 1)[1]
    if r.kind == "reciprocity":
        rho = inst.reciprocity_ratio
        return "reciprocity", rho, max(0.0, rho - 0.1), rho * 0.9, ratio_text
    if r.kind == "budget" and inst.domestic_budget is not None:
        b = inst.domestic_budget
        return "domestic budget", b, b + 1.0, b * 1.1, money
    market = key.rsplit(".", 1)[-1]
    if r.kind == "cap" and market in inst.market_share_caps:
        c = inst.market_share_caps[market]
        return f"{market} cap", c, min(1.0, c + 0.01), min(1.0, c * 1.1), share_text
    if r.kind == "floor" and market in inst.market_share_floors:
        f = inst.market_share_floors[market]
        return f"{market} floor", f, max(0.0, f - 0.01), f * 0.9, share_text
    kinds = {c.condition: c.kind for c in inst.conditions}
    return f"{key} ({kinds.get(key, r.kind)})", None, None, None, str


def _costs(value: float | None, optimum: float) -> bool:
    """Whether removing a rule gains more than the objective tolerance."""
    return value is not None and value > tolerance(optimum)


def _gain(value: float | None) -> str:
    return "-" if value is None else money(value)


def _rule_sentence(inst: Instance, r: RulePrice, optimum: float) -> str:
    """A rule's price as a briefing bullet (Markdown)."""
    _, limit, one, ten, fmt = rule_limits(inst, r)
    cost = objective_amount(inst, r.removed or 0.0)
    if r.kind in ("cap", "floor"):
        market = r.location.rsplit(".", 1)[-1]
        verb = "Relaxing" if r.kind == "cap" else "Lowering"
        head = f"**The {market} market-share {r.kind} of {fmt(limit)} costs {cost}.**"
        step = (
            f"{verb} it by one point (to {fmt(one)}) would gain {_gain(r.relaxed_one_unit)}; "
            f"by 10% (to {fmt(ten)}), {_gain(r.relaxed_10pct)}."
        )
    elif r.kind == "reciprocity":
        times = "as much as" if limit == 1 else f"{fmt(limit)} times what"
        head = (
            f"**Reciprocity ({inst.counterpart} must receive at least {times} it "
            f"concedes) costs {cost}.**"
        )
        if math.isclose(one, ten):
            step = f"Lowering the ratio to {fmt(one)} would gain {_gain(r.relaxed_one_unit)}."
        else:
            step = (
                f"Lowering the ratio by 0.1 (to {fmt(one)}) would gain "
                f"{_gain(r.relaxed_one_unit)}; by 10% (to {fmt(ten)}), {_gain(r.relaxed_10pct)}."
            )
    elif r.kind == "budget":
        head = f"**The domestic budget of {fmt(limit)} costs {cost}.**"
        step = (
            f"One more {inst.unit} of budget would gain {_gain(r.relaxed_one_unit)}; 10% more "
            f"(to {fmt(ten)}), {_gain(r.relaxed_10pct)}."
        )
    else:
        key = r.location.split(": ", 1)[1]
        condition = next((c for c in inst.conditions if c.condition == key), None)
        text = condition.description if condition and condition.description else r.rule
        kind = condition.kind if condition else r.kind
        head = f"**Condition `{key}` ({kind}) costs {cost}**: {md(text)}"
        step = ""
    if r.removed is not None:
        head += f" Without it the best objective would be {money(optimum + r.removed)}."
    return f"{head} {step}".strip()


def _free_rule_name(inst: Instance, r: RulePrice) -> str:
    """A rule that costs nothing, named with its limit (Markdown)."""
    _, limit, _, _, fmt = rule_limits(inst, r)
    key = r.location.split(": ", 1)[1]
    if r.kind == "reciprocity":
        return f"reciprocity (ratio {fmt(limit)})"
    if r.kind == "budget":
        return f"the domestic budget of {fmt(limit)}"
    if r.kind in ("cap", "floor"):
        return f"the {key.rsplit('.', 1)[-1]} {r.kind} of {fmt(limit)}"
    return f"condition {md(key)}"


def _rule_row(inst: Instance, r: RulePrice) -> list[str]:
    """A rule's row of the table: its limit, the gains removed and relaxed, LP dual."""
    name, limit, one, ten, fmt = rule_limits(inst, r)

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


def _strategy_head(result: Result, s: Strategy) -> str:
    n = len(result.strategies)
    where = "the best" if s.rank == 1 else f"{money(s.gap_to_best)} below the best"
    return f"Strategy {s.rank} of {n} ({where}): objective {money(s.objective)}"


# ------------------------------------------------------------------------ table


def render_explanation_table(explanation: Explanation, result: Result) -> str:
    """Decision values and rule prices for a terminal, within 100 columns."""
    inst = result.instance
    unit = inst.money
    s = explanation.strategy
    title = f"Why strategy {s.rank}: {inst.name}"
    out = [title, "=" * min(WIDTH, len(title))]
    out += wrap(
        f"{inst.home} negotiating with {inst.counterpart}. Money in {unit}. Objective: "
        f"{objective_words(result)}."
    )
    for line in model_lines(result):
        out += wrap(line, "", "  ")
    out += wrap(
        f"{_strategy_head(result, s)}; {decomposition(inst, s)}; protected exports "
        f"{money(s.protected_value)} ({export_unit(inst)})."
    )
    if explanation.at_scale:  # 10,000 lines: by sector group (advisor.report.lines)
        asks = "; ".join(asks_text(inst, s)) or "none"
        out += wrap(f"Requests ({len(s.requests):,} tariff lines): {asks}.", "  ")
    else:
        out += wrap("Requests: " + (", ".join(r.request for r in s.requests) or "none") + ".", "  ")
    out += wrap("Offers: " + (", ".join(o.offer for o in s.offers) or "none") + ".", "  ")
    out.append("")
    out += wrap(
        f"What each decision is worth, in {objective_unit(inst)}: the best objective with that "
        "decision reversed "
        f"(in: dropped; out: added), everything else free to change; change: that objective "
        f"minus strategy {s.rank}'s; then: how the best package rearranges."
    )
    rows = [_decision_row(d) for d in explanation.decisions]
    out += text_table(["decision", "in", "reversed", "change", "then"], rows, "llrrl", "  ", 4)
    out.append("")
    if explanation.sector_moves:
        out += _sector_move_lines(explanation, inst)
    out += wrap(
        f"What each rule costs, in {objective_unit(inst)}: the gain in the best objective "
        f"({money(explanation.optimum)}) with the rule removed, or relaxed by one step (one "
        f"{inst.unit} of budget, one point of share, 0.1 of the ratio) or by 10%, all other "
        "rules kept."
    )
    rows = [_rule_row(inst, r) for r in explanation.rules]
    out += text_table(
        ["rule", "limit", "removed", "one step", "10%", "LP dual"], rows, "lrrrrr", "  ", 0
    )
    out += wrap(LP_WORDS.format(unit=unit, cp=inst.counterpart), "  ", "  ")
    if explanation.warnings:
        out += ["", "Warnings:"]
        for w in explanation.warnings:
            out += wrap(w, "  - ", "    ")
    return "\n".join(out) + "\n"


def _sector_move_lines(explanation: Explanation, inst: Instance) -> list[str]:
    """Each sector group's lines moved one tier up or down together, everything else kept."""
    out = wrap(
        f"Each sector's position as a whole, in {objective_unit(inst)}: every line of the "
        "sector moved one tier up (a lower tariff; a line not requested gets its least "
        "ambitious tier) or down (a higher tariff, or no request), every other decision "
        "kept (no re-solve); change: that strategy's objective minus this one's, or the "
        "rules it breaks."
    )
    rows = [
        [
            m.group,
            m.direction,
            f"{m.lines:,}",
            money(m.change) if m.change is not None else "-",
            ", ".join(m.broken) if m.broken else "",
        ]
        for m in explanation.sector_moves
    ]
    out += text_table(["sector", "move", "lines", "change", "breaks"], rows, "llrrl", "  ", 4)
    return [*out, ""]


# ------------------------------------------------------------------------ Markdown


def render_explanation_markdown(explanation: Explanation, result: Result) -> str:
    """The briefing "Why strategy N": its decisions and rules in words, then the tables."""
    inst = result.instance
    s = explanation.strategy
    out = [f"# Why strategy {s.rank}: {inst.name}", ""]
    out += md_paragraph(
        f"*{inst.home} negotiating with {inst.counterpart}. Money in {inst.money}. Objective: "
        f"{objective_words(result)}. {_strategy_head(result, s)}.*"
    )
    out.append("")
    for line in model_lines(result):
        out += md_paragraph(line, bullet=True)
    out += ["", "## The strategy", ""]
    lead = "The recommended strategy" if s.rank == 1 else f"Strategy {s.rank}"
    out += md_paragraph(summary(result, s, lead, by_group=explanation.at_scale))
    out += _md_decisions(explanation, inst)
    if explanation.sector_moves:
        out += ["", "## Each sector's position as a whole", ""]
        out += [f"- {md(m.summary)}" for m in explanation.sector_moves]
    out += _md_rules(explanation, inst)
    out += _md_tables(explanation, inst)
    out += ["## Caveats", ""]
    caveats = [
        *explanation.warnings,
        "Decision values and rule prices are exact re-solves of the model (HiGHS), one change "
        "at a time; they are not additive.",
        MODEL_CAVEAT,
    ]
    if s.rank > 1:
        caveats.append(
            f"Decision values are against strategy {s.rank}; rule prices against the best strategy."
        )
    for c in caveats:
        out += md_paragraph(c, bullet=True)
    out.append("")
    return "\n".join(out)


def _md_decisions(explanation: Explanation, inst: Instance) -> list[str]:
    """The weightiest chosen decisions in words, the others by value, then the additions.

    The additions named are those that would cost most and the cheapest one.
    """
    s = explanation.strategy
    out = ["", "## What its decisions are worth", ""]
    out += md_paragraph(
        "Each figure is a re-solve: the best strategy with that one decision reversed, "
        f"everything else free to change, against this strategy's objective of "
        f"{objective_amount(inst, s.objective)}."
    )
    out.append("")
    mine = [d for d in explanation.decisions if d.chosen]
    for d in mine[:BRIEF_DECISIONS]:
        out += md_paragraph(_decision_sentence(inst, d, s), bullet=True)
    rest = mine[BRIEF_DECISIONS:]
    if rest:
        out += md_paragraph(
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
        out += md_paragraph(
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
            out += md_paragraph(_decision_sentence(inst, d, s), bullet=True)
    return out


def _md_rules(explanation: Explanation, inst: Instance) -> list[str]:
    """The costly rules in words, dearest first, then the free ones and the LP duals.

    The free rules are named in one bullet; the LP duals are indicative.
    """
    optimum = explanation.optimum
    out = ["", "## What each rule costs", ""]
    out += md_paragraph(
        f"Each price is what the best objective ({objective_amount(inst, optimum)}) would gain "
        "with that one rule removed or relaxed, every other rule kept. Prices do not add up: "
        "rules interact."
    )
    out.append("")
    costly = sorted(
        (r for r in explanation.rules if _costs(r.removed, optimum)),
        key=lambda r: -(r.removed or 0.0),
    )
    for r in costly:
        out += md_paragraph(_rule_sentence(inst, r, optimum), bullet=True)
    free = [r for r in explanation.rules if not _costs(r.removed, optimum)]
    if free:
        names = [_free_rule_name(inst, r) for r in free if r.kind != "condition"]
        conditions = [f"`{r.location.split(': ', 1)[1]}`" for r in free if r.kind == "condition"]
        if conditions:
            names.append(f"condition{'s' if len(conditions) > 1 else ''} {listing(conditions)}")
        out += md_paragraph(
            "Rules that cost nothing here (removing any one alone would not raise the best "
            "objective): " + listing(names) + ".",
            bullet=True,
        )
    marginal = [r for r in explanation.rules if r.lp_marginal_value is not None]
    if marginal:
        out += ["", "### Marginal values (indicative)", ""]
        out += md_paragraph(LP_WORDS.format(unit=inst.money, cp=inst.counterpart))
        out.append("")
        out += md_paragraph(
            "; ".join(f"{rule_limits(inst, r)[0]} {r.lp_marginal_value:.3f}" for r in marginal)
            + "."
        )
    return out


def _md_tables(explanation: Explanation, inst: Instance) -> list[str]:
    """Every decision and every rule, as Markdown tables."""
    out = ["", "## Every decision", ""]
    out += md_table(
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
                md(inst.decision_name(d.decision)),
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
    out += md_table(
        ["Rule", "Where", "Limit", "Removed", "One step", "10%", "LP dual (indicative)"],
        [
            [md(row[0]), f"`{r.location}`", *row[1:]]
            for r, row in ((r, _rule_row(inst, r)) for r in explanation.rules)
        ],
        "llrrrrr",
    )
    optimum = explanation.optimum
    out += [""]
    out += wrap(
        f"Objective values and gains in {objective_unit(inst)}; gains are against the best "
        f"objective, {money(optimum)}.",
        "",
    )
    out += [""]
    return out
