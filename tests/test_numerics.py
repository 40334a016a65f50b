"""Never a wrong answer: money in any unit, figures far apart, interrupts, threads.

Money scaled by 1e13 (rupiah or dong instead of USD million) or 1e-4 ranks the same
strategies; a figure so large that HiGHS cannot resolve the others next to it gives
a numerical-range warning and either verified strategies or NumericalTroubleError,
never a strategy that breaks a rule; an "infeasible" verdict contradicted by a
simple package is an error; Ctrl-C raises KeyboardInterrupt, never a partial or
wrong result; the thread count does not change the ranking.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time

import pytest

import advisor
from advisor import checker
from advisor.instance import Instance, frozen_mapping
from advisor.solving.session import SolverSession
from advisor.solving.trouble import NumericalTroubleError


def scaled(instance: Instance, factor: float) -> Instance:
    """The instance with every money figure times ``factor``."""
    r = dataclasses.replace
    cost = {r_.request: r_.counterpart_cost for r_ in instance.requests}
    return r(
        instance,
        markets=tuple(r(m, exports=m.exports * factor) for m in instance.markets),
        sectors=tuple(r(s, exports=s.exports * factor) for s in instance.sectors),
        requests=tuple(
            r(q, counterpart_cost=None if cost[q.request] is None else cost[q.request] * factor)
            for q in instance.requests
        ),
        offers=tuple(
            r(
                o,
                counterpart_value=o.counterpart_value * factor,
                domestic_cost=o.domestic_cost * factor,
            )
            for o in instance.offers
        ),
        offer_effects=tuple(
            r(e, export_change=e.export_change * factor) for e in instance.offer_effects
        ),
        domestic_budget=None if instance.domestic_budget is None
        else instance.domestic_budget * factor,
    )


@pytest.mark.parametrize(
    ("name", "factor", "objective"),
    [
        *(("tiny", f, o) for f in (1e13, 1e-4) for o in ("expected", "worst_case", "regret")),
        ("malaysia_us_2025", 1e12, "expected"),
        ("malaysia_us_2025", 1e12, "regret"),
        ("malaysia_us_2025", 1e-4, "worst_case"),
        ("malaysia_us_2025", 1e-9, "expected"),
        ("malaysia_us_2025", 1e-9, "regret"),
    ],
)
def test_money_in_any_unit_ranks_the_same(name: str, factor: float, objective: str) -> None:
    instance = advisor.load_instance(f"instances/{name}")
    plain = advisor.solve(instance, top=4, objective=objective)
    big = advisor.solve(scaled(instance, factor), top=4, objective=objective, verify=True)
    assert big.status == plain.status
    assert [s.decisions for s in big] == [s.decisions for s in plain]
    for a, b in zip(plain, big, strict=True):
        assert b.objective == pytest.approx(a.objective * factor, rel=1e-6, abs=1e-9 * factor)
    assert not any(w.startswith("numerical range") for w in big.warnings)


def test_a_figure_beyond_highs_range_is_named_and_never_misreported(tiny) -> None:
    """One offer worth 1e16 beside values of about 100: a located warning, and either
    strategies the independent checker accepts or NumericalTroubleError."""
    offers = (dataclasses.replace(tiny.offers[0], counterpart_value=1e16), *tiny.offers[1:])
    instance = dataclasses.replace(tiny, offers=offers)
    try:
        result = advisor.solve(instance, top=5)
    except NumericalTroubleError as trouble:
        assert "break" in str(trouble)
        return
    assert any("reciprocity" in w and w.startswith("numerical range") for w in result.warnings)
    for s in result:
        assert checker.rule_violations(instance, s.decisions) == []


def test_a_huge_offer_cost_weight_is_not_called_infeasible(tiny) -> None:
    result = advisor.solve(dataclasses.replace(tiny, offer_cost_weight=1e20), top=3, verify=True)
    assert result.status == "optimal" and len(result) == 3


def test_an_infeasible_verdict_contradicted_by_a_simple_package_is_an_error(
    tiny, monkeypatch
) -> None:
    """Without conditions, asking nothing keeps every rule of tiny: a solver that finds
    nothing has gone wrong (simulated here)."""
    open_tiny = dataclasses.replace(tiny, conditions=())
    monkeypatch.setattr(SolverSession, "solve", lambda self: None)
    with pytest.raises(NumericalTroubleError, match="asking nothing and offering nothing"):
        advisor.solve(open_tiny, top=2)


def test_a_true_infeasibility_is_still_reported(tiny) -> None:
    caps = frozen_mapping({tiny.counterpart: 0.0})
    result = advisor.solve(dataclasses.replace(tiny, market_share_caps=caps), top=2)
    assert result.status == "infeasible" and not result.strategies


def _interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3, 0.45])
def test_an_interrupt_stops_the_ranking_or_comes_after_it(malaysia, delay: float) -> None:
    """Ctrl-C at any moment: KeyboardInterrupt, or (if the ranking was done) the
    full, correct result; never a shorter or different list."""
    expected = [s.decisions for s in advisor.solve(malaysia, top=5)]
    timer = _interrupt_after(delay)
    try:
        result = advisor.solve(malaysia, top=5)
        time.sleep(delay + 0.2)  # a late signal lands here, not in the next test
    except KeyboardInterrupt:
        return
    finally:
        timer.cancel()
    assert [s.decisions for s in result] == expected


def test_the_thread_count_does_not_change_the_ranking(tmp_path) -> None:
    """The issue's case: 1,000 lines, strict K-best, where 1, 2 and 4 threads used to
    list three different strategies 1 (within 1e-7 of each other)."""
    from advisor import generate

    folder = tmp_path / "lines"
    generate.main(["--lines", "1000", "--seed", "1", "--output", str(folder)])
    instance = advisor.load_instance(folder)
    rankings = [
        [s.decisions for s in advisor.solve(instance, top=5, distinct_on="all", threads=t)]
        for t in (1, 2, 4)
    ]
    assert rankings[0] == rankings[1] == rankings[2]


def _edited(instance: Instance, edit: str) -> Instance:
    """The issue's extreme figures, one at a time, on tiny."""
    r = dataclasses.replace
    if edit == "export_change -1e16":
        first = r(instance.offer_effects[0], export_change=-1e16)
        return r(instance, offer_effects=(first, *instance.offer_effects[1:]))
    if edit == "exports 1e308":
        markets = [r(m, exports=1e308) if m.market != instance.counterpart else m
                   for m in instance.markets]
        return r(instance, markets=tuple(markets))
    return r(instance, reciprocity_ratio=1e15)


