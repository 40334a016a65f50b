"""Random small instances and an exhaustive, independent oracle for them.

The generator builds :class:`advisor.instance.Instance` objects directly (no files),
small enough to enumerate every 0/1 vector of decisions (at most 14 binaries). The
oracle shares no code with ``advisor``: it has its own constant-elasticity formula,
its own rules (one tier per sector, reciprocity, budget, every condition kind,
market-share caps and floors in every scenario) and its own objectives, all
vectorised with numpy over the whole enumeration.

Two kinds of instance are drawn, round ones for even seeds, generic ones for odd:

- *round*: sigma = 1, current tariff 0, threat 1.0 (or 3.0 in a scenario), exports a
  multiple of 40, tiers at 0%, 25% or 150% (above the threat: protects 0), integer
  stated costs and offers with equal costs, so that many strategies tie exactly and
  the tie-break decides the order;
- *generic*: every number drawn at random, computed counterpart costs, scenario
  overrides of the threat, the current tariff and the elasticity.

Market-share caps and floors are set inside the range the enumeration shows, so they
cut some strategies off. An instance on a knife edge (a rule's slack, or the gap
between two objectives, within numerical noise of the solver's tolerances but not
exactly zero) is redrawn, so the comparison with the solver is exact. Seeds 11 mod 25
get a counterpart cap below every strategy's share: infeasible on purpose.

Also here: :func:`milp_optimum`, the same rules as matrix rows for scipy's MILP
solver (for instances too large to enumerate), :func:`expected_measures` (VSS and
EVPI by enumeration) and :func:`make_instance` for hand-built cases.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field, replace

import numpy as np

from advisor.instance import (
    Condition,
    Instance,
    Linkage,
    Market,
    Offer,
    OfferEffect,
    Ranking,
    RequestTier,
    Scenario,
    Sector,
    frozen_mapping,
)

CP = "USA"
OBJECTIVES = ("expected", "worst_case", "regret")
MAX_BINARIES = 14
TIE = 1e-6  # the solver's tie tolerance, relative: 1e-6 * max(1, |z|)
EXACT = 1e-9  # below this (relative) two numbers are equal up to rounding
EDGE = 1e-5  # between EXACT and this (relative) a comparison is a knife edge


# ------------------------------------------------------------------------ the oracle


def exports(x0: float, t0: float, t: float, sigma: float) -> float:
    """X(t) = X0 ((1 + t) / (1 + t0)) ** -sigma."""
    return x0 * ((1.0 + t) / (1.0 + t0)) ** (-sigma)


def sector_params(inst: Instance, sector: Sector, w: Scenario) -> tuple[float, ...]:
    return (
        sector.exports,
        w.current_tariff.get(sector.sector, sector.current_tariff),
        w.threat_tariff.get(sector.sector, sector.threat_tariff),
        w.elasticity.get(sector.sector, sector.elasticity),
    )


def protected(inst: Instance, r: RequestTier, w: Scenario) -> float:
    x0, t0, threat, sigma = sector_params(inst, inst.sector_by_id[r.sector], w)
    return exports(x0, t0, min(r.tariff, threat), sigma) - exports(x0, t0, threat, sigma)


def cost_in(inst: Instance, r: RequestTier, w: Scenario) -> float:
    """The counterpart's cost of granting r in scenario w."""
    if r.counterpart_cost is not None:
        return r.counterpart_cost
    sector = inst.sector_by_id[r.sector]
    x0, t0, threat, sigma = sector_params(inst, sector, w)
    t = min(r.tariff, threat)
    lost = threat * exports(x0, t0, threat, sigma) - t * exports(x0, t0, t, sigma)
    return inst.counterpart_cost_weight * sector.sensitivity * lost


def cost(inst: Instance, r: RequestTier) -> float:
    """The expected cost under the base probabilities."""
    return sum(w.probability * cost_in(inst, r, w) for w in inst.scenarios)


def effect_weight(inst: Instance, e: OfferEffect) -> float:
    """An effect's value weight: its own, else the sectors' export-weighted mean weight."""
    if e.value_weight is not None:
        return e.value_weight
    total = sum(s.exports for s in inst.sectors)
    return sum(s.exports * s.value_weight for s in inst.sectors) / total if total else 1.0


def value_at_risk(inst: Instance, sector: Sector, w: Scenario) -> float:
    x0, t0, threat, sigma = sector_params(inst, sector, w)
    return exports(x0, t0, t0, sigma) - exports(x0, t0, threat, sigma)


def tolerance(z: float) -> float:
    return TIE * max(1.0, abs(z))


