"""The value of planning with scenarios: VSS and EVPI (Birge and Louveaux, ch. 4).

For the expected-value objective with several scenarios, three numbers tell how
much the scenarios matter:

- RP, the *recourse problem* value: the expected value of the best strategy
  planned over all scenarios (rank 1 of the ranking);
- EEV, the *expected result of the mean-value solution*: plan for a single
  scenario in which every sector's threat tariff, current tariff and elasticity is
  its probability-weighted mean, then evaluate that strategy over all scenarios;
- WS, *wait and see*: the probability-weighted value of each scenario's own optimum.

Then ``VSS = RP - EEV`` (what planning with scenarios gains over planning for the
average future; ≥ 0) and ``EVPI = WS - RP`` (what knowing the future in advance
would be worth; ≥ 0). If the mean-value strategy breaks a rule in some scenario
(a market-share cap, say), EEV and VSS are undefined and the note says why.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

import highspy

from advisor.economics import compute_coefficients
from advisor.evaluation import Evaluator, scenario_values
from advisor.instance import Instance, Scenario, frozen_mapping
from advisor.results import ScenarioMeasures
from advisor.solving.cuts import TIE_BREAK_MAX_DECISIONS
from advisor.solving.mean_value import swapped_model
from advisor.solving.packages import OfferPackageSearch
from advisor.solving.search import (
    StoppedError,
    best_maximising,
    best_on,
    best_strategy,
    fix_dominated,
)
from advisor.solving.session import SolverSession


def mean_value_instance(instance: Instance) -> Instance:
    """The instance with one scenario: every sector parameter at its expectation.

    Linkages that move probability between scenarios have nothing to move there
    and are dropped; those that raise acceptance stay.
    """
    overrides: dict[str, dict[str, float]] = {}
    for key in ("threat_tariff", "current_tariff", "elasticity"):
        overrides[key] = {
            s.sector: sum(
                w.probability * getattr(w, key).get(s.sector, getattr(s, key))
                for w in instance.scenarios
            )
            for s in instance.sectors
        }
    mean = Scenario(
        name="mean_value",
        probability=1.0,
        description="every sector parameter at its probability-weighted mean",
        threat_tariff=frozen_mapping(overrides["threat_tariff"]),
        current_tariff=frozen_mapping(overrides["current_tariff"]),
        elasticity=frozen_mapping(overrides["elasticity"]),
    )
    # one scenario: no probability left to move (linkages of kind "scenario" dropped)
    linkages = tuple(link for link in instance.linkages if link.effect != "scenario")
    return dataclasses.replace(instance, scenarios=(mean,), linkages=linkages)


def scenario_measures(
    instance: Instance,
    recourse_value: float,
    optima: Mapping[str, float],
    mean_value_strategy: frozenset[str] | None,
    expected_value_of: Callable[[frozenset[str]], float],
    violations_of: Callable[[frozenset[str]], list[str]],
) -> ScenarioMeasures:
    """Assemble the measures from the solves the solver made.

    ``mean_value_strategy`` is the optimum of :func:`mean_value_instance` (None if
    it has none); ``expected_value_of`` evaluates a decision set over all scenarios and
    ``violations_of`` lists the rules of ``instance`` it breaks.
    """
    wait_and_see = sum(w.probability * optima[w.name] for w in instance.scenarios)
    evpi = wait_and_see - recourse_value
    shifted = any(link.effect == "scenario" for link in instance.linkages)
    caveat = (
        "offers move scenario probability (linkages.csv): WS weighs each scenario's "
        "optimum by its probability with no offer made"
        if shifted
        else ""
    )

    def undefined(decisions: tuple[str, ...], note: str) -> ScenarioMeasures:
        note = "; ".join(n for n in (note, caveat) if n)
        return ScenarioMeasures(recourse_value, wait_and_see, None, None, evpi, decisions, note)

    if mean_value_strategy is None:
        return undefined((), "the mean-value problem has no feasible strategy")
    decisions = tuple(d for d in instance.decision_ids() if d in mean_value_strategy)
    broken = violations_of(mean_value_strategy)
    if broken:
        return undefined(
            decisions,
            "the mean-value strategy breaks "
            + ", ".join(broken)
            + " in some scenario, so it is not a valid plan: EEV and VSS are undefined",
        )
    eev = expected_value_of(mean_value_strategy)
    return ScenarioMeasures(
        recourse_value, wait_and_see, eev, recourse_value - eev, evpi, decisions, caveat
    )


def scenario_optima(
    instance: Instance,
    mip_gap: float,
    deadline: float | None,
    threads: int | None,
    session: SolverSession | None = None,
) -> dict[str, float]:
    """V*_ω: the best value attainable in each scenario alone, under the same rules.

    Each is a solve of the model maximising V_ω; with ``session`` (an expected-value
    model of ``instance`` at tariff-line scale, whose rows are those of every
    scenario's model) the session's model with its costs swapped
    (:func:`~advisor.solving.search.best_maximising`), else a model of its own.
    Raises :class:`~advisor.solving.search.StoppedError` (``infeasible`` or
    ``time_limit``) when a scenario has no best strategy.
    """
    if session is not None:
        coefficients, model = session.coefficients, session.model
        values = [model.scenario_value[w.name] / model.scales.objective for w in instance.scenarios]
        best = best_maximising(session, values)
    else:
        coefficients = compute_coefficients(instance)
        solutions = [
            best_strategy(instance, f"scenario:{w.name}", mip_gap, deadline, threads)
            for w in instance.scenarios
        ]
        best = [None if s is None else s.chosen for s in solutions]
    if any(chosen is None for chosen in best):
        raise StoppedError("infeasible")
    return {
        w.name: scenario_values(coefficients, instance, chosen)[w.name]
        for w, chosen in zip(instance.scenarios, best, strict=True)
        if chosen is not None
    }


def value_of_scenarios(
    instance: Instance,
    evaluator: Evaluator,
    violations_of: Callable[[frozenset[str]], list[str]],
    best: frozenset[str],
    optima: dict[str, float] | None,
    mip_gap: float,
    deadline: float | None,
    threads: int | None,
    session: SolverSession | None = None,
) -> tuple[ScenarioMeasures, dict[str, float]]:
    """VSS and EVPI of an expected-value ranking whose rank 1 is ``best``.

    Each scenario's optimum (unless given; on ``session`` when given, see
    :func:`scenario_optima`) and the mean-value problem are solved; the mean-value
    strategy is checked by ``violations_of`` against the ranking's rules.
    """
    known = optima

    def optima_now() -> dict[str, float]:
        if known is not None:
            return known
        return scenario_optima(instance, mip_gap, deadline, threads, session)

    large = len(instance.decision_ids()) > TIE_BREAK_MAX_DECISIONS
    if session is not None and large:
        optima, mean = _side_by_side(instance, session, optima_now)
    else:
        optima = optima_now()
        mean = mean_value_strategy(instance, mip_gap, deadline, threads, session)
    measures = scenario_measures(
        instance, evaluator.objective_of(best), optima, mean, evaluator.objective_of, violations_of
    )
    return measures, optima


def _side_by_side(
    instance: Instance, session: SolverSession, optima_now: Callable[[], dict[str, float]]
) -> tuple[dict[str, float], frozenset[str] | None]:
    """The scenario optima (``optima_now``, here) and the mean-value strategy beside them.

    The scenario searches leave a core idle while they wait for their completions;
    the mean-value problem is built and searched on the session's rows meanwhile, in
    a second thread (:mod:`advisor.solving.mean_value`). The session's dominated
    tiers are fixed and its HiGHS model copied first, so that thread reads nothing
    the scenario searches change. The answer does not depend on which finishes
    first; on an error or interrupt the mean-value search is stopped. With linkages
    (columns beyond the decisions) one after the other, as
    :func:`mean_value_strategy`.
    """
    fix_dominated(session)
    held = session.highs_model()
    if held.lp_.num_col_ != len(session.names):
        return optima_now(), mean_value_strategy(
            instance, session.mip_gap, session.deadline, session.threads
        )
    stopper = _Stopper()
    with ThreadPoolExecutor(max_workers=1) as pool:
        job = pool.submit(
            mean_value_strategy,
            instance,
            session.mip_gap,
            session.deadline,
            session.threads,
            session,
            held,
            stopper.add,
        )
        try:
            optima = optima_now()
            return optima, job.result()
        except BaseException:
            stopper.stop()
            raise


class _Stopper:
    """Cancels the searches handed to it once stopped, and any handed to it later."""

    def __init__(self) -> None:
        """Nothing to stop yet."""
        self._lock = threading.Lock()
        self._searches: list[OfferPackageSearch] = []
        self._stopped = False

    def add(self, search: OfferPackageSearch) -> None:
        """Keep ``search``; cancel it at once when already stopped."""
        with self._lock:
            self._searches.append(search)
            if self._stopped:
                search.cancel()

    def stop(self) -> None:
        """Cancel every search kept, and the ones to come."""
        with self._lock:
            self._stopped = True
            for search in self._searches:
                search.cancel()


def mean_value_strategy(
    instance: Instance,
    mip_gap: float,
    deadline: float | None,
    threads: int | None,
    session: SolverSession | None = None,
    held: highspy.HighsModel | None = None,
    on_start: Callable[[OfferPackageSearch], None] | None = None,
) -> frozenset[str] | None:
    """The decisions of the mean-value problem's best strategy (None: it has none).

    With ``session`` (the ranking's, at tariff-line scale, where ties are not broken
    by re-solves) on the session's rows (:mod:`advisor.solving.mean_value`, from its
    HiGHS model as ``held``, when given) when the two models have the same columns;
    else a model and session of its own, ties broken by the tie-break rule.
    ``on_start`` is given the search on the session's rows before it runs.
    """
    mean = mean_value_instance(instance)
    large = len(instance.decision_ids()) > TIE_BREAK_MAX_DECISIONS
    model = swapped_model(session, mean, held) if session is not None and large else None
    if session is not None and model is not None:
        return best_on(session, model, mean, on_start)
    solution = best_strategy(mean, "expected", mip_gap, deadline, threads, tie_break=True)
    return None if solution is None else solution.chosen
