"""The words of a ranked result that several reports share.

What the objective and the solver status mean, a binding rule stated with its limit,
how two strategies differ, the scenario measures (VSS and EVPI), what to say when
there is no strategy (with or without a :class:`~advisor.analysis.diagnose.Diagnosis`),
and the one-paragraph summary of a strategy that opens the Markdown brief and the
"Why strategy N" briefing. Plain text; callers wrap or escape it for their format.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from advisor.economics import sector_terms
from advisor.instance import Instance
from advisor.report.lines import asks_text
from advisor.report.text import listing, money, percent, share_text, signed_money, wrap
from advisor.results import MarketOutcome, Result, Strategy

if TYPE_CHECKING:
    from advisor.analysis.diagnose import Diagnosis

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
MODEL_CAVEAT = (
    "Values come from a constant-elasticity model of trade (WITS-SMART, GSIM) and the "
    "figures in the instance; estimates there carry their own uncertainty."
)


BINDING_DEFINITION = (
    "a rule is binding when removing it, or relaxing it one step, would raise the best "
    "objective by more than the tolerance, and it blocks a better single move from this "
    "strategy"
)
RECIPROCITY_WORDS = {
    "expected": "the counterpart comes out even on average over the scenarios",
    "every_scenario": "the counterpart comes out even in every scenario",
}
SHARES_WORDS = {
    "all_granted": "caps assume every request granted: cautious",
    "expected": "caps use acceptance-weighted exports",
}
SHARE_BASIS = {
    "all_granted": "every request assumed granted",
    "expected": "requests weighted by their acceptance",
}


# ------------------------------------------------------------------------ units


def value_weighted(inst: Instance) -> bool:
    """Whether any sector or offer effect weighs exports other than 1 in the objective."""
    return any(s.value_weight != 1 for s in inst.sectors) or any(
        e.value_weight is not None and e.value_weight != 1 for e in inst.offer_effects
    )


def export_unit(inst: Instance) -> str:
    """The unit of exports, protected exports and market exports: ``USD million of exports``."""
    return f"{inst.money} of exports"


def objective_unit(inst: Instance) -> str:
    """The unit of objective values, in words.

    ``objective units (USD million equivalent)`` when value weights apply; else
    exports net of the weighted offer cost, which is what an objective unit then is.
    """
    lam = f"{inst.offer_cost_weight:g}"
    if value_weighted(inst):
        return f"objective units ({inst.money} equivalent)"
    return f"objective units ({inst.money} of exports, net of {lam} x offer cost)"


def objective_amount(inst: Instance, value: float) -> str:
    """An objective figure in a sentence: ``2,745.0 objective units (USD million ...)``."""
    unit = f"{inst.money} equivalent" if value_weighted(inst) else inst.money
    return f"{money(value)} objective units ({unit})"


def decomposition(inst: Instance, s: Strategy) -> str:
    """``expected value V = weighted protected + offer effects - λ x offer cost``, in numbers.

    Every term but the offer cost is in objective units; the offer cost is money at
    home, weighted by λ (``offer_cost_weight``).
    """
    return f"expected value {money(s.expected_value)} = {decomposition_terms(inst, s)}"


def decomposition_terms(inst: Instance, s: Strategy) -> str:
    """The right-hand side of :func:`decomposition`."""
    lam = inst.offer_cost_weight
    protected = "value-weighted protected exports" if value_weighted(inst) else "protected exports"
    terms = (
        f"{protected} {money(s.weighted_protected_value)} + offer effects "
        f"{money(s.offer_effect_value)} - λ x offer cost ({lam:g} x {money(s.offer_cost)})"
    )
    if s.risk_moved:  # offers that move scenario probability (linkages.csv)
        terms += f" + no-deal loss the moved odds avoid {money(s.risk_moved)}"
    return terms


def model_lines(result: Result) -> list[str]:
    """What the objective counts and the model's options, one sentence each (plain text)."""
    inst = result.instance
    lam = f"{inst.offer_cost_weight:g}"
    effects = (
        "offer effects (offers' export changes) count"
        if inst.offer_effects_in_objective
        else "offer effects move market shares only (offer_effects_in_objective = false)"
    )
    if value_weighted(inst):
        weights = f"value weights on: exports weighted by value to {inst.home}"
        unit = f"{inst.money} equivalent"
    else:
        weights = "value weights off"
        unit = f"{inst.money} of exports"
    lines = [
        f"Value = protected exports + offer effects - λ x offer cost, λ = {lam}, in objective "
        f"units ({unit}); {weights}; {effects}.",
        f"Model: reciprocity {inst.reciprocity} ({RECIPROCITY_WORDS.get(inst.reciprocity, '')}); "
        f"shares {inst.shares} ({SHARES_WORDS.get(inst.shares, '')}); "
        + ("linkages as listed below." if inst.linkages else "no linkages."),
    ]
    if inst.linkages:
        links = []
        for link in inst.linkages:
            if link.effect == "acceptance":
                links.append(
                    f"{link.offer} raises {link.target}'s acceptance to {percent(link.value)}"
                )
            else:
                links.append(
                    f"{link.offer} moves {percent(link.value)} of probability from "
                    f"{link.target} to {link.to}"
                )
        lines.append("Linkages (offers that change the odds): " + "; ".join(links) + ".")
    return lines


