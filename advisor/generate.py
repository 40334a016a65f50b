"""Synthetic tariff-line instances, calibrated on a sector-level instance.

Real negotiations list concessions line by line (the US schedule has over 11,000
eight-digit lines). This generator splits each sector of a base instance (by
default ``instances/malaysia_us_2025``) into tariff lines and writes a valid
instance folder: ``python -m advisor.generate --lines N --seed S --output DIR``.

The output is **synthetic**: every row says so in its ``source`` column. What it keeps
from the base: the markets, offers, offer effects and scenarios; each sector's
current and threat tariffs, its request tiers (tariff, acceptance) and its total
exports, which the lines' exports add up to exactly. What it invents:

- how many lines a sector has: N shared in proportion to sector exports (at least
  one each, largest remainders);
- each line's HS-8 code: the sector's first HS code, then a serial number;
- each line's exports: Pareto weights (shape 1.16, the "80/20" tail of trade
  flows across tariff lines) scaled to the sector total;
- each line's elasticity: the sector's sigma times a log-normal factor (s.d. 0.15).

Conditions: those naming only offers are copied; those whose subject is a sector or
request tier and whose objects are offers (``requires``, ``requires_one_of``,
``excludes``) are copied once per line; the others are dropped (the generated
instance's description counts them). Seeded and deterministic: the same
arguments write the same files, byte for byte.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from advisor.errors import InstanceError
from advisor.inputs.loader import load_instance
from advisor.instance import Condition, Instance, Sector

DEFAULT_BASE = Path(__file__).resolve().parent.parent / "instances" / "malaysia_us_2025"
SYNTHETIC = "SYNTHETIC: advisor.generate"
PARETO_SHAPE = 1.16
ELASTICITY_SPREAD = 0.15


def allocate_lines(sectors: Sequence[Sector], lines: int) -> list[int]:
    """Lines per sector: proportional to exports, at least one, largest remainders."""
    if lines < len(sectors):
        raise ValueError(f"need at least {len(sectors)} lines, one per sector; got {lines}")
    total = sum(s.exports for s in sectors)
    quotas = [(lines - len(sectors)) * s.exports / total for s in sectors]
    counts = [1 + int(q) for q in quotas]
    order = sorted(range(len(sectors)), key=lambda i: (-(quotas[i] - int(quotas[i])), i))
    for i in order[: lines - sum(counts)]:
        counts[i] += 1
    return counts


def _hs_prefix(sector: Sector) -> str:
    digits = "".join(ch for ch in sector.hs_codes.split(";")[0].split(" ")[0] if ch.isdigit())
    return digits[:6] or "9999"


def _line_rows(sector: Sector, count: int, rng: np.random.Generator) -> list[dict[str, object]]:
    prefix = _hs_prefix(sector)
    width = max(8 - len(prefix), len(str(count)))
    weights = rng.pareto(PARETO_SHAPE, count) + 1.0
    exports = _rounded_within(sector.exports * weights / weights.sum(), sector.exports)
    sigmas = sector.elasticity * np.exp(rng.normal(0.0, ELASTICITY_SPREAD, count))
    rows = []
    for i in range(count):
        code = f"{prefix}{i + 1:0{width}d}"
        rows.append(
            {
                "sector": f"{sector.sector}.{code}",
                "name": f"{sector.name}, line {code}",
                "hs_codes": code,
                "exports": exports[i],
                "current_tariff": tariff_cell(sector.current_tariff),
                "threat_tariff": tariff_cell(sector.threat_tariff),
                "elasticity": round(float(sigmas[i]), 6),
                "sensitivity": sector.sensitivity,
                "source": SYNTHETIC,
                "note": f"a line of {sector.sector} in the base instance",
            }
        )
    return rows


def _rounded_within(exports: np.ndarray, total: float) -> list[float]:
    """The lines' exports rounded to 6 decimals, adding up to at most ``total``.

    Rounding each line can push their sum past the sector's exports (400.000001 for
    400), which the loader rejects when the counterpart's market row equals that sum;
    the excess comes off the largest line.
    """
    rounded = [round(float(x), 6) for x in exports]
    excess = math.fsum(rounded) - total
    if excess > 0:
        largest = max(range(len(rounded)), key=lambda i: rounded[i])
        rounded[largest] = round(rounded[largest] - math.ceil(excess * 1e6) / 1e6, 6)
    return rounded


def tariff_cell(tariff: float) -> float | str:
    """A tariff as the loader reads it: a fraction up to 100%, with the % sign above.

    The loader refuses a bare number above 1, as a percentage typed without its sign.
    """
    return tariff if tariff <= 1 else f"{tariff * 100:.10g}%"


def _tier_suffix(request_id: str, sector_id: str) -> str:
    return (
        request_id[len(sector_id) + 1 :] if request_id.startswith(sector_id + "_") else request_id
    )


def generate(base: Instance, lines: int, seed: int) -> dict[str, pd.DataFrame | str]:
    """The tables and ``instance.toml`` text of a ``lines``-line instance."""
    rng = np.random.default_rng(seed)
    counts = allocate_lines(base.sectors, lines)
    sector_rows: list[dict[str, object]] = []
    lines_of: dict[str, list[str]] = {}
    for sector, count in zip(base.sectors, counts, strict=True):
        rows = _line_rows(sector, count, rng)
        sector_rows.extend(rows)
        lines_of[sector.sector] = [str(r["sector"]) for r in rows]
    line_share = {str(r["sector"]): float(str(r["exports"])) for r in sector_rows}
    sigma = {str(r["sector"]): float(str(r["elasticity"])) for r in sector_rows}
    request_rows = []
    request_of: dict[tuple[str, str], str] = {}
    for r in base.requests:
        total = base.sector_by_id[r.sector].exports
        for line in lines_of[r.sector]:
            rid = f"{line}-{_tier_suffix(r.request, r.sector)}"
            request_of[r.request, line] = rid
            cost = (
                None
                if r.counterpart_cost is None
                else r.counterpart_cost * line_share[line] / total
            )
            request_rows.append(
                {
                    "request": rid,
                    "sector": line,
                    "tier": r.tier,
                    "tariff": tariff_cell(r.tariff),
                    "acceptance": r.acceptance,
                    "counterpart_cost": "" if cost is None else cost,
                    "source": SYNTHETIC,
                }
            )
    conditions, dropped = _conditions(base, lines_of, request_of)
    return {
        "markets.csv": _frame(base.markets),
        "sectors.csv": pd.DataFrame(sector_rows),
        "requests.csv": pd.DataFrame(request_rows),
        "offers.csv": _frame(base.offers),
        "offer_effects.csv": _frame(base.offer_effects, ["offer", "market", "export_change"]),
        "conditions.csv": pd.DataFrame(
            conditions, columns=["condition", "kind", "members", "count", "description", "source"]
        ),
        "instance.toml": _toml(base, lines, seed, lines_of, dropped, sigma),
    }


def _frame(rows: Sequence[object], columns: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame([vars(r) for r in rows], columns=columns)
    if "source" in frame:
        frame["source"] = frame["source"].where(frame["source"] != "", SYNTHETIC)
    return frame


def _conditions(
    base: Instance, lines_of: dict[str, list[str]], request_of: dict[tuple[str, str], str]
) -> tuple[list[dict[str, object]], int]:
    offers = set(base.offer_by_id)
    out: list[dict[str, object]] = []
    dropped = 0
    for c in base.conditions:
        if all(m in offers for m in c.members):
            out.append(_condition_row(c, c.condition, c.members))
        elif c.kind in ("requires", "requires_one_of", "excludes") and all(
            m in offers for m in c.objects
        ):
            subject = c.subject
            sector = (
                base.request_by_id[subject].sector if subject in base.request_by_id else subject
            )
            for line in lines_of[sector]:
                mapped = request_of[subject, line] if subject in base.request_by_id else line
                out.append(_condition_row(c, f"{c.condition}-{line}", (mapped, *c.objects)))
        else:
            dropped += 1
    return out, dropped


def _condition_row(c: Condition, cid: str, members: Sequence[str]) -> dict[str, object]:
    return {
        "condition": cid,
        "kind": c.kind,
        "members": "; ".join(members),
        "count": "" if c.count is None else c.count,
        "description": c.description,
        "source": SYNTHETIC,
    }


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _scaled(
    base: Instance, key: str, sector: str, value: float, line: str, sigma: dict[str, float]
) -> float | str:
    """A scenario override for a line: tariffs as they are, sigma scaled like the sector's."""
    if key != "elasticity":
        return tariff_cell(value)
    return round(sigma[line] * value / base.sector_by_id[sector].elasticity, 6)


