"""How the treaty conditions tie one decision to the others, as data for the reports.

A condition member is a request, an offer or a sector id, and a sector id stands for
any of its request tiers (:meth:`Instance.member_decisions`). Given a decision and a
package, this module answers three questions with condition ids, decision or member
ids and counts, leaving the words to :mod:`advisor.report`: which decisions of a
package need it (:func:`unlocks`: it is an object of their ``requires`` or
``requires_one_of`` condition), which conditions forbid adding it (:func:`obstacles`),
and what it holds up in a strategy (:func:`holds`: the reciprocity balance, or an
``at_least`` condition met exactly). Ids keep the order of the package given and of
``conditions.csv``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from advisor.instance import Condition, Instance
from advisor.results import Strategy, tolerance


@dataclass(frozen=True)
class Link:
    """A condition that ties a decision to other decisions.

    ``kind`` is the condition's kind and ``ids`` the decisions or members it names,
    which depend on the question asked (see :func:`unlocks`, :func:`obstacles`,
    :func:`holds`); ``count`` is the k of an ``at_most`` or ``at_least`` condition.
    """

    condition: str
    kind: str
    ids: tuple[str, ...]
    count: int | None = None


@dataclass(frozen=True)
class Holds:
    """What a chosen decision holds up in a strategy.

    ``balance``: the decision is an offer worth more to the counterpart than the
    strategy's reciprocity balance B = g - rho c, so without it B < 0 (beyond the
    objective tolerance). ``conditions``: the ``at_least`` conditions it belongs to
    that the strategy meets exactly (sum of member counts = k), as :class:`Link` with
    ``ids`` the group and ``count`` k: dropping it would break them.
    """

    balance: bool
    conditions: tuple[Link, ...]


def is_member(instance: Instance, decision: str, member: str) -> bool:
    """Whether condition member ``member`` stands for ``decision``."""
    return decision in instance.member_decisions(member)


def stands_for(instance: Instance, member: str, ids: Iterable[str]) -> list[str]:
    """The decisions among ``ids`` that ``member`` stands for, in the order of ``ids``."""
    decisions = instance.member_decisions(member)
    return [d for d in ids if d in decisions]


def _names(instance: Instance, decision: str, members: Iterable[str]) -> bool:
    return any(is_member(instance, decision, m) for m in members)


def unlocks(instance: Instance, decision: str, dropped: Sequence[str]) -> tuple[Link, ...]:
    """The ``requires`` and ``requires_one_of`` conditions with ``decision`` among their objects.

    Each comes with ``ids``: the decisions of ``dropped`` its subject stands for (those
    that need ``decision``). Conditions with none are left out.
    """
    out = []
    for c in instance.conditions:
        if c.kind in ("requires", "requires_one_of") and _names(instance, decision, c.objects):
            needing = stands_for(instance, c.subject, dropped)
            if needing:
                out.append(Link(c.condition, c.kind, tuple(needing)))
    return tuple(out)


def _obstacle(
    instance: Instance,
    c: Condition,
    decision: str,
    chosen: Sequence[str],
    package: frozenset[str],
) -> Link | None:
    """Why condition ``c`` forbids adding ``decision`` to ``chosen``, or None if it does not.

    ``package`` is ``chosen`` as a set, built once by the caller.

    ``ids``: for ``requires``, the objects none of whose decisions is chosen; for
    ``requires_one_of``, all the objects (none is chosen); for ``excludes``, the chosen
    decisions it rules out; for ``at_most``, the group, already at its count k.
    """
    subject = is_member(instance, decision, c.subject)
    ids: Sequence[str] | None = None
    if c.kind == "requires" and subject:
        ids = [o for o in c.objects if instance.member_count(o, package) == 0] or None
    elif c.kind == "requires_one_of" and subject:
        if all(instance.member_count(o, package) == 0 for o in c.objects):
            ids = c.objects
    elif c.kind == "excludes":
        if subject:
            ids = [d for o in c.objects for d in stands_for(instance, o, chosen)] or None
        elif _names(instance, decision, c.objects):
            ids = stands_for(instance, c.subject, chosen) or None
    elif c.kind == "at_most" and _names(instance, decision, c.members):
        used = sum(instance.member_count(m, package) for m in c.members)
        if c.count is not None and used >= c.count:
            ids = c.members
    return None if ids is None else Link(c.condition, c.kind, tuple(ids), c.count)


def obstacles(instance: Instance, decision: str, chosen: Sequence[str]) -> tuple[Link, ...]:
    """The conditions that adding ``decision`` to the package ``chosen`` would break.

    Their ``ids`` are as in :func:`_obstacle`; they come in ``conditions.csv`` order.
    """
    package = frozenset(chosen)
    found = (_obstacle(instance, c, decision, chosen, package) for c in instance.conditions)
    return tuple(link for link in found if link is not None)


def holds(instance: Instance, decision: str, strategy: Strategy) -> Holds:
    """What chosen ``decision`` holds up in ``strategy`` (see :class:`Holds`)."""
    offer = instance.offer_by_id.get(decision)
    balance = offer is not None and offer.counterpart_value > (
        strategy.reciprocity_balance + tolerance(strategy.counterpart_value)
    )
    package = frozenset(strategy.decisions)
    exact = tuple(
        Link(c.condition, c.kind, c.members, c.count)
        for c in instance.conditions
        if c.kind == "at_least"
        and _names(instance, decision, c.members)
        and sum(instance.member_count(m, package) for m in c.members) == c.count
    )
    return Holds(balance, exact)
