"""Reports at tariff-line scale (issue 17): lines grouped by sector, conditions by pattern.

The grouped totals are checked against the line-level sums of the same strategies,
the differences against the decision sets, and the grouping switch against the
line-level report it replaces.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import advisor
from advisor import generate as gen
from advisor.report import render
from advisor.report.lines import (
    condition_groups,
    group_difference_text,
    group_of,
    grouped,
    request_groups,
)
from advisor.results import Result


@pytest.fixture(scope="module")
def ranked(tmp_path_factory: pytest.TempPathFactory) -> Result:
    folder = tmp_path_factory.mktemp("lines300")
    assert gen.main(["--lines", "300", "--seed", "3", "--output", str(folder)]) == 0
    instance = advisor.load_instance(folder)
    return advisor.solve(instance, top=3, distinct_on="offers", with_measures=False)


def test_group_totals_are_the_line_sums(ranked: Result) -> None:
    inst = ranked.instance
    for s in ranked.strategies:
        groups = request_groups(inst, s)
        assert sum(g.requested for g in groups) == len(s.requests)
        for g in groups:
            lines = [r for r in s.requests if group_of(r.sector) == g.group]
            assert g.requested == len(lines) == sum(n for _, n in g.tiers)
            assert g.protected_value == pytest.approx(sum(r.protected_value for r in lines))
            assert g.counterpart_cost == pytest.approx(sum(r.counterpart_cost for r in lines))
            assert g.lines == sum(1 for x in inst.sectors if group_of(x.sector) == g.group)
            for tier, n in g.tiers:
                assert n == sum(1 for r in lines if r.tier == tier)


def test_conditions_grouped_by_pattern(ranked: Result) -> None:
    inst = ranked.instance
    s = ranked.strategies[0]
    groups = condition_groups(inst, s.conditions_triggered)
    assert sum(n for _, n, _ in groups) == len(s.conditions_triggered)
    assert len(groups) < len(s.conditions_triggered)  # line conditions were merged
    for key, n, _ in groups:
        members = [c for c in s.conditions_triggered if c == key or c.startswith(key + "-")]
        assert len(members) == n, key


def test_group_differences_match_the_decisions(ranked: Result) -> None:
    inst = ranked.instance
    first = ranked.strategies[0]
    for s in ranked.strategies[1:]:
        text = group_difference_text(inst, first, s)
        tier_a = {r.sector: r.tier for r in first.requests}
        tier_b = {r.sector: r.tier for r in s.requests}
        moved = {x for x in {*tier_a, *tier_b} if tier_a.get(x) != tier_b.get(x)}
        for key in {group_of(x) for x in moved}:
            assert f"{key}: " in text
        for o in s.offers:
            if o.offer not in {p.offer for p in first.offers}:
                assert o.offer in text


def test_grouped_report_is_short_and_line_report_lists_every_line(ranked: Result) -> None:
    assert grouped(ranked)
    short = render(ranked, "table")
    full = render(ranked, "table", detail="lines")
    assert short == render(ranked, "table", detail="sectors")
    assert len(short.splitlines()) * 3 < len(full.splitlines())
    assert all(line in full for line in {r.sector for r in ranked.strategies[0].requests})
    assert "Requests to USA by sector" in short and "c_" in short
    md_short = render(ranked, "markdown")
    assert len(md_short) * 3 < len(render(ranked, "markdown", detail="lines"))
    assert render(ranked, "table") == short  # deterministic


def test_small_instances_keep_their_line_report() -> None:
    inst = advisor.load_instance(Path(__file__).parent.parent / "instances" / "tiny")
    result = advisor.solve(inst, top=3)
    assert not grouped(result)
    for fmt in ("table", "markdown"):
        assert render(result, fmt) == render(result, fmt, detail="lines")
    with pytest.raises(ValueError, match="detail"):
        render(result, "table", detail="hs")
