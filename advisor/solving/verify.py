"""``verify``: every listed strategy re-checked by the independent checker.

The reports' numbers and binding rules come from the model's coefficients and rules
(:mod:`advisor.evaluation`, :mod:`advisor.rules`). :mod:`advisor.checker` recomputes
them from the instance's raw numbers with an implementation of its own, sharing
nothing with the model; it is what the tests check results against. With
``advisor.solve(..., verify=True)`` (CLI ``--verify``) a result is checked the same
way before it is returned, and a disagreement is an error, never a report.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from advisor import checker
from advisor.results import Result, Strategy

# relative tolerance of a reported number against the checker's
VERIFY_TOLERANCE = 1e-6


class VerificationError(RuntimeError):
    """The independent checker disagrees with a listed strategy.

    ``problems`` says where, one line each.
    """

    def __init__(self, problems: list[str]) -> None:
        """The disagreements, one line each."""
        self.problems = problems
        super().__init__(
            "the independent checker disagrees with the result:\n  " + "\n  ".join(problems)
        )


def _close(reported: float, checked: float) -> bool:
    return math.isclose(reported, checked, rel_tol=VERIFY_TOLERANCE, abs_tol=VERIFY_TOLERANCE)


def strategy_problems(result: Result, s: Strategy) -> Iterator[str]:
    """Each disagreement between strategy ``s`` and the checker, in words."""
    instance = result.instance
    for rule in checker.rule_violations(instance, s.decisions):
        yield f"strategy {s.rank} breaks {rule}"
    scores = checker.scores(instance, s.decisions)
    pairs = {
        "expected value": (s.expected_value, scores.expected_value),
        "worst-case value": (s.worst_case_value, scores.worst_case_value),
        "protected value": (s.protected_value, scores.protected_value),
        "offer cost": (s.offer_cost, scores.offer_cost),
        "counterpart value": (s.counterpart_value, scores.counterpart_value),
        "counterpart cost": (s.counterpart_cost, scores.counterpart_cost),
    }
    pairs |= {
        f"value in scenario {w}": (s.scenario_values[w], value)
        for w, value in scores.scenario_values.items()
    }
    for name, (reported, checked) in pairs.items():
        if not _close(reported, checked):
            yield f"strategy {s.rank}: {name} {reported!r}, the checker says {checked!r}"


def verify_result(result: Result) -> None:
    """Raise :class:`VerificationError` unless the checker agrees with every strategy."""
    problems = [p for s in result.strategies for p in strategy_problems(result, s)]
    if problems:
        raise VerificationError(problems)
