"""The advisor's MILP built directly with highspy's vectorised API (the benchmark baseline).

This is the model of :mod:`advisor.model` with objective ``expected``, written row
for row from the same :class:`advisor.economics.Coefficients` and
:class:`advisor.instance.Instance`, but as numpy arrays handed to HiGHS in one
``passModel`` call: no Pyomo components, no expression trees. It exists only so
``bench/run.py`` can measure what the Pyomo path costs on top of HiGHS.

Columns: every request tier in file order, then every offer in file order (binary).
Rows, in the order :mod:`advisor.model` declares them:

- one tier per sector: Σ_{r ∈ R_s} x_r ≤ 1 (sectors with more than one tier);
- reciprocity: Σ_j g_j y_j - ρ Σ_r c_r x_r ≥ 0;
- domestic budget: Σ_j d_j y_j ≤ B (when the instance sets one);
- conditions: requires (one row per object), excludes (one per object),
  requires_one_of, at_most, at_least; a sector id stands for Σ of its tiers;
- market-share caps and floors per scenario: E_kω - s_k Σ_m E_mω ≤ 0 (≥ 0), with
  E_mω = B_mω + [m = cp] Σ_r p_rω x_r + Σ_j e_jm y_j, constants moved to the bounds;
- objective: max Σ_ω π_ω (Σ_r a_r p_rω x_r - λ Σ_j d_j y_j).

Only the ``expected`` objective is built (the benchmark's model).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import highspy
import numpy as np

from advisor.economics import Coefficients
from advisor.instance import Instance

INF = highspy.kHighsInf


@dataclass
class DirectModel:
    """The arrays of the MILP, row-wise (CSR), ready for ``Highs.passModel``."""

    names: list[str]
    cost: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray

    @property
    def num_col(self) -> int:
        return len(self.names)

    @property
    def num_row(self) -> int:
        return len(self.row_lower)

    @property
    def num_nz(self) -> int:
        return len(self.index)


class _Rows:
    """Accumulates CSR blocks: each block is many rows given as arrays."""

    def __init__(self) -> None:
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.lengths: list[np.ndarray] = []
        self.index: list[np.ndarray] = []
        self.value: list[np.ndarray] = []

    def block(
        self,
        lengths: np.ndarray,
        index: np.ndarray,
        value: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
    ) -> None:
        self.lengths.append(np.asarray(lengths, dtype=np.int64))
        self.index.append(np.asarray(index, dtype=np.int32))
        self.value.append(np.asarray(value, dtype=np.float64))
        self.lower.append(np.asarray(lower, dtype=np.float64))
        self.upper.append(np.asarray(upper, dtype=np.float64))

    def dense(self, coefficients: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Rows given as a dense (rows x columns) matrix; exact zeros are dropped."""
        mask = coefficients != 0.0
        rows, cols = np.nonzero(mask)
        self.block(
            np.bincount(rows, minlength=coefficients.shape[0]),
            cols,
            coefficients[mask],
            lower,
            upper,
        )

    def sparse(self, rows: Iterable[dict[int, float]], lower: list[float], upper: list[float]):
        """Rows given as {column: coefficient} maps (condition rows; duplicates merged)."""
        lengths, index, value = [], [], []
        for row in rows:
            kept = [(c, v) for c, v in row.items() if v != 0.0]
            lengths.append(len(kept))
            index.extend(c for c, _ in kept)
            value.extend(v for _, v in kept)
        self.block(np.array(lengths), np.array(index), np.array(value), lower, upper)

    def arrays(self) -> tuple[np.ndarray, ...]:
        lengths = np.concatenate(self.lengths) if self.lengths else np.zeros(0, np.int64)
        start = np.zeros(len(lengths) + 1, dtype=np.int32)
        np.cumsum(lengths, out=start[1:])
        return (
            np.concatenate(self.lower),
            np.concatenate(self.upper),
            start,
            np.concatenate(self.index),
            np.concatenate(self.value),
        )


