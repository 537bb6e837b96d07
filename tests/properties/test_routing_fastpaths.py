"""Memos and shortcuts of the routing properties tied to the paths they replace (issue 15: the same output, cheaper)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import z3
from cnverify import loader, snapshot, systems
from cnverify.encodings.hosts import matches
from cnverify.encodings.http import Entry, Match, MatchTable, Request, UnsupportedMatch, first_match
from cnverify.encodings.http_precheck import candidates
from cnverify.encodings.labels import format_labels
from cnverify.encodings.regex import RegexError
from cnverify.encodings.zterms import disj
from cnverify.model import WORKLOAD_KINDS, DestinationRule, Service, VirtualService, pod_template, template_known
from cnverify.model.flagger import Canary
from cnverify.obligation import span_of
from cnverify.properties._shared.replicas import replica_range
from cnverify.properties._shared.routing.ambiguity import Firsts, first_pair, firsts
from cnverify.properties._shared.routing.workloads import (
    delivery,
    labelled_workloads,
    replica_terms,
    selected_workloads,
    target_port,
)
from cnverify.properties.routing.route_weights import split_terms
from cnverify.run_context import RunContext
from cnverify.source import format_path
from cnverify.systems.gateway import tables as gateway_tables
from cnverify.systems.istio import gateways
from cnverify.systems.istio.dr_scope import _applicable, _most_specific, applicable
from cnverify.systems.istio.hosts import _resolve, expand, resolve
from cnverify.systems.routing.tables import Table, _tied_counts, reads, translators
from cnverify.systems.routing.targets import (
    _inventory,
    all_checks,
    inventory_namespaces,
    iter_targets,
    kinds_read,
    lookup,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

GRIDS = Path(__file__).parent
sys.path.insert(0, str(Path(__file__).parents[1] / "oracle"))
from tables import tables  # noqa: E402


def nested_scan(hits: list[int], owners: list[str]) -> tuple[int, int] | None:
    """``ambiguity.conflict``'s pairing before ``first_pair``: every hit against every hit."""
    owner = dict(zip(hits, owners, strict=True))
    for a in hits:
        b = next((b for b in hits if owner[b] != owner[a]), None)
        if b is not None:
            return a, b
    return None


@given(st.lists(st.sampled_from("abc"), max_size=8))
def test_first_pair_is_the_nested_scans_pair(owners: list[str]) -> None:
    hits = list(range(len(owners)))
    assert first_pair(hits, owners) == nested_scan(hits, owners)


def test_labelled_workloads_is_the_scan_it_replaces_once_per_namespace() -> None:
    snap, errors = snapshot.build(loader.load([str(GRIDS / "route_delivers" / "delivery.yaml")]))
    assert not errors
    ctx = RunContext(snap)
    namespaces = {r.namespace for r in snap.resources if r.NAMESPACED}
    for ns in sorted(namespaces) + ["absent"]:
        scan = [
            (w, pod_template(w).metadata.labels or {})
            for cls in WORKLOAD_KINDS
            for w in snap.in_namespace(cls, ns)
            if template_known(w)
        ]
        first = labelled_workloads(ctx, ns)
        assert [(id(w), labels) for w, labels in first] == [(id(w), labels) for w, labels in scan]
        assert labelled_workloads(ctx, ns) is first  # a memo: computed once per run and namespace
    assert [w.name for w, _ in labelled_workloads(ctx, "shop")] == ["web", "idle"]


def most_specific_before(drs: list[DestinationRule], fqdn: str) -> list[DestinationRule]:
    """``dr_scope._most_specific`` before each rule's host was expanded once."""
    hosts = {expand(dr.spec.host, dr.namespace).lower(): dr for dr in drs}
    if fqdn.lower() in hosts:
        best = fqdn.lower()
    else:
        wild = [h for h in hosts if "*" in h and matches(h, fqdn)]
        if not wild:
            return []
        best = max(wild, key=len)
    return [dr for dr in drs if expand(dr.spec.host, dr.namespace).lower() == best]


HOSTS = [
    "reviews",
    "Reviews",
    "*.shop.svc.cluster.local",
    "*.svc.cluster.local",
    "*",
    "reviews.shop",
    "*.cluster.local",
]


