r"""Dominated request tiers: tiers no optimal strategy needs, found before solving.

A tier k of sector s is **dominated** by another tier k' of s when swapping k for
k' in any feasible strategy keeps it feasible and lowers no scenario's value. Such
a k can be forbidden (``request[k]`` fixed to 0) without changing the optimum.

**The swap.** Let x be a feasible strategy with x_k = 1; then x_{k'} = 0 (one tier
per sector), and the swapped strategy is x' = x - e_k + e_{k'}, with the same
offers y. Every constraint of :mod:`advisor.model` is a linear row
α·x + β·y ⋚ b, whose left-hand side the swap changes by α_{k'} - α_k. So x' is
feasible whenever, in every row,

.. math::

    α_{k'} ≤ α_k \text{ in a ≤ row}, \qquad α_{k'} ≥ α_k \text{ in a ≥ row},

and, with a_r the acceptance, V_ω(x') ≥ V_ω(x) in every scenario ω whenever

.. math:: a_{k'} w_s p_{k'ω} ≥ a_k w_s p_{kω} \quad ∀ ω.   \qquad (1)

(w_s the sector's value weight). Holding in every scenario, (1) holds for any
probabilities, so also when offers move them (``linkages.csv``). A sector one of
whose tiers has an acceptance linkage is not reduced: its value depends on the
offers.

The rows, one family at a time (notation of :mod:`advisor.model`):

- one tier per sector, Σ_{r ∈ R_s} x_r ≤ 1: both coefficients are 1;
- reciprocity, Σ_j g_j y_j - ρ Σ_r c_r x_r ≥ 0 with ρ ≥ 0:

  .. math:: c_{k'ω} ≤ c_{kω} \quad ∀ ω   \qquad (2)

  per scenario, which covers reciprocity in expectation (under any
  probabilities) and in every scenario alike
  (required even when ρ = 0, so the pruning stays valid for every ratio, as in a
  frontier sweep of ρ);
- the domestic budget holds no request;
- market shares: exports to market m in scenario ω are
  E_{mω} = B_{mω} + [m = cp] Σ_r φ_r p_{rω} x_r + Σ_j e_{jm} y_j (φ_r = 1, or a_r
  with acceptance-weighted shares; p_{rω} below stands for φ_r p_{rω}), so in the cap row
  E_{mω} - \bar s_m Σ_{m'} E_{m'ω} ≤ 0 and the floor row
  E_{mω} - \underline s_m Σ_{m'} E_{m'ω} ≥ 0 the coefficient of x_r is f_m p_{rω}
  with f_m = [m = cp] - s_m [cp ∈ M] (s_m the cap or the floor). Written as ≤ rows
  (a floor row negated, F_m = -f_m), the condition F_m p_{k'ω} ≤ F_m p_{kω} is

  .. math:: σ p_{k'ω} ≤ σ p_{kω} \quad ∀ ω, \; σ ∈ \{\operatorname{sign} F_m\}   \qquad (3)

  which depends on the limits only through their signs: a cap on the counterpart
  (0 < \bar s < 1) asks p_{k'ω} ≤ p_{kω} (a tier that protects more raises its
  share), a cap elsewhere or a floor on the counterpart the reverse;
- conditions, each kind's rows written as ≤ rows over the members' terms t(i)
  (t = x_i for a request or an offer id, t = Σ_{r ∈ R_s} x_r for a sector id s):

  ========================  ==========================================
  requires (A, G)           t(A) - t(B) ≤ 0  for each B ∈ G
  requires_one_of (A, G)    t(A) - Σ_{B ∈ G} t(B) ≤ 0
  excludes (A, G)           t(A) + t(B) ≤ 1  for each B ∈ G
  at_most (G, n)            Σ_{i ∈ G} t(i) ≤ n
  at_least (G, n)           -Σ_{i ∈ G} t(i) ≤ -n
  ========================  ==========================================

  The coefficient α_r of x_r in a row is the signed count of the members that
  are r itself or r's sector, and the condition is

  .. math:: α_{k'} ≤ α_k \quad \text{in every condition row.}   \qquad (4)

  A sector id counts the same for all of its tiers, so it never blocks
  pruning. A tier named by its own id blocks it where k *helps* (an object of
  ``requires`` or ``requires_one_of``, a member of ``at_least``) or where k' is
  *restricted* (the subject of ``requires``, ``requires_one_of`` or ``excludes``,
  an object of ``excludes``, a member of ``at_most``), unless the other tier
  stands in the same row as well (k and k' both in one ``at_most`` group, say).

Conditions (1)-(4) are componentwise comparisons of one vector per tier (the
*signature*: -a_r p_{rω}, c_r, σ p_{rω}, the condition coefficients), lower being
better: k' dominates k iff sig(k') ≤ sig(k). All comparisons are exact float
comparisons, with no tolerance: the only arithmetic is negation and products by
±1, which are exact, so the test is the real-number condition on the coefficients
and pruning is always safe.

**Which tiers are pruned.** Dominance is a preorder within each sector. A tier is
pruned when another tier strictly dominates it, or has an identical signature and
comes earlier in ``requests.csv``: of tiers that tie both ways only the first is
kept. Each pruned tier is returned with the first tier in file order that is kept
and dominates it; one always exists (follow strict dominance to a maximal tier, take
its class's first member; transitivity carries the dominance).

**Why the optimum is kept.** Swap every pruned tier of a feasible x for its
returned dominator (sectors are independent, so the swaps compose): the result x'
uses no pruned tier, makes the same offers, is feasible, and V_ω(x') ≥ V_ω(x) for
every ω. Hence the expected value Σ π_ω V_ω and the worst case min_ω V_ω do not
fall; each scenario's own optimum V*_ω (the best V_ω of a feasible strategy) is
unchanged by the same argument, so the maximum regret max_ω (V*_ω - V_ω) does not
rise. So pruning preserves

- the optimum of every objective (``expected``, ``worst_case``, ``regret``), and
- for every offer package y, the best value of a strategy making exactly y: a
  ranking with ``distinct_on="offers"`` lists the same packages with the same
  values (ties aside).

It does **not** preserve a strict K-best list: a strategy using a dominated tier
can still be, say, the 5th best, and it is gone; nor lists over requests
(``distinct_on="sectors"``, ``min_difference`` > 1 over all decisions). Among tied
optima (within the solver's tie tolerance) the tie-break may pick another one than
without pruning. Callers therefore apply it only to
top-1 solves and offer-package rankings. It is valid for the coefficients given
(scenarios, acceptances, costs), for every budget and ρ ≥ 0, and for any share
limits with the same signs F_m (e.g. a sweep of a cap strictly between 0 and 1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from advisor.economics import Coefficients
from advisor.instance import Condition, Instance

RowKey = tuple[str, int]
Term = tuple[str, int]  # a member id and its sign in the row


@dataclass(frozen=True)
class Signature:
    """A tier's coefficients, oriented so that lower is better for the strategy.

    ``dense``: -a_r p_rω per scenario, c_r, then σ p_rω per share sign and scenario;
    ``rows``: the tier's coefficient in each condition row (≤ form), zeros omitted.
    """

    dense: tuple[float, ...]
    rows: Mapping[RowKey, int]

    def at_most(self, other: Signature) -> bool:
        """Componentwise ``self ≤ other``: self is at least as good as other."""
        if not all(a <= b for a, b in zip(self.dense, other.dense, strict=True)):
            return False
        keys = self.rows.keys() | other.rows.keys()
        return all(self.rows.get(k, 0) <= other.rows.get(k, 0) for k in keys)


def dominated_tiers(instance: Instance, coefficients: Coefficients) -> dict[str, str]:
    """{pruned request id: the request id of the same sector that dominates it}.

    The dominator returned is never pruned itself; keys follow ``requests.csv``
    order. See the module docstring for the conditions and why they are safe.
    """
    signs = share_signs(instance)
    rows = condition_coefficients(instance)
    pruned: dict[str, str] = {}
    for tiers in instance.tiers_by_sector.values():
        if len(tiers) < 2 or any(r in coefficients.acceptance_steps for r in tiers):
            continue  # a linked tier's value depends on the offers: not compared
        signatures = [signature(r, coefficients, signs, rows.get(r, {})) for r in tiers]
        pruned |= prune_sector(tiers, signatures)
    order = {r.request: i for i, r in enumerate(instance.requests)}
    return dict(sorted(pruned.items(), key=lambda item: order[item[0]]))


def share_signs(instance: Instance) -> tuple[int, ...]:
    """The signs σ of F_m, the factor of p_rω in each share row written as a ≤ row.

    Cap row: F_m = f_m; floor row: F_m = -f_m; f_m = [m = cp] - s_m [cp ∈ M].
    """
    markets = {m.market for m in instance.markets}
    in_total = 1.0 if instance.counterpart in markets else 0.0

    def factor(market: str, share: float) -> float:
        return (1.0 if market == instance.counterpart else 0.0) - share * in_total

    factors = [factor(m, s) for m, s in instance.market_share_caps.items()]
    factors += [-factor(m, s) for m, s in instance.market_share_floors.items()]
    return tuple(sorted({1 if f > 0 else -1 for f in factors if f != 0}))


def condition_rows(condition: Condition) -> Iterator[tuple[RowKey, list[Term]]]:
    """The condition's rows in ≤ form, each as its signed member terms (model order)."""
    c, subject, objects = condition.condition, condition.subject, condition.objects
    if condition.kind == "requires":
        for i, b in enumerate(objects):
            yield (c, i), [(subject, 1), (b, -1)]
    elif condition.kind == "excludes":
        for i, b in enumerate(objects):
            yield (c, i), [(subject, 1), (b, 1)]
    elif condition.kind == "requires_one_of":
        yield (c, 0), [(subject, 1), *((b, -1) for b in objects)]
    elif condition.kind == "at_most":
        yield (c, 0), [(m, 1) for m in condition.members]
    elif condition.kind == "at_least":
        yield (c, 0), [(m, -1) for m in condition.members]
    else:
        raise ValueError(f"unknown condition kind {condition.kind!r}")


