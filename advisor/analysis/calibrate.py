r"""Calibration: the counterpart that makes the deals it signed the advisor's own answers.

The counterpart of an instance is a fixed rule: it accepts a package whose offers'
value reaches ρ times what the requests cost it, values offer j at g_j, and grants
request r with probability a_r. :func:`calibrate` fits that rule to deals the
counterpart actually signed (``observed.toml`` beside an instance,
:mod:`advisor.inputs.observed`), one shared counterpart for every instance given.

**Parameters** θ = (ρ, m_c for each offer category c, α) (:func:`apply_counterpart
<advisor.analysis.calibrate_score.apply_counterpart>`): the reciprocity ratio ρ
replaces each instance's; offer j's counterpart value becomes m_{c(j)} g_j (the
categories of ``offers.csv``: purchase, tariff, regulatory, security, investment);
every acceptance probability becomes min(1, α a). Each parameter takes the values of
a grid (``ratios``, ``multipliers``, ``acceptances``; defaults :data:`RATIOS`,
:data:`MULTIPLIERS`, :data:`ACCEPTANCES`).

**The fit.** For an instance k with observed deal x°_k (the requests granted and the
offers made, as 0/1 decisions) and a θ, let Opt_k(θ) be home's optimal strategies
under θ (expected objective, every rule of the instance, ties within the tie
tolerance τ). The score of θ on k is lexicographic:

.. math::

    D_k(θ) = \min_{x ∈ Opt_k(θ)} \; Σ_i |x_i - x°_{k,i}|, \qquad
    G_k(θ) = \frac{|V^*_k(θ) - V_{k,θ}(x°_k)|}{\max(|V^*_k(θ)|, |V_{k,θ}(x°_k)|)}

the number of decisions where the nearest optimum differs from the observed deal
(ties count in the observation's favour), then the objective gap between the best
strategy and the observed deal, relative so that instances in different money count
alike. Several instances share one counterpart: S(θ) = (Σ_k D_k, Σ_k G_k). The fit
is the grid point minimising S lexicographically; scores whose D are equal and whose
G differ by at most :data:`GAP_TIE` tie. Among tied points the one nearest the
stated counterpart (Σ_p |log θ_p|, every parameter 1) is reported, then the first in
grid order. D = 0 means the observed deals are optimal under θ (inverse
optimisation's exact case); an observed deal that breaks the instance's own rules
(a budget, a condition) can never reach 0 and the report lists what it breaks.

**Why a grid search and not an inverse-optimisation MILP**: the observed deals are
not optimal for any θ when they break home's own rules, so the exact inverse
problem (KKT or duality conditions) is infeasible, while the distance above is
always defined; and a grid states its resolution and gives intervals directly.
Each score is two solves on one highspy copy of the model per acceptance value,
with an exact shortcut between points
(:mod:`advisor.analysis.calibrate_score`).

**The search.** ``search="grid"`` scores every grid point; ``"coordinate"`` starts
at the stated counterpart (every multiplier 1) with each grid value of ρ in turn,
and from each start moves one parameter at a time to its best value, the others
held, until a whole pass moves nothing; the best end point is the fit (a point no
single parameter's change improves; not proven global). ``"auto"``: the grid when it has at most
:data:`FULL_GRID_LIMIT` points, else coordinate.

**Intervals.** Each parameter's interval is the range of its grid values that tie
with the best score: over every tied grid point (grid search), or along its own axis
with the others at their fitted values (coordinate search, a profile). ρ and a
common factor on every m_c act only through m_c / ρ, so they trade off: the
intervals say so by being wide together.

**Predictions.** The calibrated prediction for an instance is the advisor's best
strategy (:func:`advisor.solve`, rank 1, with its deterministic tie-break) on the
instance under the fitted θ, compared decision by decision with the observed deal
when there is one. ``leave_one_out`` fits on every instance but one and predicts the
one left out; ``predict`` instances (without observed deals, e.g. Malaysia) are
predicted under the fit on all of them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from advisor.analysis.calibrate_score import (
    InstanceScorer,
    Score,
    apply_counterpart,
    category_of,
)
from advisor.inputs.observed import ObservedDeal, read_observed
from advisor.instance import Instance
from advisor.solving.session import open_session
from advisor.solving.settings import check_instance

RATIOS = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 48.0, 64.0)
MULTIPLIERS = (0.25, 0.5, 1.0, 2.0, 4.0)
ACCEPTANCES = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
CATEGORIES = ("purchase", "tariff", "regulatory", "security", "investment")
FULL_GRID_LIMIT = 600
GAP_TIE = 1e-6
MAX_PASSES = 10
RATIO = "reciprocity_ratio"
ACCEPTANCE = "acceptance_multiplier"
SEARCHES = ("auto", "grid", "coordinate")

Point = tuple[int, ...]  # one grid index per parameter


def multiplier_name(category: str) -> str:
    """The fitted parameter's name for an offer category: ``value_multiplier.purchase``."""
    return f"value_multiplier.{category}"


