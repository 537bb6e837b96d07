"""Configuration files: discovery, keys, precedence (file < CLI), errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import hpa, run, run_json, verdicts, write
from cnverify import config

BAD_AND_UNKNOWN = (hpa("bad", 5, 3), hpa("open", 1, None))


def test_yaml_config_sets_select_fail_on_and_fail_on_unknown(repo: Path) -> None:
    write(repo / "k8s" / "a.yaml", *BAD_AND_UNKNOWN)
    (repo / ".cnverify.yaml").write_text("select: [CNV401]\nfail-on: never\nfail-on-unknown: true\n")
    code, doc = run_json("prove", "k8s")
    assert verdicts(doc) == {"CNV401 bad": "violated", "CNV401 open": "unknown"}
    assert code == 3  # violations never fail; the unknown does


def test_cli_flags_override_the_file(repo: Path) -> None:
    write(repo / "a.yaml", *BAD_AND_UNKNOWN)
    (repo / ".cnverify.yaml").write_text("select: [CNV401]\nfail-on: never\nfail-on-unknown: true\n")
    assert run("prove", "a.yaml", "--fail-on", "error")[0] == 1
    assert run("prove", "a.yaml", "--no-fail-on-unknown")[0] == 0
    assert run("prove", "a.yaml", "--no-config", "--select", "CNV401")[0] == 1  # the defaults again
    code, doc = run_json("prove", "a.yaml", "--select", "CNV402")
    assert {r["property"] for r in doc["results"]} == {"CNV402"}


def test_severity_override_goes_through_the_engine(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    (repo / ".cnverify.yaml").write_text("select: [CNV401]\nseverity:\n  hpa-bounds: warning\n")
    code, doc = run_json("prove", "a.yaml")
    assert [r["severity"] for r in doc["results"]] == ["warning"] and code == 0
    assert run("prove", "a.yaml", "--fail-on", "warning")[0] == 1


def test_pyproject_table_found_walking_up_from_a_subdirectory(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo / "deploy" / "prod" / "a.yaml", hpa("bad", 5, 3))
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.cnverify]\nselect = ["CNV401"]\nfail-on = "never"\ntimeout = 2000\n'
    )
    monkeypatch.chdir(repo / "deploy" / "prod")
    assert config.discover() == repo / "pyproject.toml"
    code, doc = run_json("prove", "a.yaml")
    assert verdicts(doc) == {"CNV401 bad": "violated"} and code == 0


def test_discovery_stops_at_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".cnverify.yaml").write_text("fail-on: never\n")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "repo")
    assert config.discover() is None
    (tmp_path / "repo" / ".cnverify.yml").write_text("fail-on: never\n")
    assert config.discover() == tmp_path / "repo" / ".cnverify.yml"


def test_explicit_config_file_and_no_config(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    (repo / ".cnverify.yaml").write_text("bogus: 1\n")
    (repo / "ci.yaml").write_text("select: CNV401\nfail-on: never\n")
    assert run("prove", "a.yaml", "--config", "ci.yaml")[0] == 0
    assert run("prove", "a.yaml", "--no-config", "--select", "CNV401")[0] == 1
    code, _, err = run("prove", "a.yaml", "--config", "ci.yaml", "--no-config")
    assert code == 2 and "exclude each other" in err


@pytest.mark.parametrize(
    "text,message",
    [
        ("select: [CNV401]\nfial-on: never\n", "a/.cnverify.yaml:2:1: unknown key 'fial-on'; did you mean 'fail-on'?"),
        (
            "fail-on: sometimes\n",
            "a/.cnverify.yaml:1:1: 'fail-on' must be one of error, warning, info, never, not 'sometimes'",
        ),
        ("fail-on-unknown: 1\n", "a/.cnverify.yaml:1:1: 'fail-on-unknown' must be true or false, not 1"),
        ("select: [CNV401]\nignore: [CNV9]\n", "a/.cnverify.yaml:2:1: unknown property code or name in 'ignore': CNV9"),
        (
            "severity:\n  CNV401: fatal\n",
            "a/.cnverify.yaml:2:3: 'severity' of CNV401 must be one of error, warning, info, not 'fatal'",
        ),
        (
            "severity:\n  CNV401: info\n  nope: error\n",
            "a/.cnverify.yaml:3:3: 'severity': unknown property code or name: nope",
        ),
        ("timeout: -5\n", "a/.cnverify.yaml:1:1: 'timeout' must be a positive integer (milliseconds), not -5"),
        ("exclude: {a: 1}\n", "a/.cnverify.yaml:1:1: 'exclude' must be a list of strings"),
        ("- select\n", "a/.cnverify.yaml:1:1: the configuration must be a mapping"),
        ("select: [\n", "a/.cnverify.yaml:2:1: YAML syntax error"),
    ],
)
def test_yaml_errors_name_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    """The location is the offending key's (a severity entry's own key)."""
    (tmp_path / "a" / ".git").mkdir(parents=True)
    (tmp_path / "a" / ".cnverify.yaml").write_text(text)
    (tmp_path / "a" / "m.yaml").write_text(hpa("ok", 1, 2))
    monkeypatch.chdir(tmp_path)
    code, out, err = run("prove", "a/m.yaml", "--config", "a/.cnverify.yaml")
    assert code == 2 and not out
    assert message in err, err


@pytest.mark.parametrize(
    "text,message",
    [
        (
            '[tool.cnverify]\nselect = ["CNV401"]\nfail_on = "never"\n',
            "pyproject.toml:3: tool.cnverify.fail_on: unknown key 'fail_on'; did you mean 'fail-on'?",
        ),
        (
            '[tool.cnverify]\ntimeout = "1s"\n',
            "pyproject.toml:2: tool.cnverify.timeout: 'timeout' must be a positive integer",
        ),
        (
            '[tool.cnverify.severity]\nCNV401 = "loud"\n',
            "pyproject.toml:2: tool.cnverify.severity.CNV401: 'severity' of CNV401 must be one of",
        ),
        (
            '[tool.cnverify]\nseverity = { CNV401 = "loud" }\n',
            "pyproject.toml:2: tool.cnverify.severity.CNV401: 'severity' of CNV401",
        ),
        ("[tool.cnverify\n", "pyproject.toml: Expected ']'"),
    ],
)
def test_toml_errors_give_key_path_and_line(repo: Path, text: str, message: str) -> None:
    (repo / "pyproject.toml").write_text(text)
    write(repo / "a.yaml", hpa("ok", 1, 2))
    code, _, err = run("prove", "a.yaml", "--config", "pyproject.toml")
    assert code == 2 and message in err, err


def test_other_toml_file_uses_top_level_keys(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    (repo / "ci.toml").write_text('select = ["CNV401"]\nfail-on = "never"\n')
    assert run("prove", "a.yaml", "--config", "ci.toml")[0] == 0
    (repo / "ci.toml").write_text('select = ["CNV401"]\n\n[severity]\nCNV401 = 3\n')
    code, _, err = run("prove", "a.yaml", "--config", "ci.toml")
    assert code == 2 and "ci.toml:4: severity.CNV401: 'severity' of CNV401 must be one of" in err, err


def test_exclude_globs_from_file_and_cli(repo: Path) -> None:
    write(repo / "k8s" / "app.yaml", hpa("app", 5, 3))
    write(repo / "k8s" / "tests" / "t.yaml", hpa("t", 5, 3))
    write(repo / "vendor" / "x" / "v.yaml", hpa("v", 5, 3))
    write(repo / "k8s" / "gen.generated.yaml", hpa("g", 5, 3))
    (repo / ".cnverify.yaml").write_text("select: [CNV401]\nexclude: ['vendor', 'k8s/tests/', '*.generated.yaml']\n")
    _, doc = run_json("prove", ".")
    assert set(verdicts(doc)) == {"CNV401 app"}
    assert [i["file"] for i in doc["inputs"]] == ["./k8s/app.yaml"]
    _, doc = run_json("prove", "k8s/tests/t.yaml", "k8s/app.yaml")  # explicit files are excluded too
    assert set(verdicts(doc)) == {"CNV401 app"}
    _, doc = run_json("prove", ".", "--exclude", "app.yaml", "--no-config", "--select", "CNV401")
    assert set(verdicts(doc)) == {"CNV401 t", "CNV401 v", "CNV401 g"}


def test_glob_semantics() -> None:
    ex = config.Excluder()
    ex.add(["charts/**/templates/*.yaml", "/top.yaml", "?.yml"], Path("/r"))
    assert ex.excluded("/r/charts/a/b/templates/x.yaml") and ex.excluded("/r/charts/templates/x.yaml")
    assert not ex.excluded("/r/charts/a/templates/sub/x.yaml") and not ex.excluded("/r/other/charts/templates/x.yaml")
    assert ex.excluded("/r/top.yaml") and not ex.excluded("/r/d/top.yaml")
    assert ex.excluded("/r/d/a.yml") and not ex.excluded("/r/d/ab.yml") and not ex.excluded("/s/a.yml")
    assert not ex.excluded("-")


def test_config_baseline_key_is_relative_to_the_file(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    assert run("prove", "a.yaml", "--select", "CNV401", "--write-baseline", "base.json")[0] == 0
    (repo / ".cnverify.yaml").write_text("select: [CNV401]\nbaseline: base.json\n")
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    code, doc = run_json("prove", "../a.yaml")
    assert code == 0 and doc["baseline"]["unchanged"] == 1
