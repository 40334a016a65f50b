"""Trade-off frontiers: sweep one limit and watch the best strategy change.

"How much more could we protect with a bigger budget?" :func:`frontier` sweeps one
limit over N points, the domestic budget, the reciprocity ratio, or one market's
share cap, and solves the model at each point on one persistent HiGHS instance,
warm-started from the previous point's strategy when it is still feasible (a
larger budget or a looser cap keeps it feasible). Each point records the best
strategy and its scores; the Pareto-efficient points are marked: protected value
against offer cost (no other point protects more for less), or, for a cap sweep,
against the capped market's share. :meth:`Frontier.plot` draws it with matplotlib,
each point labelled with what changes in the strategy there.

Theory to check against: relaxing a limit never lowers the optimum, so the
objective is non-decreasing in the budget and the cap, non-increasing in the ratio.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from advisor.evaluation import Evaluator
from advisor.instance import Instance, frozen_mapping
from advisor.results import Strategy
from advisor.rules import rule_for
from advisor.solving.search import best_solution
from advisor.solving.session import SolverSession, open_session
from advisor.solving.settings import check_instance, check_time_limit

VARY = ("budget", "reciprocity", "cap", "floor", "lambda")
# sweeps of a market's share limit, which name the market
SHARE_LIMITS = ("cap", "floor")


@dataclass(frozen=True)
class FrontierPoint:
    """The best strategy at one value of the swept limit (None: infeasible there)."""

    value: float
    strategy: Strategy | None
    added: tuple[str, ...]
    dropped: tuple[str, ...]
    pareto: bool


@dataclass(frozen=True)
class Frontier:
    """A sweep of one limit: its points, in increasing order of the limit."""

    instance: Instance
    vary: str
    market: str | None
    points: tuple[FrontierPoint, ...]
    # what a reader must know, e.g. that the time limit stopped the sweep early
    warnings: tuple[str, ...] = ()

    @property
    def axis_label(self) -> str:
        """The swept limit in words, for the plot's x axis."""
        money = self.instance.money
        return {
            "budget": f"domestic budget ({money})",
            "reciprocity": "reciprocity ratio (counterpart value / counterpart cost)",
            "cap": f"cap on {self.market}'s share of exports",
            "floor": f"floor on {self.market}'s share of exports",
            "lambda": "offer cost weight λ (objective units per unit of offer cost)",
        }[self.vary]

    def to_frame(self) -> pd.DataFrame:
        """One row per point: the swept value, the strategy's figures, its moves, ``pareto``."""
        rows = []
        for p in self.points:
            s = p.strategy
            row: dict[str, Any] = {self.vary: p.value, "feasible": s is not None}
            if s is not None:
                row |= {
                    "objective": s.objective,
                    "protected_value": s.protected_value,
                    "offer_cost": s.offer_cost,
                    "largest_market": s.largest_market.market,
                    "largest_market_share": s.largest_market.share,
                    "requests": "; ".join(r.request for r in s.requests),
                    "offers": "; ".join(o.offer for o in s.offers),
                }
                if self.market is not None:
                    row[f"share_{self.market}"] = _share(s, self.market)
            row |= {
                "added": "; ".join(p.added),
                "dropped": "; ".join(p.dropped),
                "pareto": p.pareto,
            }
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """The sweep as a JSON-ready dict: the rows of :meth:`to_frame`, NaN as None."""
        frame = self.to_frame()
        return {
            "instance": self.instance.name,
            "vary": self.vary,
            "market": self.market,
            "points": frame.astype(object).where(frame.notna(), None).to_dict("records"),
            "warnings": list(self.warnings),
        }

    def plot(self, path: str | Path) -> Path:
        """Draw the frontier to ``path`` (PNG or SVG by its suffix); return the path.

        The best objective against the swept limit, as the step function it is
        (:func:`advisor.charts.draw_frontier`): the swept values are the ticks,
        the value axis starts at 0 (no deal), a point with no strategy is a red cross.
        The file is written atomically: the whole image or nothing (see :mod:`advisor.files`).
        """
        from advisor.charts import draw_frontier, figure
        from advisor.files import save_figure  # atomic: the whole image or none

        fig, ax = figure(9, 6)
        draw_frontier(ax, self)
        fig.tight_layout()
        return save_figure(fig, path)