@given(st.lists(st.tuples(st.sampled_from(HOSTS), st.sampled_from(["shop", "other"])), max_size=6))
def test_most_specific_is_the_rule_it_replaces(rules: list[tuple[str, str]]) -> None:
    drs = [
        DestinationRule.model_validate(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "DestinationRule",
                "metadata": {"name": f"dr{k}", "namespace": ns},
                "spec": {"host": host},
            }
        )
        for k, (host, ns) in enumerate(rules)
    ]
    for fqdn in ["reviews.shop.svc.cluster.local", "REVIEWS.shop.svc.cluster.local", "reviews.other.svc.cluster.local"]:
        assert [id(d) for d in _most_specific(drs, fqdn)] == [id(d) for d in most_specific_before(drs, fqdn)]


def test_applicable_and_inventory_are_per_run_memos_of_their_computations() -> None:
    snap, errors = snapshot.build(loader.load([str(GRIDS / "route_target_exists" / "istio_dr_scope.yaml")]))
    assert not errors
    ctx = RunContext(snap)
    assert inventory_namespaces(snap) == _inventory(snap) and inventory_namespaces(snap) is inventory_namespaces(snap)
    namespaces = sorted(inventory_namespaces(snap)) + ["istio-system", "absent"]
    hosts = sorted({expand(dr.spec.host, dr.namespace) for dr in snap.all(DestinationRule) if dr.spec.host})
    assert hosts
    for fqdn in hosts:
        for proxy in namespaces:
            for svc in namespaces:
                got = applicable(snap, fqdn, proxy, svc)
                assert got == _applicable(snap, fqdn, proxy, svc)
                assert applicable(snap, fqdn, proxy, svc) is got
    assert ("systems.istio.dr_scope.applicable", hosts[0], namespaces[0], namespaces[0]) in ctx.memo_reads()


def test_replica_terms_are_the_terms_built_per_target_once_per_workload() -> None:
    snap, errors = snapshot.build(loader.load([str(GRIDS / "route_delivers" / "delivery.yaml")]))
    assert not errors
    ctx = RunContext(snap)
    for w, _ in labelled_workloads(ctx, "shop"):
        key = f"{w.KIND}/{w.name}"
        rr, n, within, running = replica_terms(ctx, w, key)
        direct = replica_range(snap, w)
        assert (rr.why, rr.constraint(n).get_id()) == (direct.why, within.get_id())
        assert (n.get_id(), running.get_id()) == (
            z3.Int(f"replicas[{key}]").get_id(),
            (z3.Int(f"replicas[{key}]") >= 1).get_id(),
        )
        assert replica_terms(ctx, w, key)[2] is within
        assert replica_terms(ctx, w, key + "#1")[1].get_id() == z3.Int(f"replicas[{key}#1]").get_id()
        again = replica_terms(
            RunContext(snapshot.build(loader.load([str(GRIDS / "route_delivers" / "delivery.yaml")]))[0]), w, key
        )
        assert [t.get_id() for t in again[1:]] == [n.get_id(), within.get_id(), running.get_id()]  # another run


def test_selected_workloads_are_the_scan_they_replace_once_per_label_set() -> None:
    snap, errors = snapshot.build(loader.load([str(GRIDS / "route_delivers" / "delivery.yaml")]))
    assert not errors
    ctx = RunContext(snap)
    for ns in sorted({r.namespace for r in snap.resources if r.NAMESPACED}):
        sets = [dict(labels) for _, labels in labelled_workloads(ctx, ns)] + [{}, {"app": "none"}]
        sets += [dict(list(s.items())[:1]) for s in sets if s]
        for wanted in sets:
            scan = [
                (w, ls) for w, ls in labelled_workloads(ctx, ns) if not any(ls.get(k) != v for k, v in wanted.items())
            ]
            got = selected_workloads(ctx, ns, wanted)
            assert [id(w) for w, _ in got] == [id(w) for w, _ in scan] and selected_workloads(ctx, ns, wanted) is got


def first_before(entries: list[Entry], r: Request) -> Entry | None:
    """``ambiguity._first`` before ``firsts``: one ``first_match`` per order."""
    try:
        return first_match(MatchTable(tuple(entries)), r)
    except (UnsupportedMatch, RegexError):
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(envoy=False), st.data())
def test_firsts_is_first_match_per_order(table: MatchTable, data: st.DataObject) -> None:
    entries = list(table.entries) + [Entry("odd", "odd", Match(unsupported="range_match"))]
    orders = [data.draw(st.permutations(entries)) for _ in range(data.draw(st.integers(1, 4)))]
    requests = [r for e in entries for r in candidates(e)] + [Request(path="/"), Request(path="/a/../b")]
    prepared = Firsts(orders)  # once per table, asked for every request (CNV106's conflict search)
    for r in requests:
        assert firsts(orders, r) == prepared(r) == [first_before(order, r) for order in orders]


