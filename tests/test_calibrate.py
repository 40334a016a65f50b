"""advisor.calibrate against planted counterparts and exhaustive enumeration.

The oracle (tests/randinst.py, no advisor code) enumerates every decision vector of a
random small instance. A counterpart θ = (ρ, category multipliers, α) is planted by
this file's own :func:`plant` (not the advisor's), its optimal deal found by
enumeration, and the calibration must find an interval containing the planted values
with a zero distance. The scorer's distance to the nearest optimum is checked against
the enumeration on unplanted θ too, in an order that exercises its shortcut.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from randinst import enumerate_instance, random_instance

import advisor
from advisor.analysis.calibrate import calibrate
from advisor.analysis.calibrate_apply import write_calibrated
from advisor.analysis.calibrate_score import InstanceScorer
from advisor.errors import InstanceError
from advisor.inputs.observed import ObservedDeal, read_observed

ROOT = Path(__file__).resolve().parent.parent
GRID = (0.5, 1.0, 2.0)
CATEGORIES = ("purchase", "regulatory")


def categorised(seed: int) -> advisor.Instance:
    """A random instance whose offers alternate between two categories."""
    inst = random_instance(seed)
    offers = tuple(replace(o, category=CATEGORIES[i % 2]) for i, o in enumerate(inst.offers))
    return replace(inst, offers=offers)


def plant(inst: advisor.Instance, ratio: float, m: dict[str, float], alpha: float
          ) -> advisor.Instance:
    """``inst`` under θ, written independently of advisor.analysis.calibrate_score."""
    offers = tuple(replace(o, counterpart_value=o.counterpart_value * m[o.category])
                   for o in inst.offers)
    requests = tuple(replace(r, acceptance=min(1.0, alpha * r.acceptance)) for r in inst.requests)
    links = tuple(replace(k, value=min(1.0, alpha * k.value)) if k.effect == "acceptance" else k
                  for k in inst.linkages)
    return replace(inst, reciprocity_ratio=ratio, offers=offers, requests=requests,
                   linkages=links)


def optima(inst: advisor.Instance) -> tuple[list[frozenset[str]], bool]:
    """Every optimal decision set (ties within 1e-6 relative) and whether the case is clean."""
    enum = enumerate_instance(inst)
    z = enum.objectives("expected")
    clean = not enum.edges and not enum.objective_edges("expected")
    if not enum.feasible.any():
        return [], clean
    best = z[enum.feasible].max()
    tied = np.flatnonzero(enum.feasible & (z >= best - 1e-6 * max(1.0, abs(best))))
    return [enum.chosen(int(i)) for i in tied], clean


def deal(chosen: frozenset[str], inst: advisor.Instance) -> ObservedDeal:
    return ObservedDeal(
        "planted", "planted", "", "",
        tuple(o.offer for o in inst.offers if o.offer in chosen),
        tuple(r.request for r in inst.requests if r.request in chosen),
    )


def planted_cases(count: int) -> list[tuple[int, advisor.Instance, tuple, frozenset[str]]]:
    """Seeds with a clean planted optimum: (seed, instance, θ, its optimal deal)."""
    out = []
    for seed in range(200):
        if seed % 25 == 11:
            continue
        inst = categorised(seed)
        rng = np.random.default_rng(seed)
        theta = (float(rng.choice(GRID)), float(rng.choice(GRID)), float(rng.choice(GRID)),
                 float(rng.choice(GRID)))
        ratio, mp, mr, alpha = theta
        best, clean = optima(plant(inst, ratio, {"purchase": mp, "regulatory": mr}, alpha))
        if clean and best and best[0]:
            out.append((seed, inst, theta, best[0]))
        if len(out) == count:
            return out
    return out


CASES = planted_cases(8)


@pytest.mark.parametrize("case", CASES, ids=[str(c[0]) for c in CASES])
def test_calibration_recovers_the_planted_counterpart(case: tuple) -> None:
    _seed, inst, theta, chosen = case
    result = calibrate([inst], [deal(chosen, inst)], ratios=GRID, multipliers=GRID,
                       acceptances=GRID, search="grid")
    assert result.search == "grid"
    assert result.distance == 0  # the planted θ makes the observed deal optimal
    planted = dict(zip(["reciprocity_ratio", "value_multiplier.purchase",
                        "value_multiplier.regulatory", "acceptance_multiplier"], theta,
                       strict=True))
    for p in result.parameters:
        assert p.low <= planted[p.name] <= p.high, (p.name, p, planted)
        assert planted[p.name] in p.tied
    # the fitted θ makes the deal optimal too, by the oracle
    ratio, mp, mr, alpha = (result.values[n] for n in planted)
    best, _ = optima(plant(inst, ratio, {"purchase": mp, "regulatory": mr}, alpha))
    assert chosen in best
    # and the advisor's best strategy under it is an optimum of the oracle
    fit = result.fits[0]
    assert frozenset(fit.predicted) in best
    assert fit.nearest_distance == 0


def test_there_are_enough_planted_cases() -> None:
    assert len(CASES) == 8


@pytest.mark.parametrize("seed", [0, 3, 4, 7, 9, 12])
def test_the_distance_to_the_nearest_optimum_matches_enumeration(seed: int) -> None:
    inst = categorised(seed)
    rng = np.random.default_rng(100 + seed)
    observed = frozenset(d for d in inst.decision_ids() if rng.random() < 0.4)
    scorer = InstanceScorer(inst, observed, CATEGORIES)
    # ratios from low to high: h falls, so later points may reuse earlier solutions
    for ratio in (0.25, 0.5, 1.0, 2.0, 4.0):
        for mp, mr in ((1.0, 1.0), (2.0, 0.5), (0.5, 2.0)):
            for alpha in (0.5, 1.0):
                best, _ = optima(plant(inst, ratio, {"purchase": mp, "regulatory": mr}, alpha))
                score = scorer.score(ratio, {"purchase": mp, "regulatory": mr}, alpha)
                if not best:
                    assert not score.solved
                    continue
                expected = min(len(b ^ observed) for b in best)
                assert score.distance == expected, (ratio, mp, mr, alpha)
                assert score.nearest in best


def test_a_coordinate_fit_no_single_parameter_change_improves() -> None:
    inst = categorised(4)
    rng = np.random.default_rng(4)
    observed = deal(frozenset(d for d in inst.decision_ids() if rng.random() < 0.5), inst)
    result = calibrate([inst], [observed], ratios=GRID, multipliers=GRID, acceptances=GRID,
                       search="coordinate")
    names = ["reciprocity_ratio", "value_multiplier.purchase", "value_multiplier.regulatory",
             "acceptance_multiplier"]
    scorer = InstanceScorer(inst, observed.decisions, CATEGORIES)  # a fresh one

    def score(theta: dict[str, float]) -> tuple[int, float]:
        m = {"purchase": theta[names[1]], "regulatory": theta[names[2]]}
        s = scorer.score(theta[names[0]], m, theta[names[3]])
        return s.distance, s.gap

    here = score(result.values)
    assert here == (result.distance, pytest.approx(result.gap))
    for name in names:
        for value in GRID:
            other = score(dict(result.values, **{name: value}))
            assert other[0] > here[0] or (other[0] == here[0] and other[1] >= here[1] - 1e-6)


def write_deal(folder: Path, text: str) -> None:
    (folder / "observed.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def indonesia(tmp_path: Path) -> Path:
    folder = tmp_path / "indonesia"
    shutil.copytree(ROOT / "instances" / "indonesia_us_2025", folder)
    return folder


def test_the_shipped_observed_deals_are_read() -> None:
    for name in ("thailand", "vietnam", "indonesia"):
        folder = ROOT / "instances" / f"{name}_us_2025"
        observed = read_observed(folder, advisor.load_instance(folder))
        assert observed.offers and observed.source


def test_bad_observed_files_give_located_errors(indonesia: Path) -> None:
    inst = advisor.load_instance(indonesia)
    write_deal(indonesia, """
