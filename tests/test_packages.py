"""The offer-package searches against exhaustive enumeration.

Both searches run every check: the search over enumerated packages with Lagrangian
bounds (advisor.solving.enumerated, taken wherever the model allows it) and the
branch and bound over the offers (advisor.solving.packages, forced here by
allowing no enumerated offer).

For ``distinct_on="offers"`` the answer is defined by enumeration alone: group every
feasible strategy by its offer package, take each package's best objective, and
list the K best packages. The search must return K packages (distinct offer sets),
each with an objective equal to its package's best (within the 1e-6 tie tolerance),
and the K values must be the K best, in order. Ties between packages may be listed
in either order, so values are compared position by position, and sets only by
"each is a package whose best is this value".
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import numpy as np
import pytest
from helpers import package_bests
from randinst import OBJECTIVES, enumerate_instance, random_instance, tolerance
from test_reduction import lowered

import advisor
from advisor import generate as gen
from advisor.checker import rule_violations
from advisor.economics import compute_coefficients
from advisor.solving import completion as completion_module
from advisor.solving import enumerated as enumerated_module
from advisor.solving import lagrangian as lagrangian_module
from advisor.solving import packages as packages_module
from advisor.solving.reduction import dominated_tiers
from advisor.solving.search import search_method

TOP = 5
SEEDS = range(120)


@functools.cache
def case(seed: int, variant: str):
    inst = random_instance(seed, OBJECTIVES)
    if variant == "lowered":
        inst = lowered(inst)
    return inst, enumerate_instance(inst)


def solve_and_compare(
    inst, kind: str, distinct_on: str, expected, where: str, top: int = TOP
) -> advisor.Result:
    """The package search's list: its objectives must be ``expected``, position by
    position (within the tie tolerance), and every strategy must keep the rules."""
    result = advisor.solve(
        inst,
        top=top,
        objective=kind,
        distinct_on=distinct_on,
        search="packages",
        with_measures=False,
        threads=1,
    )
    got = [s.objective for s in result.strategies]
    assert len(got) == len(expected), where
    for z_got, z_exp in zip(got, expected, strict=True):
        assert abs(z_got - z_exp) <= 2 * tolerance(z_exp), where
    for s in result.strategies:
        assert rule_violations(inst, s.decisions) == [], where
    return result


def check_packages(seed: int, variant: str, kind: str, top: int = TOP) -> int:
    inst, enum = case(seed, variant)
    bests = package_bests(enum, kind)
    expected = sorted(bests.values(), reverse=True)[:top]
    where = f"seed {seed} ({variant}), {kind}"
    result = solve_and_compare(inst, kind, "offers", expected, where, top)
    packages = [frozenset(o.offer for o in s.offers) for s in result.strategies]
    assert len(set(packages)) == len(packages), where
    for package, s in zip(packages, result.strategies, strict=True):
        assert abs(bests[package] - s.objective) <= 2 * tolerance(s.objective), where
    status = "infeasible" if not expected else "exhausted" if len(expected) < top else "optimal"
    assert result.status == status, where
    return len(dominated_tiers(inst, compute_coefficients(inst)))


@pytest.fixture(params=[None, 1], ids=["core-default", "core-1"])
def core_size(request, monkeypatch):
    """With a core of 1 the small random instances exercise reduced-cost fixing, held
    rows, the growing cores and the branching on fractional requests (by default
    their cores hold every request); the branching is counted to prove it ran."""
    if request.param is None:
        yield
        return
    monkeypatch.setattr(completion_module, "CORE_SIZE", request.param)
    monkeypatch.setattr(completion_module, "CORE_GROWTH", 2)
    branch = completion_module.PackageCompletion._branch
    calls = []

    def counted(self, *args):
        calls.append(args[-2])  # the depth
        return branch(self, *args)

    monkeypatch.setattr(completion_module.PackageCompletion, "_branch", counted)
    yield
    assert len(calls) >= 20 and max(calls) >= 1  # branched, and below a branch too


@pytest.fixture(params=["enumerated", "tree"])
def package_search(request, monkeypatch) -> dict[str, int]:
    """Which package search runs; counts the runs of the enumerated one."""
    runs = {"enumerated": 0}
    if request.param == "tree":
        monkeypatch.setattr(lagrangian_module, "MAX_ENUMERATED_OFFERS", -1)
    else:
        rank = enumerated_module.EnumeratedPackageSearch.rank

        def counted(self, top):
            runs["enumerated"] += 1
            return rank(self, top)

        monkeypatch.setattr(enumerated_module.EnumeratedPackageSearch, "rank", counted)
    runs["expected"] = int(request.param == "enumerated")
    return runs


def exercised(runs: dict[str, int], kind: str) -> None:
    """The enumerated search really ran where it should (expected value, no linkages)."""
    if runs["expected"] and kind == "expected":
        assert runs["enumerated"] >= len(SEEDS) // 2
    if not runs["expected"]:
        assert runs["enumerated"] == 0


@pytest.mark.parametrize("kind", OBJECTIVES)
def test_package_ranking_matches_enumeration(kind: str, core_size, package_search) -> None:
    for seed in SEEDS:
        check_packages(seed, "random", kind)
    exercised(package_search, kind)


def test_package_ranking_with_dominated_tiers_pruned(package_search) -> None:
    """Instances where the reduction prunes tiers: the package values are unchanged."""
    pruned = [check_packages(seed, "lowered", "expected") for seed in SEEDS]
    assert sum(1 for p in pruned if p) >= 20  # the pruning really was exercised
    exercised(package_search, "expected")


@pytest.mark.parametrize("kind", OBJECTIVES)
def test_strict_ranking_by_packages_matches_enumeration(
    kind: str, core_size, package_search
) -> None:
    """distinct_on='all': each package's K best completions, merged, are the K best
    strategies (values compared position by position; ties may list other members)."""
    for seed in SEEDS:
        inst, enum = case(seed, "random")
        z = np.sort(enum.objectives(kind)[enum.feasible])[::-1][:TOP]
        where = f"seed {seed}, {kind}"
        result = solve_and_compare(inst, kind, "all", z, where)
        chosen = [frozenset(s.decisions) for s in result.strategies]
        assert len(set(chosen)) == len(chosen), where
    exercised(package_search, kind)


def sector_bests(enum, kind: str) -> dict[frozenset[str], float]:
    """Each feasible request set's best objective (over the offers), by enumeration."""
    z = enum.objectives(kind)
    n_requests = len(enum.inst.requests)
    best: dict[frozenset[str], float] = {}
    for i in np.flatnonzero(enum.feasible):
        row = enum.vectors[i, :n_requests]
        requests = frozenset(r for r, v in zip(enum.ids[:n_requests], row, strict=True) if v)
        best[requests] = max(best.get(requests, -np.inf), float(z[i]))
    return best


