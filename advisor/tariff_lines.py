"""Tariff lines and their sectors: the naming the generator writes, read back.

A tariff-line instance (``python -m advisor.generate``) names each line
``SECTOR.HSCODE`` and copies a sector's conditions once per line as
``CONDITION-SECTOR.HSCODE``. The reports group lines by sector and conditions by
pattern with these, and the explanation at scale moves a sector's lines together.
This module belongs to no stage: analysis and reports both use it.
"""

from __future__ import annotations

from advisor.instance import Instance


def group_of(sector: str) -> str:
    """A line's sector group: ``IC`` for ``IC.85420001``; a sector without a dot is its own."""
    return sector.split(".", 1)[0]


def sector_ids(inst: Instance) -> frozenset[str]:
    """The instance's sector (line) ids."""
    return frozenset(s.sector for s in inst.sectors)


def condition_pattern(sectors: frozenset[str], condition: str) -> str:
    """A condition's pattern: its id without a ``-LINE`` suffix naming one of ``sectors``."""
    head, _, tail = condition.rpartition("-")
    return head if head and tail in sectors else condition


def group_members(inst: Instance) -> dict[str, list[str]]:
    """Each sector group's sectors (lines), groups and lines in file order."""
    groups: dict[str, list[str]] = {}
    for s in inst.sectors:
        groups.setdefault(group_of(s.sector), []).append(s.sector)
    return groups
