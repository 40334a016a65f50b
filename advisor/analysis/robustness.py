r"""How sure is the advice? The listed strategies under draws of the uncertain figures.

:func:`robustness` solves the base instance for its top K strategies, then, for
each draw d of ``uncertainty.csv`` (:mod:`advisor.analysis.draws`), builds the
draw's instance and (a) re-scores the K strategies: value and the rules each
breaks, on the draw's own model; (b) ranks the draw's own three best strategies.
A strategy that breaks a rule in a draw is a deal that does not happen there: its
**realised value** is 0, the value of no deal (the threat imposed), otherwise its
objective. Over the N draws, for strategy k with realised values v_dk and the
draw's optimum v*_d (objective units):

.. math::

    \text{mean}_k = \frac1N Σ_d v_{dk}, \quad
    \text{p5}_k = \text{the 5th percentile of } v_{\cdot k} \text{ (linear interpolation)},

    \text{CVaR}_k = \frac1{\lceil αN \rceil} Σ_{\text{the } \lceil αN \rceil
    \text{ smallest}} v_{dk} \ (α = 0.05), \quad
    \text{regret}_k = \frac1{N^*} Σ_{d: v^*_d \text{ exists}} (v^*_d - v_{dk}),

P(feasible), P(optimal) (feasible and within the tie tolerance of v*_d) and P(top
3) (feasible and at least the draw's third-best value, less the tolerance). The
strategies that are some draw's optimum but not listed are counted, with what they
change against strategy 1. ``robust_choice`` picks the listed strategy with the best
CVaR, mean or P(optimal) (ties: the better base rank). The sensitivity analysis is
in :mod:`advisor.analysis.sensitivity`.

Each draw is computed from its own index and seed, and collected by index, so the
result is the same byte for byte with any ``jobs``, serially or on Dask
(:mod:`advisor.executor`).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from advisor.analysis.draws import perturb, sample
from advisor.analysis.persistent import draw_solver
from advisor.analysis.sensitivity import Sensitivity, sensitivity
from advisor.executor import run_tasks
from advisor.inputs.uncertainty import Uncertainty, load_uncertainty
from advisor.instance import Instance
from advisor.results import Result, tolerance
from advisor.solving.pipeline import solve
from advisor.solving.search import best_strategy, run_search, search_method
from advisor.solving.session import Solution, SolverSession, open_session

CHOICES = ("cvar", "mean", "p_optimal")
DEPTH = 3  # P(top 3)
ALPHA = 0.05  # the CVaR's tail


@dataclass(frozen=True)
class DrawContext:
    """What every draw needs: sent to each worker once."""

    instance: Instance
    uncertainty: Uncertainty
    listed: tuple[frozenset[str], ...]
    objective: str
    depth: int = DEPTH  # how many of each draw's best strategies to find
    persistent: bool = True  # one model per worker, re-numbered per draw (else rebuilt)


@dataclass(frozen=True)
class DrawOutcome:
    """One draw: the listed strategies' values and broken rules, the draw's best."""

    index: int
    values: tuple[float, ...]  # as scored, rules aside (objective units)
    broken: tuple[tuple[str, ...], ...]
    ranks: tuple[int | None, ...]  # rank among the draw's best (depth + 1: below); None: broken
    best: tuple[float, ...]  # the draw's depth best objectives (empty: no strategy)
    optimum: tuple[str, ...]
    clipped: tuple[str, ...]


def draw_task(context: DrawContext, item: tuple[int, Sequence[float]]) -> DrawOutcome:
    """Score the listed strategies in draw ``item`` and find the draw's best (a worker)."""
    index, values = item
    inst, clipped = perturb(context.instance, context.uncertainty, values)
    solver = None
    if context.persistent and context.objective != "regret":
        solver = draw_solver(context, context.instance, context.objective)
    if solver is None:
        return _outcome(context, index, inst, clipped, _rebuilt(context, inst))
    session, persistent = solver.session_for(inst)
    try:
        return _outcome(context, index, inst, clipped, session)
    finally:
        if persistent:
            solver.release()


def _rebuilt(context: DrawContext, inst: Instance) -> SolverSession:
    """The draw's own model and solver, built for it (the regret's optima solved first)."""
    optima = None
    if context.objective == "regret":
        found = {w.name: best_strategy(inst, f"scenario:{w.name}", 0.0, None, 1)
                 for w in inst.scenarios}
        optima = {w: (s.objective if s else 0.0) for w, s in found.items()}
    return open_session(inst, context.objective, optima, binding=False)


