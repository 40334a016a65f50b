"""The explanation at tariff-line scale (issue 17), against the line-level explanation.

On a small generated instance the scale explanation is forced (it normally starts
above 200 decisions) and compared with the line-level one of the same result: the
offers' values, the numeric rules' prices, each condition family against its
members, and each sector move against the independent checker.
"""

from __future__ import annotations

import pytest

import advisor
from advisor import checker
from advisor import generate as gen
from advisor.analysis import explain as explain_module
from advisor.analysis.explain import Explanation
from advisor.results import Result
from advisor.tariff_lines import condition_pattern, sector_ids


@pytest.fixture(scope="module")
def ranked(tmp_path_factory: pytest.TempPathFactory) -> Result:
    folder = tmp_path_factory.mktemp("lines30")
    assert gen.main(["--lines", "30", "--seed", "5", "--output", str(folder)]) == 0
    instance = advisor.load_instance(folder)
    return advisor.solve(instance, top=4, distinct_on="offers", with_measures=False)


@pytest.fixture(scope="module")
def line_level(ranked: Result) -> Explanation:
    return advisor.explain(ranked)


def _at_scale(ranked: Result, listed: bool = True) -> Explanation:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(explain_module, "at_scale", lambda instance: True)
        if not listed:  # every offer re-solved by the package search
            mp.setattr(explain_module, "listed_flips", lambda result, strategy: {})
        return advisor.explain(ranked)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-6 * max(1.0, abs(a))


@pytest.mark.parametrize("listed", [True, False])
def test_offer_values_match_the_line_level_explanation(
    ranked: Result, line_level: Explanation, listed: bool
) -> None:
    scale = _at_scale(ranked, listed)
    assert scale.at_scale
    offers = {o.offer for o in ranked.instance.offers}
    expected = {d.decision: d for d in line_level.decisions if d.decision in offers}
    assert {d.decision for d in scale.decisions} == offers
    for d in scale.decisions:
        assert d.chosen == expected[d.decision].chosen
        assert _same(d.objective_if_flipped, expected[d.decision].objective_if_flipped), d


def test_numeric_rules_and_condition_families_match(
    ranked: Result, line_level: Explanation
) -> None:
    scale = _at_scale(ranked)
    ids = sector_ids(ranked.instance)
    single = {r.location: r for r in line_level.rules}
    members: dict[str, list[float | None]] = {}
    for r in line_level.rules:
        if r.kind == "condition":
            key = condition_pattern(ids, r.location.split(": ", 1)[1])
            members.setdefault(key, []).append(r.removed)
    for r in scale.rules:
        if r.kind != "condition":
            line = single[r.location]
            assert _same(r.removed, line.removed), r
            assert _same(r.relaxed_one_unit, line.relaxed_one_unit), r
            assert _same(r.relaxed_10pct, line.relaxed_10pct), r
            continue
        key = condition_pattern(ids, r.location.split(": ", 1)[1])
        gains = [g for g in members[key] if g is not None]
        assert r.removed is not None
        # dropping the whole family gains at least what dropping any one member gains
        assert all(r.removed >= g - 1e-6 * max(1.0, abs(g)) for g in gains), r


def test_sector_moves_checked_by_the_independent_checker(ranked: Result) -> None:
    scale = _at_scale(ranked)
    inst = ranked.instance
    s = ranked.strategies[0]
    assert scale.sector_moves
    for m in scale.sector_moves:
        lines = [x.sector for x in inst.sectors if x.sector.split(".", 1)[0] == m.group]
        moved = set(s.decisions) - {r.request for r in s.requests if r.sector in lines}
        moved |= _moved_tiers(inst, s, lines, m.direction)
        broken = checker.rule_violations(inst, moved)
        assert bool(broken) == (m.objective_if_moved is None), (m, broken)
        if m.objective_if_moved is not None:
            score = checker.scores(inst, moved)
            assert _same(m.objective_if_moved, score.expected_value), m


