"""A finding's JSON is rendered once where its unit is verified (``Finding.render``) and joined by the
writer (``Finding.compact_json``): it must be exactly the encoder's text of ``to_json``, whatever the
run sets afterwards (``units`` at merge, ``baseline`` when compared)."""

from __future__ import annotations

import dataclasses
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cnverify import cli
from cnverify.engine import Options, prove
from cnverify.errors import Span
from cnverify.merging import MERGE_KEY, Merged, merge_key
from cnverify.proof import SLIM, Finding, Report, Step, compact, sorted_json, span_json
from cnverify.report import RenderOptions, writers
from cnverify.report import json as json_writer
from cnverify.report.escape import json_text
from cnverify.source import printable
from hypothesis import given, settings
from hypothesis import strategies as st

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(["##[error]", 'é\n"\\'])
SPAN = st.builds(Span, TEXT, st.integers(1, 10**6), st.integers(1, 500))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
STEP = st.builds(Step, TEXT, st.none() | SPAN, st.none() | st.lists(SPAN, max_size=2))
FINDING = st.builds(
    Finding,
    property=st.sampled_from(["CNV204", "CNV401"]),
    name=TEXT,
    status=st.sampled_from(["proved", "violated", "unknown"]),
    severity=st.sampled_from(["error", "warning", "info"]),
    subject=st.dictionaries(st.sampled_from(["kind", "namespace", "name", "path", "apiVersion"]), TEXT),
    location=SPAN,
    message=TEXT,
    chain=st.lists(STEP, max_size=3),
    witness=JSON,
    help=TEXT,
)
UNITS = st.lists(TEXT, max_size=3)
BASELINE = st.sampled_from([None, "new", "unchanged"])


