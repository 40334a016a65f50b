"""A calibrated copy of an instance folder, written atomically (``calibrate --apply DIR``).

:func:`write_calibrated` copies the instance's folder and writes the fitted
counterpart into the copy, so that ``advisor rank DIR`` advises under it:

- ``instance.toml``: ``[model] reciprocity_ratio = ρ`` (the line replaced, or added),
  and a comment at the top saying what was calibrated, from what;
- ``offers.csv``: ``counterpart_value`` times the multiplier of the offer's category;
- ``requests.csv``: ``acceptance`` = min(1, α × acceptance) (the column added when the
  file had none: its default is 1);
- ``linkages.csv`` (if any): an ``acceptance`` row's ``value`` = min(1, α × value).

The copy is built in a hidden folder beside DIR, loaded back and compared with
:func:`advisor.analysis.calibrate.calibrated_instance` of the source, and only then
renamed to DIR: DIR is the whole calibrated instance or does not exist. DIR must not
exist beforehand (nothing is overwritten).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from advisor.analysis.calibrate import calibrated_instance
from advisor.instance import Instance

Edit = Callable[[dict[str, str]], dict[str, str]]


def write_calibrated(instance: Instance, values: Mapping[str, float], target: str | Path,
                     note: str = "") -> Path:
    """Copy ``instance``'s folder to ``target`` with ``values`` written in; returns the path.

    Raises :class:`FileExistsError` if ``target`` exists, :class:`OSError` if it cannot
    be written, :class:`RuntimeError` if the copy does not load back as intended.
    """
    from advisor.inputs.loader import load_instance

    source, target = Path(instance.path), Path(target)
    if target.exists() or target.is_symlink():
        raise FileExistsError(f"{target} already exists; --apply writes a new folder")
    expected = calibrated_instance(instance, values)
    parent = target.absolute().parent
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        shutil.copytree(source, temporary, dirs_exist_ok=True)
        _edit(temporary, instance, expected, values, note)
        _check(load_instance(temporary), expected)
        os.rename(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return target


def _number(value: float) -> str:
    return f"{value:.12g}"


def _edit(folder: Path, source: Instance, expected: Instance, values: Mapping[str, float],
          note: str) -> None:
    offers = {o.offer: o.counterpart_value for o in expected.offers}
    requests = {r.request: r.acceptance for r in expected.requests}
    links = {(k.offer, k.target): k.value for k in expected.linkages if k.effect == "acceptance"}

    def offer(row: dict[str, str]) -> dict[str, str]:
        return row | {"counterpart_value": _number(offers[row["offer"].strip()])}

    def request(row: dict[str, str]) -> dict[str, str]:
        return row | {"acceptance": _number(requests[row["request"].strip()])}

    def linkage(row: dict[str, str]) -> dict[str, str]:
        key = (row["offer"].strip(), row["target"].strip())
        if row.get("effect", "").strip() != "acceptance" or key not in links:
            return row
        return row | {"value": _number(links[key])}

    _rewrite(folder / "offers.csv", offer, "counterpart_value")
    _rewrite(folder / "requests.csv", request, "acceptance")
    if (folder / "linkages.csv").exists():
        _rewrite(folder / "linkages.csv", linkage, "value")
    _set_ratio(folder / "instance.toml", expected.reciprocity_ratio, values, source, note)


def _rewrite(path: Path, edit: Edit, column: str) -> None:
    """Rewrite the CSV at ``path`` row by row (``column`` added to the header if missing)."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    with path.open(encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle))
    if column not in header:
        header.append(column)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(edit({k: v for k, v in row.items() if k is not None}))
    path.write_text(out.getvalue(), encoding="utf-8")


def _set_ratio(path: Path, ratio: float, values: Mapping[str, float], source: Instance,
               note: str) -> None:
    """``[model] reciprocity_ratio = ratio`` in instance.toml, with a provenance comment."""
    lines = path.read_text(encoding="utf-8").splitlines()
    table, done = "", False
    line_value = f"reciprocity_ratio = {_number(ratio)}          # calibrated (advisor calibrate)"
    for i, line in enumerate(lines):
        header = re.match(r"\s*\[([^\[\]]+)\]\s*(#.*)?$", line)
        if header:
            table = header.group(1).strip()
        elif table == "model" and re.match(r"\s*reciprocity_ratio\s*=", line):
            lines[i], done = line_value, True
    if not done:
        at = next((i for i, x in enumerate(lines) if re.match(r"\s*\[model\]", x)), None)
        if at is None:
            lines += ["", "[model]", line_value]
        else:
            lines.insert(at + 1, line_value)
    fitted = ", ".join(f"{k} = {v:g}" for k, v in values.items())
    head = [f"# Calibrated copy of {source.path} written by advisor calibrate: {fitted}.",
            "# Offers' counterpart values, acceptance probabilities and the reciprocity ratio",
            "# carry the fitted counterpart" + (f" ({note})." if note else ".")]
    path.write_text("\n".join(head + lines) + "\n", encoding="utf-8")


def _check(loaded: Instance, expected: Instance) -> None:
    """The copy, loaded back, holds the calibrated numbers (else RuntimeError)."""
    pairs = [(loaded.reciprocity_ratio, expected.reciprocity_ratio)]
    pairs += [(a.counterpart_value, b.counterpart_value)
              for a, b in zip(loaded.offers, expected.offers, strict=True)]
    pairs += [(a.acceptance, b.acceptance)
              for a, b in zip(loaded.requests, expected.requests, strict=True)]
    pairs += [(a.value, b.value) for a, b in zip(loaded.linkages, expected.linkages, strict=True)]
    if not all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in pairs):
        raise RuntimeError("the calibrated copy did not load back with the fitted values")