@pytest.mark.parametrize("kind", OBJECTIVES)
def test_sector_positions_by_packages_match_enumeration(
    kind: str, core_size, package_search
) -> None:
    """distinct_on='sectors': the K best request sets, each with its best offers."""
    for seed in SEEDS:
        inst, enum = case(seed, "random")
        bests = sector_bests(enum, kind)
        expected = sorted(bests.values(), reverse=True)[:TOP]
        where = f"seed {seed}, {kind}"
        result = solve_and_compare(inst, kind, "sectors", expected, where)
        requests = [frozenset(r.request for r in s.requests) for s in result.strategies]
        assert len(set(requests)) == len(requests), where
        for chosen, s in zip(requests, result.strategies, strict=True):
            assert abs(bests[chosen] - s.objective) <= 2 * tolerance(s.objective), where
    exercised(package_search, kind)


def test_top_1_is_the_optimum_whatever_distinct_on(package_search) -> None:
    for seed in SEEDS:
        inst, enum = case(seed, "random")
        z = enum.objectives("expected")[enum.feasible]
        result = advisor.solve(
            inst, top=1, distinct_on="all", search="packages", with_measures=False, threads=1
        )
        if len(z) == 0:
            assert result.status == "infeasible"
            continue
        assert abs(result.strategies[0].objective - z.max()) <= 2 * tolerance(z.max())
    exercised(package_search, "expected")


# ------------------------------------------------------------------ generated lines


