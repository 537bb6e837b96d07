"""References inside a template: every ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub`` ``${…}`` names a parameter, a
resource of the template or a pseudo parameter (``AWS::Region`` …); CloudFormation rejects the template
otherwise ("Unresolved resource dependencies … in the Resources block of the template"). SAM adds resources
(``<Function>Alias<name>``, ``<Function>Role``, the implicit ``ServerlessRestApi``/``ServerlessHttpApi``, …): a
name SAM generates is not in the template, so a reference to one is ``unknown``, not violated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cnverify.model.lambda_sam import Template
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.targets import Check

READS = (Template,)
_SUB = re.compile(r"\$\{(?!!)([A-Za-z0-9_:]+)(?:\.[^}]*)?\}")
PSEUDO = (
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
)


def _refs(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    stack = [(value, path)]
    while stack:
        v, p = stack.pop()
        if isinstance(v, dict):
            if len(v) == 1 and "Ref" in v and isinstance(v["Ref"], str):
                yield v["Ref"], p + ("Ref",)
            elif len(v) == 1 and "Fn::GetAtt" in v:
                target = v["Fn::GetAtt"]
                name = target[0] if isinstance(target, list) and target else str(target).split(".", 1)[0]
                if isinstance(name, str):
                    yield name, p + ("Fn::GetAtt",)
            elif len(v) == 1 and "Fn::Sub" in v:
                text = v["Fn::Sub"][0] if isinstance(v["Fn::Sub"], list) and v["Fn::Sub"] else v["Fn::Sub"]
                local = v["Fn::Sub"][1] if isinstance(v["Fn::Sub"], list) and len(v["Fn::Sub"]) > 1 else {}
                for m in _SUB.finditer(text if isinstance(text, str) else ""):
                    if not (isinstance(local, dict) and m.group(1) in local):
                        yield m.group(1), p + ("Fn::Sub",)
            stack.extend((x, p + (k,)) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, p + (i,)) for i, x in enumerate(v))


def checks(snap: Snapshot) -> Iterator[Check]:
    for t in snap.all(Template):
        known = set(t.parameters) | set(t.resources)
        for rid, res in t.resources.items():
            for name, path in sorted(_refs(res, ("Resources", rid)), key=lambda r: [str(x) for x in r[1]]):
                at = t.at(*path)
                where = (at, ".".join(str(x) for x in path))
                steps = [(f"{rid} refers to {name}", at)]
                if name in known or name in PSEUDO:
                    kind = "parameter" if name in t.parameters else "pseudo parameter" if name in PSEUDO else "resource"
                    target = t.at("Parameters" if kind == "parameter" else "Resources", name)
                    steps.append((f"{name} is a {kind} of the template", target if kind != "pseudo parameter" else at))
                    yield Check(t, t, "proved", f"{name} is a {kind} of the template", steps, where=where)
                elif name.startswith(("AWS::", "Serverless")) or any(name.startswith(f) for f in t.resources):
                    claim = f"{name} is not in the template: SAM may generate it (an alias, a role, a version)"
                    yield Check(t, t, "unknown", claim, steps, where=where)
                else:
                    claim = f"{name} is neither a parameter nor a resource of the template: CloudFormation rejects it"
                    yield Check(t, t, "violated", claim, steps, where=where)