# ------------------------------------------------------------------------ scenarios


def exports_at_risk(inst: Instance) -> dict[str, float]:
    """Each scenario's exports to the counterpart lost to its threat, with no deal."""
    return {
        w.name: sum(sector_terms(s, w).value_at_risk for s in inst.sectors) for w in inst.scenarios
    }


def threat_names(inst: Instance) -> dict[str, str]:
    """``most threatened`` and ``least threatened`` by scenario (by exports at risk).

    Empty with one scenario, or when every scenario puts the same exports at risk.
    """
    if len(inst.scenarios) < 2:
        return {}
    risk = exports_at_risk(inst)
    most = max(risk, key=lambda w: (risk[w], w))
    least = min(risk, key=lambda w: (risk[w], w))
    if risk[most] == risk[least]:
        return {}
    return {most: "most threatened", least: "least threatened"}


def scenario_name(inst: Instance, scenario: str, names: dict[str, str] | None = None) -> str:
    """``scenario chips_100 (most threatened)``, or ``scenario base``."""
    names = threat_names(inst) if names is None else names
    what = names.get(scenario)
    return f"scenario {scenario}" + (f" ({what})" if what else "")


# ------------------------------------------------------------------------ markets


def market_limit_text(inst: Instance, m: MarketOutcome) -> str:
    """A capped or floored market by scenario, the constrained one marked.

    ``USA 16.4% in exemptions_kept (cap 16.5%, tightest), 15.2% in s232_25`` ...; with
    one scenario ``USA 16.4% (cap 16.5%)``. Empty for a market without a limit.
    """
    if m.limit is None or m.limit_share is None:
        return ""
    limit = f"{m.limit} {share_text(m.limit_share)}"
    if len(m.scenario_shares) <= 1:
        share = next(iter(m.scenario_shares.values()), m.share)
        return f"{m.market} {percent(share)} ({limit})"
    parts = [
        f"{percent(v)} in {w}" + (f" ({limit}, tightest)" if w == m.closest_scenario else "")
        for w, v in m.scenario_shares.items()
    ]
    return f"{m.market}: " + ", ".join(parts)


def share_basis(inst: Instance) -> str:
    """How the shares are computed: probability-weighted, and the share mode."""
    return f"probability-weighted over the scenarios, {SHARE_BASIS.get(inst.shares, inst.shares)}"


# ------------------------------------------------------------------------ binding rules

_SCENARIO_RULE = re.compile(r"(.+?) \[(.+)\]")


