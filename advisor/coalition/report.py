"""Coalition reports: table, JSON, CSV and Markdown, each a function of the result.

Every format shows the member-by-member table (standalone value, coalition value,
gain, Shapley value, joint offers joined) and the joint commitments of the first
plan with who joins each; table and Markdown add the ranked plans, each member's own
decisions, the fairness and stability findings and v(S). Money is in the
coalition's unit per year, and the reports say so.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from advisor.coalition.result import CoalitionResult

FORMATS = ("table", "json", "csv", "markdown")


def _m(x: float) -> str:
    return f"{round(x, 6) + 0.0:,.1f}"


def _signed(x: float) -> str:
    return f"{round(x, 6) + 0.0:+,.1f}"


def _members_rows(r: CoalitionResult) -> list[list[str]]:
    return [
        [m.member, m.tier, _m(m.standalone_value), _m(m.coalition_value), _signed(m.gain),
         _m(m.shapley_value), ", ".join(m.joint_offers) or "-",
         "yes" if m.rational else f"no: needs {_m(m.needs)}"]
        for m in r.members
    ]


MEMBER_HEAD = ["member", "tier", "standalone", "coalition", "gain", "Shapley", "joins",
               "no worse off"]


def _joint_rows(r: CoalitionResult) -> list[list[str]]:
    if not r.plans:
        return []
    return [[j.joint_offer, ", ".join(j.participants), _m(j.counterpart_value),
             "yes" if j.leverage else "no"] for j in r.plans[0].joint]


def _plan_rows(r: CoalitionResult) -> list[list[str]]:
    return [
        [str(i), _m(p.total), "-" if p.smallest_gain is None else _signed(p.smallest_gain),
         "; ".join(f"{j.joint_offer} ({', '.join(j.participants)})" for j in p.joint) or "none"]
        for i, p in enumerate(r.plans, 1)
    ]


def _decision_rows(r: CoalitionResult) -> list[list[str]]:
    return [[m.member, ", ".join(m.requests) or "-", ", ".join(m.offers) or "-"]
            for m in r.members]


def _reached(members: tuple[str, ...], split: tuple[tuple[str, ...], ...]) -> str:
    if len(split) <= 1:
        return "together"
    return "apart: " + " | ".join("+".join(g) for g in split)


def _findings(r: CoalitionResult) -> list[str]:
    lines = [
        f"grand coalition v(N) = {_m(r.grand_value)}; surplus over going alone "
        f"{_m(r.surplus)} (v(N) - sum of standalone values)",
    ]
    if r.core is not None:
        if r.core.in_core:
            lines.append("plan 1's allocation is in the core: no sub-coalition does better alone")
        else:
            who = "+".join(r.core.blocking)
            lines.append(
                f"plan 1's allocation is NOT in the core: {who} would get {_m(r.core.excess)} "
                "more on its own than the plan gives its members"
            )
    eps = r.least_core.epsilon
    state = "the core is empty" if eps > 1e-6 * max(1.0, abs(r.grand_value)) else \
        "the core is not empty"
    alloc = ", ".join(f"{k} {_m(v)}" for k, v in r.least_core.allocation.items())
    lines.append(f"least-core epsilon {_signed(eps)} ({state}); a least-core split: {alloc}")
    return lines


def _text_table(head: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  " + "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(head), *(line(r) for r in rows)]


def _sections(r: CoalitionResult) -> list[tuple[str, list[str], list[list[str]], set[int]]]:
    """(title, header, rows, right-aligned columns) of each tabular section."""
    money = r.money
    return [
        (f"Members ({money} per year; gain = coalition - standalone)", MEMBER_HEAD,
         _members_rows(r), {2, 3, 4, 5}),
        (f"Joint commitments of plan 1 (value to the counterpart, {money})",
         ["joint offer", "participants", "value", "leverage bonus"], _joint_rows(r), {2}),
        (f"Ranked joint plans ({money}; smallest gain over going alone)",
         ["rank", "total", "smallest gain", "joint offers (participants)"], _plan_rows(r), {1, 2}),
        ("Each member's own decisions in plan 1", ["member", "requests", "offers"],
         _decision_rows(r), set()),
        (f"Sub-coalition values v(S) ({money}; reached together, or split into groups)",
         ["sub-coalition", "v(S)", "reached by"],
         [["+".join(s.members), _m(s.value), _reached(s.members, s.split)]
          for s in r.subcoalitions], {1}),
    ]


def _heading(r: CoalitionResult) -> list[str]:
    rational = "enforced" if r.rationality == "enforce" else "reported"
    return [
        r.name,
        f"objective {r.objective}; split {r.split}; individual rationality {rational} "
        f"(tolerance {_m(r.tolerance)}); money in {r.money} per year; status {r.status}",
    ]


def render_table(r: CoalitionResult) -> str:
    """The terminal report."""
    lines = _heading(r)
    for title, head, rows, right in _sections(r):
        lines += ["", title, *_text_table(head, rows, right)]
    lines += ["", "Fairness and stability", *(f"  {x}" for x in _findings(r))]
    if r.warnings:
        lines += ["", "Warnings", *(f"  {w}" for w in r.warnings)]
    return "\n".join(lines) + "\n"


def render_markdown(r: CoalitionResult) -> str:
    """A briefing note: the same sections as Markdown tables."""
    head = _heading(r)
    lines = [f"# {head[0]}", "", head[1]]
    for title, cols, rows, _ in _sections(r):
        lines += ["", f"## {title}", "", "| " + " | ".join(cols) + " |",
                  "|" + "---|" * len(cols), *("| " + " | ".join(x) + " |" for x in rows)]
    lines += ["", "## Fairness and stability", "", *(f"- {x}" for x in _findings(r))]
    if r.warnings:
        lines += ["", "## Warnings", "", *(f"- {w}" for w in r.warnings)]
    return "\n".join(lines) + "\n"


def render_json(r: CoalitionResult) -> str:
    """``to_dict()`` as JSON (the schema: :meth:`CoalitionResult.to_dict`)."""
    return json.dumps(r.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_csv(r: CoalitionResult) -> str:
    """One row per member (money in the coalition's unit)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["member", "tier", f"standalone_value ({r.money})",
                     f"coalition_value ({r.money})", f"gain ({r.money})",
                     f"shapley_value ({r.money})", "joint_offers", "requests", "offers",
                     "individually_rational"])
    for m in r.members:
        writer.writerow([m.member, m.tier, f"{m.standalone_value:.6f}",
                         f"{m.coalition_value:.6f}", f"{m.gain:.6f}", f"{m.shapley_value:.6f}",
                         ";".join(m.joint_offers), ";".join(m.requests), ";".join(m.offers),
                         str(m.rational).lower()])
    return out.getvalue()


RENDERERS: dict[str, Callable[[CoalitionResult], str]] = {
    "table": render_table, "json": render_json, "csv": render_csv, "markdown": render_markdown,
}


def render_coalition(result: CoalitionResult, fmt: str = "table") -> str:
    """The report of ``result`` in ``fmt`` (table, json, csv or markdown)."""
    if fmt not in RENDERERS:
        raise ValueError(f"format: expected one of {FORMATS}, got {fmt!r}")
    return RENDERERS[fmt](result)