def _outcome(
    context: DrawContext, index: int, inst: Instance, clipped: tuple[str, ...],
    session: SolverSession,
) -> DrawOutcome:
    """The listed strategies scored and the draw's best found on ``session``."""
    scored = tuple(session.evaluator.objective_of(c) for c in context.listed)
    broken = session.rulebook.violations_of_each(list(context.listed))
    feasible = [(v, k) for k, (v, b) in enumerate(zip(scored, broken, strict=True)) if not b]
    if feasible:  # an incumbent for HiGHS: the best listed strategy that keeps the rules
        session.warm_start(context.listed[max(feasible)[1]])
    best = _draw_best(session, inst, context.depth)
    unit = session.model.scales.objective
    tops = tuple(s.objective for s in best)
    ranks = tuple(
        None if rules else 1 + sum(t > v + tolerance(t, unit) for t in tops)
        for v, rules in zip(scored, broken, strict=True)
    )
    # a listed strategy tied with the optimum names it (a tie is not a new optimum)
    tied = [c for c, r in zip(context.listed, ranks, strict=True) if r == 1]
    chosen = tied[0] if tied else (best[0].chosen if best else frozenset())
    optimum = tuple(d for d in inst.decision_ids() if d in chosen)
    return DrawOutcome(index, scored, tuple(tuple(sorted(b)) for b in broken), ranks, tops,
                       optimum, clipped)


def _draw_best(session: SolverSession, instance: Instance, depth: int) -> list[Solution]:
    """The draw's ``depth`` best strategies: one solve for its optimum, else the ranking."""
    if depth == 1 and search_method("auto", instance, "all", 1, 1) == "cuts":
        found = session.solve()
        return [found] if found is not None else []
    method = search_method("auto", instance, "all", depth, 1)
    return run_search(session, method, depth, 1, lambda message: None).solutions


@dataclass(frozen=True)
class StrategyRobustness:
    """One listed strategy over the draws (money in objective units)."""

    rank: int
    decisions: tuple[str, ...]
    base_objective: float
    mean: float
    p5: float
    cvar: float
    p_feasible: float
    p_optimal: float
    p_top3: float | None  # None: the draws' top 3 were not searched (depth 1)
    mean_regret: float | None
    rank_counts: Mapping[str, int]  # "1", "2", "3", ">3", "infeasible" (depth 3)
    broken_rules: Mapping[str, int]  # rule label -> draws in which it breaks


@dataclass(frozen=True)
class NewOptimum:
    """A strategy optimal in some draws but not listed: how often, what differs."""

    decisions: tuple[str, ...]
    draws: int
    mean_objective: float
    added: tuple[str, ...]  # against listed strategy 1
    dropped: tuple[str, ...]


