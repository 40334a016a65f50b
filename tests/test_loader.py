"""The loader: every mistake located (file, spreadsheet row, column), all in one pass.

Each test writes a small valid instance folder into ``tmp_path`` and breaks it in one
way, then checks that :func:`advisor.load_instance` raises :class:`advisor.InstanceError`
with the problem at the exact file, row (header = 1) and column, and a message that
says what is wrong. The shipped instances are loaded at the end.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from helpers import append, edit, problems_of

import advisor
from advisor import InstanceError, Problem

INSTANCES = Path(__file__).resolve().parent.parent / "instances"

BASE = {
    "instance.toml": """\
name = "Fixture negotiation"
description = "A small valid instance for the loader tests"
home = "MYS"
counterpart = "USA"
currency = "USD"
unit = "million"
sources = ["test fixture"]

[model]
offer_cost_weight = 1.0
reciprocity_ratio = 1.0

[market_share_caps]
USA = "40%"

[[scenarios]]
name = "calm"
probability = 0.6

[[scenarios]]
name = "s232"
probability = 0.4
threat_tariff = { IC = "25%" }
""",
    "markets.csv": """\
market,name,exports,source
USA,United States,1000,fixture
CHN,China,800,fixture
ROW,Rest of world,2000,fixture
""",
    "sectors.csv": """\
sector,name,hs_codes,exports,current_tariff,threat_tariff,elasticity,sensitivity
IC,Integrated circuits,8542,300,0,0.25,3,1
RUB,Rubber gloves,4015,100,19%,0.3,4,
""",
    "requests.csv": """\
request,sector,tier,tariff,acceptance,counterpart_cost
IC_0,IC,permanent 0%,0,0.5,
IC_10,IC,cap 10%,0.1,0.8,
RUB_0,RUB,permanent 0%,0,0.6,
""",
    "offers.csv": """\
offer,name,category,counterpart_value,domestic_cost
BOEING,Buy Boeing aircraft,purchase,200,50
LNG,Buy US LNG,purchase,150,40
""",
    "offer_effects.csv": """\
offer,market,export_change
LNG,CHN,-20
""",
    "conditions.csv": """\
