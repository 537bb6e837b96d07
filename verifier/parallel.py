"""Verifying deployment units side by side: ``--jobs N`` processes here, or a Dask cluster (``--executor``).

The unit is the shard (docs/ARCHITECTURE.md, "Parallel runs"): every unit is its own cluster view
(docs/UNITS.md), so no property of one unit reads another, and a worker verifies a whole unit —
every property, the unit-namespace readings, suppressions — exactly as the serial run does. The
parent merges the units' parts in unit order, so the report is byte-identical to ``--jobs 1``.

Local workers are forked after discovery and inherit the parsed units (or, when the folder argument's
subfolders are independent, discover and verify whole subfolders themselves: :mod:`cnverify.unit_trees`);
they read each other's unsat Z3 answers (:mod:`cnverify.shared_answers`). Units of one shape (the same
objects but for their namespace: :func:`shape_of`) are one task, so one worker's memo answers their
queries once (a shape too heavy for balance is dealt into a few chunks: :func:`tasks`); tasks go
heaviest first, each returns its parts pickled with the collector paused (``gc_paused``), and the
parent unpickles a task's parts as soon as it completes. A worker that raises or dies (a crash in Z3,
the OOM killer) never hangs the run: the units of that task are retried alone, each in a fresh
process (a dead worker breaks the pool: the tasks not yet completed go to a new one), and a unit that
fails alone too is an internal-error record (exit 4) while the other units stand.
"""

from __future__ import annotations

import gc
import importlib.util
import math
import multiprocessing
import os
import pickle
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from cnverify import shared_answers
from cnverify.errors import InternalError, UsageError


class _Weighed(Protocol):
    """A unit as the workers weigh it: by the objects it loaded."""

    @property
    def loaded(self) -> Any: ...


U = TypeVar("U", bound=_Weighed)  # a unit (cnverify.units.Unit)
J = TypeVar("J")  # what every unit is verified with (cnverify.engine.UnitJob)
P = TypeVar("P")  # one unit's part of the report (cnverify.engine.UnitPart)

_SHARED: Callable[[int], Any] | None = None  # the work forked workers inherit
_IN_WORKER = False
SPREAD_MIN_OBJECTS = 100  # a unit verified alone is spread over workers by property from this size on


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), the default of ``--jobs``."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside the block (the previous state restored on exit).

    Solving and rendering allocate millions of short-lived acyclic objects, each batch of which
    triggers a generation-0 collection that walks the young objects for nothing."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """The objects alive now (the parsed inputs) moved out of the collector's sight for the block (no
    collection walks them, and forked workers never write to their pages to do so)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


EXECUTORS = ("local-dask", "dask://HOST:PORT")


def executor_arg(value: str | None) -> str | None:
    """``--executor``'s value checked (a usage error names the accepted forms)."""
    if not (value is None or value == "local-dask" or (value.startswith("dask://") and len(value) > len("dask://"))):
        raise UsageError(f"--executor takes {' or '.join(EXECUTORS)}, not {value!r}")
    if value is not None and importlib.util.find_spec("distributed") is None:
        raise UsageError("--executor needs Dask distributed: pip install 'cnverify[dask]'")
    return value


def crashed(what: str, exc: BaseException) -> InternalError:
    """The internal-error record of ``what`` (a property code, ``unit NAME``) whose worker raised or died."""
    err = InternalError.of(what, exc)
    return err if err.where != "?" else InternalError(err.property, err.message, "worker process")


def verify_all(
    units: Sequence[U],
    job: J,
    verify: Callable[[U, J], P],
    jobs: int = 1,
    executor: str | None = None,
    failed: Callable[[U, InternalError], P] | None = None,
    fork: bool = False,
) -> Iterator[tuple[U, P | None]]:
    """Each unit with its part (``None`` for a unit that is not verified), in unit order.

    ``jobs`` processes on this machine, or the Dask cluster named by ``executor``
    (``local-dask`` or ``dask://HOST:PORT``); ``failed`` makes the part of a unit whose worker crashed;
    ``fork``: in forked workers even one unit (one that crashed a worker before must not take this process)."""
    todo = [i for i, u in enumerate(units) if not getattr(u, "not_verified", None)]
    verified = set(todo)
    if executor:
        from cnverify import parallel_dask  # only with the cnverify[dask] extra

        parts = parallel_dask.run(units, todo, job, verify, jobs, executor, failed)
    elif (fork or jobs > 1 and len(todo) > 1) and may_fan_out():
        parts = _forked(units, todo, job, verify, jobs, failed)
    else:
        parts = _serial(units, todo, job, verify)
    pending = iter(parts)  # in ``todo`` order
    for i, unit in enumerate(units):
        yield unit, next(pending)[1] if i in verified else None


