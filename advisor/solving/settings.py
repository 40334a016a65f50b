"""The settings of one ranking, resolved and checked at the door.

:func:`resolve_settings` takes :func:`advisor.solve`'s arguments, fills the ones
left as None from the instance (``[ranking]`` and ``[model]`` in ``instance.toml``)
and checks every one, raising a ``TypeError`` (wrong kind of value) or a
``ValueError`` (a value out of range) that names the argument and what it
accepts, before anything is built or solved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

from advisor.instance import DISTINCT_ON, OBJECTIVES, Instance
from advisor.solving.search import SEARCHES, search_method

# A time limit beyond this (about 31 years) is no limit: timers and HiGHS's own
# clock overflow on values near 1e10 s and above.
UNBOUNDED_TIME_LIMIT_S = 1e9


@dataclass(frozen=True)
class Settings:
    """One ranking's settings, every one resolved (see :func:`advisor.solve`)."""

    top: int
    min_difference: int
    mip_gap: float
    time_limit: float | None
    objective: str
    distinct_on: str
    threads: int | None
    search: str  # the search that runs: "cuts" or "packages"
    with_measures: bool | None
    verify: bool


HIGHS_THREADS = 1


def default_threads(instance: Instance) -> int:
    """One HiGHS thread for every solve, whatever the instance or the machine.

    HiGHS's MIP search depends on its thread count: on a 1,000-line instance one,
    two and four threads listed three different strategies 1 (objectives within
    1e-7 of each other), and the default followed the machine's cores, so two
    analysts got two answers. Nor were more threads faster: 40 s with one thread
    against 47 s with two on 10,000 lines (``--top 10 --distinct-on offers``). Small
    models gain too: starting worker threads costs more than their MIPs take.
    """
    return HIGHS_THREADS


def check_instance(instance: object, argument: str = "instance") -> Instance:
    """``instance`` itself, or a TypeError saying how to get an Instance."""
    if isinstance(instance, Instance):
        return instance
    hint = (
        ": load it with advisor.load_instance(path)"
        if isinstance(instance, str) or hasattr(instance, "__fspath__")
        else ""
    )
    raise TypeError(
        f"{argument} must be an advisor.Instance, got {type(instance).__name__}{hint}"
    )


def whole_number(value: object, argument: str, least: int) -> int:
    """``value`` as an int ≥ ``least``, or a TypeError / ValueError naming ``argument``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{argument} must be a whole number >= {least}, got {value!r}")
    if value < least:
        raise ValueError(f"{argument} must be at least {least}, got {value}")
    return int(value)


def real_number(value: object, argument: str) -> float:
    """``value`` as a float (not NaN), or a TypeError / ValueError naming ``argument``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{argument} must be a number, got {value!r}")
    if math.isnan(value):
        raise ValueError(f"{argument} must be a number, got nan")
    return float(value)


def choice(value: object, argument: str, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``, else a TypeError / ValueError."""
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be one of {', '.join(choices)}, got {value!r}")
    if value not in choices:
        raise ValueError(f"{argument} must be one of {', '.join(choices)}, got {value!r}")
    return value


def check_time_limit(value: object) -> float | None:
    """Seconds (> 0) as a float; None for no limit (None, or beyond any run)."""
    if value is None:
        return None
    seconds = real_number(value, "time_limit")
    if seconds <= 0:
        raise ValueError(f"time_limit must be positive, got {value}")
    return None if seconds > UNBOUNDED_TIME_LIMIT_S else seconds


def _threads(instance: Instance, threads: object) -> int:
    """The thread count HiGHS gets: always :func:`default_threads`.

    A count asked for is checked, and kept for compatibility only: the same answer
    on every machine matters more.
    """
    if threads is not None:
        whole_number(threads, "threads", 1)
    return default_threads(instance)


def _flag(value: object, argument: str, optional: bool = False) -> bool | None:
    if optional and value is None:
        return None
    if isinstance(value, bool):
        return value
    accepted = "True, False or None" if optional else "True or False"
    raise TypeError(f"{argument} must be {accepted}, got {value!r}")


def resolve_settings(
    instance: Instance,
    *,
    top: object = None,
    min_difference: object = None,
    time_limit: object = None,
    mip_gap: object = None,
    objective: object = None,
    threads: object = None,
    with_measures: object = None,
    distinct_on: object = None,
    search: object = "auto",
    verify: object = False,
) -> Settings:
    """Every setting of a ranking, from the arguments or the instance's defaults."""
    ranking = instance.ranking
    top = whole_number(ranking.top if top is None else top, "top", 1)
    least = whole_number(
        ranking.min_difference if min_difference is None else min_difference,
        "min_difference",
        1,
    )
    given_gap = ranking.mip_gap if mip_gap is None else mip_gap
    gap = real_number(given_gap, "mip_gap")
    if not 0 <= gap <= 1:
        raise ValueError(f"mip_gap must be between 0 and 1, got {given_gap}")
    distinct = choice(ranking.distinct_on if distinct_on is None else distinct_on,
                      "distinct_on", DISTINCT_ON)
    method = search_method(choice(search, "search", SEARCHES), instance, distinct, top, least)
    return Settings(
        top=top,
        min_difference=least,
        mip_gap=gap,
        time_limit=check_time_limit(ranking.time_limit if time_limit is None else time_limit),
        objective=choice(instance.objective if objective is None else objective,
                         "objective", OBJECTIVES),
        distinct_on=distinct,
        threads=_threads(instance, threads),
        search=method,
        with_measures=_flag(with_measures, "with_measures", optional=True),
        verify=bool(_flag(verify, "verify")),
    )
