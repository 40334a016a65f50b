"""Strategies and results: what a solve returns (data only).

A :class:`Strategy` is one feasible package of requests and offers with every number
a negotiator asks about: its objective, the export value it protects, what it costs
at home, what it gives and costs the counterpart, the market shares after the deal
in every scenario, the conditions it triggers and the rules that bind it. A
:class:`Result` is the ranked list with the solver's status, and converts to a
pandas frame or a JSON-ready dict. The numbers are computed by
:mod:`advisor.evaluation`; "binding" is defined there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from advisor.instance import Instance

OBJECTIVE_TOLERANCE = 1e-6


def tolerance(value: float, unit: float = 1.0) -> float:
    """Objectives closer than this to ``value`` count as tied: 1e-6 relative.

    Relative to max(|value|, ``unit``): ``unit`` is the instance's money scale (the
    model's objective unit S_V of :mod:`advisor.scaling`: 1 for figures like USD
    million), so that values near 0 do not make the tolerance vanish, whatever the
    currency unit.
    """
    return OBJECTIVE_TOLERANCE * max(unit, abs(value))


@dataclass(frozen=True)
class ScenarioMeasures:
    """RP, EEV, WS, VSS and EVPI of one expected-value ranking (money).

    See :mod:`advisor.solving.measures`.
    """

    recourse_value: float
    wait_and_see_value: float
    mean_value_expected: float | None
    value_of_stochastic_solution: float | None
    expected_value_of_perfect_information: float
    mean_value_strategy: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class ChosenRequest:
    """A requested tier as a strategy lists it.

    The sector, the granted tariff, the acceptance probability, the protected value
    (probability-weighted, before acceptance) and the counterpart's cost.
    """

    request: str
    sector: str
    sector_name: str
    tier: str
    tariff: float
    acceptance: float
    protected_value: float
    counterpart_cost: float


@dataclass(frozen=True)
class ChosenOffer:
    """An offer as a strategy lists it: its value to the counterpart and its cost at home."""

    offer: str
    name: str
    category: str
    counterpart_value: float
    domestic_cost: float


@dataclass(frozen=True)
class MarketOutcome:
    """A market's exports and share after the deal.

    ``exports`` and ``share`` are expected over the scenarios (probability-weighted:
    the expected exports over the expected total); ``scenario_shares`` gives the
    share in each scenario, which is what a cap or floor constrains (in every
    scenario); ``max_share`` is the highest of them. ``limit`` is the cap or floor
    on this market (None if none) and ``closest_scenario`` the scenario whose share
    is nearest to it: the one the limit constrains.
    """

    market: str
    exports: float
    share: float
    max_share: float
    scenario_shares: Mapping[str, float] = field(default_factory=dict)
    limit: str | None = None  # "cap" or "floor"
    limit_share: float | None = None
    closest_scenario: str | None = None


@dataclass(frozen=True)
class Strategy:
    """One ranked package of requests and offers, with its scores.

    Money is in the instance's unit. Two kinds of figures: *exports* (USD million
    of exports, say) and *objective units* (exports weighted by the sectors' value
    weights: the same as exports when every weight is 1).

    - ``protected_value``: expected protected exports (acceptance- and
      probability-weighted), in exports;
    - ``weighted_protected_value``: the same in objective units;
    - ``offer_effect_value``: what the offers' export changes are worth, in
      objective units (0 with ``offer_effects_in_objective = false``);
    - ``offer_cost``: domestic cost of the offers (money), weighted by λ in the value;
    - ``scenario_values``: V_ω = protected + effects - λ × offer cost in ω
      (objective units), and ``expected_value`` = Σ_ω π_ω V_ω + ``risk_moved``,
      with the probabilities ``scenario_probabilities`` the offers leave
      (linkages), ``risk_moved`` the no-deal loss their shifts avoid (0 without
      scenario linkages).
    """

    rank: int
    decisions: tuple[str, ...]
    objective: float
    expected_value: float
    worst_case_value: float
    regret: float | None
    scenario_values: Mapping[str, float]
    protected_value: float
    offer_cost: float
    counterpart_value: float
    counterpart_cost: float
    reciprocity_balance: float
    markets: tuple[MarketOutcome, ...]
    requests: tuple[ChosenRequest, ...]
    offers: tuple[ChosenOffer, ...]
    conditions_triggered: tuple[str, ...]
    binding_constraints: tuple[str, ...]
    gap_to_best: float
    proven_optimal: bool = True
    mip_gap: float = 0.0
    weighted_protected_value: float = 0.0
    offer_effect_value: float = 0.0
    scenario_probabilities: Mapping[str, float] = field(default_factory=dict)
    risk_moved: float = 0.0

    @property
    def largest_market(self) -> MarketOutcome:
        """The market with the largest expected share after the deal."""
        return max(self.markets, key=lambda m: (m.share, m.market))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``strategies`` entries of the JSON report)."""
        data = asdict(self)
        data["scenario_values"] = dict(self.scenario_values)
        data["scenario_probabilities"] = dict(self.scenario_probabilities)
        for market in data["markets"]:
            market["scenario_shares"] = dict(market["scenario_shares"])
        data["decisions"] = list(self.decisions)
        data["market_shares"] = {m.market: m.share for m in self.markets}
        return data


@dataclass(frozen=True)
class SolverInfo:
    """Which solver ran, how long (``time_s``), its largest gap and how many solves."""

    name: str
    version: str
    time_s: float
    gap: float
    solves: int
    search: str = "cuts"  # "cuts" (no-good cuts) or "packages" (advisor.solving.packages)


