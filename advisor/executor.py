"""Independent tasks run serially, in a local process pool, or on a Dask cluster.

:func:`run_tasks` applies ``task(shared, item)`` to every item and returns the
results in the items' order, however they ran: serially (``jobs`` 1), in ``jobs``
spawned processes (HiGHS keeps threads a fork would copy), or on a Dask
``distributed`` cluster (``scheduler``: an address such as ``tcp://HOST:PORT``, or a
``distributed.Client``). ``shared`` (the instance, its uncertainty, ...) goes to each
worker once: the pool's initializer, the cluster's broadcast scatter. Items travel
in batches, so the per-task overhead of a pool or a cluster is paid per batch. A
task computes its result from its item and ``shared`` alone, so the results are the
same byte for byte whichever engine ran them.
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

from advisor.solving.runtime import quiet_stdout

Task = Callable[[Any, Any], Any]
Progress = Callable[[int, int], None]  # (tasks done, tasks in all)


def _read_only(values: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(values)


def _proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return _read_only, (dict(proxy),)


# An Instance's read-only mappings are MappingProxyType, which pickle refuses: sent
# to a worker as a dict and wrapped again there (the same frozen view).
copyreg.pickle(MappingProxyType, _proxy)

_SHARED: dict[str, Any] = {}  # a pool worker's copy of ``shared``


def _install(shared: Any) -> None:
    _SHARED["value"] = shared


def _pool_batch(task: Task, items: Sequence[Any]) -> list[Any]:
    return run_batch(task, _SHARED["value"], items)


def run_batch(task: Task, shared: Any, items: Sequence[Any]) -> list[Any]:
    """``task(shared, item)`` for each item, in order, the solver's chatter hidden."""
    with quiet_stdout():
        return [task(shared, item) for item in items]


def batches(items: Sequence[Any], workers: int, per_worker: int = 8) -> list[Sequence[Any]]:
    """``items`` cut into about ``workers * per_worker`` consecutive batches."""
    size = max(1, -(-len(items) // max(1, workers * per_worker)))
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_tasks(
    task: Task,
    shared: Any,
    items: Sequence[Any],
    jobs: int = 1,
    scheduler: Any = None,
    progress: Progress | None = None,
) -> list[Any]:
    """``[task(shared, item) for item in items]``, run where asked, in items' order."""
    say = progress or (lambda done, total: None)
    if scheduler is not None:
        return _on_cluster(task, shared, items, scheduler, say)
    if jobs > 1 and len(items) > 1:
        return _in_pool(task, shared, items, jobs, say)
    out = []
    for i, item in enumerate(items, 1):
        out += run_batch(task, shared, [item])
        say(i, len(items))
    return out


@contextlib.contextmanager
def main_hidden() -> Iterator[None]:
    """Spawn workers without re-running the main script.

    A spawned worker re-imports ``__main__`` from its file or module name;
    ``solve.py`` runs the command at import (no ``if __name__ == "__main__"`` guard),
    so a worker would run the command again. The workers need only :mod:`advisor`.
    """
    main = sys.modules["__main__"]
    names = ("__file__", "__spec__")
    saved: dict[str, Any] = {k: main.__dict__[k] for k in names if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.update(saved)


def _in_pool(task: Task, shared: Any, items: Sequence[Any], jobs: int, say: Progress) -> list[Any]:
    parts = batches(items, jobs)
    found: dict[int, list[Any]] = {}
    done = 0
    context = get_context("spawn")
    with main_hidden(), ProcessPoolExecutor(jobs, context, _install, (shared,)) as pool:
        futures = {pool.submit(_pool_batch, task, part): k for k, part in enumerate(parts)}
        for future in as_completed(futures):
            found[futures[future]] = future.result()
            done += len(found[futures[future]])
            say(done, len(items))
    return [result for k in range(len(parts)) for result in found[k]]


def _on_cluster(
    task: Task, shared: Any, items: Sequence[Any], scheduler: Any, say: Progress
) -> list[Any]:
    from distributed import Client  # slow to import: only when a cluster is asked for

    own = not isinstance(scheduler, Client)
    client = Client(scheduler, set_as_default=False) if own else scheduler
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        parts = batches(items, workers)
        remote = client.scatter(shared, broadcast=True)
        futures = client.map(run_batch, [task] * len(parts), [remote] * len(parts), parts,
                             pure=False)
        out: list[Any] = []
        for future in futures:
            out += future.result()
            say(len(out), len(items))
        return out
    finally:
        if own:
            client.close()
