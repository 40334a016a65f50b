"""Coalition folders: located errors in one pass, the CLI's exit codes and formats,
the same results with --jobs and on a Dask cluster, joint export effects in the
members' market-share rows, and the ASEAN coalition's standalone values."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from coalition_cases import coalition, member_instance

import advisor
from advisor.coalition import load_coalition, solve_coalition
from advisor.coalition.report import render_coalition
from advisor.coalition.spec import JointEffect, JointOffer
from advisor.instance import Market, frozen_mapping

ROOT = Path(__file__).resolve().parent.parent
PAIR = ROOT / "instances" / "coalition_pair"
ASEAN = ROOT / "instances" / "asean_us_2025"


def _broken(tmp_path: Path) -> Path:
    folder = tmp_path / "broken"
    shutil.copytree(PAIR, folder)
    offers = folder / "joint_offers.csv"
    offers.write_text(offers.read_text().replace("15,30,2,2", "abc,30,2,2"))
    with (folder / "joint_participants.csv").open("a") as f:
        f.write("SCS,Z,4,\n")
    conditions = folder / "joint_conditions.csv"
    conditions.write_text(conditions.read_text().replace("B:GLOVES_zero", "B:GLOVES_0"))
    toml = folder / "coalition.toml"
    toml.write_text(toml.read_text().replace('split = "equal"', 'split = "even"'))
    sectors = folder / "alpha" / "sectors.csv"
    sectors.write_text(sectors.read_text().replace(",1,1,X", ",-1,1,X"))
    return folder


def test_every_problem_located_in_one_pass(tmp_path: Path) -> None:
    with pytest.raises(advisor.InstanceError) as caught:
        load_coalition(_broken(tmp_path))
    found = {(p.file, p.row, p.column) for p in caught.value.problems}
    assert found == {
        ("coalition.toml", None, "model.split"),
        ("alpha/sectors.csv", 2, "elasticity"),
        ("joint_offers.csv", 2, "base_value"),
        ("joint_participants.csv", 6, "member"),
        ("joint_conditions.csv", 2, "members"),
    }
    messages = " | ".join(p.message for p in caught.value.problems)
    assert "'Z' is not a member" in messages and "'GLOVES_0'" in messages


def test_missing_member_folder_and_too_few_participants(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    shutil.copytree(PAIR, folder)
    toml = folder / "coalition.toml"
    toml.write_text(toml.read_text().replace('path = "beta"', 'path = "gamma"'))
    parts = folder / "joint_participants.csv"
    parts.write_text(parts.read_text().replace("SCS,B,4,\n", ""))
    with pytest.raises(advisor.InstanceError) as caught:
        load_coalition(folder)
    found = {(p.file, p.row, p.column) for p in caught.value.problems}
    assert ("gamma", None, None) in found
    assert ("joint_offers.csv", 3, "min_members") in found


def test_cli_bad_input_exit_2_without_traceback(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(ROOT / "solve.py"), "coalition",
                          str(_broken(tmp_path))], capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert "joint_offers.csv, row 2, column 'base_value'" in run.stderr


def test_cli_formats_and_jobs_give_the_same_report() -> None:
    """--jobs 2 (spawned workers: solve.py must not run again in them) prints the same."""
    def run(*extra: str) -> str:
        out = subprocess.run([sys.executable, str(ROOT / "solve.py"), "coalition", str(PAIR),
                              "-q", *extra], capture_output=True, text=True, check=True)
        return out.stdout

    serial = run("--format", "json")
    assert run("--format", "json", "--jobs", "2") == serial
    data = json.loads(serial)
    assert [m["shapley_value"] for m in data["members"]] == [29.0, 54.0]
    assert "USD million" in run() and run("--format", "csv").startswith("member,tier")
    assert "| A | core |" in run("--format", "markdown")


def test_dask_cluster_gives_the_same_result() -> None:
    distributed = pytest.importorskip("distributed")
    pair = load_coalition(PAIR)
    serial = solve_coalition(pair).to_dict()
    with distributed.LocalCluster(n_workers=1, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        remote = solve_coalition(pair, scheduler=cluster.scheduler_address).to_dict()
    assert remote == serial


@pytest.mark.parametrize("in_objective", [True, False])
def test_joint_export_effect_enters_the_members_share_cap(in_objective: bool) -> None:
    """A's request lifts its US share to 100/200 = 50% > the 45% cap; joining J adds 50
    to its exports elsewhere (100/250 = 40%), so only in the coalition is it allowed:
    v(A) = 0; in the plan A gets 50 - 5 = 45, plus the 50 of exports (weight 1) when
    offer effects count in the objective."""
    markets = [Market("USA", "counterpart", 100.0), Market("ROW", "rest", 100.0)]
    a = member_instance("A", [(100.0, [(0.0, 1.0, 10.0)])], [])
    a = dataclasses.replace(a, markets=tuple(markets), offer_effects_in_objective=in_objective,
                            market_share_caps=frozen_mapping({"USA": 0.45}))
    b = member_instance("B", [(100.0, [(0.0, 1.0, 10.0)])], [])
    c = coalition([("A", a, "associate"), ("B", b, "associate")],
                  [JointOffer("J", "J", "", 10, 0, 2, 2)], {("J", "A"): 5.0, ("J", "B"): 5.0})
    c = dataclasses.replace(c, effects=(JointEffect("J", "A", "ROW", 50.0),))
    result = solve_coalition(c)
    a_row = result.members[0]
    expected = 45 + (50 if in_objective else 0)
    assert (a_row.standalone_value, a_row.coalition_value) == pytest.approx((0, expected))
    assert result.subcoalitions[-1].value == pytest.approx(expected + 45)


def test_render_every_format_names_the_money() -> None:
    result = solve_coalition(load_coalition(PAIR))
    for fmt in ("table", "markdown", "csv"):
        assert "USD million" in render_coalition(result, fmt)
    assert json.loads(render_coalition(result, "json"))["money"] == "USD million"


@pytest.mark.skipif(not ASEAN.is_dir(), reason="the ASEAN coalition folder")
def test_asean_standalone_values_are_the_members_own_optima() -> None:
    """v({m}) is each member's bilateral optimum (advisor.solve, expected objective)."""
    asean = load_coalition(ASEAN)
    from advisor.coalition.plans import coalition_value

    for member in asean.members:
        own = advisor.solve(member.instance, top=1, objective="expected").strategies[0]
        assert coalition_value(asean, (member.member,)) == pytest.approx(own.objective, rel=1e-6)


