"""AWS Lambda through CloudFormation and SAM templates (docs/SEMANTICS.md#aws-lambda-via-sam).

The template reader (:mod:`.template`) keeps intrinsic functions; the checks SAM's translator makes before
anything is deployed (``samtranslator/model/sam_resources.py``, ``preferences/deployment_preference.py``,
``eventsources/push.py``) are located input errors with SAM's messages; CNV304 and CNV102 read the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from cnverify.errors import InputError
from cnverify.loader import LoadResult, RawObject
from cnverify.model.lambda_sam import ACCOUNT_GROUP, CFN_GROUP, SAM_FUNCTION, LambdaAccount, Template, with_globals
from cnverify.source import Document, Path
from cnverify.systems.base import Group, Split, System
from cnverify.systems.lambda_sam import template

if TYPE_CHECKING:
    from cnverify.model import Resource
    from cnverify.snapshot import Snapshot

ALIAS_NAME = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)$")


def _function_error(props: dict[str, Any]) -> tuple[tuple[str, ...], str] | None:
    """The first error SAM's translator raises for one ``AWS::Serverless::Function``, in its order (the
    provisioned-concurrency check, the alias name, then the deployment preference), or None."""
    alias = props.get("AutoPublishAlias")
    has_alias = bool(alias)  # an empty string is no alias
    if props.get("ProvisionedConcurrencyConfig") is not None and not has_alias:
        return (
            "ProvisionedConcurrencyConfig",
        ), "To set ProvisionedConcurrencyConfig AutoPublishALias must be defined on the function"
    if isinstance(alias, str) and alias and not ALIAS_NAME.match(alias):
        return ("AutoPublishAlias",), (
            f"AutoPublishAlias name ('{alias}') must contain only alphanumeric characters, hyphens, or underscores "
            "matching (?!^[0-9]+$)([a-zA-Z0-9-_]+) pattern."
        )
    pref = props.get("DeploymentPreference")
    if isinstance(pref, dict) and pref.get("Enabled") not in (False, "false"):
        if "Type" not in pref:
            return ("DeploymentPreference",), "'DeploymentPreference' is missing required Property 'Type'"
        if "Hooks" in pref and not isinstance(pref["Hooks"], dict):
            return ("DeploymentPreference", "Hooks"), "'Hooks' property of 'DeploymentPreference' must be a dictionary"
        if not has_alias:
            return (
                "DeploymentPreference",
            ), "'DeploymentPreference' requires AutoPublishAlias property to be specified."
    return None


def sam_errors(resources: dict[str, Any], globals_: Any = None) -> list[tuple[str, tuple[str, ...], str]]:
    """SAM's translation errors: (function id, path under its Properties, message), one per function; a method
    and path defined twice on one API (the implicit one when no RestApiId/ApiId is given) fails the later event."""
    out: list[tuple[str, tuple[str, ...], str]] = []
    seen: set[tuple[str, str, str, str]] = set()
    for rid, res in resources.items():
        if not (isinstance(res, dict) and res.get("Type") == SAM_FUNCTION and isinstance(res.get("Properties"), dict)):
            continue
        props = with_globals(res["Properties"], globals_.get("Function") if isinstance(globals_, dict) else None)
        error = _function_error(props)
        for eid, event in (props.get("Events") or {}).items() if isinstance(props.get("Events"), dict) else ():
            if error is not None or not isinstance(event, dict) or event.get("Type") not in ("Api", "HttpApi"):
                continue
            ep = event.get("Properties") or {}
            api = str(ep.get("RestApiId") or ep.get("ApiId") or "")
            path, method = str(ep.get("Path", "$default")), str(ep.get("Method", "any")).lower()
            method = "x-amazon-apigateway-any-method" if method == "any" else method
            key = (str(event["Type"]), api, path, method)
            if key in seen:
                q = '"' if event["Type"] == "Api" else "'"
                error = (
                    ("Events", eid),
                    (
                        f"Event with id [{eid}] is invalid. API method {q}{method}{q} defined multiple times for path {q}{path}{q}."
                    ),
                )
            seen.add(key)
        if error is not None:
            out.append((rid, *error))
    return out


def _number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return True
    try:
        float(str(v))
    except ValueError:
        return False
    return True


def parameter_errors(params: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Values of ``Type: Number`` parameters that are not numbers (path under ``Parameters``, message): no value of
    the parameter can be both (CloudFormation: "Parameter '…' must be a number")."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    for name, p in params.items() if isinstance(params, dict) else ():
        if not isinstance(p, dict) or p.get("Type") != "Number":
            continue
        fields: list[tuple[tuple[str | int, ...], Any]] = [
            ((k,), p[k]) for k in ("Default", "MinValue", "MaxValue") if k in p
        ]
        allowed = p.get("AllowedValues")
        fields += [(("AllowedValues", i), a) for i, a in enumerate(allowed)] if isinstance(allowed, list) else []
        out += [
            (
                (name, *where),
                f"Parameter '{name}' has Type Number: {where[0]} {value!r} is not a number (CreateStack: \"Parameter "
                f"'{name}' must be a number.\")",
            )
            for where, value in fields
            if not _number(value)
        ]
    return out


class LambdaSam(System):
    name = "lambda"
    title = "AWS Lambda via CloudFormation / SAM templates"
    order = 92
    kinds = (Template, LambdaAccount)
    groups = {  # the name cnverify gives templates (never a manifest), and its account declaration
        CFN_GROUP: Group(creates_pods=False),
        ACCOUNT_GROUP: Group(creates_pods=False),
    }
    file_readers = {".yaml": template.read, ".yml": template.read, ".template": template.read}
    declines = {
        "modelled_creators": "Lambda functions run no pods",
        "links": "references inside a template are resolved by its targets module",
        "diff_actions": "cnverify diff compares API Gateway routes by identity (no action reader: the function a "
        "route invokes is not compared)",
    }

    def split_raw(self, doc: Document, data: dict[str, Any], path: Path, out: LoadResult) -> bool:
        resources = data.get("Resources")
        if not isinstance(resources, dict) or not any(
            isinstance(r, dict) and str(r.get("Type", "")).startswith(("AWS::", "Custom::")) for r in resources.values()
        ):
            return False
        errors = [
            InputError(doc.span(path + ("Parameters", *where)), f"CloudFormation rejects the template: {message}")
            for where, message in parameter_errors(data.get("Parameters"))
        ] + [
            InputError(
                doc.span(path + ("Resources", rid, "Properties", *where)),
                f"SAM rejects the template: Resource with id [{rid}] is invalid. {message}",
            )
            for rid, where, message in sam_errors(resources, data.get("Globals"))
        ]
        if errors:
            out.errors.extend(errors)
            return True  # the transform fails: nothing of the template is deployed
        name = doc.file.rsplit("/", 1)[-1]
        keep = {k: data[k] for k in ("Parameters", "Resources", "Globals") if isinstance(data.get(k), dict)}
        out.objects.append(
            RawObject(
                doc, path, {**keep, "metadata": {"name": name, "namespace": "aws"}}, CFN_GROUP + "/v1", "Template"
            )
        )
        return True

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """Alias routing weights and the states of each SAM function's CodeDeploy shift."""
        from cnverify.systems.lambda_sam.splits import splits

        return splits(snap)

    def split_reads(self) -> tuple[type[Resource], ...]:
        return (Template,)

    def route_tables(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.lambda_sam import apis

        return (apis,)

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.lambda_sam import targets

        return (targets,)


SYSTEM = LambdaSam()