def binding_groups(rules: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Binding labels grouped by rule: (rule, its scenarios in order; [] if none).

    ``market share cap USA [a]`` and ``market share cap USA [b]`` are one rule with
    scenarios a and b; ``reciprocity`` and ``reciprocity [storm]`` one rule too.
    """
    groups: dict[str, list[str]] = {}
    for label in rules:
        match = _SCENARIO_RULE.fullmatch(label)
        rule, scenario = match.groups() if match else (label, None)
        found = groups.setdefault(rule, [])
        if scenario is not None and scenario not in found:
            found.append(scenario)
    return list(groups.items())


def binding_text(
    result: Result, rule: str, scenarios: Sequence[str], described: Sequence[str] = ()
) -> str:
    """A grouped binding rule in one line.

    ``market-share cap USA (16.5%): scenarios exemptions_kept, peers_exempted``;
    ``reciprocity (value to USA >= 1 x its cost): scenario storm``; a condition with
    its description (or "(above)" if in ``described``).
    """
    inst = result.instance
    where = ""
    if scenarios:
        where = f": scenario{'s' if len(scenarios) > 1 else ''} {', '.join(scenarios)}"
    match = re.fullmatch(r"market share (cap|floor) (\S+)", rule)
    if match:
        kind, market = match.groups()
        limits = inst.market_share_caps if kind == "cap" else inst.market_share_floors
        limit = f" ({share_text(limits[market])})" if market in limits else ""
        return f"market-share {kind} {market}{limit}{where}"
    if rule == "reciprocity":
        return (
            f"reciprocity (value to {inst.counterpart} >= {inst.reciprocity_ratio:g} x its cost "
            f"of the requests, {inst.reciprocity}){where}"
        )
    return rule_text(result, rule, described) + where


def objective_words(result: Result) -> str:
    """What the ranking maximises, in words.

    With one scenario, expected and worst case are the same value, so it is said in
    the model's own terms.
    """
    if len(result.instance.scenarios) == 1 and result.objective in ("expected", "worst_case"):
        return "value in the one scenario"
    return OBJECTIVE_WORDS.get(result.objective, result.objective)


def status_line(result: Result) -> str:
    """``optimal (each listed strategy is ...)``; a gap status names the gap."""
    words = STATUS_WORDS.get(result.status, "")
    if result.status == "gap":
        words = (
            f"solved to a relative MIP gap of {percent(result.mip_gap)}: " + words.split(": ", 1)[1]
        )
    return f"{result.status} ({words})" if words else result.status


def solver_line(result: Result) -> str:
    """The closing line: solver, status, wall time, gap and number of solves."""
    s = result.solver
    return (
        f"Solver: {s.name} {s.version}; status {result.status}; {s.time_s:.2f} s; "
        f"gap {percent(s.gap)}; {s.solves} solve{'s' if s.solves != 1 else ''}"
        + ("; offer-package search" if s.search == "packages" else "")
    )


def several_scenarios(result: Result) -> bool:
    """Whether the instance has more than one scenario."""
    return len(result.instance.scenarios) > 1


def measure_lines(result: Result) -> list[str]:
    """VSS = RP - EEV and EVPI = WS - RP in sentences; none without the measures."""
    m = result.scenario_measures
    if m is None:
        return []
    unit = "objective units"
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


def condition_text(result: Result) -> dict[str, str]:
    """Each condition's description, by condition id."""
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
        text = condition_text(result).get(cid)
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


def difference_text(first: Strategy, other: Strategy) -> str:
    """``adds A, B; drops C``, or ``same decisions``."""
    added, dropped = differences(first, other)
    parts = []
    if added:
        parts.append("adds " + ", ".join(added))
    if dropped:
        parts.append("drops " + ", ".join(dropped))
    return "; ".join(parts) or "same decisions"


def diagnosis_lines(diagnosis: Diagnosis, indent: str = "  ") -> list[str]:
    """The conflicting rules, each with its location and its smallest fix (wrapped)."""
    if diagnosis.feasible:
        return wrap(
            "The diagnosis finds the rules satisfiable: the solver stopped for another "
            "reason (numerical trouble or a limit); try again with --gap or --time-limit."
        )
    n = len(diagnosis.conflicts)
    lines = wrap(
        f"These {n} rule{'s' if n != 1 else ''} conflict: together they leave no strategy, "
        "and without any one of them the others can be met. Each fix is the smallest change "
        "of that rule alone, every other rule kept:"
    )
    for c in diagnosis.conflicts:
        lines += wrap(f"- {c.location}", indent, indent + "  ")
        lines += wrap(c.rule, indent + "    ", indent + "      ")
        lines += wrap(f"fix: {c.fix}", indent + "    ", indent + "      ")
    return lines


def no_strategy_lines(result: Result, diagnosis: Diagnosis | None = None) -> list[str]:
    """Why a result lists no strategy and what to try (wrapped).

    Infeasible: the diagnosis if given, else the rules that even the empty package
    breaks (``result.empty_package_violations``) and a general hint. Otherwise the
    solver stopped before finding one.
    """
    if result.status == "infeasible" and diagnosis is not None:
        return wrap("No strategy satisfies the rules of this instance.") + diagnosis_lines(
            diagnosis
        )
    if result.status == "infeasible":
        lines = wrap("No strategy satisfies the rules of this instance.")
        broken = result.empty_package_violations
        if broken:
            lines += wrap(
                "Even asking for nothing and offering nothing breaks: " + ", ".join(broken) + "."
            )
        return lines + wrap(INFEASIBLE_HINT + " " + DIAGNOSE_HINT)
    return wrap(
        "No strategy was found before the solver stopped. Allow more time "
        "(--time-limit) or a larger MIP gap (--gap)."
    )


def summary(
    result: Result, s: Strategy, lead: str = "The recommended strategy", by_group: bool = False
) -> str:
    """A strategy in one paragraph.

    What it asks and offers, what it protects and costs, the counterpart's balance,
    the largest market after the deal, the range over the scenarios, and (for rank 1)
    the margin over the runner-up.
    """
    inst = result.instance
    unit = inst.money
    by_tier: dict[str, list[str]] = {}
    for r in s.requests:
        by_tier.setdefault(r.tier, []).append(r.sector_name)
    asks = [f"{tier} on {listing(names)}" for tier, names in by_tier.items()]
    if by_group:  # tariff-line scale: lines per sector group (advisor.report.lines)
        asks = [f"tariff lines of {listing(asks_text(inst, s))}"] if s.requests else []
    gives = [o.name for o in s.offers]
    text = f"{lead} asks {inst.counterpart} for "
    text += "; ".join(asks) if asks else "nothing"
    text += f"; and offers {listing(gives)} in return. " if gives else "; and offers nothing. "
    text += (
        f"It protects an expected {money(s.protected_value)} {export_unit(inst)} at a "
        f"domestic cost of {money(s.offer_cost)} {unit}, an objective of "
        f"{objective_amount(inst, s.objective)}"
    )
    if result.objective == "expected" or len(inst.scenarios) == 1:
        text += f": the {objective_words(result)}, {decomposition_terms(inst, s)}. "
    else:
        text += f" ({objective_words(result)}); its {decomposition(inst, s)}. "
    text += (
        f"{inst.counterpart} receives {money(s.counterpart_value)} {unit} of value against "
        f"{money(s.counterpart_cost)} {unit} it concedes (balance "
        f"{signed_money(s.reciprocity_balance)}). "
    )
    largest = s.largest_market
    text += (
        f"After the deal, {largest.market} is the largest market for {inst.home}'s exports, "
        f"with a share of {percent(largest.share)} ({share_basis(inst)})."
    )
    if len(inst.scenarios) > 1:
        # named by what they are, not "worst" and "best": the scenario where the deal
        # is worth most is often the one in which home is most threatened
        names = threat_names(inst)
        low = min(s.scenario_values, key=lambda w: (s.scenario_values[w], w))
        high = max(s.scenario_values, key=lambda w: (s.scenario_values[w], w))
        text += (
            f" Its value ranges from {money(s.scenario_values[low])} in "
            f"{scenario_name(inst, low, names)} to {money(s.scenario_values[high])} in "
            f"{scenario_name(inst, high, names)}."
        )
    if len(result.strategies) > 1 and s.rank == 1:
        runner = result.strategies[1]
        text += f" The next best strategy scores {money(runner.gap_to_best)} less."
    return text
