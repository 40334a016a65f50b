r"""Ranking by no-good cuts on one persistent model.

**Strict K-best.** Solve; record the strategy x*; add the no-good cut

.. math:: Σ_{i: x^*_i = 1} (1 - x_i) + Σ_{i: x^*_i = 0} x_i ≥ d

on the decision binaries only; re-solve; until K strategies or infeasible. With
d = 1 it excludes x* alone; with d > 1 (``min_difference``) it keeps every later
strategy at Hamming distance ≥ d from every listed one, so the list is not ten
copies of one package.

**What makes two strategies different** (``distinct_on``): ``all`` compares every
binary (strict K-best); ``offers`` only the offer binaries, so the list ranks
distinct offer packages, each with its best requests; ``sectors`` only the request
binaries, so it ranks distinct sector positions (which tier each sector gets),
each with its best offers. At tariff-line scale strict K-best lists near-copies
that differ by one small line; these modes list alternatives a negotiator can
tell apart.

**Ties.** Strategies whose objectives differ by less than 1e-6 (relative) are tied.
Ties are broken by a fixed rule, so the list is the same run to run: fewer
decisions first (the simpler package), then the decision ids in file order
(requests as in ``requests.csv``, then offers as in ``offers.csv``). To apply it the
ranking enumerates the whole tie group before listing any of its members. Above
200 decisions (tariff-line instances) ties are not enumerated: lines whose values
differ by less than the tolerance make tie groups of thousands. The solver's order
is still deterministic; the result says that ties were not broken.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from advisor.instance import Instance
from advisor.results import tolerance
from advisor.solving.session import Solution, SolverSession

TIE_GROUP_LIMIT = 200
TIE_BREAK_MAX_DECISIONS = 200
ProgressFn = Callable[[str], None]


def tie_key(instance: Instance, chosen: frozenset[str]) -> tuple[int, tuple[int, ...]]:
    """The tie-break: fewer decisions first, then decision ids in file order."""
    order = {d: i for i, d in enumerate(instance.decision_ids())}
    return len(chosen), tuple(sorted(order[d] for d in chosen))


def in_tie_group(anchor: float, value: float, unit: float = 1.0) -> bool:
    """Whether ``value`` ties with ``anchor`` or beats it (within the tie tolerance)."""
    return value >= anchor - tolerance(anchor, unit)


class CutRanking:
    """The ranking loop: strict K-best, or greedy diverse K-best.

    Strict: d = 1 over all decisions. Diverse: d > 1, or ``distinct_on`` offers or
    sectors.
    """

    def __init__(self, session: SolverSession, progress: ProgressFn) -> None:
        """Rank on ``session``, telling ``progress`` before each solve."""
        self.session = session
        self.instance = session.instance
        self.unit = session.model.scales.objective  # ties: results.tolerance
        self.progress = progress
        self.warnings: list[str] = []
        self.break_ties = len(self.instance.decision_ids()) <= TIE_BREAK_MAX_DECISIONS

    def _sorted(self, group: list[Solution]) -> list[Solution]:
        return sorted(group, key=lambda s: tie_key(self.instance, s.chosen))

    def strict(self, top: int) -> list[Solution]:
        """K-best with d = 1: each solve's cut is permanent; ties sorted per group.

        A tie group is complete once a solve returns a strictly worse strategy (or
        none): so K strategies take K + 1 solves when nothing ties. Without the
        tie-break (large instances) K strategies take K solves, in the solver's order.
        """
        if not self.break_ties:
            return self._unbroken(top, 1, every=True)
        listed: list[Solution] = []
        group: list[Solution] = []
        while True:
            self.progress(f"searching for strategy {len(listed) + len(group) + 1}")
            solution = self.session.solve()
            if solution is None:
                break
            self.session.exclude(solution.chosen)
            if group and not in_tie_group(group[0].objective, solution.objective, self.unit):
                listed.extend(self._sorted(group))
                group = []
                if len(listed) >= top:
                    break
            group.append(solution)
            if not solution.proven:
                break
            if len(group) > TIE_GROUP_LIMIT:
                self._warn_ties(group[0].objective)
                break
        listed.extend(self._sorted(group))
        return listed[:top]

    def _warn_ties(self, objective: float) -> None:
        self.warnings.append(
            f"more than {TIE_GROUP_LIMIT} strategies tie at objective {objective:.6g}: "
            "the order among them is the solver's"
        )

    def _unbroken(self, top: int, distance: int, every: bool = False) -> list[Solution]:
        """K-best in the solver's order, ties not enumerated (large instances)."""
        listed: list[Solution] = []
        while len(listed) < top:
            self.progress(f"searching for strategy {len(listed) + 1}")
            solution = self.session.solve()
            if solution is None:
                break
            listed.append(solution)
            self.session.exclude(solution.chosen, distance, every)
            if not solution.proven:
                break
        # a gap of 1e-6 may return near-ties out of order: list them best first
        listed.sort(key=lambda s: -s.objective)
        pairs = itertools.pairwise(listed)
        if any(in_tie_group(a.objective, b.objective, self.unit) for a, b in pairs):
            self.warnings.append(
                "some listed strategies tie within 1e-6 of each other; above "
                f"{TIE_BREAK_MAX_DECISIONS} decisions ties are listed in the solver's "
                "(deterministic) order, not by the tie-break rule"
            )
        return listed

    def diverse(self, top: int, distance: int) -> list[Solution]:
        """K-best with Hamming distance ≥ d between listed strategies."""
        if not self.break_ties:
            return self._unbroken(top, distance)
        listed: list[Solution] = []
        while len(listed) < top:
            self.progress(f"searching for strategy {len(listed) + 1}")
            best = self.session.solve()
            if best is None:
                break
            if best.proven:
                best = self.tie_group(best)[0]
            listed.append(best)
            self.session.exclude(best.chosen, distance)
            if not best.proven:
                break
        return listed

    def tie_group(self, first: Solution) -> list[Solution]:
        """Every strategy tied with ``first`` (same cuts), sorted by the tie-break."""
        group = [first]
        temporary = [self.session.objective_floor(first.objective)]
        while len(group) <= TIE_GROUP_LIMIT:
            # exclude this strategy alone, not all it is not distinct from
            # (distinct_on), so the tie-break sees every tied strategy
            temporary.append(self.session.exclude(group[-1].chosen, every=True))
            other = self.session.solve()
            if other is None or not other.proven:
                break
            group.append(other)
        else:
            self._warn_ties(first.objective)
        for con in temporary:
            self.session.remove_cut(con)
        return self._sorted(group)
