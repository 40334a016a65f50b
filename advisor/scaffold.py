"""``advisor new``: a valid, commented instance to edit, written in one step.

The new instance is a copy of a shipped template (``tiny`` or ``malaysia_us_2025``)
that ``advisor rank`` runs at once, with every value marked as a placeholder: each
table row's ``note`` starts with ``PLACEHOLDER``, ``instance.toml`` opens with a
comment block saying what each key means, and a ``README.md`` beside the tables
explains every column of every table (:data:`COLUMN_DOCS`, which the workbook writer
also puts on each header cell as a note). ``--home`` and ``--counterpart`` rename the
parties' codes wherever they appear (the counterpart is a market, so its id changes
in ``markets.csv``, ``offer_effects.csv`` and the share caps and floors).

The folder is built beside its destination and renamed into place, so a failed run
leaves nothing behind; a workbook destination (``.xlsx``) is converted from it.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from pathlib import Path

from advisor.errors import InstanceError
from advisor.inputs.cells import CellError, parse_id
from advisor.inputs.linkages import LINKAGES
from advisor.inputs.loader import TABLES, load_instance

TEMPLATES = ("tiny", "malaysia_us_2025")
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "PLACEHOLDER"

COLUMN_DOCS: dict[str, dict[str, str]] = {
    "markets.csv": {
        "market": "id of a market home exports to (e.g. USA, CHN, ROW); the counterpart is one",
        "name": "display name",
        "exports": "home's baseline exports to this market (money, >= 0); the counterpart's "
        "row is all home's exports to it, at least the sum of sectors' exports",
    },
    "sectors.csv": {
        "sector": "id of a sector exported to the counterpart (e.g. IC)",
        "name": "display name",
        "hs_codes": "optional: HS codes covered, e.g. 8542 or 8541.41; 8541.42",
        "exports": "baseline exports to the counterpart at the current tariff (money, > 0)",
        "current_tariff": "the tariff today: 0.10 or 10% (a bare number above 1 is an error)",
        "threat_tariff": "the tariff without a deal (e.g. a Section 232 rate)",
        "elasticity": "sigma, 0 < sigma <= 50: the counterpart's import elasticity",
        "sensitivity": "optional (1): weight >= 0 on the counterpart's forgone revenue",
        "value_weight": "optional (1): what a unit of these exports is worth to home "
        "(e.g. its domestic value-added share)",
    },
    "requests.csv": {
        "request": "id of a tier home may request (e.g. IC_perm0); at most one per sector",
        "sector": "the sector id it concerns",
        "tier": "label, e.g. permanent 0% or cap 10%",
        "tariff": "the tariff this tier grants (0.10 or 10%)",
        "acceptance": "optional (1): probability in [0, 1] that the counterpart grants it",
        "counterpart_cost": "optional (blank: forgone tariff revenue): the counterpart's "
        "cost of granting it (money)",
    },
    "offers.csv": {
        "offer": "id of something home may give (e.g. LNG)",
        "name": "display name",
        "category": "optional: purchase, tariff, regulatory, security, investment, ...",
        "counterpart_value": "value to the counterpart (money, >= 0)",
        "domestic_cost": "cost to home (money, >= 0), not counting export changes "
        "listed in offer_effects",
    },
    "offer_effects.csv": {
        "offer": "an offer id",
        "market": "a market id",
        "export_change": "change in home's exports to that market if the offer is made "
        "(money, signed: -1500 is a loss)",
        "value_weight": "optional: what a unit of this change is worth to home (default: "
        "the sectors' export-weighted mean)",
    },
    "conditions.csv": {
        "condition": "id of a treaty condition",
        "kind": "requires, requires_one_of, excludes, at_most or at_least",
        "members": "request, offer or sector ids separated by ';' (the subject first)",
        "count": "k, for at_most and at_least",
        "description": "the condition in words",
    },
    "linkages.csv": {
        "offer": "an offer id",
        "effect": "acceptance (raises a request's acceptance) or scenario (moves probability)",
        "target": "a request id (acceptance) or the scenario that loses probability",
        "value": "the acceptance once the offer is made, or the probability moved",
        "to": "for scenario: the scenario that gains the probability",
    },
}
SHARED_DOCS = {
    "note": "free text: what the row is, how it was estimated (label estimates EST)",
    "source": "free text: where the figures come from",
}

TOML_HEAD = """\
# {marker}: a new instance made by `advisor new` from the template '{template}'.
# Every value below, and every row of the tables, is a placeholder copied from that
# template: replace each with your own figure and its source, then check the folder
# with `advisor validate FOLDER` and rank with `advisor rank FOLDER`. README.md in this
# folder explains every column; instances/README.md the whole format.
#
# name, description      what the negotiation is
# home, counterpart      the party advised and its partner (a market in markets.csv)
# currency, unit         the money unit of every table (e.g. USD million)
# sources                citations for the figures
# [model]                offer_cost_weight (lambda), reciprocity_ratio (rho),
#                        domestic_budget (cap on the offers' domestic cost),
#                        counterpart_cost_weight, objective (expected | worst_case |
#                        regret), offer_effects_in_objective, reciprocity, shares
# [market_share_caps]    market = the largest share of home's exports after the deal
# [market_share_floors]  market = the smallest share
# [ranking]              top, min_difference, mip_gap, time_limit, distinct_on
# [[scenarios]]          the counterpart's possible threats: name, probability,
#                        description, threat_tariff / current_tariff / elasticity
#                        overrides per sector
"""


def find_template(name: str) -> Path:
    """The folder of template ``name`` (in the repository, else under the cwd)."""
    if name not in TEMPLATES:
        raise ValueError(f"template must be one of {', '.join(TEMPLATES)}, got {name!r}")
    for base in (REPOSITORY_ROOT, Path.cwd()):
        folder = base / "instances" / name
        if folder.is_dir():
            return folder
    raise ValueError(f"the template folder instances/{name} is missing")


def _code(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    try:
        return parse_id(value)
    except CellError as error:
        raise ValueError(f"--{what}: {error}") from None


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _mark_table(rows: list[list[str]], template: str, rename: dict[str, str]) -> list[list[str]]:
    """The rows with market ids renamed and every row's note marked as a placeholder."""
    header = [c.strip().lower() for c in rows[0]]
    if "note" not in header:
        header.append("note")
        rows = [[*rows[0], "note"], *([*r, ""] for r in rows[1:])]
    note = header.index("note")
    market = header.index("market") if "market" in header else None
    out = [rows[0]]
    for row in rows[1:]:
        row = row + [""] * (len(header) - len(row))
        if market is not None:
            row[market] = rename.get(row[market].strip(), row[market])
        mark = f"{PLACEHOLDER} (from {template}): replace with your figures."
        row[note] = f"{mark} {row[note]}".strip()
        out.append(row)
    return out


