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


def test_variables_defaults_locals_and_templates_are_substituted() -> None:
    text = (
        'variable "n" {\n  default = 2\n}\nvariables {\n  image = "nginx"\n}\n'
        "locals {\n  total = local.base + var.n\n  base  = 3\n}\n"
        'job "j" {\n  group "g" {\n    count = max(local.total, 1) * 2\n'
        '    task "t" {\n      driver = "docker"\n      config {\n        image = "${var.image}:1 on ${attr.kernel.name}"\n'
        "      }\n    }\n  }\n}\n"
    )
    [doc] = read(text, "j.nomad")
    assert not isinstance(doc, InputError)
    group = doc.data["groups"][0]
    assert group["count"] == 10  # locals in any order (types.config.go retries), max() evaluated
    assert group["tasks"][0]["config"]["image"] == "nginx:1 on ${attr.kernel.name}"  # attr.* is the client's
    assert "variables" not in doc.data  # every variable the job uses has a value


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (  # jobspec2 validateValue: a default must pass the variable's own validation
            'variable "n" {\n  default = 9\n  validation {\n    condition = var.n < 5\n'
            '    error_message = "Below five."\n  }\n}\njob "j" {\n  group "g" {\n    count = var.n\n  }\n}\n',
            2,
            "Invalid value for default variable: Below five.",
        ),
        ('job "j" {\n  group "g" {\n    count = var.missing\n  }\n}\n', 3, 'there is no variable named "missing"'),
        ('job "j" {\n  group "g" {\n    count = local.nope + 1\n  }\n}\n', 3, 'no local value named "nope"'),
        (  # jobspec2/functions.go has no such function
            'job "j" {\n  group "g" {\n    count = tonumber("3")\n  }\n}\n',
            3,
            'There is no function named "tonumber"',
        ),
    ],
)
def test_variable_and_function_errors_are_located(tmp_path: Path, text: str, line: int, message: str) -> None:
    (tmp_path / "bad.nomad").write_text(text)
    (tmp_path / "good.nomad").write_text(
        'job "good" {\n  group "g" {\n    count = 5\n    scaling {\n      max = 3\n    }\n  }\n}\n'
    )
    report = prove([str(tmp_path)], Options(select=["CNV401"]))
    [error] = report.errors
    assert (error.location.line, message in error.message) == (line, True), str(error)
    [result] = report.results  # the other file is still verified
    assert (result.status, result.subject["name"]) == ("violated", "good.g")


def test_variables_without_a_value_stay_symbolic() -> None:
    text = (
        'variable "n" {\n  type = number\n  validation {\n    condition = var.n >= 1\n'
        '    error_message = "At least one."\n  }\n}\njob "j" {\n  group "g" {\n    count = var.n + 1\n  }\n}\n'
    )
    [doc] = read(text, "j.nomad")
    assert not isinstance(doc, InputError)
    assert doc.data["groups"][0]["count"] == "${var.n + 1}"
    [declared] = doc.data["variables"]
    assert declared["name"] == "n" and declared["validation"][0]["error_message"] == "At least one."
    assert doc.span(("groups", 0, "variables", 0, "validation", 0)).line == 3