@dataclass(frozen=True)
class Robustness:
    """The robustness of a ranking (:func:`robustness`)."""

    instance: Instance
    uncertainty: Uncertainty
    draws: int
    seed: int
    objective: str
    strategies: tuple[StrategyRobustness, ...]
    new_optima: tuple[NewOptimum, ...]
    choices: Mapping[str, int]  # criterion -> recommended base rank
    robust_choice: str
    clipped: Mapping[str, int]  # target -> draws in which its value was clipped
    draws_without_strategy: int
    sensitivity: Sensitivity | None
    realised: np.ndarray = field(repr=False)  # draws × strategies, realised values
    optimum_values: np.ndarray = field(repr=False)  # per draw; nan: no strategy
    notes: tuple[str, ...] = ()

    @property
    def money(self) -> str:
        """The money label, e.g. ``USD million``."""
        return self.instance.money

    @property
    def recommended(self) -> int:
        """The base rank of the strategy ``robust_choice`` recommends (0: none)."""
        return self.choices.get(self.robust_choice, 0)

    def to_frame(self) -> pd.DataFrame:
        """One row per listed strategy: its statistics over the draws."""
        rows = []
        for s in self.strategies:
            row: dict[str, Any] = {
                "rank": s.rank, "decisions": " ".join(s.decisions),
                "base_objective": s.base_objective, "mean": s.mean, "p5": s.p5,
                "cvar": s.cvar, "p_feasible": s.p_feasible, "p_optimal": s.p_optimal,
                "p_top3": s.p_top3, "mean_regret": s.mean_regret,
            }
            row.update({f"rank_{k}": v for k, v in s.rank_counts.items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def draws_frame(self) -> pd.DataFrame:
        """One row per draw: each strategy's realised value and the draw's optimum."""
        frame = pd.DataFrame(
            self.realised, columns=[f"strategy_{s.rank}" for s in self.strategies]
        )
        frame.insert(0, "draw", range(self.draws))
        frame["optimum"] = self.optimum_values
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the run, each strategy's statistics, new optima, choices, sensitivity."""
        return {
            "instance": self.instance.name, "money": self.money, "objective": self.objective,
            "draws": self.draws, "seed": self.seed, "alpha": ALPHA,
            "uncertain_inputs": [u.target for u in self.uncertainty.inputs],
            "strategies": [
                {**{k: v for k, v in s.__dict__.items() if k not in ("rank_counts",
                                                                     "broken_rules")},
                 "decisions": list(s.decisions), "rank_counts": dict(s.rank_counts),
                 "broken_rules": dict(s.broken_rules)}
                for s in self.strategies
            ],
            "new_optima": [
                {"decisions": list(n.decisions), "draws": n.draws,
                 "mean_objective": n.mean_objective, "added": list(n.added),
                 "dropped": list(n.dropped)}
                for n in self.new_optima
            ],
            "choices": dict(self.choices), "robust_choice": self.robust_choice,
            "clipped": dict(self.clipped), "draws_without_strategy": self.draws_without_strategy,
            "sensitivity": None if self.sensitivity is None else self.sensitivity.to_dict(),
            "notes": list(self.notes),
        }

    def plot(self, path: str | Path) -> Path:
        """Each listed strategy's realised values over the draws, written atomically."""
        from advisor.analysis.robustness_plot import plot_robustness

        return plot_robustness(self, path)


Progress = Callable[[str], None]


def robustness(
    instance: Instance,
    draws: int = 200,
    seed: int = 0,
    top: int | None = None,
    uncertainty: Uncertainty | None = None,
    robust_choice: str = "cvar",
    jobs: int = 1,
    scheduler: Any = None,
    sensitivity_method: str | None = "auto",
    sensitivity_samples: int | None = None,
    progress: Progress | None = None,
    depth: int = DEPTH,
    persistent: bool = True,
) -> Robustness:
    """The listed strategies of ``instance`` under ``draws`` draws of its uncertain figures.

    ``uncertainty`` defaults to the instance folder's ``uncertainty.csv`` (raises
    :class:`~advisor.errors.InstanceError` if absent or invalid). ``jobs`` > 1 runs
    the draws in a local process pool; ``scheduler`` (an address or a
    ``distributed.Client``) on a Dask cluster; the result is the same.
    ``sensitivity_method``: ``sobol``, ``morris``, ``auto`` (Sobol' up to 10
    inputs) or None; ``sensitivity_samples``: Sobol's N (default 64) or Morris's r
    (default 10). ``depth`` 1 finds only each draw's optimum (one MILP solve a draw,
    no P(top 3)); the default 3 finds its three best (no-good cuts: about 4x slower).
    ``persistent`` solves the draws on one model per worker whose numbers change
    (:mod:`advisor.analysis.persistent`), False on a model rebuilt per draw (the same
    result; for benchmarks and tests).
    """
    _check(draws, robust_choice, jobs)
    say = progress or (lambda message: None)
    spec = uncertainty or _uncertainty_of(instance)
    say("ranking the base instance")
    base = solve(instance, top=top, with_measures=False)
    listed = tuple(frozenset(s.decisions) for s in base.strategies)
    values = sample(spec, draws, seed)
    context = DrawContext(instance, spec, listed, base.objective, depth, persistent)

    def tick(done: int, total: int) -> None:
        say(f"draw {done}/{total}")

    # a progress object with a bar (the command line's) counts the draws on it
    tick = getattr(progress, "count", tick)

    outcomes = run_tasks(draw_task, context, list(enumerate(values.tolist())), jobs,
                         scheduler, tick) if listed else []
    result = summarise(instance, spec, base, outcomes, draws, seed, robust_choice, depth)
    if listed and sensitivity_method is not None:
        say("sensitivity indices")
        found = sensitivity(instance, spec, listed, base.objective, result.recommended,
                            sensitivity_method, sensitivity_samples, seed, jobs, scheduler)
        result = _with(result, sensitivity=found)
    return result


def _with(result: Robustness, **changes: Any) -> Robustness:
    return dataclasses.replace(result, **changes)


def _check(draws: int, robust_choice: str, jobs: int) -> None:
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    if robust_choice not in CHOICES:
        raise ValueError(f"robust_choice must be one of {', '.join(CHOICES)}, "
                         f"got {robust_choice!r}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")


def _uncertainty_of(instance: Instance) -> Uncertainty:
    from advisor.errors import InstanceError, Problem

    found = load_uncertainty(instance)
    if found is None or not found.inputs:
        raise InstanceError(Problem("uncertainty.csv", None, None, "no uncertain figure: "
                                    "the robustness analysis needs an uncertainty.csv in "
                                    f"{instance.path or 'the instance folder'}"))
    return found


def cvar(values: np.ndarray, alpha: float = ALPHA) -> float:
    """The mean of the ⌈αN⌉ smallest values (the lower tail's conditional mean)."""
    n = max(1, math.ceil(alpha * len(values)))
    return float(np.mean(np.sort(values)[:n]))


def summarise(
    instance: Instance,
    spec: Uncertainty,
    base: Result,
    outcomes: Sequence[DrawOutcome],
    draws: int,
    seed: int,
    robust_choice: str,
    depth: int = DEPTH,
) -> Robustness:
    """The statistics of :class:`Robustness` from the draws' outcomes (in draw order)."""
    k = len(base.strategies)
    raw = np.array([o.values for o in outcomes], dtype=float).reshape(len(outcomes), k)
    feasible = np.array([[not b for b in o.broken] for o in outcomes], dtype=bool)
    feasible = feasible.reshape(len(outcomes), k)
    realised = np.where(feasible, raw, 0.0)
    optimum = np.array([o.best[0] if o.best else np.nan for o in outcomes], dtype=float)
    stats = tuple(_strategy(s.rank, s.decisions, s.objective, realised[:, i], optimum,
                            [o.ranks[i] for o in outcomes], [o.broken[i] for o in outcomes],
                            depth)
                  for i, s in enumerate(base.strategies))
    choices = _choices(stats)
    clipped = Counter(t for o in outcomes for t in o.clipped)
    return Robustness(
        instance=instance, uncertainty=spec, draws=draws, seed=seed, objective=base.objective,
        strategies=stats, new_optima=_new_optima(outcomes, base), choices=choices,
        robust_choice=robust_choice, clipped=dict(sorted(clipped.items())),
        draws_without_strategy=int(np.isnan(optimum).sum()), sensitivity=None,
        realised=realised, optimum_values=optimum, notes=_notes(spec),
    )


def _strategy(
    rank: int, decisions: tuple[str, ...], objective: float, v: np.ndarray,
    optimum: np.ndarray, ranks: list[int | None], broken: list[tuple[str, ...]],
    depth: int = DEPTH,
) -> StrategyRobustness:
    n = len(v)
    has = ~np.isnan(optimum)
    counts = Counter("infeasible" if r is None else (str(r) if r <= depth else f">{depth}")
                     for r in ranks)
    keys = [*(str(i) for i in range(1, depth + 1)), f">{depth}", "infeasible"]
    return StrategyRobustness(
        rank=rank, decisions=decisions, base_objective=objective,
        mean=float(np.mean(v)), p5=float(np.percentile(v, 5)), cvar=cvar(v),
        p_feasible=sum(r is not None for r in ranks) / n,
        p_optimal=sum(r == 1 for r in ranks) / n,
        p_top3=sum(r is not None and r <= DEPTH for r in ranks) / n if depth >= DEPTH else None,
        mean_regret=float(np.mean(optimum[has] - v[has])) if has.any() else None,
        rank_counts={key: counts.get(key, 0) for key in keys},
        broken_rules=dict(Counter(rule for b in broken for rule in b).most_common()),
    )


def _choices(stats: Sequence[StrategyRobustness]) -> dict[str, int]:
    """Each criterion's pick: the best value, ties to the better mean, then base rank."""
    if not stats:
        return {}
    out = {}
    for criterion in CHOICES:

        def key(s: StrategyRobustness, c: str = criterion) -> tuple[float, float, int]:
            return (-getattr(s, c), -s.mean, s.rank)

        out[criterion] = min(stats, key=key).rank
    return out


def _new_optima(outcomes: Sequence[DrawOutcome], base: Result) -> tuple[NewOptimum, ...]:
    listed = {tuple(s.decisions) for s in base.strategies}
    first = set(base.strategies[0].decisions) if base.strategies else set()
    found: dict[tuple[str, ...], list[float]] = {}
    for o in outcomes:
        if o.best and o.optimum not in listed:
            found.setdefault(o.optimum, []).append(o.best[0])
    ordered = sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return tuple(
        NewOptimum(d, len(v), float(np.mean(v)), tuple(x for x in d if x not in first),
                   tuple(x for x in base.strategies[0].decisions if x not in set(d)))
        for d, v in ordered
    )


def _notes(spec: Uncertainty) -> tuple[str, ...]:
    notes = ["a strategy that breaks a rule in a draw counts as no deal there (value 0)"]
    if any(u.table == "scenarios" for u in spec.inputs):
        notes.append("drawn scenario probabilities are renormalised to add to 1")
    if any(u.column in ("acceptance", "probability") for u in spec.inputs):
        notes.append("drawn probabilities are clipped to [0, 1]")
    return tuple(notes)
