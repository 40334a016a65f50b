"""Small coalitions built in memory, and a brute-force oracle for them.

Members are one-scenario instances with sectors at sigma = 1, current tariff 0 and
threat 100%, so a 0% tier protects exports/2 and a 25% tier exports x 0.3 (X(t) =
X0/(1+t)); counterpart costs are stated. The oracle shares no code with advisor:
it enumerates who joins which joint offer, and, for each such pattern, every 0/1
vector of each member's own decisions (the pattern fixes each member's share of
the joint value and its joint costs, so the members' best responses are
independent), with its own reciprocity, budget and condition rules.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from randinst import make_instance

from advisor.coalition.spec import (
    Coalition,
    JointCondition,
    JointOffer,
    Member,
    Participation,
    Term,
)
from advisor.instance import Condition, Offer, RequestTier, Sector

TOL = 1e-6


def member_instance(name: str, sectors: list[tuple[float, list[tuple[float, float, float]]]],
                    offers: list[tuple[float, float]], budget: float | None = None,
                    conditions: tuple[Condition, ...] = (), rho: float = 1.0,
                    lam: float = 1.0):
    """sectors: (exports, [(tariff, acceptance, counterpart cost)]); offers: (value, cost)."""
    ss, rs = [], []
    for i, (x0, tiers) in enumerate(sectors):
        ss.append(Sector(f"S{i}", f"sector {i}", "", x0, 0.0, 1.0, 1.0))
        for k, (t, a, c) in enumerate(tiers):
            rs.append(RequestTier(f"S{i}_{k}", f"S{i}", f"tier {k}", t, a, c))
    os_ = [Offer(f"O{j}", f"offer {j}", "", g, d) for j, (g, d) in enumerate(offers)]
    return make_instance(ss, rs, os_, conditions=list(conditions), name=name,
                         domestic_budget=budget, reciprocity_ratio=rho, offer_cost_weight=lam)


def coalition(members: list[tuple[str, object, str]], joint: list[JointOffer],
              costs: dict[tuple[str, str], float], conditions: tuple[JointCondition, ...] = (),
              split: str = "equal", weights: dict[str, float] | None = None,
              rationality: str = "report", objective: str = "utilitarian") -> Coalition:
    """members: (id, instance, tier); costs: (joint offer, member) -> domestic cost."""
    weights = weights or {}
    return Coalition(
        name="test", description="", counterpart="USA", money="USD million", split=split,
        objective=objective, rationality=rationality, tolerance=0.0, top=1,
        members=tuple(Member(m, inst, tier, weights.get(m, 1.0)) for m, inst, tier in members),
        joint_offers=tuple(joint),
        participations=tuple(Participation(j, m, d) for (j, m), d in costs.items()),
        conditions=conditions,
    )


# ----------------------------------------------------------------------------- oracle


def _protected(x0: float, t: float) -> float:
    return x0 / (1 + min(t, 1.0)) - x0 / 2


@dataclass
class Vectors:
    """Every feasible-by-itself 0/1 vector of a member: value, given, asked, spent."""

    rows: list[tuple[float, float, float, float, frozenset[str]]]


def member_vectors(inst) -> Vectors:
    ids = [r.request for r in inst.requests] + [o.offer for o in inst.offers]
    rows = []
    for bits in itertools.product((0, 1), repeat=len(ids)):
        chosen = frozenset(i for i, b in zip(ids, bits, strict=True) if b)
        sectors = [r.sector for r in inst.requests if r.request in chosen]
        if len(sectors) != len(set(sectors)):
            continue
        if not all(_holds(c, chosen, inst) for c in inst.conditions):
            continue
        value = given = asked = spent = 0.0
        for r in inst.requests:
            if r.request in chosen:
                x0 = next(s.exports for s in inst.sectors if s.sector == r.sector)
                value += r.acceptance * _protected(x0, r.tariff)
                asked += inst.reciprocity_ratio * r.counterpart_cost
        for o in inst.offers:
            if o.offer in chosen:
                value -= inst.offer_cost_weight * o.domestic_cost
                given += o.counterpart_value
                spent += o.domestic_cost
        rows.append((value, given, asked, spent, chosen))
    return Vectors(rows)


def _holds(c: Condition, chosen: frozenset[str], inst) -> bool:
    def x(ident: str) -> int:
        tiers = [r.request for r in inst.requests if r.sector == ident]
        return int(any(t in chosen for t in tiers)) if tiers else int(ident in chosen)

    t = [x(m) for m in c.members]
    return _kind_holds(c.kind, t, c.count)


def _kind_holds(kind: str, t: list[int], count: int | None) -> bool:
    if kind == "requires":
        return all(t[0] <= b for b in t[1:])
    if kind == "excludes":
        return all(t[0] + b <= 1 for b in t[1:])
    if kind == "requires_one_of":
        return t[0] <= sum(t[1:])
    if kind == "at_most":
        return sum(t) <= count
    return sum(t) >= count


def best_response(vectors: Vectors, inst, share: float, cost: float) -> float | None:
    """A member's best value given its joint share and joint cost (None: no vector)."""
    best = None
    budget = inst.domestic_budget
    for value, given, asked, spent, _ in vectors.rows:
        if given + share < asked - TOL * max(1.0, asked):
            continue
        if budget is not None and spent + cost > budget + TOL * max(1.0, budget):
            continue
        v = value - inst.offer_cost_weight * cost
        best = v if best is None or v > best else best
    return best


