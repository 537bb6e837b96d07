"""Meta-tests of the system adapters (``cnverify.systems``), and the "adding a system" guide followed for a
pretend system: its routing table and its pod-creator answer reach CNV101, CNV202 and the diff with no other
file touched (docs/DEVELOPING.md, "Adding a system")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import cnverify
import pytest
from cnverify import systems
from cnverify.encodings.http import Entry, Match, PathMatch
from cnverify.loader import load_file
from cnverify.model import KIND_MODELS, Node, Resource, register_kind
from cnverify.opaque import opaque_of
from cnverify.snapshot import Snapshot, build

ADAPTERS = systems.adapters()


@pytest.mark.parametrize("system", ADAPTERS, ids=lambda s: s.name)
def test_every_hook_implemented_or_declined(system: systems.System) -> None:
    for hook in systems.HOOKS:
        reason = system.declines.get(hook)
        assert system.implements(hook) != (reason is not None), (
            f"{system.name}: hook {hook!r} must be implemented or declined, not "
            + ("both" if system.implements(hook) else "neither")
        )
        assert reason is None or reason.strip(), f"{system.name} declines {hook!r} without a reason"
    assert not set(system.declines) - set(systems.HOOKS), f"{system.name} declines unknown hooks"
    assert system.name and system.title


def test_adapters_are_found_in_order() -> None:
    names = [s.name for s in ADAPTERS]
    assert names == [
        "istio",
        "envoy",
        "knative",
        "gateway",
        "ingress",
        "kubernetes",
        "smi",
        "argo",
        "openfaas",
        "compose",
        "consul",
        "kong",
        "argocd",
        "flagger",
        "linkerd",
        "prometheus",
        "ecosystem",
        "nomad",
        "lambda",
        "contour",
        "traefik",
        "emissary",
    ]
    assert len({s.order for s in ADAPTERS}) == len(ADAPTERS)


def test_no_group_claimed_twice() -> None:
    seen: dict[str, str] = {}
    for s in ADAPTERS:
        for group in s.groups:
            assert group not in seen, f"API group {group!r} claimed by {seen.get(group)} and {s.name}"
            seen[group] = s.name


def test_every_modelled_kind_has_one_adapter() -> None:
    owners: dict[type[Resource], list[str]] = {}
    for s in ADAPTERS:
        for kind in s.kinds:
            owners.setdefault(kind, []).append(s.name)
    for cls in set(KIND_MODELS.values()):
        assert len(owners.get(cls, [])) == 1, f"{cls.__name__} is owned by {owners.get(cls, [])}"
    assert set(owners) == set(KIND_MODELS.values())


def test_groups_of_modelled_kinds_are_claimed() -> None:
    """Every group a model reads has a policy, so its unmodelled kinds never count as pod creators by default."""
    for group, kind in KIND_MODELS:
        assert systems.group_policy(group) is not None, f"{kind} ({group or 'v1'}): no adapter claims its group"


def _opaque(tmp_path: Path, api: str, kind: str, extra: str = "") -> object:
    f = tmp_path / "x.yaml"
    f.write_text(f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: x, namespace: ns}}\n{extra}")
    return opaque_of(load_file(str(f)).objects[0])


def test_unmodelled_kinds_create_pods_only_when_the_adapter_says_so(tmp_path: Path) -> None:
    for s in ADAPTERS:
        for group, policy in s.groups.items():
            api = f"{group}/v1" if group else "v1"
            made_up = _opaque(tmp_path, api, "CnverifyMadeUpKind")
            assert made_up.creates_pods == policy.creates_pods, f"{s.name}: {group}"  # type: ignore[attr-defined]
            assert made_up.creator == policy.creator  # type: ignore[attr-defined]
            for kind in policy.except_kinds:
                assert _opaque(tmp_path, api, kind).creates_pods != policy.creates_pods  # type: ignore[attr-defined]
    unclaimed = _opaque(tmp_path, "example.invalid/v1", "Thing")
    assert unclaimed.creates_pods and unclaimed.creator == ""  # type: ignore[attr-defined]
    templated = _opaque(
        tmp_path, "rbac.authorization.k8s.io/v1", "Role", "spec: {template: {metadata: {labels: {app: a}}}}\n"
    )
    assert templated.creates_pods and templated.template_labels == {"app": "a"}  # type: ignore[attr-defined]


def test_hook_modules_have_their_interface() -> None:
    tables = [m for s in systems.implementing("route_tables") for m in s.route_tables()]
    assert [m.__name__.removeprefix("cnverify.systems.") for m in tables] == [
        "istio.tables",
        "istio.l4",
        "envoy.tables",
        "gateway.tables",
        "gateway.l4",
        "ingress.tables",
        "consul.tables",
        "kong.tables",
        "linkerd.tables",
        "lambda_sam.apis",
        "contour.tables",
        "traefik.tables",
        "emissary.tables",
    ]
    assert all(callable(m.translate) and m.READS for m in tables)
    targets = [m for s in systems.implementing("targets") for m in s.target_modules()]
    assert all(callable(m.checks) and m.READS for m in targets)
    readers = {k for s in systems.implementing("diff_actions") for k in s.diff_actions()}
    assert readers == {"consul", "contour", "emissary", "envoy", "gateway", "ingress", "istio"}  # one per table system


def test_declined_hooks_are_not_iterated() -> None:
    assert [s.name for s in systems.implementing("raw_shapes")] == [
        "envoy",
        "openfaas",
        "compose",
        "consul",
        "kong",
        "prometheus",
        "nomad",
        "lambda",
    ]
    assert [s.name for s in systems.implementing("modelled_creators")] == [
        "knative",
        "gateway",
        "argo",
        "openfaas",
        "compose",
        "argocd",
        "flagger",
        "prometheus",
        "nomad",
    ]
    with pytest.raises(KeyError):
        list(systems.implementing("no-such-hook"))


# --- the guide, followed for a pretend system ("widgets") -----------------------------------------------------
WIDGETS = "widgets.example.com"


class WidgetPath(Node):
    prefix: str


class WidgetRouteSpec(Node):
    paths: list[WidgetPath] = []


def _model() -> type[Resource]:
    """Step 1 of the guide: the model module (registered here, removed after the test)."""

    @register_kind(WIDGETS, "WidgetRoute")
    class WidgetRoute(Resource):
        spec: WidgetRouteSpec

    return WidgetRoute


def _translator(route_kind: type[Resource]) -> SimpleNamespace:
    """Step 3: the route-table translator, one table per WidgetRoute, paths as prefixes in written order."""
    from cnverify.systems.routing.tables import Clause, Table, add_clauses

    def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
        clauses: dict[str, Clause] = {}
        tables = []
        for r in snap.all(route_kind):
            entries = []
            for i, p in enumerate(r.spec.paths):  # type: ignore[attr-defined]
                label = f"WidgetRoute {r.namespace}/{r.name} paths[{i}]"
                for _, rkey, key in add_clauses(clauses, r, f"spec.paths[{i}]", label, p, None, "match"):
                    entries.append(Entry(rkey, key, Match(path=PathMatch("prefix", p.prefix))))
            tables.append(Table("widgets", f"widget router {r.namespace}/{r.name}", r.at(), [entries]))
        return clauses, tables

    return SimpleNamespace(translate=translate, READS=(route_kind,), __name__="widgets_tables")


@pytest.fixture
def widgets() -> Iterator[type[Resource]]:
    route_kind = _model()
    translator = _translator(route_kind)

    class Widgets(systems.System):  # step 2: the adapter, every hook implemented or declined
        name = "widgets"
        title = "Widgets (a pretend system)"
        order = 99
        kinds = (route_kind,)
        groups = {WIDGETS: systems.Group(False, frozenset({"WidgetFarm"}), "the widget operator")}
        declines = {
            "modelled_creators": "a WidgetRoute runs no pods",
            "links": "no references",
            "raw_shapes": "objects only",
            "targets": "pretend",
            "weighted_splits": "pretend",
            "diff_actions": "pretend",
        }

        def route_tables(self) -> tuple[SimpleNamespace, ...]:  # type: ignore[override]
            return (translator,)

    system = systems.register(Widgets())
    try:
        yield route_kind
    finally:
        systems.unregister(system)
        for key in [k for k, v in KIND_MODELS.items() if v is route_kind]:
            del KIND_MODELS[key]


WIDGET_YAML = f"""\
apiVersion: {WIDGETS}/v1
kind: WidgetRoute
metadata: {{name: shop, namespace: shop}}
spec:
  paths:
  - prefix: /
  - prefix: /api
