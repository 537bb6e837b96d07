"""A hostile checkout: config discovery confined to the repository, no writes through symlinks,
malformed config and baseline files as clear errors (exit 2), never a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_helpers import hpa, run, write
from cnverify import config

SEL = ("--select", "CNV401")


def test_without_git_only_the_starting_directory_is_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".cnverify.yaml").write_text("fail-on: never\n")  # a shared parent, e.g. /tmp
    work = tmp_path / "checkout"
    write(work / "a.yaml", hpa("bad", 5, 3))
    monkeypatch.chdir(work)
    assert config.discover() is None
    assert run("prove", "a.yaml", *SEL)[0] == 1  # the parent's fail-on: never is not applied
    (work / ".cnverify.yaml").write_text("select: [CNV401]\n")
    assert config.discover() == work / ".cnverify.yaml"


def test_world_writable_directories_are_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    (shared / "repo" / ".git").mkdir(parents=True)
    (shared / "repo" / "sub").mkdir()
    (shared / "repo" / ".cnverify.yaml").write_text("fail-on: never\n")
    monkeypatch.chdir(shared / "repo" / "sub")
    assert config.discover() == shared / "repo" / ".cnverify.yaml"
    os.chmod(shared / "repo", 0o777)
    try:
        assert config.discover() is None
    finally:
        os.chmod(shared / "repo", 0o755)


def test_the_configuration_used_is_named_on_stderr_in_text_mode(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    (repo / ".cnverify.yaml").write_text("select: [CNV401]\n")
    _, _, err = run("prove", "a.yaml")
    assert f"cnverify: using configuration {repo / '.cnverify.yaml'}" in err
    assert "using configuration" not in run("prove", "a.yaml", "--no-config", *SEL)[2]
    code, out, err = run("prove", "a.yaml", "--format", "json")
    assert json.loads(out)["config"] == str(repo / ".cnverify.yaml") and "using configuration" not in err
    assert "config" not in json.loads(run("prove", "a.yaml", "--no-config", *SEL, "--format", "json")[1])


@pytest.mark.parametrize("option", ["--report", "--write-baseline"])
def test_no_write_through_a_symlink(repo: Path, tmp_path: Path, option: str) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (repo / "out").symlink_to(victim)
    (repo / "dangling").symlink_to(tmp_path / "nowhere")
    for target in ("out", "dangling"):
        arg = f"sarif={target}" if option == "--report" else target
        code, _, err = run("prove", "a.yaml", *SEL, option, arg)
        assert code == 2 and "refusing to write" in err and "symbolic link" in err, err
    assert victim.read_text() == "precious\n" and not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("option", ["--report", "--write-baseline"])
def test_no_write_through_a_symlinked_folder_of_the_checkout(repo: Path, tmp_path: Path, option: str) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    (tmp_path / "secret").mkdir()
    (repo / "reports").symlink_to(tmp_path / "secret")
    arg = "sarif=reports/sub/x.sarif" if option == "--report" else "reports/b.json"
    code, _, err = run("prove", "a.yaml", *SEL, option, arg)
    assert code == 2 and "its folder reports is a symbolic link" in err, err
    assert list((tmp_path / "secret").iterdir()) == []
    outside = tmp_path / "out"  # folders above the working directory are the runner's: allowed
    assert run(
        "prove", "a.yaml", *SEL, option, f"sarif={outside}/x.sarif" if option == "--report" else str(outside / "b.json")
    )[0] in (0, 1)


def test_no_write_into_a_fifo(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    os.mkfifo(repo / "pipe")
    code, _, err = run("prove", "a.yaml", *SEL, "--report", "json=pipe")
    assert code == 2 and "pipe" in err


def test_report_over_an_existing_file_replaces_it(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    (repo / "r.json").write_text("x" * 100_000)
    assert run("prove", "a.yaml", *SEL, "--report", "json=r.json")[0] == 1
    assert (repo / "r.json").read_text().startswith("{")


@pytest.mark.parametrize(
    "content,fragment",
    [
        (b'{"version": 1, "findings": [], "x": "caf\xe9"}', "baseline.json:1:41: baseline not valid UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "baseline is not usable JSON"),
        (b'{"version": 1, "findings": [' + b"1" * 5000 + b"]}", "baseline is not usable JSON"),
        (
            b'{"version": 1, "findings": [{"fingerprint": "f", "status": "violated", "file": []}]}',
            "not a cnverify baseline",
        ),
        (b'{"version": 1, "findings": 5}', "not a cnverify baseline"),
        (b"", "baseline is not valid JSON"),
    ],
)
def test_malformed_baselines_are_usage_errors(repo: Path, content: bytes, fragment: str) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    (repo / "baseline.json").write_bytes(content)
    code, out, err = run("prove", "a.yaml", *SEL, "--baseline", "baseline.json")
    assert code == 2 and fragment in err and "Traceback" not in err + out, err


def test_baseline_that_is_a_fifo_is_refused(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    os.mkfifo(repo / "baseline.json")
    code, _, err = run("prove", "a.yaml", *SEL, "--baseline", "baseline.json")
    assert code == 2 and "not a regular file" in err


@pytest.mark.parametrize(
    "name,content,fragment",
    [
        (".cnverify.yaml", b"select: [CNV401]\nfail-on: caf\xe9\n", ".cnverify.yaml:2:13: not valid UTF-8"),
        (".cnverify.yaml", b"exclude: ['[z-a]']\n", "bad character range z-a"),
        (".cnverify.yaml", b"a: " + b"[" * 5000 + b"]" * 5000, "nesting depth"),
        (".cnverify.yaml", b"timeout: " + b"9" * 5000, "'timeout' must be a positive integer"),
        (".cnverify.yaml", b"timeout: 99999999999\n", "'timeout' must be at most 2147483647"),
        ("pyproject.toml", b"[tool.cnverify]\na = " + b"[" * 5000 + b"]" * 5000, "TOML nested too deeply"),
        ("pyproject.toml", b"[tool.cnverify]\ntimeout = " + b"1" * 5000, "invalid TOML value"),
        ("pyproject.toml", b"[tool.cnverify]\nselect = ['CNV401']\nx = '\xff'\n", "not valid UTF-8"),
    ],
)
def test_malformed_config_is_a_located_usage_error(repo: Path, name: str, content: bytes, fragment: str) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    (repo / name).write_bytes(content)
    code, out, err = run("prove", "a.yaml")
    assert code == 2 and fragment in err and "Traceback" not in err + out, err


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "markdown"])
def test_undecodable_file_names_in_every_format(repo: Path, fmt: str) -> None:
    bad = os.fsdecode(b"caf\xe9.yaml")
    write(repo / bad, hpa("bad", 5, 3))
    (repo / os.fsdecode(b"e\xff.json")).write_text("")
    code, out, err = run("prove", ".", *SEL, "--format", fmt, "--report", "sarif=r.sarif")
    assert code == 2 and "Traceback" not in out + err, err
    out.encode("utf-8")
    assert "caf\\xe9.yaml" in out or "caf%5Cxe9.yaml" in out  # sarif: the printable name, percent-encoded
    assert "e%FF.json" in (repo / "r.sarif").read_text()  # a loader error keeps the raw name: its bytes


def test_config_symlinked_out_of_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    secret = tmp_path / "docker-config.json"
    secret.write_text('{"auths": {"registry": "token"}}\n')
    (repo / ".cnverify.yaml").symlink_to(secret)
    code, out, err = run("prove", "a.yaml", *SEL)
    assert code == 2 and "symbolic link out of the repository" in err and "auths" not in out + err, err
    (repo / ".cnverify.yaml").unlink()
    (repo / "conf").mkdir()
    (repo / "conf" / "real.yaml").write_text("select: [CNV401]\nfail-on: never\n")
    (repo / ".cnverify.yaml").symlink_to(repo / "conf" / "real.yaml")  # inside the checkout: fine
    assert run("prove", "a.yaml")[0] == 0


def test_config_that_is_a_fifo_is_refused(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    os.mkfifo(repo / "cfg.yaml")
    code, _, err = run("prove", "a.yaml", "--config", "cfg.yaml")
    assert code == 2 and "not a regular file" in err
