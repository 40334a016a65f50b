"""``solve_coalition``: sub-coalition values, the ranked joint plans, the fair split.

Five named steps: check the arguments; v(S) of every sub-coalition
(:mod:`advisor.coalition.subsets`, which gives each member's standalone optimum as
v of its singleton); the grand coalition's ranked plans
(:mod:`advisor.coalition.plans`), with individual rationality enforced or only
reported; the game's Shapley values, core test and least core
(:mod:`advisor.coalition.games`); the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from advisor.coalition.games import core_test, least_core, shapley, superadditive_cover
from advisor.coalition.plans import Plan, best_plans
from advisor.coalition.result import CoalitionResult, MemberResult, SubCoalition
from advisor.coalition.spec import COALITION_OBJECTIVES, RATIONALITY, Coalition
from advisor.coalition.subsets import SubsetValues, subset_values
from advisor.results import OBJECTIVE_TOLERANCE


def _check(coalition: object, objective: str | None, top: int | None, jobs: int,
           scheduler: str | None) -> None:
    if not isinstance(coalition, Coalition):
        hint = " (load a folder with advisor.load_coalition)" if isinstance(coalition, str) else ""
        raise TypeError(f"coalition: expected a Coalition, got {type(coalition).__name__}{hint}")
    if objective is not None and objective not in COALITION_OBJECTIVES:
        raise ValueError(f"objective: expected one of {COALITION_OBJECTIVES}, got {objective!r}")
    for name, value in (("top", top), ("jobs", jobs)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 1):
            raise ValueError(f"{name}: expected a whole number >= 1, got {value!r}")
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(f"scheduler: expected an address such as 'tcp://HOST:8786', got "
                        f"{type(scheduler).__name__}")


def solve_coalition(
    coalition: Coalition,
    objective: str | None = None,
    top: int | None = None,
    rationality: str | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> CoalitionResult:
    """Solve the coalition: standalone values, ranked joint plans, Shapley, core.

    ``objective`` (``utilitarian`` or ``egalitarian``), ``top`` and ``rationality``
    (``enforce`` or ``report``) default to ``coalition.toml``'s. ``jobs`` > 1 solves
    the 2^n − 1 sub-coalitions in that many processes, ``scheduler`` on a Dask
    cluster; the result is the same either way. ``progress`` receives short
    messages.
    """
    _check(coalition, objective, top, jobs, scheduler)
    if rationality is not None and rationality not in RATIONALITY:
        raise ValueError(f"rationality: expected one of {RATIONALITY}, got {rationality!r}")
    objective = objective or coalition.objective
    rationality = rationality or coalition.rationality
    raw = subset_values(coalition, jobs, scheduler, progress)
    warnings: list[str] = []
    values, splits = _closed_values(coalition, raw, warnings)
    alone = {m: values[frozenset([m])] for m in coalition.member_ids}
    if progress:
        progress("ranking the joint plans")
    plans = best_plans(coalition, alone, objective, top or coalition.top, rationality,
                       coalition.tolerance)
    if not plans and rationality == "enforce":
        warnings.append("no plan leaves every member at least its standalone value: "
                        "plans listed without that rule (see 'needs')")
        plans = best_plans(coalition, alone, objective, top or coalition.top, "report")
    return _assemble(coalition, objective, rationality, raw, (values, splits), alone, plans,
                     warnings)


Splits = dict[frozenset[str], tuple[tuple[str, ...], ...]]


def _closed_values(
    coalition: Coalition, raw: SubsetValues, warnings: list[str]
) -> tuple[dict[frozenset[str], float], Splits]:
    """v(S) and the split reaching it: S together, or groups negotiating apart.

    A group with no joint plan (``None``) is never chosen.
    """
    for m in coalition.member_ids:
        if raw[(m,)] is None:
            raise ValueError(f"member {m} has no strategy that satisfies its own rules "
                             f"(advisor diagnose {coalition.member_by_id[m].instance.path})")
    joint = {s: (-math.inf if v is None else v) for s, v in raw.items()}
    values, splits = superadditive_cover(coalition.member_ids, joint)
    grand = frozenset(coalition.member_ids)
    if len(splits[grand]) > 1:
        apart = " | ".join("+".join(g) for g in splits[grand])
        warnings.append(
            f"together the members reach less than negotiating as {apart}: the rules "
            "across members cost more than the joint commitments bring; v(N) counts that "
            "split, the plans listed are the whole coalition's")
    return values, splits


def _assemble(
    coalition: Coalition, objective: str, rationality: str, raw: SubsetValues,
    game: tuple[Mapping[frozenset[str], float], Splits], alone: Mapping[str, float],
    plans: list[Plan], warnings: list[str],
) -> CoalitionResult:
    values, splits = game
    ids = coalition.member_ids
    grand = values[frozenset(ids)]
    phi = shapley(ids, values)
    tol = OBJECTIVE_TOLERANCE * max(1.0, abs(grand)) + coalition.tolerance
    best = plans[0] if plans else None
    members = tuple(_member(coalition, m, alone[m], phi[m], best, tol) for m in ids)
    allocation = {m.member: m.coalition_value for m in members}
    return CoalitionResult(
        name=coalition.name,
        money=coalition.money,
        objective=objective,
        split=coalition.split,
        rationality=rationality,
        tolerance=coalition.tolerance,
        status="optimal" if plans else "infeasible",
        members=members,
        plans=tuple(plans),
        subcoalitions=tuple(
            SubCoalition(s, values[frozenset(s)], v is not None, splits[frozenset(s)])
            for s, v in raw.items()
        ),
        grand_value=grand,
        surplus=grand - sum(alone.values()),
        core=core_test(ids, values, allocation, tol) if best else None,
        least_core=least_core(ids, values),
        warnings=tuple(warnings),
    )


def _member(
    coalition: Coalition, m: str, alone: float, phi: float, plan: Plan | None, tol: float
) -> MemberResult:
    part = next((p for p in plan.members if p.member == m), None) if plan else None
    value = part.value if part else alone
    return MemberResult(
        member=m,
        tier=coalition.member_by_id[m].tier,
        standalone_value=alone,
        coalition_value=value,
        gain=value - alone,
        shapley_value=phi,
        joint_offers=part.joint_offers if part else (),
        requests=part.requests if part else (),
        offers=part.offers if part else (),
        rational=value >= alone - tol,
        needs=max(0.0, alone - value) if value < alone - tol else 0.0,
    )