[deal]
offers = ["ENERGY", "NOPE", "ENERGY", 3]
colour = "red"

[[granted]]
request = "PALM_annex0"
tier = "cut to 10%"

[[granted]]
request = "PALM_cut10"

[[granted]]
request = "CHIPS"

[[granted]]
tier = "0%"
""")
    with pytest.raises(InstanceError) as info:
        read_observed(indonesia, inst)
    found = {(p.column, p.message.split(";")[0].split(" (")[0]) for p in info.value.problems}
    columns = sorted(str(p.column) for p in info.value.problems)
    assert columns == sorted([
        "deal.source", "deal.offers[2]", "deal.offers[3]", "deal.offers[4]", "deal.colour",
        "granted[1].tier", "granted[2].request", "granted[3].request", "granted[4].request",
    ]), found
    assert all(p.file == "observed.toml" for p in info.value.problems)
    messages = {p.column: p.message for p in info.value.problems}
    assert "'NOPE' is not an offer in offers.csv" in messages["deal.offers[2]"]
    assert "listed twice" in messages["deal.offers[3]"]
    assert "second tier of sector 'PALM'" in messages["granted[2].request"]
    assert "'CHIPS' is not a request" in messages["granted[3].request"]


def test_a_missing_or_broken_observed_file(indonesia: Path) -> None:
    inst = advisor.load_instance(indonesia)
    (indonesia / "observed.toml").unlink()
    with pytest.raises(InstanceError, match="missing: calibration needs"):
        read_observed(indonesia, inst)
    write_deal(indonesia, "[deal\n")
    with pytest.raises(InstanceError, match="not valid TOML"):
        read_observed(indonesia, inst)


def test_the_calibrated_copy_holds_the_fitted_values(indonesia: Path, tmp_path: Path) -> None:
    inst = advisor.load_instance(indonesia)
    values = {"reciprocity_ratio": 6.0, "value_multiplier.purchase": 0.5,
              "value_multiplier.tariff": 2.0, "value_multiplier.regulatory": 1.0,
              "value_multiplier.security": 1.0, "value_multiplier.investment": 0.25,
              "acceptance_multiplier": 1.5}
    target = tmp_path / "calibrated"
    write_calibrated(inst, values, target)
    loaded = advisor.load_instance(target)
    assert loaded.reciprocity_ratio == 6.0
    by_id = {o.offer: o for o in inst.offers}
    for o in loaded.offers:
        factor = {"purchase": 0.5, "tariff": 2.0, "investment": 0.25}.get(o.category, 1.0)
        assert o.counterpart_value == pytest.approx(by_id[o.offer].counterpart_value * factor)
    for new, old in zip(loaded.requests, inst.requests, strict=True):
        assert new.acceptance == pytest.approx(min(1.0, 1.5 * old.acceptance))
    with pytest.raises(FileExistsError):
        write_calibrated(inst, values, target)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "solve.py"), *args],
                          capture_output=True, text=True, cwd=ROOT, check=False)


SMALL = ("--ratios", "4,8,16", "--multipliers", "0.5,1", "--acceptances", "1,2")


def test_cli_json_is_identical_run_to_run() -> None:
    args = ("calibrate", "instances/indonesia_us_2025", "instances/vietnam_us_2025",
            "--leave-one-out", "--predict", "instances/malaysia_us_2025", *SMALL,
            "--search", "coordinate", "--format", "json", "-q")
    first, second = run_cli(*args), run_cli(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    doc = json.loads(first.stdout)
    assert doc["report"] == "calibrate"
    assert set(doc["parameters"]) >= {"reciprocity_ratio", "acceptance_multiplier",
                                      "value_multiplier.purchase"}
    ratio = doc["parameters"]["reciprocity_ratio"]
    assert ratio["interval"][0] <= ratio["value"] <= ratio["interval"][1]
    assert len(doc["leave_one_out"]) == 2 and len(doc["predictions"]) == 1
    assert doc["predictions"][0]["observed"] is None


def test_cli_bad_observed_deal_exits_2_with_located_problems(indonesia: Path) -> None:
    write_deal(indonesia, '[deal]\nsource = "x"\noffers = ["NOPE"]\n')
    done = run_cli("calibrate", str(indonesia), *SMALL)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "observed.toml" in done.stderr and "deal.offers[1]" in done.stderr
    assert "'NOPE' is not an offer in offers.csv" in done.stderr


def test_cli_apply_writes_a_folder_rank_can_use(tmp_path: Path) -> None:
    target = tmp_path / "malaysia_calibrated"
    done = run_cli("calibrate", "instances/indonesia_us_2025", *SMALL, "--predict",
                   "instances/malaysia_us_2025", "--apply", str(target), "-q",
                   "--format", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    fitted = doc["parameters"]["reciprocity_ratio"]["value"]
    assert advisor.load_instance(target).reciprocity_ratio == fitted
    ranked = run_cli("rank", str(target), "--top", "1", "--format", "json", "--objective",
                     "expected")
    assert ranked.returncode == 0, ranked.stderr
    # rank on the calibrated copy advises the deal calibrate predicted
    assert json.loads(ranked.stdout)["strategies"][0]["decisions"] == \
        doc["predictions"][0]["predicted"]
    again = run_cli("calibrate", "instances/indonesia_us_2025", *SMALL, "--predict",
                    "instances/malaysia_us_2025", "--apply", str(target))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_arguments_are_checked() -> None:
    inst = categorised(0)
    with pytest.raises(TypeError):
        calibrate(inst)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ratios"):
        calibrate([inst], [deal(frozenset(), inst)], ratios=[0.0, 1.0])
    with pytest.raises(ValueError, match="leave_one_out"):
        calibrate([inst], [deal(frozenset(), inst)], leave_one_out=True)


def test_the_help_examples_run(tmp_path: Path) -> None:
    """Every example of ``calibrate --help`` runs (the --apply folder moved to tmp_path)."""
    from advisor.cli.calibrate import EPILOG

    text = EPILOG.split("exit codes:")[0].replace("\\\n", " ")
    examples = [line.strip() for line in text.splitlines() if "python solve.py" in line]
    assert len(examples) == 5
    for example in examples:
        example = example.replace("/tmp/malaysia_calibrated", str(tmp_path / "calibrated"))
        argv = example.split(">")[0].split()[2:]
        run = run_cli(*argv)
        assert run.returncode == 0, (example, run.stderr)
        assert "Traceback" not in run.stderr