@dataclass
class Enumeration:
    """Every 0/1 decision vector of an instance, its feasibility and its values."""

    inst: Instance
    ids: tuple[str, ...]
    vectors: np.ndarray  # (N, n) 0/1, columns in ids order
    feasible: np.ndarray  # (N,) bool
    values: np.ndarray  # (N, W) V_omega
    probabilities: np.ndarray  # (W,) with no offer made
    shares: dict[str, np.ndarray]  # market -> (N, W) share after the deal
    edges: list[str] = field(default_factory=list)  # knife-edge comparisons found
    vector_probabilities: np.ndarray | None = None  # (N, W) once the offers' linkages apply
    risk_moved: np.ndarray | None = None  # (N,) no-deal loss the scenario shifts avoid

    @property
    def n(self) -> int:
        return len(self.ids)

    def chosen(self, index: int) -> frozenset[str]:
        return frozenset(d for d, x in zip(self.ids, self.vectors[index], strict=True) if x)

    def tie_key(self, index: int) -> tuple[int, tuple[int, ...]]:
        positions = tuple(int(i) for i in np.flatnonzero(self.vectors[index]))
        return len(positions), positions

    def scenario_optimum(self) -> np.ndarray:
        return self.values[self.feasible].max(axis=0)

    def objectives(self, kind: str) -> np.ndarray:
        """The objective of every vector (meaningful where feasible)."""
        if kind == "expected":
            if self.vector_probabilities is not None:
                moved = 0.0 if self.risk_moved is None else self.risk_moved
                return (self.values * self.vector_probabilities).sum(axis=1) + moved
            return self.values @ self.probabilities
        if kind == "worst_case":
            return self.values.min(axis=1)
        if kind == "regret":
            if not self.feasible.any():
                return np.zeros(len(self.values))
            return -(self.scenario_optimum() - self.values).max(axis=1)
        raise ValueError(kind)

    def ranking(
        self, kind: str, top: int, distance: int = 1, distinct_on: str = "all"
    ) -> list[tuple[frozenset, float]]:
        """The expected ranked list: best objective first, ties by the tie key.

        Ties are the objectives within the tolerance of the best remaining one
        (its "anchor"). With ``distance`` 1 over all binaries this is the sorted
        list of every feasible strategy. Otherwise it is greedy: each next entry is
        the best remaining strategy (ties by the tie key) at Hamming distance ≥
        ``distance`` from all those already listed, the distance counted over the
        binaries ``distinct_on`` names (all, offers or sectors, i.e. requests).
        """
        z = self.objectives(kind)
        n_requests = len(self.inst.requests)
        columns = {
            "all": slice(None),
            "offers": slice(n_requests, None),
            "sectors": slice(0, n_requests),
        }[distinct_on]
        compared = self.vectors[:, columns]
        remaining = [int(i) for i in np.flatnonzero(self.feasible)]
        listed: list[int] = []
        while remaining and len(listed) < top:
            anchor = max(z[i] for i in remaining)
            group = [i for i in remaining if z[i] >= anchor - tolerance(anchor)]
            if distance <= 1 and distinct_on == "all":
                group.sort(key=self.tie_key)
                listed.extend(group[: top - len(listed)])
                taken = set(group)
                remaining = [i for i in remaining if i not in taken]
            else:
                best = min(group, key=self.tie_key)
                listed.append(best)
                remaining = [
                    i
                    for i in remaining
                    if int(np.abs(compared[i] - compared[best]).sum()) >= distance
                ]
        return [(self.chosen(i), float(z[i])) for i in listed]

    def objective_edges(self, kind: str) -> list[str]:
        """Near-ties that are not ties: two objectives closer than EDGE, farther than EXACT."""
        if not self.feasible.any():
            return []
        z = np.unique(np.sort(self.objectives(kind)[self.feasible]))
        out = []
        for a, b in itertools.pairwise(z):
            scale = max(1.0, abs(a), abs(b))
            gap = abs(b - a) / scale
            # TIE-sized gaps are the ones the grouping depends on
            if EXACT < gap < EDGE:
                out.append(f"{kind}: objectives {a!r} and {b!r}")
        return out


def _edge(slack: np.ndarray, scale: np.ndarray | float, what: str, edges: list[str]) -> None:
    rel = np.abs(slack) / np.maximum(1.0, scale)
    bad = (rel > EXACT) & (rel < EDGE)
    if bad.any():
        edges.append(f"{what}: slack {float(slack[bad][0])!r}")


@dataclass
class LinearForm:
    """Every rule and value of an instance as vectors over its decisions.

    Columns are the decisions in file order: requests, then offers. ``exports[m]``
    is, per scenario, the constant and the coefficient vector of the exports to
    market m after the deal.
    """

    ids: tuple[str, ...]
    sectors: list[np.ndarray]  # one 0/1 row per sector: its tiers
    given: np.ndarray  # counterpart value g of each decision (0 for requests)
    asked: np.ndarray  # rho * counterpart cost c of each decision (0 for offers)
    asked_in: list[np.ndarray]  # per scenario: rho * c_rw (0 for offers)
    protected: list[np.ndarray]  # per scenario: p_rw (0 for offers)
    weighted: list[np.ndarray]  # per scenario: w_s p_rw (0 for offers)
    spent: np.ndarray  # domestic cost d (0 for requests)
    conditions: list[tuple[str, list[np.ndarray], int | None]]
    probabilities: np.ndarray
    values: list[np.ndarray]  # per scenario: a_r w_s p_rw; offers: v_j - lambda d_j
    exports: dict[str, list[tuple[float, np.ndarray]]]


