"""The validated, immutable description of one negotiation.

An :class:`Instance` is what :func:`advisor.load_instance` returns and what every
later stage (economics, model, solver, report) reads. It holds the parties, the
markets home exports to, the sectors at stake with the counterpart, the request
tiers home may ask for, the offers it may give, the offers' effects on other
markets, the treaty conditions that link them, the scenarios of the counterpart's
threat, and the settings of the model and the ranking. All money is in the
instance's currency unit (US$ million for the shipped instances); tariffs and
shares are fractions (0.19 is 19%).

Nothing here validates: the loader does, at the door. Objects are frozen, and
mappings are read-only views, so a stage cannot change what another stage reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from advisor.errors import Problem

CONDITION_KINDS = ("requires", "requires_one_of", "excludes", "at_most", "at_least")
OBJECTIVES = ("expected", "worst_case", "regret")
DISTINCT_ON = ("all", "offers", "sectors")
# [model] reciprocity: the counterpart comes out even on average, or in every scenario
RECIPROCITY_MODES = ("expected", "every_scenario")
# [model] shares: caps and floors assume every request granted, or acceptance-weighted
SHARE_MODES = ("all_granted", "expected")
LINKAGE_EFFECTS = ("acceptance", "scenario")


def frozen_mapping(values: Mapping[str, float] | None = None) -> Mapping[str, float]:
    """A read-only copy of ``values`` (empty when None)."""
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True)
class Market:
    """A destination of home's exports, with its baseline exports (currency unit)."""

    market: str
    name: str
    exports: float
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class Sector:
    """A product group exported to the counterpart.

    ``exports`` is the baseline value exported to the counterpart at
    ``current_tariff``; ``threat_tariff`` is the rate it faces without a deal;
    ``elasticity`` is the counterpart's import elasticity (sigma) for home's supply;
    ``sensitivity`` weighs the counterpart's forgone tariff revenue (its political
    cost of granting a concession in this sector); ``value_weight`` is what a
    dollar of the sector's exports is worth to home in the objective (1: gross
    exports; a domestic value-added share gives "protected value added").
    """

    sector: str
    name: str
    hs_codes: str
    exports: float
    current_tariff: float
    threat_tariff: float
    elasticity: float
    sensitivity: float = 1.0
    value_weight: float = 1.0
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class RequestTier:
    """Something home may ask for: sector ``sector`` at tariff ``tariff``.

    ``acceptance`` is the analyst's probability that the counterpart grants it;
    ``counterpart_cost`` states the counterpart's cost directly (None: computed
    from forgone tariff revenue, see :mod:`advisor.economics`).
    """

    request: str
    sector: str
    tier: str
    tariff: float
    acceptance: float = 1.0
    counterpart_cost: float | None = None
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class Offer:
    """Something home may give: its value to the counterpart and its domestic cost."""

    offer: str
    name: str
    category: str
    counterpart_value: float
    domestic_cost: float
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class OfferEffect:
    """The change in home's exports to ``market`` if ``offer`` is made (signed).

    ``value_weight`` weighs the change in the objective like a sector's; None means
    the mean of the sectors' weights, weighted by their exports
    (:attr:`Instance.effect_weight`).
    """

    offer: str
    market: str
    export_change: float
    value_weight: float | None = None
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class Linkage:
    """An offer that changes the odds (``linkages.csv``).

    ``effect`` is ``acceptance``: making ``offer`` raises request ``target``'s
    acceptance probability to ``value``; or ``scenario``: making it moves ``value``
    of probability from scenario ``target`` to scenario ``to``.
    """

    offer: str
    effect: str
    target: str
    value: float
    to: str = ""
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class Condition:
    """A treaty rule linking decisions.

    ``members`` are request, offer or sector ids (a sector id stands for "any tier
    of that sector is requested"). For ``requires``, ``requires_one_of`` and
    ``excludes`` the first member is the subject and the rest its objects; for
    ``at_most`` and ``at_least`` all members form the group and ``count`` is k.
    """

    condition: str
    kind: str
    members: tuple[str, ...]
    count: int | None = None
    description: str = ""
    note: str = ""
    source: str = ""

    @property
    def subject(self) -> str:
        """The first member: the condition's subject (for the pairwise kinds)."""
        return self.members[0]

    @property
    def objects(self) -> tuple[str, ...]:
        """The members after the first: the condition's objects (for the pairwise kinds)."""
        return self.members[1:]


@dataclass(frozen=True)
class Scenario:
    """One possible future: a probability and per-sector overrides.

    Overrides map sector ids to the sector's threat tariff, current tariff or
    elasticity in this scenario; a sector not named keeps its ``sectors.csv`` value.
    """

    name: str
    probability: float
    description: str = ""
    threat_tariff: Mapping[str, float] = field(default_factory=frozen_mapping)
    current_tariff: Mapping[str, float] = field(default_factory=frozen_mapping)
    elasticity: Mapping[str, float] = field(default_factory=frozen_mapping)


@dataclass(frozen=True)
class Ranking:
    """Defaults for the ranked strategy list (the CLI and API may override)."""

    top: int = 5
    min_difference: int = 1
    mip_gap: float = 0.0
    time_limit: float | None = None
    distinct_on: str = "all"


