"""CloudFormation / SAM templates (YAML or JSON) read with their intrinsic-function tags.

A YAML template uses short tags (``!Ref X``, ``!GetAtt A.B``, ``!Sub …``, ``!If [...]``) that a Kubernetes
reading keeps only as text; this reader composes the file with cnverify's located composer, turning each tagged
node into the long form CloudFormation itself uses (``{"Ref": "X"}``, ``{"Fn::GetAtt": ["A", "B"]}``,
``{"Fn::Sub": …}``), so every field keeps its span. Other YAML is left to the core reading.
"""

from __future__ import annotations

import re
from functools import partial

import yaml
from cnverify.errors import InputError, Span
from cnverify.source import Document, compose, printable

NOT_CFN = "not a CloudFormation template"
_MARKER = re.compile(r'^["\']?(AWSTemplateFormatVersion|Transform)["\']?\s*:', re.M)
_RESOURCES = re.compile(r"^Resources\s*:\s*$", re.M)  # a template may omit both markers (SAM's own tests do)
_AWS_TYPE = re.compile(r"^\s+Type\s*:\s*[\"']?AWS::", re.M)
MAP, SEQ, STR = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:str"
_LONG = {"Ref": "Ref", "Condition": "Condition"}
INTRINSICS = frozenset(  # the short forms CloudFormation knows (intrinsic and condition functions, Fn::Transform)
    {
        "Ref", "Condition", "Base64", "Cidr", "FindInMap", "ForEach", "GetAtt", "GetAZs", "ImportValue", "Join",
        "Length", "Select", "Split", "Sub", "ToJsonString", "Transform", "And", "Equals", "If", "Not", "Or",
    }
)  # fmt: skip


def looks_like_template(text: str) -> bool:
    """A marker line, or a ``Resources:`` line and an ``AWS::`` type; the words first (a substring search),
    as every YAML file of a run is asked and the patterns scan line by line."""
    if "AWSTemplateFormatVersion" in text or "Transform" in text:
        if _MARKER.search(text):
            return True
    return "Resources" in text and "AWS::" in text and bool(_RESOURCES.search(text) and _AWS_TYPE.search(text))


def read(text: str, name: str) -> list[Document | InputError] | str:
    """The template's documents (located as the core loader locates them), or a str for any other file; a tag
    CloudFormation does not know rejects the whole template (a located error per tag)."""
    if not looks_like_template(text):
        return NOT_CFN
    unknown: list[yaml.Node] = []
    docs = list(compose(text, name, transform=partial(_long_form, unknown=unknown)))
    if not unknown:
        return docs
    errors: list[Document | InputError] = [d for d in docs if isinstance(d, InputError)]
    return errors + [
        InputError(
            Span(printable(name), n.start_mark.line + 1, n.start_mark.column + 1),
            f"unknown intrinsic function tag {n.tag}: CloudFormation rejects the template (known: "
            + ", ".join(f"!{t}" for t in sorted(INTRINSICS))
            + ")",
        )
        for n in unknown
    ]


def _long_form(node: yaml.Node, unknown: list[yaml.Node]) -> yaml.Node:
    """Replace every intrinsic short tag by its long form, bottom-up (iterative: templates nest deeply)."""
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        kids = (
            n.value
            if isinstance(n, yaml.SequenceNode)
            else [v for _, v in n.value]
            if isinstance(n, yaml.MappingNode)
            else []
        )
        unknown += [
            k
            for k in [n, *kids]
            if (k.tag or "").startswith("!") and not k.tag.startswith("!!") and k.tag[1:] not in INTRINSICS
        ]
        if isinstance(n, yaml.SequenceNode):
            n.value = [_wrap(c) for c in n.value]
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            n.value = [(k, _wrap(v)) for k, v in n.value]
            stack.extend(v for _, v in n.value)
    return _wrap(node)


def _wrap(n: yaml.Node) -> yaml.Node:
    tag = n.tag or ""
    if not tag.startswith("!") or tag.startswith("!!"):
        return n
    name = tag[1:]
    key = _LONG.get(name, f"Fn::{name}")
    if name == "GetAtt" and isinstance(n, yaml.ScalarNode):  # !GetAtt A.B → ["A", "B"]
        head, _, tail = n.value.partition(".")
        inner: yaml.Node = yaml.SequenceNode(
            SEQ,
            [
                yaml.ScalarNode(STR, head, n.start_mark, n.end_mark),
                yaml.ScalarNode(STR, tail, n.start_mark, n.end_mark),
            ],
            n.start_mark,
            n.end_mark,
        )
    elif isinstance(n, yaml.ScalarNode):
        inner = yaml.ScalarNode(STR, n.value, n.start_mark, n.end_mark, style=n.style)
    elif isinstance(n, yaml.SequenceNode):
        inner = yaml.SequenceNode(SEQ, n.value, n.start_mark, n.end_mark)
    else:
        inner = yaml.MappingNode(MAP, n.value, n.start_mark, n.end_mark)
    key_node = yaml.ScalarNode(STR, key, n.start_mark, n.start_mark)
    return yaml.MappingNode(MAP, [(key_node, inner)], n.start_mark, n.end_mark)
