r"""Money scales of the model, chosen from the data, and the range HiGHS can trust.

An instance's money may be in USD million or in rupiah: the same negotiation in
rupiah has every money figure ~1e10 times larger. HiGHS's tolerances are absolute
(a row is satisfied within 1e-7, a matrix entry below 1e-9 is dropped, a MIP gap of
1e-6 is absolute too), so the model divides each money row and the objective by a
power of ten near its largest coefficient:

.. math::

    \tilde{a}_i = a_i / S_i, \qquad
    S_i = 10^{\lfloor \log_{10} \max_j |a_{ij}| \rfloor - 3}

for the reciprocity row (S_ρ), the budget row (S_B), the market-share rows (S_E) and
the objective (S_V), when the row's largest figure lies outside [1e-3, 1e6]
(S_i = 1 inside: figures like USD million need no scaling). Dividing a row by a
positive constant changes no strategy's feasibility, and dividing the objective
changes no ranking; reports stay in the user's unit, since every reported number is
recomputed from the instance (:mod:`advisor.evaluation`), never read from the solver.

What scaling cannot fix is a range inside one row: an offer worth 1e16 beside
costs of 100 leaves the costs at 1e-14 of the row, below what HiGHS sees.
:func:`range_warnings` names such figures; every listed strategy is then re-checked
against the rules from the instance's own numbers (:mod:`advisor.solving.trust`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from advisor.economics import Coefficients
from advisor.instance import Instance

# Entries of one row spanning more than this ratio lose the small ones: HiGHS drops
# matrix entries below 1e-9 and satisfies rows to 1e-7 of their largest entry.
SAFE_RANGE = 1e7
# A row whose largest money figure lies in this range is solved as it is: HiGHS's
# absolute tolerances (1e-6 of a money unit) suit figures like USD million.
NEUTRAL_RANGE = (1e-3, 1e6)
# Outside it, the row is divided so that its largest figure lies in [1e3, 1e4).
TARGET_DIGITS = 3


def row_scale(values: Iterable[float]) -> float:
    """The scale S of a row: 1 in the neutral range, else a power of ten.

    Over the finite non-zero ``values``: 1 if the largest |v| lies in
    :data:`NEUTRAL_RANGE` (or there is none), else 10^(⌊log10 max |v|⌋ - 3).
    """
    largest = max((abs(v) for v in values if v and math.isfinite(v)), default=0.0)
    low, high = NEUTRAL_RANGE
    if largest == 0 or low <= largest <= high:
        return 1.0
    return 10.0 ** (math.floor(math.log10(largest)) - TARGET_DIGITS)


@dataclass(frozen=True)
class Scales:
    """Money per model unit of each money row and of the objective (user's unit)."""

    objective: float
    reciprocity: float
    budget: float
    exports: float


def _objective_terms(instance: Instance, coef: Coefficients) -> list[float]:
    weight = instance.offer_cost_weight
    return [
        *coef.expected_value.values(),
        *coef.weighted_value.values(),
        *coef.effect_value.values(),
        *(weight * o.domestic_cost for o in instance.offers),
        *(
            s.amount * (coef.weighted_risk[s.source] - coef.weighted_risk[s.target])
            for s in coef.shifts
        ),
    ]


def _reciprocity_terms(instance: Instance, coef: Coefficients) -> list[float]:
    ratio = max(1.0, instance.reciprocity_ratio)
    return [o.counterpart_value for o in instance.offers] + [
        ratio * c for c in coef.counterpart_cost_in.values()
    ]


def _export_terms(coef: Coefficients) -> list[float]:
    return [
        *coef.market_baseline.values(),
        *coef.market_effect.values(),
        *coef.protected_value.values(),
    ]


def money_scales(instance: Instance, coef: Coefficients) -> Scales:
    """The scales of ``instance``'s model, from its coefficients."""
    budget = [o.domestic_cost for o in instance.offers]
    if instance.domestic_budget is not None:
        budget.append(instance.domestic_budget)
    return Scales(
        objective=row_scale(_objective_terms(instance, coef)),
        reciprocity=row_scale(_reciprocity_terms(instance, coef)),
        budget=row_scale(budget),
        exports=row_scale(_export_terms(coef)),
    )


def _span(values: Iterable[float]) -> float:
    sizes = [abs(v) for v in values if v and math.isfinite(v)]
    return max(sizes) / min(sizes) if sizes else 1.0


def range_warnings(instance: Instance, coef: Coefficients) -> list[str]:
    """Money figures of one row spanning more than HiGHS can resolve, in words."""
    rows = {
        "the objective (protected values, offer effects, weighted offer costs)": (
            _objective_terms(instance, coef)
        ),
        "reciprocity (offers' counterpart values, requests' counterpart costs)": (
            _reciprocity_terms(instance, coef)
        ),
        "the domestic budget (offers' domestic costs)": [o.domestic_cost for o in instance.offers],
        "the market shares (exports, protected values, offer effects)": _export_terms(coef),
    }
    overflowing = [
        f"numerical range: a figure in {row} is not finite (a product of the inputs "
        "overflows, e.g. a weight or ratio near 1e308): HiGHS cannot use it. Every listed "
        "strategy is re-checked against the rules from the instance's numbers"
        for row, values in rows.items()
        if not all(math.isfinite(v) for v in values)
    ]
    return overflowing + [
        f"numerical range: the figures in {row} span a ratio of {_span(values):.1e} "
        f"(largest {max(abs(v) for v in values):.3g} {instance.money}); HiGHS resolves about "
        f"{SAFE_RANGE:.0e}, so the smallest may be treated as 0. Every listed strategy is "
        "re-checked against the rules from the instance's numbers"
        for row, values in rows.items()
        if _span(values) > SAFE_RANGE
    ]
