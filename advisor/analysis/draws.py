r"""Draws of the uncertain figures, and the instance each draw describes.

Draw d of a run with seed s has its own generator, ``numpy.random.default_rng([s,
d])``: it is the same draw whatever the number of draws, workers or the engine. It
takes one standard normal G_g per correlation group, then one E_i per input:

.. math::

    Z_i = c_i G_{g(i)} + \sqrt{1 - c_i^2} E_i \quad (Z_i = E_i \text{ ungrouped}),
    \qquad x_i = F_i^{-1}(Φ(Z_i))

(a Gaussian copula: two rows of one group have normal-score correlation c_a c_b).
:func:`perturb` writes the values into a copy of the instance: each clipped to the
range its figure may take, scenario probabilities renormalised to add to 1, a
sector's scenario elasticities scaled by its drawn factor.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special, stats

from advisor.inputs.uncertainty import KEYS, UncertainInput, Uncertainty
from advisor.instance import Instance, frozen_mapping

EDGE = 1e-12  # Φ(Z) kept inside (0, 1): the inverse CDFs are finite there


def normal_scores(uncertainty: Uncertainty, draws: int, seed: int) -> np.ndarray:
    """Z (draws × inputs): each draw's correlated standard normal scores."""
    groups = {g: k for k, g in enumerate(uncertainty.groups)}
    inputs = uncertainty.inputs
    z = np.empty((draws, len(inputs)))
    for d in range(draws):
        rng = np.random.default_rng([seed, d])
        common = rng.standard_normal(len(groups))
        own = rng.standard_normal(len(inputs))
        for i, item in enumerate(inputs):
            if item.group:
                c = item.correlation
                z[d, i] = c * common[groups[item.group]] + math.sqrt(1 - c * c) * own[i]
            else:
                z[d, i] = own[i]
    return z


def quantiles(item: UncertainInput, u: np.ndarray) -> np.ndarray:
    """The inverse CDF F^{-1}(u) of the input's distribution at ``u`` in (0, 1)."""
    u = np.clip(u, EDGE, 1 - EDGE)
    kind, base = item.distribution, item.base
    if kind == "normal":
        return base + (item.sd or 0.0) * special.ndtri(u)
    if kind == "lognormal":
        return base * np.exp((item.sd or 0.0) * special.ndtri(u))
    low = base if item.low is None else item.low
    high = base if item.high is None else item.high
    if kind == "uniform":
        return low + (high - low) * u
    if kind == "triangular":
        if high == low:
            return np.full_like(u, low)
        mode = base if item.mode is None else item.mode
        dist = stats.triang((mode - low) / (high - low), loc=low, scale=high - low)
        return np.asarray(dist.ppf(u))
    sd = item.sd or 0.0  # beta, mean at the base
    if sd == 0:
        return np.full_like(u, base)
    k = base * (1 - base) / sd**2 - 1
    return np.asarray(stats.beta(base * k, (1 - base) * k).ppf(u))


def sample(uncertainty: Uncertainty, draws: int, seed: int) -> np.ndarray:
    """The drawn values (draws × inputs), before any clipping."""
    z = normal_scores(uncertainty, draws, seed)
    return values_at(uncertainty, special.ndtr(z))


def values_at(uncertainty: Uncertainty, u: np.ndarray) -> np.ndarray:
    """Each input's value at the probabilities ``u`` (rows × inputs)."""
    out = np.empty_like(u, dtype=float)
    for i, item in enumerate(uncertainty.inputs):
        out[:, i] = quantiles(item, u[:, i])
    return out


def perturb(
    instance: Instance, uncertainty: Uncertainty, values: Sequence[float]
) -> tuple[Instance, tuple[str, ...]]:
    """The instance with each input at its value, and the targets that were clipped."""
    changes: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    clipped = []
    for item, value in zip(uncertainty.inputs, values, strict=True):
        low, high = item.bounds
        kept = min(max(float(value), low), high)
        if kept != value:
            clipped.append(item.target)
        changes[item.table][item.ident][item.column] = kept
    acceptance_ceiling = _linked_acceptance(instance)
    for ident, fields in changes["requests"].items():
        ceiling = acceptance_ceiling.get(ident)
        if "acceptance" in fields and ceiling is not None and fields["acceptance"] > ceiling:
            fields["acceptance"] = ceiling  # a linkage raises the odds, never lowers them
            clipped.append(f"requests:{ident}:acceptance")
    replaced: dict[str, Any] = {
        table: _replace_rows(getattr(instance, table), KEYS[table], changes[table])
        for table in ("sectors", "requests", "offers", "markets")
        if changes[table]
    }
    sectors = changes["sectors"]
    if changes["scenarios"] or any("elasticity" in f for f in sectors.values()):
        replaced["scenarios"] = _scenarios(instance, changes["scenarios"], sectors)
    return dataclasses.replace(instance, **replaced), tuple(dict.fromkeys(clipped))


def _replace_rows(
    rows: tuple[Any, ...], key: str, changes: dict[str, dict[str, float]]
) -> tuple[Any, ...]:
    return tuple(
        dataclasses.replace(r, **changes[getattr(r, key)]) if getattr(r, key) in changes else r
        for r in rows
    )


def _linked_acceptance(instance: Instance) -> dict[str, float]:
    """The lowest acceptance a linkage raises each linked request to."""
    out: dict[str, float] = {}
    for link in instance.linkages:
        if link.effect == "acceptance":
            out[link.target] = min(out.get(link.target, 1.0), link.value)
    return out


def _scenarios(
    instance: Instance,
    drawn: dict[str, dict[str, float]],
    sectors: dict[str, dict[str, float]],
) -> tuple[Any, ...]:
    """Scenarios with drawn probabilities (renormalised) and scaled elasticity overrides.

    A scenario keeps at least the probability its linkages can move out of it, so
    every combination of offers leaves the probabilities in [0, 1].
    """
    moved: dict[str, float] = defaultdict(float)
    for link in instance.linkages:
        if link.effect == "scenario":
            moved[link.target] += link.value
    probability = {
        s.name: max(drawn.get(s.name, {}).get("probability", s.probability), moved[s.name])
        for s in instance.scenarios
    }
    total = sum(probability.values())
    factor = {
        s: fields["elasticity"] / instance.sector_by_id[s].elasticity
        for s, fields in sectors.items()
        if "elasticity" in fields
    }
    out = []
    for s in instance.scenarios:
        elasticity = {k: min(v * factor.get(k, 1.0), 50.0) for k, v in s.elasticity.items()}
        out.append(
            dataclasses.replace(
                s,
                probability=probability[s.name] / total if total > 0 else s.probability,
                elasticity=frozen_mapping(elasticity),
            )
        )
    return tuple(out)