def patterns(c: Coalition, members: tuple[str, ...]):
    """Every participation pattern of sub-coalition ``members``: joint offer -> participants."""
    tiers = {m.member: m.tier for m in c.members}
    options = []
    for j in c.joint_offers:
        eligible = [m for m in c.eligible[j.joint_offer] if m in members]
        core = [m for m in eligible if tiers[m] == "core"]
        choices = [()]
        for size in range(j.min_members, len(eligible) + 1):
            for combo in itertools.combinations(eligible, size):
                if all(m in combo for m in core):
                    choices.append(combo)
        options.append(choices)
    for combo in itertools.product(*options):
        yield {j.joint_offer: p for j, p in zip(c.joint_offers, combo, strict=True)}


def _pattern_ok(c: Coalition, members: tuple[str, ...], pattern) -> bool:
    """Joint conditions over participation and made terms (members' decisions not used)."""
    for cond in c.conditions:
        if len(members) < 2 or not cond.members <= set(members):
            continue
        t = [int(bool(pattern[x.ref])) if not x.member else int(x.member in pattern[x.ref])
             for x in cond.terms]
        if not _kind_holds(cond.kind, t, cond.count):
            return False
    return True


def values_of(c: Coalition, members: tuple[str, ...], pattern, vectors) -> dict[str, float] | None:
    weight = {m.member: (1.0 if c.split == "equal" else m.export_weight) for m in c.members}
    out = {}
    for m in members:
        share = cost = 0.0
        for j in c.joint_offers:
            p = pattern[j.joint_offer]
            if m not in p:
                continue
            g = j.base_value * len(p) + (j.leverage_bonus if len(p) >= j.leverage_min else 0)
            share += g * weight[m] / sum(weight[x] for x in p)
            cost += c.cost[j.joint_offer, m]
        inst = c.member_by_id[m].instance
        best = best_response(vectors[m], inst, share, cost)
        if best is None:
            return None
        out[m] = best
    return out


def enumerate_plans(c: Coalition, members: tuple[str, ...]):
    """(pattern, member values) of every feasible pattern of ``members``."""
    vectors = {m: member_vectors(c.member_by_id[m].instance) for m in members}
    for pattern in patterns(c, members):
        if not _pattern_ok(c, members, pattern):
            continue
        values = values_of(c, members, pattern, vectors)
        if values is not None:
            yield pattern, values


def shapley_by_orders(members: tuple[str, ...], v: dict[frozenset, float]) -> dict[str, float]:
    """The average marginal contribution over all n! orders (not the subset formula)."""
    phi = dict.fromkeys(members, 0.0)
    orders = list(itertools.permutations(members))
    for order in orders:
        before: frozenset = frozenset()
        for m in order:
            after = before | {m}
            phi[m] += v[after] - (v[before] if before else 0.0)
            before = after
    return {m: x / len(orders) for m, x in phi.items()}


# ----------------------------------------------------------------------------- random


def random_coalition(seed: int) -> Coalition:
    """2-3 members, 2-4 joint offers, core and associate tiers, maybe conditions."""
    rng = random.Random(seed)
    n = rng.randint(2, 3)
    ids = ["A", "B", "C"][:n]
    members = []
    for m in ids:
        sectors = []
        for _ in range(rng.randint(1, 2)):
            x0 = rng.choice([80.0, 100.0, 160.0, 200.0])
            tiers = [(0.0, rng.choice([1.0, 0.8]), rng.randint(10, 60))]
            if rng.random() < 0.5:
                tiers.append((0.25, 1.0, rng.randint(5, 30)))
            sectors.append((x0, tiers))
        offers = [(rng.randint(5, 40), rng.randint(2, 20)) for _ in range(rng.randint(1, 3))]
        budget = rng.choice([None, float(rng.randint(10, 40))])
        inst = member_instance(m, sectors, offers, budget, lam=rng.choice([0.5, 1.0]))
        members.append((m, inst, rng.choice(["core", "associate"])))
    joint, costs = [], {}
    for k in range(rng.randint(2, 4)):
        j = f"J{k}"
        eligible = rng.sample(ids, rng.randint(2, n))
        joint.append(JointOffer(j, j, "", rng.randint(3, 25), rng.choice([0, 10, 30]),
                                rng.randint(2, len(eligible)), rng.randint(2, len(eligible))))
        for m in ids:
            if m in eligible:
                costs[j, m] = float(rng.randint(0, 12))
    conditions = []
    if rng.random() < 0.5:
        j0, j1 = joint[0].joint_offer, joint[1].joint_offer
        kind = rng.choice(["requires", "excludes"])
        m = rng.choice([x for x in ids if (j0, x) in costs])
        conditions.append(JointCondition("k1", kind, (Term(m, j0), Term("", j1))))
    split = rng.choice(["equal", "export_weight"])
    weights = {m: float(rng.randint(1, 5)) for m in ids}
    return coalition(members, joint, costs, tuple(conditions), split, weights)


def cover(members: tuple[str, ...], joint: dict[frozenset, float]) -> dict[frozenset, float]:
    """The best partition of each S into groups (by enumerating set partitions)."""
    def partitions(items: list[str]):
        if not items:
            yield []
            return
        first, rest = items[0], items[1:]
        for part in partitions(rest):
            yield [[first], *part]
            for i in range(len(part)):
                yield [*part[:i], [first, *part[i]], *part[i + 1:]]

    out = {}
    for s in joint:
        out[s] = max(sum(joint[frozenset(g)] for g in p) for p in partitions(sorted(s)))
    return out
