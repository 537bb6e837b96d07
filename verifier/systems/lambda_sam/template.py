"""CloudFormation / SAM templates (YAML or JSON) read with their intrinsic-function tags.

A YAML template uses short tags (``!Ref X``, ``!GetAtt A.B``, ``!Sub …``, ``!If [...]``) that a Kubernetes
reading keeps only as text; this reader composes the file with cnverify's located composer, turning each tagged
node into the long form CloudFormation itself uses (``{"Ref": "X"}``, ``{"Fn::GetAtt": ["A", "B"]}``,
``{"Fn::Sub": …}``), so every field keeps its span. Other YAML is left to the core reading.
"""

from __future__ import annotations

import re

import yaml
from cnverify.errors import InputError
from cnverify.source import Document, compose

NOT_CFN = "not a CloudFormation template"
_MARKER = re.compile(r'^["\']?(AWSTemplateFormatVersion|Transform)["\']?\s*:', re.M)
_RESOURCES = re.compile(r"^Resources\s*:\s*$", re.M)  # a template may omit both markers (SAM's own tests do)
_AWS_TYPE = re.compile(r"^\s+Type\s*:\s*[\"']?AWS::", re.M)
MAP, SEQ, STR = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:str"
_LONG = {"Ref": "Ref", "Condition": "Condition"}


def read(text: str, name: str) -> list[Document | InputError] | str:
    """The template's documents (located as the core loader locates them), or a str for any other file."""
    if not (_MARKER.search(text) or _RESOURCES.search(text) and _AWS_TYPE.search(text)):
        return NOT_CFN
    return list(compose(text, name, transform=_long_form))


def _long_form(node: yaml.Node) -> yaml.Node:
    """Replace every intrinsic short tag by its long form, bottom-up (iterative: templates nest deeply)."""
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
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
