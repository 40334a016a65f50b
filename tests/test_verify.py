"""verify=True: every listed strategy re-checked by the independent checker."""

from __future__ import annotations

import dataclasses

import pytest

import advisor
from advisor.solving.verify import VerificationError, verify_result


@pytest.mark.parametrize("objective", ["expected", "worst_case", "regret"])
def test_verify_passes_on_the_shipped_instance(malaysia, objective: str) -> None:
    result = advisor.solve(malaysia, top=3, objective=objective, verify=True)
    assert len(result.strategies) == 3


def test_verify_catches_a_misreported_number(tiny) -> None:
    result = advisor.solve(tiny, top=2)
    first = result.strategies[0]
    wrong = dataclasses.replace(first, offer_cost=first.offer_cost + 1.0)
    tampered = dataclasses.replace(result, strategies=(wrong, *result.strategies[1:]))
    with pytest.raises(VerificationError, match="strategy 1: offer cost") as caught:
        verify_result(tampered)
    assert len(caught.value.problems) == 1


def test_verify_catches_a_broken_rule(tiny) -> None:
    """A strategy that asks for every tier breaks one-tier-per-sector (and more)."""
    result = advisor.solve(tiny, top=1)
    everything = tuple(r.request for r in tiny.requests)
    broken = dataclasses.replace(result.strategies[0], decisions=everything)
    with pytest.raises(VerificationError, match="strategy 1 breaks one tier per sector"):
        verify_result(dataclasses.replace(result, strategies=(broken,)))


def test_verify_from_the_command_line(solve_py) -> None:
    done = solve_py("instances/tiny", "--verify", "--top", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "Ranked strategies" in done.stdout