condition,kind,members,count,description
c1,excludes,IC_0;IC_10,,
c2,at_most,BOEING;LNG,1,
c3,requires,RUB_0;LNG,,
""",
}
CSV_FILES = tuple(name for name in BASE if name.endswith(".csv"))
TOML_HEAD = BASE["instance.toml"].partition("[model]")[0]  # the keys before any table
GARBAGE = bytes(range(256)) * 8


# ----------------------------------------------------------------------------- helpers


def make(tmp_path: Path, files: dict[str, str | bytes | None] | None = None) -> Path:
    """Write the base instance into a fresh folder, with ``files`` replacing (None: removing)."""
    folder = tmp_path / "inst"
    folder.mkdir(parents=True)
    contents: dict[str, str | bytes | None] = {**BASE, **(files or {})}
    for name, text in contents.items():
        if text is None:
            continue
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


def the_problem(folder: Path) -> Problem:
    """The single problem the folder has (fails if there are others)."""
    problems = problems_of(folder)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def assert_located(problem: Problem, file: str, row: int | None, column: str | None, phrase: str):
    assert (problem.file, problem.row, problem.column) == (file, row, column), str(problem)
    assert phrase.lower() in problem.message.lower(), str(problem)


def find(problems: tuple[Problem, ...], file: str, row: int | None, column: str | None) -> Problem:
    for p in problems:
        if (p.file, p.row, p.column) == (file, row, column):
            return p
    raise AssertionError(
        f"no problem at {(file, row, column)} in:\n" + "\n".join(map(str, problems))
    )


# ------------------------------------------------------------------------- the base


def test_base_fixture_loads(tmp_path):
    instance = advisor.load_instance(make(tmp_path))
    assert isinstance(instance, advisor.Instance)
    assert instance.name == "Fixture negotiation"
    assert (instance.home, instance.counterpart) == ("MYS", "USA")
    assert [m.market for m in instance.markets] == ["USA", "CHN", "ROW"]
    assert [s.sector for s in instance.sectors] == ["IC", "RUB"]
    assert [r.request for r in instance.requests] == ["IC_0", "IC_10", "RUB_0"]
    assert [o.offer for o in instance.offers] == ["BOEING", "LNG"]
    assert instance.sector_by_id["RUB"].current_tariff == pytest.approx(0.19)
    assert instance.sector_by_id["RUB"].sensitivity == 1.0  # blank optional cell: default
    assert instance.request_by_id["IC_0"].counterpart_cost is None
    assert instance.offer_effects[0].export_change == -20
    assert instance.conditions[0].members == ("IC_0", "IC_10")
    assert instance.conditions[1].count == 1
    assert instance.conditions[2].count is None
    assert [(s.name, s.probability) for s in instance.scenarios] == [("calm", 0.6), ("s232", 0.4)]
    assert instance.scenarios[1].threat_tariff["IC"] == pytest.approx(0.25)
    assert instance.market_share_caps["USA"] == pytest.approx(0.4)
    assert instance.markets[0].source == "fixture"
    assert Path(instance.path).name == "inst"


def test_accepts_a_str_path(tmp_path):
    assert advisor.load_instance(str(make(tmp_path))).name == "Fixture negotiation"


def test_instance_is_immutable(tmp_path):
    instance = advisor.load_instance(make(tmp_path))
    with pytest.raises(dataclasses.FrozenInstanceError):
        instance.name = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        instance.sectors[0].exports = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        instance.market_share_caps["USA"] = 0.9  # type: ignore[index]
    with pytest.raises(TypeError):
        instance.scenarios[1].threat_tariff["IC"] = 0.0  # type: ignore[index]
    with pytest.raises(TypeError):
        instance.sector_by_id["XX"] = instance.sectors[0]  # type: ignore[index]
    with pytest.raises(AttributeError):
        instance.sectors.append(instance.sectors[0])  # type: ignore[attr-defined]
    assert isinstance(instance.markets, tuple)
    assert isinstance(instance.conditions[0].members, tuple)


def test_error_text_and_records(tmp_path):
    folder = make(tmp_path)
    edit(folder, "sectors.csv", "IC,Integrated circuits,8542,300", "IC,Integrated circuits,8542,x")
    with pytest.raises(InstanceError) as info:
        advisor.load_instance(folder)
    text = str(info.value)
    assert "1 problem" in text
    assert "sectors.csv, row 2, column 'exports'" in text
    assert info.value.to_records() == [
        {
            "file": "sectors.csv",
            "row": 2,
            "column": "exports",
            "message": info.value.problems[0].message,
        }
    ]


# ------------------------------------------------- one mistake, one located problem

# Each case changes the base instance in one way, then names the single problem the
# loader must report: its (row, column, phrase of the message) in the changed file.

# (file, a text of the base instance, its replacement)
BROKEN_VALUES = [
    # headers
    pytest.param(
        ("offers.csv", "name,category,", "name,categroy,"),
        (1, "categroy", "unknown column"),
        id="unknown_optional_column_typo_is_not_ignored",
    ),
    # references
    pytest.param(
        ("requests.csv", "IC_10,IC,", "IC_10,ICX,"),
        (3, "sector", "'ICX' is not a"),
        id="request_for_unknown_sector",
    ),
    pytest.param(
        ("offer_effects.csv", "LNG,CHN,-20", "LNG,JPN,-20"),
        (2, "market", "'JPN' is not a"),
        id="offer_effect_unknown_market",
    ),
    pytest.param(
        ("conditions.csv", "c2,at_most,BOEING;LNG,1", "c2,at_most,BOEING;LNGX,1"),
        (3, "members", "'LNGX' is not a"),
        id="condition_member_unknown",
    ),
    # cells
    pytest.param(
        ("sectors.csv", "RUB,Rubber gloves,4015,100,", "RUB,Rubber gloves,4015,lots,"),
        (3, "exports", "expected a number"),
        id="non_numeric_value",
    ),
    pytest.param(
        ("offers.csv", "LNG,Buy US LNG,purchase,150,40", "LNG,Buy US LNG,purchase,,40"),
        (3, "counterpart_value", "required"),
        id="required_cell_left_blank",
    ),
    pytest.param(
        ("markets.csv", "CHN,China,800", "CHN,China,-800"),
        (3, "exports", ">= 0"),
        id="negative_market_exports",
    ),
    pytest.param(
        ("offers.csv", "purchase,200,50", "purchase,200,-50"),
        (2, "domestic_cost", ">= 0"),
        id="negative_domestic_cost",
    ),
    pytest.param(
        ("sectors.csv", "19%,0.3,4", "19%,1500%,4"),
        (3, "threat_tariff", "between 0 and 10"),
        id="tariff_above_ten",
    ),
    pytest.param(
        ("requests.csv", "IC_10,IC,cap 10%,0.1,0.8,", "IC_10,IC,cap 10%,0.1,1.2,"),
        (3, "acceptance", "between 0 and 1"),
        id="acceptance_above_one",
    ),
    # conditions
    pytest.param(
        ("conditions.csv", "c3,requires,", "c3,implies,"),
        (4, "kind", "expected one of"),
        id="condition_wrong_kind",
    ),
    pytest.param(
        ("conditions.csv", "c2,at_most,BOEING;LNG,1,", "c2,at_most,BOEING;LNG,,"),
        (3, "count", "needs a count"),
        id="condition_at_most_without_count",
    ),
    pytest.param(
        ("conditions.csv", "c3,requires,RUB_0;LNG", "c3,requires,RUB_0"),
        (4, "members", "at least two members"),
        id="condition_requires_with_one_member",
    ),
    pytest.param(
        ("conditions.csv", "c2,at_most,BOEING;LNG,1,", "c2,at_most,BOEING;LNG,one,"),
        (3, "count", "expected a number"),
        id="condition_count_not_a_number_is_reported_once",
    ),
    pytest.param(
        ("conditions.csv", "c2,at_most,BOEING;LNG,1", "c2,at_most,BOEING;LNG;BOEING,1"),
        (3, "members", "named twice"),
        id="condition_member_named_twice",
    ),
    # instance.toml
    pytest.param(
        ("instance.toml", "probability = 0.4", "probability = 0.3"),
        (None, "scenarios", "add up to 0.9"),
        id="scenario_probabilities_do_not_sum_to_one",
    ),
    pytest.param(
        ("instance.toml", '{ IC = "25%" }', '{ IC = "25%", XX = "30%" }'),
        (None, "scenarios[2].threat_tariff.XX", "not a sector"),
        id="scenario_override_for_unknown_sector",
    ),
    pytest.param(
        ("instance.toml", '{ IC = "25%" }', '{ IC = "2500%" }'),
        (None, "scenarios[2].threat_tariff.IC", "between"),
        id="scenario_override_value_out_of_range",
    ),
    pytest.param(
        ("instance.toml", 'unit = "million"', 'unit = "million"\ncurency = "USD"'),
        (None, "curency", "unknown key"),
        id="unknown_top_level_toml_key",
    ),
    pytest.param(
        ("instance.toml", 'home = "MYS"\n', ""),
        (None, "home", "required"),
        id="missing_required_toml_key",
    ),
    pytest.param(
        ("instance.toml", 'unit = "million"', 'unit = "million'),
        (6, None, "not valid TOML"),
        id="invalid_toml",
    ),
    pytest.param(
        ("instance.toml", 'USA = "40%"', 'JPN = "10%"'),
        (None, "market_share_caps.JPN", "not a market"),
        id="market_cap_for_unknown_market",
    ),
    pytest.param(
        ("instance.toml", 'USA = "40%"\n', 'USA = "40%"\n\n[market_share_floors]\nUSA = 0.5\n'),
        (None, "market_share_floors.USA", "above the cap"),
        id="market_share_floor_above_cap",
    ),
    pytest.param(
        ("instance.toml", "reciprocity_ratio = 1.0", 'objective = "best"'),
        (None, "model.objective", "expected one of"),
        id="model_objective_choice",
    ),
    # counterpart's total
    pytest.param(
        ("markets.csv", "USA,United States,1000", "USA,United States,399"),
        (2, "exports", "less than the sum"),
        id="sector_exports_above_counterpart_market_exports",
    ),
]


@pytest.mark.parametrize(("change", "problem"), BROKEN_VALUES)
def test_a_broken_value_is_located(tmp_path, change, problem):
    name, old, new = change
    folder = make(tmp_path)
    edit(folder, name, old, new)
    assert_located(the_problem(folder), name, *problem)


# (file, a row added at its end)
ADDED_ROWS = [
    # ids
    pytest.param(
        ("offers.csv", "IC_0,Same id as a request,tariff,10,1\n"),
        (4, "offer", "already used in requests.csv"),
        id="namespace_collision_request_and_offer",
    ),
    pytest.param(
        ("offers.csv", "RUB,Same id as a sector,tariff,10,1\n"),
        (4, "offer", "already used in sectors.csv"),
        id="namespace_collision_sector_and_offer",
    ),
    # references
    pytest.param(
        ("offer_effects.csv", "PALM,CHN,5\n"),
        (3, "offer", "'PALM' is not a"),
        id="offer_effect_unknown_offer",
    ),
    pytest.param(
        ("offer_effects.csv", "LNG,CHN,-5\n"),
        (3, "market", "one row per offer"),
        id="offer_effect_pair_twice",
    ),
    # conditions
    pytest.param(
        ("conditions.csv", "c4,at_least,BOEING;LNG,3,\n"),
        (5, "count", "can never hold"),
        id="condition_at_least_count_above_members",
    ),
    # robustness
    pytest.param(
        ("offers.csv", "GAS,Gas,purchase,1,1,surplus\n"),
        (4, None, "expected 5 cells"),
        id="later_row_with_too_many_cells",
    ),
]


@pytest.mark.parametrize(("change", "problem"), ADDED_ROWS)
def test_an_added_row_is_located(tmp_path, change, problem):
    name, text = change
    folder = make(tmp_path)
    append(folder, name, text)
    assert_located(the_problem(folder), name, *problem)


# (file, its whole content)
BROKEN_FILES = [
    # headers
    pytest.param(
        ("markets.csv", "market,name\nUSA,United States\nCHN,China\n"),
        (1, "exports", "required column is missing"),
        id="missing_required_column",
    ),
    # Excel's quirks
    pytest.param(
        ("markets.csv", "market,name,exports,\nUSA,United States,1000,x\nCHN,China,800,\n"),
        (1, None, "no header"),
        id="values_in_a_column_without_header",
    ),
    # robustness
    # pandas would silently take the first column as an index and shift every value
    pytest.param(
        ("markets.csv", "market,name,exports\nUSA,USA,1000,2000\nCHN,China,800\n"),
        (2, None, "expected 3 cells"),
        id="first_row_with_too_many_cells",
    ),
    pytest.param(
        ("sectors.csv", GARBAGE), (None, None, "not UTF-8"), id="binary_garbage_says_not_utf8"
    ),
    pytest.param(
        ("markets.csv", ",,,\n" + BASE["markets.csv"]),
        (1, None, "first row is blank"),
        id="csv_whose_first_row_is_blank",
    ),
    pytest.param(("requests.csv", b""), (None, None, "empty"), id="empty_csv_file"),
    pytest.param(
        ("instance.toml", TOML_HEAD + 'model = "fast"\n'),
        (None, "model", "expected a table"),
        id="toml_table_that_is_a_string",
    ),
    pytest.param(
        ("instance.toml", TOML_HEAD + 'scenarios = ["calm"]\n'),
        (None, "scenarios", "[[scenarios]]"),
        id="toml_scenario_that_is_not_a_table",
    ),
]


@pytest.mark.parametrize(("change", "problem"), BROKEN_FILES)
def test_a_broken_file_is_located(tmp_path, change, problem):
    name, content = change
    folder = make(tmp_path, {name: content})
    assert_located(the_problem(folder), name, *problem)


# ------------------------------------------------------------------ files and folders


@pytest.mark.parametrize("name", [*CSV_FILES, "instance.toml"])
def test_missing_file(tmp_path, name):
    folder = make(tmp_path, {name: None})
    assert_located(the_problem(folder), name, None, None, "file not found")


def test_path_is_a_file_not_a_folder(tmp_path):
    path = tmp_path / "instance.toml"
    path.write_text(BASE["instance.toml"], encoding="utf-8")
    assert_located(the_problem(path), str(path), None, None, "expected a folder")


def test_path_does_not_exist(tmp_path):
    path = tmp_path / "nowhere"
    assert_located(the_problem(path), str(path), None, None, "no such folder")


# ----------------------------------------------------------------------------- headers


def test_unknown_column_typo(tmp_path):
    folder = make(tmp_path)
    edit(folder, "sectors.csv", "hs_codes,exports,", "hs_codes,exprots,")
    problems = problems_of(folder)
    assert len(problems) == 2, "\n".join(map(str, problems))
    unknown = find(problems, "sectors.csv", 1, "exprots")
    assert "unknown column" in unknown.message
    assert "exports" in unknown.message  # lists what was expected
    missing = find(problems, "sectors.csv", 1, "exports")
    assert "required column is missing" in missing.message


@pytest.mark.parametrize(
    ("header", "column"),
    [("market,name,exports,exports", "exports"), ("market,Name,name,exports", "name")],
)
def test_duplicate_column(tmp_path, header, column):
    rows = "USA,United States,1000,1000\nCHN,China,800,800\n"
    if header.startswith("market,Name"):
        rows = "USA,United States,United States,1000\nCHN,China,China,800\n"
    folder = make(tmp_path, {"markets.csv": f"{header}\n{rows}"})
    assert_located(the_problem(folder), "markets.csv", 1, column, "appears twice")


@pytest.mark.parametrize("name", ["markets.csv", "sectors.csv", "requests.csv", "offers.csv"])
def test_empty_required_table(tmp_path, name):
    header = BASE[name].splitlines()[0]
    folder = make(tmp_path, {name: header + "\n"})
    problem = find(problems_of(folder), name, None, None)
    assert "no rows" in problem.message


def test_header_only_effects_and_conditions_are_fine(tmp_path):
    folder = make(
        tmp_path,
        {
            "offer_effects.csv": "offer,market,export_change\n",
            "conditions.csv": "condition,kind,members,count,description\n",
        },
    )
    instance = advisor.load_instance(folder)
    assert instance.offer_effects == ()
    assert instance.conditions == ()


# --------------------------------------------------------------------------- ids


@pytest.mark.parametrize(
    ("name", "key", "row_text"),
    [
        ("markets.csv", "market", "USA,Again,5,\n"),
        ("sectors.csv", "sector", "IC,Again,8542,1,0,0.25,3,1\n"),
        ("requests.csv", "request", "IC_0,IC,again,0.05,1,\n"),
        ("offers.csv", "offer", "BOEING,Again,purchase,1,1\n"),
        ("conditions.csv", "condition", "c1,at_most,BOEING;LNG,2,\n"),
    ],
)
def test_duplicate_id(tmp_path, name, key, row_text):
    folder = make(tmp_path)
    append(folder, name, row_text)
    row = len(BASE[name].splitlines()) + 1
    problem = the_problem(folder)
    assert_located(problem, name, row, key, "duplicate id")
    assert "row 2" in problem.message  # where it was first used


# ----------------------------------------------------------------------- references


def test_condition_member_may_be_a_sector(tmp_path):
    folder = make(tmp_path)
    edit(folder, "conditions.csv", "c3,requires,RUB_0;LNG", "c3,requires_one_of,IC;LNG;BOEING")
    assert advisor.load_instance(folder).conditions[2].members == ("IC", "LNG", "BOEING")


# --------------------------------------------------------------------------- cells


def test_id_with_space(tmp_path):
    folder = make(tmp_path)
    edit(folder, "offers.csv", "BOEING,", "BOE ING,")
    problems = problems_of(folder)
    assert_located(find(problems, "offers.csv", 2, "offer"), "offers.csv", 2, "offer", "an id")


# ---------------------------------------------------------------------- instance.toml


def test_unknown_toml_key(tmp_path):
    folder = make(tmp_path)
    edit(folder, "instance.toml", "reciprocity_ratio = 1.0", "reciprocty_ratio = 1.0")
    problem = the_problem(folder)
    assert_located(problem, "instance.toml", None, "model.reciprocty_ratio", "unknown key")
    assert "reciprocity_ratio" in problem.message


def test_counterpart_not_in_markets(tmp_path):
    folder = make(tmp_path)
    edit(folder, "instance.toml", 'counterpart = "USA"', 'counterpart = "USX"')
    problems = problems_of(folder)
    assert_located(
        find(problems, "instance.toml", None, "counterpart"),
        "instance.toml",
        None,
        "counterpart",
        "'USX' is not a market",
    )


def test_toml_settings_are_read(tmp_path):
    folder = make(tmp_path)
    edit(
        folder,
        "instance.toml",
        "reciprocity_ratio = 1.0",
        'reciprocity_ratio = 1.5\ndomestic_budget = "1,000"\nobjective = "regret"\n'
        '\n[ranking]\ntop = 3\nmin_difference = 2\ntime_limit = 30\ndistinct_on = "offers"',
    )
    instance = advisor.load_instance(folder)
    assert instance.reciprocity_ratio == 1.5
    assert instance.domestic_budget == 1000.0
    assert instance.objective == "regret"
    assert (instance.ranking.top, instance.ranking.min_difference) == (3, 2)
    assert (instance.ranking.time_limit, instance.ranking.distinct_on) == (30.0, "offers")


def test_no_scenarios_means_one_base_scenario(tmp_path):
    folder = make(tmp_path)
    text = (folder / "instance.toml").read_text(encoding="utf-8")
    (folder / "instance.toml").write_text(text.split("[[scenarios]]")[0], encoding="utf-8")
    scenarios = advisor.load_instance(folder).scenarios
    assert [(s.name, s.probability) for s in scenarios] == [("base", 1.0)]


# ------------------------------------------------------------- counterpart's total


def test_sector_exports_equal_to_counterpart_exports_is_fine(tmp_path):
    folder = make(tmp_path)
    edit(folder, "markets.csv", "USA,United States,1000", "USA,United States,400")
    assert advisor.load_instance(folder).market_by_id["USA"].exports == 400


# ------------------------------------------------------------------- Excel's quirks


def test_utf8_bom_in_csv_and_toml(tmp_path):
    bom = "\ufeff"
    folder = make(
        tmp_path,
        {name: (bom + text).encode("utf-8") for name, text in BASE.items()},
    )
    instance = advisor.load_instance(folder)
    assert instance.name == "Fixture negotiation"
    assert instance.markets[0].market == "USA"
    assert instance.conditions[0].condition == "c1"


def test_trailing_blank_rows(tmp_path):
    folder = make(tmp_path)
    for name in CSV_FILES:
        # more commas than the table has columns, fewer, spaces, empty lines
        append(folder, name, ",,,,\n\n,,,,,,,,,,,,\n , ,\n\n")
    instance = advisor.load_instance(folder)
    assert len(instance.markets) == 3
    assert len(instance.sectors) == 2
    assert len(instance.conditions) == 3
    assert len(instance.offer_effects) == 1


def test_blank_first_data_row_with_extra_commas(tmp_path):
    folder = make(tmp_path)
    edit(folder, "markets.csv", "source\n", "source\n,,,,,,\n")
    assert [m.market for m in advisor.load_instance(folder).markets] == ["USA", "CHN", "ROW"]


def test_row_numbers_stay_spreadsheet_rows_after_blank_rows(tmp_path):
    folder = make(tmp_path)
    # rows 2, 3, 4 data; 5 empty; 6 commas only; 7 a bad row
    append(folder, "markets.csv", "\n,,,\nJPN,Japan,-3,fixture\n")
    assert_located(the_problem(folder), "markets.csv", 7, "exports", ">= 0")
    folder = make(tmp_path / "second")
    edit(folder, "sectors.csv", "IC,", "\n,,,,\nIC,")
    edit(folder, "sectors.csv", "RUB,Rubber gloves,4015,100", "RUB,Rubber gloves,4015,oops")
    assert_located(the_problem(folder), "sectors.csv", 5, "exports", "expected a number")


def test_quoted_thousands_separator(tmp_path):
    folder = make(tmp_path)
    edit(folder, "markets.csv", "ROW,Rest of world,2000", 'ROW,Rest of world,"1,234.5"')
    assert advisor.load_instance(folder).market_by_id["ROW"].exports == 1234.5


def test_percent_cells(tmp_path):
    folder = make(tmp_path)
    edit(folder, "requests.csv", "IC_10,IC,cap 10%,0.1,0.8,", "IC_10,IC,cap 10%,10%,80%,")
    request = advisor.load_instance(folder).request_by_id["IC_10"]
    assert request.tariff == pytest.approx(0.10)
    assert request.acceptance == pytest.approx(0.80)


def test_header_case_and_spaces(tmp_path):
    folder = make(tmp_path)
    edit(folder, "markets.csv", "market,name,exports,source", " Market ,NAME, Exports,Source ")
    edit(folder, "sectors.csv", "sector,name,", "SECTOR , Name ,")
    instance = advisor.load_instance(folder)
    assert instance.market_by_id["CHN"].exports == 800
    assert instance.sector_by_id["IC"].name == "Integrated circuits"


def test_cells_padded_with_spaces(tmp_path):
    folder = make(tmp_path)
    edit(folder, "markets.csv", "CHN,China,800", " CHN , China , 800 ")
    assert advisor.load_instance(folder).market_by_id["CHN"].name == "China"


def test_empty_extra_column_without_header(tmp_path):
    folder = make(
        tmp_path,
        {
            "markets.csv": "market,name,exports,source,\n"
            "USA,United States,1000,fixture,\n"
            "CHN,China,800,fixture,\n"
            ",,,,\n",
            "offers.csv": "offer,name,category,counterpart_value,domestic_cost,,\n"
            "BOEING,Buy Boeing aircraft,purchase,200,50,,\n"
            "LNG,Buy US LNG,purchase,150,40,,\n",
        },
    )
    instance = advisor.load_instance(folder)
    assert [m.market for m in instance.markets] == ["USA", "CHN"]
    assert len(instance.offers) == 2


def test_crlf_line_endings_and_free_text_columns(tmp_path):
    text = (
        BASE["offers.csv"]
        .replace("domestic_cost\n", "domestic_cost,note,source\n")
        .replace("\n", "\r\n")
    )
    text = text.replace("50\r\n", '50,"a note, with a comma",USTR 2025\r\n')
    instance = advisor.load_instance(make(tmp_path, {"offers.csv": text}))
    boeing = instance.offer_by_id["BOEING"]
    assert (boeing.domestic_cost, boeing.note, boeing.source) == (
        50.0,
        "a note, with a comma",
        "USTR 2025",
    )


# ------------------------------------------------------------- all in one pass


def test_five_mistakes_in_five_files(tmp_path):
    folder = make(tmp_path)
    edit(folder, "instance.toml", "reciprocity_ratio = 1.0", "reciprocty_ratio = 1.0")
    edit(folder, "sectors.csv", "19%,0.3,4", "19%,1500%,4")
    edit(folder, "requests.csv", "IC_10,IC,cap 10%,0.1,0.8,", "IC_10,IC,cap 10%,0.1,1.5,")
    edit(folder, "offers.csv", "name,category,", "name,categroy,")  # makes offers unreadable
    edit(folder, "conditions.csv", "c3,requires,", "c3,implies,")
    problems = problems_of(folder)
    assert len(problems) == 5, "\n".join(map(str, problems))
    expected = {
        ("instance.toml", None, "model.reciprocty_ratio"),
        ("sectors.csv", 3, "threat_tariff"),
        ("requests.csv", 3, "acceptance"),
        ("offers.csv", 1, "categroy"),
        ("conditions.csv", 4, "kind"),
    }
    assert {(p.file, p.row, p.column) for p in problems} == expected


def test_five_cross_file_mistakes(tmp_path):
    folder = make(tmp_path)
    edit(folder, "instance.toml", 'counterpart = "USA"', 'counterpart = "USX"')
    edit(folder, "markets.csv", "CHN,China,800", "CHN,China,-800")
    edit(folder, "requests.csv", "RUB_0,RUB,", "RUB_0,RUBX,")
    append(folder, "offer_effects.csv", "BOEING,JPN,3\n")
    edit(folder, "conditions.csv", "c1,excludes,IC_0;IC_10", "c1,excludes,IC_0;IC_99")
    problems = problems_of(folder)
    assert len(problems) == 5, "\n".join(map(str, problems))
    assert {(p.file, p.row, p.column) for p in problems} == {
        ("instance.toml", None, "counterpart"),
        ("markets.csv", 3, "exports"),
        ("requests.csv", 4, "sector"),
        ("offer_effects.csv", 3, "market"),
        ("conditions.csv", 2, "members"),
    }


# --------------------------------------------------------------------- robustness


def _csv_mutations() -> list[tuple[str, str, bytes]]:
    cases: list[tuple[str, str, bytes]] = []
    for name in CSV_FILES:
        text = BASE[name]
        data = text.encode("utf-8")
        header = text.splitlines()[0]
        first_row = text.splitlines()[1]
        cases += [
            (f"{name}: binary garbage", name, GARBAGE),
            (f"{name}: NUL bytes", name, data.replace(b",", b"\x00,", 3)),
            (f"{name}: latin-1 bytes", name, (text + "café,x\n").encode("latin-1")),
            (f"{name}: empty file", name, b""),
            (f"{name}: only blank lines", name, b"\n\n  \n"),
            (f"{name}: only a BOM", name, "\ufeff".encode()),
            (f"{name}: cut in the header", name, data[: len(header) // 2]),
            (f"{name}: open quote at the end", name, data + b'X,"1,23'),
            (f"{name}: open quote in the header", name, b'"' + data),
            (f"{name}: stray quote", name, data + b'"a"b,1,2\n'),
            (
                f"{name}: first row has too many cells",
                name,
                f"{header}\n{first_row},extra\n".encode(),
            ),
            (f"{name}: later row has too many cells", name, data + f"{first_row},1,2\n".encode()),
            (f"{name}: a huge field", name, data + b'"' + b"9" * 200_000 + b'"\n'),
            (f"{name}: header is not text", name, b"\x01\x02,\x03\n1,2\n"),
            (f"{name}: header only has blanks", name, b",,,\n1,2,3\n"),
        ]
        last = text.rstrip("\n").splitlines()[-1]
        cut = len(text.rstrip("\n")) - len(last) + last.index(",") + 1
        cases.append((f"{name}: cut in the last row", name, data[:cut]))
    cases += [
        (
            "sectors: swapped text and number",
            "sectors.csv",
            BASE["sectors.csv"]
            .replace("IC,Integrated circuits,8542,300", "IC,300,8542,Integrated")
            .encode(),
        ),
        (
            "markets: first row shifted right",
            "markets.csv",
            b"market,name,exports\nUSA,USA,1000,2000\nCHN,China,800\n",
        ),
        ("markets: cell 'e5'", "markets.csv", BASE["markets.csv"].replace("800", "e5").encode()),
        ("markets: cell 'inf'", "markets.csv", BASE["markets.csv"].replace("800", "inf").encode()),
        (
            "markets: cell '1e999'",
            "markets.csv",
            BASE["markets.csv"].replace("800", "1e999").encode(),
        ),
        (
            "requests: tariff nan",
            "requests.csv",
            BASE["requests.csv"].replace(",0.1,", ",nan,").encode(),
        ),
        (
            "conditions: members blank separators",
            "conditions.csv",
            BASE["conditions.csv"].replace("BOEING;LNG", ";;").encode(),
        ),
        (
            "conditions: count negative",
            "conditions.csv",
            BASE["conditions.csv"].replace("LNG,1,", "LNG,-1,").encode(),
        ),
    ]
    return cases


def _toml_mutations() -> list[tuple[str, str, bytes]]:
    base = BASE["instance.toml"]
    head = TOML_HEAD

    def top(extra: str) -> bytes:  # a key set before the first table
        return (extra + "\n" + base).encode()

    def ratio(value: str) -> bytes:  # the reciprocity ratio written as ``value``
        return base.replace("reciprocity_ratio = 1.0", f"reciprocity_ratio = {value}").encode()

    cases = [
        ("toml: binary garbage", GARBAGE),
        ("toml: latin-1", (base + "# café\n").encode("latin-1")),
        ("toml: empty", b""),
        ("toml: truncated", base.encode()[: len(base) // 2]),
        ("toml: model = 3", top("model = 3").replace(b"[model]\n", b"[modelx]\n")),
        ("toml: model is a string", head.encode() + b'model = "fast"\n'),
        ("toml: ranking is a list", head.encode() + b"ranking = [1, 2]\n"),
        ("toml: caps is a number", head.encode() + b"market_share_caps = 5\n"),
        ("toml: scenarios = 3", head.encode() + b"scenarios = 3\n"),
        ("toml: scenarios is a table", head.encode() + b"[scenarios]\nname = 'x'\n"),
        ("toml: a scenario is a number", head.encode() + b"scenarios = [1, 2]\n"),
        ("toml: a scenario is a string", head.encode() + b'scenarios = ["calm"]\n'),
        (
            "toml: override is a string",
            base.replace('threat_tariff = { IC = "25%" }', 'threat_tariff = "25%"').encode(),
        ),
        (
            "toml: override value is a table",
            base.replace('{ IC = "25%" }', "{ IC = { rate = 1 } }").encode(),
        ),
        ("toml: home is a number", base.replace('home = "MYS"', "home = 3").encode()),
        (
            "toml: name is a list",
            base.replace('name = "Fixture negotiation"', "name = [1]").encode(),
        ),
        ("toml: name is empty", base.replace('name = "Fixture negotiation"', 'name = ""').encode()),
        ("toml: sources is a string", base.replace('["test fixture"]', '"x"').encode()),
        ("toml: sources hold numbers", base.replace('["test fixture"]', "[1, 2]").encode()),
        ("toml: ratio is a list", ratio("[1]")),
        ("toml: ratio is a date", ratio("2025-10-01")),
        ("toml: ratio is a boolean", ratio("true")),
        ("toml: ratio is a huge integer", ratio("9" * 400)),
        ("toml: ratio has 5000 digits", ratio("9" * 5000)),
        ("toml: ratio is nan", ratio("nan")),
        ("toml: ratio is inf", ratio("inf")),
        ("toml: deeply nested", base.encode() + b"deep = " + b"[" * 50_000 + b"\n"),
        (
            "toml: probability is text",
            base.replace("probability = 0.6", 'probability = "most"').encode(),
        ),
        ("toml: probability missing", base.replace("probability = 0.6\n", "").encode()),
        ("toml: scenario name is a number", base.replace('name = "calm"', "name = 7").encode()),
        ("toml: duplicate scenario names", base.replace('name = "calm"', 'name = "s232"').encode()),
        ("toml: ranking top is zero", (base + "\n[ranking]\ntop = 0\n").encode()),
        ("toml: time limit inf", (base + "\n[ranking]\ntime_limit = inf\n").encode()),
        ("toml: cap above one", base.replace('USA = "40%"', "USA = 1.5").encode()),
        (
            "toml: floors above 100%",
            (base + "\n[market_share_floors]\nCHN = 0.6\nROW = 0.6\n").encode(),
        ),
        ("toml: duplicate key", (base + 'name = "again"\n').encode()),
    ]
    return [(label, "instance.toml", data) for label, data in cases]


MUTATIONS = _csv_mutations() + _toml_mutations()


@pytest.mark.parametrize(
    ("name", "data"),
    [(name, data) for _, name, data in MUTATIONS],
    ids=[label for label, _, _ in MUTATIONS],
)
def test_only_instance_error_for_a_broken_file(tmp_path, name, data):
    folder = make(tmp_path, {name: data})
    with pytest.raises(InstanceError) as info:
        advisor.load_instance(folder)
    problems = info.value.problems
    assert problems
    for p in problems:
        assert isinstance(p.file, str) and p.file
        assert isinstance(p.message, str) and p.message.strip()
        assert p.row is None or (isinstance(p.row, int) and p.row >= 1)
        assert p.column is None or isinstance(p.column, str)
    assert str(info.value)  # renders


@pytest.mark.parametrize("name", [*CSV_FILES, "instance.toml"])
def test_a_file_cut_anywhere_loads_or_raises_instance_error(tmp_path, name):
    folder = make(tmp_path)
    data = BASE[name].encode("utf-8")
    for cut in range(0, len(data), 3):
        (folder / name).write_bytes(data[:cut])
        try:
            advisor.load_instance(folder)
        except InstanceError as error:
            assert all(p.file and p.message for p in error.problems)


# ----------------------------------------------------------------- shipped instances


def _shipped() -> list[Path]:
    if not INSTANCES.is_dir():
        return []
    return sorted(p.parent for p in INSTANCES.glob("*/instance.toml"))


SHIPPED = _shipped()


@pytest.mark.parametrize("folder", SHIPPED or [None], ids=[p.name for p in SHIPPED] or ["none-yet"])
def test_shipped_instance_loads(folder):
    if folder is None:
        pytest.skip("no shipped instance in instances/ yet")
    instance = advisor.load_instance(folder)
    assert instance.name
    assert instance.name in str(instance)
    assert sum(s.probability for s in instance.scenarios) == pytest.approx(1.0)


def test_malaysia_instance_content():
    folder = INSTANCES / "malaysia_us_2025"
    if not (folder / "instance.toml").is_file():
        pytest.skip("instances/malaysia_us_2025 not written yet")
    instance = advisor.load_instance(folder)
    assert (instance.home, instance.counterpart) == ("MYS", "USA")
    assert instance.currency == "USD"
    assert instance.unit.lower() == "million"
    assert len(instance.sectors) >= 12
    assert len(instance.markets) >= 8
    assert len(instance.offers) >= 14
    assert len(instance.conditions) >= 8
    assert {c.kind for c in instance.conditions} == set(advisor.instance.CONDITION_KINDS)
    tiers: defaultdict[str, int] = defaultdict(int)
    for request in instance.requests:
        tiers[request.sector] += 1
    assert set(tiers) == {s.sector for s in instance.sectors}, "a sector has no request tier"
    counts = Counter(tiers.values())
    assert set(counts) <= {2, 3}, f"tiers per sector: {dict(tiers)}"
    unsourced = [
        f"{kind} {ident}"
        for kind, rows in (
            ("sector", [(s.sector, s.source) for s in instance.sectors]),
            ("offer", [(o.offer, o.source) for o in instance.offers]),
            ("market", [(m.market, m.source) for m in instance.markets]),
        )
        for ident, source in rows
        if not source.strip()
    ]
    assert not unsourced, f"rows without a source (cite it or label it EST): {unsourced}"


def test_an_unreadable_file_is_a_located_problem(tmp_path: Path, monkeypatch) -> None:
    """A file the loader may not open (permissions) is reported, not raised raw."""
    folder = tmp_path / "inst"
    shutil.copytree(INSTANCES / "tiny", folder)
    real = Path.read_text

    def deny(self: Path, *args, **kwargs):
        if self.name in ("offers.csv", "instance.toml"):
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", deny)
    with pytest.raises(advisor.InstanceError) as caught:
        advisor.load_instance(folder)
    located = {(p.file, p.message) for p in caught.value.problems}
    assert ("offers.csv", "cannot read the file: Permission denied") in located
    assert ("instance.toml", "cannot read the file: Permission denied") in located
