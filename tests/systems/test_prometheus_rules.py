"""Rule files at parity with ``promtool check rules``: the prometheus/prometheus rulefmt suite of the peer corpus
(``EXPECTED.json``: each bad file's expected error, the files that must parse), read through the loader as
``cnverify prove`` reads them; PromQL selectors as the matchers Prometheus evaluates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import z3
from cnverify import loader, snapshot
from cnverify.encodings.promql import matcher_z3, selectors
from cnverify.encodings.regex import string_value

SUITE = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "prometheus__prometheus"
LEGACY_ONLY = "(only under the legacy name-validation scheme)"
"""EXPECTED.json's marker for a check made only under the legacy scheme; cnverify checks names under Prometheus
3's default UTF-8 scheme (any non-empty name), as ``promtool check rules`` does without a flag."""


def _errors(path: Path) -> list[str]:
    loaded = loader.load([str(path)])
    _, errors = snapshot.build(loaded)
    return [e.message for e in loaded.errors + errors]


def _suite() -> dict[str, object]:
    return json.loads((SUITE / "EXPECTED.json").read_text())


@pytest.mark.skipif(not SUITE.is_dir(), reason="the peer corpus (../shared/corpus) is not here")
def test_rulefmt_parity() -> None:
    """Agreement: every rule file of the suite as promtool says (16 of 16, the legacy-scheme case clean)."""
    suite = _suite()
    agree, cases = 0, 0
    for case in suite["bad"]:  # type: ignore[attr-defined]
        if not case["file"].startswith("model/rulefmt/"):
            continue  # config/testdata: Prometheus server configuration (promtool check config), not rule files
        cases += 1
        errs = _errors(SUITE / case["file"])
        want = case["error_contains"]
        if LEGACY_ONLY in want:
            assert errs == [], case["file"]  # valid under the default UTF-8 scheme
        else:
            assert len(errs) == 1 and want in errs[0], (case["file"], errs)
        agree += 1
    for good in suite["good"]:  # type: ignore[attr-defined]
        cases += 1
        assert _errors(SUITE / good) == [], good
        agree += 1
    assert (agree, cases) == (16, 16)


def test_errors_are_located(tmp_path: Path) -> None:
    f = tmp_path / "rules.yaml"
    f.write_text("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up{\n")
    loaded = loader.load([str(f)])
    _, errors = snapshot.build(loaded)
    # located at the rule (line 4), the message naming its field
    assert [(e.location.line, "rules[0]: expr: could not parse expression" in e.message) for e in errors] == [(4, True)]


def test_selectors_in_written_order_with_absent_marked() -> None:
    sels = selectors('absent(up{job="a"}) or rate(x{job=~"b|c", env!="dev"}[5m]) > on(job) y{job="d" or job="e"}')
    assert sels[0].alternatives == ((("__name__", "=", "up"), ("job", "=", "a")),) and sels[0].in_absent
    assert sels[1].alternatives == ((("__name__", "=", "x"), ("job", "=~", "b|c"), ("env", "!=", "dev")),)
    assert not sels[1].in_absent
    assert [alt[-1] for alt in sels[2].alternatives] == [("job", "=", "d"), ("job", "=", "e")]


@pytest.mark.parametrize(
    ("op", "pattern", "value", "matches"),
    [
        ("=~", "kube.*", "kube-scheduler", True),
        ("=~", "kube", "kube-scheduler", False),  # anchored
        ("=~", "a.b", "a\nb", True),  # (?s: …): dot matches a newline
        ("!~", "node.*", "", True),  # an absent label is ""
        ("!=", "x", "", True),
        ("=", "x", "x", True),
    ],
)
def test_matchers_as_prometheus_evaluates(op: str, pattern: str, value: str, matches: bool) -> None:
    v = z3.String("v")
    s = z3.Solver()
    s.add(v == z3.StringVal(value), matcher_z3(v, op, pattern))
    assert (s.check() == z3.sat) == matches
    if matches:
        assert string_value(s.model()[v]) == value
