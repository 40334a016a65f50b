r"""Calibration's inner loop: one instance, one counterpart θ, one score.

A counterpart θ = (ρ, m_c for each offer category c, α) changes three things of an
instance (:func:`apply_counterpart`): the reciprocity ratio becomes ρ, offer j's
counterpart value becomes m_{c(j)} g_j, and every acceptance probability (a
request's own, and a linkage's raised level) becomes min(1, α a).

:class:`InstanceScorer` gives the score of θ against the observed deal x°
(:mod:`advisor.analysis.calibrate` defines it): the Hamming distance D from x° to
the nearest optimum under θ, and the relative objective gap. Two solves on a copy of
the model in highspy (as :mod:`advisor.analysis.bargain` does: Pyomo's persistent
interface costs more per solve than HiGHS on models this size):

1. V*(θ) = max V_θ(x) subject to the rules under θ;
2. min D(x, x°) = Σ_{i ∈ x°} (1 - x_i) + Σ_{i ∉ x°} x_i subject to the rules and
   V_θ(x) ≥ V*(θ) - τ (τ the tie tolerance): ties count in favour of the observation.

α enters the objective and the linkage rows, so the scorer keeps one model per α
value. ρ and the m_c enter only the reciprocity rows, and only through h_c = m_c / ρ,
the coefficient of category c's offers once the row is divided by ρ:

.. math:: Σ_c h_c Σ_{j ∈ J_c} g_j y_j ≥ Σ_ω π_ω(y) Σ_r c_{rω} x_r

so one solve serves every θ with the same h, and the feasible set grows with h
(every g_j ≥ 0). Hence an exact shortcut: if x* solved the pair of problems at h and
is feasible at h' ≤ h (componentwise), it solves them at h' too (V*(h') = V*(h)
since F(h') ⊆ F(h) holds x*, and the optima at h' are among those at h), so the
score at h' is the score at h without a solve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import highspy
import numpy as np

from advisor.analysis.bargain import SWEEP_HEURISTICS_OFF
from advisor.instance import Instance
from advisor.results import OBJECTIVE_TOLERANCE, tolerance
from advisor.solving.runtime import guarded_run, match_thread_pool, quiet_stdout
from advisor.solving.session import MIP_FEASIBILITY_TOLERANCE, SolverSession, open_session

FEASIBLE = 1e-9  # a reciprocity row met within this (scaled units) keeps an inherited x*


def category_of(category: str) -> str:
    """An offer's category as calibration names it: lower case, ``other`` when blank."""
    return category.strip().lower() or "other"


def apply_counterpart(
    instance: Instance, ratio: float, multipliers: Mapping[str, float], acceptance: float
) -> Instance:
    """``instance`` under the counterpart θ: ρ, g_j m_{c(j)}, min(1, α a).

    A category missing from ``multipliers`` keeps its values (multiplier 1).
    """
    offers = tuple(
        replace(o, counterpart_value=o.counterpart_value
                * multipliers.get(category_of(o.category), 1.0))
        for o in instance.offers
    )
    requests = tuple(replace(r, acceptance=min(1.0, acceptance * r.acceptance))
                     for r in instance.requests)
    linkages = tuple(
        replace(k, value=min(1.0, acceptance * k.value)) if k.effect == "acceptance" else k
        for k in instance.linkages
    )
    return replace(instance, reciprocity_ratio=ratio, offers=offers, requests=requests,
                   linkages=linkages)


@dataclass(frozen=True)
class Score:
    """How far the observed deal is from optimal under one θ, on one instance.

    ``distance``: D, decisions where the nearest optimum differs from x°; ``gap``:
    |V*(θ) - V_θ(x°)| / max(|V*|, |V_θ(x°)|) (0 when both are 0), dimensionless;
    ``nearest``: that nearest optimum; ``best``: V*(θ), objective units. ``solved``:
    whether HiGHS found a strategy at all (an infeasible θ scores D = every decision).
    """

    distance: int
    gap: float
    nearest: frozenset[str]
    best: float
    solved: bool = True


@dataclass(frozen=True)
class _Solved:
    """A solved h: its score and the reciprocity terms of its x* (for the shortcut)."""

    h: tuple[float, ...]
    score: Score
    given: np.ndarray  # Σ_{j ∈ J_c ∩ x*} g_j / S per category c
    asked: np.ndarray  # per reciprocity row: what x* asks, K_row / S


