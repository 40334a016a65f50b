"""Reading ``instance.toml``: the negotiation's settings and its scenarios.

Every key is checked against what the format allows (an unknown key is a problem,
not a silent default) and every value parsed with the cell parsers of
:mod:`advisor.inputs.cells`, each problem located as ``instance.toml, key``. The
result is a plain dict of settings and the scenarios; :mod:`advisor.inputs.loader`
joins them with the CSV tables and checks what spans files.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from advisor.errors import Problem
from advisor.inputs.bargaining import parse_bargaining
from advisor.inputs.cells import (
    CellError,
    parse_count,
    parse_elasticity,
    parse_fraction,
    parse_id,
    parse_money_nonnegative,
    parse_nonnegative,
    parse_positive,
    parse_tariff_cell,
)
from advisor.inputs.tables import read_text
from advisor.instance import (
    DISTINCT_ON,
    OBJECTIVES,
    RECIPROCITY_MODES,
    SHARE_MODES,
    Ranking,
    Scenario,
    frozen_mapping,
)

TOML_FILE = "instance.toml"


class _TomlReader:
    """Typed access to ``instance.toml`` that records located problems."""

    def __init__(self, data: dict[str, Any], problems: list[Problem]) -> None:
        self.data = data
        self.problems = problems

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(TOML_FILE, None, key, message))

    def check_keys(self, table: dict[str, Any], allowed: Iterable[str], prefix: str) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                self.problem(prefix + key, f"unknown key; expected one of: {', '.join(allowed)}")

    def value(
        self,
        table: dict[str, Any],
        key: str,
        prefix: str,
        parse: Callable[[Any], Any],
        default: Any = None,
        required: bool = False,
    ) -> Any:
        if key not in table:
            if required:
                self.problem(prefix + key, "a value is required")
            return default
        raw = table[key]
        try:
            return parse(raw)
        except CellError as exc:
            self.problem(prefix + key, str(exc))
            return default

    def table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            self.problem(key, "expected a table, e.g. [" + key + "]")
            return {}
        return value


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise CellError(f"expected text in quotes, found {raw!r}")
    return raw.strip()


def _nonempty_text(raw: Any) -> str:
    text = _text(raw)
    if not text:
        raise CellError("expected non-empty text")
    return text


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        text = _text(raw)
        if text not in options:
            raise CellError(f"expected one of {', '.join(options)}, found '{text}'")
        return text

    return parse


def _boolean(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise CellError(f"expected true or false (no quotes), found {raw!r}")
    return raw


def _whole(minimum: int) -> Callable[[Any], int]:
    def parse(raw: Any) -> int:
        value = parse_count(raw)
        if value < minimum:
            raise CellError(f"expected a whole number >= {minimum}, found {raw}")
        return value

    return parse


def read_toml(folder: Path, problems: list[Problem]) -> dict[str, Any] | None:
    """``instance.toml`` as a dict, or None with the problem that stopped it."""
    text = read_text(folder / TOML_FILE, TOML_FILE, problems)
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError, an over-long integer
        match = re.search(r"line (\d+)", str(exc))
        problems.append(
            Problem(
                TOML_FILE, int(match.group(1)) if match else None, None, f"not valid TOML: {exc}"
            )
        )
        return None
    return data


TOP_KEYS = (
    "name",
    "description",
    "home",
    "counterpart",
    "currency",
    "unit",
    "sources",
    "model",
    "market_share_caps",
    "market_share_floors",
    "ranking",
    "scenarios",
    "bargaining",
)
MODEL_KEYS = (
    "offer_cost_weight",
    "reciprocity_ratio",
    "domestic_budget",
    "counterpart_cost_weight",
    "objective",
    "offer_effects_in_objective",
    "reciprocity",
    "shares",
)
RANKING_KEYS = ("top", "min_difference", "mip_gap", "time_limit", "distinct_on")
SCENARIO_KEYS = (
    "name",
    "probability",
    "description",
    "threat_tariff",
    "current_tariff",
    "elasticity",
)


def parse_settings(data: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """Every setting of ``instance.toml``, parsed, with a problem for each bad key."""
    toml = _TomlReader(data, problems)
    toml.check_keys(data, TOP_KEYS, "")
    out: dict[str, Any] = {
        "name": toml.value(data, "name", "", _nonempty_text, "", required=True),
        "description": toml.value(data, "description", "", _text, ""),
        "home": toml.value(data, "home", "", parse_id, "", required=True),
        "counterpart": toml.value(data, "counterpart", "", parse_id, "", required=True),
        "currency": toml.value(data, "currency", "", _nonempty_text, "", required=True),
        "unit": toml.value(data, "unit", "", _text, "", required=True),
        "sources": _parse_sources(toml),
    }
    model = toml.table("model")
    toml.check_keys(model, MODEL_KEYS, "model.")
    out["offer_cost_weight"] = toml.value(
        model, "offer_cost_weight", "model.", parse_nonnegative, 1.0
    )
    out["reciprocity_ratio"] = toml.value(
        model, "reciprocity_ratio", "model.", parse_nonnegative, 1.0
    )
    out["domestic_budget"] = toml.value(
        model, "domestic_budget", "model.", parse_money_nonnegative, None
    )
    out["counterpart_cost_weight"] = toml.value(
        model, "counterpart_cost_weight", "model.", parse_nonnegative, 1.0
    )
    out["objective"] = toml.value(model, "objective", "model.", _choice(OBJECTIVES), "expected")
    out["offer_effects_in_objective"] = toml.value(
        model, "offer_effects_in_objective", "model.", _boolean, True
    )
    out["reciprocity"] = toml.value(
        model, "reciprocity", "model.", _choice(RECIPROCITY_MODES), "expected"
    )
    out["shares"] = toml.value(model, "shares", "model.", _choice(SHARE_MODES), "all_granted")
    for key in ("market_share_caps", "market_share_floors"):
        table = toml.table(key)
        out[key] = {
            market: share
            for market in table
            if (share := toml.value(table, market, key + ".", parse_fraction)) is not None
        }
    bargaining = parse_bargaining(data.get("bargaining", {}), problems)
    out["counterpart_reservation"] = bargaining.counterpart_reservation
    out["ranking"] = _parse_ranking(toml)
    out["scenarios"] = _parse_scenarios(toml)
    return out


def _parse_sources(toml: _TomlReader) -> tuple[str, ...]:
    raw = toml.data.get("sources", [])
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        toml.problem("sources", "expected a list of citations in quotes")
        return ()
    return tuple(raw)


def _parse_ranking(toml: _TomlReader) -> Ranking:
    table = toml.table("ranking")
    toml.check_keys(table, RANKING_KEYS, "ranking.")
    base = Ranking()
    return Ranking(
        top=toml.value(table, "top", "ranking.", _whole(1), base.top),
        min_difference=toml.value(
            table, "min_difference", "ranking.", _whole(1), base.min_difference
        ),
        mip_gap=toml.value(table, "mip_gap", "ranking.", parse_fraction, base.mip_gap),
        time_limit=toml.value(table, "time_limit", "ranking.", parse_positive, base.time_limit),
        distinct_on=toml.value(
            table, "distinct_on", "ranking.", _choice(DISTINCT_ON), base.distinct_on
        ),
    )


def _parse_scenarios(toml: _TomlReader) -> list[dict[str, Any]]:
    raw = toml.data.get("scenarios", [])
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        toml.problem("scenarios", "expected [[scenarios]] tables")
        return []
    scenarios = []
    for index, table in enumerate(raw, start=1):
        prefix = f"scenarios[{index}]."
        toml.check_keys(table, SCENARIO_KEYS, prefix)
        scenario: dict[str, Any] = {
            "name": toml.value(table, "name", prefix, parse_id, f"scenario{index}", required=True),
            "probability": toml.value(
                table, "probability", prefix, parse_fraction, 0.0, required=True
            ),
            "description": toml.value(table, "description", prefix, _text, ""),
        }
        for key, parse in (
            ("threat_tariff", parse_tariff_cell),
            ("current_tariff", parse_tariff_cell),
            ("elasticity", parse_elasticity),
        ):
            overrides = table.get(key, {})
            if not isinstance(overrides, dict):
                toml.problem(prefix + key, 'expected an inline table, e.g. { IC = "25%" }')
                overrides = {}
            scenario[key] = {
                sector: value
                for sector in overrides
                if (value := toml.value(overrides, sector, f"{prefix}{key}.", parse)) is not None
            }
        scenarios.append(scenario)
    return scenarios


# ------------------------------------------------------------------------ assembling


def parse_scenarios(settings: dict[str, Any], problems: list[Problem]) -> tuple[Scenario, ...]:
    """The scenarios (one ``base`` if none): names unique, probabilities adding to 1."""
    raw = settings["scenarios"]
    if not raw:
        return (Scenario("base", 1.0, "the values in sectors.csv"),)
    names: set[str] = set()
    for index, scenario in enumerate(raw, start=1):
        if scenario["name"] in names:
            problems.append(
                Problem(
                    TOML_FILE,
                    None,
                    f"scenarios[{index}].name",
                    f"duplicate scenario name '{scenario['name']}'",
                )
            )
        names.add(scenario["name"])
    total = sum(s["probability"] for s in raw)
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        problems.append(
            Problem(
                TOML_FILE,
                None,
                "scenarios",
                f"scenario probabilities add up to {total:.6g}, expected 1",
            )
        )
    return tuple(
        Scenario(
            name=s["name"],
            probability=s["probability"],
            description=s["description"],
            threat_tariff=frozen_mapping(s["threat_tariff"]),
            current_tariff=frozen_mapping(s["current_tariff"]),
            elasticity=frozen_mapping(s["elasticity"]),
        )
        for s in raw
    )
