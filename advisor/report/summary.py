"""The short answer before the long one: the recommendation in a few lines.

:func:`summary_lines` says what strategy 1 asks for and offers, what it protects
and costs, and what limits it (three sentences), then what every listed strategy
shares and where they differ. The table report opens with it, ``--brief`` prints
only it, and the HTML briefing leads with it.
"""

from __future__ import annotations

from advisor.report.text import listing, money, wrap
from advisor.report.words import binding_groups, export_unit, objective_unit
from advisor.results import Result, Strategy


def _asks(s: Strategy) -> str:
    return listing([f"{r.sector} {r.tier}" for r in s.requests]) if s.requests else "nothing"


def _offers(s: Strategy) -> str:
    return listing([o.name for o in s.offers]) if s.offers else "nothing"


def recommendation(result: Result) -> list[str]:
    """Strategy 1 in three sentences: the package, its value and cost, its limits."""
    inst, s = result.instance, result.strategies[0]
    rules = [rule for rule, _ in binding_groups(s.binding_constraints)]
    limits = listing(rules) if rules else "no rule binds it (a better package breaks none)"
    return [
        f"Recommended: ask {inst.counterpart} for {_asks(s)}; offer {_offers(s)}.",
        f"It protects {money(s.protected_value)} of expected exports ({export_unit(inst)}) "
        f"for a domestic cost of {money(s.offer_cost)} ({inst.money}): objective "
        f"{money(s.objective)} in {objective_unit(inst)}.",
        f"What limits it: {limits}.",
    ]


def agreement(result: Result) -> list[str]:
    """What every listed strategy shares, and the decisions on which they differ."""
    strategies = result.strategies
    if len(strategies) < 2:
        return []
    sets = [set(s.decisions) for s in strategies]
    common = set.intersection(*sets)
    differ = set.union(*sets) - common
    low, high = min(s.objective for s in strategies), max(s.objective for s in strategies)
    order = [d for s in strategies for d in s.decisions]
    ranked = sorted(set(order), key=order.index)
    shared = listing([d for d in ranked if d in common]) if common else "no decision"
    return [
        f"All {len(strategies)} listed strategies share {shared}; they differ in "
        f"{listing([d for d in ranked if d in differ])} (objectives {money(low)} to "
        f"{money(high)}).",
    ]


def summary_lines(result: Result) -> list[str]:
    """The short answer, wrapped to the report width (empty without a strategy)."""
    if not result.strategies:
        return []
    lines: list[str] = []
    for sentence in [*recommendation(result), *agreement(result)]:
        lines += wrap(sentence, "", "  ")
    return lines


def render_summary(result: Result) -> str:
    """``--brief``: the title and the short answer only."""
    inst = result.instance
    body = summary_lines(result) or [f"No strategy satisfies the rules ({result.status})."]
    return "\n".join([inst.name, *body]) + "\n"