def linear_form(inst: Instance) -> LinearForm:
    requests, offers = inst.requests, inst.offers
    ids = tuple(r.request for r in requests) + tuple(o.offer for o in offers)
    n, nr = len(ids), len(requests)
    column = {d: i for i, d in enumerate(ids)}

    def member(identifier: str) -> np.ndarray:
        row = np.zeros(n)
        if identifier in column:
            row[column[identifier]] = 1.0
        else:  # a sector id: any of its tiers
            for r in requests:
                if r.sector == identifier:
                    row[column[r.request]] = 1.0
        return row

    given, asked, spent, effect = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    for i, o in enumerate(offers):
        given[nr + i] = o.counterpart_value
        spent[nr + i] = o.domestic_cost
    if inst.offer_effects_in_objective:
        for e in inst.offer_effects:
            effect[column[e.offer]] += effect_weight(inst, e) * e.export_change
    for i, r in enumerate(requests):
        asked[i] = inst.reciprocity_ratio * cost(inst, r)
    values, exports_ = [], {m.market: [] for m in inst.markets}
    asked_in, protected_, weighted = [], [], []
    for w in inst.scenarios:
        p, weight, c = np.zeros(n), np.zeros(n), np.zeros(n)
        value = effect - inst.offer_cost_weight * spent
        share = np.zeros(n)
        for i, r in enumerate(requests):
            p[i] = protected(inst, r, w)
            weight[i] = inst.sector_by_id[r.sector].value_weight * p[i]
            value[i] = r.acceptance * weight[i]
            c[i] = inst.reciprocity_ratio * cost_in(inst, r, w)
            share[i] = (r.acceptance if inst.shares == "expected" else 1.0) * p[i]
        values.append(value)
        asked_in.append(c)
        protected_.append(p)
        weighted.append(weight)
        for m in inst.markets:
            constant = m.exports
            vector = np.zeros(n)
            if m.market == inst.counterpart:
                constant -= sum(value_at_risk(inst, s, w) for s in inst.sectors)
                vector += share
            for e in inst.offer_effects:
                if e.market == m.market:
                    vector[column[e.offer]] += e.export_change
            exports_[m.market].append((constant, vector))
    return LinearForm(
        ids=ids,
        sectors=[member(s.sector) for s in inst.sectors],
        given=given,
        asked=asked,
        asked_in=asked_in,
        protected=protected_,
        weighted=weighted,
        spent=spent,
        conditions=[(c.kind, [member(m) for m in c.members], c.count) for c in inst.conditions],
        probabilities=np.array([w.probability for w in inst.scenarios]),
        values=values,
        exports=exports_,
    )


def enumerate_instance(inst: Instance, check_caps: bool = True) -> Enumeration:
    """Evaluate every 0/1 vector of ``inst`` with the oracle's own rules."""
    form = linear_form(inst)
    n = len(form.ids)
    vectors = np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int64).reshape(-1, n)
    x = vectors.astype(float)
    edges: list[str] = []
    feasible = np.ones(len(vectors), dtype=bool)

    for row in form.sectors:  # one tier per sector
        feasible &= x @ row <= 1

    extra, probs = linkage_terms(inst, form, x)
    given = x @ form.given  # reciprocity: g.y >= rho c.x, in expectation or per scenario
    if inst.reciprocity == "every_scenario":
        asked_rows = [x @ c for c in form.asked_in]
    else:
        asked_rows = [sum(probs[:, k] * (x @ c) for k, c in enumerate(form.asked_in))]
    for asked in asked_rows:
        scale = np.maximum(np.abs(given), np.abs(asked))
        _edge(given - asked, scale, "reciprocity", edges)
        feasible &= given - asked >= -EXACT * np.maximum(1.0, scale)

    spent = x @ form.spent
    if inst.domestic_budget is not None:
        slack = inst.domestic_budget - spent
        _edge(slack, max(1.0, inst.domestic_budget), "budget", edges)
        feasible &= slack >= -EXACT * max(1.0, inst.domestic_budget)

    for kind, rows, count in form.conditions:
        values = [x @ row for row in rows]
        subject, objects = values[0], values[1:]
        if kind == "requires":
            ok = np.all([subject <= v for v in objects], axis=0)
        elif kind == "requires_one_of":
            ok = subject <= np.sum(objects, axis=0)
        elif kind == "excludes":
            ok = np.all([subject + v <= 1 for v in objects], axis=0)
        elif kind == "at_most":
            ok = np.sum(values, axis=0) <= count
        elif kind == "at_least":
            ok = np.sum(values, axis=0) >= count
        else:
            raise ValueError(kind)
        feasible &= ok

    raised = x * extra  # a_r(y) - a_r on chosen requests
    values = np.stack(
        [x @ v + raised @ wv for v, wv in zip(form.values, form.weighted, strict=True)], axis=1
    )
    market_exports = {
        m: np.stack([const + x @ vec for const, vec in per], axis=1)
        for m, per in form.exports.items()
    }
    if inst.shares == "expected":
        market_exports[inst.counterpart] += np.stack([raised @ p for p in form.protected], axis=1)
    total = sum(market_exports.values())
    shares = {m: v / total for m, v in market_exports.items()}
    if check_caps:
        for limits, sign in ((inst.market_share_caps, 1.0), (inst.market_share_floors, -1.0)):
            for m, share in limits.items():
                slack = sign * (share * total - market_exports[m])
                _edge(slack.ravel(), np.abs(total).ravel(), f"share {m}", edges)
                feasible &= np.all(slack >= -EXACT * np.maximum(1.0, np.abs(total)), axis=1)
    return Enumeration(
        inst,
        form.ids,
        vectors,
        feasible,
        values,
        form.probabilities,
        shares,
        edges,
        probs,
        risk_moved(inst, form, x),
    )


