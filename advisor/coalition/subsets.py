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

from collections.abc import Callable

from advisor.coalition.games import subsets
from advisor.coalition.plans import coalition_value
from advisor.coalition.spec import Coalition
from advisor.executor import run_tasks

Progress = Callable[[str], None]
SubsetValues = dict[tuple[str, ...], float | None]


def subset_values(
    coalition: Coalition,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> SubsetValues:
    """v(S) for every non-empty S (None: S has no plan), keyed in :func:`subsets` order.

    The solves run through :func:`advisor.executor.run_tasks`, the one executor of the
    advisor (serial, a spawned process pool, or a Dask cluster), which returns them in
    the sub-coalitions' order whichever engine ran them.
    """
    todo = subsets(coalition.member_ids)
    say = progress or (lambda message: None)
    where = f" (cluster {scheduler})" if scheduler else f" ({jobs} processes)" if jobs > 1 else ""
    values = run_tasks(
        coalition_value,  # task(shared, item): v(S) of one sub-coalition
        coalition,
        todo,
        jobs=jobs,
        scheduler=scheduler,
        progress=lambda done, total: say(f"sub-coalition {done}/{total} solved{where}"),
    )
    return dict(zip(todo, values, strict=True))