def build_arrays(instance: Instance, coef: Coefficients) -> DirectModel:
    """The expected-value MILP of ``instance`` as CSR arrays (see the module docstring)."""
    requests = [r.request for r in instance.requests]
    offers = [o.offer for o in instance.offers]
    names = requests + offers
    n_req = len(requests)
    column = {name: i for i, name in enumerate(names)}
    scenarios = list(coef.scenarios)
    markets = [m.market for m in instance.markets]
    market_index = {m: i for i, m in enumerate(markets)}

    prob = np.array([coef.probability[w] for w in scenarios])
    protected = np.array([[coef.protected_value[r, w] for w in scenarios] for r in requests])
    expected = np.array([[coef.expected_value[r, w] for w in scenarios] for r in requests])
    counterpart_cost = np.array([coef.counterpart_cost[r] for r in requests])
    counterpart_value = np.array([o.counterpart_value for o in instance.offers])
    domestic_cost = np.array([o.domestic_cost for o in instance.offers])
    effect = np.zeros((len(offers), len(markets)))
    for (j, m), v in coef.market_effect.items():
        effect[column[j] - n_req, market_index[m]] = v
    baseline = np.array([[coef.market_baseline[m, w] for w in scenarios] for m in markets])

    rows = _Rows()
    # one tier per sector
    tiers = [ts for ts in instance.tiers_by_sector.values() if len(ts) > 1]
    lengths = np.fromiter((len(ts) for ts in tiers), dtype=np.int64, count=len(tiers))
    index = np.fromiter((column[r] for ts in tiers for r in ts), dtype=np.int32)
    rows.block(lengths, index, np.ones(len(index)), np.full(len(tiers), -INF), np.ones(len(tiers)))
    # reciprocity and the domestic budget
    recip = np.concatenate([-instance.reciprocity_ratio * counterpart_cost, counterpart_value])
    rows.dense(recip[None, :], np.zeros(1), np.full(1, INF))
    if instance.domestic_budget is not None:
        budget = np.concatenate([np.zeros(n_req), domestic_cost])
        rows.dense(budget[None, :], np.full(1, -INF), np.full(1, instance.domestic_budget))
    _condition_rows(rows, instance, column)
    # market-share caps and floors, per scenario
    cp = market_index.get(instance.counterpart)
    for shares, is_cap in (
        (instance.market_share_caps, True),
        (instance.market_share_floors, False),
    ):
        block, bounds = [], []
        for k, share in shares.items():
            ki = market_index[k]
            for wi in range(len(scenarios)):
                req = (protected[:, wi] if ki == cp else 0.0) - share * (
                    protected[:, wi] if cp is not None else 0.0
                )
                off = effect[:, ki] - share * effect.sum(axis=1)
                constant = baseline[ki, wi] - share * baseline[:, wi].sum()
                block.append(np.concatenate([np.broadcast_to(req, (n_req,)), off]))
                bounds.append(-constant)
        if block:
            bound = np.array(bounds)
            free = np.full(len(bound), INF)
            if is_cap:
                rows.dense(np.vstack(block), -free, bound)
            else:
                rows.dense(np.vstack(block), bound, free)
    cost = np.concatenate(
        [expected @ prob, -instance.offer_cost_weight * domestic_cost * prob.sum()]
    )
    row_lower, row_upper, start, index, value = rows.arrays()
    return DirectModel(names, cost, row_lower, row_upper, start, index, value)


def _condition_rows(rows: _Rows, instance: Instance, column: dict[str, int]) -> None:
    """One row per requires/excludes object, one per other condition (kind order of the model)."""
    tiers = instance.tiers_by_sector

    def term(identifier: str) -> list[int]:
        if identifier in column:
            return [column[identifier]]
        return [column[r] for r in tiers[identifier]]

    def add(row: dict[int, float], cols: list[int], sign: float) -> None:
        for c in cols:
            row[c] = row.get(c, 0.0) + sign

    by_kind: dict[str, list] = {}
    for c in instance.conditions:
        by_kind.setdefault(c.kind, []).append(c)
    for kind in ("requires", "excludes", "requires_one_of", "at_most", "at_least"):
        built: list[dict[int, float]] = []
        lower: list[float] = []
        upper: list[float] = []
        for c in by_kind.get(kind, []):
            if kind in ("requires", "excludes"):
                sign = -1.0 if kind == "requires" else 1.0
                for b in c.objects:
                    row: dict[int, float] = {}
                    add(row, term(c.subject), 1.0)
                    add(row, term(b), sign)
                    built.append(row)
                    lower.append(-INF)
                    upper.append(0.0 if kind == "requires" else 1.0)
            elif kind == "requires_one_of":
                row = {}
                add(row, term(c.subject), 1.0)
                for b in c.objects:
                    add(row, term(b), -1.0)
                built.append(row)
                lower.append(-INF)
                upper.append(0.0)
            else:
                row = {}
                for i in c.members:
                    add(row, term(i), 1.0)
                built.append(row)
                lower.append(-INF if kind == "at_most" else float(c.count))
                upper.append(float(c.count) if kind == "at_most" else INF)
        if built:
            rows.sparse(built, lower, upper)