def _serial(units: Sequence[U], todo: list[int], job: J, verify: Callable[[U, J], P]) -> Iterator[tuple[int, P]]:
    for i in todo:
        with gc_paused():
            part = verify(units[i], job)
        yield i, part
        del part
        collect_young()  # once the part is merged and the unit's parsed objects released: fewer live objects walked


def collect_young() -> None:
    """Collect the young generation: what was allocated since the last collection and is still alive.

    Under the run's policy (the collector off, the parsed inputs frozen: ``engine.prove``) a unit's
    data is freed by reference counts as soon as its part is built; this frees the few cycles a unit
    leaves (recursive closures) while walking only what the unit kept, never the whole heap."""
    gc.collect(0)


def _forked(
    units: Sequence[U],
    todo: list[int],
    job: J,
    verify: Callable[[U, J], P],
    jobs: int,
    failed: Callable[[U, InternalError], P] | None,
) -> Iterator[tuple[int, P]]:
    """Parts from ``jobs`` forked workers, in ``todo`` order; units of one shape go to one worker."""
    size = {i: len(units[i].loaded.objects) for i in todo}
    shape = {i: shape_of(units[i]) for i in todo}
    for i, part in fanned(lambda i: verify(units[i], job), todo, jobs, size, shape):
        if isinstance(part, BaseException):
            if failed is None:
                raise part
            part = failed(units[i], crashed(f"unit {getattr(units[i], 'name', i)}", part))
        yield i, part


def shape_of(unit: _Weighed) -> Hashable:
    """A cheap fingerprint of what a unit's queries look like: its objects' API versions, kinds and names,
    without namespaces (one chart or base in several namespaces: queries equal up to renaming, which
    each worker answers once for the units it verifies — ``smt``'s memo is per process)."""
    return tuple(sorted(Counter(map(_object_shape, unit.loaded.objects)).items()))


