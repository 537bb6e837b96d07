"""Units verified on a Dask distributed cluster (``--executor local-dask | dask://HOST:PORT``).

For fleets that outgrow one machine: Dask's own scheduler places the tasks (one per unit), retries a
task whose worker died and gives up with ``KilledWorker``; cnverify adds no scheduling of its own.
Each task receives its unit and the run's shared job (scattered once to every worker), verifies the
unit exactly as a local worker does and returns the part pickled with the collector paused; the
client yields the parts in unit order, so the report is the one ``--jobs 1`` gives. Workers need the
same cnverify version installed (the task names ``cnverify.engine.verify_unit``) and read no files:
the units travel with the tasks. The run deadline (``--run-timeout``) travels as the time left when
the tasks are submitted and starts again on each worker.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from cnverify import smt
from cnverify.parallel import crashed, gc_paused


def _remote(unit: Any, job: Any, verify: Callable[[Any, Any], Any]) -> bytes:
    """One unit verified on a Dask worker, its part pickled."""
    with smt.budget(job.options.limits), gc_paused():
        return pickle.dumps(verify(unit, job), pickle.HIGHEST_PROTOCOL)


def client_for(executor: str, jobs: int) -> tuple[Any, Any]:
    """A Dask client for ``executor`` and the local cluster it started (None for a remote scheduler)."""
    from distributed import Client, LocalCluster  # present: the CLI checked (parallel.executor_arg)

    if executor == "local-dask":
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=":0")
        return Client(cluster), cluster
    address = executor.removeprefix("dask://")
    return Client(address if "://" in address else f"tcp://{address}"), None


def run(
    units: Sequence[Any],
    todo: list[int],
    job: Any,
    verify: Callable[[Any, Any], Any],
    jobs: int,
    executor: str,
    failed: Callable[[Any, Any], Any] | None,
) -> Iterator[tuple[int, Any]]:
    """Parts of the units ``todo`` from the Dask cluster, in ``todo`` order."""
    client, cluster = client_for(executor, jobs)
    try:
        shared = client.scatter(job.portable(), broadcast=True)
        futures = {
            i: client.submit(_remote, units[i], shared, verify, pure=False, priority=len(units[i].loaded.objects))
            for i in todo
        }
        for i in todo:
            try:
                blob = futures[i].result()
            except Exception as exc:  # noqa: BLE001 - a task that raised or whose workers died (KilledWorker)
                if failed is None:
                    raise
                yield i, failed(units[i], crashed(f"unit {units[i].name}", exc))
                continue
            with gc_paused():
                yield i, pickle.loads(blob)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
