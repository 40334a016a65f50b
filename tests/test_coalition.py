"""Coalition mode (issue 14): the hand-solved pair, brute force on random coalitions,
a plan outside the core, an empty core, a member better off alone."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from coalition_cases import (
    TOL,
    coalition,
    cover,
    enumerate_plans,
    member_instance,
    random_coalition,
    shapley_by_orders,
)

import advisor
from advisor.coalition import load_coalition, solve_coalition
from advisor.coalition.spec import JointCondition, JointOffer, Term

ROOT = Path(__file__).resolve().parent.parent
PAIR = ROOT / "instances" / "coalition_pair"


@pytest.fixture(scope="module")
def pair():
    return load_coalition(PAIR)


# ----------------------------------------------------------------- the hand-solved pair


def test_pair_matches_the_hand_computation(pair) -> None:
    """instances/coalition_pair/README.md: v(A) = 0, v(B) = 25, v(AB) = 83."""
    result = solve_coalition(pair)
    rows = {m.member: m for m in result.members}
    assert [s.value for s in result.subcoalitions] == pytest.approx([0, 25, 83])
    assert (rows["A"].coalition_value, rows["B"].coalition_value) == pytest.approx((27, 56))
    assert (rows["A"].shapley_value, rows["B"].shapley_value) == pytest.approx((29, 54))
    assert rows["A"].requests == ("CHIPS_zero",) and rows["B"].requests == ("GLOVES_zero",)
    assert rows["B"].offers == ("B_IP", "B_LNG")
    assert rows["A"].joint_offers == ("ROO", "SCS")
    assert result.surplus == pytest.approx(58)
    assert result.core.in_core and result.least_core.epsilon == pytest.approx(-29)
    # enforce: SCS alone leaves A at -8 < 0, so 3 plans; report lists it fourth
    assert [p.total for p in result.plans] == pytest.approx([83, 60, 25])
    reported = solve_coalition(pair, rationality="report", top=10)
    assert [p.total for p in reported.plans] == pytest.approx([83, 60, 25, 13])


def test_pair_leverage_bonus_and_egalitarian(pair) -> None:
    plan = solve_coalition(pair, objective="egalitarian").plans[0]
    joint = {j.joint_offer: j for j in plan.joint}
    assert joint["ROO"].counterpart_value == pytest.approx(15 * 2 + 30) and joint["ROO"].leverage
    assert joint["SCS"].counterpart_value == pytest.approx(20) and not joint["SCS"].leverage
    assert plan.smallest_gain == pytest.approx(27)
    shares = {m.member: m.joint_share for m in plan.members}
    assert shares == pytest.approx({"A": 40, "B": 40})  # (60 + 20) / 2 each


def test_pair_to_dict_and_frame(pair) -> None:
    result = advisor.solve_coalition(advisor.load_coalition(PAIR))
    data = result.to_dict()
    assert [m["member"] for m in data["members"]] == ["A", "B"]
    first = data["members"][0]
    for key in ("member", "standalone_value", "coalition_value", "gain", "shapley_value",
                "joint_offers"):
        assert key in first
    assert first["gain"] == pytest.approx(27) and first["joint_offers"] == ["ROO", "SCS"]
    frame = result.to_frame()
    assert list(frame.index) == ["A", "B"]
    assert frame.loc["B", "shapley_value"] == pytest.approx(54)


# ----------------------------------------------------------------- brute force


def _oracle(c, members):
    return list(enumerate_plans(c, members))


@pytest.mark.parametrize("seed", range(14))
def test_random_coalitions_against_enumeration(seed: int) -> None:
    c = random_coalition(seed)
    ids = c.member_ids
    v = {}
    for size in range(1, len(ids) + 1):
        for s in itertools.combinations(ids, size):
            found = _oracle(c, s)
            v[frozenset(s)] = max(sum(vals.values()) for _, vals in found)
    v = cover(ids, v)
    result = solve_coalition(c, rationality="report", top=3)
    for sub in result.subcoalitions:
        assert sub.value == pytest.approx(v[frozenset(sub.members)], abs=1e-5), sub.members
    alone = {m: v[frozenset([m])] for m in ids}
    totals = sorted((sum(vals.values()) for _, vals in _oracle(c, ids)), reverse=True)
    assert [p.total for p in result.plans] == pytest.approx(totals[:3], abs=1e-5)
    phi = shapley_by_orders(ids, v)
    for row in result.members:
        assert row.shapley_value == pytest.approx(phi[row.member], abs=1e-5)
        assert row.standalone_value == pytest.approx(alone[row.member], abs=1e-5)
        assert row.rational == (row.coalition_value >= alone[row.member] - 1e-5)
    allocation = {m.member: m.coalition_value for m in result.members}
    in_core = all(sum(allocation[m] for m in s) >= val - 1e-5 for s, val in v.items())
    assert result.core.in_core == in_core
    _check_least_core(ids, v, result.least_core.epsilon)


def _check_least_core(ids, v, epsilon: float) -> None:
    """scipy's LP gives the same least-core epsilon."""
    from scipy.optimize import linprog

    n = len(ids)
    rows, rhs = [], []
    for s, val in v.items():
        if len(s) < n:
            rows.append([-1.0 if m in s else 0.0 for m in ids] + [-1.0])
            rhs.append(-val)
    out = linprog([0.0] * n + [1.0], A_ub=rows, b_ub=rhs, A_eq=[[1.0] * n + [0.0]],
                  b_eq=[v[frozenset(ids)]], bounds=[(None, None)] * (n + 1))
    assert out.status == 0
    assert epsilon == pytest.approx(out.fun, abs=1e-6)


