"""Assertions shared by the test modules (import them: ``from helpers import ...``;
tests/ is on sys.path, like for randinst)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pytest import approx

import advisor
from advisor import InstanceError, Problem
from advisor.checker import Scores
from advisor.results import Strategy


def assert_reports_the_scores(s: Strategy, sc: Scores) -> None:
    """A strategy's values, costs and balances are the independent checker's ``sc``."""
    assert s.scenario_values == approx(sc.scenario_values)
    assert s.expected_value == approx(sc.expected_value)
    assert s.worst_case_value == approx(sc.worst_case_value)
    assert s.protected_value == approx(sc.protected_value)
    assert s.offer_cost == approx(sc.offer_cost)
    assert s.counterpart_value == approx(sc.counterpart_value)
    assert s.counterpart_cost == approx(sc.counterpart_cost)


def edit(folder: Path, name: str, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) by ``new`` in ``folder/name``."""
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(folder: Path, name: str, text: str) -> None:
    """Add ``text`` at the end of ``folder/name``."""
    path = folder / name
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def problems_of(folder: Path) -> tuple[Problem, ...]:
    """The located problems ``load_instance`` raises for ``folder`` (at least one)."""
    with pytest.raises(InstanceError) as info:
        advisor.load_instance(folder)
    problems = info.value.problems
    assert problems, "InstanceError without problems"
    for p in problems:
        assert isinstance(p, Problem)
        assert p.file and p.message
    return problems


def package_bests(enum, kind: str) -> dict[frozenset[str], float]:
    """Each feasible offer package's best objective, by enumeration (randinst's ``enum``)."""
    z = enum.objectives(kind)
    n_requests = len(enum.inst.requests)
    offer_ids = enum.ids[n_requests:]
    best: dict[frozenset[str], float] = {}
    for i in np.flatnonzero(enum.feasible):
        row = enum.vectors[i, n_requests:]
        package = frozenset(o for o, v in zip(offer_ids, row, strict=True) if v)
        best[package] = max(best.get(package, -np.inf), float(z[i]))
    return best