def _moved_tiers(inst: advisor.Instance, s: object, lines: list[str], direction: str) -> set[str]:
    """Each line's tier one step up or down, computed afresh from requests.csv."""
    tiers_now = {r.sector: r.request for r in s.requests}  # type: ignore[attr-defined]
    out = set()
    for line in lines:
        ladder = sorted((r for r in inst.requests if r.sector == line), key=lambda r: -r.tariff)
        ids = [r.request for r in ladder]
        at = ids.index(tiers_now[line]) if line in tiers_now else -1
        to = min(max(at + (1 if direction == "up" else -1), -1), len(ids) - 1)
        if to >= 0:
            out.add(ids[to])
    return out


def test_scale_report_is_grouped(ranked: Result) -> None:
    from advisor.report import render_explanation

    scale = _at_scale(ranked)
    text = render_explanation(scale, ranked, "table")
    assert "Each sector's position as a whole" in text
    assert "lines are not valued one by one" in text
    assert render_explanation(scale, ranked, "table") == text
    assert "sector_moves" in render_explanation(scale, ranked, "json")


@pytest.mark.parametrize("vary", ["budget", "reciprocity"])
def test_frontier_by_the_package_search_matches_the_cut_search(ranked: Result, vary: str) -> None:
    from advisor.solving import search

    inst = ranked.instance
    cuts = advisor.frontier(inst, vary=vary, points=4)
    calls = []
    original = search.rank_packages
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(search, "TIE_BREAK_MAX_DECISIONS", 0)  # as if above 200 decisions
        mp.setattr(search, "rank_packages", lambda *a, **k: calls.append(1) or original(*a, **k))
        packages = advisor.frontier(inst, vary=vary, points=4)
    assert len(calls) == 4  # every point by the package search
    assert len(cuts.points) == len(packages.points) == 4
    for a, b in zip(cuts.points, packages.points, strict=True):
        assert (a.strategy is None) == (b.strategy is None)
        if a.strategy is not None and b.strategy is not None:
            assert _same(a.strategy.objective, b.strategy.objective), (a.value, vary)


def test_diagnosis_by_condition_families_names_the_line_level_conflict(
    ranked: Result,
) -> None:
    import dataclasses

    from advisor.analysis import diagnose as diagnose_module

    inst = dataclasses.replace(ranked.instance, domestic_budget=10.0)  # below any offer
    line_level = advisor.diagnose(inst)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(diagnose_module, "at_scale", lambda instance: True)
        scale = advisor.diagnose(inst)
    assert not line_level.feasible and not scale.feasible
    ids = sector_ids(inst)

    def family(location: str) -> str:
        file, key = location.split(": ", 1)
        return f"{file}: {condition_pattern(ids, key)}"

    assert {family(c.location) for c in scale.conflicts} == {
        family(c.location) for c in line_level.conflicts
    }
    numeric = {c.location: c.relaxed_value for c in line_level.conflicts if c.kind != "condition"}
    for c in scale.conflicts:
        if c.location in numeric:
            assert _same(c.relaxed_value, numeric[c.location]), c


def test_a_slow_re_solve_is_skipped_and_named(ranked: Result) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(explain_module, "at_scale", lambda instance: True)
        mp.setattr(explain_module, "PER_SOLVE_S", 1e-9)  # every re-solve overruns
        scale = advisor.explain(ranked)
    listed = explain_module.listed_flips(ranked, ranked.strategies[0])
    assert listed and {d.decision for d in scale.decisions} == set(listed)
    assert scale.rules == () and scale.sector_moves
    slow = next(w for w in scale.warnings if w.startswith("not solved within"))
    others = [o.offer for o in ranked.instance.offers if o.offer not in listed]
    assert all(o in slow for o in others) and "reciprocity" in slow
    assert not any(w.startswith("stopped by the time limit") for w in scale.warnings)