@pytest.mark.parametrize("seed", range(14, 20))
def test_random_coalitions_rational_and_egalitarian(seed: int) -> None:
    """enforce: the best pattern whose every member keeps its standalone value; the
    egalitarian plan: max min gain, then max total, by enumeration."""
    c = random_coalition(seed)
    ids = c.member_ids
    alone = {m: max(sum(v.values()) for _, v in _oracle(c, (m,))) for m in ids}
    found = _oracle(c, ids)
    rational = [v for _, v in found if all(v[m] >= alone[m] - TOL for m in ids)]
    result = solve_coalition(c, rationality="enforce")
    assert result.plans[0].total == pytest.approx(max(sum(v.values()) for v in rational), abs=1e-5)
    egal = solve_coalition(c, objective="egalitarian", rationality="report").plans[0]
    best_min = max(min(v[m] - alone[m] for m in ids) for _, v in found)
    best_sum = max(sum(v.values()) for _, v in found
                   if min(v[m] - alone[m] for m in ids) >= best_min - 1e-6)
    assert egal.smallest_gain == pytest.approx(best_min, abs=1e-5)
    assert egal.total == pytest.approx(best_sum, abs=1e-5)


# ----------------------------------------------------------------- hand-built games


def _one_request(name: str, cost: float, offers=()):
    """Protects 50 (exports 100 at 0%), costs the counterpart ``cost``."""
    return member_instance(name, [(100.0, [(0.0, 1.0, cost)])], list(offers))


def test_plan_outside_the_core_names_the_blocking_coalition() -> None:
    """J2 (all three, bonus) helps C; J1 (A and B) suits A and B: {A, B} blocks.

    v(AB) = 50 + 50 = 100 (J1); the grand plan makes J2: A 50 - 10 = 40, B 40, C 50.
    """
    members = [("A", _one_request("A", 20), "associate"), ("B", _one_request("B", 20), "associate"),
               ("C", _one_request("C", 40), "associate")]
    joint = [JointOffer("J1", "J1", "", 20, 0, 2, 2), JointOffer("J2", "J2", "", 10, 90, 3, 3)]
    costs = {("J1", "A"): 0.0, ("J1", "B"): 0.0, ("J2", "A"): 10.0, ("J2", "B"): 10.0,
             ("J2", "C"): 0.0}
    excl = JointCondition("x", "excludes", (Term("", "J1"), Term("", "J2")))
    result = solve_coalition(coalition(members, joint, costs, (excl,)))
    assert result.grand_value == pytest.approx(130)
    assert [m.coalition_value for m in result.members] == pytest.approx([40, 40, 50])
    assert not result.core.in_core
    assert result.core.blocking == ("A", "B") and result.core.excess == pytest.approx(20)
    assert result.least_core.epsilon < 0  # the core itself is not empty: (50, 50, 30)


