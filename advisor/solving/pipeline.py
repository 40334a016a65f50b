"""``solve``: the ranked strategies of an instance, as five named steps.

1. resolve the settings (:mod:`advisor.solving.settings`);
2. open a solver session on the model (:func:`~advisor.solving.session.open_session`),
   after each scenario's own optimum when the objective is the regret;
3. search (:func:`~advisor.solving.search.run_search`: no-good cuts or the
   offer-package search);
4. the scenario measures, VSS and EVPI (:mod:`advisor.solving.measures`);
5. assemble the :class:`~advisor.results.Result`: each solution scored from the
   instance's numbers (:class:`~advisor.evaluation.Evaluator`), the status and what
   a reader must know; with ``verify``, every strategy re-checked by the
   independent checker (:mod:`advisor.solving.verify`).

``time_limit`` bounds the whole ranking, each solve getting what remains; a solve
stopped by it returns its incumbent, listed with its gap and the status
``time_limit``, never a silent partial.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from advisor.economics import Coefficients, compute_coefficients
from advisor.evaluation import BINDING_ANALYSIS_LIMIT, Evaluator
from advisor.instance import Instance
from advisor.results import Result, ScenarioMeasures, SolverInfo, Strategy
from advisor.scaling import range_warnings
from advisor.solving.binding import binding_locations, keep_binding
from advisor.solving.cuts import TIE_BREAK_MAX_DECISIONS, ProgressFn
from advisor.solving.measures import scenario_optima, value_of_scenarios
from advisor.solving.search import (
    SEARCHES,
    SearchOutcome,
    StoppedError,
    check_deadline,
    run_search,
)
from advisor.solving.session import SolverSession, highs_version, open_session
from advisor.solving.settings import Settings, check_instance, resolve_settings
from advisor.solving.trust import check_solutions, confirm_infeasible

# VSS and EVPI unasked with the package search up to this many decisions (10,000
# tariff lines are 22,459): above, they cost more than half the ranking's time
MEASURES_MAX_DECISIONS = 25_000


@dataclass
class _Run:
    """What one ranking has found so far (filled in step by step)."""

    settings: Settings
    started: float
    optima: dict[str, float] | None = None
    outcome: SearchOutcome = field(default_factory=lambda: SearchOutcome([], 0))
    measures: ScenarioMeasures | None = None
    session: SolverSession | None = None
    status: str = "optimal"
    warnings: list[str] = field(default_factory=list)

    @property
    def deadline(self) -> float | None:
        limit = self.settings.time_limit
        return None if limit is None else self.started + limit


def solve(
    instance: Instance,
    top: int | None = None,
    min_difference: int | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    objective: str | None = None,
    threads: int | None = None,
    progress: ProgressFn | None = None,
    with_measures: bool | None = None,
    distinct_on: str | None = None,
    search: str = "auto",
    verify: bool = False,
) -> Result:
    """Rank the best strategies of ``instance``.

    Arguments left as None take the instance's defaults (``[ranking]`` and
    ``[model]`` in ``instance.toml``). Every HiGHS solve runs on one thread, so the
    ranking is the same on every machine (``threads`` is checked and kept for
    compatibility; see :func:`~advisor.solving.settings.default_threads`). ``progress`` receives
    short messages while the search runs. With several scenarios and the expected
    objective, the result also carries VSS and EVPI: one more solve per scenario and
    the mean-value solve, made by default up to 200 decisions and, with the package
    search, up to 25,000 (``with_measures`` True: always, False: never; when skipped by
    default the result says so).
    ``search`` is ``auto``, ``cuts`` (no-good cuts on one persistent model) or
    ``packages`` (the offer-package branch and bound of :mod:`advisor.solving.packages`,
    for ``distinct_on`` offers or all, or ``top=1``); ``auto`` takes the package
    search for those questions above 200 decisions. ``verify`` re-checks every
    listed strategy with the independent checker (:mod:`advisor.checker`) and raises
    :class:`~advisor.solving.verify.VerificationError` on a disagreement. Returns a
    :class:`~advisor.results.Result`; an infeasible instance gives
    ``status == "infeasible"`` and no strategies.
    """
    settings = resolve_settings(
        check_instance(instance),
        top=top,
        min_difference=min_difference,
        time_limit=time_limit,
        mip_gap=mip_gap,
        objective=objective,
        threads=threads,
        with_measures=with_measures,
        distinct_on=distinct_on,
        search=search,
        verify=verify,
    )
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a function of one message, got {progress!r}")
    report = progress or (lambda message: None)
    run = _Run(settings, time.monotonic())
    try:
        run.session = _open(instance, run, report)
        run.outcome = run_search(
            run.session, settings.search, settings.top, settings.min_difference, report
        )
        _trust(run)
        run.measures = _measures(instance, run, report)
        run.status = _status(run)
    except StoppedError as stop:
        run.status = stop.status
    result = _assemble(instance, run)
    if settings.verify:
        from advisor.solving.verify import verify_result  # the checker, only when asked

        verify_result(result)
    return result


def _open(instance: Instance, run: _Run, report: ProgressFn) -> SolverSession:
    """Each scenario's optimum (for the regret), then the ranking's session."""
    s = run.settings
    if s.objective == "regret":
        report("computing each scenario's own optimum")
        run.optima = scenario_optima(instance, s.mip_gap, run.deadline, s.threads)
        check_deadline(run.deadline)
    return open_session(
        instance,
        s.objective,
        run.optima,
        mip_gap=s.mip_gap,
        deadline=run.deadline,
        threads=s.threads,
        distinct_on=s.distinct_on,
    )


def _measures(instance: Instance, run: _Run, report: ProgressFn) -> ScenarioMeasures | None:
    """VSS and EVPI of an expected-value ranking with several scenarios, when asked.

    By default (:func:`_measured_by_default`) up to 200 decisions, and with the
    package search up to :data:`MEASURES_MAX_DECISIONS`.
    """
    s, session, solutions = run.settings, run.session, run.outcome.solutions
    if s.objective != "expected" or len(instance.scenarios) < 2 or not solutions:
        return None
    wanted = s.with_measures
    if wanted is None:
        wanted = _measured_by_default(len(instance.decision_ids()), s.search, run.warnings)
    if not wanted or session is None:
        return None
    report("computing the value of the stochastic solution")
    measures, run.optima = value_of_scenarios(
        instance,
        session.evaluator,
        session.rulebook.violations,
        solutions[0].chosen,
        run.optima,
        s.mip_gap,
        run.deadline,
        s.threads,
        session if s.search == "packages" else None,  # each scenario on the ranking's rows
    )
    return measures


def _measured_by_default(decisions: int, search: str, warnings: list[str]) -> bool:
    """Whether VSS and EVPI are computed unasked; if not, a warning says why.

    Up to 200 decisions always; with the package search up to
    :data:`MEASURES_MAX_DECISIONS` (10,000 tariff lines: 39-41% of the ranking's
    time; at 50,000 lines 133%, and 3.4 GiB: ``python bench/packages.py --cases
    measures,big-measures``).
    """
    if decisions <= TIE_BREAK_MAX_DECISIONS:
        return True
    if search == "packages" and decisions <= MEASURES_MAX_DECISIONS:
        return True
    why = (
        "with the cut search (one more MILP per scenario and the mean-value MILP)"
        if search != "packages"
        else f"above {MEASURES_MAX_DECISIONS:,} decisions (at 50,000 tariff lines they "
        "take longer than the ranking itself)"
    )
    warnings.append(
        f"VSS and EVPI are not computed by default {why}; "
        "ask with with_measures=True (CLI --measures)"
    )
    return False


def _trust(run: _Run) -> None:
    """Re-check every solution against the rules; confirm an infeasible verdict."""
    session, solutions = run.session, run.outcome.solutions
    if session is None:
        return
    check_solutions(session, solutions)
    if not solutions and not session.timed_out:
        confirm_infeasible(session)


def _status(run: _Run) -> str:
    """How the ranking ended (see :class:`~advisor.results.Result`)."""
    if run.session is not None and run.session.timed_out:
        return "time_limit"
    if not run.outcome.solutions:
        return "infeasible"
    if len(run.outcome.solutions) < run.settings.top:
        return "exhausted"
    return "gap" if run.settings.mip_gap > 0 else "optimal"


def _coefficients(instance: Instance, run: _Run) -> Coefficients:
    """The session's coefficients, or the instance's when no session opened."""
    return run.session.coefficients if run.session is not None else (
        compute_coefficients(instance)
    )


def _warnings(instance: Instance, run: _Run) -> tuple[str, ...]:
    """What a reader of the result must know, in a fixed order."""
    coefficients = _coefficients(instance, run)
    warnings = [f"input: {w}" for w in instance.warnings]  # located, from the loader
    warnings += [*range_warnings(instance, coefficients), *run.outcome.warnings, *run.warnings]
    if run.status == "time_limit":
        limit = run.settings.time_limit
        why = (
            f"by the time limit of {limit:g} s"
            if limit is not None
            else "early (HiGHS did not finish a solve)"
        )
        n = len(run.outcome.solutions)
        warnings.append(
            f"stopped {why} after {n} strateg{'y' if n == 1 else 'ies'}; "
            "the last may not be proven optimal"
        )
    if len(instance.decision_ids()) > BINDING_ANALYSIS_LIMIT:
        warnings.append(
            f"binding rules are not analysed above {BINDING_ANALYSIS_LIMIT} decisions "
            "(use advisor.explain for rule prices)"
        )
    return tuple(warnings)


def _binding(
    instance: Instance, run: _Run, strategies: tuple[Strategy, ...], best: float
) -> tuple[Strategy, ...]:
    """Each strategy's binding rules, kept only where they bind the best objective.

    See :mod:`advisor.solving.binding`; skipped (lists kept) once time is up.
    """
    labels = sorted({label for s in strategies for label in s.binding_constraints})
    if not labels or run.session is None or run.status == "time_limit":
        return strategies
    s = run.settings
    try:
        binding = binding_locations(
            instance, s.objective, run.optima, best, labels, run.deadline, s.threads
        )
    except StoppedError:
        return strategies
    rules = run.session.rules
    return tuple(keep_binding(strategy, rules, binding) for strategy in strategies)


def _assemble(instance: Instance, run: _Run) -> Result:
    """The Result: every solution scored from the instance's numbers."""
    s, session, solutions = run.settings, run.session, run.outcome.solutions
    evaluator = (
        session.evaluator
        if session is not None
        else Evaluator(instance, _coefficients(instance, run), s.objective, run.optima)
    )
    best = solutions[0].objective if solutions else 0.0
    strategies = tuple(
        evaluator.strategy(rank, x.chosen, best, x.proven, x.gap)
        for rank, x in enumerate(solutions, start=1)
    )
    if session is not None:
        strategies = _binding(instance, run, strategies, best)
    empty: tuple[str, ...] = ()
    if run.status == "infeasible" and session is not None:
        empty = tuple(session.rulebook.violations(frozenset()))
    solves = (len(run.optima) if s.objective == "regret" and run.optima else 0) + (
        run.outcome.solves
    )
    return Result(
        instance=instance,
        objective=s.objective,
        status=run.status,
        strategies=strategies,
        solver=SolverInfo(
            "highs",
            session.version() if session is not None else highs_version(),
            time.monotonic() - run.started,
            max((x.gap for x in solutions), default=0.0),
            solves,
            s.search,
        ),
        top=s.top,
        min_difference=s.min_difference,
        mip_gap=s.mip_gap,
        distinct_on=s.distinct_on,
        scenario_optimum=run.optima if s.objective == "regret" else None,
        scenario_measures=run.measures,
        warnings=_warnings(instance, run),
        empty_package_violations=empty,
    )


__all__ = ["SEARCHES", "Result", "solve"]
