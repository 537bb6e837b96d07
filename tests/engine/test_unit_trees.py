"""``cnverify.unit_trees``: with ``--jobs N`` the subfolders of one folder argument are discovered and verified
in the workers when they are provably independent; the units, their order, the unit-less files and the
report are those of the whole discovery, byte for byte; anything that could join subfolders (a chart,
a kustomization, objects in the argument itself, walk errors, several arguments) keeps the serial discovery."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from cnverify import engine, parallel, unit_trees, units
from cnverify.engine import Options, prove
from cnverify.report import RenderOptions, writers


def deployment(name: str, ns: str | None = None, replicas: int = 2) -> str:
    meta = f"  name: {name}\n" + (f"  namespace: {ns}\n" if ns else "")
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n{meta}spec:\n  replicas: {replicas}\n"
        f"  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n"
        f"    spec:\n      containers:\n      - name: c\n        image: nginx:1.25\n"
    )


def service(name: str, port: int = 80) -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector: {{app: {name}}}\n"
        f"  ports:\n  - port: {port}\n    targetPort: 8080\n"
    )


def configmap(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\n"


FILES = {
    "notes.yaml": "just some text\n",  # the argument's own file: no object (unit-less, unrecognized)
    "a/app.yaml": deployment("a") + "---\n" + service("a"),
    "a/variant/app.yaml": deployment("a", replicas=5),  # redefines a: an alternative folder, its own unit
    "a/extra/svc.yaml": service("a-extra", 8080),  # below a: a's unit
    "b/install.yaml": configmap("x") + "---\n" + deployment("b"),
    "b/namespace-install.yaml": configmap("x") + "---\n" + service("b"),  # bundles of one folder
    "b/other.yaml": configmap("y"),
    "c/empty.yaml": "# nothing here\n",  # unit-less
    "c/d/app.yaml": deployment("d", ns="team"),
    "-e/app.yaml": deployment("e"),  # sorts before the argument's own '.' entries
    "f/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: z\n",  # an error: f is a manifest folder
    "g/readme.yml": "- a\n- b\n",
}


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def rendered(paths: list[str], **options: Any) -> str:
    return writers()["json"](prove(paths, Options(**options)), RenderOptions())


def test_subfolders_give_the_whole_discovery(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo", FILES)
    whole = units.discover([str(root)])
    s = unit_trees.split([str(root)], None, ())
    assert s is not None and len(s.trees) == 6
    rest, pairs, parse_s = unit_trees.verified(s, [], lambda u: u.name, lambda us: iter([]), lambda: _nothing(), 2)
    assert [u.to_json() for u, _ in pairs] == [u.to_json() for u in whole.units]
    assert parse_s > 0  # the workers' discovery time, reported as the run's parse stage
    assert [p for _, p in pairs] == [u.name for u in whole.units]  # each verified where it was discovered
    assert {u.kind for u in whole.units} >= {"bundle", "manifests"} and len(whole.units) == 8
    assert (rest.inputs, rest.unrecognized, rest.unrecognized_at, rest.errors) == (
        whole.rest.inputs,
        whole.rest.unrecognized,
        whole.rest.unrecognized_at,
        whole.rest.errors,
    )
    assert rest.unrecognized >= 2


def _nothing() -> Any:
    from contextlib import nullcontext

    return nullcontext()


@pytest.mark.parametrize("jobs", [2, 3])
def test_split_run_is_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    root = str(tree(tmp_path / "repo", FILES))
    serial = rendered([root], jobs=1)
    used: list[int] = []
    real = unit_trees.verified
    monkeypatch.setattr(unit_trees, "verified", lambda *a: (used.append(1), real(*a))[1])
    assert rendered([root], jobs=jobs) == serial and used == [1]
    timings = prove([root], Options(jobs=jobs)).timings
    assert set(timings) == {"parse", "model", "solve"} and min(timings.values()) > 0
    assert rendered([root], jobs=jobs, namespace="prod") == rendered([root], jobs=1, namespace="prod")


@pytest.mark.parametrize(
    "change",
    [
        {"b/kustomization.yaml": "resources: [install.yaml]\n"},  # a kustomization owns files
        {"c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n"},  # a chart
        {"top.yaml": configmap("top")},  # the argument is a manifest folder: every subfolder in its unit
        {"top.yaml": "apiVersion: v1\nkind: [\n"},  # an error there: the same
    ],
)
def test_what_could_join_subfolders_is_never_split(tmp_path: Path, change: dict[str, str]) -> None:
    root = tree(tmp_path / "repo", {**FILES, **change})
    assert unit_trees.split([str(root)], None, ()) is None
    assert rendered([str(root)], jobs=2) == rendered([str(root)], jobs=1)


def test_other_arguments_are_never_split(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo", FILES)
    assert unit_trees.split([str(root / "a"), str(root / "b")], None, ()) is None
    assert unit_trees.split([str(root / "a" / "app.yaml")], None, ()) is None
    assert unit_trees.split([str(root)], None, [["a/app.yaml", "b/other.yaml"]]) is None
    assert unit_trees.split([str(root / "a")], None, ()) is None  # a/app.yaml: a is a manifest folder
    assert unit_trees.split([str(root / "c")], None, ()) is None  # one subfolder: nothing to split
    os.symlink(str(tmp_path / "nowhere"), root / "g" / "dangling.yaml")  # a walk error: placed by the units
    assert unit_trees.split([str(root)], None, ()) is None


def test_a_subfolder_whose_worker_dies_is_discovered_again_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its units are verified one by one (each its own retry): the dying unit is an internal-error record, the
    other units of its subfolder and every other subfolder stand."""
    root = str(tree(tmp_path / "repo", FILES))
    serial = prove([root], Options(jobs=1))
    victim = os.path.join(root, "b", "install.yaml")
    real = engine.verify_unit

    def verify(unit: Any, job: Any) -> Any:
        if unit.name == victim:
            assert parallel._IN_WORKER, "a unit that crashed a worker is verified in this process"
            os._exit(9)
        return real(unit, job)

    monkeypatch.setattr(engine, "verify_unit", verify)
    report = prove([root], Options(jobs=2))
    [x] = report.internal
    assert x.property == f"unit {victim}" and report.exit_code() == 4
    assert [u["name"] for u in report.units] == [u["name"] for u in serial.units]
    assert [f.to_json() for f in report.results] == [f.to_json() for f in serial.results if f.units != [victim]]


