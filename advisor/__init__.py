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
"""

from advisor.analysis.diagnose import Diagnosis, diagnose
from advisor.analysis.explain import Explanation, explain
from advisor.analysis.frontier import Frontier, frontier
from advisor.errors import InstanceError, Problem
from advisor.inputs.loader import load_instance
from advisor.instance import Instance
from advisor.report import render
from advisor.results import Result, Strategy
from advisor.solving.pipeline import solve

__all__ = [
    "Diagnosis",
    "Explanation",
    "Frontier",
    "Instance",
    "InstanceError",
    "Problem",
    "Result",
    "Strategy",
    "diagnose",
    "explain",
    "frontier",
    "load_instance",
    "render",
    "solve",
]
