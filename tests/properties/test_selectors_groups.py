"""CNV204 groups controllers with the same selector and pod template (issue 13 items 3, 4): one
finding per overlapping group, attributed to the canonical member whatever the input order."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml
from cnverify.engine import Options, prove


def deployment(name: str, selector: dict[str, str], labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
        },
    }


def run(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    report = prove(["-"], Options(select=["CNV204"]), stdin=io.StringIO(yaml.safe_dump_all(docs)))
    return [f.to_json() for f in report.results]


def test_600_identical_deployments_are_one_finding() -> None:
    docs = [deployment(f"d{i:03}", {"app": "web"}, {"app": "web"}) for i in reversed(range(600))]
    [f] = run(docs)
    assert (f["status"], f["subject"]["name"]) == ("violated", "d000")  # canonical, not the first read (d599)
    assert "Deployment/shop/d000 and Deployment/shop/d001 (and 598 other controller(s)" in f["message"]
    noted = [s["claim"] for s in f["chain"] if "same selector and pod template" in s["claim"]]
    assert (
        len(noted) == 10
        and noted[0] == "Deployment/shop/d002 has the same selector and pod template as Deployment/shop/d000"
    )
    assert f["witness"] == {"@pod": "Deployment/shop/d000", "app": "web"}


def test_groups_and_pairs_of_groups() -> None:
    web = [deployment(f"web{i}", {"app": "web"}, {"app": "web"}) for i in range(3)]
    api = [deployment(f"api{i}", {"app": "web", "tier": "api"}, {"app": "web", "tier": "api"}) for i in range(3)]
    lone = [deployment("db", {"app": "db"}, {"app": "db"})]
    got = sorted((f["subject"]["name"], f["status"], f["message"]) for f in run(web + lone + api))
    assert [(n, s) for n, s, _ in got] == [
        ("api0", "violated"),
        ("api0", "violated"),
        ("db", "proved"),
        ("web0", "violated"),
    ]
    cross = [m for n, _, m in got if "Deployment/shop/api0 and Deployment/shop/web0" in m]
    assert len(cross) == 1 and "(and 4 other controller(s)" in cross[0]


def test_attribution_does_not_depend_on_input_order(tmp_path: Path) -> None:
    docs = {
        "b": deployment("b", {"app": "web"}, {"app": "web", "tier": "x"}),
        "a": deployment("a", {"app": "web"}, {"app": "web"}),
        "c": deployment("c", {"tier": "x"}, {"app": "web", "tier": "x"}),
    }
    files = []
    for name, doc in docs.items():
        files.append(str(tmp_path / f"{name}.yaml"))
        Path(files[-1]).write_text(yaml.safe_dump(doc))

    def results(order: list[str]) -> list[dict[str, Any]]:
        return [f.to_json() for f in prove(order, Options(select=["CNV204"])).results]

    forward = results(files)
    assert results(list(reversed(files))) == forward
    assert results(files[1:] + files[:1]) == forward
    assert {f["subject"]["name"] for f in forward if f["status"] == "violated"} == {"a", "b"}
