"""The library checks its arguments at the door: a TypeError or ValueError that names
the argument and what it accepts, before anything is built or solved."""

from __future__ import annotations

import math

import pytest

import advisor


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda i: advisor.solve(None), TypeError, "instance must be an advisor.Instance"),
        (lambda i: advisor.solve("instances/tiny"), TypeError, "load it with advisor.load_"),
        (lambda i: advisor.solve(i, top=2.5), TypeError, "top must be a whole number"),
        (lambda i: advisor.solve(i, top="a"), TypeError, "top must be a whole number"),
        (lambda i: advisor.solve(i, top=True), TypeError, "top must be a whole number"),
        (lambda i: advisor.solve(i, top=0), ValueError, "top must be at least 1, got 0"),
        (lambda i: advisor.solve(i, min_difference=0), ValueError, "min_difference must be at"),
        (lambda i: advisor.solve(i, time_limit="5"), TypeError, "time_limit must be a number"),
        (lambda i: advisor.solve(i, time_limit=-1), ValueError, "time_limit must be positive"),
        (lambda i: advisor.solve(i, time_limit=math.nan), ValueError, "time_limit must be a"),
        (lambda i: advisor.solve(i, mip_gap=2), ValueError, "mip_gap must be between 0 and 1"),
        (lambda i: advisor.solve(i, threads=-3), ValueError, "threads must be at least 1"),
        (lambda i: advisor.solve(i, objective="best"), ValueError, "objective must be one of"),
        (lambda i: advisor.solve(i, distinct_on=3), TypeError, "distinct_on must be one of"),
        (lambda i: advisor.solve(i, search="fast"), ValueError, "search must be one of"),
        (lambda i: advisor.solve(i, verify="yes"), TypeError, "verify must be True or False"),
        (lambda i: advisor.solve(i, with_measures=1), TypeError, "with_measures must be True"),
        (lambda i: advisor.solve(i, progress=5), TypeError, "progress must be a function"),
        (lambda i: advisor.diagnose(None), TypeError, "instance must be an advisor.Instance"),
        (lambda i: advisor.frontier("x"), TypeError, "load it with advisor.load_instance"),
        (
            lambda i: advisor.frontier(i, vary="budget", market="USA"),
            ValueError,
            "market applies to vary='cap'",
        ),
    ],
)
def test_arguments_are_checked_at_the_door(tiny, call, error, message: str) -> None:
    with pytest.raises(error, match=message):
        call(tiny)


def test_explain_checks_its_arguments(tiny) -> None:
    result = advisor.solve(tiny, top=2)
    with pytest.raises(TypeError, match=r"result must be an advisor\.Result"):
        advisor.explain(tiny)
    with pytest.raises(TypeError, match="rank must be a whole number"):
        advisor.explain(result, rank="1")
    with pytest.raises(ValueError, match="rank must be between 1 and 2, got 3"):
        advisor.explain(result, rank=3)


def test_a_time_limit_beyond_any_run_is_no_limit(tiny) -> None:
    """inf and 1e308 s would overflow timers: they mean no limit, and the ranking is
    the same as without one."""
    plain = advisor.solve(tiny, top=3)
    for limit in (math.inf, 1e308):
        result = advisor.solve(tiny, top=3, time_limit=limit)
        assert result.status == plain.status
        assert [s.decisions for s in result] == [s.decisions for s in plain]
