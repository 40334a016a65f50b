"""The cell parsers: what a spreadsheet cell may say, and what it may not."""

from __future__ import annotations

import pytest

from advisor.inputs.cells import (
    CellError,
    parse_bounded,
    parse_count,
    parse_fraction,
    parse_id,
    parse_id_list,
    parse_nonnegative,
    parse_number,
    parse_positive,
    parse_tariff,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", 1.0),
        ("0", 0.0),
        ("-2.5", -2.5),
        ("+3", 3.0),
        (".5", 0.5),
        ("-.5", -0.5),
        ("1,234.5", 1234.5),
        ("1,234,567", 1234567.0),
        ("-1,500", -1500.0),
        ("1234567", 1234567.0),
        ("  42  ", 42.0),
        ("19%", 0.19),
        ("19 %", 0.19),
        (" 2.5% ", 0.025),
        ("1,500%", 15.0),
        ("1e3", 1000.0),
        ("2.5E-2", 0.025),
        (3, 3.0),
        (2.5, 2.5),
    ],
)
def test_parse_number_accepts(text, value):
    assert parse_number(text) == pytest.approx(value, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    "text",
    [
        "1,23",
        "1,2345",
        "12,34,567",
        "12abc",
        "abc",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
        "1e999",
        "",
        "   ",
        "%",
        " % ",
        "1.2.3",
        "1.",
        "--1",
        "+",
        "-",
        "e5",
        "-e5",
        "1 234",
        "1\u00a0234",
        "%19",
        "19%%",
        "$100",
        "0x10",
        "1_000",
    ],
)
def test_parse_number_rejects_text(text):
    with pytest.raises(CellError, match="expected"):
        parse_number(text)


@pytest.mark.parametrize(
    "value",
    [True, False, None, [1], {"a": 1}, float("nan"), float("inf"), 10**400],
    ids=["true", "false", "none", "list", "table", "nan", "inf", "huge-int"],
)
def test_parse_number_rejects_non_text_values(value):
    # TOML hands the parsers booleans, lists, tables and unbounded integers
    with pytest.raises(CellError):
        parse_number(value)


def test_cell_error_is_a_value_error_and_names_the_text():
    with pytest.raises(ValueError, match="12abc"):
        parse_number("12abc")


@pytest.mark.parametrize(
    ("text", "value"), [("0", 0.0), ("0.19", 0.19), ("19%", 0.19), ("1000%", 10.0), ("10", 10.0)]
)
def test_parse_tariff_accepts_zero_to_ten(text, value):
    assert parse_tariff(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["1500%", "10.5", "-1%", "-0.01", "abc", ""])
def test_parse_tariff_rejects_out_of_range(text):
    with pytest.raises(CellError, match="expected"):
        parse_tariff(text)


def test_parse_tariff_message_shows_bounds():
    with pytest.raises(CellError, match=r"between 0 and 10.*1500%"):
        parse_tariff("1500%")


@pytest.mark.parametrize(("text", "value"), [("0", 0.0), ("1", 1.0), ("40%", 0.4), ("100%", 1.0)])
def test_parse_fraction_accepts(text, value):
    assert parse_fraction(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["1.5", "101%", "-0.1", "-1%"])
def test_parse_fraction_rejects(text):
    with pytest.raises(CellError, match="between 0 and 1"):
        parse_fraction(text)


def test_parse_bounded_uses_its_label():
    assert parse_bounded("5", 0, 5, "a small number") == 5
    with pytest.raises(CellError, match="a small number"):
        parse_bounded("6", 0, 5, "a small number")


def test_parse_nonnegative():
    assert parse_nonnegative("0") == 0.0
    assert parse_nonnegative("1,000") == 1000.0
    with pytest.raises(CellError, match=">= 0"):
        parse_nonnegative("-1")
    with pytest.raises(CellError, match=">= 0"):
        parse_nonnegative("-0.5%")


def test_parse_positive():
    assert parse_positive("3.5") == 3.5
    for text in ("0", "-2", "0%"):
        with pytest.raises(CellError, match="> 0"):
            parse_positive(text)


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("3", 3), (" 12 ", 12), ("1e2", 100)])
def test_parse_count_accepts(text, value):
    result = parse_count(text)
    assert result == value
    assert isinstance(result, int)


@pytest.mark.parametrize("text", ["2.5", "-1", "3%", "two", "", True])
def test_parse_count_rejects(text):
    with pytest.raises(CellError):
        parse_count(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("IC", "IC"), (" IC_perm0 ", "IC_perm0"), ("a-b.c", "a-b.c"), ("X1", "X1")],
)
def test_parse_id_accepts(text, value):
    assert parse_id(text) == value


@pytest.mark.parametrize("text", ["", "   ", "IC perm", "A;B", "A,B", "a/b", "café", 3, None])
def test_parse_id_rejects(text):
    with pytest.raises(CellError, match="expected an id"):
        parse_id(text)


def test_parse_id_list():
    assert parse_id_list("A; B ;C") == ("A", "B", "C")
    assert parse_id_list("A;;B;") == ("A", "B")
    assert parse_id_list("A, B | C") == ("A", "B", "C")
    assert parse_id_list(" IC ") == ("IC",)
    for text in ("", ";", " ; ; "):
        with pytest.raises(CellError, match="one or more ids"):
            parse_id_list(text)
    with pytest.raises(CellError, match="expected an id"):
        parse_id_list("A; b c")
