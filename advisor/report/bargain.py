"""A bargaining analysis (:func:`advisor.bargain`) in the four report formats.

- ``table``: the reservation values, the ZOPA, the Nash and Kalai–Smorodinsky points
  with their strategies, then the efficient points (within 100 columns);
- ``markdown``: the same as a brief;
- ``csv``: :meth:`Bargain.to_frame`, one row per efficient point;
- ``json`` (version 1): ``schema_version``, ``report`` (``"bargain"``), ``currency``,
  ``unit``, ``path``, ``plot`` (or null), ``units`` (what each figure is in) and
  :meth:`Bargain.to_dict`: ``instance``, ``money``, ``home_reservation``,
  ``counterpart_reservation``, ``resolution``, ``exact``, ``solutions_exact``,
  ``solves``, ``zopa_empty``, ``ideal`` (``home``, ``counterpart``, or null),
  ``nash`` and ``kalai_smorodinsky`` (the 1-based point, or null), ``points``
  (``point``, ``home_value``, ``home_scenario_values``, ``counterpart_surplus``,
  ``counterpart_scenario_surplus``, ``offer_value``, ``grant_cost``, ``in_zopa``,
  ``requests``, ``offers``), ``warnings``.

Units: home's value is in objective units (money of protected exports, net of λ ×
the domestic cost of the offers); the counterpart's surplus in its money (offers'
value minus the acceptance-weighted cost of what it grants).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor.report.json_report import dumps, finite
from advisor.report.text import WIDTH, md_paragraph, md_table, money, text_table, wrap
from advisor.report.words import objective_unit

if TYPE_CHECKING:
    from advisor.analysis.bargain import Bargain, BargainPoint

SCHEMA_VERSION = 1


def units(result: Bargain) -> dict[str, str]:
    """What each figure of the report is in."""
    m = result.instance.money
    return {
        "home_value": objective_unit(result.instance),
        "counterpart_surplus": f"{m} of the counterpart (offers' value minus the "
        "acceptance-weighted cost of the grants)",
    }


def _facts(result: Bargain) -> list[str]:
    """The reservation values, the ZOPA, the resolution: sentences."""
    inst = result.instance
    text = [
        f"{inst.home}'s value (objective units, {inst.money}) against {inst.counterpart}'s "
        f"surplus ({inst.money}), over {len(result.points)} efficient strategies.",
        f"Reservation values: {inst.home} {money(result.home_reservation)}, "
        f"{inst.counterpart} {money(result.counterpart_reservation)}.",
    ]
    zopa = result.zopa
    if not zopa:
        text.append("The ZOPA is empty: no strategy leaves both sides at least their reservation.")
    else:
        hs = [p.home_value for p in zopa]
        cs = [p.counterpart_surplus for p in zopa]
        text.append(
            f"ZOPA: {len(zopa)} efficient strategies; {inst.home}'s value from {money(min(hs))} "
            f"to {money(max(hs))}, {inst.counterpart}'s surplus from {money(min(cs))} to "
            f"{money(max(cs))}."
        )
    if result.exact:
        text.append("Every efficient strategy is listed (exact sweep).")
    else:
        text.append(
            f"Frontier at a resolution of {money(result.resolution)} of surplus; the Nash and "
            f"KS points are {'exact' if result.solutions_exact else 'the best of those found'}."
        )
    return text


def _solution_lines(result: Bargain, name: str, point: BargainPoint | None) -> str:
    if point is None:
        return f"{name}: none (empty ZOPA)."
    return (
        f"{name}: {result.instance.home} {money(point.home_value)}, "
        f"{result.instance.counterpart} {money(point.counterpart_surplus)}; requests "
        + (", ".join(point.requests) or "none")
        + "; offers "
        + (", ".join(point.offers) or "none")
        + "."
    )


def _rows(result: Bargain) -> list[list[str]]:
    rows = []
    for i, p in enumerate(result.points):
        mark = ("N" if i == result.nash else "") + ("K" if i == result.kalai_smorodinsky else "")
        rows.append(
            [
                str(i + 1),
                money(p.home_value),
                money(p.counterpart_surplus),
                "yes" if p.in_zopa else "",
                mark,
                f"{len(p.requests)}+{len(p.offers)}",
            ]
        )
    return rows


HEADERS = ["point", "home value", "cp surplus", "ZOPA", "N/K", "req+off"]


def render_bargain_table(result: Bargain, plot: str | None = None) -> str:
    """The analysis for a terminal, within 100 columns."""
    title = f"Bargaining: {result.instance.name}"
    out = [title, "=" * min(WIDTH, len(title))]
    for sentence in _facts(result):
        out += wrap(sentence)
    out.append("")
    for name, point in (
        ("Nash point", result.nash_point),
        ("Kalai-Smorodinsky point", result.kalai_smorodinsky_point),
    ):
        out += wrap(_solution_lines(result, name, point), "", "  ")
    out.append("")
    out += text_table(HEADERS, _rows(result), "rrrlll", "  ")
    if plot:
        out += ["", f"Plot: {plot}"]
    for w in result.warnings:
        out += ["", *wrap("Warning: " + w)]
    return "\n".join(out) + "\n"


def render_bargain_markdown(result: Bargain, plot: str | None = None) -> str:
    """The analysis as a Markdown brief."""
    out = [f"# Bargaining: {result.instance.name}", ""]
    out += md_paragraph(" ".join(_facts(result)))
    out.append("")
    for name, point in (
        ("Nash point", result.nash_point),
        ("Kalai–Smorodinsky point", result.kalai_smorodinsky_point),
    ):
        out += md_paragraph(_solution_lines(result, f"**{name}**", point), bullet=True)
    out.append("")
    if plot:
        out += [f"![bargaining frontier]({plot})", ""]
    out += md_table(HEADERS, _rows(result), "rrrlll")
    out += ["", f"Money in {result.instance.money}; N: Nash point, K: Kalai–Smorodinsky.", ""]
    for w in result.warnings:
        out += [*md_paragraph(f"**Warning:** {w}"), ""]
    return "\n".join(out)


def bargain_document(result: Bargain, plot: str | None = None) -> dict[str, Any]:
    """The JSON report as a dict (the schema is in this module's docstring)."""
    inst = result.instance
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "report": "bargain",
        "currency": inst.currency,
        "unit": inst.unit,
        "path": inst.path,
        "plot": plot,
        "units": units(result),
    }
    doc.update(result.to_dict())
    return finite(doc)


def render_bargain_json(result: Bargain, plot: str | None = None) -> str:
    """The JSON report (indented, a final newline)."""
    return dumps(bargain_document(result, plot))


def render_bargain_csv(result: Bargain, plot: str | None = None) -> str:
    """One row per efficient point (:meth:`Bargain.to_frame`)."""
    return str(result.to_frame().to_csv(index=False, lineterminator="\n"))
