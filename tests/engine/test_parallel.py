"""``prove --jobs N`` (cnverify.parallel): units verified in forked workers give the report ``--jobs 1``
gives, byte for byte; a worker that raises or dies is an internal-error record for its unit only,
never a hang. (The whole corpus sharded is checked by tests/engine/test_determinism.py.)"""

from __future__ import annotations

import gc
import os
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from cnverify import engine, parallel, unit_trees
from cnverify.cli import main
from cnverify.engine import Options, prove
from cnverify.properties.scaling.hpa_bounds import HpaBounds
from cnverify.report import RenderOptions, writers

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import generate  # noqa: E402

UNITS = Path(__file__).resolve().parents[1] / "units" / "fixtures"  # kustomize overlays, examples, bundles


def rendered(paths: list[str], **options: Any) -> str:
    return writers()["json"](prove(paths, Options(**options)), RenderOptions())


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated cluster of 12 namespace units with planted defects."""
    return generate.write(600, tmp_path_factory.mktemp("gen") / "cluster", seed=11)


@pytest.mark.parametrize("jobs", [2, 3])
def test_generated_cluster_sharded_is_byte_identical(cluster: Path, jobs: int) -> None:
    serial = rendered([str(cluster)], jobs=1)
    assert '"violated"' in serial and serial.count('"unit":') >= 12
    assert rendered([str(cluster)], jobs=jobs) == serial


def test_kustomize_units_sharded_are_byte_identical() -> None:
    serial = rendered([str(UNITS)], jobs=1)
    report = prove([str(UNITS)], Options(jobs=2))
    assert len([u for u in report.units if not u.get("not_verified")]) >= 5
    assert any(len(f.units) > 1 for f in report.results)  # a base verified alike by several overlays
    assert writers()["json"](report, RenderOptions()) == serial


def test_one_unit_spread_over_properties_is_byte_identical(cluster: Path) -> None:
    """A unit verified alone (here: the generated cluster read as one cluster of 12 namespaces; a
    kustomize overlay) has its properties spread over the workers, each seeing the whole snapshot."""
    serial = rendered([str(cluster)], jobs=1, unit="cluster")
    assert rendered([str(cluster)], jobs=2, unit="cluster") == serial
    overlay = str(UNITS / "platform" / "overlays" / "prod")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "SPREAD_MIN_OBJECTS", 0)  # a small unit too
        assert rendered([overlay], jobs=3) == rendered([overlay], jobs=1)


def test_crashed_property_worker_is_an_internal_error_record(cluster: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = prove([str(cluster)], Options(jobs=1, unit="cluster"))

    def dies(self: HpaBounds, snap: object) -> Iterator[object]:
        die()
        yield  # pragma: no cover

    monkeypatch.setattr(HpaBounds, "obligations", dies)
    report = prove([str(cluster)], Options(jobs=2, unit="cluster"))
    [x] = report.internal
    assert x.property == "CNV401" and x.message.startswith("BrokenProcessPool") and report.exit_code() == 4
    assert [f.to_json() for f in report.results] == [f.to_json() for f in serial.results if f.property != "CNV401"]


def crash_in(unit_name: str, how: Callable[[], None]) -> Callable[[Any, Any], Any]:
    real = engine.verify_unit

    def verify(unit: Any, job: Any) -> Any:
        if unit.name.endswith(unit_name):
            how()
        return real(unit, job)

    return verify


def die() -> None:
    os._exit(9)  # as a segfault in Z3 or the OOM killer would: no exception, no result


def boom() -> None:
    raise RuntimeError("boom")


@pytest.mark.parametrize("how, message", [(die, "BrokenProcessPool"), (boom, "RuntimeError: boom")])
def test_crashed_worker_is_an_internal_error_record(
    cluster: Path, monkeypatch: pytest.MonkeyPatch, how: Callable[[], None], message: str
) -> None:
    serial = prove([str(cluster)], Options(jobs=1))
    victim = serial.units[3]["name"]
    monkeypatch.setattr(engine, "verify_unit", crash_in(victim, how))
    report = prove([str(cluster)], Options(jobs=2))
    [x] = report.internal
    assert x.property == f"unit {victim}" and x.message.startswith(message)
    assert report.exit_code() == 4
    assert [u["name"] for u in report.units] == [u["name"] for u in serial.units]
    kept = [f.to_json() for f in serial.results if f.units != [victim]]
    assert [f.to_json() for f in report.results] == kept  # every other unit's results stand


def test_gc_state_restored(cluster: Path) -> None:
    assert gc.isenabled()
    prove([str(cluster / sorted(os.listdir(cluster))[0])], Options(jobs=2))
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_cli_jobs_and_executor_arguments(cluster: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(main, ["prove", str(cluster), "--jobs", "0"])
    assert bad.exit_code == 2 and "--jobs" in bad.output
    bad = runner.invoke(main, ["prove", str(cluster), "--executor", "ray://x"])
    assert bad.exit_code == 2 and "local-dask or dask://HOST:PORT" in bad.output
    one = runner.invoke(main, ["prove", str(cluster), "--format", "json", "--jobs", "1"])
    two = runner.invoke(main, ["prove", str(cluster), "--format", "json", "-j", "2"])
    assert one.exit_code == two.exit_code == 1 and one.output == two.output


def test_dask_executor_gives_the_serial_report(cluster: Path) -> None:
    """Against a distributed.LocalCluster of worker processes (CI: ~10 s): a scheduler address, and
    ``local-dask`` starting its own."""
    distributed = pytest.importorskip("distributed")
    paths = [str(cluster / name) for name in sorted(os.listdir(cluster))[:3]] + [str(UNITS)]
    serial = rendered(paths, jobs=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
        address = local.scheduler_address.removeprefix("tcp://")
        assert rendered(paths, jobs=2, executor=f"dask://{address}") == serial
    assert rendered([str(UNITS)], jobs=2, executor="local-dask") == rendered([str(UNITS)], jobs=1)


def test_a_serial_run_walks_no_old_generation_and_frees_each_unit(
    cluster: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's collector policy (docs/PERFORMANCE.md): no collection walks the parsed inputs or what earlier
    units kept, a unit's snapshot dies by reference counts alone (no cycle through its run context), and a
    merged unit's parsed objects are released."""
    import weakref

    from cnverify import snapshot, units

    built: list[weakref.ref[snapshot.Snapshot]] = []
    found: list[units.Discovery] = []
    build, discover = snapshot.build, units.discover
    monkeypatch.setattr(snapshot, "build", lambda *a, **k: (r := build(*a, **k), built.append(weakref.ref(r[0])))[0])
    monkeypatch.setattr(units, "discover", lambda *a, **k: (d := discover(*a, **k), found.append(d))[0])
    monkeypatch.setattr(parallel, "collect_young", lambda: None)  # refcounts alone must free the snapshots
    generations: list[int] = []  # collections that started inside the run
    inside, run = [False], engine._prove
    monkeypatch.setattr(
        engine, "_prove", lambda *a: (inside.__setitem__(0, True), run(*a), inside.__setitem__(0, False))[1]
    )
    track = lambda phase, info: generations.append(info["generation"]) if phase == "start" and inside[0] else None  # noqa: E731
    gc.callbacks.append(track)
    gc.disable()  # until the snapshots are counted: no collection after the run may free them either
    try:
        report = prove([str(cluster)], Options(jobs=1))
        alive = [r for r in built if r() is not None]
    finally:
        gc.enable()
        gc.callbacks.remove(track)
    assert generations == [] and len(built) >= len(report.units) > 1
    assert alive == []
    assert report.objects == 600 and all(u.loaded.objects == [] for u in found[0].units)


