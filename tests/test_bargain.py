"""advisor.bargain against brute force: the frontier, the ZOPA, Nash and Kalai–Smorodinsky.

The oracle enumerates every decision vector of a random small instance
(tests/randinst.py, no advisor code), computes home's expected value and the
counterpart's surplus U = Σ g y - Σ a_r c_r x_r with its own formulas, filters the
Pareto set, and picks the Nash and KS points by their definitions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from pytest import approx
from randinst import cost, enumerate_instance, random_instance

import advisor
from advisor.analysis.bargain import BargainPoint, solutions
from advisor.errors import InstanceError
from advisor.inputs.bargaining import read_bargaining

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [s for s in range(40) if s % 25 != 11]  # 11 mod 25: infeasible on purpose


def oracle(inst: advisor.Instance) -> tuple[np.ndarray, np.ndarray]:
    """(V, U) of every feasible decision vector, by enumeration."""
    enum = enumerate_instance(inst)
    x = enum.vectors.astype(float)[enum.feasible]
    v = enum.objectives("expected")[enum.feasible]
    weight = np.array(
        [-r.acceptance * cost(inst, r) for r in inst.requests]
        + [o.counterpart_value for o in inst.offers]
    )
    return v, x @ weight


def pareto(v: np.ndarray, u: np.ndarray) -> list[tuple[float, float]]:
    """The efficient (V, U) pairs, exact comparisons up to 1e-9 relative."""
    pairs = sorted(set(zip(v.tolist(), u.tolist(), strict=True)), key=lambda p: (-p[0], -p[1]))
    out: list[tuple[float, float]] = []
    for a, b in pairs:
        if out and b <= out[-1][1] + 1e-9 * max(1.0, abs(out[-1][1])):
            continue
        out.append((a, b))
    return out


def nash_and_ks(
    front: list[tuple[float, float]], dh: float, dc: float
) -> tuple[float | None, float | None]:
    """The best Nash product and the best KS value over the ZOPA (None: empty)."""
    zopa = [(a - dh, b - dc) for a, b in front if a >= dh - 1e-9 and b >= dc - 1e-9]
    if not zopa:
        return None, None
    ih, ic = max(g for g, _ in zopa), max(g for _, g in zopa)
    nash = max(max(g, 0) * max(h, 0) for g, h in zopa)
    ks = max(min(g / ih if ih > 0 else 1.0, h / ic if ic > 0 else 1.0) for g, h in zopa)
    return nash, ks


def ours(result: advisor.Bargain) -> tuple[float | None, float | None]:
    dh, dc = result.home_reservation, result.counterpart_reservation
    n, k, ideal = result.nash_point, result.kalai_smorodinsky_point, result.ideal
    if n is None or k is None or ideal is None:
        return None, None
    ih, ic = ideal[0] - dh, ideal[1] - dc
    nash = (n.home_value - dh) * (n.counterpart_surplus - dc)
    gh, gc = k.home_value - dh, k.counterpart_surplus - dc
    ks = min(gh / ih if ih > 0 else 1.0, gc / ic if ic > 0 else 1.0)
    return nash, ks


@pytest.mark.parametrize("seed", SEEDS)
def test_the_frontier_is_the_enumerated_pareto_set(seed: int) -> None:
    inst = random_instance(seed)
    v, u = oracle(inst)
    result = advisor.bargain(inst, resolution=0.0)
    found = [(p.home_value, p.counterpart_surplus) for p in result.points]
    expected = pareto(v, u)
    assert len(found) == len(expected)
    for (a, b), (c, d) in zip(found, expected, strict=True):
        assert a == approx(c, rel=1e-6, abs=1e-6)
        assert b == approx(d, rel=1e-6, abs=1e-6)
    assert result.exact


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("resolution", [0.0, "coarse"])
def test_nash_and_ks_points_match_brute_force(seed: int, resolution: object) -> None:
    inst = random_instance(seed)
    v, u = oracle(inst)
    front = pareto(v, u)
    # a home reservation that cuts some of the frontier off, so the ZOPA matters
    dh = float(np.median(v)) if seed % 3 == 0 else 0.0
    step = 0.0 if resolution == 0.0 else (float(u.max() - u.min()) / 3 or 1.0)
    result = advisor.bargain(
        inst, home_reservation=dh, counterpart_reservation=0.0, resolution=step
    )
    nash, ks = nash_and_ks(front, dh, 0.0)
    got_nash, got_ks = ours(result)
    if nash is None:
        assert got_nash is None and result.nash is None and not result.zopa
        return
    assert got_nash == approx(nash, rel=1e-6, abs=1e-6)
    assert got_ks == approx(ks, rel=1e-6, abs=1e-6)
    assert result.solutions_exact


def test_an_empty_zopa_has_no_solutions() -> None:
    inst = random_instance(2)
    v, _ = oracle(inst)
    result = advisor.bargain(inst, home_reservation=float(v.max()) + 1.0)
    assert result.points  # the frontier is there
    assert not result.zopa and result.nash is None and result.kalai_smorodinsky is None
    assert result.ideal is None
    assert result.to_dict()["zopa_empty"] is True


def test_a_counterpart_reservation_above_every_surplus_empties_the_zopa() -> None:
    inst = random_instance(4)
    _, u = oracle(inst)
    result = advisor.bargain(inst, counterpart_reservation=float(u.max()) + 1.0)
    assert not result.zopa and result.nash is None


def test_the_solutions_on_hand_made_points() -> None:
    """Nash: max product 60 x 65 = 3900 (not 80 x 45 = 3600); KS with ideal (120, 125):
    min(60/120, 65/125) = 0.5 beats min(80/120, 45/125) = 0.36."""

    def point(v: float, u: float) -> BargainPoint:
        return BargainPoint((), (), (), v, {}, u, {}, 0.0, 0.0, v >= 0 and u >= 0)

    points = tuple(point(v, u) for v, u in [(120, 5), (80, 45), (60, 65), (10, 125), (-5, 200)])
    assert solutions(points, 0.0, 0.0) == (2, 2)
    # with home's reservation at 50 only the first three are in the ZOPA: products
    # 70 x 5, 30 x 45 = 1350, 10 x 65 = 650; ideal gains (70, 65): KS min(30/70, 45/65)
    inside = tuple(replace(p, in_zopa=p.home_value >= 50) for p in points)
    assert solutions(inside, 50.0, 0.0) == (1, 1)


def test_surplus_is_acceptance_weighted_per_scenario() -> None:
    inst = next(
        i for i in (random_instance(s) for s in range(1, 40, 2)) if len(i.scenarios) > 1
    )
    result = advisor.bargain(inst, resolution=0.0)
    probability = {w.name: w.probability for w in inst.scenarios}
    for p in result.points:
        expected = sum(probability[w] * x for w, x in p.counterpart_scenario_surplus.items())
        assert p.counterpart_surplus == approx(expected)
        grant = sum(
            inst.request_by_id[r].acceptance * cost(inst, inst.request_by_id[r])
            for r in p.requests
        )
        assert p.grant_cost == approx(grant)
        # U from the instance's own numbers: the offers' value minus the expected grants
        given = sum(inst.offer_by_id[j].counterpart_value for j in p.offers)
        assert p.counterpart_surplus == approx(given - grant)


def test_the_bargaining_table_is_read_with_located_errors(tmp_path: Path) -> None:
    (tmp_path / "instance.toml").write_text("[bargaining]\ncounterpart_reservation = 250\n")
    assert read_bargaining(tmp_path).counterpart_reservation == 250.0
    (tmp_path / "instance.toml").write_text(
        '[bargaining]\ncounterpart_reservation = "10%"\nreservaton = 1\n'
    )
    with pytest.raises(InstanceError) as info:
        read_bargaining(tmp_path)
    columns = sorted(str(p.column) for p in info.value.problems)
    assert columns == ["bargaining.counterpart_reservation", "bargaining.reservaton"]
    assert all(p.file == "instance.toml" for p in info.value.problems)


def test_arguments_are_checked() -> None:
    inst = random_instance(2)
    with pytest.raises(ValueError, match="resolution"):
        advisor.bargain(inst, resolution=-1.0)
    with pytest.raises(TypeError, match=r"load it with advisor\.load_instance"):
        advisor.bargain("instances/tiny")  # type: ignore[arg-type]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "solve.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_cli_json_is_deterministic_and_matches_the_library(tmp_path: Path) -> None:
    plot = tmp_path / "b.svg"
    first = run_cli("bargain", "instances/tiny", "--format", "json", "--plot", str(plot), "-q")
    second = run_cli("bargain", "instances/tiny", "--format", "json", "--plot", str(plot), "-q")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    doc = json.loads(first.stdout)
    lib = advisor.bargain(advisor.load_instance(ROOT / "instances" / "tiny"))
    assert doc["nash"] == lib.nash + 1  # type: ignore[operator]
    assert [p["home_value"] for p in doc["points"]] == [p.home_value for p in lib.points]
    assert "objective units" in doc["units"]["home_value"]
    assert plot.read_text().startswith("<?xml")


def test_cli_bad_input_is_a_located_error_with_exit_2() -> None:
    bad = run_cli("bargain", "instances/tiny", "--resolution", "-3")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    missing = run_cli("bargain", "/nonexistent/folder")
    assert missing.returncode == 2 and "no such folder" in missing.stderr
