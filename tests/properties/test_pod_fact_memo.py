"""The run-level memos of the pod-selection facts (``selector_facts``, ``add_pod_facts``): asked again in one run,
they add facts of the same AST ids, claims and spans, and show the same ``@pod`` term, as a build into a fresh
term dict (the path the memo replaces); another selector or other shapes get their own entries."""

from __future__ import annotations

from typing import Any

import z3
from cnverify.encodings.labels import LabelSpace
from cnverify.model import Deployment, PodDisruptionBudget
from cnverify.obligation import Obligation
from cnverify.properties._shared.selectors.pod_facts import add_pod_facts, selector_facts
from cnverify.properties._shared.selectors.pods import POD, shape_of
from cnverify.properties.selectors.policy_selects_pods import PolicySelectsPods


def _ob(subject: Any) -> Obligation:
    return PolicySelectsPods().obligation(subject, at=None)


def _record(ob: Obligation) -> list[tuple[int, str, str]]:
    return [(e.get_id(), s.claim, str(s.location)) for e, s in ob.facts]


def _pdb(name: str, selector: dict[str, Any]) -> PodDisruptionBudget:
    meta = {"name": name, "namespace": "shop"}
    spec = {"selector": selector, "minAvailable": 1}
    return PodDisruptionBudget.model_validate(
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta, "spec": spec}
    )


def _deployment(name: str, labels: dict[str, str]) -> Deployment:
    spec = {
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": []}},
    }
    return Deployment.model_validate(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"}, "spec": spec}
    )


def _facts(terms: dict[Any, Any], pdb: PodDisruptionBudget, keys: set[str]) -> tuple[Obligation, int]:
    ob = _ob(pdb)
    space = LabelSpace("pod", keys, terms)
    match = selector_facts(ob, space, pdb.spec.selector, pdb.spec, ("selector",), tag="sel0", whose="the PDB")
    return ob, match.get_id()


def test_selector_facts_asked_again_equal_a_fresh_build() -> None:
    pdb = _pdb("web", {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}]})
    run: dict[Any, Any] = {}
    first, again, fresh = (
        _facts(run, pdb, {"app", "tier"}),
        _facts(run, pdb, {"app", "tier"}),
        _facts({}, pdb, {"app", "tier"}),
    )
    assert len(_record(first[0])) == 2
    assert _record(first[0]) == _record(again[0]) == _record(fresh[0])
    assert first[1] == again[1] == fresh[1]
    assert [c for _, c, _ in _record(again[0])] == ["the PDB requires app=web", "the PDB requires tier"]
    twin = _pdb("copy", {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}]})
    shared, twin_fresh = _facts(run, twin, {"app", "tier"}), _facts({}, twin, {"app", "tier"})  # shared req terms
    assert _record(shared[0]) == _record(twin_fresh[0]) == _record(fresh[0])
    assert shared[1] == twin_fresh[1] == first[1]
    other = _pdb("api", {"matchLabels": {"app": "api"}})  # another selector: its own facts, not the first one's
    assert [c for _, c, _ in _record(_facts(run, other, {"app"})[0])] == ["the PDB requires app=api"]


def _pods(terms: dict[Any, Any], shapes: list[Any], keys: set[str]) -> tuple[list[tuple[int, str, str]], int]:
    ob = _ob(shapes[0].owner)
    add_pod_facts(ob, LabelSpace("pod", keys, terms), shapes, who="the pod is one of these")
    term = ob.shown[POD][0]
    assert isinstance(term, z3.AstRef)
    return _record(ob), term.get_id()


def test_pod_facts_asked_again_equal_a_fresh_build() -> None:
    web = shape_of(_deployment("web", {"app": "web", "tier": "fe"}))
    api = shape_of(_deployment("api", {"app": "api"}))
    run: dict[Any, Any] = {}
    first = _pods(run, [web, api], {"app", "tier"})
    assert first == _pods(run, [web, api], {"app", "tier"}) == _pods({}, [web, api], {"app", "tier"})
    assert len(first[0]) == 3 and first[0][-1][1] == "the pod is one of these"
    for shapes, keys in (([api, web], {"app", "tier"}), ([web, api], {"app"}), ([web], {"app", "tier"})):
        assert _pods(run, shapes, keys) == _pods({}, shapes, keys)  # other shapes, order or keys: their own entry
    assert _pods(run, [api, web], {"app", "tier"}) != first