def risk_moved(inst: Instance, form: LinearForm, x: np.ndarray) -> np.ndarray:
    """(N,) the no-deal loss each vector's scenario shifts avoid: Σ δ y_j (R_from - R_to).

    R_w = Σ_s w_s (value at risk of s in w): the expected objective measures the deal
    against no deal under the probabilities with no offer made.
    """
    column = {d: i for i, d in enumerate(form.ids)}
    scenarios = {w.name: w for w in inst.scenarios}

    def risk(name: str) -> float:
        return sum(s.value_weight * value_at_risk(inst, s, scenarios[name]) for s in inst.sectors)

    out = np.zeros(len(x))
    for link in inst.linkages:
        if link.effect == "scenario":
            out += link.value * (risk(link.target) - risk(link.to)) * x[:, column[link.offer]]
    return out


def linkage_terms(inst: Instance, form: LinearForm, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, n) rise of each request's acceptance and (N, W) scenario probabilities.

    A request's acceptance is the highest of its own and of the levels of the
    linkages whose offer is chosen; each chosen offer's scenario linkages move
    their probability.
    """
    column = {d: i for i, d in enumerate(form.ids)}
    extra = np.zeros(x.shape)
    for r in inst.requests:
        acc = np.full(len(x), r.acceptance)
        for link in inst.linkages:
            if link.effect == "acceptance" and link.target == r.request:
                acc = np.where(x[:, column[link.offer]] > 0, np.maximum(acc, link.value), acc)
        extra[:, column[r.request]] = acc - r.acceptance
    probs = np.tile(form.probabilities, (len(x), 1))
    names = [w.name for w in inst.scenarios]
    for link in inst.linkages:
        if link.effect == "scenario":
            made = x[:, column[link.offer]]
            probs[:, names.index(link.target)] -= link.value * made
            probs[:, names.index(link.to)] += link.value * made
    return extra, probs


def expected_measures(inst: Instance) -> dict[str, object] | None:
    """RP, WS, the mean-value strategy, EEV, VSS and EVPI, by enumeration.

    The mean-value instance is this module's own: one scenario with every sector's
    threat, current tariff and elasticity at its probability-weighted mean. Its
    strategy is the tie-break's pick among its optima; EEV is that strategy's
    expected value in the real scenarios, undefined (None) if it breaks a rule
    there. None when the instance has no feasible strategy.
    """
    enum = enumerate_instance(inst)
    if not enum.feasible.any():
        return None
    z = enum.objectives("expected")
    recourse = float(z[enum.feasible].max())
    wait_and_see = float(enum.probabilities @ enum.scenario_optimum())
    means = {
        key: {
            s.sector: sum(
                w.probability * getattr(w, key).get(s.sector, getattr(s, key))
                for w in inst.scenarios
            )
            for s in inst.sectors
        }
        for key in ("threat_tariff", "current_tariff", "elasticity")
    }
    mean = replace(
        inst,
        linkages=tuple(link for link in inst.linkages if link.effect != "scenario"),
        scenarios=(
            Scenario(
                "mean",
                1.0,
                threat_tariff=frozen_mapping(means["threat_tariff"]),
                current_tariff=frozen_mapping(means["current_tariff"]),
                elasticity=frozen_mapping(means["elasticity"]),
            ),
        ),
    )
    mean_list = enumerate_instance(mean).ranking("expected", 1)
    out: dict[str, object] = {
        "recourse_value": recourse,
        "wait_and_see_value": wait_and_see,
        "expected_value_of_perfect_information": wait_and_see - recourse,
        "mean_value_strategy": None,
        "mean_value_expected": None,
        "value_of_stochastic_solution": None,
    }
    if mean_list:
        chosen = mean_list[0][0]
        out["mean_value_strategy"] = tuple(d for d in enum.ids if d in chosen)
        index = next(i for i in range(len(enum.vectors)) if enum.chosen(i) == chosen)
        if enum.feasible[index]:
            out["mean_value_expected"] = float(z[index])
            out["value_of_stochastic_solution"] = recourse - float(z[index])
    return out


def milp_optimum(
    inst: Instance, exclude: tuple[frozenset[str], ...] = ()
) -> tuple[frozenset, float]:
    """The expected-value optimum by an independent MILP (scipy's own HiGHS call).

    For instances too large to enumerate: the rules are this module's, written as
    rows of a matrix, none of :mod:`advisor.model`. ``exclude`` adds no-good cuts.
    Returns the chosen decisions and the objective; raises if infeasible.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    form = linear_form(inst)
    n = len(form.ids)
    rows, lower, upper = [], [], []

    def add(row: np.ndarray, lo: float, hi: float) -> None:
        rows.append(row)
        lower.append(lo)
        upper.append(hi)

    for row in form.sectors:
        add(row, -np.inf, 1.0)
    add(form.given - form.asked, 0.0, np.inf)
    if inst.domestic_budget is not None:
        add(form.spent, -np.inf, inst.domestic_budget)
    for kind, members, count in form.conditions:
        subject, objects = members[0], members[1:]
        if kind == "requires":
            for obj in objects:
                add(subject - obj, -np.inf, 0.0)
        elif kind == "requires_one_of":
            add(subject - sum(objects), -np.inf, 0.0)
        elif kind == "excludes":
            for obj in objects:
                add(subject + obj, -np.inf, 1.0)
        elif kind == "at_most":
            add(sum(members), -np.inf, count)
        else:
            add(sum(members), count, np.inf)
    for k in range(len(form.probabilities)):
        const_total = sum(per[k][0] for per in form.exports.values())
        vec_total = sum(per[k][1] for per in form.exports.values())
        for m, share in inst.market_share_caps.items():
            const, vec = form.exports[m][k]
            add(vec - share * vec_total, -np.inf, share * const_total - const)
        for m, share in inst.market_share_floors.items():
            const, vec = form.exports[m][k]
            add(vec - share * vec_total, share * const_total - const, np.inf)
    for chosen in exclude:
        ones = np.array([1.0 if d in chosen else 0.0 for d in form.ids])
        add(1.0 - 2.0 * ones, 1.0 - len(chosen), np.inf)  # Hamming distance >= 1
    objective = sum(p * v for p, v in zip(form.probabilities, form.values, strict=True))
    result = milp(
        -objective,
        constraints=LinearConstraint(np.array(rows), lower, upper),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0.0},
    )
    if result.x is None:
        raise RuntimeError(f"no solution: {result.message}")
    chosen = frozenset(d for d, v in zip(form.ids, result.x, strict=True) if v > 0.5)
    return chosen, float(objective @ np.round(result.x))


