"""Tariff Negotiation Advisor: which tariff concessions to request, which to offer.

The public API::

    import advisor
    instance = advisor.load_instance("instances/malaysia_us_2025")
    result = advisor.solve(instance, top=5)
    result.to_frame()
"""

from advisor.errors import InstanceError, Problem
from advisor.instance import Instance
from advisor.loader import load_instance
from advisor.solver import solve
from advisor.strategy import Result, Strategy

__all__ = ["Instance", "InstanceError", "Problem", "Result", "Strategy", "load_instance", "solve"]
