r"""The negotiation's rules in the user's terms, mapped to the model's constraints.

An analyst thinks in rules they can point at in their files: "conditions.csv: c7",
"instance.toml: model.domestic_budget", "instance.toml: market_share_caps.USA".
The model has constraint rows, several per rule (a cap holds in every scenario, a
``requires`` condition has one row per object). :func:`model_rules` lists the rules
of a built model with their rows, so the explanation and the infeasibility
diagnosis can remove, relax and name them. The one-tier-per-sector rows are not
listed: they define what a request tier is and cannot be negotiated away.

A numeric rule (reciprocity, budget, a cap, a floor) carries its :class:`Limit`:
the model's mutable parameter and the direction that loosens it, so the
explanation, the diagnosis and the frontier relax a rule the same way.

:class:`RuleBook` checks a decision set against every row of the model, the
one-tier rows included. Each row is linear in the decision binaries,

.. math:: l_i ≤ a_i^⊤ x + b_i ≤ u_i,

so the rows are read once from the model (Pyomo's standard representation, at the
parameters' current values) into a sparse matrix (coordinates), and a decision set, or a batch of
them, is checked by one product. A row is broken when it misses a bound by more
than ``RULE_TOLERANCE`` × max(1, Σ|a_ij x_j| + |b_i|, |bound|). This is what the
reports' "binding rules" and the result's checks use; the independent
:mod:`advisor.checker` re-implements the same rules for the tests and ``verify``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from advisor.instance import Instance
from advisor.linear_form import LinearForm, LinearReader

RULE_KINDS = ("reciprocity", "budget", "cap", "floor", "condition")
RULE_TOLERANCE = 1e-7
# violation labels sort in this order (then alphabetically), as the reports list them
LABEL_ORDER = ("reciprocity", "domestic budget", "market share", "condition", "one tier")


@dataclass(frozen=True)
class Limit:
    """The mutable parameter behind a numeric rule and how it is relaxed.

    ``loosen`` is +1 when a higher value loosens the rule (budget, cap) and -1 when
    a lower one does (reciprocity ratio, floor); ``unit`` is one step of relaxation
    (one money unit of budget, 0.1 of the ratio, one point of a share); the value
    stays within [``low``, ``high``]; ``loosest`` is the value at which the rule
    cannot bind (every offer affordable, no ratio, a share of 0 or 1).
    """

    param: pyo.Param
    loosen: int
    unit: float
    low: float
    high: float
    loosest: float

    @property
    def value(self) -> float:
        """The parameter's current value."""
        return float(pyo.value(self.param))

    def _clip(self, value: float) -> float:
        return min(self.high, max(self.low, value))

    def by_unit(self) -> float:
        """The value relaxed by one unit."""
        return self._clip(self.value + self.loosen * self.unit)

    def by_ten_percent(self) -> float:
        """The value relaxed by 10%."""
        return self._clip(self.value * (1 + 0.1 * self.loosen))


@dataclass(frozen=True)
class Rule:
    """A user-level rule: where it lives, what it says, and its constraint rows."""

    kind: str
    file: str
    key: str
    label: str
    constraints: tuple[pyo.ConstraintData, ...]
    limit: Limit | None = None

    @property
    def location(self) -> str:
        """``file: key``, e.g. ``conditions.csv: c7``."""
        return f"{self.file}: {self.key}"

    @property
    def market(self) -> str | None:
        """The market of a cap or floor rule (None for the others)."""
        return self.key.split(".", 1)[1] if self.kind in ("cap", "floor") else None


def _rows(component: pyo.Constraint, keep: object = None) -> tuple[pyo.ConstraintData, ...]:
    """The rows of an indexed constraint whose index starts with ``keep`` (all if None)."""
    if keep is None:
        return tuple(component[index] for index in component)
    return tuple(_rows_by_head(component).get(keep, ()))


