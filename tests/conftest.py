"""Fixtures shared by the test modules.

- ``tiny``: instances/tiny, loaded once;
- ``solve_py``: runs ``python solve.py ARGS`` in a subprocess, as a user would;
- ``write_small_instance``: writes the small negotiation that tests/test_cli.py and
  tests/test_report.py solve (two markets, two sectors, three requests, three offers,
  one condition); each module names it and changes what its tests need.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import advisor
from advisor.instance import Instance

# tests/helpers.py holds shared assertions: rewrite them like the tests' own
pytest.register_assert_rewrite("helpers")

ROOT = Path(__file__).resolve().parent.parent
SOLVE = ROOT / "solve.py"
TINY = ROOT / "instances" / "tiny"


@pytest.fixture(scope="session")
def tiny() -> Instance:
    return advisor.load_instance(TINY)


@pytest.fixture(scope="session")
def malaysia() -> Instance:
    return advisor.load_instance(ROOT / "instances" / "malaysia_us_2025")


@pytest.fixture(scope="session")
def infeasible_example() -> Instance:
    return advisor.load_instance(ROOT / "instances" / "infeasible_example")


def _solve_py(
    *args: str | Path, cwd: Path | None = None, stdout=subprocess.PIPE
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SOLVE), *map(str, args)],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture(scope="session")
def solve_py() -> Callable[..., subprocess.CompletedProcess]:
    """``run(*args, cwd=None, stdout=subprocess.PIPE)``: ``python solve.py ARGS``, its
    output captured as text (stdout may go to an open file instead), within 120 s."""
    return _solve_py


SMALL_TOML = """\
name = "{name}"
home = "MYS"
counterpart = "USA"
currency = "USD"
unit = "million"
{head}
[model]
domestic_budget = 30
{tail}
"""
SMALL_TABLES = {
    "markets.csv": "market,name,exports\nUSA,United States,1000\nCHN,China,800\n",
    "sectors.csv": (
        "sector,name,exports,current_tariff,threat_tariff,elasticity\n"
        "IC,Integrated circuits,300,0%,25%,1.2\n"
        "FURN,Furniture,100,10%,19%,1.6\n"
    ),
    "requests.csv": (
        "request,sector,tier,tariff\n"
        "IC_perm0,IC,permanent 0%,0%\n"
        "IC_cap10,IC,cap 10%,10%\n"
        "FURN_cap10,FURN,cap 10%,10%\n"
    ),
    "offers.csv": (
        "offer,name,counterpart_value,domestic_cost\n"
        "BOEING,Aircraft purchases,40,10\n"
        "IP,IP enforcement,20,5\n"
        "EXPCTRL,Export-control alignment,60,15\n"
    ),
    "offer_effects.csv": "offer,market,export_change\nEXPCTRL,CHN,-50\n",
    "conditions.csv": (
        "condition,kind,members,description\n"
        "c1,requires,IC_perm0;EXPCTRL,A permanent chip exemption needs export-control alignment\n"
    ),
}


def _write_small_instance(
    folder: Path, name: str, head: str = "", tail: str = "", **tables: str
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    toml = SMALL_TOML.format(name=name, head=head, tail=tail)
    (folder / "instance.toml").write_text(toml, encoding="utf-8")
    for file, text in {**SMALL_TABLES, **tables}.items():
        (folder / file).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def write_small_instance() -> Callable[..., Path]:
    """``write(folder, name, head="", tail="", **tables) -> folder``: the small instance.

    ``head`` adds top-level keys to instance.toml; ``tail`` comes after ``[model]
    domestic_budget = 30`` (more model keys, then other tables); ``tables`` replace
    CSV files by name, e.g. ``**{"sectors.csv": text}``.
    """
    return _write_small_instance


# ------------------------------------------------------------ Hypothesis profiles
# tests/test_fuzz.py, a property-based fuzzer. "ci" (the default) is derandomized and
# small, so that `pytest` stays within its time; "long" draws 50 times as many random
# examples and runs the tests marked slow: HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py
import os  # noqa: E402

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=12,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=1000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