@dataclass(frozen=True)
class Parameter:
    """One fitted parameter: its value, interval, the tied grid values and the grid."""

    name: str
    value: float
    low: float
    high: float
    tied: tuple[float, ...]
    grid: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"value": self.value, "interval": [self.low, self.high],
                "tied_values": list(self.tied), "grid": list(self.grid)}


@dataclass(frozen=True)
class Comparison:
    """The calibrated prediction for one instance against its observed deal (if any).

    ``predicted``: the decisions of the advisor's best strategy under the fitted θ;
    ``observed``: the deal's (None: no observed deal); ``decisions``: (id, kind
    ``request`` or ``offer``, observed, predicted) for every decision either one
    makes, in file order; ``distance``: how
    many differ. ``nearest_distance`` and ``gap``: the fit's score on this instance
    (None for an instance not fitted); ``observed_breaks``: the rules the observed
    deal breaks under θ. Values in objective units of the instance.
    """

    instance: str
    path: str
    predicted: tuple[str, ...]
    predicted_value: float | None
    observed: tuple[str, ...] | None
    observed_value: float | None
    decisions: tuple[tuple[str, str, bool, bool], ...]
    distance: int | None
    nearest_distance: int | None
    gap: float | None
    observed_breaks: tuple[str, ...]
    fitted: Mapping[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "instance": self.instance, "path": self.path,
            "predicted": list(self.predicted), "predicted_value": self.predicted_value,
            "observed": None if self.observed is None else list(self.observed),
            "observed_value": self.observed_value, "distance": self.distance,
            "nearest_optimum_distance": self.nearest_distance, "gap": _finite(self.gap),
            "observed_breaks": list(self.observed_breaks),
            "decisions": [{"decision": d, "kind": k, "observed": o, "predicted": p}
                          for d, k, o, p in self.decisions],
            "fitted": dict(self.fitted),
        }


@dataclass(frozen=True)
class Calibration:
    """The fitted counterpart, the fit on each instance, leave-one-out and predictions."""

    parameters: tuple[Parameter, ...]
    distance: int
    gap: float
    search: str
    points: int
    solves: int
    fits: tuple[Comparison, ...]
    leave_one_out: tuple[Comparison, ...]
    predictions: tuple[Comparison, ...]
    warnings: tuple[str, ...] = ()

    @property
    def values(self) -> dict[str, float]:
        """The fitted value of every parameter, by name."""
        return {p.name: p.value for p in self.parameters}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (identical run to run)."""
        return {
            "parameters": {p.name: p.to_dict() for p in self.parameters},
            "score": {"distance": self.distance, "gap": _finite(self.gap)},
            "search": self.search, "points": self.points, "solves": self.solves,
            "fits": [c.to_dict() for c in self.fits],
            "leave_one_out": [c.to_dict() for c in self.leave_one_out],
            "predictions": [c.to_dict() for c in self.predictions],
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per fitted parameter: value, interval, tied values."""
        return pd.DataFrame([
            {"parameter": p.name, "value": p.value, "low": p.low, "high": p.high,
             "tied_values": "; ".join(f"{v:g}" for v in p.tied)}
            for p in self.parameters
        ])

    def decisions_frame(self) -> pd.DataFrame:
        """One row per decision of every comparison (fit, leave-one-out, prediction)."""
        rows = []
        for kind, comparisons in (("fit", self.fits), ("leave_one_out", self.leave_one_out),
                                  ("prediction", self.predictions)):
            for c in comparisons:
                rows += [{"comparison": kind, "instance": c.instance, "decision": d, "kind": k,
                          "observed": o if c.observed is not None else None, "predicted": p}
                         for d, k, o, p in c.decisions]
        columns = ["comparison", "instance", "decision", "kind", "observed", "predicted"]
        return pd.DataFrame(rows, columns=columns)


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