@pytest.fixture(scope="module")
def repeated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six shapes (two apps each, one with a planted defect), each in three namespace units: one chart
    installed in several namespaces."""
    root = tmp_path_factory.mktemp("repeated")
    for s in range(6):
        for c in range(3):
            ns = root / f"s{s}-c{c}"
            ns.mkdir()
            for a in range(2):
                defect = generate.DEFECTS[s] if a else None
                docs = generate.app_objects(ns.name, f"app{s}-{a}", random.Random(10 * s + a), defect)
                (ns / f"app{a}.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return root


def test_units_of_one_shape_go_to_one_worker(repeated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Units whose objects differ only in their namespace are one task (the worker's memo answers their
    queries once); the report is the serial one, byte for byte.  (Units discovered in the parent: a folder
    whose subfolders are discovered in the workers, ``unit_trees``, shares answers through
    ``shared_answers`` instead.)"""
    serial = rendered([str(repeated)], jobs=1)
    monkeypatch.setattr(unit_trees, "split", lambda *a: None)
    log = tmp_path / "placed"
    real = engine.verify_unit

    def placed(unit: Any, job: Any) -> Any:
        with log.open("a") as out:
            out.write(f"{os.getpid()} {Path(unit.name).name}\n")
        return real(unit, job)

    monkeypatch.setattr(engine, "verify_unit", placed)
    assert rendered([str(repeated)], jobs=2) == serial
    where: dict[str, set[str]] = {}
    for line in log.read_text().splitlines():
        pid, name = line.split()
        where.setdefault(name.split("-")[0], set()).add(pid)
    assert len(where) == 6 and all(len(pids) == 1 for pids in where.values()), where
    assert len(set().union(*where.values())) == 2  # and both workers had work