def _rows_by_head(component: pyo.Constraint) -> dict[object, list[pyo.ConstraintData]]:
    """The rows of an indexed constraint by the first part of their index, in order.

    One pass: at 10,000 lines a condition component has about 7,000 rows, one
    condition per line, and looking each condition's rows up by a pass of its own
    took 5 s.
    """
    by_head: dict[object, list[pyo.ConstraintData]] = {}
    for index in component:
        head = index[0] if isinstance(index, tuple) else index
        by_head.setdefault(head, []).append(component[index])
    return by_head


def _condition_component(model: pyo.ConcreteModel, kind: str) -> pyo.Constraint:
    return getattr(model, f"condition_{kind}_constr")


def _limit_rules(model: pyo.ConcreteModel, instance: Instance) -> list[Rule]:
    """Reciprocity, budget, caps and floors, each with its :class:`Limit`."""
    rules = [
        Rule(
            "reciprocity",
            "instance.toml",
            "model.reciprocity_ratio",
            f"reciprocity: counterpart value ≥ {instance.reciprocity_ratio:g} × counterpart cost"
            + (" in every scenario" if instance.reciprocity == "every_scenario" else ""),
            _rows(model.reciprocity_constr),
            Limit(model.reciprocity_ratio, -1, 0.1, 0.0, np.inf, 0.0),
        )
    ]
    if instance.domestic_budget is not None:
        total_cost = sum(o.domestic_cost for o in instance.offers)
        rules.append(
            Rule(
                "budget",
                "instance.toml",
                "model.domestic_budget",
                f"domestic budget: offer cost ≤ {instance.domestic_budget:,.1f}",
                (model.domestic_budget_constr,),
                Limit(model.domestic_budget, 1, 1.0, -np.inf, np.inf, total_cost),
            )
        )
    for market, cap in instance.market_share_caps.items():
        rules.append(
            Rule(
                "cap",
                "instance.toml",
                f"market_share_caps.{market}",
                f"market-share cap: {market} ≤ {cap:.1%} of exports",
                _rows(model.market_share_cap_constr, market),
                Limit(model.market_share_cap[market], 1, 0.01, 0.0, 1.0, 1.0),
            )
        )
    for market, floor in instance.market_share_floors.items():
        rules.append(
            Rule(
                "floor",
                "instance.toml",
                f"market_share_floors.{market}",
                f"market-share floor: {market} ≥ {floor:.1%} of exports",
                _rows(model.market_share_floor_constr, market),
                Limit(model.market_share_floor[market], -1, 0.01, 0.0, 1.0, 0.0),
            )
        )
    return rules


def model_rules(model: pyo.ConcreteModel, instance: Instance) -> list[Rule]:
    """Every negotiable rule of ``model``, in a fixed order."""
    rules = _limit_rules(model, instance)
    kinds = dict.fromkeys(c.kind for c in instance.conditions)
    rows = {kind: _rows_by_head(_condition_component(model, kind)) for kind in kinds}
    for c in instance.conditions:
        text = c.description or f"{c.kind} {'; '.join(c.members)}"
        rules.append(
            Rule(
                "condition",
                "conditions.csv",
                c.condition,
                f"condition {c.condition} ({c.kind}): {text}",
                tuple(rows[c.kind].get(c.condition, ())),
            )
        )
    return rules


def rule_for(rules: Iterable[Rule], kind: str, market: str | None = None) -> Rule | None:
    """The rule of ``kind`` (for a cap or floor, of ``market``), or None."""
    return next((r for r in rules if r.kind == kind and r.market == market), None)


def label_order(label: str) -> tuple[int, str]:
    """Sort key of a violation label: by :data:`LABEL_ORDER`, then alphabetically."""
    index = next((i for i, p in enumerate(LABEL_ORDER) if label.startswith(p)), len(LABEL_ORDER))
    return index, label


