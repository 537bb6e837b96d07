"""One selection rule (cnverify.registry.resolve) for every caller: the same token names the same codes in
``--select``/``--ignore`` of prove and diff, ``--explain``, the config's ``select``/``ignore``/``severity``,
``cnverify.io/ignore`` annotations and the library's Options; an unknown token is an error (or, in an
annotation, a warning) naming it, with a close-match hint, everywhere."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import cnverify
import cnverify.cli
import cnverify.diff.command
import pytest
from cli_helpers import hpa, run_json, write
from click.testing import CliRunner
from cnverify import config, suppress
from cnverify.cli import main
from cnverify.engine import Options, selected
from cnverify.errors import Span
from cnverify.registry import UnknownProperty, load_properties, resolve

ALL = set(load_properties())


class Captured(Exception):
    """Raised in place of a run: carries the options a command built."""

    def __init__(self, options: Options) -> None:
        self.options = options


def _capture(monkeypatch: pytest.MonkeyPatch, *args: str) -> Options:
    def stop(*a: object) -> None:
        raise Captured(next(x for x in a if isinstance(x, Options)))

    monkeypatch.setattr(cnverify.cli, "prove", stop)
    monkeypatch.setattr(cnverify.diff.command, "_run", stop)
    res = CliRunner().invoke(main, list(args))
    assert isinstance(res.exception, Captured), res.output
    return res.exception.options


def _codes(options: Options) -> set[str]:
    return {p.code for p in selected(options)}


def _config(repo: Path, text: str) -> config.Config:
    (repo / ".cnverify.yaml").write_text(text)
    return config.load(repo / ".cnverify.yaml")


CALLERS: dict[str, Callable[[pytest.MonkeyPatch, Path, str], set[str]]] = {
    "library Options": lambda mp, repo, t: _codes(Options(select=[t])),
    "prove --select": lambda mp, repo, t: _codes(_capture(mp, "prove", "x.yaml", "--select", t)),
    "prove --ignore": lambda mp, repo, t: ALL - _codes(_capture(mp, "prove", "x.yaml", "--ignore", t)),
    "prove --explain": lambda mp, repo, t: _codes(_capture(mp, "prove", "x.yaml", "--explain", t)),
    "config select": lambda mp, repo, t: _codes(Options(select=_config(repo, f"select: [{t!r}]\n").select or [])),
    "config ignore": lambda mp, repo, t: ALL - _codes(Options(ignore=_config(repo, f"ignore: {t!r}\n").ignore or [])),
    "config severity": lambda mp, repo, t: set(_config(repo, f"severity: {{{t!r}: info}}\n").severity),
    "annotation": lambda mp, repo, t: set().union(*map(suppress.codes_of, suppress.parse(t, Span("f", 1, 1)).tokens)),
    "diff --select": lambda mp, repo, t: _codes(_capture(mp, "diff", "a", "b", "--select", t)),
    "diff --ignore": lambda mp, repo, t: ALL - _codes(_capture(mp, "diff", "a", "b", "--ignore", t)),
}

TOKENS = {  # token -> a code it must name, a code it must not name, how many it names
    "cnv102": ("CNV102", "CNV101", 1),
    "CNV102": ("CNV102", "CNV103", 1),
    "route-target-exists": ("CNV102", "CNV101", 1),
    "Route-Target-Exists": ("CNV102", "CNV101", 1),
    "CNV1": ("CNV105", "CNV201", len({c for c in ALL if c.startswith("CNV1")})),
    "cnv40": ("CNV401", "CNV301", len({c for c in ALL if c.startswith("CNV40")})),
    "cnv": ("CNV301", "CNV000", len(ALL)),
}
UNKNOWN = {
    "CNV9": None,
    "CNV000": None,
    "route-target": "route-target-exists",
    "cnv-102": "CNV102",
    "hpa_bounds": "hpa-bounds",
    "C": None,
}


@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize("token", sorted(TOKENS))
def test_every_caller_names_the_same_codes(
    repo: Path, monkeypatch: pytest.MonkeyPatch, caller: str, token: str
) -> None:
    inside, outside, count = TOKENS[token]
    codes = CALLERS[caller](monkeypatch, repo, token)
    assert codes == resolve(token)
    assert inside in codes and outside not in codes and len(codes) == count


@pytest.mark.parametrize("token", sorted(UNKNOWN))
def test_unknown_token_is_an_error_with_a_hint_everywhere(repo: Path, token: str) -> None:
    hint = UNKNOWN[token]
    tail = f"; did you mean {hint}?" if hint else " (see 'cnverify properties list')"
    for args in (
        ["prove", "x.yaml", "--select", token],
        ["prove", "x.yaml", "--ignore", f"CNV1,{token}"],
        ["prove", "x.yaml", "--explain", token],
        ["diff", "a", "b", "--select", token],
    ):
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 2 and f"unknown property code or name: {token}{tail}" in res.output, args
    for text, where in (
        (f"select: [CNV1, {token!r}]\n", "1:1: unknown property code or name in 'select'"),
        (f"severity:\n  {token!r}: info\n", "2:3: 'severity'"),
    ):
        with pytest.raises(config.ConfigError) as err:
            _config(repo, text)
        assert str(err.value).startswith(f"{repo / '.cnverify.yaml'}:{where}") and f"{token}{tail}" in str(err.value)
    (repo / ".cnverify.yaml").unlink()
    with pytest.raises(UnknownProperty, match=re.escape(f"unknown property code or name: {token}{tail}")):
        cnverify.prove([str(repo)], ignore=[token])
    write(repo / "a.yaml", hpa("bad", 5, 3, ignore=f"{token} -- why"))
    _, doc = run_json("prove", "a.yaml", "--select", "CNV401")
    [w] = doc["warnings"]
    assert w["kind"] == "unknown-suppression" and w["message"].endswith(
        f"names {token}, which is no cnverify property" + (f"; did you mean {hint}?" if hint else "")
    )


def test_annotation_prefix_suppresses_every_property_it_names(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3, ignore="cnv4 -- legacy"), hpa("other", 5, 3))
    code, doc = run_json("prove", "a.yaml", "--select", "CNV401")
    assert code == 1 and [(s["property"], s["subject"]["name"]) for s in doc["suppressed"]] == [("CNV401", "bad")]
    assert [r["subject"]["name"] for r in doc["results"]] == ["other"] and "warnings" not in doc


def test_severity_most_specific_token_wins(repo: Path) -> None:
    cfg = _config(repo, "severity:\n  CNV102: info\n  CNV1: warning\n  cnv: error\n")
    assert cfg.severity["CNV102"] == "info" and cfg.severity["CNV101"] == "warning"
    assert cfg.severity["CNV401"] == "error"


def test_explain_of_a_prefix_naming_several_is_a_usage_error() -> None:
    res = CliRunner().invoke(main, ["properties", "explain", "CNV1"])
    assert res.exit_code == 2 and "CNV1 names" in res.output and "explain takes one" in res.output
    res = CliRunner().invoke(main, ["properties", "explain", "cnv401"])
    assert res.exit_code == 0 and res.output.startswith("# CNV401 hpa-bounds")