def make_highs(model: DirectModel) -> highspy.Highs:
    """A Highs object holding the model (silent), via one ``passModel`` call."""
    lp = highspy.HighsLp()
    lp.num_col_ = model.num_col
    lp.num_row_ = model.num_row
    lp.col_cost_ = model.cost
    lp.col_lower_ = np.zeros(model.num_col)
    lp.col_upper_ = np.ones(model.num_col)
    lp.row_lower_ = model.row_lower
    lp.row_upper_ = model.row_upper
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = model.num_col
    lp.a_matrix_.num_row_ = model.num_row
    lp.a_matrix_.start_ = model.start
    lp.a_matrix_.index_ = model.index
    lp.a_matrix_.value_ = model.value
    lp.integrality_ = [highspy.HighsVarType.kInteger] * model.num_col
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    return h


@dataclass
class DirectResult:
    status: str
    objective: float | None
    chosen: frozenset[str]
    gap: float | None
    seconds: float


def solve_direct(
    h: highspy.Highs,
    names: list[str],
    mip_rel_gap: float = 1e-6,
    time_limit: float | None = None,
    threads: int | None = None,
) -> DirectResult:
    """Run HiGHS with the advisor's options; the chosen decisions and HiGHS's objective."""
    h.setOptionValue("mip_rel_gap", mip_rel_gap)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if threads is not None:
        h.setOptionValue("threads", threads)
    started = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - started
    status = h.getModelStatus()
    info = h.getInfo()
    if status == highspy.HighsModelStatus.kOptimal:
        word = "optimal"
    elif status == highspy.HighsModelStatus.kTimeLimit:
        word = "time limit"
    else:
        word = h.modelStatusToString(status)
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if not has_solution:
        return DirectResult(word, None, frozenset(), None, seconds)
    values = np.asarray(h.getSolution().col_value)
    chosen = frozenset(n for n, v in zip(names, values > 0.5, strict=True) if v)
    return DirectResult(word, info.objective_function_value, chosen, info.mip_gap, seconds)


def compare_with_pyomo(folder: str) -> dict[str, float | int]:
    """Build both models of ``folder`` and compare them entry by entry.

    Reads the LP that Pyomo's persistent interface handed to HiGHS (columns mapped
    back to the direct model's order) and returns the largest differences in costs,
    row bounds and matrix entries, and both sizes. ``python bench/highspy_direct.py
    DIR`` prints it.
    """
    from advisor.economics import compute_coefficients
    from advisor.inputs.loader import load_instance
    from advisor.solving.session import open_session

    instance = load_instance(folder)
    coef = compute_coefficients(instance)
    direct = build_arrays(instance, coef)
    ranker = open_session(instance)
    lp = ranker.highs.getLp()
    columns = ranker.decision_columns()
    ours_of_pyomo = np.empty(direct.num_col, dtype=np.int64)  # Pyomo column -> direct column
    for i, column in enumerate(columns):
        ours_of_pyomo[column] = i
    cost = np.empty(direct.num_col)
    cost[ours_of_pyomo] = np.asarray(lp.col_cost_)

    def entries(start, index, value, permute=None) -> np.ndarray:
        start = np.asarray(start)
        rows = np.repeat(np.arange(len(start) - 1), np.diff(start))
        cols = np.asarray(index) if permute is None else permute[np.asarray(index)]
        order = np.lexsort((cols, rows))
        return np.stack([rows[order], cols[order], np.asarray(value)[order]])

    a = lp.a_matrix_
    if a.format_ != highspy.MatrixFormat.kRowwise:
        raise ValueError(f"Pyomo's matrix is {a.format_}, expected row-wise")
    theirs = entries(a.start_, a.index_, a.value_, ours_of_pyomo)
    mine = entries(direct.start, direct.index, direct.value)
    same_pattern = theirs.shape == mine.shape and bool((theirs[:2] == mine[:2]).all())

    def bound_diff(x: np.ndarray, y: np.ndarray) -> float:
        x, y = np.asarray(x), np.asarray(y)
        finite = np.isfinite(x) & np.isfinite(y)
        if not (np.isfinite(x) == np.isfinite(y)).all():
            return float("inf")
        return float(np.abs(x[finite] - y[finite]).max(initial=0.0))

    return {
        "columns": direct.num_col,
        "rows (pyomo, direct)": (lp.num_row_, direct.num_row),
        "nonzeros (pyomo, direct)": (theirs.shape[1], mine.shape[1]),
        "same sparsity pattern": same_pattern,
        "max |matrix difference|": float(np.abs(theirs[2] - mine[2]).max(initial=0.0))
        if same_pattern
        else float("inf"),
        "max |cost difference|": float(np.abs(cost - direct.cost).max(initial=0.0)),
        "max |row lower difference|": bound_diff(lp.row_lower_, direct.row_lower),
        "max |row upper difference|": bound_diff(lp.row_upper_, direct.row_upper),
        "same sense": lp.sense_ == highspy.ObjSense.kMaximize,
    }


if __name__ == "__main__":
    import sys

    for name, value in compare_with_pyomo(sys.argv[1]).items():
        print(f"{name}: {value}")