def _row_labels(model: pyo.ConcreteModel) -> list[tuple[pyo.ConstraintData, str, float]]:
    """Every rule row of the model, the label of its violation, and its money scale.

    A money row is divided by its scale in the model (:mod:`advisor.scaling`); the
    RuleBook multiplies it back, so that rules are checked in the user's unit.
    """
    scales = model.scales
    labelled = [
        (model.reciprocity_constr[row], _reciprocity_label(row), scales.reciprocity)
        for row in model.reciprocity_constr
    ]
    if hasattr(model, "domestic_budget_constr"):
        labelled.append((model.domestic_budget_constr, "domestic budget", scales.budget))
    for kind in ("requires", "excludes", "requires_one_of", "at_most", "at_least"):
        component = _condition_component(model, kind)
        for index in component:
            head = index[0] if isinstance(index, tuple) else index
            labelled.append((component[index], f"condition {head}", 1.0))
    for word, component in (
        ("cap", model.market_share_cap_constr),
        ("floor", model.market_share_floor_constr),
    ):
        for market, w in component:
            label = f"market share {word} {market} [{w}]"
            labelled.append((component[market, w], label, scales.exports))
    for s in model.one_tier_per_sector_constr:
        labelled.append((model.one_tier_per_sector_constr[s], f"one tier per sector: {s}", 1.0))
    return labelled


def _reciprocity_label(row: str) -> str:
    """``reciprocity`` (in expectation) or ``reciprocity [ω]`` (in scenario ω)."""
    return "reciprocity" if row == "expected" else f"reciprocity [{row}]"


def _report_labels(model: pyo.ConcreteModel) -> list[str]:
    instance: Instance = model.instance_data
    labels = [f"one tier per sector: {s}" for s in model.one_tier_per_sector_constr]
    labels += [_reciprocity_label(row) for row in model.reciprocity_constr]
    labels += ["domestic budget"]
    labels += [f"condition {c.condition}" for c in instance.conditions]
    for w in instance.scenarios:
        labels += [f"market share cap {m} [{w.name}]" for m in instance.market_share_caps]
        labels += [f"market share floor {m} [{w.name}]" for m in instance.market_share_floors]
    return labels


