"""Why this strategy: what each decision is worth and what each rule costs.

A negotiator must defend a recommendation. For a strategy of a ranking (rank 1 by
default) this module answers, by re-solving the same persistent model:

- **Decision values.** For every request and offer d: the objective of the best
  strategy with d flipped (forced out if chosen, forced in if not) and everything
  else free, z_d. Its ``change`` is z_d − z (z the explained strategy's objective):
  for a chosen offer, what dropping it loses, and ``then`` says how the best
  package rearranges (e.g. "− TEL_perm0": the offer was what unlocked that tier).
- **Rule prices.** For each rule (reciprocity, budget, each market-share cap and
  floor, each treaty condition): the optimum with the rule removed, and for the
  numeric limits also relaxed by one unit (one money unit of budget, one
  percentage point of share, 0.1 of the reciprocity ratio) and by 10%, each minus
  the optimum z*: what the rule costs home.
- **LP marginal values.** The duals of the numeric limits in the LP relaxation
  (binaries relaxed to [0, 1]). In this model every variable is a decision binary,
  so with the binaries fixed at the strategy all duals are zero; the relaxation's
  duals are the indicative marginal values, labelled as such. The re-solves above
  are the exact prices.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from numbers import Integral
from typing import Any, TypeVar

import pandas as pd
import pyomo.environ as pyo

from advisor.analysis.scale import (
    SectorMove,
    at_scale,
    line_moves,
    listed_flips,
    rule_families,
    sector_moves,
)
from advisor.instance import Instance
from advisor.results import Result, Strategy, tolerance
from advisor.rules import Rule, RuleBook
from advisor.solving.memory import SearchMemory
from advisor.solving.search import OfferFlips, best_solution
from advisor.solving.session import lp_relaxation_duals, open_session
from advisor.solving.settings import check_time_limit


@dataclass(frozen=True)
class DecisionValue:
    """The best objective with one decision flipped, and how the package changes."""

    decision: str
    kind: str
    name: str
    chosen: bool
    objective_if_flipped: float | None
    change: float | None
    then_added: tuple[str, ...]
    then_dropped: tuple[str, ...]

    @property
    def summary(self) -> str:
        """One line: "dropping A: -1,234.5 (then +B, -C)", or "no feasible strategy"."""
        verb = "dropping" if self.chosen else "adding"
        if self.objective_if_flipped is None:
            return f"{verb} {self.decision}: no feasible strategy"
        moves = [f"+{d}" for d in self.then_added] + [f"-{d}" for d in self.then_dropped]
        tail = f" (then {', '.join(moves)})" if moves else ""
        return f"{verb} {self.decision}: {self.change:+,.1f}{tail}"


@dataclass(frozen=True)
class RulePrice:
    """What a rule costs home: the optimum gained by removing or relaxing it."""

    rule: str
    location: str
    kind: str
    removed: float | None
    relaxed_one_unit: float | None
    relaxed_10pct: float | None
    lp_marginal_value: float | None


@dataclass(frozen=True)
class Explanation:
    """Decision values and rule prices for one strategy."""

    rank: int
    strategy: Strategy
    optimum: float
    decisions: tuple[DecisionValue, ...]
    rules: tuple[RulePrice, ...]
    money: str
    # what a reader must know, e.g. that the time limit left decisions unexplained
    warnings: tuple[str, ...] = ()
    # at tariff-line scale (advisor.analysis.scale): decisions are the offers, rules
    # the condition families, and each sector group's lines move one tier together
    sector_moves: tuple[SectorMove, ...] = ()
    at_scale: bool = False

    def to_frame(self) -> pd.DataFrame:
        """Decision values, one row per decision, sorted by |change|."""
        rows = [asdict(d) for d in self.decisions]
        for row, d in zip(rows, self.decisions, strict=True):
            row["then_added"] = "; ".join(d.then_added)
            row["then_dropped"] = "; ".join(d.then_dropped)
        return pd.DataFrame(rows).set_index("decision") if rows else pd.DataFrame()

    def rules_frame(self) -> pd.DataFrame:
        """Rule prices, one row per rule."""
        rows = [asdict(r) for r in self.rules]
        return pd.DataFrame(rows).set_index("rule") if rows else pd.DataFrame()

    def to_dict(self) -> dict[str, Any]:
        """The explanation as a JSON-ready dict; each decision also carries its summary."""
        return {
            "rank": self.rank,
            "objective": self.strategy.objective,
            "optimum": self.optimum,
            "money": self.money,
            "decisions": [asdict(d) | {"summary": d.summary} for d in self.decisions],
            "rules": [asdict(r) for r in self.rules],
            "warnings": list(self.warnings),
            "at_scale": self.at_scale,
            "sector_moves": [asdict(m) | {"summary": m.summary} for m in self.sector_moves],
        }


# Below this many seconds an explanation does not start: building the model alone
# takes longer at tariff-line scale.
MIN_ANALYSIS_S = 0.1


class _OutOfTimeError(Exception):
    """The time limit stopped a re-solve: its answer would not be proven."""


class _SlowError(Exception):
    """One re-solve overran its own share of time (at scale); the others go on."""


# At tariff-line scale each re-solve gets at most this many seconds: forcing in an
# offer that costs thousands (export controls) can make one search take minutes.
PER_SOLVE_S = 15.0
_A = TypeVar("_A")
_B = TypeVar("_B")


class _Explainer:
    """One model and persistent solver, re-solved with one thing changed at a time."""

    def __init__(
        self,
        result: Result,
        deadline: float | None,
        packages: bool = False,
        per_solve: float | None = None,
    ) -> None:
        self.instance = result.instance
        self.packages = packages  # re-solve by the offer-package search (tariff-line scale)
        self.deadline = deadline
        self.per_solve = per_solve  # seconds a re-solve may take before it is skipped
        optima = dict(result.scenario_optimum) if result.scenario_optimum else None
        self.session = open_session(
            self.instance, result.objective, optima, deadline=deadline, binding=False
        )
        self.evaluator = self.session.evaluator

    def best(self) -> frozenset[str] | None:
        if self.per_solve is not None:  # a deadline of its own, within the whole one
            own = time.monotonic() + self.per_solve
            self.session.deadline = own if self.deadline is None else min(own, self.deadline)
            self.session.timed_out = False
        solution = best_solution(self.session) if self.packages else self.session.solve()
        overran = self.deadline is None or time.monotonic() < self.deadline
        if self.session.timed_out and self.per_solve is not None and overran:
            raise _SlowError
        if self.session.timed_out:
            raise _OutOfTimeError
        return None if solution is None else solution.chosen

    def flips(self, offers: list[str], strategy: Strategy) -> OfferFlips | None:
        """Every offer of ``offers`` reversed, as one offer-package search, built now.

        Built on the model as ranked, with a deadline of :data:`PER_SOLVE_S` per offer
        (within the whole one); its ``run`` reads nothing of the session, so it may
        go on in another thread while the session prices the rules (:meth:`flipped`
        reads its answer). None when the model has no enumerated package search.
        """
        own = None if self.per_solve is None else time.monotonic() + self.per_solve * len(offers)
        deadlines = [d for d in (own, self.deadline) if d is not None]
        self.session.deadline = min(deadlines) if deadlines else None
        inside = frozenset(strategy.decisions)
        return OfferFlips.build(self.session, [(o, 0 if o in inside else 1) for o in offers])

    def flipped(
        self, offers: list[str], search: OfferFlips, ran: tuple[Any, float]
    ) -> tuple[dict[str, frozenset[str] | None], list[str]]:
        """The answer of ``search`` (its run and when it ended), offer by offer.

        The best strategy with each offer reversed (None: there is none), for the
        offers settled in time; then the offers left over as too slow, or none when
        the whole time limit stopped it.
        """
        answer, ended = ran
        out_of_time = self.deadline is not None and ended >= self.deadline
        solutions, settled = search.solutions(answer)
        done = {
            o: (None if s is None else s.chosen)
            for o, s, ok in zip(offers, solutions, settled, strict=True)
            if ok
        }
        return done, [] if out_of_time else [o for o in offers if o not in done]

    def objective(self, chosen: frozenset[str] | None) -> float | None:
        return None if chosen is None else self.evaluator.objective_of(chosen)

    def flip(self, decision: str, strategy: Strategy) -> frozenset[str] | None:
        """The best strategy with ``decision`` reversed (None: there is none)."""
        with self.session.fixed(decision, 0 if decision in strategy.decisions else 1):
            return self.best()

    def decision_value(self, decision: str, strategy: Strategy) -> DecisionValue:
        chosen = frozenset(strategy.decisions)
        inside = decision in chosen
        with self.session.fixed(decision, 0 if inside else 1):
            flipped = self.best()
        value = self.objective(flipped)
        inst = self.instance
        kind = "request" if decision in inst.request_by_id else "offer"
        name = inst.decision_name(decision)
        order = inst.decision_ids()
        others = (flipped or frozenset()) ^ {decision}
        return DecisionValue(
            decision=decision,
            kind=kind,
            name=name,
            chosen=inside,
            objective_if_flipped=value,
            change=None if value is None else value - strategy.objective,
            then_added=tuple(d for d in order if d in others - chosen) if flipped else (),
            then_dropped=tuple(d for d in order if d in chosen - others) if flipped else (),
        )

    def rule_price(self, rule: Rule, optimum: float, marginal: float | None) -> RulePrice:
        with self.session.without(rule.constraints):
            loosest = self.best()
        removed = self.objective(loosest)
        one = ten = None
        if rule.limit is not None:
            one, ten = self.relaxed(rule, loosest, optimum)

        def gain(value: float | None) -> float | None:
            # removing or relaxing a rule cannot lower the optimum: a re-solve that lands
            # within the search's gap below z* (at scale) gains nothing, not -0.0005
            if value is None:
                return None
            change = value - optimum
            return 0.0 if -tolerance(optimum) <= change < 0 else change

        return RulePrice(
            rule.label, rule.location, rule.kind, gain(removed), gain(one), gain(ten), marginal
        )

    def relaxed(
        self, rule: Rule, loosest: frozenset[str] | None, optimum: float
    ) -> tuple[float | None, float | None]:
        r"""The optimum with the rule's limit relaxed by one unit and by 10%.

        Loosest first (the rule removed, then the looser relaxation): a looser
        problem's feasible set holds the tighter one's, so z* ≤ z(tighter) ≤ z(looser).
        When the looser optimum keeps the tighter limit it is the tighter optimum
        too (no re-solve); when the looser problem has no strategy neither has the
        tighter; at tariff-line scale, when z(looser) ≤ z* + tolerance, z(tighter)
        is z(looser) as well (two package searches saved).
        """
        limit = rule.limit
        assert limit is not None
        steps = {"one": limit.by_unit(), "ten": limit.by_ten_percent()}
        found: dict[str, float | None] = {}
        value = self.objective(loosest)
        for step in sorted(steps, key=lambda k: -limit.loosen * steps[k]):
            free = value is not None and value <= optimum + tolerance(optimum)
            settled = loosest is None or (self.packages and free)
            if not settled and not self._keeps(rule, loosest, steps[step]):
                with self.session.parameter(limit.param, steps[step]):
                    loosest = self.best()
                value = self.objective(loosest)
            found[step] = value
        return found["one"], found["ten"]

    def _keeps(self, rule: Rule, chosen: frozenset[str] | None, value: float) -> bool:
        """Whether ``chosen`` keeps ``rule`` with its parameter at ``value``.

        On the Pyomo model only (HiGHS's copy is not touched: at 10,000 lines passing
        a ratio or a share to HiGHS updates thousands of coefficients).
        """
        assert chosen is not None and rule.limit is not None
        param = rule.limit.param
        old = pyo.value(param)
        param.set_value(value)
        try:
            book = RuleBook(self.session.model, self.instance.decision_ids(), rule.constraints)
            return not book.violations(chosen)
        finally:
            param.set_value(old)


def lp_marginal_values(result: Result, time_limit: float | None = None) -> dict[str, float]:
    """Duals of the numeric limits in the LP relaxation, by rule location.

    The dual of a rule with several rows (a cap in every scenario) is their sum,
    taken in absolute value. Each is per unit of the row as the model writes it:
    the budget row ``Σ d_j y_j ≤ B`` gives money per money unit of budget; the
    reciprocity row ``Σ g_j y_j − ρ Σ c_r x_r ≥ 0`` money per money unit of
    counterpart balance; a share row ``E_m − s_m Σ E ≤ 0`` (or ``≥ 0``) money per
    money unit of the market's exports beyond the share limit. They are not per
    unit of the ratio or the share (the exact one-step prices are the re-solves).
    """
    optima = dict(result.scenario_optimum) if result.scenario_optimum else None
    return lp_relaxation_duals(result.instance, result.objective, optima, time_limit)


def explain(result: Result, rank: int = 1, time_limit: float | None = None) -> Explanation:
    """Explain strategy ``rank`` of ``result``: decision values and rule prices.

    One re-solve per decision and about three per rule. ``time_limit`` (seconds)
    bounds the whole explanation: what it had no time for is left out, and the
    explanation's ``warnings`` say how much.
    """
    _check_request(result, rank)
    limit = check_time_limit(time_limit)
    deadline = None if limit is None else time.monotonic() + limit
    strategy = result.strategies[rank - 1]
    if limit is not None and limit < MIN_ANALYSIS_S:  # no time even to build the model
        return Explanation(
            rank,
            strategy,
            result.strategies[0].objective,
            (),
            (),
            result.instance.money,
            _unexplained(limit, len(result.instance.decision_ids()), _rule_count(result)),
        )
    if at_scale(result.instance):
        return _explain_at_scale(result, rank, limit, deadline)
    explainer = _Explainer(result, deadline)
    optimum = result.strategies[0].objective
    every = result.instance.decision_ids()
    decisions = _within_time(lambda d: explainer.decision_value(d, strategy), every)
    # essential decisions first (no strategy without them), then by |change|, largest
    # first (for rank 1 every change is <= 0), decisions that cannot be added last
    decisions.sort(
        key=lambda d: (
            0 if d.change is None and d.chosen else 2 if d.change is None else 1,
            -abs(d.change or 0.0),
        )
    )
    rules: list[RulePrice] = []
    all_rules = explainer.session.rules
    if len(decisions) == len(every):
        left = None if deadline is None else max(deadline - time.monotonic(), 0.01)
        marginal = lp_marginal_values(result, left)

        def price(rule: Rule) -> RulePrice:
            return explainer.rule_price(rule, optimum, marginal.get(rule.location))

        rules = _within_time(price, all_rules)
    warnings = _unexplained(limit, len(every) - len(decisions), len(all_rules) - len(rules))
    return Explanation(
        rank, strategy, optimum, tuple(decisions), tuple(rules), result.instance.money, warnings
    )


def _explain_at_scale(
    result: Result, rank: int, limit: float | None, deadline: float | None
) -> Explanation:
    """:func:`explain` above 200 decisions: offers, sector moves, rule families.

    The maths is in :mod:`advisor.analysis.scale`; every re-solve is the
    offer-package search on one persistent model, the rule prices' searches sharing
    a :class:`SearchMemory` (duals and package LP optima, :mod:`advisor.solving.memory`).
    The offers the ranking's list does not answer are flipped together, in one
    search whose groups are the packages holding each offer at its flipped value
    (:meth:`EnumeratedPackageSearch.best_in_groups`), built on the model as ranked
    and run in a second thread beside the rule prices.
    """
    strategy = result.strategies[rank - 1]
    inst = result.instance
    explainer = _Explainer(result, deadline, packages=True, per_solve=PER_SOLVE_S)
    explainer.session.memory = SearchMemory()  # see advisor.solving.memory
    listed = listed_flips(result, strategy)
    offers = [o.offer for o in inst.offers]
    # the free answers first (from the list, by evaluation), then the re-solves
    decisions = [
        _offer_value(inst, o, strategy, frozenset(listed[o].decisions), listed[o].objective)
        for o in offers
        if o in listed
    ]
    moves = sector_moves(
        inst, strategy, explainer.evaluator.objective_of, explainer.session.rulebook
    )
    optimum = result.strategies[0].objective
    families = rule_families(inst, explainer.session.rules)
    others = [o for o in offers if o not in listed]
    flips = explainer.flips(others, strategy)  # built before any rule changes the model

    def price_rules() -> tuple[list[RulePrice], list[Rule]]:
        return _each_within_time(lambda rule: explainer.rule_price(rule, optimum, None), families)

    def value(offer: str) -> DecisionValue:
        flipped = explainer.flip(offer, strategy)
        return _offer_value(inst, offer, strategy, flipped, explainer.objective(flipped))

    if flips is None:  # no enumerated search: a re-solve per offer
        rules, slow_rules = price_rules()
        solved, slow_offers = _each_within_time(value, others)
    else:
        (rules, slow_rules), ran = _beside(
            price_rules, lambda: (flips.run(), time.monotonic()), flips.search.cancel
        )
        flipped, slow_offers = explainer.flipped(others, flips, ran)
        solved = [
            _offer_value(inst, o, strategy, f, explainer.objective(f)) for o, f in flipped.items()
        ]
    decisions += solved
    decisions.sort(key=lambda d: (d.change is None, -abs(d.change or 0.0)))
    warnings = [
        f"tariff-line scale ({len(inst.decision_ids()):,} decisions): lines are not valued "
        "one by one; offers are flipped, each sector's lines moved one tier together (all "
        "else kept), and each condition family priced as one rule; no LP marginal values",
        *_unexplained(
            limit,
            len(offers) - len(decisions) - len(slow_offers),
            len(families) - len(rules) - len(slow_rules),
        ),
    ]
    slow = [*slow_offers, *(r.label for r in slow_rules)]
    if slow:
        warnings.append(
            f"not solved within {PER_SOLVE_S:g} s each, so left out: " + ", ".join(slow)
        )
    return Explanation(
        rank,
        strategy,
        optimum,
        tuple(decisions),
        tuple(rules),
        inst.money,
        tuple(warnings),
        tuple(moves),
        at_scale=True,
    )


def _beside(
    first: Callable[[], _A], second: Callable[[], _B], cancel: Callable[[], None]
) -> tuple[_A, _B]:
    """``first()`` here and ``second()`` in a thread beside it (the machine's second core).

    Each works on its own HiGHS objects and memory, so the answers do not depend on
    which finishes first. On an error or interrupt here, ``cancel`` stops ``second``.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(second)
        try:
            here = first()
        except BaseException:
            cancel()
            raise
        return here, running.result()


def _offer_value(
    inst: Instance,
    offer: str,
    strategy: Strategy,
    flipped: frozenset[str] | None,
    value: float | None,
) -> DecisionValue:
    """An offer's value at scale; ``then``: the other offers moved, lines moved per group."""
    chosen = frozenset(strategy.decisions)
    inside = offer in chosen
    offers = [o.offer for o in inst.offers if o.offer != offer]
    added: list[str] = []
    dropped: list[str] = []
    if flipped is not None:
        added = [o for o in offers if o in flipped - chosen]
        dropped = [o for o in offers if o in chosen - flipped]
        added += [m for m in line_moves(inst, chosen, flipped) if ": " in m]
    return DecisionValue(
        decision=offer,
        kind="offer",
        name=inst.decision_name(offer),
        chosen=inside,
        objective_if_flipped=value,
        change=None if value is None else value - strategy.objective,
        then_added=tuple(added),
        then_dropped=tuple(dropped),
    )


def _rule_count(result: Result) -> int:
    """How many rules an explanation prices (numeric rules and conditions)."""
    inst = result.instance
    numeric = 1 + (inst.domestic_budget is not None)
    return (
        numeric + len(inst.market_share_caps) + len(inst.market_share_floors) + len(inst.conditions)
    )


def _check_request(result: Result, rank: object) -> None:
    """TypeError / ValueError unless ``result`` has a strategy ``rank``."""
    if not isinstance(result, Result):
        raise TypeError(
            f"result must be an advisor.Result (from advisor.solve), got {type(result).__name__}"
        )
    if isinstance(rank, bool) or not isinstance(rank, Integral):
        raise TypeError(f"rank must be a whole number (1 is the best strategy), got {rank!r}")
    if not result.strategies:
        raise ValueError(f"nothing to explain: the result's status is '{result.status}'")
    if not 1 <= int(rank) <= len(result.strategies):
        raise ValueError(f"rank must be between 1 and {len(result.strategies)}, got {rank}")


def _within_time(work: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
    """``work`` of each item in turn, until the time limit stops one (left out)."""
    done = []
    for item in items:
        try:
            done.append(work(item))
        except _OutOfTimeError:
            break
    return done


def _each_within_time(
    work: Callable[[Any], Any], items: Iterable[Any]
) -> tuple[list[Any], list[Any]]:
    """:func:`_within_time`, skipping an item whose own re-solve was too slow.

    Returns what was done and the items skipped as too slow (the whole time limit
    stops the loop, as in :func:`_within_time`).
    """
    done, slow = [], []
    for item in items:
        try:
            done.append(work(item))
        except _SlowError:
            slow.append(item)
        except _OutOfTimeError:
            break
    return done, slow


def _unexplained(limit: float | None, decisions: int, rules: int) -> tuple[str, ...]:
    """The warning for what the time limit left out, if anything."""
    if not decisions and not rules:
        return ()
    return (
        f"stopped by the time limit of {limit:g} s: {decisions} decision(s) and {rules} "
        "rule(s) are not explained (allow more time with time_limit / --time-limit)",
    )
