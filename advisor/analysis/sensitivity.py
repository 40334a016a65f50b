r"""Which uncertain inputs matter: Sobol' or Morris indices (SALib).

The inputs are the sensitivity *factors*: each ungrouped row of ``uncertainty.csv``,
and each correlation group as one factor (its members move together, a member with
a negative correlation against it: u_i = u_g, or 1 - u_g). A factor u in [0, 1] is
the input's quantile, x = F^{-1}(u). Two functions of the factors are analysed,
both scored on the sample's model without a solve: a listed strategy's realised
value is its objective, or 0 (no deal) when it breaks a rule of the sample.

- the **value**: the recommended strategy's realised value (objective units);
- the **flip**: 1 when base strategy 1 (the advice before uncertainty) is not the
  best listed strategy of the sample (realised values; ties: the better base
  rank), else 0.

Sobol' (Saltelli sampling, N (D + 2) evaluations): the first-order index
S_i = V[E(Y | u_i)] / V(Y) and the total index S_Ti = E[V(Y | u_~i)] / V(Y);
Morris (r (D + 1) evaluations of elementary effects on a 4-level grid): μ*_i, the
mean absolute elementary effect (in Y's units), and σ_i. A Y that never varies has
all indices 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from advisor.analysis.draws import perturb, values_at
from advisor.economics import compute_coefficients
from advisor.evaluation import Evaluator
from advisor.executor import run_tasks
from advisor.inputs.uncertainty import Uncertainty
from advisor.instance import Instance
from advisor.model import build_model
from advisor.rules import RuleBook

METHODS = ("auto", "sobol", "morris")
SOBOL_MAX_FACTORS = 10  # auto: Sobol' up to this many factors, Morris above


@dataclass(frozen=True)
class Sensitivity:
    """Indices per factor for the recommended strategy's value and for the flip."""

    method: str
    factors: tuple[str, ...]
    evaluations: int
    value: dict[str, tuple[float, ...]]  # index name -> one value per factor
    flip: dict[str, tuple[float, ...]]
    flip_rate: float  # the share of evaluations in which the choice flips

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "method": self.method, "factors": list(self.factors),
            "evaluations": self.evaluations, "flip_rate": self.flip_rate,
            "value": {k: list(v) for k, v in self.value.items()},
            "flip": {k: list(v) for k, v in self.flip.items()},
        }


@dataclass(frozen=True)
class _Context:
    instance: Instance
    uncertainty: Uncertainty
    listed: tuple[frozenset[str], ...]
    objective: str
    recommended: int  # index into listed


def expand(spec: Uncertainty, u: np.ndarray) -> np.ndarray:
    """Each input's quantile (rows × inputs) from the factors' (rows × factors)."""
    index = {f: i for i, f in enumerate(spec.factors)}
    out = np.empty((u.shape[0], len(spec.inputs)))
    for i, item in enumerate(spec.inputs):
        column = u[:, index[item.factor]]
        out[:, i] = 1 - column if item.group and item.correlation < 0 else column
    return out


def _task(context: _Context, u: Sequence[float]) -> tuple[float, float]:
    """(value of the recommended strategy, flip) at the factor quantiles ``u``."""
    spec = context.uncertainty
    values = values_at(spec, expand(spec, np.asarray([u], dtype=float)))[0]
    inst, _ = perturb(context.instance, spec, values)
    coefficients = compute_coefficients(inst)
    evaluator = Evaluator(inst, coefficients, context.objective)
    rules = RuleBook(build_model(inst, coefficients, context.objective), inst.decision_ids())
    broken = rules.violations_of_each(list(context.listed))
    scores = [0.0 if b else evaluator.objective_of(c)
              for c, b in zip(context.listed, broken, strict=True)]
    best = max(range(len(scores)), key=lambda k: (scores[k], -k))
    return scores[context.recommended], float(best != 0)


def sensitivity(
    instance: Instance, spec: Uncertainty, listed: tuple[frozenset[str], ...], objective: str,
    recommended: int, method: str = "auto", samples: int | None = None, seed: int = 0,
    jobs: int = 1, scheduler: Any = None,
) -> Sensitivity | None:
    """The indices of every factor; None for the regret objective (it needs re-solves).

    ``recommended`` is a base rank (1-based); ``samples`` is Sobol's N (a power of
    2, default 64) or Morris's number of trajectories r (default 10).
    """
    if objective == "regret" or recommended < 1:
        return None
    if method not in METHODS:
        raise ValueError(f"sensitivity method must be one of {', '.join(METHODS)}")
    factors = spec.factors
    if method == "auto":
        method = "sobol" if len(factors) <= SOBOL_MAX_FACTORS else "morris"
    problem = {"num_vars": len(factors), "names": list(factors), "bounds": [[0, 1]] * len(factors)}
    if samples is None:
        samples = 64 if method == "sobol" else 10
    x = _design(problem, method, samples, seed)
    context = _Context(instance, spec, listed, objective, recommended - 1)
    y = np.array(run_tasks(_task, context, x.tolist(), jobs, scheduler), dtype=float)
    return Sensitivity(method, factors, len(x), _indices(problem, method, x, y[:, 0], seed),
                       _indices(problem, method, x, y[:, 1], seed), float(np.mean(y[:, 1])))


def _design(problem: dict[str, Any], method: str, samples: int, seed: int) -> np.ndarray:
    if method == "sobol":
        from SALib.sample import sobol

        return np.asarray(sobol.sample(problem, samples, calc_second_order=False, seed=seed))
    from SALib.sample import morris

    return np.asarray(morris.sample(problem, samples, num_levels=4, seed=seed))


def _indices(
    problem: dict[str, Any], method: str, x: np.ndarray, y: np.ndarray, seed: int
) -> dict[str, tuple[float, ...]]:
    """S1 and ST (Sobol'), or mu_star and sigma (Morris); all 0 when Y is constant."""
    names = ("S1", "ST") if method == "sobol" else ("mu_star", "sigma")
    d = problem["num_vars"]
    if np.ptp(y) == 0:
        return {n: (0.0,) * d for n in names}
    if method == "sobol":
        from SALib.analyze import sobol

        found = sobol.analyze(problem, y, calc_second_order=False, seed=seed,
                              print_to_console=False)
    else:
        from SALib.analyze import morris

        found = morris.analyze(problem, x, y, num_levels=4, seed=seed, print_to_console=False)
    return {n: tuple(float(v) for v in np.asarray(found[n], dtype=float)) for n in names}
