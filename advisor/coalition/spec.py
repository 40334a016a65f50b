"""The validated, immutable description of a coalition ("collective yet tiered").

A :class:`Coalition` is what :func:`advisor.load_coalition` returns: the member
countries (each with its own :class:`~advisor.instance.Instance`, its tier and its
export weight), the joint commitments they may make together, who may take part
in each and at what domestic cost, their effects on the participants' markets, and
the rules across members. Money is in the members' common currency unit (every
member must use the same one; the loader checks it).

Tiers: a ``core`` member joins every joint commitment it is eligible for once the
commitment is made; an ``associate`` chooses commitment by commitment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from advisor.instance import Instance

TIERS = ("core", "associate")
SPLITS = ("equal", "export_weight")
COALITION_OBJECTIVES = ("utilitarian", "egalitarian")
RATIONALITY = ("enforce", "report")


@dataclass(frozen=True)
class Member:
    """One member: its id, its own instance, its tier and its export weight.

    ``export_weight`` weighs the member's share of a joint commitment's value when
    the split is ``export_weight`` (default: its exports to the counterpart,
    the sum of its ``sectors.csv`` exports). ``path`` is as written in
    ``coalition.toml`` (relative to the coalition folder).
    """

    member: str
    instance: Instance
    tier: str
    export_weight: float
    path: str = ""


@dataclass(frozen=True)
class JointOffer:
    """A commitment the members make together.

    Its value to the counterpart when the set P of members takes part is
    ``base_value * |P| + leverage_bonus * [|P| >= leverage_min]``; it is made only
    with at least ``min_members`` participants.
    """

    joint_offer: str
    name: str
    category: str
    base_value: float
    leverage_bonus: float
    leverage_min: int
    min_members: int
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class Participation:
    """Member ``member`` may take part in ``joint_offer``, at ``domestic_cost`` to itself."""

    joint_offer: str
    member: str
    domestic_cost: float
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class JointEffect:
    """The change in ``member``'s exports to ``market`` if it takes part in ``joint_offer``."""

    joint_offer: str
    member: str
    market: str
    export_change: float
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class Term:
    """One reference of a joint condition.

    ``member`` empty: joint offer ``ref`` is made (by anyone). Otherwise ``ref`` is
    a joint offer (``member`` takes part in it) or a request, offer or sector of
    ``member``'s own instance.
    """

    member: str
    ref: str

    def __str__(self) -> str:
        """``MYS:ROO`` or ``ROO``, as written in ``joint_conditions.csv``."""
        return f"{self.member}:{self.ref}" if self.member else self.ref


@dataclass(frozen=True)
class JointCondition:
    """A rule across members, of one of the instance condition kinds.

    It binds a (sub-)coalition only when it has at least two members and every
    member the condition names is in it: a member negotiating alone is bound by its
    own instance only.
    """

    condition: str
    kind: str
    terms: tuple[Term, ...]
    count: int | None = None
    description: str = ""
    note: str = ""
    source: str = ""

    @property
    def members(self) -> frozenset[str]:
        """The members the condition names."""
        return frozenset(t.member for t in self.terms if t.member)


@dataclass(frozen=True)
class Coalition:
    """A whole coalition, validated. See ``instances/README.md`` (coalitions)."""

    name: str
    description: str
    counterpart: str
    money: str
    split: str
    objective: str
    rationality: str
    tolerance: float
    top: int
    members: tuple[Member, ...]
    joint_offers: tuple[JointOffer, ...]
    participations: tuple[Participation, ...]
    effects: tuple[JointEffect, ...] = ()
    conditions: tuple[JointCondition, ...] = ()
    sources: tuple[str, ...] = ()
    path: str = ""

    @cached_property
    def member_ids(self) -> tuple[str, ...]:
        """The members' ids, in ``coalition.toml`` order."""
        return tuple(m.member for m in self.members)

    @cached_property
    def member_by_id(self) -> dict[str, Member]:
        """Members by id."""
        return {m.member: m for m in self.members}

    @cached_property
    def eligible(self) -> dict[str, tuple[str, ...]]:
        """The members who may take part in each joint offer, in member order."""
        ids = {(p.joint_offer, p.member) for p in self.participations}
        return {
            j.joint_offer: tuple(m for m in self.member_ids if (j.joint_offer, m) in ids)
            for j in self.joint_offers
        }

    @cached_property
    def cost(self) -> dict[tuple[str, str], float]:
        """Domestic cost of (joint offer, member) to the member."""
        return {(p.joint_offer, p.member): p.domestic_cost for p in self.participations}
