"""The reports of a robustness analysis (:func:`advisor.robustness`).

- ``table`` and ``markdown``: the run (draws, seed, uncertain inputs, what was
  clipped or renormalised), one row per listed strategy (mean, 5th percentile, CVaR,
  P(feasible), P(optimal), P(top 3), mean regret: money in objective units), the
  rank-stability table, the rules that break, the strategies optimal in some draws
  but not listed, each criterion's choice, and the sensitivity indices;
- ``csv``: :meth:`Robustness.to_frame` (one row per listed strategy);
- ``json`` (version 1): ``schema_version``, ``report`` (``"robustness"``),
  ``plot`` (or null), and :meth:`Robustness.to_dict`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.report.json_report import dumps

if TYPE_CHECKING:
    from advisor.analysis.robustness import Robustness

SCHEMA_VERSION = 1


def _units(result: Robustness) -> str:
    return (f"money in {result.money}, objective units (the {result.objective} objective: "
            "protected exports weighted as the instance says, net of lambda x offer cost)")


def _header(result: Robustness) -> list[str]:
    spec = result.uncertainty
    lines = [
        f"Robustness of the ranking: {result.instance.name}",
        f"{result.draws} draws (seed {result.seed}) of {len(spec.inputs)} uncertain inputs "
        f"from {spec.file}; {_units(result)}",
    ]
    lines += [f"note: {n}" for n in result.notes]
    if result.clipped:
        lines.append("clipped to their range: " + ", ".join(
            f"{t} in {n} draw{'s' if n != 1 else ''}" for t, n in result.clipped.items()))
    if result.draws_without_strategy:
        lines.append(f"{result.draws_without_strategy} draws have no strategy at all")
    return lines


def _strategy_rows(result: Robustness) -> list[list[str]]:
    rows = []
    for s in result.strategies:
        regret = "" if s.mean_regret is None else f"{s.mean_regret:,.1f}"
        rows.append([str(s.rank), f"{s.base_objective:,.1f}", f"{s.mean:,.1f}", f"{s.p5:,.1f}",
                     f"{s.cvar:,.1f}", f"{s.p_feasible:.0%}", f"{s.p_optimal:.0%}",
                     "" if s.p_top3 is None else f"{s.p_top3:.0%}", regret])
    return rows


STRATEGY_HEAD = ["rank", "base", "mean", "p5", "CVaR 5%", "P(feasible)", "P(optimal)",
                 "P(top 3)", "regret"]


def _rank_rows(result: Robustness) -> tuple[list[str], list[list[str]]]:
    keys = list(result.strategies[0].rank_counts) if result.strategies else []
    head = ["rank", *(f"draw rank {k}" if k[0].isdigit() or k[0] == ">" else k for k in keys)]
    rows = [[str(s.rank), *(str(s.rank_counts[k]) for k in keys)] for s in result.strategies]
    return head, rows


def _grid(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]


def _markdown_grid(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(r) + " |" for r in rows)]


def _details(result: Robustness) -> list[str]:
    """Decisions, broken rules, new optima and the choices, in words."""
    lines = []
    for s in result.strategies:
        lines.append(f"strategy {s.rank}: " + ", ".join(s.decisions))
        if s.broken_rules:
            lines.append("  breaks: " + "; ".join(
                f"{rule} ({n} draws)" for rule, n in list(s.broken_rules.items())[:3]))
    if result.new_optima:
        lines.append("optimal in some draws but not listed:")
        for n in result.new_optima[:5]:
            plural = "s" if n.draws != 1 else ""
            lines.append(f"  {n.draws} draw{plural} (mean objective {n.mean_objective:,.1f}): "
                         f"adds {', '.join(n.added) or 'nothing'}; drops "
                         f"{', '.join(n.dropped) or 'nothing'} (against strategy 1)")
    for criterion, rank in result.choices.items():
        mark = "  <- --robust-choice" if criterion == result.robust_choice else ""
        lines.append(f"best by {criterion}: strategy {rank}{mark}")
    return lines


def _sensitivity_lines(result: Robustness) -> list[str]:
    found = result.sensitivity
    if found is None:
        return []
    names = list(found.value)
    lines = [f"sensitivity ({found.method}, {found.evaluations} evaluations): the value of "
             f"strategy {result.recommended} and whether strategy 1 stops being the best "
             f"listed (flips in {found.flip_rate:.0%} of the evaluations)"]
    head = ["input", *(f"value {n}" for n in names), *(f"flip {n}" for n in names)]
    rows = [[f, *(f"{found.value[n][i]:.3f}" for n in names),
             *(f"{found.flip[n][i]:.3f}" for n in names)] for i, f in enumerate(found.factors)]
    return [*lines, *_grid(head, rows)]


def render_robustness_table(result: Robustness, plot: str | None = None) -> str:
    """The plain-text report."""
    lines = [*_header(result), "", *_grid(STRATEGY_HEAD, _strategy_rows(result))]
    lines += ["", "Rank stability (draws)", *_grid(*_rank_rows(result)), "", *_details(result)]
    sens = _sensitivity_lines(result)
    lines += ["", *sens] if sens else []
    if plot:
        lines.append(f"plot: {plot}")
    return "\n".join(lines) + "\n"


def render_robustness_markdown(result: Robustness, plot: str | None = None) -> str:
    """A briefing in Markdown."""
    head = _header(result)
    lines = [f"# {head[0]}", "", *(f"- {h}" for h in head[1:]), "", "## Listed strategies", ""]
    lines += _markdown_grid(STRATEGY_HEAD, _strategy_rows(result))
    lines += ["", "## Rank stability (draws)", "", *_markdown_grid(*_rank_rows(result)), ""]
    lines += [f"- {d}" for d in _details(result)]
    sens = _sensitivity_lines(result)
    if sens:
        lines += ["", "## Sensitivity", "", sens[0], "", "```text", *sens[1:], "```"]
    if plot:
        lines += ["", f"![robustness]({plot})"]
    return "\n".join(lines) + "\n"


def render_robustness_csv(result: Robustness, plot: str | None = None) -> str:
    """One row per listed strategy (:meth:`Robustness.to_frame`)."""
    return str(result.to_frame().to_csv(index=False, lineterminator="\n"))


def render_robustness_json(result: Robustness, plot: str | None = None) -> str:
    """The JSON report (version 1)."""
    data = {"schema_version": SCHEMA_VERSION, "report": "robustness", "plot": plot,
            **result.to_dict()}
    return dumps(data)


