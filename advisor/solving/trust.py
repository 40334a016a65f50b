"""Never report a strategy that breaks a rule, nor an infeasibility that is not one.

Before a result is assembled, every solution HiGHS returned is re-checked against
every rule of the model, evaluated from the instance's own numbers
(:class:`advisor.rules.RuleBook`), not from the solver's values; one that breaks a
rule beyond tolerance means the solver's numbers cannot be trusted (figures far
apart in size, see :mod:`advisor.scaling`), and the run stops with
:class:`~advisor.solving.trouble.NumericalTroubleError` naming the rule. An
"infeasible" verdict is confirmed the same way: if asking nothing and offering
nothing, or a single decision alone, keeps every rule, the verdict is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.scaling import range_warnings
from advisor.solving.session import Solution, SolverSession
from advisor.solving.trouble import NumericalTroubleError

SINGLES_LIMIT = 2000


def check_solutions(session: SolverSession, solutions: Sequence[Solution]) -> None:
    """Raise NumericalTroubleError if a solution breaks one of the model's rules."""
    broken = session.rulebook.violations_of_each([s.chosen for s in solutions])
    details = [
        f"strategy {rank} breaks {', '.join(sorted(rules))}"
        for rank, rules in enumerate(broken, start=1)
        if rules
    ]
    if details:
        raise NumericalTroubleError(
            "HiGHS returned strategies that break the rules when re-checked from the "
            "instance's numbers: its numbers cannot be trusted here",
            details + _ranges(session),
        )


def confirm_infeasible(session: SolverSession) -> None:
    """Raise NumericalTroubleError if a simple package keeps every rule.

    The candidates: the empty package, and each single decision alone (up to
    :data:`SINGLES_LIMIT` decisions: one product with a decisions × decisions array).
    """
    decisions = session.instance.decision_ids()
    candidates: list[frozenset[str]] = [frozenset()]
    if len(decisions) <= SINGLES_LIMIT:
        candidates += [frozenset({d}) for d in decisions]
    broken = session.rulebook.violations_of_each(candidates)
    keeping = [c for c, rules in zip(candidates, broken, strict=True) if not rules]
    if keeping:
        what = ", ".join(sorted(keeping[0])) or "asking nothing and offering nothing"
        raise NumericalTroubleError(
            f"HiGHS found no strategy, yet {what} keeps every rule: its numbers cannot "
            "be trusted here",
            _ranges(session),
        )


def _ranges(session: SolverSession) -> list[str]:
    """The numerical-range warnings that explain the trouble, or what to look for."""
    found = range_warnings(session.instance, session.coefficients)
    return found or ["no rule's figures span more than HiGHS resolves; please report it"]
