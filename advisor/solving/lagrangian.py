r"""Lagrangian bounds on every offer package at once, for the offer-package search.

At tariff-line scale the advisor's MILP, max c·z + c₀ s.t. l ≤ A z ≤ u with z = (x, y)
binary (x the request tiers of the tariff lines, y the offers), splits its rows in
three families, read off the matrix itself:

- **offer rows** hold offers only (the domestic budget, conditions among offers);
- **line rows** hold the tiers of one tariff line, and perhaps offers: its
  one-tier row, and the conditions that tie a line's tier to offers
  (``requires``, ``requires_one_of``, ``excludes``);
- **coupling rows** hold tiers of several lines: reciprocity and the market-share
  caps and floors per scenario (a handful).

For multipliers λ, one per coupling row, every feasible z has
λ_i A_i z ≤ h_i(λ_i), with h_i(λ_i) = λ_i u_i when λ_i ≥ 0 and λ_i l_i when
λ_i < 0 (a multiplier whose side is infinite is taken as 0). Hence, for every
package y,

.. math::

    f(y) ≤ L(λ, y) = c₀ + Σ_i h_i(λ_i) + (c_y - λ A_y)·y
        + Σ_ℓ \max_{o ∈ O_ℓ(y)} (c - λ A)_o ,

where f(y) is the best objective with the offers fixed at y, and O_ℓ(y) are the
options of line ℓ its line rows allow under y: no request (value 0) or one of its
tiers (the column's λ-reduced cost). The maximum keeps the requests integral, so
for y fixed min_λ L(λ, y) is at most the LP bound with the offers fixed at y; at
that LP's duals it equals it. Every λ gives a valid bound on every package, so
the duals found for one package tighten the bounds of all the others.

**Computed for all packages at once.** The packages are enumerated (all y
allowed by the offer rows and by every line's rows: 2^J at most, J ≤
:data:`MAX_ENUMERATED_OFFERS`). Lines with the same line rows (the same
coefficients on the same tier positions and offers, the same bounds: in a
generated instance, the lines of one sector) form a *group*; for each group and
each set of allowed options that occurs, Σ_ℓ max_o is one vectorised sum, so a
new λ costs one pass over the columns and one over the packages.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

MAX_ENUMERATED_OFFERS = 18  # 2^18 packages: a bound vector of 2 MiB, one pass in ~10 ms
ROW_TOLERANCE = 1e-9  # a line row's activity this far outside its bounds is a violation


@dataclass(frozen=True)
class _Group:
    """Lines with the same line rows: their columns, and the option sets that occur.

    ``columns[ℓ, t]`` is line ℓ's t-th tier (-1 where a line has fewer tiers);
    ``masks[k]`` says which options (no request first, then the tiers) the k-th
    option set allows; ``code[p]`` is package p's option set.
    """

    columns: np.ndarray
    masks: np.ndarray
    code: np.ndarray


class PackageBounds:
    """L(λ, y) for every enumerated package y (see the module's docstring).

    ``packages`` is the 0/1 matrix of the enumerated packages (a row per package, a
    column per offer, in the order of ``offer_columns``); :meth:`evaluate` gives
    their bounds for a λ, :meth:`multipliers` reads λ from HiGHS's row duals.
    """

    def __init__(
        self,
        lp: highspy.HighsLp,
        matrix: sp.csr_matrix,
        offer_columns: np.ndarray,
        packages: np.ndarray,
        groups: list[_Group],
        coupling: np.ndarray,
    ) -> None:
        """Bounds for ``packages`` of ``lp`` (its ``matrix``), whose lines are ``groups``."""
        self.offer_columns = offer_columns
        self.packages = packages
        self.groups = groups
        self.coupling = coupling
        self.matrix = matrix
        self.cost = np.array(lp.col_cost_, dtype=float)
        self.offset = float(lp.offset_)
        self.coupling_matrix = matrix[coupling]
        self.lower = np.array(lp.row_lower_, dtype=float)[coupling]
        self.upper = np.array(lp.row_upper_, dtype=float)[coupling]

    def recosted(self, lp: highspy.HighsLp) -> PackageBounds:
        """These bounds for ``lp``'s costs and offset: the same rows, columns and bounds.

        The caller vouches that only the objective differs (a scenario's value swapped
        in for the expected one); the packages, groups and rows are shared, not copied.
        """
        if lp.num_col_ != len(self.cost) or lp.num_row_ != self.matrix.shape[0]:
            raise ValueError("recosted: the model's shape differs")
        recosted = copy.copy(self)
        recosted.cost = np.array(lp.col_cost_, dtype=float)
        recosted.offset = float(lp.offset_)
        return recosted

    def only(self, package: int) -> PackageBounds:
        """These bounds for package ``package`` alone (its own Lagrangian dual)."""
        alone = copy.copy(self)
        alone.packages = self.packages[package : package + 1]
        alone.groups = [
            _Group(g.columns, g.masks[g.code[package] : g.code[package] + 1], np.zeros(1, int))
            for g in self.groups
        ]
        return alone

    def index_of(self, package: np.ndarray) -> int | None:
        """The row of ``package`` (0/1 per offer) among the enumerated ones; None if absent."""
        weights = 2.0 ** np.arange(self.packages.shape[1])
        codes = self.packages @ weights  # increasing: enumerated in binary order
        code = float(np.round(package) @ weights)
        i = int(np.searchsorted(codes, code))
        return i if i < len(codes) and codes[i] == code else None

    @property
    def size(self) -> int:
        """How many packages were enumerated."""
        return len(self.packages)

    def multipliers(self, row_dual: np.ndarray) -> np.ndarray:
        """λ on the coupling rows from HiGHS's row duals of a maximisation.

        Sides that are infinite get 0 (no valid multiplier there).
        """
        lam = np.asarray(row_dual, dtype=float)[self.coupling]
        lam = np.where((lam > 0) & ~np.isfinite(self.upper), 0.0, lam)
        return np.where((lam < 0) & ~np.isfinite(self.lower), 0.0, lam)

    def evaluate(self, lam: np.ndarray) -> np.ndarray:
        """L(λ, y) for every package y, in the order of ``packages``."""
        reduced = self.cost - self.coupling_matrix.T @ lam
        side = np.where(lam > 0, self.upper, self.lower)
        constant = self.offset + float(np.sum(lam * np.where(lam != 0, side, 0.0)))
        bound = constant + self.packages @ reduced[self.offer_columns]
        for group in self.groups:
            values = option_values(group.columns, reduced)
            per_set = np.array(
                [np.where(mask, values, -np.inf).max(axis=1).sum() for mask in group.masks]
            )
            bound += per_set[group.code]
        return bound

    def subgradient(self, lam: np.ndarray, package: int) -> np.ndarray:
        r"""A subgradient in λ of L(·, y) at ``lam``, for the package y of row ``package``.

        L(λ, y) = max over s ∈ [l, u] and the lines' options z of
        c·z + c₀ + λ·(s - A z) (the coupling rows' A, l, u), so with z* the lines'
        best options at ``lam`` (the first of ties, as :meth:`evaluate` counts them)
        and s* the side its multiplier's sign picks (where λ_i = 0, A_i z* brought
        within [l_i, u_i]), g = s* - A z* gives L(λ', y) ≥ L(λ, y) + g·(λ' - λ)
        for every λ'.
        """
        reduced = self.cost - self.coupling_matrix.T @ lam
        chosen = np.zeros(len(self.cost))
        chosen[self.offer_columns] = self.packages[package]
        for group in self.groups:
            values = option_values(group.columns, reduced)
            allowed = group.masks[group.code[package]]
            option = np.argmax(np.where(allowed, values, -np.inf), axis=1)
            requested = option > 0
            chosen[group.columns[requested, option[requested] - 1]] = 1.0
        activity = self.coupling_matrix @ chosen
        side = np.where(lam > 0, self.upper, self.lower)
        side = np.where(lam == 0, np.clip(activity, self.lower, self.upper), side)
        return np.asarray(side - activity, dtype=float)


def option_values(columns: np.ndarray, reduced: np.ndarray) -> np.ndarray:
    """Each line's options' λ-reduced values: no request (0), then its tiers (-∞ if absent).

    ``columns[ℓ, t]`` is line ℓ's t-th tier (-1 where it has fewer).
    """
    values = np.zeros((len(columns), columns.shape[1] + 1))
    present = columns >= 0
    values[:, 1:] = np.where(present, reduced[np.maximum(columns, 0)], -np.inf)
    return values


def package_bounds(
    lp: highspy.HighsLp, offer_columns: np.ndarray, line_of_column: np.ndarray
) -> PackageBounds | None:
    """The bounds of ``lp``'s packages; None when the model does not split as above.

    ``offer_columns`` are the offers' columns (a package's order); ``line_of_column``
    gives each column's tariff line (-1 for an offer). None when a column is neither
    (the worst-case objective's auxiliary variable, linkages' products), or there
    are more than :data:`MAX_ENUMERATED_OFFERS` offers.
    """
    if len(offer_columns) > MAX_ENUMERATED_OFFERS:
        return None
    is_offer = np.zeros(lp.num_col_, dtype=bool)
    is_offer[offer_columns] = True
    if np.any((line_of_column < 0) & ~is_offer):
        return None
    matrix = constraint_matrix(lp)
    rows = _classify_rows(matrix, line_of_column, is_offer)
    lower, upper = np.array(lp.col_lower_), np.array(lp.col_upper_)
    packages = _enumerate_packages(lp, matrix, rows["offer"], offer_columns, lower, upper)
    position = np.full(lp.num_col_, -1)
    position[offer_columns] = np.arange(len(offer_columns))
    lines = _line_columns(line_of_column)
    groups, feasible = _groups(lp, matrix, rows["line"], lines, packages, position, lower, upper)
    keep = np.flatnonzero(feasible)
    groups = [_Group(g.columns, g.masks, g.code[keep]) for g in groups]
    return PackageBounds(lp, matrix, offer_columns, packages[keep], groups, rows["coupling"])


def constraint_matrix(lp: highspy.HighsLp) -> sp.csr_matrix:
    """``lp``'s constraint matrix by rows, whichever way HiGHS holds it."""
    a = lp.a_matrix_
    shape = (lp.num_row_, lp.num_col_)
    start = np.array(a.start_)
    # HiGHS may keep room past the last entry (after rows were deleted): start[-1] counts
    data = (np.array(a.value_)[: start[-1]], np.array(a.index_)[: start[-1]], start)
    if a.format_ == highspy.MatrixFormat.kColwise:
        return sp.csc_matrix(data, shape=shape).tocsr()
    return sp.csr_matrix(data, shape=shape)


