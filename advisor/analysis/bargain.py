r"""The counterpart's side: its surplus, the bargaining range, Nash and Kalai–Smorodinsky.

Every feasible strategy x (a package of requests and offers satisfying the rules) is
worth V(x) to home and U(x) to the counterpart. :func:`bargain` finds the Pareto
frontier of (V, U) over the feasible strategies, the strategies both sides prefer to
no deal (the bargaining range, or ZOPA), and the two classical bargaining solutions,
each with the strategy that reaches it.

**Home's value** is the expected value of the ranking, in objective units (money of
protected exports, net of λ × the domestic cost of the offers):

.. math:: V(x) = Σ_ω π_ω \big(Σ_r a_r p_{rω} x_r - λ Σ_j d_j y_j\big)

**The counterpart's surplus** in scenario ω is the value of the offers it receives
minus its cost of what it grants, in money of the counterpart (forgone tariff revenue
times the sensitivity weights, :func:`advisor.economics.counterpart_cost`):

.. math:: U_ω(x) = Σ_j g_j y_j - Σ_r a_r c_{rω} x_r, \qquad U(x) = Σ_ω π_ω U_ω(x)

Grants **are weighted by the acceptance probability** a_r: home's value counts a
request only in proportion to the probability that the counterpart grants it, so for
V and U to describe the same lottery over outcomes the counterpart bears the cost of
a request with that same probability. (The reciprocity rule, Σ g y ≥ ρ Σ c x, is the
counterpart's *ask* and stays unweighted: it must accept the whole package.) Both
sides are risk-neutral over the scenarios.

**Reservation values**: home's d_h is its value with no deal, V(∅) = 0 (the threat
imposed; every value is relative to it), or a better alternative the caller states;
the counterpart's d_c is ``[bargaining] counterpart_reservation`` in
``instance.toml`` (default 0). The **ZOPA** is the set of feasible strategies with
V ≥ d_h and U ≥ d_c.

**The frontier** is found by the ε-constraint method, one HiGHS model whose row
U(x) ≥ ε changes bound from solve to solve:

.. math::

    x^k = \arg\max\, V(x) \;\; \text{s.t. rules}, \; U(x) ≥ ε_k, \qquad
    ε_{k+1} = U(x^k) + \max(τ, δ)

from ε_0 below every strategy's surplus until no strategy reaches ε_k. Then V(x^k)
is non-increasing and U(x^k) increasing in k; an x^k tied in V with x^{k+1} is weakly
dominated by it and dropped, so every point kept is efficient, and every efficient
point is found: one with U in (U(x^k), U(x^{k+1})) would beat x^{k+1} at ε_{k+1}.
τ is the tie tolerance (1e-6 relative), δ the ``resolution``: with δ = 0 the sweep
enumerates the whole (finite) frontier, exact up to τ; a δ > 0 skips points whose
surplus is within δ of the last one found (the report states δ), which bounds the
number of solves by about (U_max - U_min) / δ at scale. One solve per point, plus
one per weakly dominated tie.

**Nash bargaining solution**: the strategy maximising (V - d_h)(U - d_c) over the
ZOPA. The set is finite (no lotteries between packages), so it is found exactly by
evaluating the product at every frontier point in the ZOPA: a maximiser of the
product with both gains positive is efficient, so the frontier holds it. Ties: the
larger sum of gains, then the larger V.

**Kalai–Smorodinsky point**: with the ideal point I = (max V, max U) over the ZOPA,
the strategy maximising min((V - d_h)/(I_h - d_h), (U - d_c)/(I_c - d_c)): on a
continuous frontier the point where the line from (d_h, d_c) to I meets it; on a
finite set the efficient point nearest that line from below in the max-min sense.
Ties as for Nash.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pandas as pd

from advisor.economics import Coefficients, compute_coefficients
from advisor.instance import Instance
from advisor.results import OBJECTIVE_TOLERANCE, tolerance
from advisor.solving.runtime import (
    guarded_run,
    match_thread_pool,
    quiet_stdout,
    time_limit_option,
)
from advisor.solving.session import (
    MIP_FEASIBILITY_TOLERANCE,
    PRESOLVE_MIN_DECISIONS,
    SolverSession,
    open_session,
)
from advisor.solving.settings import check_instance, check_time_limit, real_number

DEFAULT_MAX_POINTS = 2000  # a frontier longer than this is cut, with a warning
EXACT_DECISIONS = 30  # up to this many decisions the default resolution is 0 (exact)
COARSE_STEPS = 40  # above: the default resolution is the surplus range / COARSE_STEPS
# HiGHS's primal heuristics that cost more than they save on the sweep's many small
# solves (each a few branch-and-bound nodes): off, the CPU time on Malaysia halves
# (3.8-4.3 s -> 2.0 s, bench/bargain.py) with the same points. Heuristics only: the
# search stays exact.
SWEEP_HEURISTICS_OFF = (
    "mip_heuristic_run_rins",
    "mip_heuristic_run_rens",
    "mip_heuristic_run_feasibility_jump",
)


@dataclass(frozen=True)
class Surplus:
    """The counterpart's side of one instance, as coefficients of the decisions.

    ``offer_value[j]`` is g_j; ``grant_cost[r, ω]`` is a_r c_rω, the acceptance-weighted
    cost of granting request r in scenario ω; ``probability[ω]`` is π_ω.
    """

    offer_value: Mapping[str, float]
    grant_cost: Mapping[tuple[str, str], float]
    probability: Mapping[str, float]

    def scenario_surplus(self, chosen: frozenset[str]) -> dict[str, float]:
        """U_ω(x) for every scenario (money of the counterpart)."""
        given = sum(v for j, v in self.offer_value.items() if j in chosen)
        return {
            w: given - sum(c for (r, s), c in self.grant_cost.items() if s == w and r in chosen)
            for w in self.probability
        }

    def expected_grant_cost(self, request: str) -> float:
        """Σ_ω π_ω a_r c_rω: the expected cost of granting ``request``."""
        return sum(p * self.grant_cost[request, w] for w, p in self.probability.items())

    def surplus(self, chosen: frozenset[str]) -> float:
        """U(x) = Σ_ω π_ω U_ω(x)."""
        values = self.scenario_surplus(chosen)
        return sum(self.probability[w] * v for w, v in values.items())


def counterpart_surplus(instance: Instance, coefficients: Coefficients | None = None) -> Surplus:
    """The coefficients of U_ω(x) (see the module's docstring) for ``instance``.

    The counterpart's cost of each grant in each scenario is the model's own
    (``coefficients.counterpart_cost_in``, computed here when not given).
    """
    coef = coefficients or compute_coefficients(instance)
    grant = {
        (r.request, w.name): r.acceptance * coef.counterpart_cost_in[r.request, w.name]
        for r in instance.requests
        for w in instance.scenarios
    }
    return Surplus(
        offer_value={o.offer: o.counterpart_value for o in instance.offers},
        grant_cost=grant,
        probability={w.name: w.probability for w in instance.scenarios},
    )


@dataclass(frozen=True)
class BargainPoint:
    """One efficient strategy: both sides' values and whether it is in the ZOPA.

    ``home_value`` and ``home_scenario_values`` are in objective units;
    ``counterpart_surplus`` (expected) and ``counterpart_scenario_surplus`` in money of
    the counterpart: ``offer_value`` (Σ g y) minus ``grant_cost`` (Σ a c x, expected).
    """

    decisions: tuple[str, ...]
    requests: tuple[str, ...]
    offers: tuple[str, ...]
    home_value: float
    home_scenario_values: Mapping[str, float]
    counterpart_surplus: float
    counterpart_scenario_surplus: Mapping[str, float]
    offer_value: float
    grant_cost: float
    in_zopa: bool


@dataclass(frozen=True)
class Bargain:
    """The frontier of (home value, counterpart surplus), the ZOPA, Nash and KS points.

    ``points`` are the efficient strategies, by decreasing home value (increasing
    counterpart surplus); ``nash`` and ``kalai_smorodinsky`` index into them (None:
    the ZOPA is empty). ``exact`` says the sweep found every efficient point;
    ``solutions_exact`` that the Nash and KS points are exact (the gaps a resolution
    > 0 left could not hold better ones; false only when ``max_points`` or the time
    limit cut the sweep).
    """

    instance: Instance
    home_reservation: float
    counterpart_reservation: float
    points: tuple[BargainPoint, ...]
    nash: int | None
    kalai_smorodinsky: int | None
    resolution: float
    exact: bool
    solutions_exact: bool
    solves: int
    warnings: tuple[str, ...] = ()

    @property
    def zopa(self) -> tuple[BargainPoint, ...]:
        """The efficient points both sides prefer to no deal (weakly)."""
        return tuple(p for p in self.points if p.in_zopa)

    @property
    def ideal(self) -> tuple[float, float] | None:
        """(max V, max U) over the ZOPA: the Kalai–Smorodinsky ideal point."""
        zopa = self.zopa
        if not zopa:
            return None
        return max(p.home_value for p in zopa), max(p.counterpart_surplus for p in zopa)

    @property
    def nash_point(self) -> BargainPoint | None:
        """The Nash bargaining point (None: empty ZOPA)."""
        return None if self.nash is None else self.points[self.nash]

    @property
    def kalai_smorodinsky_point(self) -> BargainPoint | None:
        """The Kalai–Smorodinsky point (None: empty ZOPA)."""
        k = self.kalai_smorodinsky
        return None if k is None else self.points[k]

    def to_frame(self) -> pd.DataFrame:
        """One row per efficient point: values, gains, ZOPA, Nash and KS flags, decisions."""
        rows = []
        for i, p in enumerate(self.points):
            row: dict[str, Any] = {
                "point": i + 1,
                "home_value": p.home_value,
                "counterpart_surplus": p.counterpart_surplus,
                "home_gain": p.home_value - self.home_reservation,
                "counterpart_gain": p.counterpart_surplus - self.counterpart_reservation,
                "offer_value": p.offer_value,
                "grant_cost": p.grant_cost,
                "in_zopa": p.in_zopa,
                "nash": i == self.nash,
                "kalai_smorodinsky": i == self.kalai_smorodinsky,
                "requests": "; ".join(p.requests),
                "offers": "; ".join(p.offers),
            }
            for w, v in p.counterpart_scenario_surplus.items():
                row[f"counterpart_surplus[{w}]"] = v
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (identical run to run)."""
        ideal = self.ideal
        return {
            "instance": self.instance.name,
            "money": self.instance.money,
            "home_reservation": self.home_reservation,
            "counterpart_reservation": self.counterpart_reservation,
            "resolution": self.resolution,
            "exact": self.exact,
            "solutions_exact": self.solutions_exact,
            "solves": self.solves,
            "zopa_empty": not self.zopa,
            "ideal": None if ideal is None else {"home": ideal[0], "counterpart": ideal[1]},
            "nash": None if self.nash is None else self.nash + 1,
            "kalai_smorodinsky": (
                None if self.kalai_smorodinsky is None else self.kalai_smorodinsky + 1
            ),
            "points": [_point_dict(i, p) for i, p in enumerate(self.points)],
            "warnings": list(self.warnings),
        }

    def plot(self, path: str | Path) -> Path:
        """Draw the frontier, the ZOPA and both points to ``path`` (PNG or SVG), atomically."""
        from advisor.analysis.bargain_plot import draw

        return draw(self, path)


def _point_dict(index: int, p: BargainPoint) -> dict[str, Any]:
    return {
        "point": index + 1,
        "home_value": p.home_value,
        "home_scenario_values": dict(p.home_scenario_values),
        "counterpart_surplus": p.counterpart_surplus,
        "counterpart_scenario_surplus": dict(p.counterpart_scenario_surplus),
        "offer_value": p.offer_value,
        "grant_cost": p.grant_cost,
        "in_zopa": p.in_zopa,
        "requests": list(p.requests),
        "offers": list(p.offers),
    }


# ------------------------------------------------------------------ the sweep


class _Sweep:
    """A copy of the session's model in HiGHS, with the row U(x) ≥ ε and its bound.

    The ε-constraint sweep changes one row bound per solve, so it runs on highspy
    directly (a copy of the model the session handed to HiGHS): Pyomo's persistent
    interface costs more per solve than HiGHS itself on models of this size.
    """

    def __init__(self, session: SolverSession, surplus: Surplus, deadline: float | None):
        """Copy the model, add the surplus row (scaled like the reciprocity row)."""
        inst = session.instance
        self.session, self.surplus, self.deadline = session, surplus, deadline
        self.scale = session.model.scales.reciprocity
        self.names = list(session.names)
        self.columns = session.decision_columns()
        weight = dict(surplus.offer_value) | {
            r.request: -surplus.expected_grant_cost(r.request) for r in inst.requests
        }
        values = np.array([weight[n] for n in self.names], dtype=float) / self.scale
        self.weights = values
        self.highs = highspy.Highs()
        self.highs.HandleUserInterrupt = True
        self.highs.setOptionValue("output_flag", False)
        with quiet_stdout():
            self.highs.passModel(session.highs_model())
        presolve = len(self.names) > PRESOLVE_MIN_DECISIONS
        self.highs.setOptionValue("presolve", "choose" if presolve else "off")
        self.highs.setOptionValue("mip_rel_gap", OBJECTIVE_TOLERANCE)
        self.highs.setOptionValue("mip_feasibility_tolerance", MIP_FEASIBILITY_TOLERANCE)
        self.highs.setOptionValue("threads", 1)  # as every solve of the advisor
        for option in SWEEP_HEURISTICS_OFF:
            self.highs.setOptionValue(option, False)
        self.row = self.highs.getNumRow()
        columns = np.array(self.columns, dtype=np.int32)
        self.highs.addRow(-highspy.kHighsInf, highspy.kHighsInf, len(columns), columns, values)
        self.solves = 0
        self.timed_out = False

    def best_home(self, floor: float) -> frozenset[str] | None:
        """The best V(x) subject to the rules and U(x) ≥ ``floor``; None if none is."""
        self.highs.changeRowBounds(self.row, floor / self.scale, highspy.kHighsInf)
        limit = None
        if self.deadline is not None:
            limit = self.deadline - time.monotonic()
            if limit <= 0:
                self.timed_out = True
                return None
            self.highs.setOptionValue("time_limit", time_limit_option(self.highs, limit))
        match_thread_pool(1)  # the process-wide pool must match threads=1
        with guarded_run(self.highs, limit):
            self.highs.run()
        self.solves += 1
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            self.timed_out = status not in _INFEASIBLE
            return None
        x = self.highs.getSolution().col_value
        return frozenset(n for n, c in zip(self.names, self.columns, strict=True) if x[c] > 0.5)

    def found(self, chosen: frozenset[str]) -> _Found:
        """``chosen`` with its V and U."""
        home = self.session.evaluator.objective_of(chosen)
        return _Found(chosen, home, self.surplus.surplus(chosen))

    def automatic_resolution(self) -> float:
        """0 up to EXACT_DECISIONS decisions; else (max U - U at max V) / COARSE_STEPS.

        Two solves: max V (no surplus floor), and max U (the objective swapped).
        """
        if len(self.names) <= EXACT_DECISIONS:
            return 0.0
        first = self.best_home(-highspy.kHighsInf)
        lp = self.highs.getLp()
        costs = np.array(lp.col_cost_, dtype=float)
        weights = np.zeros_like(costs)
        weights[np.array(self.columns)] = self.weights
        self.highs.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), weights)
        try:
            best = self.best_home(-highspy.kHighsInf)
        finally:
            self.highs.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), costs)
        if first is None or best is None:
            return 0.0
        spread = self.surplus.surplus(best) - self.surplus.surplus(first)
        return max(spread, 0.0) / COARSE_STEPS


