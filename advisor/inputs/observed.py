"""An observed deal: ``observed.toml`` beside an instance, the input of calibration.

The deal the counterpart actually signed with home (or with a peer), in the ids of
the instance's own ``offers.csv`` and ``requests.csv``::

    [deal]
    date = "2025-10-26"                       # optional, text
    form = "framework"                        # optional, text
    source = "Joint statement, 26 Oct 2025"   # required, text: where the deal is reported
    offers = ["TARIFF_ELIM", "BOEING1"]       # required: the offers home made (may be [])
    offers_note = "EST mapping ..."           # optional, text
    granted_note = "no request granted"       # optional, text

    [[granted]]                               # one table per request granted (none: none)
    request = "RICE_annex0"                   # required: a request id of requests.csv
    tier = "0% (Annex III)"                   # optional: if given, the request's tier label
    source = "..."                            # optional, text
    note = "..."                              # optional, text

Every mistake is a located :class:`~advisor.errors.Problem` (``observed.toml``, the
key path such as ``deal.offers[3]`` or ``granted[2].request``, and what was
expected), all collected in one pass and raised together as an
:class:`~advisor.errors.InstanceError`: an unknown key, a missing one, a value of the
wrong type, an id that is not in the instance, an offer or request listed twice, two
tiers of one sector granted, a tier label that contradicts ``requests.csv``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import InstanceError, Problem
from advisor.instance import Instance

OBSERVED_FILE = "observed.toml"
DEAL_KEYS = ("date", "form", "source", "offers", "offers_note", "granted_note")
GRANTED_KEYS = ("request", "tier", "source", "note")
TOP_KEYS = ("deal", "granted")


@dataclass(frozen=True)
class ObservedDeal:
    """The decisions of a signed deal: the requests granted and the offers made.

    ``decisions`` is the set x° of request and offer ids equal to 1 (a request counts
    as chosen when it was granted). ``path`` is the file it was read from.
    """

    path: str
    source: str
    date: str
    form: str
    offers: tuple[str, ...]
    requests: tuple[str, ...]

    @property
    def decisions(self) -> frozenset[str]:
        """x°: the requests granted and the offers made."""
        return frozenset(self.offers) | frozenset(self.requests)


class _Reader:
    """One pass over the parsed TOML, collecting located problems."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(OBSERVED_FILE, None, key, message))

    def unknown(self, table: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                self.problem(f"{prefix}{key}",
                             f"unknown key; expected one of: {', '.join(allowed)}")

    def text(self, table: dict[str, Any], key: str, where: str, required: bool = False) -> str:
        if key not in table:
            if required:
                self.problem(where, "missing; expected a text, e.g. where the deal is reported")
            return ""
        value = table[key]
        if not isinstance(value, str):
            self.problem(where, f"expected a text in quotes, found {value!r}")
            return ""
        return value

    def offers(self, deal: dict[str, Any]) -> tuple[str, ...]:
        if "offers" not in deal:
            self.problem("deal.offers", "missing; expected a list of offer ids of offers.csv "
                         "(offers = [] when home made none)")
            return ()
        raw = deal["offers"]
        if not isinstance(raw, list):
            self.problem("deal.offers", f"expected a list of offer ids, found {raw!r}")
            return ()
        known = self.instance.offer_by_id
        out: list[str] = []
        for i, item in enumerate(raw, start=1):
            where = f"deal.offers[{i}]"
            if not isinstance(item, str):
                self.problem(where, f"expected an offer id in quotes, found {item!r}")
            elif item not in known:
                self.problem(where, f"{item!r} is not an offer in offers.csv")
            elif item in out:
                self.problem(where, f"{item!r} is listed twice")
            else:
                out.append(item)
        return tuple(out)

    def granted(self, raw: Any) -> tuple[str, ...]:
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            self.problem("granted", "expected [[granted]] tables, one per request granted")
            return ()
        out: list[str] = []
        sectors: dict[str, str] = {}
        for i, table in enumerate(raw, start=1):
            prefix = f"granted[{i}]."
            self.unknown(table, GRANTED_KEYS, prefix)
            for key in ("tier", "source", "note"):
                self.text(table, key, prefix + key)
            request = self._request(table, prefix)
            if request is None:
                continue
            sector = self.instance.request_by_id[request].sector
            if request in out:
                self.problem(prefix + "request", f"{request!r} is granted twice")
            elif sector in sectors:
                self.problem(prefix + "request", f"{request!r} is a second tier of sector "
                             f"{sector!r} (already granted: {sectors[sector]!r}); one tier "
                             "a sector")
            else:
                sectors[sector] = request
                out.append(request)
        return tuple(out)

    def _request(self, table: dict[str, Any], prefix: str) -> str | None:
        if "request" not in table:
            self.problem(prefix + "request", "missing; expected a request id of requests.csv")
            return None
        request = table["request"]
        if not isinstance(request, str):
            self.problem(prefix + "request", f"expected a request id in quotes, found {request!r}")
            return None
        tier = self.instance.request_by_id.get(request)
        if tier is None:
            self.problem(prefix + "request", f"{request!r} is not a request in requests.csv")
            return None
        label = table.get("tier")
        if isinstance(label, str) and label.strip() != tier.tier.strip():
            self.problem(prefix + "tier", f"{label!r} is not the tier of {request!r} in "
                         f"requests.csv ({tier.tier!r})")
        return request


def read_observed(folder: str | Path, instance: Instance) -> ObservedDeal:
    """The observed deal in ``folder/observed.toml``, checked against ``instance``.

    Raises :class:`~advisor.errors.InstanceError` with every located problem (a
    missing file is one problem: ``observed.toml: cannot read ...``).
    """
    path = Path(folder) / OBSERVED_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InstanceError(Problem(OBSERVED_FILE, None, None, "missing: calibration needs the "
                                    "deal signed (format: advisor/inputs/observed.py); an "
                                    "instance without one can only be predicted (--predict)"),
                            "no observed deal") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise InstanceError(Problem(OBSERVED_FILE, None, None, f"cannot read: {reason}"),
                            "no observed deal") from None
    except tomllib.TOMLDecodeError as error:
        raise InstanceError(Problem(OBSERVED_FILE, None, None, f"not valid TOML: {error}"),
                            "invalid observed deal") from None
    reader = _Reader(instance)
    reader.unknown(data, TOP_KEYS, "")
    deal = data.get("deal")
    if not isinstance(deal, dict):
        reader.problem("deal", "missing; expected a [deal] table with source and offers")
        deal = {}
    reader.unknown(deal, DEAL_KEYS, "deal.")
    source = reader.text(deal, "source", "deal.source", required=True)
    date = reader.text(deal, "date", "deal.date")
    form = reader.text(deal, "form", "deal.form")
    for key in ("offers_note", "granted_note"):
        reader.text(deal, key, f"deal.{key}")
    offers = reader.offers(deal) if deal or "deal" in data else ()
    requests = reader.granted(data.get("granted", []))
    if reader.problems:
        raise InstanceError(reader.problems, "invalid observed deal")
    return ObservedDeal(str(path), source, date, form, offers, requests)