def condition_coefficients(instance: Instance) -> dict[str, dict[RowKey, int]]:
    """{request id: {condition row: coefficient of its binary}} over every condition.

    A request id stands for its own binary, a sector id for each of its tiers, an
    offer id for no request.
    """
    tiers = instance.tiers_by_sector
    out: dict[str, dict[RowKey, int]] = defaultdict(lambda: defaultdict(int))
    for condition in instance.conditions:
        for key, terms in condition_rows(condition):
            for member, sign in terms:
                if member in instance.request_by_id:
                    out[member][key] += sign
                for r in tiers.get(member, ()):
                    out[r][key] += sign
    return {r: {k: v for k, v in row.items() if v} for r, row in out.items()}


def signature(
    request: str, coef: Coefficients, signs: Sequence[int], rows: Mapping[RowKey, int]
) -> Signature:
    """The tier's :class:`Signature` (negations and ±1 products only: exact)."""
    dense = [-coef.expected_value[request, w] for w in coef.scenarios]
    dense += [coef.counterpart_cost_in[request, w] for w in coef.scenarios]
    dense += [sign * coef.share_exports[request, w] for sign in signs for w in coef.scenarios]
    return Signature(tuple(dense), rows)


def prune_sector(tiers: Sequence[str], signatures: Sequence[Signature]) -> dict[str, str]:
    """The pruned tiers of one sector (file order) and their kept dominators.

    ``better[j][i]``: tier j dominates tier i. Tier i is pruned if some j strictly
    dominates it, or ties it both ways and comes first.
    """
    n = len(tiers)
    better = [[j != i and signatures[j].at_most(signatures[i]) for i in range(n)] for j in range(n)]
    pruned = [any(better[j][i] and (j < i or not better[i][j]) for j in range(n)) for i in range(n)]
    out: dict[str, str] = {}
    for i in range(n):
        if pruned[i]:
            kept = next(j for j in range(n) if better[j][i] and not pruned[j])
            out[tiers[i]] = tiers[kept]
    return out