def _classify_rows(
    matrix: sp.csr_matrix, line_of_column: np.ndarray, is_offer: np.ndarray
) -> dict[str, np.ndarray]:
    """Each row's family: offer rows, line rows (one line's tiers), coupling rows.

    By the smallest and largest line among a row's non-offer entries: none (offer
    row), one (line row) or several (coupling row); vectorised over the entries.
    """
    smallest, largest = line_span(matrix, np.where(is_offer, -1, line_of_column))
    return {
        "offer": np.flatnonzero(largest < 0),
        "line": np.flatnonzero((largest >= 0) & (smallest == largest)),
        "coupling": np.flatnonzero((largest >= 0) & (smallest < largest)),
    }


def line_span(matrix: sp.csr_matrix, line_of_column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest line among each row's entries (max int and -1 if none).

    ``line_of_column`` gives each column's line, -1 for a column of no line (an offer).
    """
    rows = matrix.shape[0]
    row_of_entry = np.repeat(np.arange(rows), np.diff(matrix.indptr))
    line = line_of_column[matrix.indices]
    on_line = line >= 0
    smallest = np.full(rows, np.iinfo(np.int64).max, dtype=np.int64)
    largest = np.full(rows, -1, dtype=np.int64)
    np.minimum.at(smallest, row_of_entry[on_line], line[on_line])
    np.maximum.at(largest, row_of_entry[on_line], line[on_line])
    return smallest, largest


def _enumerate_packages(
    lp: highspy.HighsLp,
    matrix: sp.csr_matrix,
    offer_rows: np.ndarray,
    offer_columns: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> np.ndarray:
    """Every 0/1 package within the offers' bounds and the offer rows, in binary order."""
    count = len(offer_columns)
    codes = np.arange(2**count, dtype=np.int64)
    packages = ((codes[:, None] >> np.arange(count)) & 1).astype(float)
    ok = np.all(
        (packages >= lower[offer_columns] - ROW_TOLERANCE)
        & (packages <= upper[offer_columns] + ROW_TOLERANCE),
        axis=1,
    )
    if len(offer_rows):
        activity = packages @ matrix[offer_rows][:, offer_columns].T.toarray()
        row_lower = np.array(lp.row_lower_)[offer_rows]
        row_upper = np.array(lp.row_upper_)[offer_rows]
        ok &= np.all(
            (activity >= row_lower - ROW_TOLERANCE) & (activity <= row_upper + ROW_TOLERANCE),
            axis=1,
        )
    return packages[ok]


def _line_columns(line_of_column: np.ndarray) -> list[np.ndarray]:
    """The columns of each line, in column order."""
    by_line: dict[int, list[int]] = defaultdict(list)
    for column, line in enumerate(line_of_column):
        if line >= 0:
            by_line[int(line)].append(column)
    return [np.array(by_line[k], dtype=np.int64) for k in sorted(by_line)]


def _groups(
    lp: highspy.HighsLp,
    matrix: sp.csr_matrix,
    line_rows: np.ndarray,
    lines: list[np.ndarray],
    packages: np.ndarray,
    position: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> tuple[list[_Group], np.ndarray]:
    """Lines grouped by their rows and column bounds; which packages leave every line an option.

    Lines are grouped by :func:`_line_keys` (vectorised); each group's allowed options
    come from the :func:`_signature` of its first line.
    """
    row_bounds = (np.array(lp.row_lower_), np.array(lp.row_upper_))
    first_row, rows_in_order, group_of = _line_keys(
        row_bounds, matrix, line_rows, lines, position, lower, upper
    )
    groups, feasible = [], np.ones(len(packages), dtype=bool)
    for g in range(int(group_of.max()) + 1 if len(group_of) else 0):
        members = np.flatnonzero(group_of == g)
        k = int(members[0])
        own_rows = rows_in_order[first_row[k] : first_row[k + 1]]
        signature = _signature(row_bounds, matrix, own_rows, lines[k], position, lower, upper)
        allowed = _allowed_options(signature, packages)
        codes, code = np.unique(np.packbits(allowed, axis=1), axis=0, return_inverse=True)
        masks = np.unpackbits(codes, axis=1)[:, : allowed.shape[1]].astype(bool)
        some_option: np.ndarray = np.any(masks, axis=1)
        feasible &= some_option[code.ravel()]
        width = max(len(lines[m]) for m in members)
        columns = np.full((len(members), width), -1, dtype=np.int64)
        for i, m in enumerate(members):
            columns[i, : len(lines[m])] = lines[m]
        groups.append(_Group(columns, masks, code.ravel()))
    return groups, feasible


def _line_keys(
    row_bounds: tuple[np.ndarray, np.ndarray],
    matrix: sp.csr_matrix,
    line_rows: np.ndarray,
    lines: list[np.ndarray],
    position: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Each line's rows, and its group: the lines whose :func:`_signature` is the same.

    A line row is described by one vector: its coefficients on tier positions 0…T-1,
    on offers 0…J-1, then its bounds; a line by its tier count, its tiers' bounds and
    its row vectors sorted (padded to the most rows a line has). Equal vectors are
    equal signatures. Returns where each line's rows start in the row order (line by
    line, sorted), that order, and each line's group (numbered by first line).
    """
    n_lines = len(lines)
    sizes = np.array([len(c) for c in lines], dtype=np.int64)
    tiers = int(sizes.max()) if n_lines else 0
    offers = int(position.max()) + 1 if len(position) else 0
    every = np.concatenate(lines) if n_lines else np.zeros(0, dtype=np.int64)
    line_of = np.full(matrix.shape[1], -1, dtype=np.int64)
    tier_of = np.full(matrix.shape[1], -1, dtype=np.int64)
    line_of[every] = np.repeat(np.arange(n_lines), sizes)
    tier_of[every] = np.arange(len(every)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    sub = matrix[line_rows]
    entry_row = np.repeat(np.arange(len(line_rows)), np.diff(sub.indptr))
    on_tier = tier_of[sub.indices] >= 0
    row_line = np.full(len(line_rows), -1, dtype=np.int64)
    row_line[entry_row[on_tier]] = line_of[sub.indices[on_tier]]
    slot = np.where(on_tier, tier_of[sub.indices], tiers + position[sub.indices])
    described = np.zeros((len(line_rows), tiers + offers + 2))
    described[entry_row, slot] = sub.data
    described[:, -2] = row_bounds[0][line_rows]
    described[:, -1] = row_bounds[1][line_rows]
    described += 0.0  # -0.0 as 0.0, as tuples compare them
    order = np.lexsort((*described.T[::-1], row_line))
    counts = np.bincount(row_line, minlength=n_lines)
    first_row = np.concatenate(([0], np.cumsum(counts)))
    most = int(counts.max()) if n_lines else 0
    rank = np.arange(len(order)) - first_row[row_line[order]]
    width = described.shape[1]
    key = np.zeros((n_lines, 2 + 2 * tiers + most * width))
    key[:, 0] = sizes
    key[:, 1] = counts
    at = (line_of[every], tier_of[every])
    key[:, 2 : 2 + tiers][at] = lower[every]
    key[:, 2 + tiers : 2 + 2 * tiers][at] = upper[every]
    base = 2 + 2 * tiers
    cells = base + rank[:, None] * width + np.arange(width)[None, :]
    key[row_line[order][:, None], cells] = described[order]
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    renumber = np.empty(len(first), dtype=np.int64)
    renumber[np.argsort(first, kind="stable")] = np.arange(len(first))
    return first_row, [int(r) for r in line_rows[order]], renumber[inverse.ravel()]


def _signature(
    row_bounds: tuple[np.ndarray, np.ndarray],
    matrix: sp.csr_matrix,
    rows: list[int],
    columns: np.ndarray,
    position: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> tuple[object, ...]:
    """What decides a line's allowed options: its tiers' bounds and its rows, canonically.

    Each row is (coefficients on the tier positions, (offer position, coefficient)
    pairs, lower, upper).
    """
    tier = {int(c): t for t, c in enumerate(columns)}
    row_lower, row_upper = row_bounds
    described = []
    for r in rows:
        start, end = matrix.indptr[r], matrix.indptr[r + 1]
        on_tiers = [0.0] * len(columns)
        on_offers = []
        for c, v in zip(matrix.indices[start:end], matrix.data[start:end], strict=True):
            if int(c) in tier:
                on_tiers[tier[int(c)]] = float(v)
            else:
                on_offers.append((int(position[c]), float(v)))
        described.append(
            (tuple(on_tiers), tuple(sorted(on_offers)), float(row_lower[r]), float(row_upper[r]))
        )
    bounds = tuple((float(lower[c]), float(upper[c])) for c in columns)
    return (bounds, tuple(sorted(described)))


def _allowed_options(signature: tuple[object, ...], packages: np.ndarray) -> np.ndarray:
    """For each package, which options (no request, then each tier) the line may take."""
    bounds, rows = signature
    assert isinstance(bounds, tuple) and isinstance(rows, tuple)
    tiers = len(bounds)
    # option o sets tier o-1 to 1 and the others to 0; the tiers' bounds must allow it
    choice = np.vstack([np.zeros(tiers), np.eye(tiers)])
    allowed = np.ones((len(packages), tiers + 1), dtype=bool)
    lows = np.array([b[0] for b in bounds])
    highs = np.array([b[1] for b in bounds])
    fits = np.all((choice >= lows - ROW_TOLERANCE) & (choice <= highs + ROW_TOLERANCE), axis=1)
    allowed &= fits[None, :]
    for on_tiers, on_offers, low, high in rows:
        offer_part = np.zeros(len(packages))
        for k, v in on_offers:
            offer_part += v * packages[:, k]
        activity = offer_part[:, None] + (choice @ np.array(on_tiers))[None, :]
        allowed &= (activity >= low - ROW_TOLERANCE) & (activity <= high + ROW_TOLERANCE)
    return allowed
