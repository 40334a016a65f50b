"""The ASEAN peer instances (issue 14): Thailand, Vietnam and Indonesia with the US.

Each is held to the Malaysia instance's standard: enough sectors, tiers, offers with
effects on other markets, conditions, a market-share cap or floor and the four threat
scenarios; every numeric cell sourced or labelled EST; a feasible ranking whose
strategies the independent checker accepts; and an objective regression.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

import advisor
from advisor.checker import rule_violations

INSTANCES = Path(__file__).resolve().parents[1] / "instances"
PEERS = ("thailand_us_2025", "vietnam_us_2025", "indonesia_us_2025")
HOMES = {"thailand_us_2025": "THA", "vietnam_us_2025": "VNM", "indonesia_us_2025": "IDN"}
SCENARIOS = {"exemptions_kept", "s232_25", "chips_100", "peers_exempted"}

# The best objective of each instance (USD million of exports, net of 0.5 x offer cost),
# as the data files stand: offers' export changes count in the objective (the default
# `offer_effects_in_objective`) and their domestic costs no longer price them (issue 13);
# Vietnam's includes its linkages.csv. After a deliberate data change, re-derive with
# advisor.solve(advisor.load_instance(path), top=1).
OPTIMUM = {
    "thailand_us_2025": 2363.383288,
    "vietnam_us_2025": 4523.62138,
    "indonesia_us_2025": 500.080231,
}

# numeric columns of each table (money, tariffs, shares, elasticities, probabilities)
NUMERIC = {
    "markets.csv": ("exports",),
    "sectors.csv": (
        "exports",
        "current_tariff",
        "threat_tariff",
        "elasticity",
        "sensitivity",
    ),
    "requests.csv": ("tariff", "acceptance", "counterpart_cost"),
    "offers.csv": ("counterpart_value", "domestic_cost"),
    "offer_effects.csv": ("export_change",),
    "conditions.csv": ("count",),
}


def load(name: str) -> advisor.Instance:
    return advisor.load_instance(INSTANCES / name)


@pytest.fixture(scope="module", params=PEERS)
def peer(request) -> tuple[str, advisor.Instance]:
    return request.param, load(request.param)


def test_loads_without_warnings_at_the_malaysia_standard(peer) -> None:
    name, inst = peer
    assert inst.warnings == (), [str(w) for w in inst.warnings]
    assert (inst.home, inst.counterpart) == (HOMES[name], "USA")
    assert (inst.currency, inst.unit.lower()) == ("USD", "million")
    assert len(inst.sectors) >= 8
    assert all(s.hs_codes.strip() for s in inst.sectors), "a sector without HS codes"
    tiers = Counter(r.sector for r in inst.requests)
    assert set(tiers) == {s.sector for s in inst.sectors}, "a sector has no request tier"
    assert min(tiers.values()) >= 2, f"tiers per sector: {dict(tiers)}"
    assert len(inst.offers) >= 12
    assert len(inst.conditions) >= 8
    assert len({c.kind for c in inst.conditions}) >= 4, "too few kinds of condition"
    others = {e.market for e in inst.offer_effects} - {inst.counterpart}
    assert others, "no offer moves exports to a market other than the counterpart"
    assert inst.market_share_caps or inst.market_share_floors
    assert {w.name for w in inst.scenarios} == SCENARIOS
    assert sum(w.probability for w in inst.scenarios) == pytest.approx(1.0)
    counterpart = inst.market_by_id["USA"] if hasattr(inst, "market_by_id") else next(
        m for m in inst.markets if m.market == "USA"
    )
    assert counterpart.exports >= sum(s.exports for s in inst.sectors)


def _rows(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / table, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("name", PEERS)
def test_every_numeric_cell_is_sourced_or_labelled_est(name: str) -> None:
    folder = INSTANCES / name
    inst = load(name)
    cited = [s.split(" (")[0].strip() for s in inst.sources]
    bare = []
    for table, columns in NUMERIC.items():
        for number, row in enumerate(_rows(folder, table), start=2):
            filled = [c for c in columns if (row.get(c) or "").strip()]
            if not filled:
                continue
            source = (row.get("source") or "").strip()
            note = (row.get("note") or "") + (row.get("description") or "")
            where = f"{table} row {number}"
            if not source:
                bare.append(f"{where}: no source")
            elif "EST" in source:
                # an estimate carries its reasoning: a note (or a condition's description)
                if len(note.strip()) < 20:
                    bare.append(f"{where}: EST without its reasoning in the note")
            elif not any(c and c in source for c in cited):
                bare.append(f"{where}: source {source!r} is not in instance.toml's sources")
    assert not bare, "\n".join(bare)


@pytest.mark.parametrize("name", PEERS)
def test_every_number_in_instance_toml_is_commented(name: str) -> None:
    """Each numeric setting (model, caps, floors, scenario probabilities and
    elasticities) carries a comment saying where it comes from: EST or judgement."""
    text = (INSTANCES / name / "instance.toml").read_text(encoding="utf-8")
    setting = re.compile(
        r"^(offer_cost_weight|reciprocity_ratio|domestic_budget|probability|elasticity"
        r"|[A-Z]{3})\s*="
    )
    silent = [
        line
        for line in text.splitlines()
        if setting.match(line) and not re.search(r"#.*(EST|judgement)", line)
    ]
    assert not silent, silent


@pytest.mark.parametrize("name", PEERS)
def test_solves_to_checked_strategies_and_the_regression(name: str) -> None:
    inst = load(name)
    result = advisor.solve(inst, top=3, with_measures=False)
    assert result.status in ("optimal", "exhausted")
    assert len(result.strategies) == 3
    for s in result.strategies:
        assert rule_violations(inst, s.decisions) == [], s.decisions
    best = result.strategies[0]
    assert best.objective > 0
    assert any(d in inst.offer_by_id for d in best.decisions), "the best strategy offers nothing"
    assert any(d in inst.request_by_id for d in best.decisions), "the best strategy asks nothing"
    assert best.objective == pytest.approx(OPTIMUM[name], abs=1e-3)


@pytest.mark.parametrize("name", PEERS)
def test_the_conditions_matter(name: str) -> None:
    """Dropping every condition changes the best strategy: the rules bind somewhere."""
    import dataclasses

    inst = load(name)
    free = dataclasses.replace(inst, conditions=())
    bound = advisor.solve(inst, top=1, with_measures=False).strategies[0]
    unbound = advisor.solve(free, top=1, with_measures=False).strategies[0]
    assert unbound.objective > bound.objective + 1.0
