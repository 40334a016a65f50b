"""A calibration (:func:`advisor.calibrate`) in the four report formats.

- ``table``: the search and its score, the fitted counterpart (value, interval, tied
  grid values), the fit on each instance, leave-one-out, the predictions, and every
  predicted or observed decision (within 100 columns);
- ``markdown``: the same as a brief;
- ``csv``: :meth:`Calibration.to_frame`, one row per fitted parameter;
- ``json`` (version 1): ``schema_version``, ``report`` (``"calibrate"``), ``units``
  and :meth:`Calibration.to_dict`: ``parameters`` (by name: ``reciprocity_ratio``,
  ``value_multiplier.<category>``, ``acceptance_multiplier``, each with ``value``,
  ``interval`` [low, high], ``tied_values`` and ``grid``), ``score`` (``distance``,
  ``gap``), ``search``, ``points``, ``solves``, ``fits``, ``leave_one_out`` and
  ``predictions`` (each: ``instance``, ``path``, ``predicted``, ``predicted_value``,
  ``observed``, ``observed_value``, ``distance``, ``nearest_optimum_distance``,
  ``gap``, ``observed_breaks``, ``decisions`` [{``decision``, ``observed``,
  ``predicted``}], ``fitted``), ``warnings``.

Units: every parameter is a pure number (ρ: counterpart value per unit of its cost;
the multipliers scale the offers' counterpart values and the acceptance
probabilities); distances count decisions; the gap is relative (dimensionless);
values are in each instance's objective units.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.report.json_report import dumps
from advisor.report.text import md_paragraph, md_table, money, text_table, wrap

if TYPE_CHECKING:
    from advisor.analysis.calibrate import Calibration, Comparison

RATIO, ACCEPTANCE = "reciprocity_ratio", "acceptance_multiplier"
SEARCH_WORDS = {"grid": "every grid point", "coordinate": "coordinate descent on the grid"}

SCHEMA_VERSION = 1
UNITS = {
    "parameters": "pure numbers: reciprocity_ratio is the counterpart's value asked per unit "
    "of its cost; value_multiplier.<category> scales the offers' counterpart values; "
    "acceptance_multiplier scales acceptance probabilities (capped at 1)",
    "distance": "decisions (requests granted, offers made) that differ",
    "gap": "relative objective gap, dimensionless, summed over the instances",
    "values": "objective units of each instance (its money, protected exports net of "
    "lambda x offer cost)",
}


def _name(c: Comparison) -> str:
    """The instance's folder name (short), else its name."""
    return Path(c.path).name or c.instance


def _summary(result: Calibration) -> list[str]:
    names = ", ".join(_name(c) for c in result.fits)
    return [
        f"Fitted on {len(result.fits)} observed deal(s): {names}.",
        f"Search: {SEARCH_WORDS.get(result.search, result.search)} ({result.points} points scored, "
        f"{result.solves} HiGHS solves). Score: {result.distance} decision(s) differ between "
        f"the observed deals and the nearest optima; relative objective gap {result.gap:.4g}.",
    ]


def _parameter_rows(result: Calibration) -> list[list[str]]:
    return [[p.name, f"{p.value:g}", f"{p.low:g} to {p.high:g}",
             ", ".join(f"{v:g}" for v in p.tied)] for p in result.parameters]


PARAMETER_HEADERS = ["parameter", "value", "interval", "tied grid values"]
FIT_HEADERS = ["instance", "differ", "nearest optimum differs", "gap", "rho", "acceptance x"]


def _fit_rows(comparisons: tuple[Comparison, ...]) -> list[list[str]]:
    return [[_name(c), "" if c.distance is None else str(c.distance),
             "" if c.nearest_distance is None else str(c.nearest_distance),
             "" if c.gap is None else f"{c.gap:.3g}", f"{c.fitted.get(RATIO, 0):g}",
             f"{c.fitted.get(ACCEPTANCE, 0):g}"] for c in comparisons]


def _breaks(comparisons: tuple[Comparison, ...]) -> list[str]:
    return [f"{_name(c)}: the observed deal breaks {'; '.join(c.observed_breaks)}."
            for c in comparisons if c.observed_breaks]


