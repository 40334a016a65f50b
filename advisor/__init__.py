"""Tariff Negotiation Advisor: which tariff concessions to request, which to offer.

The public API::

    import advisor

    instance = advisor.load_instance("instances/malaysia_us_2025")
    result = advisor.solve(instance, top=5)       # the ranked strategies
    result.to_frame()                             # one row per strategy (pandas)
    print(advisor.render(result, "table"))        # the CLI's report: table/json/csv/markdown
    advisor.explain(result, rank=1).to_frame()    # what each decision is worth
    advisor.frontier(instance, vary="budget", points=20).plot("frontier.png")
    advisor.diagnose(instance)                    # why an instance is infeasible
    advisor.bargain(instance).to_frame()          # the counterpart's side: ZOPA, Nash, KS
    advisor.calibrate(peers, predict=[instance]).to_frame()   # fitted on observed.toml deals
    advisor.robustness(instance, draws=200, seed=1).to_frame()   # under uncertainty.csv
    advisor.solve_coalition(advisor.load_coalition("instances/coalition_pair")).to_frame()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.analysis.bargain import Bargain, bargain
    from advisor.analysis.calibrate import Calibration, calibrate
    from advisor.analysis.diagnose import Diagnosis, diagnose
    from advisor.analysis.explain import Explanation, explain
    from advisor.analysis.frontier import Frontier, frontier
    from advisor.analysis.robustness import Robustness, robustness
    from advisor.coalition import Coalition, CoalitionResult, load_coalition, solve_coalition
    from advisor.errors import InstanceError, Problem
    from advisor.inputs.loader import load_instance
    from advisor.instance import Instance
    from advisor.report import render
    from advisor.results import Result, Strategy
    from advisor.solving.pipeline import solve

# The public names and the module that defines each. They are imported on first use
# (PEP 562), so `import advisor` and the command line start in milliseconds and an
# interrupt during the imports (pandas, Pyomo, highspy take about a second) reaches
# code that can handle it; `from advisor import solve` works as before.
_EXPORTS = {
    "Bargain": "advisor.analysis.bargain",
    "bargain": "advisor.analysis.bargain",
    "Calibration": "advisor.analysis.calibrate",
    "calibrate": "advisor.analysis.calibrate",
    "Diagnosis": "advisor.analysis.diagnose",
    "diagnose": "advisor.analysis.diagnose",
    "Explanation": "advisor.analysis.explain",
    "explain": "advisor.analysis.explain",
    "Frontier": "advisor.analysis.frontier",
    "frontier": "advisor.analysis.frontier",
    "Robustness": "advisor.analysis.robustness",
    "robustness": "advisor.analysis.robustness",
    "Coalition": "advisor.coalition",
    "CoalitionResult": "advisor.coalition",
    "load_coalition": "advisor.coalition",
    "solve_coalition": "advisor.coalition",
    "InstanceError": "advisor.errors",
    "Problem": "advisor.errors",
    "load_instance": "advisor.inputs.loader",
    "Instance": "advisor.instance",
    "render": "advisor.report",
    "Result": "advisor.results",
    "Strategy": "advisor.results",
    "solve": "advisor.solving.pipeline",
}

__all__ = [
    "Bargain",
    "Calibration",
    "Coalition",
    "CoalitionResult",
    "Diagnosis",
    "Explanation",
    "Frontier",
    "Instance",
    "InstanceError",
    "Problem",
    "Result",
    "Robustness",
    "Strategy",
    "bargain",
    "calibrate",
    "diagnose",
    "explain",
    "frontier",
    "load_coalition",
    "load_instance",
    "render",
    "robustness",
    "solve",
    "solve_coalition",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (then kept here)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'advisor' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the public ones included before their first use."""
    return sorted({*globals(), *__all__})