def test_check_path_and_location_are_computed_once_as_before() -> None:
    snap, errors = snapshot.build(loader.load([str(GRIDS / "route_target_exists" / "istio.yaml")]))
    assert not errors
    RunContext(snap)
    checks = all_checks(snap)
    assert checks
    for c in checks:
        if c.where is None:
            assert c.path == format_path(c.node.field_path[len(c.subject.field_path) :]) and c.path is c.path
            assert c.location == c.node.at() and c.location is c.location
        else:
            assert (c.location, c.path) == c.where
    svc = snap.all(Service)[0]
    assert lookup(snap, Service, svc.namespace, svc.name, svc) == [svc]


def test_resolve_is_a_per_run_memo_of_the_resolution() -> None:
    snap, errors = snapshot.build(loader.load([str(GRIDS / "route_target_exists" / "istio.yaml")]))
    assert not errors
    RunContext(snap)
    asked = [
        (d.destination.host, vs.namespace, viewer)
        for vs in snap.all(VirtualService)
        for route in vs.spec.http or []
        for d in route.route or []
        for viewer in (None, vs.namespace, "elsewhere")
    ]
    assert asked
    for host, ns, viewer in asked:
        got = resolve(snap, host, ns, viewer)
        assert got == _resolve(snap, host, ns, viewer) and resolve(snap, host, ns, viewer) is got


ISTIO_AND_GATEWAY_FILES = sorted(
    p for d in ("route_reachable", "route_unambiguous", "route_target_exists") for p in (GRIDS / d).glob("*.yaml")
)


def _tables_of(path: Path) -> list[tuple[str, list[list[Entry]], dict[str, str]]]:
    snap, _ = snapshot.build(loader.load([str(path)]))
    RunContext(snap)
    return [(t.name, t.variants, t.drop_reasons) for mod in translators() for t in mod.translate(snap)[1]]


