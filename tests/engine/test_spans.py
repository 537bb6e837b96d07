"""Source spans: every field path maps to the line:column of its key (or list item), in block and
flow style, through block scalars and nested lists; ``node.at()`` falls back to the nearest ancestor."""

from __future__ import annotations

from cnverify.errors import Span
from cnverify.model import Deployment
from cnverify.source import Document, Origin, compose, format_path

TEXT = """\
a:
  b: [1, {c: 2, d: [x, y]}]
  text: |
    line one
    line two
  folded: >-
    folded
  after: 3
  items:
  - name: one
    ports:
    - 80
    - - nested
      - deeper
---
second: {k: v}
"""


def docs() -> list[Document]:
    out = [d for d in compose(TEXT, "f.yaml")]
    assert all(isinstance(d, Document) for d in out)
    return out  # type: ignore[return-value]


def where(doc: Document, *path: str | int) -> tuple[int, int]:
    s = doc.span(path)
    return s.line, s.column


def test_block_and_flow_spans() -> None:
    d = docs()[0]
    assert where(d, "a") == (1, 1)
    assert where(d, "a", "b") == (2, 3)
    assert where(d, "a", "b", 0) == (2, 7)
    assert where(d, "a", "b", 1) == (2, 10)
    assert where(d, "a", "b", 1, "c") == (2, 11)
    assert where(d, "a", "b", 1, "d", 1) == (2, 24)


def test_block_scalars_do_not_shift_later_lines() -> None:
    d = docs()[0]
    assert d.data["a"]["text"] == "line one\nline two\n"
    assert d.data["a"]["folded"] == "folded"
    assert where(d, "a", "text") == (3, 3)
    assert where(d, "a", "folded") == (6, 3)
    assert where(d, "a", "after") == (8, 3)


def test_nested_lists() -> None:
    d = docs()[0]
    assert where(d, "a", "items", 0) == (10, 5)
    assert where(d, "a", "items", 0, "ports", 0) == (12, 7)
    assert where(d, "a", "items", 0, "ports", 1) == (13, 7)
    assert where(d, "a", "items", 0, "ports", 1, 1) == (14, 9)
    assert d.data["a"]["items"][0]["ports"][1] == ["nested", "deeper"]


def test_second_document_keeps_absolute_lines() -> None:
    d = docs()[1]
    assert (d.index, d.data) == (1, {"second": {"k": "v"}})
    assert where(d, "second", "k") == (16, 10)


def test_absent_path_falls_back_to_nearest_ancestor() -> None:
    d = docs()[0]
    assert where(d, "a", "items", 0, "missing", "deeper") == (10, 5)
    assert where(d, "a", "b", 7) == (2, 3)
    assert where(d, "nothing") == (1, 1)


def test_span_carries_file_and_end() -> None:
    s = docs()[0].span(("a", "b", 1, "c"))
    assert s == Span("f.yaml", 2, 11, 2, 12)
    assert str(s) == "f.yaml:2:11" and s.to_json() == {"file": "f.yaml", "line": 2, "column": 11}


def test_format_path() -> None:
    assert format_path(("spec", "http", 1, "route", 0)) == "spec.http[1].route[0]"
    assert format_path(()) == ""


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: app
        image: web:1
      - {name: side, image: side:1, resources: {limits: {cpu: 1}}}
