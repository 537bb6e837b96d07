"""HashiCorp Nomad: job files' task groups as workloads (docs/SEMANTICS.md#nomad).

A job file (``*.nomad``, ``*.nomad.hcl``, or ``*.hcl`` with a top-level ``job``) is read by
:mod:`cnverify.systems.nomad.jobspec`; each of its groups becomes a :class:`TaskGroup` in the namespace
``nomad:<job namespace>``, so CNV301 reads its tasks' memory and ``memory_max``, CNV401 its count and scaling
bounds, and CNV102 its services' port labels.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from cnverify.errors import InputError
from cnverify.loader import LoadResult, RawObject
from cnverify.model import Resource
from cnverify.model.nomad import NOMAD_GROUP, NomadNamespace, QuotaSpec, TaskGroup
from cnverify.opaque import Opaque
from cnverify.source import Document, Path
from cnverify.systems.base import Group, System
from cnverify.systems.nomad import jobspec, specs


class Nomad(System):
    name = "nomad"
    title = "HashiCorp Nomad (job files: task groups; quota and namespace specifications)"
    order = 91
    kinds = (TaskGroup, QuotaSpec, NomadNamespace)
    groups = {NOMAD_GROUP: Group(creates_pods=False)}  # the name cnverify gives task groups; never a manifest
    file_readers = {".nomad": jobspec.read, ".hcl": jobspec.read}
    declines = {
        "links": "a group's allocations are built from its own tasks",
        "route_tables": "Nomad has no routes (Consul or a gateway routes to its services)",
        "weighted_splits": "Nomad has no traffic splits",
        "diff_actions": "no routing table",
    }

    def split_raw(self, doc: Document, data: dict[str, Any], path: Path, out: LoadResult) -> bool:
        kind = data.get(specs.SPEC_KEY)
        if isinstance(kind, str):  # a quota or namespace specification: cluster-wide
            body = {k: v for k, v in data.items() if k not in (specs.SPEC_KEY, "name")}
            out.objects.append(
                RawObject(doc, path, {**body, "metadata": {"name": data["name"]}}, NOMAD_GROUP + "/v1", kind)
            )
            return True
        job = data.get(jobspec.JOB_KEY)
        if not isinstance(job, str):
            return False
        ns = data.get("namespace") if isinstance(data.get("namespace"), str) else "default"
        implicit = [  # a task at the job level runs in a group of its own name (jobspec)
            ({"name": t.get("name"), "tasks": [t]}, ("tasks", i)) for i, t in enumerate(data.get("tasks") or [])
        ]
        dynamic = data.get("dynamic")
        blocks = dynamic if isinstance(dynamic, list) else [dynamic] if isinstance(dynamic, dict) else []
        generated = [  # a dynamic "group" block: groups cnverify does not expand (their content is unknown)
            (
                {"name": f"dynamic group {i + 1}", "generated": True},
                ("dynamic",) + ((i,) if isinstance(dynamic, list) else ()),
            )
            for i, b in enumerate(blocks)
            if isinstance(b, dict) and b.get("name") == "group"
        ]
        for group, where in [(g, ("groups", i)) for i, g in enumerate(data.get("groups") or [])] + implicit + generated:
            if not isinstance(group, dict) or not group.get("name"):
                out.errors.append(InputError(doc.span(path + where), f"job {job!r}: a group needs a name"))
                continue
            meta = {"name": f"{job}.{group['name']}", "namespace": f"nomad:{ns}"}
            obj = {
                **{k: v for k, v in group.items() if k != "name"},
                "job_type": data.get("type"),
                "job_region": data.get("region", "global"),  # jobspec2: a job without region is in "global"
                "jobUpdate": data.get("update"),
                "multiregion": data.get("multiregion"),
                "generated": group.get("generated") is True or _has_dynamic(group),
                "metadata": meta,
            }
            if data.get(jobspec.VARIABLES_KEY):
                obj[jobspec.VARIABLES_KEY] = data[jobspec.VARIABLES_KEY]
            out.objects.append(RawObject(doc, path + where, obj, NOMAD_GROUP + "/v1", "TaskGroup"))
        return True

    def modelled_creator(self, resource: Resource) -> Opaque | None:
        if not isinstance(resource, TaskGroup) or resource.template_known:
            return None
        values = ", ".join(repr(v) for v in resource.resource_expressions[:3])
        return Opaque.of_modelled(resource, None, f"Nomad (values Nomad evaluates: {values})")

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.nomad import targets

        return (targets,)


def _has_dynamic(value: Any) -> bool:
    """Does a group hold a ``dynamic`` block (blocks jobspec2 generates, which cnverify does not expand)?"""
    if isinstance(value, dict):
        return "dynamic" in value or any(_has_dynamic(v) for v in value.values())
    return isinstance(value, list) and any(_has_dynamic(v) for v in value)


SYSTEM = Nomad()
