r"""Trade economics: from an instance to the linear coefficients of the model.

All the non-linear economics is computed here, once, so the optimisation model stays
a linear MILP in the decision binaries. The core is the constant-elasticity
partial-equilibrium response used by WITS-SMART and GSIM (Jammes and Olarreaga 2005;
Francois and Hall 2003), with the counterpart's import elasticities sigma of Broda
and Weinstein (QJE 2006):

.. math::

    X_s(t) = X_{s0} \left(\frac{1 + t}{1 + t_{s0}}\right)^{-\sigma_s}

with :math:`X_{s0}` home's exports of sector s to the counterpart at the current
tariff :math:`t_{s0}`. Every scenario ω may override :math:`t_{s0}`, the threat
tariff :math:`\tau_s` and :math:`\sigma_s`; all coefficients are per scenario.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from advisor.instance import Instance, RequestTier, Scenario, Sector


def exports_at_tariff(
    exports: float, current_tariff: float, tariff: float, elasticity: float
) -> float:
    r"""Exports after a tariff change, constant elasticity (WITS-SMART).

    .. math:: X(t) = X_0 \left(\frac{1 + t}{1 + t_0}\right)^{-\sigma}

    A 19% tariff on exports now at 0% with sigma 1.23 gives 1.19^-1.23 = 0.807 of
    the baseline: a 19% cut in volume (the check in the facts file).

    Never raises for a large elasticity: the loader bounds sigma to 50 and tariffs
    to [0, 10], so the factor is at most 11^50 (about 1e52), but an instance built
    in code may go further (1.5^2000 overflows), and then the factor is infinite
    (a cut) or zero (a rise), as IEEE arithmetic has it, not an ``OverflowError``.
    """
    try:
        factor = ((1.0 + tariff) / (1.0 + current_tariff)) ** (-elasticity)
    except OverflowError:
        factor = math.inf
    return exports * factor if exports else 0.0


@dataclass(frozen=True)
class SectorTerms:
    """A sector's terms in one scenario: baseline, current and threat tariff, sigma."""

    exports: float
    current_tariff: float
    threat_tariff: float
    elasticity: float

    def exports_at(self, tariff: float) -> float:
        """Exports of the sector at ``tariff`` (:func:`exports_at_tariff`)."""
        return exports_at_tariff(self.exports, self.current_tariff, tariff, self.elasticity)

    @property
    def value_at_risk(self) -> float:
        r""":math:`X_s(t_{s0}) - X_s(\tau_s)`: exports lost if the threat is imposed."""
        return self.exports - self.exports_at(self.threat_tariff)

    def effective_tariff(self, tariff: float) -> float:
        """The tariff a tier really grants: a cap above the threat does not bind."""
        return min(tariff, self.threat_tariff)

    def protected_value(self, tariff: float) -> float:
        r""":math:`p = X_s(\min(t_k, \tau_s)) - X_s(\tau_s)`: exports a tier keeps."""
        return self.exports_at(self.effective_tariff(tariff)) - self.exports_at(self.threat_tariff)

    def forgone_revenue(self, tariff: float) -> float:
        r""":math:`\tau_s X_s(\tau_s) - t X_s(t)`: the counterpart's lost tariff revenue.

        Negative beyond the revenue-maximising tariff 1/(sigma - 1), where the
        lower tariff raises so much trade that revenue rises.
        """
        t = self.effective_tariff(tariff)
        return self.threat_tariff * self.exports_at(self.threat_tariff) - t * self.exports_at(t)


def sector_terms(sector: Sector, scenario: Scenario) -> SectorTerms:
    """The sector's terms under ``scenario``'s overrides."""
    key = sector.sector
    return SectorTerms(
        exports=sector.exports,
        current_tariff=scenario.current_tariff.get(key, sector.current_tariff),
        threat_tariff=scenario.threat_tariff.get(key, sector.threat_tariff),
        elasticity=scenario.elasticity.get(key, sector.elasticity),
    )


def counterpart_cost(
    request: RequestTier, sector: Sector, terms: SectorTerms, weight: float
) -> float:
    r"""The counterpart's cost of granting a tier, in one scenario.

    .. math:: c_{k} = w \, w_s \, (\tau_s X_s(\tau_s) - t_k X_s(t_k))

    with w the instance's ``counterpart_cost_weight`` and w_s the sector's
    ``sensitivity``, unless ``requests.csv`` states the cost directly.
    """
    if request.counterpart_cost is not None:
        return request.counterpart_cost
    return weight * sector.sensitivity * terms.forgone_revenue(request.tariff)


Key = tuple[str, str]