# ------------------------------------------------------------------ the grid


@dataclass(frozen=True)
class _Grid:
    """The parameters' names and grids; a point is one index per parameter."""

    names: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]
    categories: tuple[str, ...]

    def theta(self, point: Point) -> dict[str, float]:
        return {n: g[i] for n, g, i in zip(self.names, self.values, point, strict=True)}

    def prior_distance(self, point: Point) -> float:
        return sum(abs(math.log(g[i])) for g, i in zip(self.values, point, strict=True))

    def start(self) -> Point:
        """The grid point nearest the stated counterpart (every parameter 1)."""
        return tuple(_nearest_one(g) for g in self.values)

    def starts(self) -> list[Point]:
        """The coordinate search's starts: the stated counterpart, at every ratio."""
        prior = self.start()
        return [(i, *prior[1:]) for i in range(len(self.values[0]))]

    def size(self) -> int:
        return math.prod(len(g) for g in self.values)


def _nearest_one(values: tuple[float, ...]) -> int:
    return min(range(len(values)), key=lambda i: (abs(math.log(values[i])), i))


def _grid(categories: tuple[str, ...], ratios: Sequence[float], multipliers: Sequence[float],
          acceptances: Sequence[float]) -> _Grid:
    for name, grid in (("ratios", ratios), ("multipliers", multipliers),
                       ("acceptances", acceptances)):
        if not grid or any(isinstance(v, bool) or not isinstance(v, (int, float))
                           or not math.isfinite(v) or v <= 0 for v in grid):
            raise ValueError(f"{name} must be a non-empty list of finite numbers > 0, got {grid!r}")
    names = (RATIO, *(multiplier_name(c) for c in categories), ACCEPTANCE)
    values = (tuple(sorted({float(v) for v in ratios})),
              *(tuple(sorted({float(v) for v in multipliers})) for _ in categories),
              tuple(sorted({float(v) for v in acceptances})))
    return _Grid(names, values, categories)


class _Objective:
    """Scores grid points on a set of instances (sums), memoised per instance."""

    def __init__(self, grid: _Grid, scorers: Sequence[InstanceScorer]) -> None:
        self.grid, self.scorers = grid, scorers
        self.memo: dict[tuple[int, Point], Score] = {}

    def instance_score(self, k: int, point: Point) -> Score:
        key = (k, point)
        if key not in self.memo:
            theta = self.grid.theta(point)
            m = {c: theta[multiplier_name(c)] for c in self.grid.categories}
            self.memo[key] = self.scorers[k].score(theta[RATIO], m, theta[ACCEPTANCE])
        return self.memo[key]

    def total(self, point: Point, members: Sequence[int]) -> tuple[int, float]:
        scores = [self.instance_score(k, point) for k in members]
        return sum(s.distance for s in scores), sum(s.gap for s in scores)


def _ties(a: tuple[int, float], b: tuple[int, float]) -> bool:
    return a[0] == b[0] and (a[1] == b[1] or abs(a[1] - b[1]) <= GAP_TIE)


def _pick(grid: _Grid, scored: Mapping[Point, tuple[int, float]]) -> tuple[Point, list[Point]]:
    """The best score's tied points, and the one nearest the prior among them."""
    best = min(scored.values())
    tied = [p for p, s in scored.items() if _ties(s, best)]
    chosen = min(tied, key=lambda p: (grid.prior_distance(p), p))
    return chosen, tied


def _grid_search(objective: _Objective, members: Sequence[int]) -> tuple[Point, list[Point]]:
    points = itertools.product(*(range(len(g)) for g in objective.grid.values))
    scored = {p: objective.total(p, members) for p in points}
    return _pick(objective.grid, scored)