@pytest.fixture(scope="module")
def lines300_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder: Path = tmp_path_factory.mktemp("lines300")
    gen.main(["--lines", "300", "--seed", "2", "--output", str(folder)])
    return folder


@pytest.fixture(scope="module")
def lines300(lines300_folder: Path) -> advisor.Instance:
    return advisor.load_instance(lines300_folder)


def test_auto_takes_the_package_search_where_it_answers_the_question(lines300, tiny) -> None:
    assert search_method("auto", lines300, "offers", 10, 1) == "packages"
    assert search_method("auto", lines300, "all", 1, 1) == "packages"
    assert search_method("auto", lines300, "all", 10, 1) == "packages"
    assert search_method("auto", lines300, "sectors", 10, 1) == "packages"
    assert search_method("auto", lines300, "offers", 10, 2) == "cuts"
    assert search_method("auto", tiny, "offers", 10, 1) == "cuts"  # small: cuts and tie-break
    with pytest.raises(ValueError, match="package search"):
        advisor.solve(lines300, top=3, min_difference=2, search="packages")
    with pytest.raises(ValueError, match="search must be one of"):
        advisor.solve(lines300, search="fastest")


def test_packages_agree_with_cuts_on_a_tariff_line_instance(lines300) -> None:
    kwargs = dict(top=4, distinct_on="offers", with_measures=False, mip_gap=0.0)
    packages = advisor.solve(lines300, search="packages", **kwargs)
    cuts = advisor.solve(lines300, search="cuts", **kwargs)
    assert packages.status == cuts.status == "optimal"
    for a, b in zip(packages.strategies, cuts.strategies, strict=True):
        # each side is proven within 1e-6 of its own package's best
        assert a.objective == pytest.approx(b.objective, rel=3e-6)
    for s in packages.strategies:
        assert rule_violations(lines300, s.decisions) == []


def test_strict_ranking_by_packages_agrees_with_cuts(lines300) -> None:
    kwargs = dict(top=5, distinct_on="all", with_measures=False, mip_gap=0.0)
    packages = advisor.solve(lines300, search="packages", **kwargs)
    cuts = advisor.solve(lines300, search="cuts", **kwargs)
    for a, b in zip(packages.strategies, cuts.strategies, strict=True):
        assert a.objective == pytest.approx(b.objective, rel=3e-6)
    assert len({frozenset(s.decisions) for s in packages.strategies}) == 5