def _toml_text(text: str, template: str, codes: dict[str, str], rename: dict[str, str]) -> str:
    """The template's settings with the parties renamed and the comment block on top."""
    for key, code in codes.items():
        text = re.sub(rf'(?m)^({key}\s*=\s*)"[^"]*"', rf'\g<1>"{code}"', text, count=1)
    for old, new in rename.items():  # a cap or floor keyed by the counterpart's market
        text = re.sub(rf"(?m)^{re.escape(old)}(\s*=)", rf"{new}\g<1>", text)
    text = re.sub(
        r'(?m)^name\s*=\s*"([^"]*)"',
        lambda m: f'name = "{PLACEHOLDER}: {m.group(1)}"',
        text,
        count=1,
    )
    return TOML_HEAD.format(marker=PLACEHOLDER, template=template) + "\n" + text


def readme_text(template: str) -> str:
    """The new folder's README: every column of every table, and where to start."""
    lines = [
        "# A new negotiation (made by `advisor new`)",
        "",
        f"Every figure is a **{PLACEHOLDER}** copied from the template `{template}`: each "
        f"row's `note` starts with `{PLACEHOLDER}`. Replace the figures with your own, "
        "with their sources, and remove the marker. Check with `advisor validate FOLDER` "
        "(every problem, located by file, row and column) and rank with `advisor rank "
        "FOLDER`. The full format: instances/README.md in the advisor's repository.",
        "",
    ]
    for file, columns in COLUMN_DOCS.items():
        lines += [f"## `{file}`", "", "| column | meaning |", "|---|---|"]
        for column, doc in {**columns, **SHARED_DOCS}.items():
            lines.append(f"| `{column}` | {doc} |")
        lines.append("")
    return "\n".join(lines)


def write_folder(folder: Path, template: str, home: str | None, counterpart: str | None) -> None:
    """Write the new instance into the existing empty ``folder`` (see the module)."""
    source = find_template(template)
    settings = load_instance(source)
    codes = {k: v for k, v in (("home", home), ("counterpart", counterpart)) if v is not None}
    rename = {}
    if counterpart is not None and counterpart != settings.counterpart:
        if counterpart in {m.market for m in settings.markets}:
            raise ValueError(
                f"--counterpart {counterpart}: the template '{template}' already has a market "
                f"{counterpart}; choose another code (and edit markets.csv afterwards)"
            )
        rename[settings.counterpart] = counterpart
    for spec in (*TABLES, LINKAGES):
        path = source / spec.file
        if path.exists():
            rows = _mark_table(_rows(path), template, rename)
            (folder / spec.file).write_text(_csv_text(rows), encoding="utf-8")
    toml = (source / "instance.toml").read_text(encoding="utf-8")
    (folder / "instance.toml").write_text(
        _toml_text(toml, template, codes, rename), encoding="utf-8"
    )
    (folder / "README.md").write_text(readme_text(template), encoding="utf-8")


def new_instance(
    destination: str | Path,
    template: str = "tiny",
    home: str | None = None,
    counterpart: str | None = None,
) -> Path:
    """Write a new instance to ``destination`` (a folder, or a ``.xlsx`` workbook).

    Raises ValueError (in words) for a destination that exists and is not an empty
    folder, an unknown template, or a code that is not an id. The new instance is
    loaded before it is moved into place: it is valid, or nothing is written.
    """
    target = Path(destination)
    home, counterpart = _code(home, "home"), _code(counterpart, "counterpart")
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise ValueError(f"{target} already exists: give a new folder or workbook name")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{target}: the folder {parent} does not exist")
    with tempfile.TemporaryDirectory(prefix=".advisor-new-", dir=parent) as work:
        folder = Path(work) / "instance"
        folder.mkdir()
        write_folder(folder, template, home, counterpart)
        try:
            load_instance(folder)
        except InstanceError as error:  # a bug: the template and the renaming are ours
            raise RuntimeError(f"advisor new wrote an invalid instance: {error}") from None
        if target.suffix.lower() == ".xlsx":
            from advisor.inputs.workbook import folder_to_workbook

            folder_to_workbook(folder, target)
        else:
            if target.exists():
                target.rmdir()
            shutil.move(str(folder), str(target))
    return target


__all__ = ["COLUMN_DOCS", "SHARED_DOCS", "TEMPLATES", "new_instance"]
