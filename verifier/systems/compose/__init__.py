"""Docker Compose: a compose file's services as workloads of their project (docs/SEMANTICS.md#docker-compose).

A compose file is recognised by its shape (a ``services`` map of maps and only Compose's top-level keys) and its
name or its other top-level declarations; each service becomes a :class:`ComposeService` in the namespace of
its project (``name:`` or the folder's name), and the file's declarations a :class:`ComposeFile`, so that the
resource properties read the services' containers and CNV102 their references.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from cnverify.errors import InputError
from cnverify.loader import LoadResult, RawObject
from cnverify.model import Resource
from cnverify.model.compose import COMPOSE_GROUP, ComposeFile, ComposeService
from cnverify.opaque import Opaque
from cnverify.source import Document, Path
from cnverify.systems import run_option
from cnverify.systems.base import Group, System
from cnverify.systems.compose.files import merge_set
from cnverify.systems.compose.project import MergedProject, merged_alone, merged_project

TOP_LEVEL = {"version", "name", "services", "networks", "volumes", "secrets", "configs", "include", "models"}
_COMPOSE_NAME = re.compile(r"(compose|stack)[^/]*\.ya?ml$", re.I)
_PROJECT = re.compile(r"[^a-z0-9_-]")
COMPOSE_API = COMPOSE_GROUP + "/v1"


def is_compose(file: str, data: dict[str, Any]) -> bool:
    """Only Compose's top-level keys (and ``x-*`` extensions), a ``services`` map (of maps: a bad entry is an
    input error), and a compose-like
    file name, a name in a merge set the user gives, or another Compose declaration (a Helm values file with a ``services`` map is not a compose file)."""
    services = data.get("services")
    if not isinstance(services, dict) or not services:
        return False
    if any(not (isinstance(k, str) and (k in TOP_LEVEL or k.startswith("x-"))) for k in data):
        return False
    if not any(isinstance(s, dict) for s in services.values()):
        return False
    named = any(os.path.normpath(file) in map(os.path.normpath, g) for g in run_option("compose_files", ()) or ())
    return named or bool(_COMPOSE_NAME.search(file)) or bool(set(data) & (TOP_LEVEL - {"services"}))


def project_name(file: str, data: dict[str, Any]) -> str:
    """``name:`` or the folder's name, normalised as docker compose does (lower case, [a-z0-9_-])."""
    given = data.get("name")
    base = given if isinstance(given, str) and given else os.path.basename(os.path.dirname(os.path.abspath(file)))
    return _PROJECT.sub("", base.lower()) or "default"


def _declarations(doc: Document, data: dict[str, Any], path: Path, project: str, out: LoadResult) -> None:
    """The file's top-level declarations as a ComposeFile (what its project's services may reference)."""
    meta = {"name": os.path.basename(doc.file), "namespace": project}
    declared = {  # ``name:`` with no value declares it with defaults (null must not read as unset here)
        k: {n: {} if v is None else v for n, v in data[k].items()}
        for k in ("networks", "volumes", "secrets", "configs", "x-cnverify-swarm")
        if isinstance(data.get(k), dict)
    }
    out.objects.append(
        RawObject(doc, path, {**declared, "services": data["services"], "metadata": meta}, COMPOSE_API, "ComposeFile")
    )


def _services(
    doc: Document, data: dict[str, Any], path: Path, project: str, out: LoadResult, rejected: set[str]
) -> None:
    services = data.get("services")
    for key, entry in services.items() if isinstance(services, dict) else ():
        if str(key) in rejected:
            continue  # a located schema error says why
        if not isinstance(entry, dict):
            out.errors.append(InputError(doc.span(path + ("services", key)), f"service {key!r} has no definition"))
            continue
        obj = {**entry, "metadata": {"name": str(key), "namespace": project}}
        out.objects.append(RawObject(doc, path + ("services", key), obj, COMPOSE_API, "ComposeService"))


class Compose(System):
    name = "compose"
    title = "Docker Compose and Swarm (merged compose files: services, resources, ports, references; Swarm capacity)"
    order = 82
    kinds = (ComposeService, ComposeFile)
    groups = {COMPOSE_GROUP: Group(creates_pods=False)}  # the name cnverify gives compose parts; never a manifest
    declines = {
        "route_tables": "Compose publishes ports; it has no routes",
        "weighted_splits": "Compose has no traffic splits",
        "diff_actions": "no routing table",
    }

    def split_raw(self, doc: Document, data: dict[str, Any], path: Path, out: LoadResult) -> bool:
        if not is_compose(doc.file, data):
            return False
        chosen = merge_set(doc.file) if path == () else None
        if chosen is None:
            project = "compose:" + project_name(doc.file, data)  # never a Kubernetes namespace (its quotas)
            _declarations(doc, data, path, project, out)
            alone = merged_alone(doc) if path == () else MergedProject(doc, project, doc.file)  # compose-go's rules
            out.errors += alone.errors  # docker compose rejects the file: the services in error are not verified
            if alone.doc is not None and alone.rejected is not None:
                _services(alone.doc, alone.doc.data, path, project, out, alone.rejected)
            return True
        merged = merged_project(chosen)
        _declarations(doc, data, path, merged.project, out)
        if os.path.normpath(doc.file) == merged.leader and doc.index == 0:  # the merged services, once
            out.errors += merged.errors
            if merged.doc is not None and merged.rejected is not None:
                _services(merged.doc, merged.doc.data, (), merged.project, out, merged.rejected)
        return True

    def link(self, resources: Iterable[Resource]) -> None:
        """Settle each service's effective resources and replicas; a service several files define is merged by
        docker compose, which is not modelled: its container is unknown."""
        from cnverify.systems.compose.service import settle

        files: dict[tuple[str, str], list[str]] = defaultdict(list)
        services = [r for r in resources if isinstance(r, ComposeService)]
        for svc in services:
            files[(svc.namespace, svc.name)].append(svc.at().file)
        for svc in services:
            if not svc.settled:
                settle(svc, sorted({f for f in files[(svc.namespace, svc.name)] if f != svc.at().file}))

    def modelled_creator(self, resource: Resource) -> Opaque | None:
        if not isinstance(resource, ComposeService) or resource.template_known:
            return None
        return Opaque.of_modelled(resource, None, f"Docker Compose ({resource.unknown})")

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.compose import targets

        return (targets,)


SYSTEM = Compose()