"""


def deployment() -> Deployment:
    doc = next(compose(DEPLOYMENT, "d.yaml"))
    assert isinstance(doc, Document)
    dep = Deployment.model_validate(doc.data)
    dep.bind(doc, ())
    return dep


def test_node_at_field_and_self() -> None:
    dep = deployment()
    assert dep.spec.at("replicas").line == 5
    app, side = dep.template.spec.containers
    assert (app.at().line, app.at().column) == (9, 9)
    assert app.at("image").line == 10
    assert (side.at("resources", "limits", "cpu").line, side.at("resources", "limits", "cpu").column) == (11, 58)
    assert side.resources is not None and side.resources.at("limits").column == 49
    assert side.path_str == "spec.template.spec.containers[1]"
    assert side.field_path == ("spec", "template", "spec", "containers", 1)


def test_node_at_falls_back_to_ancestors() -> None:
    dep = deployment()
    app = dep.template.spec.containers[0]
    assert app.resources is None
    assert app.at("resources", "limits") == app.at()
    assert dep.spec.at("strategy").line == 4  # absent: the spec key
    assert dep.template.metadata.at("labels").line == 6  # defaulted node: nearest written ancestor


def eager_spans(text: str, file: str, line: int = 0, column: int = 0) -> dict:
    """Every path's span computed straight from libyaml's marks (what composing recorded before spans
    became lazy): keys at their key node, values without a key (the root, list items) at their node."""
    import yaml

    out: dict = {}

    def at(n: yaml.Node, mark: str) -> tuple[int, int]:
        m = getattr(n, mark)
        return m.line + line + 1, m.column + (column if m.line == 0 else 0) + 1

    def walk(n: yaml.Node, path: tuple) -> None:
        out.setdefault(path, Span(file, *at(n, "start_mark"), *at(n, "end_mark")))
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                out[path + (k.value,)] = Span(file, *at(k, "start_mark"), *at(k, "end_mark"))
                walk(v, path + (k.value,))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, path + (i,))

    walk(yaml.compose(text, Loader=yaml.CSafeLoader), ())
    return out


def test_lazy_span_table_equals_the_marks() -> None:
    first = docs()[0]
    assert dict(first.spans) == eager_spans(TEXT.split("---")[0], "f.yaml")
    assert len(first.spans) == len(eager_spans(TEXT.split("---")[0], "f.yaml"))
    assert ("a", "b", 1, "c") in first.spans and ("a", "zz") not in first.spans


def test_lazy_spans_of_a_json_stream_keep_offsets() -> None:
    text = '{"kind": "A", "spec": {"x": [1, 2]}} {"kind": "B",\n "spec": {"y": 3}}\n'
    a, b = compose(text, "s.json")
    assert isinstance(a, Document) and isinstance(b, Document)
    assert dict(a.spans) == eager_spans(text[:36], "s.json")
    assert dict(b.spans) == eager_spans(text[37:], "s.json", 0, 37)
    assert b.span(("spec", "y")) == Span("s.json", 2, 11, 2, 14)


def test_span_lookups_are_built_once_and_absent_paths_stay_absent() -> None:
    import pickle

    d = docs()[0]
    fallback = d.span(("a", "items", 0, "missing"))  # absent: its nearest ancestor's span, remembered
    assert fallback == d.span(("a", "items", 0)) and d.span(("a", "items", 0, "missing")) is fallback
    assert ("a", "items", 0, "missing") not in d.spans
    try:
        d.spans[("a", "items", 0, "missing")]
    except KeyError:
        pass
    else:  # pragma: no cover
        raise AssertionError("an absent path must not be found after a fallback look-up")
    assert d.spans[("a", "after")] is d.span(("a", "after")) == Span("f.yaml", 8, 3, 8, 8)
    again = pickle.loads(pickle.dumps(d))
    assert again.span(("a", "items", 0, "missing")) == fallback and dict(again.spans) == dict(d.spans)


def test_node_accessors_read_the_bound_document() -> None:
    dep = deployment()
    doc = dep.doc
    assert doc is not None and doc.file == "d.yaml" and dep.metadata.doc is doc
    assert dep.namespace == "shop" and dep.metadata.field_path == ("metadata",)
    unbound = Deployment.model_validate({"metadata": {"name": "x"}})
    assert unbound.at("spec") == Span("<unknown>", 1, 1) and unbound.doc is None
    unbound.place("team")
    assert unbound.namespace == "team" and unbound.ref == "Deployment/team/x"


def test_bind_reaches_every_node_of_every_kind() -> None:
    """Binding walks only fields that may hold a node; every node reachable through any field (the full walk
    binding did before) is bound to its document and path, for every kind of the every-kind fixtures."""
    from pathlib import Path as FilePath

    from cnverify import loader, snapshot
    from cnverify.model.base import Node

    loaded = loader.load([str(FilePath(__file__).parent / "fixtures")])
    snap, _ = snapshot.build(loaded)
    assert len({type(r) for r in snap.resources}) > 50
    checked = 0

    def walk(value: object, doc: object, path: tuple) -> None:
        nonlocal checked
        if isinstance(value, Node):
            assert (value.doc, value.field_path) == (doc, path), (type(value).__name__, path)
            checked += 1
            for name, info in type(value).model_fields.items():
                walk(getattr(value, name), doc, path + (info.alias or name,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Node):
                    walk(item, doc, path + (i,))
        elif isinstance(value, dict):
            for k, item in value.items():
                if isinstance(item, Node):
                    walk(item, doc, path + (k,))

    for r in snap.resources:
        walk(r, r.doc, r.field_path)
    assert checked > 500


def test_node_at_gives_document_span_first_and_again_and_through_a_view() -> None:
    """``Node.at`` answers a path looked up before from the table's built spans: the span ``Document.span``
    gives, the same object; a redirecting view (a synthesized template) still redirects."""
    from cnverify.model.core import PodTemplateSpec
    from cnverify.model.synthesized import bind_synthesized

    dep = deployment()
    doc = dep.doc
    assert doc is not None
    for fields in [("spec",), ("spec", "replicas"), ("spec", "absent", 3), ()]:
        first = dep.at(*fields)
        assert first == doc.span(dep.field_path + fields) and dep.at(*fields) is first
    template = PodTemplateSpec.model_validate({"spec": {"containers": [{"name": "c"}]}})
    bind_synthesized(template, doc, [(("spec", "containers", 0), ("spec", "replicas"))], ("metadata",))
    doc.span(("spec", "containers", 0, "name")), doc.span(("spec",))  # built on the table under the view's paths
    for _ in range(2):  # the second time the underlying table has built these paths
        assert template.spec.containers[0].at("name") == doc.span(("spec", "replicas", "name"))
        assert template.at("spec") == doc.span(("metadata", "spec"))


def test_new_span_is_the_dataclass_span() -> None:
    """``source.new_span`` (what ``Origin.expand`` builds spans with) sets ``Span``'s slots directly: the same
    value as the dataclass constructor (fields, equality, hash, repr, pickling), for Span's fields as they are."""
    import dataclasses
    import pickle

    from cnverify.source import SPAN_FIELDS, new_span

    assert tuple(f.name for f in dataclasses.fields(Span)) == SPAN_FIELDS
    for args in [("f.yaml", 1, 1, 1, 5), ("d/x.json", 12, 3, 14, 1), ("\\xff.yaml", 2**31, 7, 2**31, 9)]:
        fast, slow = new_span(*args), Span(*args)
        assert type(fast) is Span and fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
        assert tuple(getattr(fast, f) for f in SPAN_FIELDS) == args
        assert pickle.loads(pickle.dumps(fast)) == slow
        try:
            fast.line = 2  # type: ignore[misc]
        except dataclasses.FrozenInstanceError:
            pass
        else:  # pragma: no cover
            raise AssertionError("a span must stay frozen")