def _deal_lines(kind: str, c: Comparison) -> list[str]:
    requests = [d for d, k, _, p in c.decisions if p and k == "request"]
    offers = [d for d, k, _, p in c.decisions if p and k == "offer"]
    value = "" if c.predicted_value is None else f" (value {money(c.predicted_value)})"
    lines = [f"{_name(c)} ({kind}): requests {', '.join(requests) or 'none'}; offers "
             f"{', '.join(offers) or 'none'}{value}."]
    if c.observed is not None:
        missed = [d for d, _, o, p in c.decisions if o and not p]
        extra = [d for d, _, o, p in c.decisions if p and not o]
        lines.append(f"  against the observed deal: {c.distance} differ; observed but not "
                     f"predicted: {', '.join(missed) or 'none'}; predicted but not observed: "
                     f"{', '.join(extra) or 'none'}.")
    return lines


def _all_deals(result: Calibration) -> list[tuple[str, Comparison]]:
    return ([("fit", c) for c in result.fits]
            + [("left out", c) for c in result.leave_one_out]
            + [("prediction", c) for c in result.predictions])


def render_calibrate_table(result: Calibration) -> str:
    """The calibration for a terminal, within 100 columns."""
    out = ["Calibration of the counterpart", "=" * 30]
    for sentence in _summary(result):
        out += wrap(sentence)
    out += ["", "Fitted counterpart (pure numbers)"]
    out += text_table(PARAMETER_HEADERS, _parameter_rows(result), "lrll", "  ")
    for title, comparisons in (("Fit on each instance (under the fitted counterpart)",
                                result.fits),
                               ("Leave-one-out (each predicted by the fit on the others)",
                                result.leave_one_out)):
        if comparisons:
            out += ["", title]
            out += text_table(FIT_HEADERS, _fit_rows(comparisons), "lrrrrr", "  ")
            for line in _breaks(comparisons):
                out += wrap(line, "  ", "    ")
    out += ["", "Predicted deals: the advisor's best strategy under the fitted counterpart "
            "(objective units)"]
    for kind, c in _all_deals(result):
        for line in _deal_lines(kind, c):
            out += wrap(line.strip(), "    " if line.startswith("  ") else "  ", "    ")
    for w in result.warnings:
        out += ["", *wrap("Warning: " + w)]
    return "\n".join(out) + "\n"


def render_calibrate_markdown(result: Calibration) -> str:
    """The calibration as a Markdown brief."""
    out = ["# Calibration of the counterpart", ""]
    out += md_paragraph(" ".join(_summary(result)))
    out += ["", "## Fitted counterpart", ""]
    out += md_table(PARAMETER_HEADERS, _parameter_rows(result), "lrll")
    for title, comparisons in (("Fit on each instance", result.fits),
                               ("Leave-one-out", result.leave_one_out)):
        if comparisons:
            out += ["", f"## {title}", ""]
            out += md_table(FIT_HEADERS, _fit_rows(comparisons), "lrrrrr")
            out += [""] + [x for line in _breaks(comparisons) for x in md_paragraph(line, True)]
    out += ["", "## Predicted deals", "",
            "The advisor's best strategy under the fitted counterpart (values in objective "
            "units).", ""]
    for kind, c in _all_deals(result):
        out += md_paragraph(" ".join(s.strip() for s in _deal_lines(kind, c)), bullet=True)
    out.append("")
    for w in result.warnings:
        out += [*md_paragraph(f"**Warning:** {w}"), ""]
    return "\n".join(out)


def calibrate_document(result: Calibration) -> dict[str, Any]:
    """The JSON report as a dict (the schema is in this module's docstring)."""
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "report": "calibrate",
                           "units": dict(UNITS)}
    doc.update(result.to_dict())
    return doc


def render_calibrate_json(result: Calibration) -> str:
    """The JSON report (indented, a final newline)."""
    return dumps(calibrate_document(result))


def render_calibrate_csv(result: Calibration) -> str:
    """One row per fitted parameter (:meth:`Calibration.to_frame`)."""
    return str(result.to_frame().to_csv(index=False, lineterminator="\n"))


RENDERERS = {
    "table": render_calibrate_table,
    "markdown": render_calibrate_markdown,
    "json": render_calibrate_json,
    "csv": render_calibrate_csv,
}


def render_calibrate(result: Calibration, fmt: str = "table") -> str:
    """The calibration in format ``fmt`` (table, json, csv, markdown)."""
    return RENDERERS[fmt](result)