def _coordinate_search(objective: _Objective, members: Sequence[int]
                       ) -> tuple[Point, list[Point]]:
    """Coordinate descent from each start (:meth:`_Grid.starts`); the best end point."""
    grid = objective.grid
    ends = {_descend(objective, members, start) for start in grid.starts()}
    point, _ = _pick(grid, {p: objective.total(p, members) for p in sorted(ends)})
    lines = {(*point[:a], i, *point[a + 1:]) for a, g in enumerate(grid.values)
             for i in range(len(g))}
    scored = {p: objective.total(p, members) for p in sorted(lines)}
    here = scored[point]
    return point, [p for p, s in scored.items() if _ties(s, here)]


def _descend(objective: _Objective, members: Sequence[int], point: Point) -> Point:
    """Move one parameter at a time to its best value until a pass moves none."""
    grid = objective.grid
    for _ in range(MAX_PASSES):
        moved = False
        for axis, values in enumerate(grid.values):
            line = [(*point[:axis], i, *point[axis + 1:]) for i in range(len(values))]
            best, tied = _pick(grid, {p: objective.total(p, members) for p in line})
            if point not in tied:
                point, moved = best, True
        if not moved:
            break
    return point


def _parameters(grid: _Grid, point: Point, tied: Iterable[Point]) -> tuple[Parameter, ...]:
    """Each parameter at ``point``, with the grid values the tied points take on its axis."""
    tied = list(tied)
    out = []
    for axis, (name, values) in enumerate(zip(grid.names, grid.values, strict=True)):
        seen = tuple(values[i] for i in sorted({p[axis] for p in tied} | {point[axis]}))
        out.append(Parameter(name, values[point[axis]], min(seen), max(seen), seen, values))
    return tuple(out)


# ------------------------------------------------------------------ the public call


def categories_of(instances: Iterable[Instance]) -> tuple[str, ...]:
    """The offer categories present, in :data:`CATEGORIES` order, then alphabetical."""
    found = {category_of(o.category) for inst in instances for o in inst.offers}
    known = [c for c in CATEGORIES if c in found]
    return (*known, *sorted(found - set(known)))


def _check(instances: Sequence[Instance], observed: Sequence[ObservedDeal] | None,
           search: str) -> None:
    if isinstance(instances, Instance) or not isinstance(instances, Sequence) or not instances:
        raise TypeError("instances must be a non-empty list of advisor.Instance")
    for inst in instances:
        check_instance(inst)
    if observed is not None and len(observed) != len(instances):
        raise ValueError(f"observed must hold one deal per instance ({len(instances)}), "
                         f"got {len(observed)}")
    if search not in SEARCHES:
        raise ValueError(f"search must be one of {', '.join(SEARCHES)}, got {search!r}")


