"""AWS Lambda via CloudFormation/SAM (docs/SEMANTICS.md#aws-lambda-via-sam): the intrinsic-aware reader, SAM's
translation errors (parity with the SAM translator's expected outputs in the corpus), and what is left alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cnverify.engine import Options, prove
from cnverify.errors import InputError
from cnverify.systems.lambda_sam.splits import predefined_states
from cnverify.systems.lambda_sam.template import NOT_CFN, read
from hypothesis import given
from hypothesis import strategies as st

SAM = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "corpus"
    / "aws__serverless-application-model"
    / "tests"
    / "translator"
)


def test_short_tags_become_long_forms_with_spans() -> None:
    text = (
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Role: !GetAtt R.Arn\n      Name: !Sub '${AWS::StackName}-f'\n      Memory: !If [Big, 1024, 128]\n"
        "      Tags:\n        - !Ref Env\n"
    )
    [doc] = read(text, "t.yaml")
    assert not isinstance(doc, InputError)
    props = doc.data["Resources"]["F"]["Properties"]
    assert props["Role"] == {"Fn::GetAtt": ["R", "Arn"]}
    assert props["Name"] == {"Fn::Sub": "${AWS::StackName}-f"}
    assert props["Memory"] == {"Fn::If": ["Big", 1024, 128]}
    assert props["Tags"] == [{"Ref": "Env"}]
    assert doc.span(("Resources", "F", "Properties", "Role", "Fn::GetAtt")).line == 6
    assert doc.span(("Resources", "F", "Properties", "Tags", 0, "Ref")).line == 10


def test_other_yaml_is_left_to_the_core_reading(tmp_path: Path) -> None:
    assert read("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", "c.yaml") == NOT_CFN
    (tmp_path / "hpa.yaml").write_text(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, namespace: shop}\n"
        "spec: {minReplicas: 5, maxReplicas: 2, scaleTargetRef: {kind: Deployment, name: d}}\n"
    )
    [result] = prove([str(tmp_path)], Options(select=["CNV401"])).results
    assert (result.status, result.subject["kind"]) == ("violated", "HorizontalPodAutoscaler")


@pytest.mark.skipif(not SAM.exists(), reason="the shared corpus is not beside the checkout")
def test_parity_with_the_sam_translator_expected_errors() -> None:
    inputs = sorted((SAM / "input").glob("*.yaml"))
    report = prove([str(SAM / "input")], Options(select=["CNV102", "CNV304"]))
    errors = {Path(e.location.file).name: e.message for e in report.errors}
    agree = 0
    for f in inputs:
        expected = json.loads((SAM / "output" / f.with_suffix(".json").name).read_text())
        message = expected.get("errorMessage")
        if message is None:
            assert f.name not in errors, f.name  # SAM translates it: cnverify reads it
        else:
            suffix = message.split("Number of errors found: 1. ", 1)[1]
            assert errors[f.name] == f"SAM rejects the template: {suffix}", f.name
        agree += 1
    assert agree == len(inputs) == 12


def test_a_sam_error_is_located_and_other_files_are_verified(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      ProvisionedConcurrencyConfig:\n        ProvisionedConcurrentExecutions: 5\n"
    )
    (tmp_path / "good.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  G:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      AutoPublishAlias: live\n      ReservedConcurrentExecutions: 3\n"
        "      ProvisionedConcurrencyConfig:\n        ProvisionedConcurrentExecutions: 5\n"
    )
    report = prove([str(tmp_path)], Options(select=["CNV304"]))
    [error] = report.errors
    assert error.location.line == 6 and "AutoPublishALias must be defined" in error.message
    result, account = report.results  # the pair, then the account rule (no Account declares the quota)
    assert (result.status, result.message) == ("violated", "G: provisioned concurrency 5 > reserved 3")
    assert (account.status, account.subject.get("path")) == ("unknown", "account")


def test_globals_merge_into_functions_and_implicit_apis_are_sams(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    AutoPublishAlias: live\n"
        "    ReservedConcurrentExecutions: 5\n    DeploymentPreference:\n      Type: Linear10PercentEvery1Minute\n"
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      ProvisionedConcurrencyConfig:\n        ProvisionedConcurrentExecutions: 8\n"
        "      DeploymentPreference:\n        Hooks: {PreTraffic: !Ref Hook}\n"
        '      Policies: [{Statement: {Resource: !Sub "arn:aws:execute-api:*:*:${ServerlessRestApi}/*"}}]\n'
        "  Hook:\n    Type: AWS::Serverless::Function\n    Properties: {}\n"
    )
    report = prove([str(tmp_path)], Options(select=["CNV102", "CNV304"]))
    assert report.errors == []  # the alias and the preference's Type come from Globals: SAM translates it
    got = {(r.property, r.status, r.message) for r in report.results}
    assert ("CNV304", "violated", "F: provisioned concurrency 8 > reserved 5") in got
    assert any(c == "CNV102" and s == "unknown" and m.startswith("cannot decide: ServerlessRestApi") for c, s, m in got)
    assert all(s != "violated" for c, s, _ in got if c == "CNV102")


def test_bad_templates_are_located_errors_and_the_rest_is_verified(tmp_path: Path) -> None:
    head = "AWSTemplateFormatVersion: '2010-09-09'\n"
    (tmp_path / "a_tag.yaml").write_text(
        head + "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: !GetAttr R.Arn\n"
    )
    (tmp_path / "b_broken.yaml").write_text(
        head + "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties: {Role: [x}\n"
    )
    (tmp_path / "c_param.yaml").write_text(
        head + "Parameters:\n  R:\n    Type: Number\n    AllowedValues: [5, lots]\nResources:\n  F:\n"
        "    Type: AWS::Lambda::Function\n    Properties:\n      ReservedConcurrentExecutions: !Ref R\n"
    )
    (tmp_path / "d_good.yaml").write_text(
        head + "Resources:\n  G:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      ReservedConcurrentExecutions: 3\n  V:\n    Type: AWS::Lambda::Version\n    Properties:\n"
        "      FunctionName: !Ref G\n      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 5}\n"
    )
    report = prove([str(tmp_path)], Options(select=["CNV304"]))
    got = sorted((Path(e.location.file).name, e.location.line, e.message.split(":")[0]) for e in report.errors)
    assert got == [
        ("a_tag.yaml", 6, "unknown intrinsic function tag !GetAttr"),
        ("b_broken.yaml", 5, "YAML syntax error"),
        ("c_param.yaml", 5, "CloudFormation rejects the template"),
    ]
    assert "AllowedValues 'lots' is not a number" in next(
        e.message for e in report.errors if "c_param" in e.location.file
    )
    pair = [r for r in report.results if r.subject.get("path") != "account"]
    assert [(r.status, r.message) for r in pair] == [("violated", "G: provisioned concurrency 5 > reserved 3")]


@pytest.mark.skipif(not SAM.exists(), reason="the shared corpus is not beside the checkout")
def test_deployment_types_agree_with_the_sam_translator_outputs() -> None:
    """Every CodeDeploy group SAM generates (expected outputs) is a function CNV103 checks, at the states of the
    configuration SAM names; functions whose preference SAM drops (disabled) are not checked: 2/2 groups, 0 extra."""
    expected: dict[tuple[str, str], str] = {}
    for f in sorted((SAM / "output").glob("*.json")):
        for rid, res in (json.loads(f.read_text()).get("Resources") or {}).items():
            if res.get("Type") == "AWS::CodeDeploy::DeploymentGroup":
                name = res["Properties"]["DeploymentConfigName"]["Fn::Sub"][1]["ConfigName"]
                expected[(f.stem, rid.removesuffix("DeploymentGroup"))] = name
    report = prove([str(SAM / "input")], Options(select=["CNV103"]))
    got = {(Path(r.location.file).stem, str(r.subject.get("path")).split(".")[1]): r for r in report.results}
    assert sorted(got) == sorted(expected) and len(expected) == 2
    for key, config in expected.items():
        states = predefined_states(config)
        steps = " ".join(s.claim for s in got[key].chain)
        assert got[key].status == "proved" and f"[{len(states) - 1}] shift complete: 1" in steps, key


_LINES = [
    "AWSTemplateFormatVersion: '2010-09-09'", '"Transform": AWS::Serverless-2016-10-31', "Transform : x", "Resources:",
    "Resources: {}", "  Fn:", "    Type: AWS::Serverless::Function", "    Type: 'AWS::SQS::Queue'", "Type: AWS::X",
    "apiVersion: v1", "kind: Service", "# AWS:: Resources Transform", "  Transform: x", "",
]  # fmt: skip


@given(st.lists(st.sampled_from(_LINES), max_size=8), st.sampled_from(["\n", "\r\n"]))
def test_template_check_is_the_patterns(lines: list[str], newline: str) -> None:
    """``looks_like_template`` (words first) decides as the three line patterns alone do."""
    from cnverify.systems.lambda_sam import template

    text = newline.join(lines)
    patterns = bool(
        template._MARKER.search(text) or template._RESOURCES.search(text) and template._AWS_TYPE.search(text)
    )
    assert template.looks_like_template(text) == patterns