def test_empty_core_and_least_core_epsilon() -> None:
    """Three pair offers, each member in at most one: v(pair) = 100 = v(N): core empty,
    least-core epsilon = 100/3, Shapley 100/3 each."""
    ids = ("A", "B", "C")
    members = [(m, _one_request(m, 20), "associate") for m in ids]
    joint, costs, conds = [], {}, []
    for a, b in itertools.combinations(ids, 2):
        joint.append(JointOffer(a + b, a + b, "", 20, 0, 2, 2))
        costs[a + b, a] = costs[a + b, b] = 0.0
    for m in ids:
        mine = [Term(m, j.joint_offer) for j in joint if m in j.joint_offer]
        conds.append(JointCondition(f"one_{m}", "at_most", tuple(mine), 1))
    result = solve_coalition(coalition(members, joint, costs, tuple(conds)))
    assert result.grand_value == pytest.approx(100)
    assert result.least_core.epsilon == pytest.approx(100 / 3)
    assert result.to_dict()["least_core"]["core_empty"]
    assert [m.shapley_value for m in result.members] == pytest.approx([100 / 3] * 3)
    assert not result.core.in_core


def test_member_better_off_alone_reported_and_enforced() -> None:
    """A (core) must join J, which costs it 30 and earns it what its own offer would:
    alone A = 50 - 10 = 40, in the plan 50 - 30 = 20; B gets 50 from J."""
    a = _one_request("A", 20, offers=[(20.0, 10.0)])
    members = [("A", a, "core"), ("B", _one_request("B", 20), "associate")]
    joint = [JointOffer("J", "J", "", 20, 0, 2, 2)]
    costs = {("J", "A"): 30.0, ("J", "B"): 0.0}
    c = coalition(members, joint, costs)
    reported = solve_coalition(c, rationality="report")
    a_row, b_row = reported.members
    assert (a_row.standalone_value, a_row.coalition_value) == pytest.approx((40, 20))
    assert not a_row.rational and a_row.needs == pytest.approx(20) and b_row.rational
    assert (a_row.shapley_value, b_row.shapley_value) == pytest.approx((55, 15))
    enforced = solve_coalition(c, rationality="enforce")
    assert enforced.plans[0].total == pytest.approx(40) and enforced.plans[0].joint == ()
    assert all(m.rational for m in enforced.members)


def test_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="load_coalition"):
        solve_coalition(str(PAIR))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="objective"):
        solve_coalition(load_coalition(PAIR), objective="nash")
    with pytest.raises(ValueError, match="jobs"):
        solve_coalition(load_coalition(PAIR), jobs=0)
    assert math.isfinite(solve_coalition(load_coalition(PAIR), top=1).grand_value)


def test_a_rule_across_members_can_make_them_split() -> None:
    """'Not both chip requests in a coalition deal': together one request (40), apart
    both (40 + 40): v(AB) = 80, reached apart, and the report says so."""
    members = [(m, _one_request(m, 20, offers=[(20.0, 10.0)]), "associate") for m in "AB"]
    joint = [JointOffer("J", "J", "", 1, 0, 2, 2)]
    costs = {("J", "A"): 50.0, ("J", "B"): 50.0}
    rule = JointCondition("x", "excludes", (Term("A", "S0"), Term("B", "S0")))
    result = solve_coalition(coalition(members, joint, costs, (rule,)))
    grand = result.subcoalitions[-1]
    assert grand.value == pytest.approx(80) and grand.split == (("A",), ("B",))
    assert result.plans[0].total == pytest.approx(40)  # the whole coalition's best plan
    assert any("negotiating as A | B" in w for w in result.warnings)
    assert not result.core.in_core and len(result.core.blocking) == 1


def test_solves_after_a_run_on_another_thread_count(pair) -> None:
    """HiGHS's thread pool is process-wide: a raw solve asking for 1 thread after a
    ranking on 2 errored ("no strategy satisfies its own rules") until every raw
    HiGHS call matched the pool first (found by the full suite's test order)."""
    import advisor

    tiny = advisor.load_instance("instances/tiny")
    advisor.frontier(tiny, vary="budget", points=2, lower=0, upper=70)  # HiGHS's default pool
    result = solve_coalition(pair)
    assert {m.member: m.standalone_value for m in result.members} == {"A": 0.0, "B": 25.0}
    advisor.frontier(tiny, vary="budget", points=2, lower=0, upper=70)
    assert advisor.bargain(tiny).points