def _object_shape(o: Any) -> tuple[str, str, str]:
    meta = o.data.get("metadata") if isinstance(o.data, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else None
    return o.api_version, o.kind, name if isinstance(name, str) else ""


def tasks(
    keys: list[int], jobs: int, weight: dict[int, int] | None = None, shape: dict[int, Hashable] | None = None
) -> list[list[int]]:
    """``keys`` in tasks, heaviest first: the keys of one ``shape`` together, a shape heavier than a
    ``2 * jobs``-th of the whole dealt into chunks of about that weight (balance; the chunks of a shape
    cost at most ``jobs`` workers its first queries); keys in ``keys`` order inside a task.  Without
    shapes every key is a task."""
    w = {k: max(1, (weight or {}).get(k, 0)) for k in keys}
    groups: dict[Hashable, list[int]] = {}
    for k in keys:
        groups.setdefault((shape or {}).get(k, ("key", k)), []).append(k)
    most = sum(w.values()) / (2 * max(1, jobs))
    out = [c for g in groups.values() for c in _chunks(g, w, min(len(g), math.ceil(sum(w[k] for k in g) / most)))]
    return sorted(out, key=lambda t: -sum(w[k] for k in t))  # stable: equal weights keep key order


def _chunks(group: list[int], w: dict[int, int], n: int) -> list[list[int]]:
    """``group`` dealt into ``n`` chunks of near-equal weight (each key, heaviest first, to the lightest)."""
    if n <= 1:
        return [group]
    chunks: list[list[int]] = [[] for _ in range(n)]
    load = [0] * n
    for k in sorted(group, key=lambda k: -w[k]):
        j = load.index(min(load))
        chunks[j].append(k)
        load[j] += w[k]
    return [sorted(c) for c in chunks]  # keys are positions: ascending is ``keys`` order


def may_fan_out() -> bool:
    """Whether :func:`fanned` may start workers: the platform forks, and this is no worker already."""
    return not _IN_WORKER and "fork" in multiprocessing.get_all_start_methods()


def fanned(
    work: Callable[[int], Any],
    keys: list[int],
    jobs: int,
    weight: dict[int, int] | None = None,
    shape: dict[int, Hashable] | None = None,
) -> Iterator[tuple[int, Any]]:
    """``work(k)`` for every ``k`` of ``keys`` in ``jobs`` forked workers (which inherit everything
    ``work`` reads), in the :func:`tasks` of ``weight`` and ``shape``; yields ``(k, result)`` in ``keys``
    order, or ``(k, exception)`` when ``k`` failed again alone in a fresh process.  A task's results are
    unpickled as soon as it completes (while the workers go on), whatever its place in ``keys``."""
    global _SHARED
    _SHARED = work
    fork = multiprocessing.get_context("fork")
    rest = tasks(keys, jobs, weight, shape)
    done: dict[int, Any] = {}
    ready = iter(keys)
    nxt = next(ready, None)
    try:
        with shared_answers.sharing():  # the workers' unsat answers, read by each other before solving
            while rest:  # a pool a dead worker broke is replaced for the tasks not yet collected
                with ProcessPoolExecutor(min(jobs, len(rest)), mp_context=fork) as pool:
                    futures, unsent = _submitted(pool, rest)
                    rest, broken = unsent, False
                    for future in as_completed(futures):
                        task = futures.pop(future)
                        try:
                            done.update(zip(task, _loads(future.result()), strict=True))
                        except BrokenProcessPool:  # this task's keys alone; the others' results kept, or run anew
                            pool.shutdown(cancel_futures=True)
                            rest, broken = _salvaged(futures, done) + unsent, True
                            done.update((k, _alone(k, fork)) for k in task)
                        except Exception:  # noqa: BLE001 - the task raised: its keys retried alone, then reported
                            done.update((k, _alone(k, fork)) for k in task)
                        while nxt is not None and nxt in done:
                            yield nxt, done.pop(nxt)
                            nxt = next(ready, None)
                        if broken:  # the pool's other futures are settled: collected or in ``rest``
                            break
    finally:
        _SHARED = None


def _submitted(
    pool: ProcessPoolExecutor, tasks: list[list[int]]
) -> tuple[dict[Future[bytes], list[int]], list[list[int]]]:
    """Each task submitted to ``pool`` (its future), and those left unsent when a worker that already started
    died meanwhile (``submit`` then raises: the pool is broken and the sent tasks' futures will say so)."""
    futures: dict[Future[bytes], list[int]] = {}
    for n, task in enumerate(tasks):
        try:
            futures[pool.submit(_task, task)] = task
        except BrokenProcessPool:
            return futures, tasks[n:]
    return futures, []


def _salvaged(futures: dict[Future[bytes], list[int]], done: dict[int, Any]) -> list[list[int]]:
    """The tasks of a broken pool (``futures`` not yet collected) that must run again; the results of
    those that completed before it broke go into ``done``."""
    again = []
    for future, task in futures.items():
        if future.done() and not future.cancelled() and future.exception() is None:
            done.update(zip(task, _loads(future.result()), strict=True))
        else:
            again.append(task)
    return again


def _task(keys: list[int]) -> bytes:
    """``work(k)`` of the inherited fan-out for each of ``keys``, pickled with the collector paused (in a
    forked worker)."""
    global _IN_WORKER
    _IN_WORKER = True
    assert _SHARED is not None
    work = _SHARED
    with gc_paused():
        blob = pickle.dumps([work(k) for k in keys], pickle.HIGHEST_PROTOCOL)
    collect_young()  # the run's policy (collector off) is inherited: the cycles the units left, once their
    return blob  # results are pickled and freed (a collection while they live walks them all: 0.8 ms a unit at 10k)


def _loads(blob: bytes) -> Any:
    with gc_paused():
        return pickle.loads(blob)


def _alone(k: int, fork: Any) -> Any:
    """``work(k)`` in a fresh process of its own, or the exception it failed with again."""
    try:
        with ProcessPoolExecutor(1, mp_context=fork) as pool:
            return _loads(pool.submit(_task, [k]).result())[0]
    except Exception as exc:  # noqa: BLE001 - handed to the caller as the task's result
        return exc