def _change_label(point: FrontierPoint, first: bool, most: int = 3) -> str:
    """What changes at ``point``: "+A +B -C", at most ``most`` moves then "(N more)".

    The first feasible point (no previous strategy) says what it holds instead.
    """
    s = point.strategy
    if first and s is not None:
        n, m = len(s.requests), len(s.offers)
        return f"start: {n} request{'s' if n != 1 else ''}, {m} offer{'s' if m != 1 else ''}"
    moves = [f"+{d}" for d in point.added] + [f"-{d}" for d in point.dropped]
    if len(moves) > most:
        moves = [*moves[:most], f"({len(moves) - most} more)"]
    return " ".join(moves)


def _share(strategy: Strategy, market: str | None) -> float:
    return next(m.share for m in strategy.markets if m.market == market)


def _default_range(instance: Instance, vary: str, market: str | None) -> tuple[float, float]:
    if vary == "budget":
        return 0.0, sum(o.domestic_cost for o in instance.offers)
    if vary == "reciprocity":
        return 0.0, max(2.0, 2 * instance.reciprocity_ratio)
    if vary == "lambda":
        return 0.0, max(1.0, 2 * instance.offer_cost_weight)
    if market is None:
        raise ValueError(f"a {vary} sweep needs the market whose share limit is swept")
    limits = instance.market_share_caps if vary == "cap" else instance.market_share_floors
    if market in limits:
        return max(0.0, limits[market] - 0.05), min(1.0, limits[market] + 0.05)
    total = sum(m.exports for m in instance.markets)
    share = instance.market_by_id[market].exports / total if total else 0.0
    if vary == "floor":
        return max(0.0, share - 0.10), min(1.0, share + 0.05)
    return max(0.0, share - 0.05), min(1.0, share + 0.10)


def _pareto(points: list[FrontierPoint], vary: str, market: str | None) -> list[bool]:
    """Efficient points: none other gets at least as much value for at most as much cost."""

    def cost(p: FrontierPoint) -> float:
        s = p.strategy
        assert s is not None
        if vary == "cap":
            return _share(s, market)
        if vary == "floor":  # a floor asks for more of the market: less is cheaper
            return -_share(s, market)
        return s.offer_cost

    flags = []
    for p in points:
        if p.strategy is None:
            flags.append(False)
            continue
        dominated = any(
            q.strategy is not None
            and cost(q) <= cost(p)
            and q.strategy.protected_value >= p.strategy.protected_value
            and (cost(q) < cost(p) or q.strategy.protected_value > p.strategy.protected_value)
            for q in points
        )
        flags.append(not dominated)
    return flags


def frontier(
    instance: Instance,
    vary: str = "budget",
    points: int = 20,
    market: str | None = None,
    lower: float | None = None,
    upper: float | None = None,
    objective: str | None = None,
    time_limit: float | None = None,
) -> Frontier:
    """Sweep ``vary`` (budget, reciprocity, cap, floor or lambda) over ``points`` values.

    For ``cap`` and ``floor``, ``market`` names the market (default: the
    counterpart for a cap, the first floored market for a floor). ``lambda`` sweeps
    the offer cost weight λ, the price of a unit of offer cost in the objective.
    The range defaults to [0, total offer cost] for the budget, [0, 2ρ] for the
    ratio, [0, max(1, 2λ)] for λ, and the limit ± 5 points for a cap or floor (the
    market's baseline share −5/+10 points for a cap it lacks, −10/+5 for a floor).
    ``time_limit`` (seconds) bounds the whole sweep: the points it had no time for
    are left out and the frontier's ``warnings`` say so.
    """
    objective, market = _check_sweep(instance, vary, points, market, objective)
    limit = check_time_limit(time_limit)
    low, high = _default_range(instance, vary, market)
    low = low if lower is None else lower
    high = high if upper is None else upper
    values = [low + (high - low) * i / (points - 1) for i in range(points)]
    swept = with_limit(instance, vary, market, high)
    deadline = None if limit is None else time.monotonic() + limit
    session = open_session(swept, objective, deadline=deadline)
    param = _swept_parameter(session, vary, market)
    raw: list[FrontierPoint] = []
    previous: frozenset[str] | None = None
    for value in values:
        session.set_parameter(param, value)
        session.rulebook.refresh()
        if previous is not None and not session.rulebook.violations(previous):
            session.warm_start(previous)
        solution = best_solution(session)  # the package search at tariff-line scale
        if session.timed_out:  # not proven at this point: left out, with the rest
            break
        chosen = None if solution is None else solution.chosen
        strategy = None
        if solution is not None:
            point = Evaluator(
                with_limit(instance, vary, market, value),
                session.coefficients,
                objective,
                rules=session.rulebook,
            )
            strategy = point.strategy(1, solution.chosen, solution.objective)
        raw.append(_point(instance, value, strategy, previous, chosen))
        previous = chosen if chosen is not None else previous
    flags = _pareto(raw, vary, market)
    final = tuple(dataclasses.replace(p, pareto=f) for p, f in zip(raw, flags, strict=True))
    warnings: tuple[str, ...] = ()
    if len(final) < points:
        warnings = (
            f"stopped by the time limit of {limit:g} s after {len(final)} of {points} points; "
            "the rest of the sweep is not shown (allow more time with time_limit / --time-limit)",
        )
    return Frontier(instance, vary, market, final, warnings)


