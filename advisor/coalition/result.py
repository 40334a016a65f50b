"""The result of a coalition run: data only, with ``to_dict`` and ``to_frame``.

All money is in the coalition's unit (``money``, e.g. ``USD million``) per year.
A member's *standalone value* is its optimum negotiating alone (v of its singleton);
its *coalition value* V_m is its value in the plan listed first; *gain* = coalition
value − standalone value; its *Shapley value* φ_m its fair share of v(N) by
marginal contributions. ``surplus`` = v(N) − Σ standalone values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.coalition.games import CoreTest, LeastCore
from advisor.coalition.plans import Plan

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1


def _money(x: float) -> float:
    """Rounded to 1e-9 of the unit, -0.0 as 0.0: the same text run to run."""
    return round(x, 9) + 0.0


@dataclass(frozen=True)
class MemberResult:
    """One member's row: what it gets alone, in the plan, and its fair share."""

    member: str
    tier: str
    standalone_value: float
    coalition_value: float
    gain: float
    shapley_value: float
    joint_offers: tuple[str, ...]
    requests: tuple[str, ...]
    offers: tuple[str, ...]
    rational: bool  # coalition value ≥ standalone value − tolerance
    needs: float  # what it would need to be no worse off (0 when rational)


@dataclass(frozen=True)
class SubCoalition:
    """v(S) of one sub-coalition, and how its members reach it.

    ``split`` is ``(members,)`` when they do best together, else the groups that do
    better negotiating apart (a rule across members can cost more than the joint
    commitments bring); ``feasible`` is False when its joint rules admit no plan at all.
    """

    members: tuple[str, ...]
    value: float
    feasible: bool
    split: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class CoalitionResult:
    """Members' table, the ranked plans, v(S), Shapley, core and least core."""

    name: str
    money: str
    objective: str
    split: str
    rationality: str
    tolerance: float
    status: str  # optimal | infeasible
    members: tuple[MemberResult, ...]
    plans: tuple[Plan, ...]
    subcoalitions: tuple[SubCoalition, ...]
    grand_value: float  # v(N)
    surplus: float  # v(N) − Σ standalone
    core: CoreTest | None
    least_core: LeastCore
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, identical run to run (money rounded to 1e-9 of the unit).

        Schema (version 1; money in ``money`` per year): ``coalition``, ``money``,
        ``objective``, ``split``, ``individual_rationality``, ``tolerance``, ``status``,
        ``grand_coalition_value`` (v(N)), ``surplus`` (v(N) − Σ standalone);
        ``members``: one object per member with ``member``, ``tier``,
        ``standalone_value``, ``coalition_value`` (plan 1), ``gain``,
        ``shapley_value``, ``joint_offers`` (joined in plan 1), ``requests``,
        ``offers``, ``individually_rational``, ``needs`` (the shortfall, else 0);
        ``plans``: ranked, each with ``rank``, ``total_value``, ``smallest_gain``,
        ``joint_offers`` (``joint_offer``, ``participants``, ``counterpart_value``,
        ``leverage_bonus``) and ``member_values``; ``subcoalitions``: ``members``,
        ``value`` (v(S)), ``feasible``, ``split`` (the groups reaching v(S));
        ``core``: ``in_core``, ``blocking_coalition``, ``excess`` (null without a
        plan); ``least_core``: ``epsilon``, ``core_empty``, ``allocation``;
        ``warnings``.
        """
        return {
            "schema_version": SCHEMA_VERSION,
            "coalition": self.name,
            "money": self.money,
            "objective": self.objective,
            "split": self.split,
            "individual_rationality": self.rationality,
            "tolerance": self.tolerance,
            "status": self.status,
            "grand_coalition_value": _money(self.grand_value),
            "surplus": _money(self.surplus),
            "members": [self._member_dict(m) for m in self.members],
            "plans": [self._plan_dict(i, p) for i, p in enumerate(self.plans, 1)],
            "subcoalitions": [
                {"members": list(s.members), "value": _money(s.value), "feasible": s.feasible,
                 "split": [list(g) for g in s.split]}
                for s in self.subcoalitions
            ],
            "core": None if self.core is None else {
                "in_core": self.core.in_core,
                "blocking_coalition": list(self.core.blocking),
                "excess": _money(self.core.excess),
            },
            "least_core": {
                "epsilon": _money(self.least_core.epsilon),
                "core_empty": self.least_core.epsilon > _tol(self.grand_value),
                "allocation": {k: _money(v) for k, v in self.least_core.allocation.items()},
            },
            "warnings": list(self.warnings),
        }

    @staticmethod
    def _member_dict(m: MemberResult) -> dict[str, Any]:
        return {
            "member": m.member,
            "tier": m.tier,
            "standalone_value": _money(m.standalone_value),
            "coalition_value": _money(m.coalition_value),
            "gain": _money(m.gain),
            "shapley_value": _money(m.shapley_value),
            "joint_offers": list(m.joint_offers),
            "requests": list(m.requests),
            "offers": list(m.offers),
            "individually_rational": m.rational,
            "needs": _money(m.needs),
        }

    @staticmethod
    def _plan_dict(rank: int, p: Plan) -> dict[str, Any]:
        return {
            "rank": rank,
            "total_value": _money(p.total),
            "smallest_gain": None if p.smallest_gain is None else _money(p.smallest_gain),
            "joint_offers": [
                {"joint_offer": j.joint_offer, "participants": list(j.participants),
                 "counterpart_value": _money(j.counterpart_value), "leverage_bonus": j.leverage}
                for j in p.joint
            ],
            "member_values": {m.member: _money(m.value) for m in p.members},
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per member: standalone, coalition value, gain, Shapley, joint offers."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "member": m.member,
                    "tier": m.tier,
                    "standalone_value": m.standalone_value,
                    "coalition_value": m.coalition_value,
                    "gain": m.gain,
                    "shapley_value": m.shapley_value,
                    "joint_offers": "; ".join(m.joint_offers),
                    "individually_rational": m.rational,
                }
                for m in self.members
            ]
        ).set_index("member")


def _tol(x: float) -> float:
    return 1e-6 * max(1.0, abs(x))