@dataclass(frozen=True)
class Instance:
    """A whole negotiation, validated. See ``instances/README.md`` for the format."""

    name: str
    description: str
    home: str
    counterpart: str
    currency: str
    unit: str
    offer_cost_weight: float
    reciprocity_ratio: float
    domestic_budget: float | None
    counterpart_cost_weight: float
    objective: str
    market_share_caps: Mapping[str, float]
    market_share_floors: Mapping[str, float]
    ranking: Ranking
    markets: tuple[Market, ...]
    sectors: tuple[Sector, ...]
    requests: tuple[RequestTier, ...]
    offers: tuple[Offer, ...]
    offer_effects: tuple[OfferEffect, ...]
    conditions: tuple[Condition, ...]
    scenarios: tuple[Scenario, ...]
    sources: tuple[str, ...] = ()
    path: str = ""
    warnings: tuple[Problem, ...] = ()  # plausible mistakes, located like problems
    offer_effects_in_objective: bool = True  # [model]: offers' export changes count
    reciprocity: str = "expected"  # [model]: RECIPROCITY_MODES
    shares: str = "all_granted"  # [model]: SHARE_MODES
    linkages: tuple[Linkage, ...] = ()
    counterpart_reservation: float = 0.0  # [bargaining]: its surplus with no deal

    @cached_property
    def effect_weight(self) -> float:
        """The value weight of an offer effect with none of its own.

        The sectors' weights averaged over their exports to the counterpart: the
        value a dollar of home's exports carries on average (1 when no sector has
        a weight of its own).
        """
        total = sum(s.exports for s in self.sectors)
        if not total:
            return 1.0
        return sum(s.value_weight * s.exports for s in self.sectors) / total

    def weight_of(self, effect: OfferEffect) -> float:
        """The value weight of an offer effect: its own, else :attr:`effect_weight`."""
        return self.effect_weight if effect.value_weight is None else effect.value_weight

    @cached_property
    def sector_by_id(self) -> Mapping[str, Sector]:
        """Sectors by their id (read-only)."""
        return MappingProxyType({s.sector: s for s in self.sectors})

    @cached_property
    def request_by_id(self) -> Mapping[str, RequestTier]:
        """Request tiers by their id (read-only)."""
        return MappingProxyType({r.request: r for r in self.requests})

    @cached_property
    def offer_by_id(self) -> Mapping[str, Offer]:
        """Offers by their id (read-only)."""
        return MappingProxyType({o.offer: o for o in self.offers})

    @cached_property
    def market_by_id(self) -> Mapping[str, Market]:
        """Markets by their id (read-only)."""
        return MappingProxyType({m.market: m for m in self.markets})

    @cached_property
    def tiers_by_sector(self) -> Mapping[str, tuple[str, ...]]:
        """Request ids of each sector, in file order."""
        tiers: dict[str, list[str]] = {s.sector: [] for s in self.sectors}
        for r in self.requests:
            tiers.setdefault(r.sector, []).append(r.request)
        return MappingProxyType({s: tuple(ids) for s, ids in tiers.items()})

    @property
    def money(self) -> str:
        """The money label used in reports, e.g. ``USD million``."""
        return f"{self.currency} {self.unit}".strip()

    def decision_ids(self) -> tuple[str, ...]:
        """Every decision in model order: request ids, then offer ids."""
        return tuple(r.request for r in self.requests) + tuple(o.offer for o in self.offers)

    def member_decisions(self, member: str) -> tuple[str, ...]:
        """The decisions a condition member stands for.

        A sector id stands for any of its request tiers, a request or offer id for itself.
        """
        if member in self.sector_by_id:
            return self.tiers_by_sector[member]
        return (member,)

    def member_count(self, member: str, chosen: frozenset[str]) -> int:
        """How many of the decisions ``member`` stands for are in ``chosen``.

        It is 0 or 1, since a sector gets at most one tier.
        """
        return sum(1 for d in self.member_decisions(member) if d in chosen)

    def decision_name(self, decision: str) -> str:
        """The name of a decision: ``Integrated circuits: permanent 0%``, or the offer's name.

        A request is named by its sector and tier, an offer by its own name.
        """
        request = self.request_by_id.get(decision)
        if request is not None:
            return f"{self.sector_by_id[request.sector].name}: {request.tier}"
        return self.offer_by_id[decision].name

    def __str__(self) -> str:
        """A few lines on the instance: its parties, its sizes, scenarios, objective and limits."""
        exports_cp = sum(s.exports for s in self.sectors)
        lines = [
            f"{self.name}",
            f"  {self.home} negotiating with {self.counterpart}; money in {self.money}",
            f"  {len(self.sectors)} sectors ({exports_cp:,.0f} exported to "
            f"{self.counterpart}), {len(self.requests)} request tiers, "
            f"{len(self.offers)} offers, {len(self.conditions)} conditions",
            f"  {len(self.markets)} markets: " + ", ".join(m.market for m in self.markets),
            f"  {len(self.scenarios)} scenario(s): "
            + ", ".join(f"{s.name} ({s.probability:.0%})" for s in self.scenarios),
            f"  objective {self.objective}; offer cost weight {self.offer_cost_weight:g}; "
            f"reciprocity ratio {self.reciprocity_ratio:g}; budget "
            + ("none" if self.domestic_budget is None else f"{self.domestic_budget:,.0f}"),
        ]
        if self.market_share_caps:
            lines.append(
                "  market-share caps: "
                + ", ".join(f"{m} {v:.1%}" for m, v in self.market_share_caps.items())
            )
        if self.market_share_floors:
            lines.append(
                "  market-share floors: "
                + ", ".join(f"{m} {v:.1%}" for m, v in self.market_share_floors.items())
            )
        return "\n".join(lines)