def test_package_search_is_deterministic(lines300) -> None:
    runs = [
        advisor.solve(lines300, top=3, distinct_on="offers", with_measures=False).to_dict()
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_time_limit_holds_and_is_reported(lines300) -> None:
    result = advisor.solve(
        lines300, top=10, distinct_on="offers", time_limit=0.05, with_measures=False
    )
    assert result.status == "time_limit"
    assert len(result.strategies) < 10
    for s in result.strategies:
        assert rule_violations(lines300, s.decisions) == []


def test_reports_say_which_search_ran(lines300, tiny) -> None:
    packages = advisor.solve(lines300, top=2, distinct_on="offers", with_measures=False)
    assert packages.solver.search == "packages"
    assert packages.to_dict()["solver"]["search"] == "packages"
    assert "offer-package search" in advisor.render(packages, "table")
    cuts = advisor.solve(tiny, top=2, with_measures=False)
    assert cuts.solver.search == "cuts"
    assert "offer-package search" not in advisor.render(cuts, "table")


@pytest.mark.parametrize("search, lp_solves", [("tree", 8), ("enumerated", 3)])
def test_a_stopped_search_lists_what_its_dive_found_with_an_honest_gap(
    lines300, monkeypatch, search, lp_solves
) -> None:
    """The tree search dives to a first package before searching best-first, and the
    enumerated one completes the first package it prices, so a time limit that stops
    either early still lists a strategy; its gap counts the packages left open. A
    stop is simulated after a fixed number of LP solves (deterministic)."""
    solve_node = packages_module.OfferPackageSearch._solve_node
    if search == "tree":
        monkeypatch.setattr(lagrangian_module, "MAX_ENUMERATED_OFFERS", -1)

    def stop_after_a_few(self, node):
        if self.lp_solves >= lp_solves:
            self.timed_out = True
            return None
        return solve_node(self, node)

    monkeypatch.setattr(packages_module.OfferPackageSearch, "_solve_node", stop_after_a_few)
    solve_package = enumerated_module.EnumeratedPackageSearch._solve_package

    def package_stop_after_a_few(self, i):  # restricted LPs count as LP solves too
        if self.lp_solves >= lp_solves:
            self.timed_out = True
            return None, True
        return solve_package(self, i)

    monkeypatch.setattr(
        enumerated_module.EnumeratedPackageSearch, "_solve_package", package_stop_after_a_few
    )
    result = advisor.solve(lines300, top=3, distinct_on="offers", with_measures=False)
    assert result.status == "time_limit"
    assert 1 <= len(result.strategies) < 3
    monkeypatch.undo()
    full = advisor.solve(lines300, top=3, distinct_on="offers", with_measures=False)
    for s, true in zip(result.strategies, full.strategies, strict=False):
        assert rule_violations(lines300, s.decisions) == []
        # the stated gap covers the true k-th best package
        kth = true.objective
        assert kth <= s.objective + s.mip_gap * max(1.0, abs(s.objective)) + 1e-6 * abs(kth)
        assert s.mip_gap > 0


def test_scenario_measures_at_tariff_line_scale(lines300, tiny) -> None:
    """By default with the package search; opt-in with the cut search; off when asked."""
    default = advisor.solve(lines300, top=1)
    assert default.solver.search == "packages"
    assert default.scenario_measures is not None
    assert default.scenario_measures.expected_value_of_perfect_information >= -1e-6
    assert not any("VSS and EVPI" in w for w in default.warnings)
    skipped = advisor.solve(lines300, top=1, with_measures=False)
    assert skipped.scenario_measures is None
    assert not any("VSS and EVPI" in w for w in skipped.warnings)
    assert skipped.strategies[0].decisions == default.strategies[0].decisions
    cuts = advisor.solve(lines300, top=1, search="cuts")
    assert cuts.scenario_measures is None
    assert any("VSS and EVPI are not computed by default" in w for w in cuts.warnings)


def test_cli_measures_flag(lines300_folder, solve_py) -> None:
    import json

    plain = solve_py(lines300_folder, "--top", "1", "--format", "json")
    skipped = solve_py(lines300_folder, "--top", "1", "--format", "json", "--no-measures")
    asked = solve_py(lines300_folder, "--top", "1", "--format", "json", "--measures")
    runs = (plain, skipped, asked)
    assert all(r.returncode == 0 for r in runs), "".join(r.stderr for r in runs)
    assert json.loads(plain.stdout)["scenario_measures"] is not None
    assert json.loads(plain.stdout)["solver"]["search"] == "packages"
    assert json.loads(skipped.stdout)["scenario_measures"] is None
    assert json.loads(asked.stdout)["scenario_measures"] == json.loads(plain.stdout)[
        "scenario_measures"
    ]


@pytest.fixture(scope="module")
def lines1000(tmp_path_factory: pytest.TempPathFactory) -> advisor.Instance:
    folder: Path = tmp_path_factory.mktemp("lines1000")
    gen.main(["--lines", "1000", "--seed", "3", "--output", str(folder)])
    return advisor.load_instance(folder)


@pytest.mark.parametrize("size, top", [(300, 6), (1000, 4)])
def test_the_enumerated_search_agrees_with_the_branch_and_bound(
    size, top, lines300, lines1000, monkeypatch
) -> None:
    """Same packages, same values (each within its 1e-6 gap) on generated lines."""
    inst = lines300 if size == 300 else lines1000
    kwargs = dict(top=top, distinct_on="offers", with_measures=False, mip_gap=0.0)
    runs = {"enumerated": 0}
    rank = enumerated_module.EnumeratedPackageSearch.rank

    def counted(self, k):
        runs["enumerated"] += 1
        return rank(self, k)

    monkeypatch.setattr(enumerated_module.EnumeratedPackageSearch, "rank", counted)
    enumerated = advisor.solve(inst, **kwargs)
    assert runs["enumerated"] == 1
    monkeypatch.setattr(lagrangian_module, "MAX_ENUMERATED_OFFERS", -1)
    tree = advisor.solve(inst, **kwargs)
    assert runs["enumerated"] == 1
    assert enumerated.status == tree.status == "optimal"
    for a, b in zip(enumerated.strategies, tree.strategies, strict=True):
        assert a.objective == pytest.approx(b.objective, rel=3e-6)
    packages = [
        {frozenset(o.offer for o in s.offers) for s in r.strategies} for r in (enumerated, tree)
    ]
    values = sorted(s.objective for s in tree.strategies)
    ties = any(abs(x - y) <= 3e-6 * abs(y) for x, y in itertools.pairwise(values))
    assert packages[0] == packages[1] or ties, (packages, values)  # ties: either way


@pytest.fixture(scope="module")
def lines100(tmp_path_factory: pytest.TempPathFactory) -> advisor.Instance:
    folder: Path = tmp_path_factory.mktemp("lines100")
    gen.main(["--lines", "100", "--seed", "5", "--output", str(folder)])
    return advisor.load_instance(folder)


def test_scenario_optima_on_the_rankings_session_are_each_scenarios_own(lines100) -> None:
    """V*_ω by the package search on the ranking's rows, HiGHS's costs swapped for
    V_ω's (the searches two at a time), against HiGHS's MILP on each scenario's own
    model; the session's own objective is back afterwards."""
    from advisor.evaluation import scenario_values
    from advisor.solving.measures import scenario_optima
    from advisor.solving.session import open_session

    assert len(lines100.decision_ids()) > 200 and len(lines100.scenarios) > 1
    session = open_session(lines100, binding=False)
    costs, offset = session.opt.costs()
    before = session.solve()
    shared = scenario_optima(lines100, 0.0, None, 1, session)
    after_costs, after_offset = session.opt.costs()
    assert np.array_equal(costs, after_costs) and offset == after_offset
    after = session.solve()
    assert before is not None and after is not None
    assert after.objective == pytest.approx(before.objective, rel=1e-9)
    values = set()
    for w in lines100.scenarios:
        own = open_session(lines100, f"scenario:{w.name}", binding=False).solve()
        assert own is not None and own.proven
        value = scenario_values(session.coefficients, lines100, own.chosen)[w.name]
        assert shared[w.name] == pytest.approx(value, rel=2e-6)
        values.add(round(value, 3))
    assert len(values) == len(lines100.scenarios)  # the scenarios' optima differ


def test_an_interrupt_in_one_scenario_search_stops_the_others(lines100, monkeypatch) -> None:
    """best_maximising: a Ctrl-C (or error) in one search reaches the caller, every
    search built is cancelled, and the session's own costs are back."""
    from advisor.solving import enumerated
    from advisor.solving.search import best_maximising
    from advisor.solving.session import open_session

    session = open_session(lines100, binding=False)
    costs, offset = session.opt.costs()
    rank, cancelled, calls = enumerated.EnumeratedPackageSearch.rank, [], []

    def rank_or_interrupt(self, top):
        calls.append(self)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return rank(self, top)

    monkeypatch.setattr(enumerated.EnumeratedPackageSearch, "rank", rank_or_interrupt)
    monkeypatch.setattr(
        enumerated.EnumeratedPackageSearch, "cancel", lambda self: cancelled.append(self)
    )
    model = session.model
    values = [model.scenario_value[w] / model.scales.objective for w in model.SCENARIOS]
    with pytest.raises(KeyboardInterrupt):
        best_maximising(session, values)
    assert len(calls) >= 2 and set(map(id, calls)) <= set(map(id, cancelled))
    after_costs, after_offset = session.opt.costs()
    assert np.array_equal(costs, after_costs) and offset == after_offset


def test_measured_by_default_up_to_the_measured_size() -> None:
    from advisor.solving.pipeline import MEASURES_MAX_DECISIONS, _measured_by_default

    warnings: list[str] = []
    assert _measured_by_default(200, "cuts", warnings) and not warnings
    assert _measured_by_default(MEASURES_MAX_DECISIONS, "packages", warnings) and not warnings
    assert not _measured_by_default(201, "cuts", warnings)
    assert "with the cut search" in warnings.pop()
    assert not _measured_by_default(MEASURES_MAX_DECISIONS + 1, "packages", warnings)
    assert "above 25,000 decisions" in warnings.pop()