def _swept_parameter(session: SolverSession, vary: str, market: str | None) -> pyo.Param:
    """The model's mutable parameter the sweep sets: a rule's limit, or λ."""
    if vary == "lambda":
        return session.model.offer_cost_weight
    rule = rule_for(session.rules, vary, market if vary in SHARE_LIMITS else None)
    assert rule is not None and rule.limit is not None  # with_limit made the rule
    return rule.limit.param


def _check_sweep(
    instance: Instance, vary: str, points: int, market: str | None, objective: str | None
) -> tuple[str, str | None]:
    """The sweep's objective and market after checking the arguments of :func:`frontier`."""
    check_instance(instance)
    if vary not in VARY:
        raise ValueError(f"vary must be one of {', '.join(VARY)}, got {vary!r}")
    if isinstance(points, bool) or not isinstance(points, int):
        raise TypeError(f"points must be a whole number >= 2, got {points!r}")
    if points < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    objective = objective or instance.objective
    if objective == "regret":
        raise ValueError("frontiers are drawn for the expected or worst_case objective")
    if market is not None and vary not in SHARE_LIMITS:
        raise ValueError(
            f"market applies to vary='cap' or 'floor' (the market whose share limit is "
            f"swept), not {vary!r}"
        )
    if vary == "cap":
        market = market or instance.counterpart
    elif vary == "floor":
        market = market or next(iter(instance.market_share_floors), None)
        if market is None:
            raise ValueError("a floor sweep needs market=...: the instance has no floor")
    if market is not None and market not in instance.market_by_id:
        raise ValueError(f"unknown market {market!r}")
    return objective, market


def _point(
    instance: Instance,
    value: float,
    strategy: Strategy | None,
    previous: frozenset[str] | None,
    chosen: frozenset[str] | None,
) -> FrontierPoint:
    """The point at ``value``: its strategy and what changed since the last one."""
    before, after = previous or frozenset(), chosen or frozenset()
    order = instance.decision_ids()
    return FrontierPoint(
        value,
        strategy,
        tuple(d for d in order if d in after - before) if chosen else (),
        tuple(d for d in order if d in before - after) if chosen else (),
        False,
    )


def with_limit(instance: Instance, vary: str, market: str | None, value: float) -> Instance:
    """The instance with the swept limit set to ``value`` (adding it if absent)."""
    if vary == "budget":
        return dataclasses.replace(instance, domestic_budget=value)
    if vary == "reciprocity":
        return dataclasses.replace(instance, reciprocity_ratio=value)
    if vary == "lambda":
        return dataclasses.replace(instance, offer_cost_weight=value)
    if market is None:
        raise ValueError(f"a {vary} sweep needs the market whose share limit is swept")
    if vary == "floor":
        floors = dict(instance.market_share_floors) | {market: value}
        return dataclasses.replace(instance, market_share_floors=frozen_mapping(floors))
    caps = dict(instance.market_share_caps) | {market: value}
    return dataclasses.replace(instance, market_share_caps=frozen_mapping(caps))
