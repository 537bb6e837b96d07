"""The benchmark generator: exact object counts, deterministic output, clean apps that every
property proves, and planted defects that their property finds."""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from cnverify import loader
from cnverify.engine import prove

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import generate  # noqa: E402

FOUND_BY = {
    "request-above-limit": "CNV301",
    "hpa-min-above-max": "CNV401",
    "weights-not-100": "CNV103",
    "hpa-target-typo": "CNV402",
    "service-selector-typo": "CNV202",
    "pdb-blocks-disruption": "CNV404",
    "subset-matches-nothing": "CNV205",
}


def test_every_defect_has_its_property() -> None:
    assert set(FOUND_BY) == set(generate.DEFECTS)


def test_exact_count_and_deterministic(tmp_path: Path) -> None:
    a, b = generate.write(237, tmp_path / "a", seed=3), generate.write(237, tmp_path / "b", seed=3)
    files = sorted(p.relative_to(a) for p in a.rglob("*.yaml"))
    assert files == sorted(p.relative_to(b) for p in b.rglob("*.yaml"))
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    loaded = loader.load([str(a)])
    assert loaded.errors == [] and len(loaded.objects) == 237
    stamp = (a / "GENERATED").stat().st_mtime_ns
    assert generate.write(237, a, seed=3) == a and (a / "GENERATED").stat().st_mtime_ns == stamp  # reused


@pytest.mark.parametrize("defect", [None, *generate.DEFECTS])
def test_clean_app_proves_and_defects_are_found(tmp_path: Path, defect: str | None) -> None:
    rng = random.Random(11)
    docs = generate.namespace_policy("ns", 1, rng) + generate.app_objects("ns", "web", rng, defect)
    (tmp_path / "app.yaml").write_text(yaml.dump_all(docs, sort_keys=False))
    report = prove([str(tmp_path)])
    assert report.errors == []
    bad = {f.property for f in report.results if f.status != "proved"}
    if defect is None:
        assert bad == set(), [f"{f.property}: {f.message}" for f in report.results if f.status != "proved"]
    else:
        assert FOUND_BY[defect] in bad


def test_routing_cluster_has_many_routes_per_host_and_proves(tmp_path: Path) -> None:
    out = generate.write(2 + 2 * (2 + 2 * 3), tmp_path / "r", seed=3, routing=3)  # gateways, then two apps
    loaded = loader.load([str(out)])
    assert loaded.errors == [] and len(loaded.objects) == 18
    kinds = Counter(o.kind for o in loaded.objects)
    assert kinds == {"Gateway": 2, "Deployment": 2, "Service": 2, "VirtualService": 6, "HTTPRoute": 6}
    hosts = Counter(
        h
        for o in loaded.objects
        if o.kind in ("VirtualService", "HTTPRoute")
        for h in o.data["spec"].get("hosts", o.data["spec"].get("hostnames"))
    )
    assert sorted(hosts.values()) == [6, 6]  # three of each kind per host
    report = prove([str(out)])
    assert {f.status for f in report.results if f.property in ("CNV101", "CNV102", "CNV104")} == {"proved"}
    assert not [f for f in report.results if f.status == "violated"]


def test_run_sizes_table_and_one_measurement(tmp_path: Path) -> None:
    import run

    assert [run.size(s) for s in ("1000", "10k", "1.5k", "100K")] == [1000, 10_000, 1500, 100_000]
    figures = run.measure(generate.write(30, tmp_path / "c", seed=3), False, 1)
    assert figures["objects"] == 30 and figures["results"] > 0 and figures["errors"] == 0
    assert figures["total"] >= figures["solve"] > 0 and figures["ratio"] == figures["total"] / figures["floor"]
    assert figures["cpu"] > 0 and figures["peak_rss_mb"] > 0
    lines = run.table({"30": figures, "peer": {"objects": 30, "total": 2.0}}).splitlines()
    assert lines[0].split() == ["30", "peer"]
    assert [r for r in lines if r.startswith("parse ")][0].split()[-1] == "-"  # a figure the peer lacks
    assert [r for r in lines if r.startswith("total (whole run)")][0].split()[-2:] == ["2.000", "s"]
