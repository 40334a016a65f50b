"""Tariff lines grouped for the reports: a strategy at 10,000 lines a person can read.

A tariff-line instance (``python -m advisor.generate``) names each line
``SECTOR.HSCODE`` and copies a sector's conditions once per line, as
``CONDITION-SECTOR.HSCODE``. Listing every line of every strategy made a 10,000-line
top-10 report 171,576 lines long. Above :data:`GROUP_ABOVE` decisions the table and
Markdown reports instead give, per **sector group** (the id before the first ``.``),
how many of its lines each tier gets, what they protect and what they cost the
counterpart; the conditions by their **pattern** (the id without its line suffix,
``c_glove: 421 lines``); and strategies compared by offers and by lines moved per
sector. The totals are the line-level sums (tested); the line-level detail stays in
the CSV and JSON reports and behind ``--detail lines``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from advisor.instance import Instance
from advisor.report.text import listing
from advisor.results import Result, Strategy
from advisor.tariff_lines import condition_pattern, group_of, sector_ids

GROUP_ABOVE = 200  # decisions (requests + offers): the offer-package search's threshold too
DETAILS = ("auto", "lines", "sectors")


def grouped(result: Result, detail: str = "auto") -> bool:
    """Whether a report lists lines by sector group: ``sectors``, or ``auto`` at scale."""
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {', '.join(DETAILS)}, got {detail!r}")
    if detail != "auto":
        return detail == "sectors"
    inst = result.instance
    return len(inst.requests) + len(inst.offers) > GROUP_ABOVE


def group_names(inst: Instance) -> dict[str, str]:
    """Each group's name (its first line's name before ``, line``) and its line count."""
    names: dict[str, str] = {}
    for s in inst.sectors:
        names.setdefault(group_of(s.sector), s.name.split(", line ", 1)[0])
    return names


def group_sizes(inst: Instance) -> dict[str, int]:
    """How many lines (sectors) each group has, in file order."""
    sizes: dict[str, int] = {}
    for s in inst.sectors:
        key = group_of(s.sector)
        sizes[key] = sizes.get(key, 0) + 1
    return sizes


@dataclass(frozen=True)
class GroupRequests:
    """A sector group's requests in one strategy: lines per tier and their sums."""

    group: str
    name: str
    lines: int
    requested: int
    tiers: tuple[tuple[str, int], ...]  # (tier, lines), most lines first, then tier
    protected_value: float
    counterpart_cost: float

    def tier_text(self) -> str:
        """``1,000 cap 10%, 141 permanent 0%``."""
        return ", ".join(f"{n:,} {tier}" for tier, n in self.tiers)


def request_groups(inst: Instance, s: Strategy) -> list[GroupRequests]:
    """The strategy's requests per sector group, groups in file order (requested only)."""
    names, sizes = group_names(inst), group_sizes(inst)
    tiers: dict[str, dict[str, int]] = {}
    protected: dict[str, float] = {}
    cost: dict[str, float] = {}
    for r in s.requests:
        key = group_of(r.sector)
        counts = tiers.setdefault(key, {})
        counts[r.tier] = counts.get(r.tier, 0) + 1
        protected[key] = protected.get(key, 0.0) + r.protected_value
        cost[key] = cost.get(key, 0.0) + r.counterpart_cost
    return [
        GroupRequests(
            group=key,
            name=names[key],
            lines=sizes[key],
            requested=sum(tiers[key].values()),
            tiers=tuple(sorted(tiers[key].items(), key=lambda t: (-t[1], t[0]))),
            protected_value=protected[key],
            counterpart_cost=cost[key],
        )
        for key in sizes
        if key in tiers
    ]


def asks_text(inst: Instance, s: Strategy) -> list[str]:
    """``IC all 2,443 lines cap 10%``, ``DISC 600 of 612 lines (419 cap 10%, 181 ...)``."""
    out = []
    for g in request_groups(inst, s):
        count = f"all {g.lines:,}" if g.requested == g.lines else f"{g.requested:,} of {g.lines:,}"
        tiers = g.tiers[0][0] if len(g.tiers) == 1 else f"({g.tier_text()})"
        out.append(f"{g.group} {count} line{'s' * (g.lines != 1)} {tiers}")
    return out


def condition_groups(inst: Instance, conditions: Iterable[str]) -> list[tuple[str, int, str]]:
    """(pattern, how many, description) per pattern, in order of first appearance.

    The description is the pattern's own when its conditions share one, else empty.
    """
    text = {c.condition: c.description for c in inst.conditions}
    ids = sector_ids(inst)
    counts: dict[str, int] = {}
    described: dict[str, str | None] = {}
    for cid in conditions:
        key = condition_pattern(ids, cid)
        counts[key] = counts.get(key, 0) + 1
        desc = text.get(cid, "")
        described[key] = desc if described.get(key, desc) == desc else ""
    return [(key, n, described[key] or "") for key, n in counts.items()]


def condition_group_text(pattern: str, n: int, description: str = "") -> str:
    """``c_glove: 421 lines: <description>``; a condition not per line keeps its id."""
    head = f"{pattern} ({n:,} lines)" if n > 1 else pattern
    return f"{head}: {description}" if description else head


def binding_labels(inst: Instance, rules: Sequence[str]) -> list[str]:
    """Binding rule labels with line conditions grouped: ``condition c_x (12 lines)``."""
    conditions = [r.removeprefix("condition ") for r in rules if r.startswith("condition ")]
    counts = {key: n for key, n, _ in condition_groups(inst, conditions)}
    ids = sector_ids(inst)
    out: list[str] = []
    for rule in rules:
        if rule.startswith("condition "):
            key = condition_pattern(ids, rule.removeprefix("condition "))
            rule = f"condition {condition_group_text(key, counts[key])}"
        if rule not in out:
            out.append(rule)
    return out


def group_difference_text(inst: Instance, first: Strategy, other: Strategy) -> str:
    """How ``other`` differs from ``first`` by offers and by lines per sector group.

    ``adds LNG; drops IP; IC: 12 lines added, 3 dropped, 40 change tier``, or
    ``same decisions``.
    """
    a = {o.offer for o in first.offers}
    b = {o.offer for o in other.offers}
    parts = []
    added = [o.offer for o in other.offers if o.offer not in a]
    dropped = [o.offer for o in first.offers if o.offer not in b]
    if added:
        parts.append("adds " + listing(added))
    if dropped:
        parts.append("drops " + listing(dropped))
    parts += _line_moves(inst, first, other)
    return "; ".join(parts) or "same decisions"


def _line_moves(inst: Instance, first: Strategy, other: Strategy) -> list[str]:
    """Per sector group: lines added, dropped and changing tier from ``first`` to ``other``."""
    tier_a = {r.sector: r.tier for r in first.requests}
    tier_b = {r.sector: r.tier for r in other.requests}
    moves: dict[str, list[int]] = {}
    for sector in dict.fromkeys([*tier_a, *tier_b]):
        before, after = tier_a.get(sector), tier_b.get(sector)
        if before == after:
            continue
        kind = 0 if before is None else 1 if after is None else 2
        moves.setdefault(group_of(sector), [0, 0, 0])[kind] += 1
    order = list(group_sizes(inst))
    out = []
    for key in sorted(moves, key=order.index):
        n_add, n_drop, n_move = moves[key]
        words = [
            f"{n:,} line{'s' * (n != 1)} {what}"
            for n, what in (
                (n_add, "added"),
                (n_drop, "dropped"),
                (n_move, "change tier" if n_move != 1 else "changes tier"),
            )
            if n
        ]
        out.append(f"{key}: " + ", ".join(words))
    return out