def test_gateway_entries_are_generated_once_per_virtualservice_gateway_and_port(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Istio gateway tables: `generate` once per (VirtualService, Gateway, port) for all the table's orders gives the
    tables (every variant, entry by entry, and the drop reasons) that generating it in every order gave."""
    calls: list[int] = []
    original = gateways.generate
    monkeypatch.setattr(gateways, "generate", lambda *a, **k: calls.append(1) or original(*a, **k))
    made = [_tables_of(p) for p in ISTIO_AND_GATEWAY_FILES]
    once = len(calls)
    entries = gateways._entries
    monkeypatch.setattr(
        gateways, "_entries", lambda order, per_vs, drops, present, _: entries(order, per_vs, drops, present, {})
    )
    assert [_tables_of(p) for p in ISTIO_AND_GATEWAY_FILES] == made
    assert len(calls) - once > once  # the files do have gateway tables of several orders


class _Named:
    """Equal by name, like two models with the same fields: ``in`` finds an equal one, not only the same one."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Named) and other.name == self.name

    __hash__ = None  # type: ignore[assignment]


@given(st.lists(st.sampled_from("abc"), max_size=5), st.sampled_from("abcd"), st.booleans())
def test_within_is_membership(names: list[str], name: str, same: bool) -> None:
    items = [_Named(n) for n in names]
    probe = next((x for x in items if x.name == name), _Named(name)) if same else _Named(name)
    assert gateway_tables._within(probe, items) == (probe in items)  # type: ignore[arg-type]


def test_listings_are_the_hooks_listed_again_until_an_adapter_changes() -> None:
    """Translators, target modules and their kinds, listed once per set of adapters: what the hooks list now."""
    fresh = [m for s in systems.implementing("route_tables") for m in s.route_tables()]
    assert list(translators()) == fresh
    kinds: list[type] = []
    for m in fresh:
        kinds += [k for k in m.READS if k not in kinds]
    assert reads() == tuple(kinds)
    mods = [m for s in systems.implementing("targets") for m in s.target_modules()]
    assert kinds_read() == (Service, Canary, *(k for m in mods for k in m.READS))

    class Pretend(systems.System):
        name = "pretend-routes"
        order = 99
        declines = {h: "pretend" for h in systems.HOOKS if h != "route_tables"}

        def route_tables(self) -> tuple[object, ...]:  # type: ignore[override]
            return (pretend,)

    pretend = SimpleNamespace(translate=lambda snap: ({}, []), READS=(Canary,), __name__="pretend_tables")
    system = systems.register(Pretend())
    try:
        assert pretend in list(translators()) and Canary in reads()
    finally:
        systems.unregister(system)
    assert list(translators()) == fresh


def tied_before(table: Table, variant: list[Entry], key: str) -> int:
    """What `_focus` and `_merge` asked per clause and variant before `_tied_counts` (a scan per question)."""
    tie = table.ties.get(key)
    if tie is None:
        return 0
    n = 0
    for e in variant:
        if e.clause_id == key:
            break
        t = table.ties.get(e.clause_id)
        n += t is not None and t[0] == tie[0] and t[1] != tie[1]
    return n


@given(
    st.dictionaries(st.sampled_from("abcdefg"), st.tuples(st.sampled_from("xy"), st.sampled_from("pqr")), max_size=7),
    st.lists(st.lists(st.sampled_from("abcdefgh"), max_size=10), min_size=1, max_size=4),
)
def test_tied_counts_are_the_scans_they_replace(ties: dict[str, tuple[str, str]], orders: list[list[str]]) -> None:
    variants = [[Entry(k, k, Match()) for k in order] for order in orders]
    table = Table("t", "t", None, variants, ties=ties)
    for variant in variants:
        counts = _tied_counts(table, variant)
        assert set(counts) == {e.clause_id for e in variant if e.clause_id in ties}
        for key, n in counts.items():
            assert n == tied_before(table, variant, key)


@given(st.lists(st.integers(-5, 120), max_size=4), st.sampled_from([100, 0, 1]))
def test_split_terms_are_the_terms_each_split_built(values: list[int], total: int) -> None:
    """CNV103's terms, once per (weights, total): the same ASTs (ids) the per-split build made."""
    ws = [z3.Int(f"w{i}") for i in range(len(values))]
    target = z3.Int("total")
    before = [
        *(w == v for w, v in zip(ws, values, strict=True)),
        target == total,
        z3.Sum(ws) != target if ws else target != 0,
        z3.Sum(ws) if ws else z3.IntVal(0),
    ]
    for _ in range(2):  # built, then remembered
        weighs, sums_to, wrong, shown = split_terms(tuple(values), total)
        assert [t.get_id() for t in (*weighs, sums_to, wrong, shown)] == [t.get_id() for t in before]


def delivery_inline(ctx: RunContext, svc: Service, port: object, labels: dict[str, str]) -> tuple[object, ...]:
    """CNV104's steps from the selector to the replicas as ``RouteDelivers._one`` stated them per target before
    ``delivery``: (notes, facts, counts, runs) with terms as AST ids."""
    wanted = {**svc.spec.selector, **labels}
    shown = format_labels(wanted)
    notes = [
        (
            f"the Service selects pods labelled {shown}" + (" (with the subset's labels)" if labels else ""),
            span_of(svc.spec.at("selector")),
        )
    ]
    facts, counts, runs = [], [], []
    for w, _ in selected_workloads(ctx, svc.namespace, wanted):
        notes.append((f"pods of {w.KIND} {w.name} carry those labels", pod_template(w).metadata.at("labels")))
        number, says, node = target_port(port, pod_template(w).spec)  # type: ignore[arg-type]
        notes.append((says, node.at()))  # type: ignore[attr-defined]
        if number is None:
            continue
        key = f"{w.KIND}/{w.name}" + (
            f"#{len(counts)}" if any(str(x) == f"replicas[{w.KIND}/{w.name}]" for _, x in counts) else ""
        )
        rr, n, within, running = replica_terms(ctx, w, key)
        notes += [(says_more, span_of(at_more)) for says_more, at_more in rr.why[1:]]
        facts.append(
            (
                within.get_id(),
                span_of(rr.why[0][1] if rr.why else w.at()),
                rr.why[0][0] if rr.why else f"{w.KIND} {w.name} replicas",
            )
        )
        counts.append((key, n))
        runs.append(running)
    return notes, facts, [(k, n.get_id()) for k, n in counts], disj(runs).get_id() if runs else None


@pytest.mark.parametrize("name", sorted(p.name for p in (GRIDS / "route_delivers").glob("*.yaml")))
def test_delivery_is_the_inline_computation_once_per_service_port_and_labels(name: str) -> None:
    snap, _ = snapshot.build(loader.load([str(GRIDS / "route_delivers" / name)]))
    ctx = RunContext(snap)
    targets = [c for c in iter_targets(snap) if c.verdict == "proved" and c.service is not None and c.port is not None]
    targets = [c for c in targets if c.service.spec.type != "ExternalName" and c.service.spec.selector]
    assert targets or name in ("cases.yaml",)
    for c in targets:
        d = delivery(ctx, c.service, c.port, c.labels)
        got = (
            list(d.notes),
            [(t.get_id(), at, says) for t, at, says in d.facts],
            [(k, n.get_id()) for k, n in d.counts],
            None if d.runs is None else d.runs.get_id(),
        )
        assert got == delivery_inline(ctx, c.service, c.port, c.labels)
        assert delivery(ctx, c.service, c.port, c.labels) is d  # once per run


REPEATED_DESTINATIONS = """
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{name: http, port: 80}, {name: admin, port: 81}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: shop}
spec: {host: web, subsets: [{name: v1, labels: {version: v1}}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [web]
  exportTo: [".", "other"]
  http:
  - match: [{uri: {prefix: /a}}]
    route:
    - {destination: {host: web, subset: v1}, weight: 50}
    - {destination: {host: web, subset: v2}, weight: 50}
    mirror: {host: web, subset: v1}
  - match: [{uri: {prefix: /b}}]
    route:
    - {destination: {host: web, subset: v1, port: {number: 81}}}
    - {destination: {host: web.shop.svc.cluster.local, subset: v2}}
    - {destination: {host: gone}}
  - route:
    - {destination: {host: web, subset: v1}}
    - {destination: {host: web, subset: v2}}
    - {destination: {host: gone}}
    - {destination: {host: web, subset: v1, port: {number: 81}}}
    mirror: {host: web, subset: v1}
"""


def _fields(c: object) -> tuple[object, ...]:
    return tuple(
        getattr(c, k) for k in ("verdict", "claim", "steps", "service", "port", "port_unknown", "labels", "hop")
    )


ISTIO_TARGET_FIXTURES = [
    "route_target_exists/istio.yaml",
    "route_target_exists/istio_dr_scope.yaml",
    "route_target_exists/flagger.yaml",
    "route_target_exists/rollout_istio.yaml",
    "route_delivers/delivery.yaml",
]


@pytest.mark.parametrize("name", ["inline", *ISTIO_TARGET_FIXTURES])
def test_a_repeated_istio_destination_resolves_as_its_first(name: str, tmp_path: Path) -> None:
    """``_virtual_service`` resolves each (role, host, port, subset) of a VirtualService once (`_same_target`): every
    Check equals the one ``_istio_destination`` builds for that destination, the host step at its own node."""
    from cnverify.systems.istio import targets as istio_targets

    path = GRIDS / name
    if name == "inline":
        path = tmp_path / "vs.yaml"
        path.write_text(REPEATED_DESTINATIONS)
    snap, _ = snapshot.build(loader.load([str(path)]))
    for vs in snap.all(VirtualService):
        got = [c for c in istio_targets._virtual_service(snap, vs) if not c.binding]
        dests = []
        for r in vs.spec.http or []:
            dests += [(d.destination, "destination") for d in r.route or []]
            dests += [(r.mirror, "mirror")] if r.mirror is not None else []
            dests += [(m.destination, "mirror") for m in r.mirrors or []]
        for l4 in [*(vs.spec.tcp or []), *(vs.spec.tls or [])]:
            dests += [(d.destination, "destination") for d in l4.route or []]
        want = [istio_targets._istio_destination(snap, vs, d, role) for d, role in dests if d.host]
        assert [(c.node, c.location, c.path) for c in got] == [(c.node, c.location, c.path) for c in want]
        assert [_fields(c) for c in got] == [_fields(c) for c in want]
    if name == "inline":
        verdicts = [c.verdict for c in all_checks(snap) if not c.binding]
        assert verdicts == ["proved", "violated", "proved", "proved", "violated", "violated"] + [
            "proved",
            "violated",
            "violated",
            "proved",
            "proved",
        ]
        assert len({id(c.steps) for c in all_checks(snap)}) == len(all_checks(snap))  # no list shared
