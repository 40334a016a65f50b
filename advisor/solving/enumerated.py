r"""The offer-package search over enumerated packages, pruned by Lagrangian bounds.

When the offers are few (2^J packages at most, J ≤ 18) and the model splits into
offer, line and coupling rows (:mod:`advisor.solving.lagrangian`), every package y
has a bound B(y) = min_{λ ∈ Λ} L(λ, y) on its best value f(y), computed for all
packages at once. The search keeps the packages in order of B:

1. Λ starts with every λ the descent on the Lagrangian dual min_λ max_y L(λ, y)
   evaluates (:mod:`advisor.solving.lagrangian_dual`: numpy passes over the
   packages, not the LP relaxation with the offers relaxed, which at 50,000 lines
   took 23-36 s), or, when the search is one of several on one changing model,
   with the multipliers and LP duals of the earlier searches
   (:mod:`advisor.solving.memory`).
2. Take the open package y with the largest B(y) (ties: the lower binary code).
   - Not yet bounded alone: descend on y's own Lagrangian dual min_λ L(λ, y) from
     the search's multipliers (about 15 evaluations over one package, 0.07 s at
     10,000 lines; with integral line options it is at most y's LP optimum, and
     equal to it for most packages). Its multipliers λ'_y join Λ; if its value is
     below B(y), y goes back among the open packages with that bound (most
     packages a ranking passes over are then never priced by an LP).
   - Not yet priced: solve the LP with the offers fixed at y, on the lines near a
     tie under the descent's multipliers, or λ'_y when those do not settle
     (:mod:`advisor.solving.restricted`, which also proves a package infeasible by
     a dual ray; else the whole LP, by HiGHS's presolve and dual simplex), unless
     an earlier search's optimum of y's LP is still one.
     Its optimum U(y) is y's own bound, and its duals λ_y join Λ:
     B(y') ← min(B(y'), L(λ_y, y')) for every package y' at once. Infeasible: y is
     dropped, and the first time, the LP relaxation is solved: infeasible too, no
     package has a strategy; else its duals join Λ.
   - Priced, and still the largest: complete it (as the branch-and-bound search
     does, :mod:`advisor.solving.completion`), in the completion thread.
3. Stop when K strategies are known and no open package, nor a completed one left
   out, has a bound above the K-th by more than the gap.

Each package is priced by one LP instead of the tree of LPs over fractional offers
that the branch and bound solves, and most packages are never priced: a λ from a
good package bounds the others below the K-th. Exact to the gap like the branch and
bound: a package is left out only when a valid bound says it cannot beat the K-th.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import highspy
import numpy as np

from advisor.solving.completion import Relaxation
from advisor.solving.lagrangian import PackageBounds
from advisor.solving.lagrangian_dual import descend
from advisor.solving.memory import ModelView, SearchMemory
from advisor.solving.packages import OFFER_TOLERANCE, Completions, OfferPackageSearch, Package
from advisor.solving.restricted import INFEASIBLE, RestrictedLp

OPEN, PRICED, DONE = 0, 1, 2
BOUND_MARGIN = 1e-9  # relative slack on a Lagrangian bound: its sums are rounded


class EnumeratedPackageSearch(OfferPackageSearch):
    """:class:`OfferPackageSearch` with enumerated packages and Lagrangian bounds.

    ``bounds`` are the packages of the same HiGHS model, their offers in the order of
    ``offer_names``; the other arguments are :class:`OfferPackageSearch`'s.
    """

    def __init__(
        self,
        bounds: PackageBounds,
        model: highspy.HighsModel,
        *args: Any,
        memory: SearchMemory | None = None,
        **kwargs: Any,
    ) -> None:
        """Search the packages of ``bounds`` (of ``model``); ``memory``: see :meth:`_start`."""
        super().__init__(model, *args, **kwargs)
        self.bounds = bounds
        self.root_tried = False  # whether this search has solved its root LP
        self.hint: np.ndarray | None = None  # the Lagrangian dual's multipliers, once found
        self.own_multipliers: dict[int, np.ndarray] = {}  # each package's own, once found
        self.restricted: RestrictedLp | None = None  # made at the first package priced
        self.memory: ModelView | None = (
            None if memory is None else memory.seen(model.lp_, bounds.matrix)
        )

    def _start(self) -> np.ndarray:
        """The packages' first bounds.

        With a :class:`SearchMemory` of earlier searches of this model (perhaps with
        rows freed or limits moved since: an explanation's rule prices, each a
        relaxation of a feasible model), the minimum over the memory's duals of
        L(λ, ·); see :mod:`advisor.solving.memory`. Otherwise the Lagrangian dual's
        (:mod:`advisor.solving.lagrangian_dual`), kept in the memory for the next
        search. The root LP is solved only if a package's LP is infeasible
        (:meth:`_root_after_infeasible`).
        """
        self.root_tried = False
        duals = [] if self.memory is None else self.memory.duals
        if duals:
            best = np.full(self.bounds.size, np.inf)
            for row_dual in duals:
                best = self._tightened_by(best, row_dual)
            return best
        dual = descend(self.bounds)
        self.hint = dual.multipliers
        if self.memory is not None:
            self.memory.keep_multipliers(self.bounds.coupling, dual.multipliers)
        return dual.bound + BOUND_MARGIN * np.maximum(1.0, np.abs(dual.bound))

    def rank(self, top: int) -> list[Package]:
        """The ``top`` best offer packages (strategies with ``per_package`` > 1), best first."""
        found: list[Package] = []
        pending: list[Future[list[Package]]] = []
        best = self._start()
        state = np.full(self.bounds.size, OPEN, dtype=np.int8)
        priced: dict[int, Relaxation] = {}
        with Completions(self) as completions:
            while not self.timed_out:
                i, open_bound = self._next(best, state)
                if open_bound == -np.inf:
                    break
                if len(found) + self.per_package * len(pending) >= top:
                    found.extend(p for f in pending for p in f.result())
                    pending = []
                    if self._enough(found, top, open_bound):
                        break
                if state[i] == OPEN:
                    best = self._price(i, best, state, priced)
                    continue
                pending.append(completions.submit(self._package_dict(i), priced.pop(i)))
                state[i] = DONE
            found.extend(p for f in pending for p in f.result())
        self.open_bound = self._next(best, state)[1]
        return self._listed(found)[:top]

    def _price(
        self, i: int, best: np.ndarray, state: np.ndarray, priced: dict[int, Relaxation]
    ) -> np.ndarray:
        """Solve package i's LP (step 2): its bound, its duals for every package's bound."""
        lp = self._priced_before(i)
        if lp is None:
            tighter = self._own_bound(i)
            if tighter < best[i]:  # back among the open packages with its own bound
                best = self._tightened_at(best, self.own_multipliers[i])
                best[i] = min(best[i], tighter)
                return best
            lp, whole = self._solve_package(i)
            if lp is not None and self.memory is not None:
                # a restricted optimum holds the forbidden tiers at 0 by their bounds: a
                # model with a rule dropped may allow them, so only its duals are kept
                self.memory.keep(self.bounds.packages[i] if whole else None, lp)
        best = self._tightened(best, lp)
        best[i] = -np.inf if lp is None else min(best[i], lp.bound)
        state[i] = DONE if lp is None else PRICED
        if lp is not None:
            priced[i] = lp
        elif not self.timed_out and not self.root_tried:
            best = self._root_after_infeasible(best, state, priced)
        return best

    def _root_after_infeasible(
        self, best: np.ndarray, state: np.ndarray, priced: dict[int, Relaxation]
    ) -> np.ndarray:
        """After a package's LP proved infeasible: the root LP, once a search.

        Infeasible too: no package has a strategy (the Lagrangian bounds cannot say
        so), and every package is closed. Feasible: its duals tighten every bound, and
        when its offers are whole it prices that package.
        """
        self.root_tried = True
        root = self._solve_fixed({})
        if root is None:
            if not self.timed_out:
                state[:] = DONE
                best[:] = -np.inf
            return best
        if self.memory is not None:
            self.memory.keep(None, root)
        best = self._tightened(best, root)
        self._price_root(root, best, state, priced)
        return best

    def best_in_groups(self, groups: list[np.ndarray]) -> tuple[list[Package | None], list[bool]]:
        r"""The best strategy among the packages of each group, all in one search.

        ``groups`` are boolean masks over the enumerated packages (``bounds.packages``);
        an explanation asks, for each offer j it flips, the best strategy with
        y_j = v: the group of packages with that offer at v. One search serves every
        group: the packages are priced and completed best bound first among the
        groups still open, each LP's duals tighten every package's bound, and a
        group is settled when its best completed package, of value L_g, has

        .. math:: \max(\max_{y ∈ g \text{ open}} B(y), \max_{y ∈ g \text{ done}, y ≠ y_g} U(y))
                  ≤ L_g + \text{gap} · \max(1, |L_g|),

        or when none of its packages is feasible (None). Exact to the gap, as
        :meth:`rank`. Returns each group's best and whether it was settled (a time
        out leaves the rest unsettled, with what they had).
        """
        found: dict[int, Package] = {}
        best = self._start()
        state = np.full(self.bounds.size, OPEN, dtype=np.int8)
        priced: dict[int, Relaxation] = {}
        settled = [False] * len(groups)
        with Completions(self) as completions:
            while not self.timed_out:
                settled = [self._settled(g, best, state, found) for g in groups]
                wanted = np.zeros(self.bounds.size, dtype=bool)
                for group, done in zip(groups, settled, strict=True):
                    if not done:
                        wanted |= group
                candidates = np.where(wanted & (state != DONE), best, -np.inf)
                if not len(candidates) or np.max(candidates) == -np.inf:
                    break
                i = int(np.argmax(candidates))
                if state[i] == OPEN:
                    best = self._price(i, best, state, priced)
                    continue
                completed = completions.submit(self._package_dict(i), priced.pop(i)).result()
                state[i] = DONE
                if completed:
                    found[i] = completed[0]
        answers = [self._best_of(g, found) for g in groups]
        return answers, settled

    def _best_of(self, group: np.ndarray, found: dict[int, Package]) -> Package | None:
        """The group's best completed package (ties by the tie key); None if none."""
        members = [p for i, p in found.items() if group[i]]
        return self._listed(members)[0] if members else None

    def _settled(
        self, group: np.ndarray, best: np.ndarray, state: np.ndarray, found: dict[int, Package]
    ) -> bool:
        """Whether no package of ``group`` can beat its best completed one (or none is left)."""
        open_bounds = best[group & (state != DONE)]
        open_bound = float(np.max(open_bounds)) if len(open_bounds) else -np.inf
        first = self._best_of(group, found)
        if first is None:
            return open_bound == -np.inf
        rest = [p.bound for i, p in found.items() if group[i] and p is not first]
        outside = max([open_bound, *rest])
        return outside <= first.value + max(self.mip_gap, 1e-9) * max(1.0, abs(first.value))

    def offer_groups(self, offers: list[tuple[int, float]]) -> list[np.ndarray]:
        """Each (offer position in ``names``, value) as a mask: the packages that hold it."""
        position = {int(k): n for n, k in enumerate(self.columns.offers)}
        return [self.bounds.packages[:, position[k]] == v for k, v in offers]

    def _price_root(
        self,
        root: Relaxation,
        best: np.ndarray,
        state: np.ndarray,
        priced: dict[int, Relaxation],
    ) -> None:
        """When the LP relaxation's offers are all 0 or 1, it prices that package too.

        Its optimum is then also the optimum with the offers fixed.
        """
        offers = root.x[self.columns.index[self.columns.offers]]
        if np.any(np.minimum(offers, 1.0 - offers) > OFFER_TOLERANCE):
            return
        i = self.bounds.index_of(offers)
        if i is not None and state[i] == OPEN:
            best[i] = min(best[i], root.bound)
            state[i], priced[i] = PRICED, root

    def _next(self, best: np.ndarray, state: np.ndarray) -> tuple[int, float]:
        """The open package with the largest bound (the first of ties), and that bound."""
        candidates = np.where(state != DONE, best, -np.inf)
        i = int(np.argmax(candidates)) if len(candidates) else 0
        return i, float(candidates[i]) if len(candidates) else -np.inf

    def _priced_before(self, i: int) -> Relaxation | None:
        """Package i's LP optimum from an earlier search, when it is still one."""
        return None if self.memory is None else self.memory.optimum(self.bounds.packages[i])

    def _tightened(self, best: np.ndarray, lp: Relaxation | None) -> np.ndarray:
        """B ← min(B, L(λ, ·)) with λ the LP's duals on the coupling rows."""
        if lp is None:
            return best
        return self._tightened_by(best, lp.row_dual)

    def _tightened_by(self, best: np.ndarray, row_dual: np.ndarray) -> np.ndarray:
        """B ← min(B, L(λ, ·)) with λ read from ``row_dual`` on the coupling rows."""
        return self._tightened_at(best, self.bounds.multipliers(row_dual))

    def _tightened_at(self, best: np.ndarray, lam: np.ndarray) -> np.ndarray:
        """B ← min(B, L(λ, ·)) for multipliers ``lam`` on the coupling rows."""
        bound = self.bounds.evaluate(lam)
        bound += BOUND_MARGIN * np.maximum(1.0, np.abs(bound))
        return np.minimum(best, bound)

    def _own_bound(self, i: int) -> float:
        """Package i's own Lagrangian bound, min_λ L(λ, y_i), once a search (then +∞).

        Descended from the search's multipliers (:func:`descend` on the package alone,
        about 15 evaluations); its multipliers are the package LP's hint. +∞ when
        the search has no multipliers of its own (started from a memory).
        """
        if self.hint is None or i in self.own_multipliers:
            return np.inf
        own = descend(self.bounds.only(i), start=self.hint)
        self.own_multipliers[i] = own.multipliers
        return own.value + BOUND_MARGIN * max(1.0, abs(own.value))

    def _package_dict(self, i: int) -> dict[int, float]:
        """Package i as {offer position in ``names``: 0.0 or 1.0}."""
        row = self.bounds.packages[i]
        return {int(k): float(row[n]) for n, k in enumerate(self.columns.offers)}

    def _solve_package(self, i: int) -> tuple[Relaxation | None, bool]:
        """Package i's LP optimum, and whether it is the whole LP's (None: infeasible).

        On the lines near a tie (:mod:`advisor.solving.restricted`, from the Lagrangian
        dual's multipliers, then the package's own) when that settles or proves the
        package infeasible, else the whole LP (a search started from a memory has no
        multipliers of its own, and solves the whole LP).
        """
        if self.hint is not None and not self.timed_out:
            if self.restricted is None:
                self.restricted = RestrictedLp.of(self.bounds, self.lp, self.lower, self.upper)
            lp = self.restricted.solve(i, self.hint, self._run)
            self.lp_solves += self.restricted.rounds_last
            if lp is None and i in self.own_multipliers and not self.timed_out:
                lp = self.restricted.solve(i, self.own_multipliers[i], self._run)
                self.lp_solves += self.restricted.rounds_last
            if lp == INFEASIBLE:  # proven by a dual ray, without the whole LP
                return None, True
            if isinstance(lp, Relaxation):
                return lp, False
        return self._solve_fixed(self._package_dict(i)), True

    def _solve_fixed(self, fixed: dict[int, float]) -> Relaxation | None:
        """The LP relaxation with these offers fixed, solved afresh with HiGHS's presolve.

        Not warm from the last package's basis: at 10,000 lines (seed 1) a warm start
        from another package's optimum took 0.4-5.3 s (the slow ones 0.8 ms per
        simplex iteration), a fresh solve 0.6-1.0 s every time; 11 LPs 10.7 s
        against 17.9 s.
        """
        self.lp.clearSolver()
        return self._solve_node(self._node(fixed, np.inf))
