"""Scalars, keys and streams read as kubectl reads them (sigs.k8s.io/yaml → go-yaml v2 → JSON → API server).

Each expected value was derived from go-yaml v2 ``resolve.go``/``decode.go`` and sigs.k8s.io/yaml ``yaml.go``
(see ``cnverify.kubeyaml``), not from PyYAML.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from cnverify import alias_budget, loader, source
from cnverify.cli import main
from cnverify.engine import Options, prove
from cnverify.errors import InputError
from cnverify.source import Document, compose
from hypothesis import given, settings
from hypothesis import strategies as st

SCALARS: list[tuple[str, object]] = [
    ("=", "="),  # PyYAML: the YAML 1.1 'value' tag; go-yaml: a string
    ("0o12", 10),
    ("0O12", 10),
    ("0x1F", 31),
    ("0X1f", 31),
    ("-0x1F", -31),
    ("0b101", 5),
    ("-0b101", -5),
    ("012", 10),
    ("0", 0),
    ("00", 0),
    ("+12", 12),
    ("-12", -12),
    ("09", 9),  # not octal, but yamlStyleFloat → 9.0 → JSON 9
    ("1_000", 1000),
    ("1__0", 10),
    ("_1", "_1"),
    ("1e3", 1000),
    ("5.0", 5),
    ("1.", 1),
    ("0.5", 0.5),
    (".5", 0.5),
    ("-.5", -0.5),
    ("+.5", 0.5),
    ("1.5e-3", 0.0015),
    ("1e21", 1e21),
    ("1e400", "1e400"),  # out of float64 range: the text stays
    ("9223372036854775807", 9223372036854775807),
    ("-9223372036854775808", -9223372036854775808),
    ("9223372036854775808", 9.223372036854775808e18),  # uint64: JSON digits past int64 decode as float64
    ("1" * 4301, "1" * 4301),  # ParseFloat overflows: a string (no int-str limit error)
    ("1:30", "1:30"),
    ("0x", "0x"),
    ("0xG", "0xG"),
    ("1.2.3", "1.2.3"),
    ("+", "+"),
    ("-x", "-x"),
    ("y", True),
    ("Y", True),
    ("yes", True),
    ("Yes", True),
    ("YES", True),
    ("on", True),
    ("On", True),
    ("ON", True),
    ("true", True),
    ("True", True),
    ("TRUE", True),
    ("n", False),
    ("N", False),
    ("no", False),
    ("off", False),
    ("Off", False),
    ("false", False),
    ("False", False),
    ("yEs", "yEs"),
    ("tRue", "tRue"),
    ("o", "o"),
    ("~", None),
    ("null", None),
    ("Null", None),
    ("NULL", None),
    ("", None),
    ("nULL", "nULL"),
    ("2024-01-01", "2024-01-01"),
    ("2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z"),
    ("2024-1-2", "2024-1-2"),
    (".", "."),
    (".a", ".a"),
    ("<<x", "<<x"),
    ("!x", ""),
    ("!x 1", "1"),
    ("'5'", "5"),
    ('"yes"', "yes"),
    ("!!str 5", "5"),
    ("!!int '5'", 5),
    ("!!float 1", 1),
    ("!!float 1.5", 1.5),
    ("!!bool yes", True),
    ("!!null ''", None),
    ("!Ref name", "name"),
    ("!GetAtt a.b", "a.b"),
    ("!!binary aGVsbG8=", "hello"),
    ("!!timestamp 2024-01-01", "2024-01-01"),
    ("|\n  1\n", "1\n"),
    (">\n  yes\n", "yes\n"),
]


def value_of(scalar: str) -> object:
    docs = list(compose(f"v: {scalar}\n", "t.yaml"))
    assert len(docs) == 1 and isinstance(docs[0], Document), docs
    return docs[0].data["v"]


@pytest.mark.parametrize("scalar,expected", SCALARS, ids=[s[:20] or "<empty>" for s, _ in SCALARS])
def test_scalar_as_kubectl_sees_it(scalar: str, expected: object) -> None:
    got = value_of(scalar)
    assert got == expected and type(got) is type(expected), (scalar, got)


@pytest.mark.parametrize(
    "scalar,fragment",
    [
        (".inf", "not representable in JSON"),
        ("-.Inf", "not representable in JSON"),
        (".nan", "not representable"),
        ("!!int x", "cannot decode !!str `x` as a !!int"),
        ("!!float .inf", "not representable"),
        ("!!bool 1", "cannot decode !!int `1` as a !!bool"),
        ("!!binary '%%%'", "invalid base64"),
    ],
)
def test_scalars_kubectl_rejects_are_located_errors(scalar: str, fragment: str) -> None:
    (err,) = list(compose(f"a: 1\nv: {scalar}\n", "t.yaml"))
    assert isinstance(err, InputError) and (err.location.line, err.location.column) == (2, 4)
    assert fragment in err.message


@pytest.mark.parametrize(
    "key,expected",
    [
        ("on", "true"),
        ("y", "true"),
        ("no", "false"),
        ("1", "1"),
        ("0x10", "16"),
        ("1.5", "1.5"),
        ("1e3", "1000"),
        ("0.1", "0.1"),
        ("1e6", "1e+06"),
        ("1.0", "1"),
        (".inf", ".inf"),
        ("'on'", "on"),
        ("2024-01-01", "2024-01-01"),
    ],
)
def test_keys_become_json_keys(key: str, expected: str) -> None:
    (doc,) = list(compose(f"{key}: v\n", "t.yaml"))
    assert isinstance(doc, Document) and list(doc.data) == [expected]


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("~: v\n", "unsupported map key None"),
        ("9223372036854775808: v\n", "unsupported map key"),
        ("on: 1\ntrue: 2\n", "duplicate key 'true'"),
    ],
)
def test_keys_kubectl_rejects(text: str, fragment: str) -> None:
    (err,) = list(compose(text, "t.yaml"))
    assert isinstance(err, InputError) and fragment in err.message


def test_merge_key_is_plain_only() -> None:
    (doc,) = list(compose("b: &b {x: 1}\nm: {<<: *b, z: 2}\nq: {'<<': 3}\n", "t.yaml"))
    assert isinstance(doc, Document) and doc.data["m"] == {"z": 2, "x": 1} and doc.data["q"] == {"<<": 3}


def test_json_stream_one_document_per_object_with_its_line(tmp_path: Path) -> None:
    text = (
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}\n'
        '{"apiVersion": "v1",\n "kind": "ConfigMap",\n "metadata": {"name": "b"}} '
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}\n'
    )
    docs = list(compose(text, "s.json"))
    assert all(isinstance(d, Document) for d in docs)
    assert [
        (d.data["metadata"]["name"], d.index, d.span(("metadata", "name")).line, d.span(("metadata", "name")).column)
        for d in docs
    ] == [("a", 0, 1, 56), ("b", 1, 4, 15), ("c", 2, 4, 84)]
    (tmp_path / "s.json").write_text(text)
    loaded = loader.load([str(tmp_path)])
    assert loaded.errors == [] and [o.data["metadata"]["name"] for o in loaded.objects] == ["a", "b", "c"]


def test_json_stream_with_a_bad_value_is_a_located_yaml_error() -> None:
    docs = list(compose('{"a": 1}\n{"b": }\n', "s.json"))
    assert [type(d).__name__ for d in docs] == ["Document", "InputError"] and docs[1].location.line == 2


def laughs(levels: int, width: int = 9, name: str = "l") -> str:
    text = f"{name}0: &{name}0 [" + ",".join(["x"] * width) + "]\n"
    for i in range(1, levels):
        text += f"{name}{i}: &{name}{i} [" + ",".join([f"*{name}{i - 1}"] * width) + "]\n"
    return text


def test_alias_budget_is_per_file_not_per_document(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alias_budget, "MAX_ALIAS_NODES_PER_FILE", 2_000)
    doc = laughs(3) + "---\n"  # each document adds 9*9*10 + 9*10 = 900 nodes: under the budget alone
    items = list(compose(doc * 5, "b.yaml"))
    assert [type(i).__name__ for i in items] == ["Document", "Document", "InputError"]
    assert "budget" in items[2].message and items[2].location.line == 2 + 2 * 4


def test_alias_budget_per_run_leaves_files_without_aliases_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alias_budget, "MAX_ALIAS_NODES_PER_RUN", 1_500)
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_text(laughs(3))
    (tmp_path / "d.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n")
    with source.run_budget():
        loaded = loader.load([str(tmp_path)])
    assert [Path(e.location.file).name for e in loaded.errors] == ["b.yaml", "c.yaml"]
    assert [o.data["metadata"]["name"] for o in loaded.objects] == ["d"]
    with source.run_budget():
        again = loader.load([str(tmp_path / "c.yaml")])  # a new run has its own budget
    assert again.errors == []
    report = prove([str(tmp_path)], Options(select=["CNV401"]))  # the library call: each file its own budget
    assert report.errors == []
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["prove", ".", "--format", "json", "--no-config"])
    assert result.exit_code == 2 and sorted(
        Path(e["location"]["file"]).name for e in json.loads(result.output)["errors"]
    ) == ["b.yaml", "c.yaml"]


def test_alias_bomb_of_many_documents_stays_small_and_fast() -> None:
    text = (laughs(6, 9) + "---\n") * 40  # 40 documents of ~590,000 nodes each
    start = time.monotonic()
    items = list(compose(text, "bomb.yaml"))
    assert time.monotonic() - start < 10
    assert [type(i).__name__ for i in items] == ["InputError"] and "alias bomb" in items[0].message


def test_nested_merge_keys_past_the_recursion_limit_are_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alias_budget, "MAX_ALIAS_NODES_PER_FILE", 10**8)  # (with the real budget: an alias error)
    text = "a0: &a0 {x: 1}\n" + "".join(f"a{i}: &a{i} {{<<: *a{i - 1}}}\n" for i in range(1, 1200))
    items = list(compose(text, "m.yaml"))
    assert [type(i).__name__ for i in items] == ["InputError"] and "merge keys nested deeper" in items[0].message
    ok = list(compose("a0: &a0 {x: 1}\n" + "".join(f"a{i}: &a{i} {{<<: *a{i - 1}}}\n" for i in range(1, 50)), "m"))
    assert isinstance(ok[0], Document) and ok[0].data["a49"] == {"x": 1}


def test_undecodable_file_name_is_printable(tmp_path: Path) -> None:
    name = b"caf\xe9.yaml".decode("utf-8", "surrogateescape")
    (docs,) = list(compose("a: 1\n", str(tmp_path / name)))
    assert isinstance(docs, Document) and docs.file.endswith("caf\\xe9.yaml")
    docs.file.encode("utf-8")


def test_colons_before_flow_indicators_read_as_go_yaml_does() -> None:
    text = (
        "kind: A\n---\nspec:\n  addresses: [1.2.3.4, 2001:db8::]\n  exportTo: [foo, .]\n"
        "  m: {k: fe80::, j: [1::2, a::]}\n  after: 1\n---\nkind: B\n"
    )
    docs = list(compose(text, "se.yaml"))
    assert all(isinstance(d, Document) for d in docs) and [d.index for d in docs] == [0, 1, 2]
    spec = docs[1].data["spec"]
    assert spec == {
        "addresses": ["1.2.3.4", "2001:db8::"],
        "exportTo": ["foo", "."],
        "m": {"k": "fe80::", "j": ["1::2", "a::"]},
        "after": 1,
    }
    assert docs[1].span(("spec", "after")).line == 7 and docs[1].span(("spec", "m", "j")).line == 6
    assert docs[1].span(("spec", "addresses", 1)).column == 23  # the quote takes the blank before it


@pytest.mark.parametrize(
    "text,names,error_line",
    [
        ("name: a\n---apiVersion: v1\nname: b\n", [], 2),  # helm's '{{- ... -}}' ate the line break
        ("name: a\n---\nname: b\n--- {name: c}\n", ["a"], 4),  # the interrupted document is not read
        ("name: a\n--- # ok\nname: b\n---   \nname: c\n", ["a", "b", "c"], None),
        ('k: "-----BEGIN\n---END"\n', [], 2),  # a flow scalar's line at column 0
        ("k: |\n  ---not-a-separator\n", ["<k>"], None),
    ],
)
def test_document_separators_as_kubectl_splits_them(text: str, names: list[str], error_line: int | None) -> None:
    items = list(compose(text, "s.yaml"))
    docs = [i for i in items if isinstance(i, Document)]
    errs = [i for i in items if isinstance(i, InputError)]
    assert [d.data.get("name", "<k>") for d in docs] == names
    assert [e.location.line for e in errs] == ([error_line] if error_line else [])
    assert all("invalid YAML document separator" in e.message for e in errs)


def _read_as_kubectl(tag: str, text: str) -> tuple[object, object]:
    """(value, key) by the full rules, or an error's type name when kubectl refuses the scalar."""
    from cnverify.kubeyaml import NotKubeYaml, key_string, key_value, scalar_value

    out: list[object] = []
    for read in (lambda: scalar_value(tag, text), lambda: key_string(key_value(tag, text))):
        try:
            out.append(read())
        except NotKubeYaml as exc:
            out.append(type(exc).__name__)
    return out[0], out[1]


