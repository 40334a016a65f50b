"""The loader reports every problem in one pass, units cannot be mistaken, no tracebacks.

Issue 12's input side, each case reproduced on a copy of ``instances/tiny`` in
``tmp_path`` with the expected problems checked by hand: (file, spreadsheet row,
column), the header being row 1. tiny's rows, for reference:

- sectors.csv: 2 CHIPS, 3 GLOVES, 4 FURN
- requests.csv: 2 CHIPS_zero, 3 CHIPS_cap25, 4 GLOVES_zero, 5 GLOVES_cap25,
  6 FURN_zero, 7 FURN_cap25
- offers.csv: 2 BUY, 3 IP, 4 EXPCTL, 5 INVEST
- markets.csv: 2 USA, 3 CHN, 4 ROW; offer_effects.csv: 2 EXPCTL,CHN
- conditions.csv: 2 c1 (requires), 3 c2 (excludes), 4 c3 (at_least)
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import append, edit, problems_of

import advisor
from advisor import InstanceError, Problem
from advisor.economics import exports_at_tariff
from advisor.errors import MAX_LISTED
from advisor.inputs import tables

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "instances" / "tiny"


# ----------------------------------------------------------------------------- helpers


def tiny_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    return folder


def where(problems: tuple[Problem, ...]) -> set[tuple[str, int | None, str | None]]:
    return {(p.file, p.row, p.column) for p in problems}


def message(problems: tuple[Problem, ...], file: str, row: int | None, column: str | None) -> str:
    found = [p.message for p in problems if (p.file, p.row, p.column) == (file, row, column)]
    assert len(found) == 1, "\n".join(map(str, problems))
    return found[0]


def assert_exactly(problems: tuple[Problem, ...], expected: set) -> None:
    listed = "\n".join(map(str, problems))
    assert len(problems) == len(expected), listed
    assert where(problems) == expected, listed


# ------------------------------------------------------------ 1. every problem at once


def test_five_mistakes_in_four_files_are_all_reported(tmp_path):
    folder = tiny_copy(tmp_path)
    append(folder, "sectors.csv", "CHIPS,Semiconductors again,8542,100,0%,100%,1,1,\n")
    edit(folder, "offers.csv", "offer,name,category,", "offer,name,categroy,")
    edit(
        folder,
        "offers.csv",
        "BUY,Aircraft purchase,purchase,90,",
        "BUY,Aircraft purchase,purchase,ninety,",
    )
    edit(folder, "requests.csv", "FURN_cap25,FURN,", "FURN_cap25,FURNX,")
    edit(folder, "conditions.csv", "c3,at_least,", "c2,at_least,")
    problems = problems_of(folder)
    assert_exactly(
        problems,
        {
            ("sectors.csv", 5, "sector"),
            ("offers.csv", 1, "categroy"),
            ("offers.csv", 2, "counterpart_value"),
            ("requests.csv", 7, "sector"),
            ("conditions.csv", 4, "condition"),
        },
    )
    assert "duplicate id 'CHIPS'" in message(problems, "sectors.csv", 5, "sector")
    assert "'FURNX' is not a sector" in message(problems, "requests.csv", 7, "sector")


def test_rows_above_and_below_a_ragged_row_are_checked(tmp_path):
    folder = tiny_copy(tmp_path)
    edit(
        folder,
        "requests.csv",
        "CHIPS_zero,CHIPS,permanent 0%,0%,1,",
        "CHIPS_zero,CHIPS,permanent 0%,0%,x,",
    )
    edit(
        folder,
        "requests.csv",
        "GLOVES_zero,GLOVES,permanent 0%,0%,0.5,100,protects 200 - 100 = 100 "
        "(expected 0.5 x 100 = 50); cost 1.00 x 100 - 0 = 100",
        "GLOVES_zero,GLOVES,permanent 0%,0%,0.5,100,a note,an extra cell",
    )
    edit(
        folder,
        "requests.csv",
        "GLOVES_cap25,GLOVES,cap 25%,25%,",
        "GLOVES_cap25,GLOVES,cap 25%,abc,",
    )
    problems = problems_of(folder)
    assert_exactly(
        problems,
        {
            ("requests.csv", 2, "acceptance"),
            ("requests.csv", 4, None),
            ("requests.csv", 5, "tariff"),
        },
    )
    assert "expected 7 cells" in message(problems, "requests.csv", 4, None)


def test_an_unknown_column_hides_no_bad_cell_of_its_file(tmp_path):
    folder = tiny_copy(tmp_path)
    edit(folder, "offers.csv", "offer,name,category,", "offer,name,kategory,")
    edit(folder, "offers.csv", "purchase,90,35,", "purchase,90,-35,")
    edit(folder, "offers.csv", "regulatory,30,10,", "regulatory,lots,10,")
    problems = problems_of(folder)
    assert_exactly(
        problems,
        {
            ("offers.csv", 1, "kategory"),
            ("offers.csv", 2, "domestic_cost"),
            ("offers.csv", 3, "counterpart_value"),
        },
    )
    assert "unknown column" in message(problems, "offers.csv", 1, "kategory")


def test_a_missing_column_in_sectors_hides_no_dangling_sector(tmp_path):
    folder = tiny_copy(tmp_path)
    path = folder / "sectors.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # drop the elasticity column (the 7th) from every line
    path.write_text(
        "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 6) for line in lines)
        + "\n",
        encoding="utf-8",
    )
    edit(folder, "requests.csv", "GLOVES_zero,GLOVES,", "GLOVES_zero,GLOVE,")
    problems = problems_of(folder)
    assert_exactly(problems, {("sectors.csv", 1, "elasticity"), ("requests.csv", 4, "sector")})
    assert "required column is missing" in message(problems, "sectors.csv", 1, "elasticity")


def test_an_unknown_column_in_markets_hides_no_dangling_market(tmp_path):
    folder = tiny_copy(tmp_path)
    edit(folder, "markets.csv", "market,name,exports,note", "market,name,exports,notes")
    edit(folder, "offer_effects.csv", "EXPCTL,CHN,", "EXPCTL,CHINA,")
    problems = problems_of(folder)
    assert_exactly(problems, {("markets.csv", 1, "notes"), ("offer_effects.csv", 2, "market")})


def test_a_ragged_markets_file_hides_no_missing_counterpart(tmp_path):
    folder = tiny_copy(tmp_path)
    edit(
        folder,
        "markets.csv",
        "ROW,Rest of world,300,Unaffected by any offer.",
        "ROW,Rest of world,300,x,y",
    )
    edit(folder, "instance.toml", 'counterpart = "USA"', 'counterpart = "US"')
    problems = problems_of(folder)
    assert_exactly(problems, {("markets.csv", 4, None), ("instance.toml", None, "counterpart")})
    assert "'US' is not a market" in message(problems, "instance.toml", None, "counterpart")


def test_a_ragged_rows_id_still_counts_for_references(tmp_path):
    # FURN's row cannot be read (an extra cell), but its id can: requests for FURN,
    # and conditions naming them, are not dangling
    folder = tiny_copy(tmp_path)
    edit(
        folder,
        "sectors.csv",
        "FURN,Furniture,94,100,0%,100%,2,1,",
        "FURN,Furniture,94,100,0%,100%,2,1,x,",
    )
    # a truly dangling sector is still reported: the sector references were checked
    edit(folder, "requests.csv", "GLOVES_zero,GLOVES,", "GLOVES_zero,GLOVEX,")
    assert_exactly(problems_of(folder), {("sectors.csv", 4, None), ("requests.csv", 4, "sector")})


def test_no_reference_is_called_dangling_when_the_id_could_not_be_read(tmp_path):
    # an unreadable id in sectors.csv: FURN_zero and FURN_cap25 name a sector that may
    # be that row, so they are not reported (choice documented in advisor/inputs/loader.py)
    folder = tiny_copy(tmp_path)
    edit(folder, "sectors.csv", "FURN,Furniture,", "FU RN,Furniture,")
    edit(folder, "conditions.csv", "CHIPS_zero; IP", "CHIPS_zero; IPX")
    problems = problems_of(folder)
    # conditions name sectors too: with a sector id unknown, members are not checked
    assert_exactly(problems, {("sectors.csv", 4, "sector")})


def test_references_to_a_table_that_cannot_be_read_are_not_checked(tmp_path):
    folder = tiny_copy(tmp_path)
    (folder / "offers.csv").write_bytes((folder / "offers.csv").read_text().encode("utf-16"))
    edit(folder, "requests.csv", "FURN_cap25,FURN,", "FURN_cap25,FURNX,")
    problems = problems_of(folder)
    assert_exactly(problems, {("offers.csv", None, None), ("requests.csv", 7, "sector")})


def test_a_row_with_a_bad_cell_keeps_its_id(tmp_path):
    # BUY's value is not a number, but BUY exists: c2 naming it is fine
    folder = tiny_copy(tmp_path)
    edit(folder, "offers.csv", "purchase,90,35,", "purchase,9O,35,")
    # a truly dangling member is still reported: the members were checked
    edit(folder, "conditions.csv", "CHIPS_zero; IP", "CHIPS_zero; IPX")
    assert_exactly(
        problems_of(folder),
        {("offers.csv", 2, "counterpart_value"), ("conditions.csv", 2, "members")},
    )


def test_a_duplicated_row_is_not_counted_twice_in_the_counterparts_total(tmp_path):
    folder = tiny_copy(tmp_path)
    append(folder, "sectors.csv", "FURN,Furniture again,94,100,0%,100%,2,1,\n")
    # USA's 400 equals the three sectors' total: the copy would push it to 500
    assert_exactly(problems_of(folder), {("sectors.csv", 5, "sector")})


def test_a_case_typo_in_a_reference_says_what_was_meant(tmp_path):
    folder = tiny_copy(tmp_path)
    edit(folder, "requests.csv", "FURN_cap25,FURN,", "FURN_cap25,Furn,")
    problems = problems_of(folder)
    assert "did you mean 'FURN'" in message(problems, "requests.csv", 7, "sector")


# ------------------------------------------------------- 2. units that cannot be mistaken


@pytest.mark.parametrize(
    ("file", "old", "new", "located", "hint"),
    [
        pytest.param(
            "requests.csv",
            "FURN_cap25,FURN,cap 25%,25%,",
            "FURN_cap25,FURN,cap 25%,10,",
            ("requests.csv", 7, "tariff"),
            "found 10: write 10% or 0.10",
            id="tariff_10",
        ),
        pytest.param(
            "sectors.csv",
            "0%,100%,1,1,X(t) = 100",
            "0%,1.5,1,1,X(t) = 100",
            ("sectors.csv", 2, "threat_tariff"),
            "write 1.5% or 0.015",
            id="threat_1.5",
        ),
        pytest.param(
            "requests.csv",
            "GLOVES_zero,GLOVES,permanent 0%,0%,0.5,",
            "GLOVES_zero,GLOVES,permanent 0%,0%,50,",
            ("requests.csv", 4, "acceptance"),
            "write 50% or 0.50",
            id="acceptance_50",
        ),
        pytest.param(
            "instance.toml",
            'USA = "37.5%"',
            "USA = 37.5",
            ("instance.toml", None, "market_share_caps.USA"),
            "write 37.5% or 0.375",
            id="cap_37.5",
        ),
        pytest.param(
            "instance.toml",
            'distinct_on = "all"',
            'distinct_on = "all"\n\n[[scenarios]]\nname = "s"\nprobability = 1\n'
            "threat_tariff = { CHIPS = 25 }",
            ("instance.toml", None, "scenarios[1].threat_tariff.CHIPS"),
            "write 25% or 0.25",
            id="scenario_threat_25",
        ),
    ],
)
def test_a_bare_number_above_one_is_not_a_percentage(tmp_path, file, old, new, located, hint):
    folder = tiny_copy(tmp_path)
    edit(folder, file, old, new)
    problems = problems_of(folder)
    assert_exactly(problems, {located})
    assert hint in problems[0].message
    if "tariff" in located[2]:
        assert "a tariff above 100% needs the % sign, e.g. 150%" in problems[0].message


def test_a_tariff_above_100_percent_with_the_sign_is_fine(tmp_path):
    folder = tiny_copy(tmp_path)
    edit(folder, "sectors.csv", "0%,100%,1,1,X(t) = 100", "0%,150%,1,1,X(t) = 100")
    assert advisor.load_instance(folder).sector_by_id["CHIPS"].threat_tariff == pytest.approx(1.5)


@pytest.mark.parametrize("digits", ["٣٠٠", "３００", "३००"])
def test_non_ascii_digits_are_not_numbers(tmp_path, digits):
    folder = tiny_copy(tmp_path)
    edit(folder, "markets.csv", "CHN,China,300,", f"CHN,China,{digits},")
    problems = problems_of(folder)
    assert_exactly(problems, {("markets.csv", 3, "exports")})
    assert "expected a number" in problems[0].message


def warnings_of(folder: Path) -> tuple[Problem, ...]:
    return advisor.load_instance(folder).warnings


def test_shipped_instances_have_no_warnings():
    for folder in sorted(p.parent for p in (ROOT / "instances").glob("*/instance.toml")):
        assert advisor.load_instance(folder).warnings == (), folder.name


def test_warning_tier_label_contradicts_its_tariff(tmp_path):
    folder = tiny_copy(tmp_path)
    edit(folder, "requests.csv", "CHIPS_cap25,CHIPS,cap 25%,25%,", "CHIPS_cap25,CHIPS,cap 10%,25%,")
    warnings = warnings_of(folder)
    assert where(warnings) == {("requests.csv", 3, "tier")}
    assert "says 10% but the tariff is 25%" in warnings[0].message


def test_warning_threat_below_current_tariff(tmp_path):
    folder = tiny_copy(tmp_path)
    edit(
        folder,
        "sectors.csv",
        "GLOVES,Rubber gloves,4015,200,0%,100%,",
        "GLOVES,Rubber gloves,4015,200,150%,100%,",
    )
    warnings = warnings_of(folder)
    assert ("sectors.csv", 3, "threat_tariff") in where(warnings)
    assert "below the current tariff" in message(warnings, "sectors.csv", 3, "threat_tariff")


def test_warning_threat_below_current_in_a_scenario(tmp_path):
    folder = tiny_copy(tmp_path)
    append(
        folder,
        "instance.toml",
        '\n[[scenarios]]\nname = "calm"\nprobability = 1\nthreat_tariff = { CHIPS = "0%" }\n'
        'current_tariff = { CHIPS = "10%" }\n',
    )
    warnings = warnings_of(folder)
    assert where(warnings) == {("instance.toml", None, "scenarios[1].threat_tariff.CHIPS")}


def test_warning_protected_value_above_the_sectors_exports(tmp_path):
    folder = tiny_copy(tmp_path)
    # FURN today at 100%: X(0%) = 100 x 2^2 = 400, X(25%) = 100 x (2 / 1.25)^2 = 256,
    # X(100%) = 100: the tiers protect 300 and 156, both above FURN's exports of 100
    edit(
        folder, "sectors.csv", "FURN,Furniture,94,100,0%,100%,", "FURN,Furniture,94,100,100%,100%,"
    )
    warnings = warnings_of(folder)
    assert where(warnings) == {("requests.csv", 6, "tariff"), ("requests.csv", 7, "tariff")}
    assert "protects 300.0" in message(warnings, "requests.csv", 6, "tariff")


def test_warning_count_on_a_requires_row(tmp_path):
    folder = tiny_copy(tmp_path)
    edit(folder, "conditions.csv", "c1,requires,CHIPS_zero; IP,,", "c1,requires,CHIPS_zero; IP,1,")
    warnings = warnings_of(folder)
    assert where(warnings) == {("conditions.csv", 2, "count")}


def test_warning_ids_differing_only_by_case(tmp_path):
    folder = tiny_copy(tmp_path)
    append(folder, "offers.csv", "ip,IP again,regulatory,1,1,\n")
    append(folder, "markets.csv", "Row,Rest again,1,\n")
    warnings = warnings_of(folder)
    assert where(warnings) == {("offers.csv", 6, "offer"), ("markets.csv", 5, "market")}
    assert "only by case" in warnings[0].message


def test_validate_prints_the_warnings(tmp_path, solve_py):
    folder = tiny_copy(tmp_path)
    edit(folder, "requests.csv", "CHIPS_cap25,CHIPS,cap 25%,25%,", "CHIPS_cap25,CHIPS,cap 10%,25%,")
    run = solve_py("validate", folder)
    assert run.returncode == 0, run.stderr
    summary, _, warnings = run.stdout.partition("1 warning:")
    assert "a valid instance" in summary
    assert "requests.csv, row 3, column 'tier'" in warnings


# --------------------------------------------------------------- 3. input tracebacks


def test_an_elasticity_above_fifty_is_located_not_an_overflow(tmp_path):
    folder = tiny_copy(tmp_path)
    edit(
        folder,
        "sectors.csv",
        "CHIPS,Semiconductors,8542,100,0%,100%,1,",
        "CHIPS,Semiconductors,8542,100,50%,100%,2000,",
    )
    problems = problems_of(folder)
    assert_exactly(problems, {("sectors.csv", 2, "elasticity")})
    assert "at most 50" in problems[0].message


def test_a_scenario_elasticity_above_fifty_is_located(tmp_path):
    folder = tiny_copy(tmp_path)
    append(
        folder,
        "instance.toml",
        '\n[[scenarios]]\nname = "s"\nprobability = 1\nelasticity = { FURN = 1e6 }\n',
    )
    problems = problems_of(folder)
    assert_exactly(problems, {("instance.toml", None, "scenarios[1].elasticity.FURN")})


def test_an_elasticity_of_fifty_loads(tmp_path):
    folder = tiny_copy(tmp_path)
    edit(
        folder,
        "sectors.csv",
        "FURN,Furniture,94,100,0%,100%,2,",
        "FURN,Furniture,94,100,1000%,0%,50,",
    )
    instance = advisor.load_instance(folder)
    assert instance.sector_by_id["FURN"].elasticity == 50


def test_the_export_formula_does_not_overflow():
    assert exports_at_tariff(100.0, 0.5, 0.0, 2000.0) == math.inf
    assert exports_at_tariff(100.0, 0.0, 0.5, 1e6) == 0.0
    assert exports_at_tariff(100.0, 0.0, 1.0, 1.0) == 50.0  # unchanged where it was fine


def test_an_unreadable_folder_is_a_located_problem(tmp_path, monkeypatch):
    folder = tiny_copy(tmp_path)
    if os.geteuid() != 0:
        folder.chmod(0)
        try:
            problems = problems_of(folder)
        finally:
            folder.chmod(0o755)
    else:  # root may open anything: deny as a normal user would be denied
        real = os.access
        monkeypatch.setattr(
            os, "access", lambda p, mode: False if Path(p) == folder else real(p, mode)
        )
        problems = problems_of(folder)
    assert_exactly(problems, {(str(folder), None, None)})
    assert "Permission denied" in problems[0].message


def test_a_folder_in_place_of_a_csv_says_so(tmp_path):
    folder = tiny_copy(tmp_path)
    (folder / "offers.csv").unlink()
    (folder / "offers.csv").mkdir()
    problems = problems_of(folder)
    assert_exactly(problems, {("offers.csv", None, None)})
    assert "is a folder" in problems[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_or_device_in_place_of_a_csv_says_so_and_does_not_hang(tmp_path):
    folder = tiny_copy(tmp_path)
    (folder / "offers.csv").unlink()
    os.mkfifo(folder / "offers.csv")
    (folder / "markets.csv").unlink()
    (folder / "markets.csv").symlink_to("/dev/null")
    problems = problems_of(folder)
    # conditions name offers: with offers.csv unread, their members are not checked
    assert_exactly(problems, {("offers.csv", None, None), ("markets.csv", None, None)})
    assert all("not a regular file" in p.message for p in problems)


def test_a_cell_over_128_kib_is_a_plain_message_and_the_rows_after_it_are_read(tmp_path):
    folder = tiny_copy(tmp_path)
    edit(folder, "offers.csv", "Also costs 60", "x" * 200_000)
    edit(folder, "offers.csv", "investment,70,25,", "investment,70,-25,")
    problems = problems_of(folder)
    # EXPCTL's row cannot be read, so conditions naming EXPCTL are not checked
    assert_exactly(problems, {("offers.csv", 4, None), ("offers.csv", 5, "domestic_cost")})
    assert "longer than 131,072 characters" in message(problems, "offers.csv", 4, None)


@pytest.mark.parametrize(
    ("encoding", "phrase"),
    [("utf-16", "saved as UTF-16"), ("utf-32", "saved as UTF-32"), ("utf-16-le", "NUL bytes")],
)
def test_a_utf16_or_utf32_file_says_save_as_csv_utf8(tmp_path, encoding, phrase):
    folder = tiny_copy(tmp_path)
    path = folder / "markets.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    problems = problems_of(folder)
    assert_exactly(problems, {("markets.csv", None, None)})
    assert phrase in problems[0].message
    assert "CSV UTF-8" in problems[0].message
    assert "\x00" not in str(InstanceError(problems))


def test_a_table_above_the_size_cap_is_not_read(tmp_path):
    folder = tiny_copy(tmp_path)
    with open(folder / "offers.csv", "r+b") as handle:  # sparse: no 60 MB written
        handle.truncate(60 * 1024 * 1024)
    problems = problems_of(folder)
    assert_exactly(problems, {("offers.csv", None, None)})
    assert "the file is 63 MB; the limit is 50 MB" in problems[0].message
    assert tables.MAX_FILE_BYTES == 50_000_000


def test_many_problems_are_all_kept_but_the_first_200_listed(tmp_path):
    folder = tiny_copy(tmp_path)
    append(folder, "markets.csv", "".join(f"M{i},Market {i},bad,\n" for i in range(300)))
    with pytest.raises(InstanceError) as info:
        advisor.load_instance(folder)
    error = info.value
    assert len(error.problems) == 300
    text = str(error).splitlines()
    assert text[0] == "invalid instance: 300 problems"
    assert len(text) == 1 + MAX_LISTED + 1
    assert text[-1].strip() == "... and 100 more problems"


def test_the_cli_lists_the_first_200_problems_and_counts_the_rest(tmp_path, solve_py):
    folder = tiny_copy(tmp_path)
    append(folder, "markets.csv", "".join(f"M{i},Market {i},bad,\n" for i in range(300)))
    run = solve_py("validate", folder)
    assert run.returncode == 2
    lines = run.stdout.splitlines()
    assert "(300 problems)" in lines[0]
    assert len(lines) == 1 + MAX_LISTED + 1
    assert lines[-1] == "... and 100 more problems"


def test_library_loader_raises_only_instance_error_for_a_bad_tiny(tmp_path):
    # the cases above, through the CLI: exit 2, no traceback
    folder = tiny_copy(tmp_path)
    edit(
        folder,
        "sectors.csv",
        "CHIPS,Semiconductors,8542,100,0%,100%,1,",
        "CHIPS,Semiconductors,8542,100,50%,100%,2000,",
    )
    run = subprocess.run(
        [sys.executable, str(ROOT / "solve.py"), "rank", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "elasticity" in run.stderr


@pytest.mark.parametrize(
    ("name", "old", "new", "row", "column"),
    [
        ("offers.csv", "purchase,90,35,", "purchase,7e9%,35,", 2, "counterpart_value"),
        ("markets.csv", "USA,United States (counterpart),400,", "USA,United States "
         "(counterpart),40%,", 2, "exports"),
    ],
)
def test_a_percentage_is_not_an_amount_of_money(tmp_path, name, old, new, row, column) -> None:
    """``7e9%`` in a money column once read as 7e7: a percentage there is an error."""
    folder = tiny_copy(tmp_path)
    edit(folder, name, old, new)
    problems = [p for p in problems_of(folder) if p.file == name]
    assert [(p.row, p.column) for p in problems] == [(row, column)]
    assert "a percentage is not an amount" in problems[0].message
