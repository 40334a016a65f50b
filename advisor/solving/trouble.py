"""The solver's numbers cannot be trusted: :class:`NumericalTroubleError`.

Raised, never reported as a result, when HiGHS stops with an error status, when a
strategy it returns breaks one of the model's rules (re-checked from the instance's
own numbers) beyond tolerance, or when it calls an instance infeasible that a
strategy visibly satisfies. The CLI turns it into its own exit code.
"""

from __future__ import annotations


class NumericalTroubleError(RuntimeError):
    """HiGHS's answer contradicts the rules; ``details`` says how, one line each."""

    def __init__(self, summary: str, details: list[str] | None = None) -> None:
        """The trouble in one line, and its details."""
        self.summary = summary
        self.details = details or []
        lines = [summary, *(f"  {d}" for d in self.details)]
        super().__init__("\n".join(lines))
