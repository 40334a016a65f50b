r"""The cooperative game of the sub-coalition values: Shapley value, core, least core.

``values`` maps every non-empty sub-coalition S (a frozenset of member ids) to
v(S), the best total value its members reach together. Formulas, with N the
grand coalition, n = |N| and x the plan's allocation (x_m = V_m):

.. math::

    φ_m = Σ_{S ⊆ N \setminus m} \frac{|S|!\,(n-|S|-1)!}{n!}\,(v(S ∪ m) - v(S)),
    \qquad v(∅) = 0

    core: \; x(S) = Σ_{m ∈ S} x_m ≥ v(S) \;∀ S ⊆ N

    least core: \; ε^* = \min ε \;\; s.t. \;\; x(S) ≥ v(S) - ε \;∀ S ⊊ N,\; x(N) = v(N)

v is made superadditive first (:func:`superadditive_cover`: a group may always split
into smaller groups that negotiate apart). The core is empty exactly when ε* > 0. A
plan's allocation lies outside the core when some S has excess e(S) = v(S) − x(S)
above the tolerance; the blocking coalition named is the one of largest excess (ties:
the smaller, then the first in member order). The least core is a linear programme
of n + 1 variables and 2^n − 2 rows, solved with highspy's public API.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import highspy

from advisor.solving.runtime import match_thread_pool, quiet_stdout

Values = Mapping[frozenset[str], float]


def subsets(members: Sequence[str]) -> list[tuple[str, ...]]:
    """Every non-empty sub-coalition, by size then member order."""
    return [
        combo for size in range(1, len(members) + 1)
        for combo in itertools.combinations(members, size)
    ]


def superadditive_cover(
    members: Sequence[str], joint: Mapping[tuple[str, ...], float]
) -> tuple[dict[frozenset[str], float], dict[frozenset[str], tuple[tuple[str, ...], ...]]]:
    r"""v(S) = the best split of S into groups that negotiate apart, and that split.

    ``joint[S]`` is S's best total as one coalition under its joint rules. Members
    can always negotiate in smaller groups instead (a rule across members can make
    the whole group worth less than its parts), so

    .. math:: v(S) = \max\big(v_J(S),\; \max_{S = A ⊔ B} v(A) + v(B)\big)

    (A holding S's first member; by size, so v(A) and v(B) are known). The split is
    ``(S,)`` when S does best together.
    """
    value: dict[frozenset[str], float] = {}
    split: dict[frozenset[str], tuple[tuple[str, ...], ...]] = {}
    for combo in subsets(members):
        s = frozenset(combo)
        value[s], split[s] = joint[combo], (combo,)
        first, rest = combo[0], combo[1:]
        for size in range(len(rest)):
            for others in itertools.combinations(rest, size):
                a = frozenset((first, *others))
                total = value[a] + value[s - a]
                if total > value[s] + 1e-9 * max(1.0, abs(value[s])):
                    value[s] = total
                    split[s] = tuple(sorted(split[a] + split[s - a],
                                            key=lambda g: members.index(g[0])))
    return value, split


def shapley(members: Sequence[str], values: Values) -> dict[str, float]:
    """φ_m for every member (see the module docstring)."""
    n = len(members)
    phi = {}
    for m in members:
        others = [x for x in members if x != m]
        total = 0.0
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for combo in itertools.combinations(others, size):
                s = frozenset(combo)
                before = values[s] if s else 0.0
                total += weight * (values[s | {m}] - before)
        phi[m] = total
    return phi


@dataclass(frozen=True)
class CoreTest:
    """Whether an allocation lies in the core; if not, the coalition that blocks it."""

    in_core: bool
    blocking: tuple[str, ...]  # empty when in the core
    excess: float  # v(S) − x(S) of the blocking coalition (≤ tolerance when in the core)


def core_test(
    members: Sequence[str], values: Values, allocation: Mapping[str, float], tolerance: float
) -> CoreTest:
    """Test x(S) ≥ v(S) − tolerance for every S (the grand coalition included)."""
    worst: tuple[str, ...] = ()
    worst_excess = -math.inf
    for combo in subsets(members):
        excess = values[frozenset(combo)] - sum(allocation[m] for m in combo)
        if excess > worst_excess + tolerance:
            worst, worst_excess = combo, excess
    if worst_excess <= tolerance:
        return CoreTest(True, (), worst_excess)
    return CoreTest(False, worst, worst_excess)


@dataclass(frozen=True)
class LeastCore:
    """The least-core ε* and an allocation attaining it (money unit)."""

    epsilon: float
    allocation: dict[str, float]


def least_core(members: Sequence[str], values: Values) -> LeastCore:
    """Solve min ε s.t. x(S) ≥ v(S) − ε (S ≠ N), x(N) = v(N) (a small LP)."""
    n = len(members)
    with quiet_stdout():  # highspy prints its banner on construction
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    inf = highspy.kHighsInf
    for _ in range(n):
        h.addVar(-inf, inf)
    h.addVar(-inf, inf)  # ε, the last column
    h.changeColCost(n, 1.0)
    index = {m: i for i, m in enumerate(members)}
    for combo in subsets(members):
        cols = [index[m] for m in combo]
        v = values[frozenset(combo)]
        if len(combo) == n:
            h.addRow(v, v, len(cols), cols, [1.0] * len(cols))
        else:
            h.addRow(v, inf, len(cols) + 1, [*cols, n], [1.0] * (len(cols) + 1))
    match_thread_pool(1)  # the process-wide pool must match threads=1
    h.run()
    solution = list(h.getSolution().col_value)
    return LeastCore(solution[n], {m: solution[index[m]] for m in members})
