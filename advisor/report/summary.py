"""The short answer before the long one: the recommendation in a few lines.

:func:`summary_lines` says what strategy 1 asks for and offers, what it protects
and costs, and what limits it (three sentences), then what every listed strategy
shares and where they differ. The table report opens with it, ``--brief`` prints
only it, and the HTML briefing leads with it.
"""

from __future__ import annotations

from advisor.report.lines import asks_text, binding_labels, group_of, grouped
from advisor.report.text import listing, money, wrap
from advisor.report.words import binding_groups, export_unit, objective_unit
from advisor.results import Result, Strategy


def _asks(result: Result, s: Strategy, by_group: bool) -> str:
    if not s.requests:
        return "nothing"
    if by_group:
        return listing(asks_text(result.instance, s))
    return listing([f"{r.sector} {r.tier}" for r in s.requests])


def _offers(s: Strategy) -> str:
    return listing([o.name for o in s.offers]) if s.offers else "nothing"


def recommendation(result: Result, by_group: bool = False) -> list[str]:
    """Strategy 1 in three sentences: the package, its value and cost, its limits.

    ``by_group``: requests and line conditions grouped by sector and by pattern.
    """
    inst, s = result.instance, result.strategies[0]
    rules = [rule for rule, _ in binding_groups(s.binding_constraints)]
    if by_group:
        rules = binding_labels(inst, rules)
    limits = listing(rules) if rules else "no rule binds it (a better package breaks none)"
    return [
        f"Recommended: ask {inst.counterpart} for {_asks(result, s, by_group)}; "
        f"offer {_offers(s)}.",
        f"It protects {money(s.protected_value)} of expected exports ({export_unit(inst)}) "
        f"for a domestic cost of {money(s.offer_cost)} ({inst.money}): objective "
        f"{money(s.objective)} in {objective_unit(inst)}.",
        f"What limits it: {limits}.",
    ]


def agreement(result: Result, by_group: bool = False) -> list[str]:
    """What every listed strategy shares, and the decisions on which they differ."""
    strategies = result.strategies
    if len(strategies) < 2:
        return []
    if by_group:
        return _group_agreement(result)
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


def _group_agreement(result: Result) -> list[str]:
    """:func:`agreement` at scale: shared offers, and lines that differ per sector group."""
    strategies = result.strategies
    offers = [{o.offer for o in s.offers} for s in strategies]
    common, every = set.intersection(*offers), set.union(*offers)
    order = list(dict.fromkeys(o.offer for s in strategies for o in s.offers))
    requests = [set(s.decisions) - offers[i] for i, s in enumerate(strategies)]
    same = set.intersection(*requests)
    differ: dict[str, int] = {}
    for sector in {r.sector for s in strategies for r in s.requests if r.request not in same}:
        key = group_of(sector)
        differ[key] = differ.get(key, 0) + 1
    low, high = min(s.objective for s in strategies), max(s.objective for s in strategies)
    shared = listing([o for o in order if o in common]) or "no offer"
    varied = listing([o for o in order if o in every - common]) or "no offer"
    lines = listing([f"{k} {n:,}" for k, n in sorted(differ.items())]) or "none"
    return [
        f"All {len(strategies)} listed strategies share the offers {shared} and "
        f"{len(same):,} line requests; they differ in the offers {varied} and in the lines "
        f"of {lines} (objectives {money(low)} to {money(high)})."
    ]


def summary_lines(result: Result, detail: str = "auto") -> list[str]:
    """The short answer, wrapped to the report width (empty without a strategy).

    ``detail``: ``lines`` lists every request, ``sectors`` groups lines by sector,
    ``auto`` groups them above :data:`~advisor.report.lines.GROUP_ABOVE` decisions.
    """
    if not result.strategies:
        return []
    by_group = grouped(result, detail)
    lines: list[str] = []
    for sentence in [*recommendation(result, by_group), *agreement(result, by_group)]:
        lines += wrap(sentence, "", "  ")
    return lines


def render_summary(result: Result) -> str:
    """``--brief``: the title and the short answer only."""
    inst = result.instance
    body = summary_lines(result) or [f"No strategy satisfies the rules ({result.status})."]
    return "\n".join([inst.name, *body]) + "\n"