def test_the_help_examples_on_the_pair_run() -> None:
    """Every example of ``coalition --help`` on instances/coalition_pair runs, exit 0."""
    from advisor.cli.coalition import EPILOG

    examples = [line.split("  ")[1].strip() if line.startswith("  ") else ""
                for line in EPILOG.splitlines()]
    pair = [e for e in examples if "coalition_pair" in e]
    assert len(pair) == 3
    for example in pair:
        argv = example.split(">")[0].split()[2:]  # drop "python solve.py" and a redirection
        run = subprocess.run([sys.executable, str(ROOT / "solve.py"), *argv], cwd=ROOT,
                             capture_output=True, text=True)
        assert run.returncode == 0, (example, run.stderr)
        assert "Traceback" not in run.stderr


def test_an_instance_folder_given_as_a_coalition_is_named_as_such() -> None:
    with pytest.raises(advisor.InstanceError) as caught:
        load_coalition(ROOT / "instances" / "tiny")
    (problem,) = caught.value.problems
    assert problem.file == "coalition.toml" and "holds an instance" in problem.message


def test_joint_condition_shapes_are_checked_as_in_an_instance(tmp_path: Path) -> None:
    """The coalition's joint conditions go through the loader's own shape check: a count
    that does not parse is one problem (not also "needs a count"), and at_least k of
    fewer than k members is refused."""
    folder = tmp_path / "c"
    shutil.copytree(PAIR, folder)
    conditions = folder / "joint_conditions.csv"
    header = conditions.read_text().splitlines()[0]
    conditions.write_text(
        header + "\n" + "\n".join(
            [
                _condition_row(header, "j1", "at_most", "ROO; SCS", "abc"),
                _condition_row(header, "j2", "at_least", "ROO; SCS", "3"),
            ]
        ) + "\n"
    )
    with pytest.raises(advisor.InstanceError) as caught:
        load_coalition(folder)
    found = [(p.row, p.column, p.message) for p in caught.value.problems]
    assert [(row, column) for row, column, _ in found] == [(2, "count"), (3, "count")]
    assert "can never hold" in found[1][2]


def _condition_row(header: str, ident: str, kind: str, members: str, count: str) -> str:
    cells = {"condition": ident, "kind": kind, "members": members, "count": count}
    return ",".join(cells.get(name.strip(), "") for name in header.split(","))
