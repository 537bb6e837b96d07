"""Nomad's other specification files: quota specifications (``nomad quota apply``, Enterprise) and namespace
specifications (``nomad namespace apply``), read into one document each (``command/quota_apply.go``
``parseQuotaSpec``, ``command/namespace_apply.go`` at a4cc76bd; the docs' ``other-specifications/namespace.mdx``).

A quota spec is ``name``, ``description`` and ``limit { region  region_limit { cpu memory memory_max } }`` blocks;
a namespace spec is ``name``, ``description``, ``quota`` (the quota it is limited by), ``meta``, ``capabilities``,
``node_pool_config``. Other keys are Nomad's errors ("invalid key"), located.
"""

from __future__ import annotations

from typing import Any

from cnverify.errors import InputError, Span
from cnverify.source import Document, Path
from cnverify.systems.nomad.variables import labelled, unquote

SPEC_KEY = "nomad_spec"  # the kind of a document of this reader (how split_raw knows it)
QUOTA_KEYS = ("name", "description", "limit")
LIMIT_KEYS = ("region", "region_limit", "variables_limit")
REGION_LIMIT_KEYS = ("cpu", "memory", "memory_max")
NAMESPACE_KEYS = ("name", "description", "quota", "meta", "capabilities", "node_pool_config")
Lines = dict[tuple[str, ...], tuple[int, int]]


def kind_of(raw: dict[str, Any]) -> str | None:
    """``QuotaSpec``, ``NamespaceSpec`` or None (not a spec of either kind)."""
    if "job" in raw or "name" not in raw:
        return None
    if "limit" in raw:
        return "QuotaSpec"
    return "NamespaceSpec" if "quota" in raw or "capabilities" in raw or "node_pool_config" in raw else None


def read(raw: dict[str, Any], kind: str, name: str, lines: Lines) -> list[Document | InputError]:
    def at(*path: str) -> Span:
        while path and path not in lines:
            path = path[:-1]
        return Span(name, *lines.get(path, (1, 1)))

    allowed = QUOTA_KEYS if kind == "QuotaSpec" else NAMESPACE_KEYS
    errors = [
        InputError(at(k), f"Nomad rejects the {kind} specification: invalid key: {k}") for k in raw if k not in allowed
    ]
    data: dict[str, Any] = {SPEC_KEY: kind, "name": unquote(raw["name"])}
    spans: dict[Path, Span] = {(): at(), (SPEC_KEY,): at("name"), ("name",): at("name")}
    if kind == "NamespaceSpec":
        if "quota" in raw:
            data["quota"] = unquote(raw["quota"])
            spans[("quota",)] = at("quota")
    else:
        data["limits"] = []
        for i, (_, limit) in enumerate(labelled(raw.get("limit"))):
            where = ("limit", f"#{i}")
            errors += [
                InputError(at(*where, k), f"Nomad rejects the quota specification: limit -> invalid key: {k}")
                for k in limit
                if not k.startswith("__") and k not in LIMIT_KEYS
            ]
            entry: dict[str, Any] = {"region": unquote(limit.get("region"))}
            spans[("limits", i)], spans[("limits", i, "region")] = at(*where), at(*where, "region")
            blocks = labelled(limit.get("region_limit"))
            if len(blocks) > 1:
                errors.append(
                    InputError(
                        at(*where, "region_limit"),
                        "Nomad rejects the quota specification: only one 'region_limit' block allowed per limit",
                    )
                )
            for _, body in blocks[:1]:
                values = {k: v for k, v in body.items() if not k.startswith("__")}
                errors += [
                    InputError(
                        at(*where, "region_limit", k),
                        f"Nomad rejects the quota specification: region_limit -> resources -> invalid key: {k}",
                    )
                    for k in values
                    if k not in REGION_LIMIT_KEYS
                ]
                entry["regionLimit"] = values
                spans[("limits", i, "regionLimit")] = at(*where, "region_limit")
                for k in values:
                    spans[("limits", i, "regionLimit", k)] = at(*where, "region_limit", k)
            data["limits"].append(entry)
    if errors:
        return list(errors)
    return [Document(name, 0, data, spans)]
