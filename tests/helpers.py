"""Assertions shared by the test modules (import them: ``from helpers import ...``;
tests/ is on sys.path, like for randinst)."""

from __future__ import annotations

from pytest import approx

from advisor.checker import Scores
from advisor.results import Strategy


def assert_reports_the_scores(s: Strategy, sc: Scores) -> None:
    """A strategy's values, costs and balances are the independent checker's ``sc``."""
    assert s.scenario_values == approx(sc.scenario_values)
    assert s.expected_value == approx(sc.expected_value)
    assert s.worst_case_value == approx(sc.worst_case_value)
    assert s.protected_value == approx(sc.protected_value)
    assert s.offer_cost == approx(sc.offer_cost)
    assert s.counterpart_value == approx(sc.counterpart_value)
    assert s.counterpart_cost == approx(sc.counterpart_cost)