# The fixed columns of Result.to_frame, in order, each read off a strategy; the frame
# adds share_<market> and value_<scenario> after them. The one place the names live:
# the CSV report's header for a result without strategies is these names too.
FRAME_COLUMNS: tuple[tuple[str, Callable[[Strategy], Any]], ...] = (
    ("rank", lambda s: s.rank),
    ("objective", lambda s: s.objective),
    ("expected_value", lambda s: s.expected_value),
    ("worst_case_value", lambda s: s.worst_case_value),
    ("regret", lambda s: s.regret),
    ("protected_value", lambda s: s.protected_value),
    ("offer_cost", lambda s: s.offer_cost),
    ("counterpart_value", lambda s: s.counterpart_value),
    ("counterpart_cost", lambda s: s.counterpart_cost),
    ("reciprocity_balance", lambda s: s.reciprocity_balance),
    ("largest_market", lambda s: s.largest_market.market),
    ("largest_market_share", lambda s: s.largest_market.share),
    ("gap_to_best", lambda s: s.gap_to_best),
    ("requests", lambda s: "; ".join(r.request for r in s.requests)),
    ("offers", lambda s: "; ".join(o.offer for o in s.offers)),
    ("conditions_triggered", lambda s: "; ".join(s.conditions_triggered)),
    ("binding_constraints", lambda s: "; ".join(s.binding_constraints)),
)


@dataclass(frozen=True)
class Result:
    """The ranked strategy list of one solve.

    ``status``: ``optimal`` (every listed strategy proven best of those left),
    ``exhausted`` (fewer feasible strategies than asked for; all listed),
    ``time_limit`` (stopped by the time limit: what was found is listed),
    ``gap`` (solved to a MIP gap above 0), ``infeasible`` (no strategy satisfies
    the rules). ``warnings`` says what a reader must know (ties cut short, ...).
    """

    instance: Instance
    objective: str
    status: str
    strategies: tuple[Strategy, ...]
    solver: SolverInfo
    top: int
    min_difference: int
    mip_gap: float
    distinct_on: str = "all"
    scenario_optimum: Mapping[str, float] | None = None
    scenario_measures: ScenarioMeasures | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # the rules that even the empty package (ask nothing, offer nothing) breaks, set
    # for an infeasible result: a hint for the report, not part of the JSON schema
    empty_package_violations: tuple[str, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        """The number of listed strategies."""
        return len(self.strategies)

    def __getitem__(self, index: int) -> Strategy:
        """Strategy ``index`` (0 is rank 1)."""
        return self.strategies[index]

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy: scores, market shares and the decisions in words.

        After :data:`FRAME_COLUMNS`: ``weighted_protected_value`` and
        ``offer_effect_value`` (objective units) and ``offer_cost_weight`` (λ), so that
        expected_value = weighted_protected_value + offer_effect_value - λ x offer_cost;
        ``share_<market>`` (probability-weighted); ``share_<market>[<scenario>]`` (the
        share in each scenario, which a cap or floor constrains); for a market with a
        limit, ``cap_<market>`` or ``floor_<market>`` and ``tightest_<market>`` (the
        scenario whose share is nearest the limit); ``value_<scenario>`` (objective
        units) and ``probability_<scenario>`` (once the offers' linkages apply).
        """
        rows = []
        for s in self.strategies:
            row: dict[str, Any] = {name: column(s) for name, column in FRAME_COLUMNS}
            row["weighted_protected_value"] = s.weighted_protected_value
            row["offer_effect_value"] = s.offer_effect_value
            row["offer_cost_weight"] = self.instance.offer_cost_weight
            row.update({f"share_{m.market}": m.share for m in s.markets})
            for m in s.markets:
                row.update({f"share_{m.market}[{w}]": v for w, v in m.scenario_shares.items()})
                if m.limit is not None:
                    row[f"{m.limit}_{m.market}"] = m.limit_share
                    row[f"tightest_{m.market}"] = m.closest_scenario
            row.update({f"value_{w}": v for w, v in s.scenario_values.items()})
            row.update({f"probability_{w}": p for w, p in s.scenario_probabilities.items()})
            rows.append(row)
        return pd.DataFrame(rows).set_index("rank") if rows else pd.DataFrame()

    def to_dict(self, timing: bool = False) -> dict[str, Any]:
        """A JSON-ready dict; with ``timing=False`` (default) it is identical run to run."""
        solver = asdict(self.solver)
        if not timing:
            solver.pop("time_s")
        return {
            "instance": self.instance.name,
            "path": self.instance.path,
            "currency": self.instance.currency,
            "unit": self.instance.unit,
            "objective": self.objective,
            "status": self.status,
            "solver": solver,
            "settings": {
                "top": self.top,
                "min_difference": self.min_difference,
                "mip_gap": self.mip_gap,
                "distinct_on": self.distinct_on,
            },
            "scenarios": [
                {
                    "name": w.name,
                    "probability": w.probability,
                    "description": w.description,
                    "optimum": None
                    if self.scenario_optimum is None
                    else self.scenario_optimum[w.name],
                }
                for w in self.instance.scenarios
            ],
            "scenario_measures": None
            if self.scenario_measures is None
            else asdict(self.scenario_measures),
            "warnings": list(self.warnings),
            "strategies": [s.to_dict() for s in self.strategies],
        }
