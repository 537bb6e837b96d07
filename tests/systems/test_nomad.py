"""Nomad (docs/SEMANTICS.md#nomad): the job-file reader (values, spans, client-side rejections), defaults, and
parity with the corpus fixtures' expected parse and registration outcomes (corpus hashicorp__nomad EXPECTED.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cnverify.engine import Options, prove
from cnverify.errors import InputError
from cnverify.loader import load
from cnverify.model.nomad import TaskGroup
from cnverify.snapshot import build
from cnverify.systems.nomad.jobspec import NOT_NOMAD, read

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "hashicorp__nomad"
REJECTED = {  # jobspec/parse_test.go: these fixtures do not parse
    "tg-scaling-policy-missing-max.hcl": "missing 'max'",
    "tg-scaling-policy-multi-policy.hcl": "only one 'policy' block",
    "tg-scaling-policy-with-label.hcl": "should not have a name",
    "tg-scaling-policy-invalid-type.hcl": "invalid type",
    "task-scaling-policy-missing-name.hcl": "exactly one name",
    "task-scaling-policy-multi-name.hcl": "exactly one name",
    "task-scaling-policy-multi-cpu.hcl": "duplicate scaling policy",
    "task-scaling-policy-invalid-type.hcl": "invalid type",
    "task-scaling-policy-invalid-resource.hcl": "must be 'cpu' or 'mem'",
}
REGISTERED = {  # e2e/scaling/scaling.go: registration outcome by file
    "namespace_default_1.nomad": ("proved", None),
    "namespace_a_1.nomad": ("proved", None),
    "namespace_default_2.nomad": ("violated", "count must not be greater than maximum count"),
    "namespace_default_3.nomad": ("violated", "count must not be less than minimum count"),
}


def test_reader_values_spans_and_what_is_not_nomad() -> None:
    text = 'job "web" {\n  group "api" {\n    count = 2\n    task "t" {\n      resources {\n        memory = 64\n      }\n    }\n  }\n}\n'
    [doc] = read(text, "web.nomad")
    assert not isinstance(doc, InputError)
    assert doc.data["groups"][0]["count"] == 2 and doc.data["groups"][0]["tasks"][0]["resources"]["memory"] == 64
    assert (
        doc.span(("groups", 0, "count")).line == 3
        and doc.span(("groups", 0, "tasks", 0, "resources", "memory")).line == 6
    )
    assert read('resource "aws_instance" "x" {\n  ami = "a"\n}\n', "main.hcl") == NOT_NOMAD  # Terraform
    [err] = read('job "x" {\n  group "g" {\n    count = \n  }\n}\n', "x.nomad")
    assert isinstance(err, InputError) and err.location.line == 3 and "does not parse" in err.message


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not beside the checkout")
def test_parse_parity_with_the_jobspec_fixtures() -> None:
    fixtures = sorted((CORPUS / "jobspec" / "test-fixtures").glob("*.hcl")) + [
        CORPUS / "jobspec2" / "test-fixtures" / "connect-example.hcl"
    ]
    agree = 0
    for f in fixtures:
        got = read(f.read_text(), str(f))
        errors = [e.message for e in got if isinstance(e, InputError)] if isinstance(got, list) else []
        expected = REJECTED.get(f.name)
        assert (bool(errors), expected is not None and any(expected in e for e in errors)) == (
            expected is not None,
        ) * 2, f.name
        agree += 1
    assert agree == len(fixtures) == 19


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not beside the checkout")
def test_registration_parity_with_the_e2e_scaling_jobs() -> None:
    for name, (status, message) in REGISTERED.items():
        report = prove([str(CORPUS / "e2e" / "scaling" / "input" / name)], Options(select=["CNV401"]))
        [result] = report.results
        assert result.status == status, name
        assert message is None or message in result.message, name


def test_count_defaults_and_job_level_tasks(tmp_path: Path) -> None:
    (tmp_path / "a.nomad").write_text(
        'job "a" {\n  group "g" {\n    scaling {\n      min = 0\n      max = 4\n    }\n  }\n'
        '  task "solo" {\n    driver = "docker"\n  }\n}\n'
    )
    snap = build(load([str(tmp_path)]))[0]
    groups = {g.name: g for g in snap.all(TaskGroup)}
    assert set(groups) == {"a.g", "a.solo"}  # a job-level task runs in a group of its own name
    g = groups["a.g"].own_replicas()
    assert (g.low, g.high) == (0, 4)  # count defaults to scaling.min 0: a job that validly runs nothing
    solo = groups["a.solo"].own_replicas()
    assert (solo.low, solo.high) == (1, 1)
    assert groups["a.g"].namespace == "nomad:default"


def test_a_broken_file_is_located_and_the_rest_is_verified(tmp_path: Path) -> None:
    (tmp_path / "bad.nomad").write_text('job "bad" {\n  group "g" {\n    count = \n  }\n}\n')
    (tmp_path / "good.nomad").write_text(
        'job "good" {\n  group "g" {\n    count = 5\n    scaling {\n      max = 3\n    }\n  }\n}\n'
    )
    report = prove([str(tmp_path)], Options(select=["CNV401"]))
    [error] = [str(e) for e in report.errors]
    assert "bad.nomad:3:" in error and "does not parse" in error
    [result] = report.results
    assert (result.status, result.subject["name"]) == ("violated", "good.g")