@pytest.mark.parametrize("edit", ["export_change -1e16", "exports 1e308", "reciprocity 1e15"])
def test_extreme_figures_never_give_a_rule_breaking_strategy(tiny, edit: str) -> None:
    instance = _edited(tiny, edit)
    try:
        result = advisor.solve(instance, top=5)
    except NumericalTroubleError:
        return
    assert result.status in ("optimal", "exhausted", "infeasible")
    for s in result:
        assert checker.rule_violations(instance, s.decisions) == [], (edit, s.decisions)


def test_numerical_trouble_has_its_own_exit_code(monkeypatch, capsys, tmp_path) -> None:
    from advisor import cli
    from advisor.solving import pipeline

    def trouble(session, solutions) -> None:
        raise NumericalTroubleError("HiGHS returned nonsense", ["strategy 1 breaks reciprocity"])

    monkeypatch.setattr(pipeline, "check_solutions", trouble)
    out = tmp_path / "report.json"
    assert cli.main(["rank", "instances/tiny", "--output", str(out)]) == 6
    err = capsys.readouterr().err
    assert "numerical trouble: HiGHS returned nonsense" in err
    assert "strategy 1 breaks reciprocity" in err
    assert not out.exists()


def test_input_warnings_reach_the_report(tiny) -> None:
    """The loader's located warnings (e.g. a tier label that contradicts its tariff)
    are the report's first warnings, in every format."""
    from advisor.errors import Problem

    warning = Problem("requests.csv", 3, "tier", "the label 'cap 10%' says 10%, the tariff is 25%")
    result = advisor.solve(dataclasses.replace(tiny, warnings=(warning,)), top=1)
    assert result.warnings[0] == f"input: {warning}"
    assert f"input: {warning}" in advisor.render(result, "table")
    assert advisor.solve(tiny, top=1).warnings == ()


def test_an_interrupt_inside_pyomos_output_capture_stays_an_interrupt() -> None:
    """Pyomo's tee re-raises a Ctrl-C during a model hand-off as RuntimeError
    ("KeyboardInterrupt: ..."); the session sees a KeyboardInterrupt (CI caught the
    RuntimeError at 0.3 s into a ranking), other RuntimeErrors pass unchanged."""
    from advisor.solving.runtime import interrupt_as_keyboard

    with pytest.raises(KeyboardInterrupt), interrupt_as_keyboard():
        raise RuntimeError("KeyboardInterrupt:  (8: <pyomo.common.tee.redirect_fd object>)")
    with pytest.raises(RuntimeError, match="other"), interrupt_as_keyboard():
        raise RuntimeError("other")