@dataclass(frozen=True)
class AcceptanceStep:
    r"""One step up a request's acceptance: ``increment`` if any of ``offers`` is made.

    A request r with acceptance a_r and linkages to levels a^1 < … < a^k (each
    level reached by making any offer linked at that level or above, J_i) has

    .. math:: a_r(y) = a_r + Σ_i (a^i - a^{i-1}) \max_{j ∈ J_i} y_j, \quad a^0 = a_r,

    i.e. the highest level among the offers made (the odds do not add up).
    """

    increment: float
    offers: frozenset[str]


@dataclass(frozen=True)
class ScenarioShift:
    """Making ``offer`` moves ``amount`` of probability from ``source`` to ``target``."""

    offer: str
    source: str
    target: str
    amount: float


@dataclass(frozen=True)
class Coefficients:
    """Everything the linear model needs, keyed by ids.

    Money in the objective's unit (exports times the sectors' value weights) and in
    exports (for market shares):

    - ``probability[ω]``: scenario probability π_ω with no offer made
    - ``protected_value[r, ω]``: p_rω, exports request r keeps in scenario ω
    - ``weighted_value[r, ω]``: w_s p_rω, what those exports are worth to home
      (w_s the sector's ``value_weight``)
    - ``expected_value[r, ω]``: a_r w_s p_rω, weighted by the tier's acceptance a_r
    - ``share_exports[r, ω]``: exports r adds to the counterpart's share rows: p_rω
      (``shares = "all_granted"``) or a_r p_rω (``"expected"``)
    - ``counterpart_cost_in[r, ω]``: c_rω, the counterpart's cost of granting r in ω
    - ``counterpart_cost[r]``: c_r = Σ_ω π_ω c_rω, its expected cost
    - ``effect_value[j]``: Σ_m w_jm e_jm, what offer j's export changes are worth to
      home (0 with ``offer_effects_in_objective = false``)
    - ``market_baseline[m, ω]``: exports to m with no deal (the threat imposed)
    - ``market_effect[j, m]``: e_jm, the change in exports to m if offer j is made
    - ``value_at_risk[s, ω]``: exports of sector s lost to the threat
    - ``acceptance_steps[r]`` and ``shifts``: the linkages (``linkages.csv``)
    - ``weighted_risk[ω]``: R_ω = Σ_s w_s (value at risk of s in ω), what home loses
      with no deal in ω, in objective units (used when offers move probability)

    Exports to the counterpart after the deal in scenario ω are
    ``market_baseline[cp, ω] + Σ_r share_exports[r, ω] x_r + Σ_j e_{j,cp} y_j``
    (with acceptance linkages and expected shares, a_r is a_r(y)).
    """

    scenarios: tuple[str, ...]
    probability: Mapping[str, float]
    protected_value: Mapping[Key, float]
    weighted_value: Mapping[Key, float]
    expected_value: Mapping[Key, float]
    share_exports: Mapping[Key, float]
    counterpart_cost_in: Mapping[Key, float]
    counterpart_cost: Mapping[str, float]
    effect_value: Mapping[str, float]
    market_baseline: Mapping[Key, float]
    market_effect: Mapping[Key, float]
    value_at_risk: Mapping[Key, float]
    acceptance_steps: Mapping[str, tuple[AcceptanceStep, ...]]
    shifts: tuple[ScenarioShift, ...]
    weighted_risk: Mapping[str, float]
    base_acceptance: Mapping[str, float]
    shares_expected: bool

    def acceptance_of(self, request: str, chosen: frozenset[str]) -> float:
        """a_r(y): the request's acceptance given the offers in ``chosen``."""
        return self.base_acceptance[request] + sum(
            step.increment
            for step in self.acceptance_steps.get(request, ())
            if step.offers & chosen
        )

    def probabilities_of(self, chosen: frozenset[str]) -> dict[str, float]:
        """π_ω(y): the scenario probabilities given the offers in ``chosen``."""
        out = dict(self.probability)
        for shift in self.shifts:
            if shift.offer in chosen:
                out[shift.source] -= shift.amount
                out[shift.target] += shift.amount
        return out

    def risk_moved(self, chosen: frozenset[str]) -> float:
        r"""What the chosen offers' scenario shifts save of the no-deal loss.

        V_ω measures a deal against no deal *in ω*; when an offer moves probability
        δ from ω to ω', the no-deal outcome itself changes by δ (R_ω - R_ω'), which
        the expected objective adds: Σ_{(j, ω→ω', δ)} δ y_j (R_ω - R_ω'). So the
        expected value is E_y[outcome with the deal] - E[outcome with no deal], the
        latter under the probabilities with no offer made.
        """
        return sum(
            shift.amount * (self.weighted_risk[shift.source] - self.weighted_risk[shift.target])
            for shift in self.shifts
            if shift.offer in chosen
        )

    def share_factor(self, request: str, chosen: frozenset[str]) -> float:
        """The factor on p_rω in the share rows: 1, or a_r(y) with expected shares."""
        return self.acceptance_of(request, chosen) if self.shares_expected else 1.0


