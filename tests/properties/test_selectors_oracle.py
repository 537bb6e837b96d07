"""CNV202 / CNV204 / CNV205 verdicts against a plain evaluator on random small clusters (Hypothesis)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import yaml
from cnverify.encodings.labels import requirements, selector_matches
from cnverify.engine import Options, prove
from cnverify.model.apps import LabelSelector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS, VALUES = ("a", "b"), ("1", "2")
labels_st = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), min_size=1, max_size=2)
req_st = st.one_of(
    st.builds(
        lambda k, op, vs: {"key": k, "operator": op, "values": sorted(vs)},
        st.sampled_from(KEYS),
        st.sampled_from(["In", "NotIn"]),
        st.sets(st.sampled_from(VALUES), min_size=1),
    ),
    st.builds(
        lambda k, op: {"key": k, "operator": op}, st.sampled_from(KEYS), st.sampled_from(["Exists", "DoesNotExist"])
    ),
)
selector_st = st.builds(
    lambda ml, me: {k: v for k, v in (("matchLabels", ml), ("matchExpressions", me)) if v},
    labels_st | st.just({}),
    st.lists(req_st, max_size=2),
).filter(bool)


def deployment(i: int, labels: dict[str, str], selector: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"d{i}", "namespace": "ns"},
        "spec": {"selector": selector, "template": {"metadata": {"labels": labels}}},
    }


def run(tmp: Path, docs: list[dict[str, Any]], code: str) -> dict[str, str]:
    path = tmp / f"{code}.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return {
        f"{f.subject['kind']}/{f.subject['name']}": f.status
        for f in prove([str(path)], Options(select=[code])).results
        if f.property == code
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(labels_st, selector_st), min_size=1, max_size=4),
    st.lists(labels_st, min_size=1, max_size=3),
    st.lists(selector_st, min_size=1, max_size=2),
)
def test_service_and_pdb_selection(
    tmp_path: Path, workloads: list[Any], services: list[dict[str, str]], pdbs: list[dict[str, Any]]
) -> None:
    docs = [deployment(i, lab, sel) for i, (lab, sel) in enumerate(workloads)]
    docs += [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": f"s{i}", "namespace": "ns"},
            "spec": {"selector": sel},
        }
        for i, sel in enumerate(services)
    ]
    docs += [
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": f"p{i}", "namespace": "ns"},
            "spec": {"selector": sel},
        }
        for i, sel in enumerate(pdbs)
    ]
    got = run(tmp_path, docs, "CNV202") | run(tmp_path, docs, "CNV205")
    templates = [lab for lab, _ in workloads]

    def some(sel: Any) -> str:
        hit = any(selector_matches(sel, t, nil_matches=False, empty_matches=True) for t in templates)
        return "proved" if hit else "violated"

    expected = {f"Service/s{i}": some(sel) for i, sel in enumerate(services)}
    expected |= {f"PodDisruptionBudget/p{i}": some(LabelSelector.model_validate(sel)) for i, sel in enumerate(pdbs)}
    assert got == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(labels_st, selector_st), min_size=2, max_size=4))
def test_overlapping_controllers(tmp_path: Path, workloads: list[Any]) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump_all([deployment(i, lab, sel) for i, (lab, sel) in enumerate(workloads)]))
    findings = [f for f in prove([str(path)], Options(select=["CNV204"])).results if f.property == "CNV204"]
    violated = sorted(f.subject["name"] for f in findings if f.status == "violated")
    sels = [LabelSelector.model_validate(sel) for _, sel in workloads]

    def sel_ok(s: LabelSelector, labels: dict[str, str]) -> bool:
        return selector_matches(s, labels, nil_matches=False, empty_matches=True)

    def overlap(i: int, j: int) -> bool:
        return any(sel_ok(sels[i], workloads[k][0]) and sel_ok(sels[j], workloads[k][0]) for k in (i, j))

    # controllers with the same selector and template are one group: one finding per overlapping group
    # and per overlapping pair of groups, about the canonical member (d0 < d1 < ... by name)
    groups: dict[str, list[int]] = {}
    for i, (lab, _) in enumerate(workloads):
        groups.setdefault(repr((sorted(map(repr, requirements(sels[i]))), sorted(lab.items()))), []).append(i)
    reps = list(groups.values())
    expected = sorted(
        [f"d{g[0]}" for g in reps if len(g) > 1 and overlap(g[0], g[1])]
        + [f"d{min(a[0], b[0])}" for a, b in itertools.combinations(reps, 2) if overlap(a[0], b[0])]
    )
    assert violated == expected