def encoded(f: Finding) -> str:
    return json.dumps(f.to_json(), separators=(",", ":"), ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(FINDING, UNITS, UNITS, BASELINE, BASELINE, st.booleans())
def test_rendered_json_is_the_encoders(
    f: Finding, before: list[str], after: list[str], base0: Any, base1: Any, from_value: bool
) -> None:
    """Rendered with or without units / baseline, which the run may then change: the same bytes."""
    f.units, f.baseline = list(before), base0
    f.render(f.to_json() if from_value else None)
    assert f.compact_json() == encoded(f)
    f.units += after
    f.baseline = base1
    assert f.compact_json() == encoded(f)
    assert json.loads(f.compact_json()) == f.to_json()


@settings(max_examples=200, deadline=None)
@given(FINDING, TEXT)
def test_replace_renders_anew(f: Finding, message: str) -> None:
    f.render()
    g = dataclasses.replace(f, message=message)
    assert g.rendered is None and g.compact_json() == encoded(g)


def old_key(f: Finding) -> str:
    """The merge key as it was: the sorted JSON of the merged fields."""
    return json.dumps({k: v for k, v in f.to_json().items() if k in MERGE_KEY}, sort_keys=True, default=str)


CHANGES = st.sampled_from(["property", "status", "message", "location", "subject", "chain", "witness", "units"])


@settings(max_examples=400, deadline=None)
@given(FINDING, st.lists(st.tuples(CHANGES, st.integers(0, 2)), max_size=3))
def test_merge_key_equal_as_the_json_of_its_fields(f: Finding, changes: list[tuple[str, int]]) -> None:
    """Two findings are one result exactly when the JSON of their merged fields is the same (fields that
    do not count, or a change that keeps the JSON the same, keep the key)."""
    values: dict[str, list[Any]] = {
        "property": ["CNV204", "CNV401", "CNV204"],
        "status": ["proved", "violated", "unknown"],
        "message": [f.message, "m", "m2"],
        "location": [f.location, Span(f.location.file, f.location.line, f.location.column, 9, 9), Span("x", 1, 1)],
        "subject": [dict(reversed(f.subject.items())), {**f.subject, "path": "p"}, {"units": ["a"]}],
        "chain": [[], [Step("c")], f.chain],
        "witness": [None, {"a": 1}, f.witness],
        "units": [["a"], ["a", "b"], []],
    }
    g = dataclasses.replace(f, **{name: values[name][i] for name, i in changes})
    merger = Merged(Report())
    assert merger.held(f, merge_key(f)) is None
    assert (merger.held(g, merge_key(g)) is f) == (old_key(f) == old_key(g))
    h = dataclasses.replace(g, subject={**g.subject, "name": "other"})  # the same key, another subject
    assert (merger.held(h, merge_key(h)) is f) == (old_key(f) == old_key(h))
    assert merger.held(dataclasses.replace(h), merge_key(h)) in (f, g, h)
    expected = [f]
    for x in (g, h):
        if old_key(x) not in {old_key(y) for y in expected}:
            expected.append(x)
    assert [id(x) for x in merger.results] == [id(x) for x in expected]  # each result once, in the order met
    assert merge_key(f) == merge_key(dataclasses.replace(f))
    assert f.rendered == encoded(f)


def test_unencodable_witness_left_to_the_writer() -> None:
    f = Finding("CNV401", "n", "violated", "error", {"kind": "K"}, Span("f", 1, 1), "m", witness={1j})
    merge_key(f)
    assert f.rendered is None


def test_compact_is_the_writers_layout() -> None:
    assert compact({"a": [1, "é"], "b": None}) == '{"a":[1,"é"],"b":null}'


@settings(max_examples=200, deadline=None)
@given(FINDING, UNITS, BASELINE, st.booleans())
def test_pickled_finding_is_the_same(f: Finding, units: list[str], baseline: Any, rendered: bool) -> None:
    """What ``--jobs`` workers send back (``Finding.__reduce__``, ``Step``'s and ``Span``'s): every field,
    the rendered JSON and the spans' ends included."""
    f.units, f.baseline = units, baseline
    if rendered:
        f.render()
    g = pickle.loads(pickle.dumps(f, pickle.HIGHEST_PROTOCOL))
    assert g == f and g.rendered == f.rendered and type(g.location) is Span
    assert [s.spans() for s in g.chain] == [s.spans() for s in f.chain]
    end = Span("f", 1, 2, 3, 4)
    assert pickle.loads(pickle.dumps(end)) == end and pickle.loads(pickle.dumps(end)).end_column == 4


UNITS = Path(__file__).resolve().parents[1] / "units" / "fixtures"


def test_rendered_only_for_a_json_report() -> None:
    """Without a JSON report to write (``render_json`` off, the default: the library, ``diff``, the CLI's text,
    Markdown, SARIF...), nothing is rendered ahead; the JSON writer then renders each finding itself, the same
    bytes."""
    ahead = prove([str(UNITS)], Options(jobs=1, render_json=True))
    lazy = prove([str(UNITS)], Options(jobs=1))
    assert ahead.results and all(f.rendered for f in ahead.results)
    assert not any(f.rendered for f in lazy.results)
    assert any(len(f.units) > 1 for f in ahead.results)
    json_writer = writers()["json"]
    assert json_writer(lazy, RenderOptions()) == json_writer(ahead, RenderOptions())
    pretty = RenderOptions(pretty=True)
    assert json.loads(json_writer(ahead, pretty)) == json.loads(json_writer(ahead, RenderOptions()))


@pytest.mark.parametrize(
    "args, expected, only",
    [
        ([], False, False),
        (["--format", "json"], True, True),
        (["--format", "json", "--pretty"], False, False),
        (["--report", "json=x"], True, False),
        (["--format", "json", "--report", "json=x"], True, True),
        (["--format", "json", "--report", "sarif=x"], True, False),
    ],
)
def test_cli_renders_ahead_for_json(
    args: list[str], expected: bool, only: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[tuple[bool, bool]] = []

    def fake(paths: Any, options: Options) -> Report:
        seen.append((options.render_json, options.json_only))
        return Report()

    monkeypatch.setattr(cli, "prove", fake)
    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(cli.main, ["prove", ".", *args])
    assert seen == [(expected, only)]


def test_cli_writes_json_bytes_as_echo_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """A UTF-8 stdout gets the JSON report's pieces as bytes encoded once: the bytes ``click.echo`` writes
    (the path any other stdout takes), non-ASCII file names and undecodable ones (shown as ``\\xff``) too."""
    args = ["prove", str(UNITS), "--format", "json", "--jobs", "1"]
    taken: list[bool] = []
    utf8_stdout = cli._utf8_stdout

    def seen() -> Any:
        taken.append(utf8_stdout() is not None)
        return utf8_stdout()

    monkeypatch.setattr(cli, "_utf8_stdout", seen)
    fast = CliRunner().invoke(cli.main, args)
    monkeypatch.setattr(cli, "_utf8_stdout", lambda: None)
    echoed = CliRunner().invoke(cli.main, args)
    assert taken == [True] and fast.stdout_bytes == echoed.stdout_bytes and b'"results":[{' in fast.stdout_bytes
    monkeypatch.setattr(cli, "_utf8_stdout", seen)
    CliRunner(charset="latin-1").invoke(cli.main, args)
    assert taken == [True, False]
    report = Report(inputs=[{"file": "caf\udce9/é.yaml"}])
    chunks = list(json_writer.utf8_chunks(report, RenderOptions()))
    assert b"".join(chunks) == printable(json_writer.render(report, RenderOptions())).encode()
    assert b'"caf\\xe9/\xc3\xa9.yaml"' in b"".join(chunks)  # the printable name, encoded


@pytest.mark.parametrize("jobs", [1, 2])
def test_json_only_keeps_the_rendered_text_alone(jobs: int) -> None:
    """``json_only`` (every report compact JSON): findings keep their rendered JSON and drop chain and witness
    (also across ``--jobs`` workers); the JSON report is the same bytes, and ``to_json`` refuses."""
    full = prove([str(UNITS)], Options(jobs=1, render_json=True))
    slim = prove([str(UNITS)], Options(jobs=jobs, render_json=True, json_only=True))
    json_writer = writers()["json"]
    assert json_writer(slim, RenderOptions()) == json_writer(full, RenderOptions())
    assert slim.results and all(f.chain is SLIM and f.witness is None for f in slim.results)
    assert any(f.chain for f in full.results)
    with pytest.raises(RuntimeError, match="slimmed"):
        slim.results[0].to_json()


def test_slim_needs_the_rendered_text() -> None:
    """A finding whose witness JSON cannot encode is never rendered ahead: it keeps chain and witness."""
    f = Finding("CNV401", "n", "violated", "error", {"kind": "K"}, Span("f", 1, 1), "m", witness={1j})
    merge_key(f)
    f.slim()
    assert f.chain is not SLIM and f.witness == {1j}
    g = Finding("CNV401", "n", "proved", "error", {"kind": "K"}, Span("f", 1, 1), "m", [Step("s")])
    text = g.render()
    g.slim()
    h = pickle.loads(pickle.dumps(g, pickle.HIGHEST_PROTOCOL))
    assert h.chain is SLIM and h.compact_json() == text


@settings(max_examples=300, deadline=None)
@given(STEP, SPAN)
def test_step_and_span_texts_are_the_encoders(step: Step, at: Span) -> None:
    """``Step.json_text`` and ``span_json`` (what ``render`` joins instead of encoding dicts): the same text."""
    assert step.json_text() == compact(step.to_json())
    assert span_json(at) == compact(at.to_json())


def test_span_texts_of_one_file_share_its_quoted_name() -> None:
    """A file's quoted name is remembered (``quoted_file``): spans of the file (equal names, other objects)
    give the encoder's text, and a name of another type is never taken for a remembered one."""
    name = 'dir/é"x.yaml'
    first, again = Span(name, 1, 2), Span("".join(name), 3, 4)
    assert span_json(first) == compact(first.to_json())
    assert span_json(again) == compact(again.to_json()) == '{"file":"dir/é\\"x.yaml","line":3,"column":4}'
    step = Step("c", again, [first])
    assert step.json_text() == compact(step.to_json())


def test_members_of_other_types_are_encoded_as_the_encoder_does() -> None:
    """A member that is not a plain str / int takes the encoder's path: the same text either way."""
    odd = Step(7, Span("f", True, 2), [Span(None, 1, 2)])  # type: ignore[arg-type]
    assert (
        odd.json_text()
        == compact(odd.to_json())
        == '{"claim":7,"location":{"file":"f","line":true,"column":2},"locations":[{"file":null,"line":1,"column":2}]}'
    )
    f = Finding("CNV401", None, "violated", "error", {"kind": "K"}, Span("f", 1, 1), "m", chain=[odd])  # type: ignore[arg-type]
    assert f.render() == encoded(f)


ODD = JSON | st.floats() | st.dictionaries(st.integers() | st.none() | st.booleans() | TEXT, JSON, max_size=3)


@settings(max_examples=300, deadline=None)
@given(ODD | st.lists(ODD, max_size=3).map(tuple) | st.builds(object) | st.dictionaries(TEXT, st.builds(object)))
def test_direct_encoders_are_json_dumps(value: Any) -> None:
    """``compact`` and ``sorted_json`` (the C encoder called directly) give ``json.dumps``' text for any value,
    or raise its error: non-finite floats, keys of other types, tuples, what JSON cannot hold (``str`` of it
    for ``sorted_json``), keys that cannot be sorted."""

    def outcome(encode: Any) -> str:
        try:
            return encode(value)
        except (TypeError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"

    assert outcome(compact) == outcome(lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False))
    assert outcome(sorted_json) == outcome(lambda v: json.dumps(v, sort_keys=True, default=str))


def test_direct_encoders_detect_cycles() -> None:
    """The encoders made once have no circular-reference table: a cycle is encoded again with one, and
    raises what ``json.dumps`` raises; a value nested deeper than the recursion limit raises as it does."""
    loop: list[Any] = []
    loop.append(loop)
    deep: list[Any] = []
    for _ in range(sys.getrecursionlimit() + 10):
        deep = [deep]
    for encode in (compact, sorted_json):
        with pytest.raises(ValueError, match="Circular reference detected"):
            encode(loop)
        with pytest.raises(ValueError, match="Circular reference detected"):
            encode({"a": [1, {"b": loop}]})
        assert encode([loop[:0], {"a": [1]}]) in ('[[],{"a":[1]}]', '[[], {"a": [1]}]')  # a fresh table each time
        with pytest.raises(RecursionError):
            encode(deep)
        with pytest.raises(RecursionError):
            json.dumps(deep)


@pytest.mark.parametrize("text", ["", "#", "##", "a##[b", "##[##[", '"é##[x"', "no hash"])
def test_json_text_writes_every_workflow_command_opener_escaped(text: str) -> None:
    assert json_text(text) == text.replace("##[", "##\\u005b")