---
apiVersion: {WIDGETS}/v1
kind: WidgetFarm
metadata: {{name: farm, namespace: shop}}
---
apiVersion: {WIDGETS}/v1
kind: WidgetPolicy
metadata: {{name: policy, namespace: shop}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80}}]
"""


def test_pretend_system_flows_through(widgets: type[Resource], tmp_path: Path) -> None:
    f = tmp_path / "widgets.yaml"
    f.write_text(WIDGET_YAML)
    test_every_hook_implemented_or_declined(systems.adapters()[-1])
    report = cnverify.prove([str(f)], select=["CNV101", "CNV202"])
    found = {(r.property, r.subject["kind"], r.status, r.location.line) for r in report.results}
    # the translator's table reaches CNV101: /api (line 7) is shadowed by the prefix / written before it
    assert found == {
        ("CNV101", "WidgetRoute", "proved", 6),
        ("CNV101", "WidgetRoute", "violated", 7),
        ("CNV202", "Service", "unknown", 21),
    }
    # the group policy reaches the pod inventory: the WidgetFarm may create the Service's pods, so "selects
    # no pod" is unknown, naming the adapter's creator; the WidgetPolicy is no creator
    cnv202 = [r for r in report.results if r.property == "CNV202"]
    assert [(r.status, r.subject["name"]) for r in cnv202] == [("unknown", "web")]
    assert "the widget operator" in cnv202[0].message and "WidgetPolicy" not in cnv202[0].message
    snap, _ = build(load_file(str(f)))
    assert [(o.kind, o.creates_pods) for o in snap.opaque] == [("WidgetFarm", True), ("WidgetPolicy", False)]


def test_pretend_system_reaches_the_diff(widgets: type[Resource], tmp_path: Path) -> None:
    from cnverify.diff.tables import entry_points

    f = tmp_path / "widgets.yaml"
    f.write_text(WIDGET_YAML)
    tables, _, _, failed = entry_points(build(load_file(str(f)))[0])
    assert list(tables) == ["widgets: widget router shop/shop"] and not failed
    [[first, second]] = tables["widgets: widget router shop/shop"]
    assert (first.action.kind, second.action.kind) == ("route-of", "route-of")  # no diff_actions: the route itself
