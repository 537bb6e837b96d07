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
from cnverify.systems.nomad.hclexpr import HclError, Sym, evaluate, parse
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
REGISTERED = {  # e2e/scaling/scaling.go, e2e/rescheduling (EXPECTED.md): registration outcome by file
    "e2e/scaling/input/namespace_default_1.nomad": ("CNV401", "proved", "holds"),
    "e2e/scaling/input/namespace_a_1.nomad": ("CNV401", "proved", "holds"),
    "e2e/scaling/input/namespace_default_2.nomad": ("CNV401", "violated", "count must not be greater than maximum"),
    "e2e/scaling/input/namespace_default_3.nomad": ("CNV401", "violated", "count must not be less than minimum"),
    # valid jobs, inputs of the "peak allocations = count + canary" rule: the worst state CNV302 reports
    "e2e/rescheduling/input/rescheduling_canary.nomad": ("CNV302", "unknown", "3 allocations + 1 canary"),
    "e2e/rescheduling/input/rescheduling_canary_autorevert.nomad": ("CNV302", "unknown", "3 allocations + 3 canaries"),
    "e2e/rescheduling/input/rescheduling_maxp.nomad": ("CNV302", "unknown", "(+ up to 1 replacing them"),
}
SERVER_REJECTS = {  # parses (TestParse), but the server's TaskGroup.Validate rejects it: a batch job with update
    "basic.hcl": 'Job type "batch" does not allow update block',
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


def outcome(path: Path) -> tuple[str, str]:
    """cnverify's outcome for one job file: ("parse", message) when the jobspec parser rejects it, ("server",
    message) when the server's validation does, else ("clean", "")."""
    got = read(path.read_text(), str(path))
    errors = [e.message for e in got if isinstance(e, InputError)] if isinstance(got, list) else []
    parse = [e for e in errors if "rejects the job file" in e or "does not parse" in e]
    if parse:
        return "parse", parse[0]
    return ("server", errors[0]) if errors else ("clean", "")


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not beside the checkout")
def test_peer_parity_with_expected_md() -> None:
    """Every fixture of the corpus, against EXPECTED.md: 19 parse outcomes (jobspec TestParse), 7 registration
    outcomes (e2e scaling and rescheduling). Agreement: 26 of 26."""
    fixtures = sorted((CORPUS / "jobspec" / "test-fixtures").glob("*.hcl")) + [
        CORPUS / "jobspec2" / "test-fixtures" / "connect-example.hcl"
    ]
    agree = []
    for f in fixtures:
        kind, message = outcome(f)
        if f.name in REJECTED:
            assert (kind, REJECTED[f.name] in message) == ("parse", True), f.name
        else:  # parses; basic.hcl would then fail registration (a batch job with an update block)
            assert kind == ("server" if f.name in SERVER_REJECTS else "clean"), (f.name, message)
            assert SERVER_REJECTS.get(f.name, "") in message, f.name
        agree.append(f.name)
    for name, (code, status, says) in REGISTERED.items():
        assert outcome(CORPUS / name) == ("clean", ""), name
        report = prove([str(CORPUS / name)], Options(select=[code]))
        [result] = report.results
        assert (result.status, says in result.message) == (status, True), (name, result.message)
        agree.append(name)
    assert len(agree) == len(fixtures) + len(REGISTERED) == 26


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


def job(group_body: str, *, head: str = "") -> str:
    return f'job "j" {{\n{head}  group "g" {{\n{group_body}  }}\n}}\n'


TASK = '    task "t" {{\n      driver = "docker"\n      resources {{\n{}      }}\n    }}\n'


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [  # nomad/structs/structs.go at a4cc76bd, after the api package's defaults
        (job(TASK.format("        cpu   = 100\n        cores = 2\n")), 7, "not both"),
        (job(TASK.format("        cpu = 0\n")), 6, "minimum CPU value is 1; got 0"),
        (job(TASK.format("        cores = 0\n")), 5, "minimum CPU value is 1; got 0"),  # cpu stays unset: 0
        (job(TASK.format("        memory = 5\n")), 6, "minimum MemoryMB value is 10; got 5"),
        (job("    count = -1\n"), 3, "Task group count can't be negative"),
        (job("    update {\n      canary = -1\n    }\n"), 3, "Canary count can not be less than zero: -1 < 0"),
        (job("    update {\n      auto_promote = true\n    }\n"), 3, "Auto Promote requires a Canary count"),
        (job("", head='  type = "batch"\n  update {\n    max_parallel = 2\n  }\n'), 3, 'Job type "batch" does not'),
        (job("    count = 2\n", head='  type = "system"\n'), 4, "Count cannot exceed 1 with system scheduler"),
        (job("", head='  type = "daemon"\n'), 2, 'Invalid job type: "daemon"'),
        (
            job('    task "t" {\n      driver = "a"\n    }\n    task "t" {\n      driver = "b"\n    }\n'),
            6,
            "Task 2 redefines 't' from task 1",
        ),
        ('job "j" {\n  group "g" {\n  }\n  group "g" {\n  }\n}\n', 4, "Job task group 2 redefines 'g' from group 1"),
    ],
)
def test_server_validation_is_a_located_input_error(text: str, line: int, message: str) -> None:
    got = read(text, "j.nomad")
    assert isinstance(got, list)
    errors = [e for e in got if isinstance(e, InputError)]
    assert [(e.location.line, message in e.message) for e in errors] == [(line, True)], [str(e) for e in errors]
    assert "(server validation)" in errors[0].message


