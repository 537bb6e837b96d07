"""The JSON writer: compact by default, indented with ``pretty``, the same value either way."""

from __future__ import annotations

import dataclasses
import gc
import json

import pytest
from cnverify.proof import Report, Step
from cnverify.report import json as json_writer
from report_sample import options


def test_compact_is_one_line_and_the_report_value(report: Report) -> None:
    out = json_writer.render(report, options())
    assert out == json.dumps(report.to_json(), separators=(",", ":"), ensure_ascii=False) + "\n"
    assert out.count("\n") == 1 and '"version":1,' in out
    assert json.loads(out) == report.to_json()


def test_pretty_is_the_same_value_indented(report: Report) -> None:
    compact = json_writer.render(report, options())
    pretty = json_writer.render(report, dataclasses.replace(options(), pretty=True))
    assert pretty == json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
    assert json.loads(pretty) == json.loads(compact)


def test_both_layouts_escape_legacy_commands_and_keep_unicode(report: Report) -> None:
    report.results[0].chain.append(Step("##[error]forged ≤"))
    for pretty in (False, True):
        out = json_writer.render(report, dataclasses.replace(options(), pretty=pretty))
        assert "##[" not in out and "##\\u005b" in out and "≤" in out
        assert json.loads(out)["results"][0]["chain"][-1]["claim"] == "##[error]forged ≤"


def test_gc_state_restored(report: Report) -> None:
    assert gc.isenabled()
    json_writer.render(report, options())
    assert gc.isenabled()


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_pieces_join_to_the_compact_bytes(report: Report, batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    report.results[-1].chain.append(Step("##[error]forged ≤"))
    monkeypatch.setattr(json_writer, "BATCH", batch)
    pieces = list(json_writer.chunks(report, options()))
    whole = json.dumps(report.to_json(), separators=(",", ":"), ensure_ascii=False).replace("##[", "##\\u005b") + "\n"
    assert "".join(pieces) == json_writer.render(report, options()) == whole
    assert len(pieces) > len(report.to_json()) + -(-len(report.results) // batch) - 1  # the results come in batches
    assert gc.isenabled()


def test_pieces_of_a_report_without_results(report: Report) -> None:
    empty = dataclasses.replace(report, results=[])
    out = "".join(json_writer.chunks(empty, options()))
    assert out == json.dumps(empty.to_json(), separators=(",", ":"), ensure_ascii=False) + "\n"
    assert '"results":[],' in out
