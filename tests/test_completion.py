"""Merging the answers of a completion's branches (advisor.solving.completion.merge).

Hand-computed cases: each child lists its best strategies, best first, with a bound
on its best strategy other than those listed before; the parent's k-th bound is
the largest bound on what a child has not yet contributed.
"""

from __future__ import annotations

import numpy as np

from advisor.solving.completion import Completion, NodeAnswer, merge


def answer(values_and_bounds, rest):
    found = [Completion(v, np.array([v]), b, True) for v, b in values_and_bounds]
    return NodeAnswer(found, rest)


def listed(node: NodeAnswer):
    return [(c.value, c.bound) for c in node.found], node.rest


def test_a_pruned_child_bounds_every_strategy_of_the_parent() -> None:
    # child 0 solved: 10 (its bound 10.5); child 1 not explored, its LP bound 10.2
    got = merge([answer([(10.0, 10.5)], 10.0), NodeAnswer([], 10.2)], 1)
    assert listed(got) == ([(10.0, 10.5)], 10.2)
    got = merge([answer([(10.0, 10.0)], 10.0), NodeAnswer([], 10.2)], 1)
    assert listed(got) == ([(10.0, 10.2)], 10.2)


def test_the_k_best_of_two_children_with_their_bounds() -> None:
    a = answer([(9.0, 9.5), (7.0, 8.0)], 7.0)  # a's rest: its 2nd's bound, the list is full
    b = answer([(8.0, 8.0), (6.0, 6.5)], 6.0)
    got = merge([a, b], 2)
    # 1st: 9 from a, bounded by max(a's 9.5, b's 8); 2nd: 8 from b, by max(a's 8, b's 8)
    # rest: max(a without its 1st: 8.0, b without its 1st: 6.5)
    assert listed(got) == ([(9.0, 9.5), (8.0, 8.0)], 8.0)


def test_an_exhausted_child_adds_nothing_to_the_bounds() -> None:
    a = answer([(5.0, 5.0)], -np.inf)  # its only strategy
    b = answer([(4.0, 4.0), (3.0, 3.0)], 3.0)
    got = merge([a, b], 3)
    assert listed(got) == ([(5.0, 5.0), (4.0, 4.0), (3.0, 3.0)], 3.0)
    assert listed(merge([a, NodeAnswer([], -np.inf)], 2)) == ([(5.0, 5.0)], -np.inf)


def test_ties_keep_the_first_childs_strategy_first() -> None:
    a = NodeAnswer([Completion(5.0, np.array([1.0]), 5.0, True)], 5.0)
    b = NodeAnswer([Completion(5.0, np.array([2.0]), 5.0, True)], 5.0)
    got = merge([a, b], 1)
    assert got.found[0].x[0] == 1.0 and merge([b, a], 1).found[0].x[0] == 2.0
    assert listed(got) == ([(5.0, 5.0)], 5.0)