@pytest.mark.parametrize(
    "weights, shapes, jobs, expected",
    [
        ([5, 1, 3], None, 2, [[0], [2], [1]]),  # no shapes: one key a task, heaviest first
        ([1] * 8, [0, 1, 2, 3] * 2, 2, [[0, 4], [1, 5], [2, 6], [3, 7]]),  # a shape is one task, in key order
        ([1, 1, 1, 1], [0, 1, 0, 1], 2, [[0], [2], [1], [3]]),  # heavier than a 2*jobs-th of the whole: dealt
        ([1] * 8, [0] * 8, 2, [[0, 4], [1, 5], [2, 6], [3, 7]]),  # one shape, all: 2*jobs balanced chunks
        ([4, 1, 1, 1, 1], [0, 1, 1, 2, 2], 2, [[0], [1, 2], [3, 4]]),
    ],
)
def test_tasks(weights: list[int], shapes: list[int] | None, jobs: int, expected: list[list[int]]) -> None:
    keys = list(range(len(weights)))
    shape = dict(enumerate(shapes)) if shapes is not None else None
    assert parallel.tasks(keys, jobs, dict(enumerate(weights)), shape) == expected


def test_tasks_unsent_when_the_pool_broke_during_submission_run_again() -> None:
    """A worker that dies while tasks are still being submitted breaks the pool: ``submit`` raises for the
    rest, which are handed back to run in the next pool (not lost, no exception out of the run)."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    class Breaking:
        def __init__(self) -> None:
            self.sent: list[list[int]] = []

        def submit(self, _fn: object, task: list[int]) -> Future[bytes]:
            if self.sent:
                raise BrokenProcessPool("a worker died")
            self.sent.append(task)
            return Future()

    pool = Breaking()
    futures, unsent = parallel._submitted(pool, [[0], [1, 2], [3]])  # type: ignore[arg-type]
    assert list(futures.values()) == [[0]] and unsent == [[1, 2], [3]] and pool.sent == [[0]]


def test_a_task_collects_once_its_results_are_pickled(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's task collects the young generation once, after its results are pickled and freed: a collection
    while they live walks every one of them (0.8 ms a unit at 10k) and frees none."""
    events: list[str] = []
    monkeypatch.setattr(parallel, "collect_young", lambda: events.append("collect"))
    monkeypatch.setattr(parallel.pickle, "dumps", lambda obj, protocol: (events.append(f"pickle {obj}"), b"")[1])
    monkeypatch.setattr(parallel, "_SHARED", lambda k: (events.append(f"work {k}"), k)[1])
    monkeypatch.setattr(parallel, "_IN_WORKER", False)
    assert parallel._task([1, 2, 3]) == b""
    assert events == ["work 1", "work 2", "work 3", "pickle [1, 2, 3]", "collect"]
