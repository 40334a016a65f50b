"""Reading and validating a coalition folder into a :class:`~advisor.coalition.spec.Coalition`.

A coalition folder holds ``coalition.toml`` (the members, their instance folders,
tiers and export weights, the split and the objective), ``joint_offers.csv``,
``joint_participants.csv`` (who may take part in each joint offer, at what domestic
cost), optionally ``joint_offer_effects.csv`` (a participant's export change per
market) and ``joint_conditions.csv`` (rules across members). The members' own
folders are loaded with :func:`advisor.inputs.loader.load_instance`.

Like the instance loader, it collects every problem in one pass, across the
coalition's files and every member's files, each located by file (a member's
files by their path from the coalition folder, ``../thailand_us_2025/sectors.csv``),
spreadsheet row and column, and raises one :class:`~advisor.errors.InstanceError`.
References to a table whose ids could not all be read are not checked (the
problem that hid the id is reported; the next run checks them).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from advisor.coalition.spec import (
    COALITION_OBJECTIVES,
    RATIONALITY,
    SPLITS,
    TIERS,
    Coalition,
    JointCondition,
    JointEffect,
    JointOffer,
    Member,
    Participation,
    Term,
)
from advisor.errors import InstanceError, Problem
from advisor.inputs.cells import (
    CellError,
    parse_choice,
    parse_count,
    parse_id,
    parse_money,
    parse_money_nonnegative,
    parse_nonnegative,
    parse_positive,
)
from advisor.inputs.loader import check_condition_shape, load_instance
from advisor.inputs.tables import Column, Table, TableSpec, read_table, read_text
from advisor.instance import CONDITION_KINDS, Instance

TOML_FILE = "coalition.toml"
MAX_MEMBERS = 6  # 63 sub-coalition solves; 7 members would be 127


_kind = parse_choice(CONDITION_KINDS)


def _at_least_2(text: str) -> int:
    value = parse_count(text)
    if value < 2:
        raise CellError(f"expected a whole number >= 2 (offers made together), found {text}")
    return value


def parse_term(text: str) -> Term:
    """``MEMBER:ID`` (a member's decision or participation) or ``ID`` (a joint offer made)."""
    member, _, ref = text.strip().rpartition(":")
    return Term(parse_id(member) if member else "", parse_id(ref))


def parse_terms(text: str) -> tuple[Term, ...]:
    """Terms separated by ``;``: ``VNM:TS_TIER; MYS:ROO; THA:ROO``."""
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if not parts:
        raise CellError("expected one or more references separated by ';', found an empty cell")
    return tuple(parse_term(p) for p in parts)


JOINT_OFFERS = TableSpec(
    "joint_offers.csv",
    key="joint_offer",
    columns=(
        Column("joint_offer", parse_id),
        Column("name"),
        Column("category", None, ""),
        Column("base_value", parse_money_nonnegative),
        Column("leverage_bonus", parse_money_nonnegative, 0.0),
        Column("leverage_min", _at_least_2, 2),
        Column("min_members", _at_least_2, 2),
    ),
)
PARTICIPANTS = TableSpec(
    "joint_participants.csv",
    columns=(
        Column("joint_offer", parse_id),
        Column("member", parse_id),
        Column("domestic_cost", parse_money_nonnegative),
    ),
)
EFFECTS = TableSpec(
    "joint_offer_effects.csv",
    may_be_empty=True,
    columns=(
        Column("joint_offer", parse_id),
        Column("member", parse_id),
        Column("market", parse_id),
        Column("export_change", parse_money),
    ),
)
CONDITIONS = TableSpec(
    "joint_conditions.csv",
    key="condition",
    may_be_empty=True,
    columns=(
        Column("condition", parse_id),
        Column("kind", _kind),
        Column("members", parse_terms),
        Column("count", parse_count, None),
        Column("description", None, ""),
    ),
)
OPTIONAL = (EFFECTS, CONDITIONS)  # a missing file means none


def load_coalition(path: str | Path) -> Coalition:
    """Read, validate and return the coalition in folder ``path``.

    Raises :class:`InstanceError` listing every located problem of the coalition's
    files and of every member's instance folder.
    """
    folder = Path(path)
    if not folder.is_dir():
        reason = "is a file, expected a folder" if folder.exists() else "no such folder"
        raise InstanceError(Problem(str(folder), None, None, reason), "invalid coalition")
    if not (folder / TOML_FILE).exists() and (folder / "instance.toml").exists():
        raise InstanceError(Problem(TOML_FILE, None, None, (
            f"file not found in {folder}, which holds an instance (instance.toml): a "
            "coalition folder names its members' instance folders in coalition.toml "
            "(instances/README.md, 'Coalitions'; e.g. instances/coalition_pair)")),
            "invalid coalition")
    problems: list[Problem] = []
    settings = _read_settings(folder, problems)
    members = _load_members(folder, settings.get("members", []), problems)
    tables = {spec.file: _read_table(folder, spec, problems) for spec in (
        JOINT_OFFERS, PARTICIPANTS, *OPTIONAL)}
    _check_members_agree(members, problems)
    _check_participants(tables, members, problems)
    _check_effects(tables, members, problems)
    _check_conditions(tables, members, problems)
    if problems:
        raise InstanceError(problems, "invalid coalition")
    return _assemble(folder, settings, members, tables)


def _read_table(folder: Path, spec: TableSpec, problems: list[Problem]) -> Table:
    if spec in OPTIONAL and not (folder / spec.file).exists():
        table = Table(spec)
        table.ids_complete = True
        return table
    return read_table(folder, spec, problems)


# ------------------------------------------------------------------ coalition.toml

TOP_KEYS = ("name", "description", "sources", "model", "ranking", "members")
MODEL_KEYS = ("split", "objective", "individual_rationality", "tolerance")
MEMBER_KEYS = ("path", "tier", "export_weight")


class _Toml:
    """Typed access to ``coalition.toml`` recording located problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(TOML_FILE, None, key, message))

    def keys(self, table: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                self.problem(prefix + key, f"unknown key; expected one of: {', '.join(allowed)}")

    def table(self, data: dict[str, Any], key: str, prefix: str = "") -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problem(prefix + key, f"expected a table, e.g. [{prefix}{key}]")
            return {}
        return value

    def text(self, data: dict[str, Any], key: str, prefix: str, default: str | None) -> str:
        raw = data.get(key, default)
        if raw is None:
            self.problem(prefix + key, "a value is required")
            return ""
        if not isinstance(raw, str):
            self.problem(prefix + key, f"expected text in quotes, found {raw!r}")
            return default or ""
        return raw.strip()

    def choice(self, data: dict[str, Any], key: str, prefix: str, options: tuple[str, ...]) -> str:
        text = self.text(data, key, prefix, options[0])
        if text not in options:
            self.problem(prefix + key, f"expected one of {', '.join(options)}, found '{text}'")
            return options[0]
        return text

    def number(self, data: dict[str, Any], key: str, prefix: str, parse: Any, default: Any) -> Any:
        if key not in data:
            return default
        raw = data[key]
        try:
            if isinstance(raw, bool):
                raise CellError(f"expected a number, found {raw!r}")
            return parse(raw)
        except CellError as exc:
            self.problem(prefix + key, str(exc))
            return default


def _read_settings(folder: Path, problems: list[Problem]) -> dict[str, Any]:
    """``coalition.toml`` as settings (name, model options, members), problems recorded."""
    text = read_text(folder / TOML_FILE, TOML_FILE, problems)
    if text is None:
        return {}
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:
        problems.append(Problem(TOML_FILE, None, None, f"not valid TOML: {exc}"))
        return {}
    toml = _Toml(problems)
    toml.keys(data, TOP_KEYS, "")
    model = toml.table(data, "model")
    toml.keys(model, MODEL_KEYS, "model.")
    ranking = toml.table(data, "ranking")
    toml.keys(ranking, ("top",), "ranking.")
    sources = data.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        toml.problem("sources", "expected a list of texts in quotes")
        sources = []
    return {
        "name": toml.text(data, "name", "", None),
        "description": toml.text(data, "description", "", ""),
        "sources": tuple(sources),
        "split": toml.choice(model, "split", "model.", SPLITS),
        "objective": toml.choice(model, "objective", "model.", COALITION_OBJECTIVES),
        "rationality": toml.choice(model, "individual_rationality", "model.", RATIONALITY),
        "tolerance": toml.number(model, "tolerance", "model.", parse_nonnegative, 0.0),
        "top": toml.number(ranking, "top", "ranking.", _top, 1),
        "members": _read_member_entries(toml, data),
    }


def _top(raw: Any) -> int:
    value = parse_count(raw)
    if value < 1:
        raise CellError(f"expected a whole number >= 1, found {raw}")
    return value


def _read_member_entries(toml: _Toml, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``[members.ID]`` tables: id, path, tier, export weight (None: the default)."""
    members = toml.table(data, "members")
    if not members and "members" not in data:
        toml.problem("members", "a value is required: at least 2 tables [members.ID]")
    entries = []
    for key, entry in members.items():
        prefix = f"members.{key}."
        try:
            parse_id(key)
        except CellError as exc:
            toml.problem(f"members.{key}", str(exc))
            continue
        if not isinstance(entry, dict):
            toml.problem(f"members.{key}", f"expected a table, e.g. [members.{key}]")
            continue
        toml.keys(entry, MEMBER_KEYS, prefix)
        entries.append({
            "member": key,
            "path": toml.text(entry, "path", prefix, None),
            "tier": toml.choice(entry, "tier", prefix, TIERS),
            "export_weight": toml.number(entry, "export_weight", prefix, parse_positive, None),
        })
    if members and not 2 <= len(entries) <= MAX_MEMBERS:
        toml.problem("members", f"a coalition has 2 to {MAX_MEMBERS} members, found "
                     f"{len(entries)} (v(S) is solved for all 2^n - 1 sub-coalitions)")
    return entries


# ------------------------------------------------------------------ members


def _load_members(
    folder: Path, entries: list[dict[str, Any]], problems: list[Problem]
) -> dict[str, Member | None]:
    """Each member's instance; None for one that did not load (its problems recorded)."""
    members: dict[str, Member | None] = {}
    for entry in entries:
        members[entry["member"]] = _load_member(folder, entry, problems)
    return members


def _load_member(folder: Path, entry: dict[str, Any], problems: list[Problem]) -> Member | None:
    path = entry["path"]
    if not path:
        return None
    try:
        instance = load_instance(folder / path)
    except InstanceError as error:
        for p in error.problems:
            where = path if p.file == str(folder / path) else f"{path}/{p.file}"
            problems.append(Problem(where, p.row, p.column, p.message))
        return None
    weight = entry["export_weight"]
    if weight is None:
        weight = sum(s.exports for s in instance.sectors)
    return Member(entry["member"], instance, entry["tier"], weight, path)


def _check_members_agree(members: dict[str, Member | None], problems: list[Problem]) -> None:
    """Every member negotiates with the same counterpart, in the same money."""
    loaded = [m for m in members.values() if m is not None]
    if not loaded:
        return
    first = loaded[0]
    for m in loaded[1:]:
        for what, mine, theirs in (
            ("counterpart", m.instance.counterpart, first.instance.counterpart),
            ("money", m.instance.money, first.instance.money),
        ):
            if mine != theirs:
                problems.append(Problem(
                    TOML_FILE, None, f"members.{m.member}.path",
                    f"{m.path}: {what} '{mine}' differs from {first.member}'s '{theirs}' "
                    "(a coalition negotiates with one counterpart, in one money unit)",
                ))


# ------------------------------------------------------------------ checks across files


def _check_participants(
    tables: dict[str, Table], members: dict[str, Member | None], problems: list[Problem]
) -> None:
    offers = tables[JOINT_OFFERS.file]
    offer_ids = offers.ids if offers.ids_complete else None
    seen: dict[tuple[str, str], int] = {}
    eligible: dict[str, int] = {}
    for row in tables[PARTICIPANTS.file].rows:
        joint, member = row.values.get("joint_offer"), row.values.get("member")
        if joint is not None and offer_ids is not None and joint not in offer_ids:
            problems.append(Problem(PARTICIPANTS.file, row.number, "joint_offer",
                                    f"'{joint}' is not a joint offer in {JOINT_OFFERS.file}"))
        if member is not None and members and member not in members:
            problems.append(Problem(PARTICIPANTS.file, row.number, "member",
                                    f"'{member}' is not a member in {TOML_FILE}"))
        if joint is None or member is None:
            continue
        if (joint, member) in seen:
            problems.append(Problem(
                PARTICIPANTS.file, row.number, "member",
                f"'{member}' already takes part in '{joint}' (row {seen[joint, member]})"))
            continue
        seen[joint, member] = row.number
        eligible[joint] = eligible.get(joint, 0) + 1
    _check_enough(offers, eligible, problems)


def _check_enough(offers: Table, eligible: dict[str, int], problems: list[Problem]) -> None:
    """A joint offer needs at least ``min_members`` eligible members to be made at all."""
    for row in offers.rows:
        joint, need = row.values.get("joint_offer"), row.values.get("min_members")
        if joint is None or need is None:
            continue
        have = eligible.get(joint, 0)
        if have < need:
            problems.append(Problem(
                JOINT_OFFERS.file, row.number, "min_members",
                f"'{joint}' needs {need} participants but {have} member(s) may take part "
                f"({PARTICIPANTS.file})"))


def _check_effects(
    tables: dict[str, Table], members: dict[str, Member | None], problems: list[Problem]
) -> None:
    participations = {
        (r.values.get("joint_offer"), r.values.get("member"))
        for r in tables[PARTICIPANTS.file].rows
    }
    for row in tables[EFFECTS.file].rows:
        joint, member, market = (row.values.get(k) for k in ("joint_offer", "member", "market"))
        if joint is None or member is None:
            continue
        if (joint, member) not in participations:
            problems.append(Problem(
                EFFECTS.file, row.number, "member",
                f"'{member}' does not take part in '{joint}' ({PARTICIPANTS.file})"))
            continue
        loaded = members.get(member)
        if market is not None and loaded is not None and market not in loaded.instance.market_by_id:
            problems.append(Problem(
                EFFECTS.file, row.number, "market",
                f"'{market}' is not a market of {member} ({loaded.path}/markets.csv)"))


def _decision_ids(instance: Instance) -> set[str]:
    return {s.sector for s in instance.sectors} | set(instance.decision_ids())


def _term_problem(
    term: Term, joint_ids: set[str] | None, members: dict[str, Member | None]
) -> str | None:
    """Why ``term`` names nothing, or None (also when what it names could not be read)."""
    if not term.member:
        if joint_ids is not None and term.ref not in joint_ids:
            return f"'{term.ref}' is not a joint offer (write MEMBER:ID for a member's decision)"
        return None
    if members and term.member not in members:
        return f"'{term.member}' is not a member in {TOML_FILE}"
    member = members.get(term.member)
    if member is None or joint_ids is None:
        return None
    if term.ref in joint_ids or term.ref in _decision_ids(member.instance):
        return None
    return (f"'{term.ref}' is neither a joint offer nor a request, offer or sector "
            f"of {term.member} ({member.path})")


def _check_conditions(
    tables: dict[str, Table], members: dict[str, Member | None], problems: list[Problem]
) -> None:
    offers = tables[JOINT_OFFERS.file]
    joint_ids = offers.ids if offers.ids_complete else None
    for row in tables[CONDITIONS.file].rows:
        for term in row.values.get("members") or ():
            message = _term_problem(term, joint_ids, members)
            if message is not None:
                problems.append(Problem(CONDITIONS.file, row.number, "members", message))
        check_condition_shape(CONDITIONS.file, row, problems)


# ------------------------------------------------------------------ assembling


def _assemble(
    folder: Path, settings: dict[str, Any], members: dict[str, Member | None],
    tables: dict[str, Table],
) -> Coalition:
    loaded = tuple(m for m in members.values() if m is not None)

    def rows(spec: TableSpec) -> list[dict[str, Any]]:
        return [r.values for r in tables[spec.file].rows if r.ok]

    conditions = tuple(
        JointCondition(v["condition"], v["kind"], v["members"], v["count"], v["description"],
                       v["note"], v["source"])
        for v in rows(CONDITIONS)
    )
    return Coalition(
        name=settings["name"],
        description=settings["description"],
        counterpart=loaded[0].instance.counterpart,
        money=loaded[0].instance.money,
        split=settings["split"],
        objective=settings["objective"],
        rationality=settings["rationality"],
        tolerance=settings["tolerance"],
        top=settings["top"],
        members=loaded,
        joint_offers=tuple(JointOffer(**v) for v in rows(JOINT_OFFERS)),
        participations=tuple(Participation(**v) for v in rows(PARTICIPANTS)),
        effects=tuple(JointEffect(**v) for v in rows(EFFECTS)),
        conditions=conditions,
        sources=settings["sources"],
        path=str(folder),
    )
