r"""The explanation at tariff-line scale: what a negotiator decides, not each line.

Above :data:`SCALE_ABOVE` decisions :func:`advisor.explain` values

- **each offer**, dropped if chosen, added if not: z_o, the best objective with the
  offer flipped and everything else free. When the ranking is an exact list of
  distinct offer packages (``distinct_on = "offers"``, every listed package proven),
  the first listed package with o flipped *is* that best: a package with o flipped
  that is better would have been listed before it, since the list holds the K best
  values f(y) in order. Otherwise the offer-package search re-solves with o fixed;
- **each sector's position as a whole**: every line of the sector group moved one
  tier up (the next lower tariff among its tiers; a line not requested gets its
  least ambitious tier) or one tier down (the next higher tariff, or no request),
  everything else kept: the objective of that strategy and the rules it breaks,
  from the evaluator and the rule book (no re-solve);
- **each numeric limit and each condition family** (a sector's condition copied
  per line, ``c_glove-GLOVE.40151100``, ... priced as one rule ``c_glove``): removed,
  and for the limits relaxed by one unit and by 10%, each a re-solve by the
  offer-package search.

Lines are not valued one by one (the report says so); a time limit stops the
re-solves, and the explanation's warnings say what was not priced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from advisor.instance import Instance
from advisor.results import Result, Strategy
from advisor.rules import Rule, RuleBook
from advisor.tariff_lines import condition_pattern, group_members, group_of, sector_ids

SCALE_ABOVE = 200  # decisions: the offer-package search's threshold too


@dataclass(frozen=True)
class SectorMove:
    """Every line of a sector group moved one tier ``up`` or ``down``, all else kept.

    ``objective_if_moved`` is None when the moved strategy breaks a rule (``broken``).
    """

    group: str
    name: str
    direction: str
    lines: int
    objective_if_moved: float | None
    change: float | None
    broken: tuple[str, ...]

    @property
    def summary(self) -> str:
        """``IC up (2,443 lines): +12.3`` or ``IC down (...): breaks reciprocity``."""
        head = f"{self.group} {self.direction} ({self.lines:,} line{'s' * (self.lines != 1)})"
        if self.change is None:
            return f"{head}: breaks {', '.join(self.broken)}"
        return f"{head}: {self.change:+,.1f}"


def at_scale(instance: Instance) -> bool:
    """Whether :func:`advisor.explain` explains by offers, sectors and rule families."""
    return len(instance.decision_ids()) > SCALE_ABOVE


def listed_flips(result: Result, strategy: Strategy) -> dict[str, Strategy]:
    """Per offer, the best listed strategy with that offer flipped, when the list is exact.

    Empty unless the ranking lists distinct offer packages, each proven: then the
    first listed package with the offer flipped is the best of all such packages.
    """
    exact = result.status in ("optimal", "exhausted") and all(
        s.proven_optimal for s in result.strategies
    )
    if result.distinct_on != "offers" or not exact:
        return {}
    chosen = {o.offer for o in strategy.offers}
    found: dict[str, Strategy] = {}
    for s in result.strategies:
        offers = {o.offer for o in s.offers}
        for o in result.instance.offers:
            if (o.offer in chosen) != (o.offer in offers):
                found.setdefault(o.offer, s)
    return found


def line_moves(inst: Instance, before: frozenset[str], after: frozenset[str]) -> list[str]:
    """The offers and, per sector group, the lines a change of strategy moves.

    ``["LNG", "IC: 12 lines"]``: offers in file order, then groups in file order.
    """
    changed = before ^ after
    offers = [o.offer for o in inst.offers if o.offer in changed]
    requests = inst.request_by_id
    lines: dict[str, set[str]] = {}
    for d in changed:
        if d in requests:
            sector = requests[d].sector
            lines.setdefault(group_of(sector), set()).add(sector)
    order = list(group_members(inst))
    groups = [
        f"{g}: {len(lines[g]):,} line{'s' * (len(lines[g]) != 1)}"
        for g in sorted(lines, key=order.index)
    ]
    return offers + groups


def _step(inst: Instance, sector: str, current: str | None, direction: str) -> str | None:
    """The sector's tier one step up (lower tariff) or down (higher tariff, then none)."""
    tiers = inst.tiers_by_sector.get(sector, ())
    requests = inst.request_by_id
    ladder = sorted(tiers, key=lambda r: -requests[r].tariff)  # least ambitious first
    at = -1 if current is None else ladder.index(current)
    to = at + 1 if direction == "up" else at - 1
    if to < -1 or to >= len(ladder):
        return current
    return None if to == -1 else ladder[to]


def sector_moves(
    inst: Instance,
    strategy: Strategy,
    value: Callable[[frozenset[str]], float],
    rulebook: RuleBook,
) -> list[SectorMove]:
    """Each sector group moved one tier up and down, valued and checked (no re-solve)."""
    chosen = frozenset(strategy.decisions)
    tier_of = {r.sector: r.request for r in strategy.requests}
    names = {s.sector: s.name.split(", line ", 1)[0] for s in inst.sectors}
    moves = []
    for group, sectors in group_members(inst).items():
        for direction in ("up", "down"):
            out, into = set(), set()
            for sector in sectors:
                new = _step(inst, sector, tier_of.get(sector), direction)
                if new != tier_of.get(sector):
                    out |= {tier_of[sector]} if sector in tier_of else set()
                    into |= {new} if new is not None else set()
            if not out and not into:
                continue
            moved = (chosen - out) | into
            broken = _grouped_labels(inst, rulebook.violations(moved))
            objective = None if broken else float(value(moved))
            moves.append(
                SectorMove(
                    group,
                    names[sectors[0]],
                    direction,
                    max(len(out), len(into)),
                    objective,
                    None if objective is None else objective - strategy.objective,
                    tuple(broken),
                )
            )
    return moves


def _grouped_labels(inst: Instance, labels: Sequence[str]) -> list[str]:
    """Rule labels with a condition family named once: ``condition c_glove``."""
    ids = sector_ids(inst)
    out: list[str] = []
    for label in labels:
        if label.startswith("condition "):
            label = "condition " + condition_pattern(ids, label.removeprefix("condition "))
        if label not in out:
            out.append(label)
    return out


def rule_families(inst: Instance, rules: Sequence[Rule]) -> list[Rule]:
    """The rules with each condition family (one condition copied per line) as one rule.

    A family's rows are all its conditions' rows; its label reads
    ``condition c_glove (421 lines)``, its location ``conditions.csv: c_glove``.
    """
    ids = sector_ids(inst)
    families: dict[str, list[Rule]] = {}
    out: list[Rule | str] = []
    for rule in rules:
        if rule.kind != "condition":
            out.append(rule)
            continue
        key = condition_pattern(ids, rule.key)
        if key not in families:
            families[key] = []
            out.append(key)
        families[key].append(rule)
    return [r if isinstance(r, Rule) else _family(r, families[r]) for r in out]


def _family(key: str, members: list[Rule]) -> Rule:
    if len(members) == 1:
        return members[0]
    rows = tuple(row for rule in members for row in rule.constraints)
    first = members[0]
    label = f"condition {key} ({len(members):,} lines)"
    return Rule(first.kind, first.file, key, label, rows)