def make_instance(
    sectors: list[Sector],
    requests: list[RequestTier],
    offers: list[Offer],
    markets: list[Market] | None = None,
    offer_effects: list[OfferEffect] = (),
    conditions: list[Condition] = (),
    scenarios: list[Scenario] | None = None,
    **settings: object,
) -> Instance:
    """An instance built by hand; settings default to the format's defaults.

    Without ``markets``, the counterpart's market holds exactly the sectors' exports
    and there is one other market (ROW) of 1000.
    """
    if markets is None:
        markets = [
            Market(CP, "counterpart", sum(s.exports for s in sectors)),
            Market("ROW", "rest", 1000.0),
        ]
    fields = {
        "name": "hand",
        "description": "",
        "home": "MYS",
        "counterpart": CP,
        "currency": "USD",
        "unit": "million",
        "offer_cost_weight": 1.0,
        "reciprocity_ratio": 1.0,
        "domestic_budget": None,
        "counterpart_cost_weight": 1.0,
        "objective": "expected",
        "market_share_caps": {},
        "market_share_floors": {},
        "ranking": Ranking(),
    }
    fields.update(settings)
    fields["market_share_caps"] = frozen_mapping(fields["market_share_caps"])
    fields["market_share_floors"] = frozen_mapping(fields["market_share_floors"])
    return Instance(
        markets=tuple(markets),
        sectors=tuple(sectors),
        requests=tuple(requests),
        offers=tuple(offers),
        offer_effects=tuple(offer_effects),
        conditions=tuple(conditions),
        scenarios=tuple(scenarios or [Scenario("base", 1.0)]),
        **fields,
    )