class RuleBook:
    """Every rule row of a model as a sparse matrix over the decisions.

    It checks decision sets against the rules at the parameters' current values.
    """

    def __init__(
        self,
        model: pyo.ConcreteModel,
        decisions: Sequence[str],
        only: Sequence[pyo.ConstraintData] | None = None,
    ) -> None:
        """The rules of ``model``, with columns in the order of ``decisions``.

        ``only``: just these rows (one rule's), e.g. to check one relaxed limit.
        """
        self.model = model
        self.decisions = tuple(decisions)
        self._only = None if only is None else {id(con) for con in only}
        self._read = False
        self._forms: Mapping[object, LinearForm] = {}

    def share_forms(self, forms: Mapping[object, LinearForm]) -> None:
        """Read rows from ``forms`` (by constraint) where they are, not from the model again.

        A session's hand-off to HiGHS reads every row once (``BulkHighs.forms``, kept
        current as parameters change through the session): at 50,000 lines a second
        reading here took about 4 s of the trust check.
        """
        self._forms = forms

    def refresh(self) -> None:
        """Read the rows again at first use (after a mutable parameter changed)."""
        self._read = False

    def _read_rows(self) -> None:
        """Read every rule row from the model.

        Done at first use: at tariff-line scale a ranking that lists no binding rules
        never pays for it.
        """
        if self._read:
            return
        self._read = True
        column = {d: i for i, d in enumerate(self.decisions)}
        variable = {id(self.model.request[r]): column[r] for r in self.model.REQUESTS}
        variable |= {id(self.model.offer[j]): column[j] for j in self.model.OFFERS}
        # the linkages' product variables follow the decisions (advisor.linkages)
        self._derived = list(self.model.derived)
        variable |= {id(var): len(column) + k for k, (var, _) in enumerate(self._derived)}
        rows, cols, values = [], [], []
        labels, constants, lower, upper = [], [], [], []
        labelled = _row_labels(self.model)
        if self._only is not None:
            labelled = [row for row in labelled if id(row[0]) in self._only]
        reader = LinearReader()  # each named expression (exports E_mω) read once
        for i, (con, label, scale) in enumerate(labelled):
            con_lower, body, con_upper = con.to_bounded_expression()
            form = self._forms.get(con)
            form = reader.read(body) if form is None else form
            for vid, coefficient in form.coefficients.items():
                rows.append(i)
                cols.append(variable[vid])
                values.append(coefficient * scale)
            labels.append(label)
            constants.append(form.constant * scale)
            lower.append(-np.inf if con_lower is None else float(pyo.value(con_lower)) * scale)
            upper.append(np.inf if con_upper is None else float(pyo.value(con_upper)) * scale)
        # the matrix as coordinates (numpy only: importing scipy here costs 0.4 s, as
        # Pyomo then loads scipy.stats too)
        self.rows = np.array(rows, dtype=np.int64)
        self.cols = np.array(cols, dtype=np.int64)
        self.values = np.array(values, dtype=float)
        self.labels = tuple(labels)
        self._order = {label: i for i, label in enumerate(_report_labels(self.model))}
        self.constant = np.array(constants)
        self.lower = np.array(lower)
        self.upper = np.array(upper)

    def _vectors(self, sets: Sequence[frozenset[str]]) -> np.ndarray:
        """The decision vectors of ``sets``, then the values of the derived variables."""
        index = {d: i for i, d in enumerate(self.decisions)}
        n = len(self.decisions)
        x = np.zeros((n + len(self._derived), len(sets)))
        for k, chosen in enumerate(sets):
            x[[index[d] for d in chosen], k] = 1.0
            for i, (_, value) in enumerate(self._derived):
                x[n + i, k] = value(chosen)
        return x

    def broken_rows(self, sets: Sequence[frozenset[str]]) -> np.ndarray:
        """A boolean (rows × sets) array: which row each decision set breaks."""
        self._read_rows()
        x = self._vectors(sets)
        activity = self._product(self.values, x) + self.constant[:, None]
        size = self._product(np.abs(self.values), x) + np.abs(self.constant)[:, None]
        bound = np.maximum(np.where(np.isfinite(self.lower), np.abs(self.lower), 0.0),
                           np.where(np.isfinite(self.upper), np.abs(self.upper), 0.0))
        tol = RULE_TOLERANCE * np.maximum(np.maximum(1.0, size), bound[:, None])
        return (activity < self.lower[:, None] - tol) | (activity > self.upper[:, None] + tol)

    def _product(self, values: np.ndarray, x: np.ndarray) -> np.ndarray:
        """A x for the matrix with entries ``values`` (rows × sets)."""
        out = np.zeros((len(self.labels), x.shape[1]))
        np.add.at(out, self.rows, values[:, None] * x[self.cols])
        return out

    def violations(self, chosen: frozenset[str]) -> list[str]:
        """The rules ``chosen`` breaks, as labels; empty if it keeps them all.

        Labels read ``reciprocity``, ``domestic budget``, ``condition c1``,
        ``market share cap USA [base]``, ``one tier per sector: IC``.
        """
        unknown = chosen - set(self.decisions)
        if unknown:
            raise ValueError(f"unknown decisions: {', '.join(sorted(unknown))}")
        broken = self.broken_rows([chosen])[:, 0]
        return sorted({self.labels[i] for i in np.flatnonzero(broken)}, key=self._report_order)

    def _report_order(self, label: str) -> int:
        """Where a label stands when violations are listed.

        One tier per sector, then reciprocity, the budget, the conditions in file
        order, and the caps and floors scenario by scenario (the order of
        ``conditions.csv`` and ``instance.toml``).
        """
        return self._order[label]

    def violations_of_each(self, sets: Sequence[frozenset[str]]) -> list[set[str]]:
        """:meth:`violations` of every set in one product."""
        if not sets:
            return []
        broken = self.broken_rows(sets)
        return [{self.labels[i] for i in np.flatnonzero(broken[:, k])} for k in range(len(sets))]
