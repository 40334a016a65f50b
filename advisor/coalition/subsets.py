"""v(S) for every sub-coalition S: serially, in a process pool, or on a Dask cluster.

The 2^n − 1 solves are independent. ``jobs`` > 1 runs them in a local process pool
(spawned workers: HiGHS keeps threads a fork would copy); ``scheduler``
(``tcp://HOST:PORT``, or any address ``distributed.Client`` accepts) runs them on a
Dask ``distributed`` cluster, whose workers must see the members' folders at the
same paths (the coalition is sent to them whole). Each value is computed by the
same function from the same data, and collected by sub-coalition, so the result
is the same byte for byte whichever way it ran.
"""

from __future__ import annotations

import contextlib
import copyreg
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from types import MappingProxyType
from typing import Any

from advisor.coalition.games import subsets
from advisor.coalition.plans import coalition_value
from advisor.coalition.spec import Coalition
from advisor.solving.runtime import quiet_stdout

Progress = Callable[[str], None]
SubsetValues = dict[tuple[str, ...], float | None]


def read_only(values: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """A read-only view of ``values`` (how a pickled mapping proxy is rebuilt)."""
    return MappingProxyType(values)


def _proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return read_only, (dict(proxy),)


# An Instance's read-only mappings are MappingProxyType, which pickle refuses: sent
# to a worker as a dict and wrapped again there (the same frozen view).
copyreg.pickle(MappingProxyType, _proxy)


def subset_task(coalition: Coalition, members: tuple[str, ...]) -> float | None:
    """v(S) of one sub-coalition (run in a worker)."""
    with quiet_stdout():
        return coalition_value(coalition, members)


def subset_values(
    coalition: Coalition,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> SubsetValues:
    """v(S) for every non-empty S (None: S has no plan), keyed in :func:`subsets` order."""
    todo = subsets(coalition.member_ids)
    say = progress or (lambda message: None)
    if scheduler is not None:
        found = _on_cluster(coalition, todo, scheduler, say)
    elif jobs > 1:
        found = _in_pool(coalition, todo, jobs, say)
    else:
        found = {}
        for i, s in enumerate(todo, 1):
            found[s] = subset_task(coalition, s)
            say(f"sub-coalition {i}/{len(todo)} solved")
    return {s: found[s] for s in todo}


@contextlib.contextmanager
def _main_hidden() -> Iterator[None]:
    """Spawn workers without re-running the main script.

    A spawned worker re-imports ``__main__`` from its file or module name;
    ``solve.py`` and ``python -m advisor.cli`` run the command at import (no
    ``if __name__ == "__main__"`` guard), so a worker would run the command again.
    The workers need only :mod:`advisor`, which pickle imports by name.
    """
    main = sys.modules["__main__"]
    saved: dict[str, Any] = {
        k: main.__dict__.get(k) for k in ("__file__", "__spec__") if k in main.__dict__
    }
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.update(saved)


def _in_pool(
    coalition: Coalition, todo: Sequence[tuple[str, ...]], jobs: int, say: Progress
) -> SubsetValues:
    found: SubsetValues = {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        with _main_hidden():  # the workers start during the submits
            futures = {pool.submit(subset_task, coalition, s): s for s in todo}
        for i, future in enumerate(as_completed(futures), 1):
            found[futures[future]] = future.result()
            say(f"sub-coalition {i}/{len(todo)} solved ({jobs} processes)")
    return found


def _on_cluster(
    coalition: Coalition, todo: Sequence[tuple[str, ...]], scheduler: str, say: Progress
) -> SubsetValues:
    from distributed import Client  # slow to import: only when a cluster is asked for

    found: SubsetValues = {}
    with Client(scheduler, set_as_default=False) as client:
        shared = client.scatter(coalition, broadcast=True)
        futures = client.map(subset_task, [shared] * len(todo), todo, pure=False)
        for i, (future, s) in enumerate(zip(futures, todo, strict=True), 1):
            found[s] = future.result()
            say(f"sub-coalition {i}/{len(todo)} solved (cluster {scheduler})")
    return found