class _AlphaModel:
    """The instance with acceptances scaled by α, as a highspy model, and its solved h."""

    def __init__(self, instance: Instance, observed: frozenset[str], categories: tuple[str, ...],
                 alpha: float) -> None:
        base = apply_counterpart(instance, 1.0, {}, alpha)
        session = open_session(base, "expected", binding=False)
        self.session, self.observed, self.categories = session, observed, categories
        self.names = list(session.names)
        self.columns = np.array(session.decision_columns(), dtype=np.int32)
        self.unit = session.model.scales.objective
        scale = session.model.scales.reciprocity
        self.rows = session.constraint_rows(session.model.reciprocity_constr.values())
        column = dict(zip(self.names, self.columns, strict=True))
        self.offer_cols = [(column[o.offer],
                            categories.index(category_of(o.category)), o.counterpart_value / scale)
                           for o in base.offers]
        self.highs = _highs(session)
        lp = self.highs.getLp()
        self.costs = np.array(lp.col_cost_, dtype=float)
        self.offset = float(lp.offset_)
        every = np.arange(len(self.costs), dtype=np.int32)
        self.highs.addRow(-highspy.kHighsInf, highspy.kHighsInf, len(every), every, self.costs)
        self.value_row = self.highs.getNumRow() - 1
        agree = np.zeros_like(self.costs)
        agree[self.columns] = [1.0 if n in observed else -1.0 for n in self.names]
        self.agree = agree
        self.solved: list[_Solved] = []
        self.solves = 0

    def score(self, h: tuple[float, ...]) -> Score:
        """The score at h (every h_c > 0), by the shortcut when one applies."""
        for s in self.solved:
            if all(a >= b for a, b in zip(s.h, h, strict=True)) and self._keeps(s, h):
                return s.score
        return self._solve(h)

    def _keeps(self, s: _Solved, h: tuple[float, ...]) -> bool:
        given = float(np.dot(np.array(h), s.given))
        return bool(np.all(given - s.asked >= -FEASIBLE))

    def _solve(self, h: tuple[float, ...]) -> Score:
        for row in self.rows:
            for col, c, g in self.offer_cols:
                self.highs.changeCoeff(row, col, h[c] * g)
        first = self._run()
        if first is None:
            score = Score(len(self.names), math.inf, frozenset(), -math.inf, solved=False)
            self.solved.append(_Solved(h, score, np.zeros(len(self.categories)),
                                       np.full(len(self.rows), math.inf)))
            return score
        best = float(np.dot(self.costs, first)) + self.offset
        floor = best - tolerance(best * self.unit, self.unit) / self.unit
        x = self._nearest(floor - self.offset) if self._chosen(first) != self.observed else first
        chosen = self._chosen(x)
        score = self._score(chosen, best * self.unit)
        given = np.zeros(len(self.categories))
        for col, c, g in self.offer_cols:
            given[c] += g * (x[col] > 0.5)
        activity = np.array(self.highs.getSolution().row_value, dtype=float)[self.rows]
        asked = np.dot(np.array(h), given) - activity
        self.solved.append(_Solved(h, score, given, asked))
        return score

    def _nearest(self, floor: float) -> np.ndarray:
        """Stage 2: the decisions nearest x° among those with V ≥ ``floor`` (scaled)."""
        self.highs.changeRowBounds(self.value_row, floor, highspy.kHighsInf)
        every = np.arange(len(self.costs), dtype=np.int32)
        self.highs.changeColsCost(len(every), every, self.agree)
        try:
            x = self._run()
        finally:
            self.highs.changeColsCost(len(every), every, self.costs)
            self.highs.changeRowBounds(self.value_row, -highspy.kHighsInf, highspy.kHighsInf)
        if x is None:  # the tolerance row cut every optimum off: numerically impossible
            raise RuntimeError("calibration: the nearest optimum could not be found")
        return x

    def _run(self) -> np.ndarray | None:
        self.highs.clearSolver()
        match_thread_pool(1)  # the process-wide pool must match threads=1
        with guarded_run(self.highs, None):  # Ctrl-C stops it; an error status raises
            self.highs.run()
        self.solves += 1
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.array(self.highs.getSolution().col_value, dtype=float)

    def _chosen(self, x: np.ndarray) -> frozenset[str]:
        return frozenset(n for n, c in zip(self.names, self.columns, strict=True) if x[c] > 0.5)

    def _score(self, chosen: frozenset[str], best: float) -> Score:
        seen = self.session.evaluator.objective_of(self.observed)
        best = self.session.evaluator.objective_of(chosen) if chosen else best
        scale = max(abs(best), abs(seen))
        gap = abs(best - seen) / scale if scale > 0 else 0.0
        return Score(len(chosen ^ self.observed), gap, chosen, best)


def _highs(session: SolverSession) -> highspy.Highs:
    """A highspy copy of the session's model, set up as every solve of the advisor."""
    h = highspy.Highs()
    h.HandleUserInterrupt = True
    h.setOptionValue("output_flag", False)
    with quiet_stdout():
        h.passModel(session.highs_model())
    h.setOptionValue("presolve", "off")  # small models: see session.PRESOLVE_MIN_DECISIONS
    h.setOptionValue("mip_rel_gap", OBJECTIVE_TOLERANCE)
    h.setOptionValue("mip_feasibility_tolerance", MIP_FEASIBILITY_TOLERANCE)
    h.setOptionValue("threads", 1)
    for option in SWEEP_HEURISTICS_OFF:  # as the bargaining sweep: 20% less CPU here
        h.setOptionValue(option, False)
    return h


class InstanceScorer:
    """Scores counterparts θ on one instance against its observed deal (memoised)."""

    def __init__(self, instance: Instance, observed: frozenset[str],
                 categories: tuple[str, ...]) -> None:
        """Nothing is solved yet; a model per α value is built on first use."""
        self.instance, self.observed, self.categories = instance, observed, categories
        self._models: dict[float, _AlphaModel] = {}

    @property
    def solves(self) -> int:
        """HiGHS solves so far."""
        return sum(m.solves for m in self._models.values())

    def score(self, ratio: float, multipliers: Mapping[str, float], acceptance: float) -> Score:
        """The score of θ = (ρ, m, α) (see the module's docstring)."""
        model = self._models.get(acceptance)
        if model is None:
            model = _AlphaModel(self.instance, self.observed, self.categories, acceptance)
            self._models[acceptance] = model
        h = tuple(multipliers.get(c, 1.0) / ratio for c in self.categories)
        return model.score(h)