def _toml(
    base: Instance,
    lines: int,
    seed: int,
    lines_of: dict[str, list[str]],
    dropped: int,
    sigma: dict[str, float],
) -> str:
    out = [
        "# SYNTHETIC instance written by advisor.generate: not data. Tariff lines, their",
        "# exports and elasticities are invented, calibrated on the base instance below.",
        f"name = {_toml_value(f'Synthetic tariff-line instance: {lines} lines, seed {seed}')}",
        "description = "
        + _toml_value(
            f"SYNTHETIC. {base.name} split into {lines} tariff lines (seed {seed}); "
            f"{dropped} base condition(s) that do not map to lines were dropped."
        ),
    ]
    for key in ("home", "counterpart", "currency", "unit"):
        out.append(f"{key} = {_toml_value(getattr(base, key))}")
    out += ["", "[model]"]
    out.append(f"offer_cost_weight = {base.offer_cost_weight!r}")
    out.append(f"reciprocity_ratio = {base.reciprocity_ratio!r}")
    if base.domestic_budget is not None:
        out.append(f"domestic_budget = {base.domestic_budget!r}")
    out.append(f"counterpart_cost_weight = {base.counterpart_cost_weight!r}")
    out.append(f"objective = {_toml_value(base.objective)}")
    for table in ("market_share_caps", "market_share_floors"):
        values = getattr(base, table)
        if values:
            out += ["", f"[{table}]"] + [f"{m} = {v!r}" for m, v in values.items()]
    out += [
        "",
        "[ranking]",
        "top = 10",
        "min_difference = 1",
        "mip_gap = 0.0",
        f"distinct_on = {_toml_value('offers' if lines > 200 else 'all')}",
    ]
    if len(base.scenarios) > 1 or base.scenarios[0].name != "base":
        for w in base.scenarios:
            out += [
                "",
                "[[scenarios]]",
                f"name = {_toml_value(w.name)}",
                f"probability = {w.probability!r}",
                f"description = {_toml_value(w.description)}",
            ]
            for key in ("threat_tariff", "current_tariff", "elasticity"):
                pairs = [
                    f'"{line}" = {_scaled(base, key, sector, value, line, sigma)!r}'
                    for sector, value in getattr(w, key).items()
                    for line in lines_of[sector]
                ]
                if pairs:
                    out.append(f"{key} = {{ {', '.join(pairs)} }}")
    return "\n".join(out) + "\n"


def write_instance(tables: dict[str, pd.DataFrame | str], folder: Path) -> None:
    """Write the generated files into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in tables.items():
        path = folder / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            content.to_csv(path, index=False, lineterminator="\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write a synthetic instance; return the exit code (0, or 2 on an error)."""
    parser = argparse.ArgumentParser(
        prog="python -m advisor.generate",
        description="Write a SYNTHETIC tariff-line instance calibrated on a sector-level one.",
        epilog="example: python -m advisor.generate --lines 1000 --seed 1 --output /tmp/lines1000",
    )
    parser.add_argument("--lines", type=int, required=True, help="number of tariff lines")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--output", type=Path, required=True, help="folder to write")
    parser.add_argument(
        "--base",
        type=Path,
        default=DEFAULT_BASE,
        help="sector-level instance to split (default: malaysia_us_2025)",
    )
    args = parser.parse_args(argv)
    try:
        base = load_instance(args.base)
        tables = generate(base, args.lines, args.seed)
    except InstanceError as exc:
        print(exc, file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_instance(tables, args.output)
    print(f"wrote {args.lines} lines to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