# --------------------------------------------------------------------- the generator


def _draw_sizes(rng: random.Random) -> tuple[list[int], int]:
    """Tiers per sector (2-4 sectors, 1-3 tiers) and offers (2-5), ≤ MAX_BINARIES in all."""
    n_sectors = rng.randint(2, 4)
    while True:
        tiers = [rng.randint(1, 3) for _ in range(n_sectors)]
        n_offers = rng.randint(2, 5)
        if sum(tiers) + n_offers <= MAX_BINARIES:
            return tiers, n_offers


def _round_instance(rng: random.Random, seed: int) -> dict:
    tiers, n_offers = _draw_sizes(rng)
    sectors, requests = [], []
    for i, k in enumerate(tiers):
        sid = f"S{i + 1}"
        sectors.append(Sector(sid, f"sector {i + 1}", "", 40.0 * rng.randint(1, 6), 0.0, 1.0, 1.0))
        for j, tariff in enumerate(sorted(rng.sample([0.0, 0.25, 0.25, 1.5], k))):
            stated = float(rng.randint(0, 6) * 5) if rng.random() < 0.7 else None
            requests.append(
                RequestTier(
                    f"{sid}_t{j + 1}",
                    sid,
                    f"{tariff:.0%}",
                    tariff,
                    acceptance=rng.choice([1.0, 1.0, 0.5]),
                    counterpart_cost=stated,
                )
            )
    unit_cost = rng.choice([5.0, 10.0])
    offers = [
        Offer(
            f"O{j + 1}",
            f"offer {j + 1}",
            "",
            float(rng.randint(0, 8) * 5),
            unit_cost * rng.choice([1, 1, 2]),
        )
        for j in range(n_offers)
    ]
    scenarios = [Scenario("base", 1.0)]
    if rng.random() < 0.35:
        n = rng.choice([2, 3])
        probs = [0.5, 0.5] if n == 2 else [0.25, 0.25, 0.5]
        scenarios = []
        for k in range(n):
            over = {s.sector: rng.choice([1.0, 3.0]) for s in sectors if rng.random() < 0.6}
            scenarios.append(Scenario(f"w{k + 1}", probs[k], threat_tariff=frozen_mapping(over)))
    return {
        "sectors": sectors,
        "requests": requests,
        "offers": offers,
        "scenarios": scenarios,
        "offer_cost_weight": rng.choice([1.0, 1.0, 0.5]),
        "reciprocity_ratio": rng.choice([0.0, 0.5, 1.0, 1.0]),
        "counterpart_cost_weight": rng.choice([1.0, 0.5]),
        "round": True,
    }


def _generic_instance(rng: random.Random, seed: int) -> dict:
    tiers, n_offers = _draw_sizes(rng)
    sectors, requests = [], []
    for i, k in enumerate(tiers):
        sid = f"S{i + 1}"
        t0 = rng.choice([0.0, rng.uniform(0.0, 0.2)])
        threat = rng.uniform(t0 + 0.05, 1.5)
        sectors.append(
            Sector(
                sid,
                f"sector {i + 1}",
                "",
                rng.uniform(5.0, 200.0),
                t0,
                threat,
                rng.uniform(0.5, 3.0),
                sensitivity=rng.choice([1.0, rng.uniform(0.3, 1.5)]),
            )
        )
        for j in range(k):
            requests.append(
                RequestTier(
                    f"{sid}_t{j + 1}",
                    sid,
                    f"tier {j + 1}",
                    rng.uniform(0.0, 1.2 * threat),
                    acceptance=rng.choice([1.0, rng.uniform(0.3, 1.0)]),
                    counterpart_cost=rng.uniform(0, 40) if rng.random() < 0.3 else None,
                )
            )
    offers = [
        Offer(f"O{j + 1}", f"offer {j + 1}", "", rng.uniform(0, 60), rng.uniform(0.5, 25))
        for j in range(n_offers)
    ]
    scenarios = [Scenario("base", 1.0)]
    if rng.random() < 0.35:
        n = rng.choice([2, 3])
        raw = [rng.uniform(0.2, 1.0) for _ in range(n)]
        probs = [x / sum(raw) for x in raw]
        scenarios = []
        for k in range(n):
            threat, current, sigma = {}, {}, {}
            for s in sectors:
                if rng.random() < 0.5:
                    threat[s.sector] = rng.uniform(0.0, 2.0)
                if rng.random() < 0.2:
                    current[s.sector] = rng.uniform(0.0, 0.1)
                if rng.random() < 0.3:
                    sigma[s.sector] = rng.uniform(0.5, 3.0)
            scenarios.append(
                Scenario(
                    f"w{k + 1}",
                    probs[k],
                    threat_tariff=frozen_mapping(threat),
                    current_tariff=frozen_mapping(current),
                    elasticity=frozen_mapping(sigma),
                )
            )
    return {
        "sectors": sectors,
        "requests": requests,
        "offers": offers,
        "scenarios": scenarios,
        "offer_cost_weight": rng.uniform(0.2, 1.5),
        "reciprocity_ratio": rng.choice([0.0, rng.uniform(0.2, 1.2)]),
        "counterpart_cost_weight": rng.uniform(0.3, 1.5),
        "round": False,
    }


