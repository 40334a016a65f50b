"""Coalition mode ("collective yet tiered"): several home countries, joint commitments.

``load_coalition(path)`` reads a coalition folder (``coalition.toml``, the joint
offers, who may join them, their effects and the rules across members; each
member's own instance folder); ``solve_coalition(coalition, ...)`` returns a
:class:`CoalitionResult`: each member's standalone and coalition value, the ranked
joint plans, v(S) of every sub-coalition, the Shapley values, the core test and the
least core. Stages: :mod:`spec` (frozen data), :mod:`reading` (the door),
:mod:`joint_model` (the MILP, its maths in the docstring), :mod:`plans` (solving),
:mod:`subsets` (v(S), in parallel), :mod:`games` (Shapley, core, least core),
:mod:`pipeline`, :mod:`result`, :mod:`report` (table, JSON, CSV, Markdown).
"""

from __future__ import annotations

from advisor.coalition.pipeline import solve_coalition
from advisor.coalition.reading import load_coalition
from advisor.coalition.result import CoalitionResult
from advisor.coalition.spec import Coalition

__all__ = ["Coalition", "CoalitionResult", "load_coalition", "solve_coalition"]
