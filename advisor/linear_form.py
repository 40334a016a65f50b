"""Linear forms of Pyomo expressions, read in bulk.

A model row is Σ_i a_i x_i + b with numbers a_i, b; a tariff-line model has tens of
thousands of rows, a few of them (reciprocity, market-share caps, the objective)
with one term per line, built over the same named expressions (each market's
exports after the deal E_mω, each scenario's value V_ω).

:class:`LinearReader` reads rows with Pyomo's ``LinearRepnVisitor`` (the one its LP
writer uses), keeping each named expression's form so that E_mω is read once for
all the cap rows that hold it: at 10,000 lines every row and the objective in
0.4 s (seed 1), where Pyomo's persistent HiGHS interface, reading them with
``generate_standard_repn`` row by row, took 6.7 s to hand the model over. Mutable
parameters are read at their current values, so a reader serves one set of values:
a new one is needed after a parameter changes.

:class:`ExpressionWalker` lists what a row holds beside its numbers: its variables
(in the order Pyomo's own interfaces first meet them, with zero coefficients too)
and its mutable parameters, again reading each named expression once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pyomo.common.numeric_types import native_types, value
from pyomo.core.expr.numeric_expr import MonomialTermExpression
from pyomo.repn.linear import LinearRepnVisitor


@dataclass(frozen=True)
class LinearForm:
    """Σ_i a_i x_i + b: ``coefficients`` by ``id`` of the variable x_i, and b."""

    coefficients: dict[int, float]
    constant: float


class LinearReader:
    """Reads expressions as linear forms at the parameters' current values."""

    def __init__(self) -> None:
        """A reader with no named expression read yet."""
        self._visitor = LinearRepnVisitor({})

    def read(self, expression: Any) -> LinearForm:
        """The linear form of ``expression``; ValueError if it is not linear."""
        if expression.__class__ in native_types:
            return LinearForm({}, float(expression))
        repn = self._visitor.walk_expression(expression)
        if repn.nonlinear is not None:
            raise ValueError(f"not a linear expression: {expression}")
        coefficients = {vid: float(a) for vid, a in repn.linear.items()}
        return LinearForm(coefficients, float(repn.constant))

    def variable(self, vid: int) -> Any:
        """The variable whose ``id`` is ``vid`` (one the reader has met)."""
        return self._visitor.var_map[vid]


def row_bounds(bounded: tuple[Any, Any, Any], form: LinearForm) -> tuple[float, float]:
    """The bounds on Σ a_i x_i of lower ≤ body ≤ upper: lower - b and upper - b.

    ``bounded`` is a constraint's ``to_bounded_expression()``, ``form`` its body's
    linear form; a missing bound is infinite.
    """
    lower, _, upper = bounded
    low = -math.inf if lower is None else float(value(lower)) - form.constant
    high = math.inf if upper is None else float(value(upper)) - form.constant
    return low, high


_NONE: frozenset[int] = frozenset()


class ExpressionWalker:
    """The variables and mutable parameters of expressions, named ones read once."""

    def __init__(self) -> None:
        """A walker with no named expression walked yet."""
        # id of a named expression -> (its variables by id, its parameters' ids)
        self._named: dict[int, tuple[dict[int, Any], frozenset[int]]] = {}

    def walk(self, expression: Any) -> tuple[dict[int, Any], frozenset[int]]:
        """``expression``'s variables by ``id`` (first met first) and parameters' ids."""
        variables: dict[int, Any] = {}
        parameters = self._collect(expression, variables)
        return variables, parameters

    def parameters(self, expressions: Iterable[Any]) -> frozenset[int]:
        """The ids of the mutable parameters any of ``expressions`` holds."""
        out = _NONE
        for expression in expressions:
            if expression.__class__ not in native_types:
                out = out | self._collect(expression, {})
        return out

    def _collect(self, node: Any, variables: dict[int, Any]) -> frozenset[int]:
        if node.__class__ in native_types:
            return _NONE
        if not node.is_expression_type():
            if node.is_variable_type():
                variables.setdefault(id(node), node)
                return _NONE
            return frozenset((id(node),)) if node.is_parameter_type() else _NONE
        if node.is_named_expression_type():
            known = self._named.get(id(node))
            if known is None:
                inner: dict[int, Any] = {}
                known = (inner, self._collect(node.expr, inner))
                self._named[id(node)] = known
            for vid, var in known[0].items():
                variables.setdefault(vid, var)
            return known[1]
        out = _NONE
        for argument in node.args:
            if argument.__class__ is MonomialTermExpression:  # a x: most terms of a big row
                a, x = argument.args
                if a.__class__ in native_types:
                    variables.setdefault(id(x), x)
                    continue
            found = self._collect(argument, variables)
            if found:
                out = out | found
        return out