@pytest.mark.parametrize("arg", [".", "./", "repo"])
def test_relative_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arg: str) -> None:
    """Paths as the walk spells them ('./-e' sorts before '.': blocks are ordered by ``path_key`` as units are)."""
    root = tree(tmp_path / "repo", FILES)
    monkeypatch.chdir(root if arg != "repo" else tmp_path)
    assert unit_trees.split([arg], None, ()) is not None
    assert rendered([arg], jobs=2) == rendered([arg], jobs=1)


def test_a_heavy_subfolder_is_cut_open_and_a_dominant_one_never_split(tmp_path: Path) -> None:
    files = {f"apps/app{i}/app.yaml": deployment(f"app{i}") + "---\n" + service(f"app{i}") for i in range(6)}
    root = tree(tmp_path / "repo", {**files, "apps/README.yaml": "some text\n", "docs/x.yaml": "more text\n"})
    s = unit_trees.split([str(root)], None, (), 2)
    assert s is not None and [key[-1] for key, _ in s.top] == ["repo", "apps"]
    assert [key[-1] for key, _ in s.trees] == [f"app{i}" for i in range(6)] + ["docs"]
    assert rendered([str(root)], jobs=2) == rendered([str(root)], jobs=1)
    big = tree(tmp_path / "big", {"app/app.yaml": deployment("big") + "---\n" + service("big"), "docs/x.yaml": "x\n"})
    assert unit_trees.split([str(big)], None, (), 2) is None  # app holds most of the bytes: not split


def test_never_split_where_the_runs_alias_budget_could_bind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's alias budget is spent in reading order, one count per process: only split when no file order
    can reach it (every file with an '&' at its whole per-file budget), and a failed split spends nothing."""
    from cnverify import alias_budget

    anchored = {f"h{i}/cm.yaml": f"a: &x {{k: v}}\nb: *x\n---\n{configmap(f'h{i}')}" for i in range(3)}
    root = tree(tmp_path / "repo", {**FILES, **anchored})
    monkeypatch.setattr(alias_budget, "MAX_ALIAS_NODES_PER_FILE", 10)
    monkeypatch.setattr(alias_budget, "MAX_ALIAS_NODES_PER_RUN", 30)
    assert unit_trees.split([str(root)], None, ()) is not None  # 3 files x 10 <= 30
    monkeypatch.setattr(alias_budget, "MAX_ALIAS_NODES_PER_RUN", 29)
    assert unit_trees.split([str(root)], None, ()) is None
    (root / "top.yaml").write_text("a: &y [1]\nb: *y\n---\n" + configmap("top"))  # read, then no split
    monkeypatch.setattr(alias_budget, "MAX_ALIAS_NODES_PER_RUN", 1000)
    with alias_budget.run_budget():
        assert unit_trees.split([str(root)], None, ()) is None and alias_budget.run_spent() == 0