_TEXT_SAMPLES = [
    *(text for text, _ in SCALARS),
    *"y n ~ < << = . - + 0 9 a Z _ ٣ ١٢ 𝟙 null Null yes off On .nan .inf -.inf +.5 .5e3".split(),
    "",
    " ",
    "2001-01-01",
    "1_000",
    "apiVersion",
    "true ",
]


@settings(max_examples=3000, deadline=None)
@given(
    st.sampled_from(["cnverify:plain", "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "!Ref"]),
    st.one_of(
        st.sampled_from(_TEXT_SAMPLES), st.text(max_size=6), st.from_regex(r"[-+.0-9a-zA-Z_~<]{0,5}", fullmatch=True)
    ),
)
def test_the_text_fast_path_reads_what_the_full_rules_read(tag: str, text: str) -> None:
    """``stays_text`` (the converter's shortcut) says 'its own text' only where value and key are the text."""
    from cnverify.kubeyaml import stays_text

    if stays_text(tag, text):
        assert _read_as_kubectl(tag, text) == (text, text)


def test_the_text_fast_path_takes_plain_words_and_quoted_text_only() -> None:
    from cnverify.kubeyaml import PLAIN, STR, stays_text

    assert stays_text(PLAIN, "apiVersion") and stays_text(PLAIN, "٣") and stays_text(STR, "yes")
    assert stays_text(STR, "") and stays_text(STR, "12")
    for plain in ("", "yes", "~", "<<", "12", "-1", ".5", "+x", "2001-01-01"):
        assert not stays_text(PLAIN, plain)
    assert not stays_text("tag:yaml.org,2002:int", "apiVersion") and not stays_text("!Ref", "x")


def test_resolver_hooks_stand_in_for_pyyamls() -> None:
    """``KubeLoader``'s C stand-ins for ``descend_resolver``/``ascend_resolver`` compose the same trees as
    PyYAML's own hooks, which do nothing while the loader has no path resolvers (none is ever added)."""
    import yaml
    from cnverify.kubeyaml import KubeLoader

    class WithPyYamlHooks(KubeLoader):
        descend_resolver = yaml.resolver.BaseResolver.descend_resolver
        ascend_resolver = yaml.resolver.BaseResolver.ascend_resolver

    assert KubeLoader.yaml_path_resolvers == {}
    resolve = KubeLoader("").resolve
    assert resolve(yaml.ScalarNode, "x", (True, False)) == "cnverify:plain"
    assert resolve(yaml.ScalarNode, "x", (False, True)) == "tag:yaml.org,2002:str"
    assert resolve(yaml.SequenceNode, None, None) == "tag:yaml.org,2002:seq"
    assert resolve(yaml.MappingNode, None, None) == "tag:yaml.org,2002:map"

    def shape(node: yaml.Node) -> object:
        marks = (node.start_mark.index, node.end_mark.index)
        if isinstance(node, yaml.ScalarNode):
            return (node.tag, node.value, node.style, marks)
        if isinstance(node, yaml.SequenceNode):
            return (node.tag, [shape(n) for n in node.value], marks)
        return (node.tag, [(shape(k), shape(v)) for k, v in node.value], marks)

    def trees(cls: type, text: str) -> list[object]:
        loader = cls(text)
        try:
            return [shape(loader.get_node()) for _ in iter(loader.check_node, False)]
        finally:
            loader.dispose()

    text = "a: &x {b: [1, '2', !!int 3, ! 4]}\nc: *x\n<<: {d: ~}\n---\n- [x, {y: z}]\n- |\n  block\n--- !!str s\n"
    assert trees(KubeLoader, text) == trees(WithPyYamlHooks, text) and len(trees(KubeLoader, text)) == 3


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="-- \t\n\r#ax", max_size=30))
def test_first_bad_separator_is_the_line_anchored_search(text: str) -> None:
    from cnverify.kubeyaml import _BAD_SEPARATOR, first_bad_separator

    mine, anchored = first_bad_separator(text), _BAD_SEPARATOR.search(text)
    assert (mine and mine.span()) == (anchored and anchored.span())


def test_the_loader_is_libyamls_parser_and_starts_as_cbaseloader_does() -> None:
    """``KubeLoader`` is libyaml's C parser (never PyYAML's pure-Python fallback, ~10x slower), and its
    ``__init__`` (the parser's alone) leaves a loader that composes as ``CBaseLoader.__init__``'s does."""
    import yaml.cyaml
    from cnverify.kubeyaml import KubeLoader

    assert issubclass(KubeLoader, yaml.cyaml.CParser)

    class Reference(KubeLoader):
        __init__ = yaml.cyaml.CBaseLoader.__init__  # type: ignore[assignment]

    text = "a: &x {b: [1, 'two', ~]}\nc: *x\n---\n- !!str 3\n- {? [k]: v}\n"

    def composed(cls: type) -> list[str]:
        loader = cls(text)
        try:
            out = []
            while loader.check_node():
                out.append(repr(loader.get_node()))
            return out
        finally:
            loader.dispose()

    assert composed(KubeLoader) == composed(Reference) and len(composed(KubeLoader)) == 2
