"""Docker Compose (docs/SEMANTICS.md#docker-compose): which files are compose files, interpolation, units,
replicas, merged services and bad input."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from cnverify.engine import Options, prove
from cnverify.loader import load
from cnverify.model.compose import ComposeService, cpus_in_milli, ram_in_bytes
from cnverify.snapshot import build
from cnverify.systems.compose import is_compose, project_name
from cnverify.systems.compose.interpolate import interpolate


@pytest.mark.parametrize(
    "raw,text,variables,defaults",
    [
        ("512m", "512m", (), None),
        ("$$HOME", "$HOME", (), None),
        ("a$", "a$", (), None),
        ("${MEM:-1g}", None, ("MEM",), "1g"),
        ("${MEM-1g}", None, ("MEM",), "1g"),
        ("${A:-${B:-x}}", None, ("A", "B"), "x"),
        ("$N", None, ("N",), ""),
        ("${N:?set N}", None, ("N",), None),
        ("${X:+y}z", None, ("X",), "z"),
        (3, "3", (), None),
    ],
)
def test_interpolation(raw: object, text: str | None, variables: tuple[str, ...], defaults: str | None) -> None:
    v = interpolate(raw)
    assert (v.text, v.variables, v.with_defaults) == (text, variables, defaults)


def test_units_are_binary_and_cpus_exact() -> None:
    assert [ram_in_bytes(v) for v in ("1k", "1kb", "1KiB", "50M", "1.5g", "512", 512, "1x", "")] == [
        1024,
        1024,
        1024,
        50 * 2**20,
        3 * 2**29,
        512,
        512,
        None,
        None,
    ]
    assert [cpus_in_milli(v) for v in ("0.5", ".25", 2, "0.0001", "half")] == [500, 250, 2000, Fraction(1, 10), None]


@pytest.mark.parametrize(
    "file,data,expected",
    [
        ("compose.yaml", {"services": {"a": {"image": "x"}}}, True),
        ("docker-compose.prod.yml", {"services": {"a": {"image": "x"}}}, True),
        ("anything.yaml", {"version": "3", "services": {"a": {"image": "x"}}}, True),
        ("values.yaml", {"services": {"a": {"image": "x"}}}, False),  # a Helm values file
        ("compose.yaml", {"services": {"a": {"image": "x"}}, "replicaCount": 2}, False),  # not Compose's key
        ("compose.yaml", {"services": [{"name": "a"}]}, False),  # decK's services list
        ("compose.yaml", {"x-common": {}, "services": {"a": None, "b": {}}}, True),
        ("compose.yaml", {"services": {"a": None}}, False),
    ],
)
def test_which_files_are_compose_files(file: str, data: dict[str, object], expected: bool) -> None:
    assert is_compose(file, data) is expected


def test_project_name() -> None:
    assert project_name("/r/My App/compose.yaml", {}) == "myapp"
    assert project_name("/r/x/compose.yaml", {"name": "Shop"}) == "shop"


def _services(folder: Path) -> dict[tuple[str, str], ComposeService]:
    snap = build(load([str(folder)]))[0]
    return {(s.at().file.rsplit("/", 1)[1], s.name): s for s in snap.all(ComposeService)}


def test_replicas_and_merged_services(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web: {image: a, deploy: {replicas: 3}}\n  g: {image: a, deploy: {mode: global}}\n"
        "  env: {image: a, scale: '${N:-2}'}\n  db: {image: p, mem_limit: 1g}\n"
    )
    (tmp_path / "compose.override.yaml").write_text("services:\n  db: {mem_reservation: 2g}\n")
    got = _services(tmp_path)
    web, g, env = (got[("compose.yaml", n)].own_replicas() for n in ("web", "g", "env"))
    assert (web.low, web.high, web.unknown) == (3, 3, None)
    assert (g.high, g.unknown) == (None, "global mode runs one task per node")
    assert env.unknown is not None and "N" in env.unknown and "'2'" in env.unknown
    db = got[("compose.yaml", "db")]  # merged with compose.override.yaml (one object)
    assert db.template_known and (db.mem_limit, db.mem_reservation) == ("1g", "2g")
    assert ("compose.override.yaml", "db") not in got
    (tmp_path / "compose.prod.yaml").write_text("services:\n  db: {mem_reservation: 3g}\n")  # in no merge set
    snap = build(load([str(tmp_path / "compose.yaml"), str(tmp_path / "compose.prod.yaml")]))[0]
    for db in (s for s in snap.all(ComposeService) if s.name == "db"):
        assert not db.template_known and db.unknown is not None and "does not merge" in db.unknown


def test_bad_service_is_located_and_the_rest_is_verified(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  broken: 3\n  ok:\n    image: a\n    mem_limit: 1g\n    mem_reservation: 2g\n"
    )
    report = prove([str(tmp_path)], Options(select=["CNV301"]))
    [error] = [str(e) for e in report.errors]
    assert "compose.yaml:2:3" in error and "services.broken: 3 is not of type 'object'" in error  # compose-spec
    [ok] = report.results
    assert (ok.subject["name"], ok.status, ok.message) == (
        "ok",
        "violated",
        "container ok: memory request 2Gi > limit 1Gi",
    )