_INFEASIBLE = (
    highspy.HighsModelStatus.kInfeasible,
    highspy.HighsModelStatus.kUnboundedOrInfeasible,
)


def bargain(
    instance: Instance,
    home_reservation: float = 0.0,
    counterpart_reservation: float | None = None,
    resolution: float | None = None,
    max_points: int = DEFAULT_MAX_POINTS,
    time_limit: float | None = None,
) -> Bargain:
    """The bargaining analysis of ``instance`` (see the module's docstring for the maths).

    ``home_reservation``: home's value without this deal (0: the threat imposed; a
    higher value for a better alternative), in objective units. ``counterpart_reservation``:
    the counterpart's, in its money (None: ``[bargaining] counterpart_reservation`` of
    the instance's ``instance.toml``, default 0). ``resolution`` δ ≥ 0: the least rise of
    the counterpart's surplus between two frontier points (0: every efficient point;
    None: 0 up to :data:`EXACT_DECISIONS` decisions, else 1/:data:`COARSE_STEPS` of the
    surplus range). The Nash and KS points are exact at any δ (the gaps that could
    hold a better point are swept at δ = 0). ``max_points`` and ``time_limit``
    (seconds) cut the sweep, with a warning.
    """
    check_instance(instance)
    home = real_number(home_reservation, "home_reservation")
    counterpart = _counterpart_reservation(instance, counterpart_reservation)
    if resolution is not None:
        step = real_number(resolution, "resolution")
        if step < 0 or not math.isfinite(step):
            raise ValueError(f"resolution must be a finite number >= 0, got {resolution!r}")
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
        raise ValueError(f"max_points must be a whole number >= 1, got {max_points!r}")
    limit = check_time_limit(time_limit)
    deadline = None if limit is None else time.monotonic() + limit
    session = open_session(instance, "expected", binding=False)
    surplus = counterpart_surplus(instance, session.coefficients)
    sweep = _Sweep(session, surplus, deadline)
    if resolution is None:
        step = sweep.automatic_resolution()
    search = _Search(sweep, home, counterpart, step, max_points)
    search.run()
    warnings = list(search.warnings)
    if sweep.timed_out:
        warnings.append(
            f"stopped by the time limit of {limit:g} s after {len(search.found)} frontier "
            "points; the frontier is incomplete (allow more time with time_limit / --time-limit)"
        )
    points = _points(instance, session, surplus, search.found, home, counterpart)
    nash, ks = solutions(points, home, counterpart)
    return Bargain(
        instance,
        home,
        counterpart,
        points,
        nash,
        ks,
        step,
        exact=not search.gaps and not warnings,
        solutions_exact=not warnings,
        solves=sweep.solves,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class _Found:
    """A decision set the sweep found, with V and U."""

    chosen: frozenset[str]
    home: float
    surplus: float


@dataclass(frozen=True)
class _Gap:
    """Surplus values in (low, high) the coarse sweep skipped; any point there has V ≤ bound."""

    low: float
    high: float
    bound: float


class _Search:
    """The coarse ε-sweep at resolution δ, then exact sweeps of the gaps that matter.

    After a solve at ε_k gives x^k, the next at ε_k + δ gives x^{k+1}: a strategy
    with U in (U_k, U_k + δ) was skipped, but has V ≤ V(x^k) (it was allowed at ε_k).
    A gap is swept exactly when such a point could be in the ZOPA and beat the Nash
    product, (V_k - d_h)(min(U_{k+1}, U_k + δ) - d_c), or the KS value, or move the
    ideal point; so the Nash and KS points are exact whatever δ.
    """

    def __init__(
        self, sweep: _Sweep, home: float, counterpart: float, step: float, max_points: int
    ) -> None:
        """Set up the search (nothing solved yet)."""
        self.sweep, self.home, self.counterpart = sweep, home, counterpart
        self.step, self.max_points = step, max_points
        self.unit = sweep.session.model.scales.objective
        self.found: list[_Found] = []
        self.gaps: list[_Gap] = []
        self.warnings: list[str] = []

    def tol(self, value: float) -> float:
        """The tie tolerance at ``value``."""
        return tolerance(value, self.unit)

    def run(self) -> None:
        """The coarse sweep, then the gaps that could hold a better Nash or KS point."""
        coarse = self.sweep_range(
            _lowest(self.sweep.session.instance, self.sweep.surplus), math.inf, self.step
        )
        if self.step > 0:
            for k, f in enumerate(coarse):
                high = f.surplus + self.step
                if k + 1 < len(coarse):
                    high = min(high, coarse[k + 1].surplus)
                if high > f.surplus + self.tol(f.surplus):
                    self.gaps.append(_Gap(f.surplus, high, f.home))
        self.merge(coarse)
        while not self.sweep.timed_out and not self.warnings:
            gap = next((g for g in self.gaps if self.matters(g)), None)
            if gap is None:
                return
            self.gaps.remove(gap)
            floor = gap.low + self.tol(gap.low)
            self.merge(self.sweep_range(floor, gap.high - self.tol(gap.high), 0.0))

    def sweep_range(self, floor: float, stop: float, step: float) -> list[_Found]:
        """ε-constraint from ``floor`` until infeasible or U ≥ ``stop``: efficient sets."""
        out: list[_Found] = []
        while len(self.found) + len(out) <= self.max_points:
            chosen = self.sweep.best_home(floor)
            if chosen is None:
                return out
            f = self.sweep.found(chosen)
            if f.surplus >= stop:
                return out
            if out and f.surplus <= out[-1].surplus:  # the solver's tolerance: step past it
                floor = max(floor, f.surplus) + 2 * max(self.tol(f.surplus), step)
                continue
            if out and f.home >= out[-1].home - self.tol(out[-1].home):
                out.pop()  # weakly dominated by f
            out.append(f)
            floor = f.surplus + max(self.tol(f.surplus), step)
        self.warnings.append(f"the frontier was cut at max_points = {self.max_points} points")
        return out

    def merge(self, new: list[_Found]) -> None:
        """Add ``new`` to the points found and keep the efficient ones."""
        every = sorted(self.found + new, key=lambda f: (-f.home, -f.surplus))
        kept: list[_Found] = []
        for f in every:
            if kept and f.surplus <= kept[-1].surplus + self.tol(kept[-1].surplus):
                continue  # as much V elsewhere with at least as much U
            kept.append(f)
        self.found = kept

    def matters(self, gap: _Gap) -> bool:
        """Whether a point in ``gap`` could be in the ZOPA and change the Nash or KS point."""
        dh, dc = self.home, self.counterpart
        if gap.bound < dh - self.tol(dh) or gap.high <= dc - self.tol(dc):
            return False
        zopa = [
            f for f in self.found if f.home >= dh - self.tol(dh) and f.surplus >= dc - self.tol(dc)
        ]
        if not zopa:
            return True
        ideal_h = max(f.home for f in zopa) - dh
        ideal_c = max(f.surplus for f in zopa) - dc
        if gap.bound - dh > ideal_h + self.tol(ideal_h) or gap.high - dc > ideal_c + self.tol(
            ideal_c
        ):
            return True
        nash = max((f.home - dh) * (f.surplus - dc) for f in zopa)
        if (gap.bound - dh) * (gap.high - dc) > nash + self.tol(nash):
            return True
        ks = max(_ks_value(f.home - dh, f.surplus - dc, ideal_h, ideal_c) for f in zopa)
        bound = _ks_value(gap.bound - dh, gap.high - dc, ideal_h, ideal_c)
        return bound > ks + self.tol(ks)


def _ks_value(gain_h: float, gain_c: float, ideal_h: float, ideal_c: float) -> float:
    """The least of the gains normalised by the ideal point's (a zero ideal gain counts as 1)."""
    rh = gain_h / ideal_h if ideal_h > 0 else 1.0
    rc = gain_c / ideal_c if ideal_c > 0 else 1.0
    return min(rh, rc)


def _lowest(instance: Instance, surplus: Surplus) -> float:
    """A surplus floor every strategy meets: minus every positive grant cost, less one."""
    costs = (surplus.expected_grant_cost(r.request) for r in instance.requests)
    return -sum(max(c, 0.0) for c in costs) - 1.0


def _points(
    instance: Instance,
    session: SolverSession,
    surplus: Surplus,
    found: list[_Found],
    home: float,
    counterpart: float,
) -> tuple[BargainPoint, ...]:
    """The points of ``found``, by decreasing home value, with their ZOPA flag."""
    order = instance.decision_ids()
    out = []
    for f in found:
        chosen, value, u = f.chosen, f.home, f.surplus
        decisions = tuple(d for d in order if d in chosen)
        given = sum(surplus.offer_value[j] for j in decisions if j in surplus.offer_value)
        out.append(
            BargainPoint(
                decisions=decisions,
                requests=tuple(d for d in decisions if d in instance.request_by_id),
                offers=tuple(d for d in decisions if d in instance.offer_by_id),
                home_value=value,
                home_scenario_values=session.evaluator.scenario_values(chosen),
                counterpart_surplus=u,
                counterpart_scenario_surplus=surplus.scenario_surplus(chosen),
                offer_value=given,
                grant_cost=given - u,
                in_zopa=_at_least(value, home) and _at_least(u, counterpart),
            )
        )
    out.sort(key=lambda p: (-p.home_value, p.counterpart_surplus))
    return tuple(out)


def _at_least(value: float, reservation: float) -> bool:
    return value >= reservation - tolerance(reservation)


def solutions(
    points: tuple[BargainPoint, ...], home: float, counterpart: float
) -> tuple[int | None, int | None]:
    """The indices of the Nash and Kalai–Smorodinsky points among ``points`` (None: no ZOPA).

    Nash: max (V - d_h)(U - d_c); KS: max min of the gains normalised by the ideal
    point's; ties for both by the larger sum of gains, then the larger V.
    """
    zopa = [i for i, p in enumerate(points) if p.in_zopa]
    if not zopa:
        return None, None

    def gains(i: int) -> tuple[float, float]:
        p = points[i]
        return max(p.home_value - home, 0.0), max(p.counterpart_surplus - counterpart, 0.0)

    ideal_h = max(gains(i)[0] for i in zopa)
    ideal_c = max(gains(i)[1] for i in zopa)

    def nash_key(i: int) -> tuple[float, float, float]:
        gh, gc = gains(i)
        return gh * gc, gh + gc, points[i].home_value

    def ks_key(i: int) -> tuple[float, float, float]:
        gh, gc = gains(i)
        return _ks_value(gh, gc, ideal_h, ideal_c), gh + gc, points[i].home_value

    return max(zopa, key=nash_key), max(zopa, key=ks_key)


def _counterpart_reservation(instance: Instance, given: float | None) -> float:
    """``given``, else the instance's ``[bargaining] counterpart_reservation`` (0)."""
    if given is not None:
        return real_number(given, "counterpart_reservation")
    return instance.counterpart_reservation
