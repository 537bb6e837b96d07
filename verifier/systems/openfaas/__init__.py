"""OpenFaaS: faas-cli ``stack.yml`` functions and ``openfaas.com`` Function objects as workloads.

A function becomes one Deployment (``cnverify.model.openfaas``), so the selector, resource, quota and PDB
properties read its pods; its replica range (``cnverify.systems.openfaas.scaling``) comes from the scale labels
and the edition's autoscaler. Semantics: docs/SEMANTICS.md#openfaas.
"""

from __future__ import annotations

from typing import Any

from cnverify.errors import InputError
from cnverify.loader import LoadResult, RawObject
from cnverify.model import Resource
from cnverify.model.openfaas import FUNCTION_NAMESPACE, STACK_GROUP, Function, FunctionResource, StackFunction
from cnverify.opaque import Opaque
from cnverify.source import Document, Path
from cnverify.systems.base import Group, System


def is_stack(data: dict[str, Any]) -> bool:
    """A faas-cli stack file: a ``functions`` map beside an OpenFaaS ``provider`` (faas-cli requires both)."""
    provider = data.get("provider")
    return (
        isinstance(data.get("functions"), dict)
        and isinstance(provider, dict)
        and str(provider.get("name", "")).lower() in ("openfaas", "faas")
    )


class OpenFaaS(System):
    name = "openfaas"
    title = "OpenFaaS (stack.yml functions and Function objects)"
    order = 85
    kinds = (FunctionResource, StackFunction)
    groups = {
        # Profile and FunctionIngress only configure functions and their ingress; a Function is modelled
        "openfaas.com": Group(creates_pods=False),
        STACK_GROUP: Group(creates_pods=False),  # the name cnverify gives stack.yml entries; never in a manifest
    }
    declines = {
        "links": "a function's pods are built from its own fields",
        "route_tables": "function routes are the gateway's /function/<name> paths: not modelled",
        "targets": "no references are resolved yet (secrets, profiles)",
        "weighted_splits": "OpenFaaS has no traffic splits",
        "diff_actions": "no routing table",
    }

    def split_raw(self, doc: Document, data: dict[str, Any], path: Path, out: LoadResult) -> bool:
        """Each entry of a stack file's ``functions`` map is a :class:`StackFunction` named by its key."""
        if not is_stack(data):
            return False
        for key, entry in data["functions"].items():
            if not isinstance(entry, dict):
                out.errors.append(
                    InputError(doc.span(path + ("functions", key)), f"stack.yml function {key!r} is not a mapping")
                )
                continue
            ns = entry.get("namespace") if isinstance(entry.get("namespace"), str) else None
            meta = {"name": str(key), "namespace": ns or FUNCTION_NAMESPACE}
            obj = {**entry, "metadata": meta}
            out.objects.append(RawObject(doc, path + ("functions", key), obj, STACK_GROUP + "/v1", "StackFunction"))
        return True

    def modelled_creator(self, resource: Resource) -> Opaque | None:
        """A function whose fields take values from the environment (``${VAR}``) has pods cnverify cannot see."""
        if not isinstance(resource, Function) or resource.template_known:
            return None
        values = ", ".join(repr(v) for v in resource.interpolated[:3])
        return Opaque.of_modelled(resource, None, f"OpenFaaS (values from the deploy environment: {values})")


SYSTEM = OpenFaaS()