def test_build_and_expand_match_the_ancestor_walk_with_the_general_formula() -> None:
    """``SpanTable.nearest``, ``Node.at``'s inlined copy of it and ``Origin.expand`` (``new_span``'s steps
    inlined, both kinds of origin) give what walking up to the nearest recorded ancestor and expanding with the
    offsets of the origin gives, for a file and for the values of a JSON stream (origins off line 0 / column
    0); a span built replaces its path's position (the same object for every later look-up), other positions
    stay raw ints, and the mapping's keys and values do not change."""
    from cnverify.spans import _BITS, _MASK, SpanTable

    def reference(positions: dict, o: Origin, path: tuple) -> Span:
        p = path
        while p not in positions and p:
            p = p[:-1]
        pos = positions[p]
        sl, sc, el, ec = pos >> 3 * _BITS, pos >> 2 * _BITS & _MASK, pos >> _BITS & _MASK, pos & _MASK
        return Span(o.file, sl + o.line + 1, sc + (o.column if sl == 0 else 0) + 1, el + o.line + 1,
                    ec + (o.column if el == 0 else 0) + 1)  # fmt: skip

    stream = '{"a": {"b": [1, 2]}}  {"c": 3,\n "d": {"e": 4}}\n   {"f": [5]}'
    tables = [d.spans for d in docs()] + [d.spans for d in compose(stream, "s.json")]  # type: ignore[union-attr]
    assert any(t.origin.line or t.origin.column for t in tables)  # type: ignore[union-attr]
    for table in tables:
        assert isinstance(table, SpanTable)
        raw = dict(table.positions)
        assert all(type(v) is int for v in raw.values())
        for path in [*raw, *(p + ("absent", 0) for p in raw)]:
            fresh = SpanTable(table.origin, dict(raw))
            expected = reference(raw, table.origin, path)
            got = fresh.nearest(path)
            assert type(got) is Span and got == expected and fresh.nearest(path) is got, path
            assert fresh.positions.get(path, got) is got  # present: the position replaced by its span
            nearest = path
            while nearest not in raw:
                nearest = nearest[:-1]
            assert [p for p, v in fresh.positions.items() if type(v) is not int] == [nearest]
            assert list(fresh) == list(raw) and dict(fresh) == {p: reference(raw, table.origin, p) for p in raw}
            if path in raw:
                assert table.origin.expand(raw[path]) == expected
