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
class Coefficients:
    """Everything the linear model needs, keyed by ids.

    - ``probability[ω]``: scenario probability π_ω
    - ``protected_value[r, ω]``: p_rω, exports request r keeps in scenario ω
    - ``expected_value[r, ω]``: a_r p_rω, weighted by the tier's acceptance a_r
    - ``counterpart_cost[r]``: c_r = Σ_ω π_ω c_rω, the expected cost of granting r
    - ``market_baseline[m, ω]``: exports to m with no deal (the threat imposed)
    - ``market_effect[j, m]``: change in exports to m if offer j is made
    - ``value_at_risk[s, ω]``: exports of sector s lost to the threat

    Exports to the counterpart after the deal in scenario ω are
    ``market_baseline[cp, ω] + Σ_r p_rω x_r + Σ_j market_effect[j, cp] x_j``.
    """

    scenarios: tuple[str, ...]
    probability: Mapping[str, float]
    protected_value: Mapping[Key, float]
    expected_value: Mapping[Key, float]
    counterpart_cost: Mapping[str, float]
    market_baseline: Mapping[Key, float]
    market_effect: Mapping[Key, float]
    value_at_risk: Mapping[Key, float]


def compute_coefficients(instance: Instance) -> Coefficients:
    """Compute :class:`Coefficients` for every request, market and scenario."""
    probability = {w.name: w.probability for w in instance.scenarios}
    terms = {
        (s.sector, w.name): sector_terms(s, w) for s in instance.sectors for w in instance.scenarios
    }
    value_at_risk = {key: t.value_at_risk for key, t in terms.items()}
    protected: dict[Key, float] = {}
    expected: dict[Key, float] = {}
    cost: dict[str, float] = {}
    for r in instance.requests:
        sector = instance.sector_by_id[r.sector]
        cost[r.request] = 0.0
        for w in instance.scenarios:
            t = terms[r.sector, w.name]
            protected[r.request, w.name] = t.protected_value(r.tariff)
            expected[r.request, w.name] = r.acceptance * protected[r.request, w.name]
            cost[r.request] += w.probability * counterpart_cost(
                r, sector, t, instance.counterpart_cost_weight
            )
    baseline: dict[Key, float] = {}
    for m in instance.markets:
        for w in instance.scenarios:
            lost = 0.0
            if m.market == instance.counterpart:
                lost = sum(value_at_risk[s.sector, w.name] for s in instance.sectors)
            baseline[m.market, w.name] = m.exports - lost
    effect = {(e.offer, e.market): e.export_change for e in instance.offer_effects}
    return Coefficients(
        scenarios=tuple(w.name for w in instance.scenarios),
        probability=MappingProxyType(probability),
        protected_value=MappingProxyType(protected),
        expected_value=MappingProxyType(expected),
        counterpart_cost=MappingProxyType(cost),
        market_baseline=MappingProxyType(baseline),
        market_effect=MappingProxyType(effect),
        value_at_risk=MappingProxyType(value_at_risk),
    )