def calibrate(
    instances: Sequence[Instance],
    observed: Sequence[ObservedDeal] | None = None,
    *,
    predict: Sequence[Instance] = (),
    leave_one_out: bool = False,
    ratios: Sequence[float] = RATIOS,
    multipliers: Sequence[float] = MULTIPLIERS,
    acceptances: Sequence[float] = ACCEPTANCES,
    search: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> Calibration:
    """Fit one counterpart θ to the observed deals of ``instances`` (maths: module docstring).

    ``observed``: one deal per instance (None: each instance's ``observed.toml``,
    read from its folder; raises :class:`~advisor.errors.InstanceError` with located
    problems). ``predict``: instances whose deal the fit predicts (no observed deal
    needed). ``leave_one_out``: also fit on all but each instance and predict it
    (needs two instances or more).
    """
    _check(instances, observed, search)
    deals = list(observed) if observed is not None else [
        read_observed(inst.path, inst) for inst in instances]
    if leave_one_out and len(instances) < 2:
        raise ValueError("leave_one_out needs at least two instances")
    say: Callable[[str], None] = progress or _silent
    grid = _grid(categories_of(instances), ratios, multipliers, acceptances)
    method = search if search != "auto" else (
        "grid" if grid.size() <= FULL_GRID_LIMIT else "coordinate")
    scorers = [InstanceScorer(inst, d.decisions, grid.categories)
               for inst, d in zip(instances, deals, strict=True)]
    objective = _Objective(grid, scorers)
    run = _grid_search if method == "grid" else _coordinate_search
    everyone = list(range(len(instances)))
    say(f"calibrating on {len(instances)} instance(s): {method} search over {grid.size()} "
        "grid points")
    point, tied = run(objective, everyone)
    parameters = _parameters(grid, point, tied)
    theta = grid.theta(point)
    fits = tuple(_compare(inst, d, theta, grid, objective.instance_score(k, point))
                 for k, (inst, d) in enumerate(zip(instances, deals, strict=True)))
    folds = []
    if leave_one_out:
        for k, (inst, deal) in enumerate(zip(instances, deals, strict=True)):
            say(f"leave-one-out: fitting without {inst.name}")
            fold, _ = run(objective, [i for i in everyone if i != k])
            folds.append(_compare(inst, deal, grid.theta(fold), grid, None))
    predictions = tuple(_compare(inst, None, theta, grid, None) for inst in predict)
    total = objective.total(point, everyone)
    return Calibration(
        parameters, total[0], total[1], method, len({p for _, p in objective.memo}),
        sum(s.solves for s in scorers), fits, tuple(folds), predictions,
        _warnings(grid, predict, parameters),
    )


def _silent(_message: str) -> None:
    return None


def _warnings(grid: _Grid, predict: Sequence[Instance], parameters: Sequence[Parameter]
              ) -> tuple[str, ...]:
    out = []
    for p in parameters:
        if p.value in (p.grid[0], p.grid[-1]) and len(p.grid) > 1:
            out.append(f"{p.name} = {p.value:g} is at the end of its grid "
                       f"({p.grid[0]:g} to {p.grid[-1]:g}): the fit may lie beyond it")
    for inst in predict:
        missing = set(categories_of([inst])) - set(grid.categories)
        if missing:
            out.append(f"{inst.name}: offer categories {', '.join(sorted(missing))} were not "
                       "fitted (no fitted instance has them): their values are kept")
    return tuple(out)


def calibrated_instance(instance: Instance, values: Mapping[str, float]) -> Instance:
    """``instance`` under fitted values (:attr:`Calibration.values`)."""
    multipliers = {name.split(".", 1)[1]: v for name, v in values.items()
                   if name.startswith("value_multiplier.")}
    return apply_counterpart(instance, values[RATIO], multipliers, values[ACCEPTANCE])


def _compare(instance: Instance, deal: ObservedDeal | None, theta: Mapping[str, float],
             grid: _Grid, score: Score | None) -> Comparison:
    """The advisor's best strategy under θ against the observed deal."""
    from advisor.solving.pipeline import solve

    calibrated = calibrated_instance(instance, theta)
    result = solve(calibrated, top=1, min_difference=1, objective="expected",
                   with_measures=False, distinct_on="all")
    best = result.strategies[0] if result.strategies else None
    predicted = frozenset(best.decisions) if best is not None else frozenset()
    order = instance.decision_ids()
    seen = deal.decisions if deal is not None else frozenset()
    decisions = tuple((d, "request" if d in instance.request_by_id else "offer", d in seen,
                       d in predicted) for d in order if d in seen | predicted)
    breaks: tuple[str, ...] = ()
    observed_value = None
    if deal is not None:
        session = open_session(calibrated, "expected", binding=False)
        breaks = tuple(session.rulebook.violations(deal.decisions))
        observed_value = session.evaluator.objective_of(deal.decisions)
    return Comparison(
        instance=instance.name, path=instance.path,
        predicted=tuple(d for d in order if d in predicted),
        predicted_value=None if best is None else best.objective,
        observed=None if deal is None else tuple(d for d in order if d in seen),
        observed_value=observed_value,
        decisions=decisions,
        distance=None if deal is None else len(seen ^ predicted),
        nearest_distance=None if score is None else score.distance,
        gap=None if score is None else score.gap,
        observed_breaks=breaks,
        fitted=dict(theta),
    )