def test_valid_resources_and_updates_register() -> None:
    text = job(
        TASK.format("        cores  = 2\n        memory = 10\n")
        + "    update {\n      canary       = 1\n      auto_promote = true\n    }\n",
        head="  update {\n    max_parallel = 0\n  }\n",
    )
    [doc] = read(text, "j.nomad")
    assert not isinstance(doc, InputError)


def test_quota_and_namespace_specifications(tmp_path: Path) -> None:
    quota = 'name = "q"\n\nlimit {\n  region = "global"\n  region_limit {\n    cpu  = 100\n    disk = 5\n  }\n}\n'
    [error] = read(quota, "q.hcl")
    assert isinstance(error, InputError) and error.location.line == 7 and "invalid key: disk" in error.message
    [doc] = read(quota.replace("    disk = 5\n", ""), "q.hcl")
    assert not isinstance(doc, InputError)
    assert (
        doc.data["limits"][0]["regionLimit"] == {"cpu": 100} and doc.span(("limits", 0, "regionLimit", "cpu")).line == 6
    )
    [ns] = read('name  = "team"\nquota = "q"\n', "ns.hcl")
    assert not isinstance(ns, InputError) and ns.data["quota"] == "q"
    assert read('quota = "x"\nthis is { not hcl2\n', "other.hcl") == NOT_NOMAD  # spec-like, not Nomad's


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 / 4", 2.5),
        ("6 / 2", 3),  # cty numbers: a whole quotient is a whole number
        ("-2 * 3 + 10 % 4", -4),
        ("1 < 2 && !false || false", True),
        ('var.n > 2 ? "big" : "small"', "big"),
        ('"n=${var.n}, ${attr.kernel.name}"', "n=3, ${attr.kernel.name}"),
        ("max(var.n, 7, 2) - min(4, abs(-5))", 3),
        ("[1, 2, var.n][2]", 3),
        ("node.unique.name", "${node.unique.name}"),  # not an HCL variable: left to the client
    ],
)
def test_hcl_expressions_evaluate_as_jobspec2_does(text: str, value: object) -> None:
    got = evaluate(parse(text), lambda root, name: 3)
    assert (got, type(got)) == (value, type(value))


def test_an_expression_over_a_variable_without_a_value_stays_residual() -> None:
    got = evaluate(
        parse("var.n * 2 + local.k"), lambda root, name: 1 if root == "local" else Sym(("get", ("ref", "var"), name))
    )
    assert isinstance(got, Sym) and got.text == "(var.n * 2) + 1"
    with pytest.raises(HclError, match="no function named"):
        evaluate(parse("tonumber(1)"), lambda root, name: 0)


def test_dynamic_blocks_are_not_expanded_and_make_what_they_may_generate_unknown(tmp_path: Path) -> None:
    (tmp_path / "d.nomad").write_text(
        'job "j" {\n  dynamic "group" {\n    for_each = ["a"]\n    labels   = [group.value]\n    content {}\n  }\n'
        '  group "g" {\n    network {\n      dynamic "port" {\n        for_each = ["http"]\n        labels   = [port.value]\n'
        '        content {}\n      }\n    }\n    service {\n      name = "web"\n      port = "http"\n    }\n  }\n}\n'
    )
    report = prove([str(tmp_path)], Options(select=["CNV102", "CNV302"]))
    got = sorted((r.property, r.status, r.subject["name"], r.location.line) for r in report.results)
    assert got == [
        ("CNV102", "unknown", "j.g", 17),  # the label may come from the dynamic port block: not violated
        ("CNV302", "unknown", "j.dynamic group 1", 2),  # a group the dynamic block generates: its content unknown
        ("CNV302", "unknown", "j.g", 7),
    ]