def acceptance_steps(instance: Instance) -> dict[str, tuple[AcceptanceStep, ...]]:
    """Each linked request's steps up its acceptance (:class:`AcceptanceStep`)."""
    levels: dict[str, dict[float, set[str]]] = {}
    for link in instance.linkages:
        if link.effect == "acceptance":
            levels.setdefault(link.target, {}).setdefault(link.value, set()).add(link.offer)
    out = {}
    for request, by_level in levels.items():
        previous = instance.request_by_id[request].acceptance
        steps = []
        for level in sorted(by_level):
            offers = set().union(*(by_level[v] for v in by_level if v >= level))
            if level > previous:
                steps.append(AcceptanceStep(level - previous, frozenset(offers)))
                previous = level
        out[request] = tuple(steps)
    return out


def _effect_values(instance: Instance) -> dict[str, float]:
    values = {o.offer: 0.0 for o in instance.offers}
    if instance.offer_effects_in_objective:
        for e in instance.offer_effects:
            values[e.offer] += instance.weight_of(e) * e.export_change
    return values


def compute_coefficients(instance: Instance) -> Coefficients:
    """Compute :class:`Coefficients` for every request, market and scenario."""
    terms = {
        (s.sector, w.name): sector_terms(s, w) for s in instance.sectors for w in instance.scenarios
    }
    value_at_risk = {key: t.value_at_risk for key, t in terms.items()}
    protected: dict[Key, float] = {}
    cost_in: dict[Key, float] = {}
    for r in instance.requests:
        sector = instance.sector_by_id[r.sector]
        for w in instance.scenarios:
            t = terms[r.sector, w.name]
            protected[r.request, w.name] = t.protected_value(r.tariff)
            cost_in[r.request, w.name] = counterpart_cost(
                r, sector, t, instance.counterpart_cost_weight
            )
    weight = {r.request: instance.sector_by_id[r.sector].value_weight for r in instance.requests}
    acceptance = {r.request: r.acceptance for r in instance.requests}
    share_factor = acceptance if instance.shares == "expected" else dict.fromkeys(acceptance, 1.0)
    baseline: dict[Key, float] = {}
    for m in instance.markets:
        for w in instance.scenarios:
            lost = 0.0
            if m.market == instance.counterpart:
                lost = sum(value_at_risk[s.sector, w.name] for s in instance.sectors)
            baseline[m.market, w.name] = m.exports - lost
    shifts = tuple(
        ScenarioShift(link.offer, link.target, link.to, link.value)
        for link in instance.linkages
        if link.effect == "scenario"
    )
    return Coefficients(
        scenarios=tuple(w.name for w in instance.scenarios),
        probability=_frozen({w.name: w.probability for w in instance.scenarios}),
        protected_value=_frozen(protected),
        weighted_value=_frozen({(r, w): weight[r] * p for (r, w), p in protected.items()}),
        expected_value=_frozen(
            {(r, w): acceptance[r] * weight[r] * p for (r, w), p in protected.items()}
        ),
        share_exports=_frozen({(r, w): share_factor[r] * p for (r, w), p in protected.items()}),
        counterpart_cost_in=_frozen(cost_in),
        counterpart_cost=_frozen(
            {
                r.request: sum(
                    w.probability * cost_in[r.request, w.name] for w in instance.scenarios
                )
                for r in instance.requests
            }
        ),
        effect_value=_frozen(_effect_values(instance)),
        market_baseline=_frozen(baseline),
        market_effect=_frozen(
            {(e.offer, e.market): e.export_change for e in instance.offer_effects}
        ),
        value_at_risk=_frozen(value_at_risk),
        acceptance_steps=MappingProxyType(acceptance_steps(instance)),
        shifts=shifts,
        weighted_risk=_frozen(
            {
                w.name: sum(
                    s.value_weight * value_at_risk[s.sector, w.name] for s in instance.sectors
                )
                for w in instance.scenarios
            }
        ),
        base_acceptance=_frozen(acceptance),
        shares_expected=instance.shares == "expected",
    )


def _frozen(values: Mapping[Any, float]) -> Mapping[Any, float]:
    return MappingProxyType(dict(values))