def _conditions(rng: random.Random, parts: dict, kinds: list[str]) -> list[Condition]:
    requests = [r.request for r in parts["requests"]]
    offers = [o.offer for o in parts["offers"]]
    sectors = [s.sector for s in parts["sectors"]]
    pool = requests + offers + sectors
    out = []
    for i, kind in enumerate(kinds):
        # a subject and its objects never overlap (a sector and its own tier may)
        if kind in ("requires", "requires_one_of", "excludes"):
            size = rng.randint(2, 3) if kind != "requires_one_of" else rng.randint(2, 4)
            subject = rng.choice(requests + sectors + offers)
            others = [m for m in pool if m != subject]
            members = (subject, *rng.sample(others, size - 1))
            out.append(Condition(f"c{i + 1}", kind, members))
        else:
            members = tuple(rng.sample(pool, rng.randint(2, 4)))
            count = rng.randint(1, len(members) - 1) if kind == "at_most" else rng.randint(1, 2)
            out.append(Condition(f"c{i + 1}", kind, members, count))
    return out


def _assemble(rng: random.Random, parts: dict, seed: int, kinds: list[str]) -> Instance:
    rounded = parts["round"]
    cp_extra = rng.choice([0.0, 40.0, 200.0]) if rounded else rng.uniform(0, 300)
    cp = sum(s.exports for s in parts["sectors"]) + cp_extra
    markets = [
        Market(CP, "counterpart", cp),
        Market("CHN", "China", float(rng.randint(1, 8) * 40) if rounded else rng.uniform(30, 300)),
        Market(
            "SGP", "Singapore", float(rng.randint(1, 5) * 40) if rounded else rng.uniform(30, 200)
        ),
    ]
    effects = []
    for o in parts["offers"]:
        if rng.random() < 0.45:
            market = rng.choice(["CHN", "CHN", CP, "SGP"])
            change = -rng.randint(1, 8) * 5.0 if rounded else rng.uniform(-40, 20)
            effects.append(OfferEffect(o.offer, market, change))
    offers = parts["offers"]
    budget = None
    if rng.random() < 0.5:
        subset = [o.domestic_cost for o in offers if rng.random() < 0.5]
        budget = float(sum(subset)) if rounded else sum(subset) + rng.uniform(0.1, 3)
    return Instance(
        name=f"random {seed}",
        description="",
        home="MYS",
        counterpart=CP,
        currency="USD",
        unit="million",
        offer_cost_weight=parts["offer_cost_weight"],
        reciprocity_ratio=parts["reciprocity_ratio"],
        domestic_budget=budget,
        counterpart_cost_weight=parts["counterpart_cost_weight"],
        objective="expected",
        market_share_caps=frozen_mapping({}),
        market_share_floors=frozen_mapping({}),
        ranking=Ranking(),
        markets=tuple(markets),
        sectors=tuple(parts["sectors"]),
        requests=tuple(parts["requests"]),
        offers=tuple(offers),
        offer_effects=tuple(effects),
        conditions=tuple(_conditions(rng, parts, kinds)),
        scenarios=tuple(parts["scenarios"]),
    )


def _share_limits(rng: random.Random, inst: Instance, infeasible: bool) -> Instance:
    """Caps and floors drawn inside the range the strategies reach, so they bind.

    With ``infeasible``, the counterpart's cap is set below every strategy's share.
    """
    enum = enumerate_instance(inst, check_caps=False)
    candidates = enum.feasible
    if not candidates.any():
        return inst
    caps, floors = {}, {}
    if infeasible:
        share = enum.shares[CP][candidates].max(axis=1)
        caps[CP] = 0.9 * float(share.min())
    elif rng.random() < 0.6:
        market = CP if rng.random() < 0.8 else "CHN"
        share = enum.shares[market][candidates].max(axis=1)  # the binding scenario
        caps[market] = float(np.quantile(share, rng.uniform(0.3, 0.9)))
    if rng.random() < 0.3:
        market = rng.choice(["CHN", "SGP"])
        share = enum.shares[market][candidates].min(axis=1)
        floors[market] = float(np.quantile(share, rng.uniform(0.05, 0.5)))
    return replace(
        inst, market_share_caps=frozen_mapping(caps), market_share_floors=frozen_mapping(floors)
    )


