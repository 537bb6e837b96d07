"""Compose merge sets and compose-go's override rules (override/merge.go, uncity.go, loader/reset.go)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnverify.engine import Options, prove
from cnverify.loader import load
from cnverify.model.compose import ComposeService
from cnverify.snapshot import build
from cnverify.source import compose
from cnverify.systems.compose.files import _mark_tags, merge_set
from cnverify.systems.compose.merge import Merger

BASE = """services:
  web:
    image: nginx
    command: [a, b]
    ports: ["8080:80", {target: 81, published: "9091"}]
    environment: {A: "1"}
    depends_on: [db]
    networks: [front]
    volumes: ["data:/var/data", "./x:/x"]
  db:
    image: postgres
    mem_limit: 1g
"""
OVER = """services:
  web:
    command: [c]
    ports: ["8080:80", "9090:90", {target: 81, published: "9091", host_ip: "0.0.0.0"}]
    environment: {B: "2"}
    depends_on: {cache: {condition: service_healthy}}
    networks: {back: {}}
    volumes: ["other:/var/data"]
  db:
    mem_limit: !reset null
    labels: !override {x: "1"}
"""


def _merged(*texts: str) -> Merger:
    merger = Merger()
    for i, text in enumerate(texts):
        [doc] = list(compose(text, f"f{i}.yaml", transform=_mark_tags))
        merger.add(doc)  # type: ignore[arg-type]
    return merger


def test_override_rules_per_field() -> None:
    m = _merged(BASE, OVER)
    web: dict[str, Any] = m.value["services"]["web"]
    assert web["command"] == ["c"]  # replaced, not appended
    assert web["ports"] == ["8080:80", {"target": 81, "published": "9091", "host_ip": "0.0.0.0"}, "9090:90"]
    assert web["environment"] == ["A=1", "B=2"]  # mappings become sorted k=v sequences
    assert web["depends_on"] == {
        "db": {"condition": "service_started", "required": True},
        "cache": {"condition": "service_healthy"},
    }
    assert web["networks"] == {"front": None, "back": {}}
    assert web["volumes"] == ["other:/var/data", "./x:/x"]  # the later mount of /var/data replaces it in place
    assert m.value["services"]["db"] == {"image": "postgres", "labels": {"x": "1"}}  # !reset, !override


def test_every_value_keeps_its_file_and_line() -> None:
    m = _merged(BASE, OVER)
    at = {p: (m.spans[p].file, m.spans[p].line) for p in m.spans}
    web = ("services", "web")
    assert at[web + ("image",)] == ("f0.yaml", 3)
    assert at[web + ("command",)] == ("f1.yaml", 3)
    assert at[web + ("ports", 0)] == ("f1.yaml", 4)  # the override's equal entry replaced it
    assert at[web + ("ports", 2)] == ("f1.yaml", 4)
    assert at[web + ("volumes", 0)] == ("f1.yaml", 8)
    assert at[web + ("volumes", 1)] == ("f0.yaml", 9)
    assert at[web + ("environment", 0)] == ("f0.yaml", 6)
    assert at[web + ("environment", 1)] == ("f1.yaml", 5)
    assert at[("services", "db", "labels", "x")] == ("f1.yaml", 11)


def test_default_pair_and_compose_file_env(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(BASE)
    (tmp_path / "docker-compose.override.yml").write_text(OVER)
    (tmp_path / "compose.prod.yaml").write_text("services:\n  web: {image: x}\n")
    chosen = merge_set(str(tmp_path / "compose.yaml"))
    assert chosen is not None and [Path(f).name for f in chosen.files] == [
        "compose.yaml",
        "docker-compose.override.yml",
    ]
    assert merge_set(str(tmp_path / "compose.prod.yaml")) is None
    (tmp_path / ".env").write_text("# files\nCOMPOSE_FILE=compose.yaml:compose.prod.yaml\n")
    chosen = merge_set(str(tmp_path / "compose.prod.yaml"))
    assert chosen is not None and [Path(f).name for f in chosen.files] == ["compose.yaml", "compose.prod.yaml"]
    assert chosen.at is not None and chosen.at.line == 2
    assert merge_set(str(tmp_path / "docker-compose.override.yml")) is None  # COMPOSE_FILE leaves it out


def test_merged_service_is_one_object_citing_both_files(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    image: p\n    mem_limit: 1g\n")
    (tmp_path / "compose.override.yaml").write_text("services:\n  db:\n    mem_reservation: 2g\n")
    snap = build(load([str(tmp_path)]))[0]
    [db] = snap.all(ComposeService)
    assert db.template_known
    report = prove([str(tmp_path)], Options(select=["CNV301"]))
    [r] = report.results
    assert r.status == "violated"
    assert [(s.location.file.rsplit("/", 1)[1], s.location.line) for s in r.chain if s.location] == [
        ("compose.override.yaml", 3),
        ("compose.yaml", 4),
    ]


def test_type_conflict_is_a_located_error_and_other_projects_are_verified(tmp_path: Path) -> None:
    bad, good = tmp_path / "bad", tmp_path / "good"
    bad.mkdir()
    good.mkdir()
    (bad / "compose.yaml").write_text("services:\n  web:\n    image: a\n    ports: ['80:80']\n")
    (bad / "compose.override.yaml").write_text("services:\n  web:\n    ports: {a: 1}\n")
    (good / "compose.yaml").write_text("services:\n  ok: {image: a, mem_limit: 1g, mem_reservation: 2g}\n")
    report = prove([str(tmp_path)], Options(select=["CNV301"]))
    [error] = [str(e) for e in report.errors]
    assert "compose.override.yaml:3:5" in error and "cannot override services.web.ports" in error
    assert [(r.subject["name"], r.status) for r in report.results] == [("ok", "violated")]


def test_merge_sets_the_user_names(tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text("services:\n  db:\n    image: p\n    mem_limit: 1g\n")
    (tmp_path / "prod.yml").write_text("services:\n  db:\n    mem_reservation: 2g\n")
    (tmp_path / "compose.yaml").write_text("services:\n  web: {image: w}\n")  # named sets need no compose name
    alone = prove([str(tmp_path)], Options(select=["CNV301"]))  # base.yml and prod.yml are not compose files
    assert [r.subject["name"] for r in alone.results] == ["web"]
    named = [[str(tmp_path / "base.yml"), str(tmp_path / "prod.yml")]]
    report = prove([str(tmp_path)], Options(select=["CNV301"], compose_files=named))
    r, web = report.results
    assert (r.status, r.subject["name"], web.subject["name"]) == ("violated", "db", "web")
    assert {s.location.file.rsplit("/", 1)[1] for s in r.chain if s.location} == {"base.yml", "prod.yml"}


def test_extends_in_the_file_and_from_another_file(tmp_path: Path) -> None:
    (tmp_path / "common.yml").write_text("services:\n  base:\n    image: b\n    mem_limit: 1g\n    ports: ['80:80']\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  tmpl:\n    image: t\n    deploy: {resources: {limits: {memory: 512m}}}\n"
        "  web:\n    extends: tmpl\n    mem_reservation: 1g\n"
        "  api:\n    extends: {file: common.yml, service: base}\n    mem_reservation: 2g\n    ports: ['81:81']\n"
    )
    snap = build(load([str(tmp_path / "compose.yaml")]))[0]
    got = {s.name: s for s in snap.all(ComposeService)}
    web, api = got["web"], got["api"]
    assert web.reservation("memory", "limits") is not None and web.at("deploy", "resources").line == 4
    assert (api.mem_limit, api.ports) == ("1g", ["80:80", "81:81"])
    assert (api.at("mem_limit").file.rsplit("/", 1)[1], api.at("mem_limit").line) == ("common.yml", 4)
    report = prove([str(tmp_path / "compose.yaml")], Options(select=["CNV301"]))
    assert {r.subject["name"]: r.status for r in report.results} == {
        "tmpl": "proved",
        "web": "violated",
        "api": "violated",
    }


def test_extends_cycle_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  a:\n    extends: b\n    image: x\n  b:\n    extends: a\n    image: y\n  ok: {image: z}\n"
    )
    report = prove([str(tmp_path)], Options(select=["CNV301"]))
    [error] = [str(e) for e in report.errors]
    assert "compose.yaml:3:5" in error and "extends cycle" in error