def _two_scenarios(rng: random.Random, sectors: list[Sector]) -> list[Scenario]:
    """Two equally likely scenarios, the second with a harsher threat on some sectors."""
    harsher = {s.sector: s.threat_tariff * 2 for s in sectors if rng.random() < 0.6}
    return [Scenario("w1", 0.5), Scenario("w2", 0.5, threat_tariff=frozen_mapping(harsher))]


def _economics_options(rng: random.Random, inst: Instance, every: bool) -> Instance:
    """The economics options of issue 13, each drawn (or, with ``every``, all set).

    Value weights on sectors and offer effects, offer effects in or out of the
    objective, reciprocity in expectation or in every scenario, shares with every
    request granted or acceptance-weighted, and linkages: offers that raise a
    request's acceptance (to a level between its own and 1) or move probability
    between two scenarios (at most half of the source's, split among its shifts).
    Round instances keep round numbers (binary fractions), so their ties stay exact.
    """
    rounded = inst.name.startswith("random") and all(
        s.elasticity == 1.0 and s.current_tariff == 0.0 for s in inst.sectors
    )

    def draw(p: float) -> bool:
        return every or rng.random() < p

    def weight() -> float:
        return rng.choice([0.5, 0.25, 1.0]) if rounded else rng.uniform(0.1, 1.0)

    sectors = tuple(replace(s, value_weight=weight()) if draw(0.4) else s for s in inst.sectors)
    effects = tuple(
        replace(e, value_weight=weight()) if rng.random() < 0.3 else e for e in inst.offer_effects
    )
    fields = {
        "sectors": sectors,
        "offer_effects": effects,
        "offer_effects_in_objective": not (rng.random() < 0.3),
        "reciprocity": "every_scenario" if rng.random() < (0.5 if every else 0.3) else "expected",
        "shares": "expected" if rng.random() < (0.5 if every else 0.3) else "all_granted",
    }
    if draw(0.35):
        fields["linkages"] = _random_linkages(rng, inst, rounded)
    return replace(inst, **fields)


def _random_linkages(rng: random.Random, inst: Instance, rounded: bool) -> tuple[Linkage, ...]:
    offers = [o.offer for o in inst.offers]
    links = []
    for r in rng.sample(list(inst.requests), min(len(inst.requests), rng.randint(1, 3))):
        if r.acceptance >= 1.0:
            continue
        for offer in rng.sample(offers, rng.randint(1, 2)):
            level = rng.choice([0.75, 1.0]) if rounded else rng.uniform(r.acceptance, 1.0)
            links.append(Linkage(offer, "acceptance", r.request, max(level, r.acceptance)))
    scenarios = list(inst.scenarios)
    if len(scenarios) > 1:
        for _ in range(rng.randint(1, 2)):
            source, target = rng.sample(scenarios, 2)
            amount = source.probability / 4 if rounded else rng.uniform(0, source.probability / 2)
            links.append(Linkage(rng.choice(offers), "scenario", source.name, amount, target.name))
    return tuple(links)


def random_instance(
    seed: int,
    objectives: tuple[str, ...] = OBJECTIVES,
    every_option: bool = False,
    options: bool = True,
) -> Instance:
    """A random instance, reproducible from ``seed``, that is on no knife edge.

    Condition kinds cycle with the seed so that every kind appears across any run
    of consecutive seeds; ``objectives`` are those whose near-ties are avoided.
    The economics options (:func:`_economics_options`) are drawn from a stream of
    their own; with ``every_option`` each instance has value weights, linkages and
    several scenarios; ``options=False`` draws none (the instances of before issue
    13, which some regression tests name by seed).
    """
    for attempt in range(50):
        rng = random.Random(seed * 7919 + attempt)
        parts = _round_instance(rng, seed) if seed % 2 == 0 else _generic_instance(rng, seed)
        kinds = ["requires", "requires_one_of", "excludes", "at_most", "at_least"]
        first = kinds[(seed // 2) % len(kinds)]
        n_cond = rng.choice([1, 1, 2, 3]) if seed % 7 else 0
        chosen = [first, *rng.choices(kinds, k=n_cond - 1)] if n_cond else []
        stream = random.Random(seed * 104729 + attempt)
        if every_option and len(parts["scenarios"]) == 1:
            parts["scenarios"] = _two_scenarios(stream, parts["sectors"])
        inst = _assemble(rng, parts, seed, chosen)
        if options:
            inst = _economics_options(stream, inst, every_option)
        else:  # the old reading: offers' export changes move shares only
            inst = replace(inst, offer_effects_in_objective=False)
        inst = _share_limits(rng, inst, infeasible=seed % 25 == 11)
        enum = enumerate_instance(inst)
        edges = list(enum.edges)
        for kind in objectives:
            edges += enum.objective_edges(kind)
        if not edges:
            return inst
    raise RuntimeError(f"seed {seed}: no instance off the knife edge in 50 attempts")
