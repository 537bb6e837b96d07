"""Reading inputs: files, directories, stdin; splitting lists and Envoy bootstraps into objects."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO

from cnverify.errors import InputError, Span, UsageError
from cnverify.kustomize import skip_reason
from cnverify.source import MAX_FILE_BYTES, Document, Path, compose, decode, paused_gc

EXTENSIONS = (".yaml", ".yml", ".json")
ENVOY_ROUTE_API = "envoy.config.route.v3"
ENVOY_CLUSTER_API = "envoy.config.cluster.v3"
HCM_NAMES = ("envoy.filters.network.http_connection_manager", "envoy.http_connection_manager")
HCM_KEY = "cnverify_hcm"  # injected into an inline route_config: its connection manager's rewriting options
HCM_REWRITE_KEYS = ("normalize_path", "merge_slashes", "path_with_escaped_slashes_action", "strip_any_host_port",
                    "strip_matching_host_port")


@dataclass(slots=True)
class RawObject:
    """One object inside a document: its data and where it sits (``path`` inside ``doc``)."""

    doc: Document
    path: Path
    data: Any
    api_version: str = ""
    kind: str = ""


@dataclass
class LoadResult:
    objects: list[RawObject] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    unrecognized: int = 0  # documents that are neither objects nor Envoy configs


def iter_files(paths: Iterable[str]) -> Iterator[str]:
    """Expand directories recursively (sorted, hidden folders skipped); ``-`` stays as is."""
    for p in paths:
        if p == "-":
            yield p
        elif os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.endswith(EXTENSIONS):
                        yield os.path.join(root, f)
        elif os.path.exists(p):
            yield p
        else:
            raise UsageError(f"no such file or directory: {p}")


def load(paths: Iterable[str], stdin: TextIO | BinaryIO | None = None) -> LoadResult:
    """Compose every input and split it into raw objects; problems become located errors."""
    result = LoadResult()
    with paused_gc():
        for path in iter_files(paths):
            _load_one(path, stdin, result)
    return result


def _load_one(path: str, stdin: TextIO | BinaryIO | None, result: LoadResult) -> None:
    """Read, compose and split one input into ``result``."""
    skipped = skip_reason(path)
    if skipped:
        result.inputs.append({"file": path, "documents": 0, "skipped": skipped})
        return
    name, text, err = _read(path, stdin)
    count = 0
    if err is None and text is not None and name.endswith(".json") and not text.strip():
        err = InputError(Span(name, 1, 1), "empty JSON file: no value")
    if err is not None:
        result.errors.append(err)
    elif text is not None:
        for item in compose(text, name):
            if isinstance(item, InputError):
                result.errors.append(item)
                continue
            count += 1
            if not isinstance(item.data, dict):
                what = "a list" if isinstance(item.data, list) else f"a {type(item.data).__name__} scalar"
                result.errors.append(InputError(item.span(()), f"document {item.index + 1} is {what}, "
                                                "not an object (a mapping with apiVersion and kind)"))
                continue
            before = len(result.objects)
            _split(item, item.data, (), result)
            if len(result.objects) == before:
                result.unrecognized += 1
    result.inputs.append({"file": name, "documents": count})


def _read(path: str, stdin: TextIO | BinaryIO | None) -> tuple[str, str | None, InputError | None]:
    """``(display name, text, error)`` of a file or of stdin (``-``), size-capped and UTF-8 checked."""
    if path == "-":
        stream = stdin if stdin is not None else sys.stdin
        raw = getattr(stream, "buffer", stream).read(MAX_FILE_BYTES + 1)
        if isinstance(raw, str):
            return "<stdin>", raw, None
        text, err = decode(raw, "<stdin>")
        return "<stdin>", text, err
    try:
        with open(path, "rb") as fh:
            text, err = decode(fh.read(MAX_FILE_BYTES + 1), path)
    except OSError as exc:
        text, err = None, InputError(Span(path, 1, 1), f"cannot read file: {exc.strerror}")
    return path, text, err


def _split(doc: Document, data: Any, path: Path, out: LoadResult) -> None:
    if not isinstance(data, dict):
        return
    if "$patch" in data:
        return  # a strategic-merge patch directive (kustomize), not an object
    kind, api = data.get("kind"), data.get("apiVersion")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list):
        for i, item in enumerate(data["items"]):
            _split(doc, item, path + ("items", i), out)
        return
    if isinstance(kind, str) and isinstance(api, str):
        out.objects.append(RawObject(doc, path, data, api, kind))
        return
    if isinstance(data.get("static_resources"), dict):
        _split_envoy_bootstrap(doc, data["static_resources"], path + ("static_resources",), out)
    elif isinstance(data.get("resources"), list):  # xDS resource files (RDS / CDS)
        for i, res in enumerate(data["resources"]):
            if isinstance(res, dict):
                t = str(res.get("@type", ""))
                if t.endswith(".RouteConfiguration"):
                    out.objects.append(RawObject(doc, path + ("resources", i), res, ENVOY_ROUTE_API, "RouteConfiguration"))
                elif t.endswith(".Cluster"):
                    out.objects.append(RawObject(doc, path + ("resources", i), res, ENVOY_CLUSTER_API, "Cluster"))
                elif t.endswith(".Listener"):  # LDS: inline route_config of its HTTP connection managers
                    _split_listener(doc, res, path + ("resources", i), f"listener-{i}", out)


def _split_envoy_bootstrap(doc: Document, static: dict[str, Any], path: Path, out: LoadResult) -> None:
    for li, listener in enumerate(_list(static.get("listeners"))):
        _split_listener(doc, listener, path + ("listeners", li), f"listener-{li}", out)
    for ci, cluster in enumerate(_list(static.get("clusters"))):
        if isinstance(cluster, dict):
            out.objects.append(RawObject(doc, path + ("clusters", ci), cluster, ENVOY_CLUSTER_API, "Cluster"))


def _split_listener(doc: Document, listener: Any, path: Path, fallback: str, out: LoadResult) -> None:
    """One RouteConfiguration per inline ``route_config`` of the listener's HTTP connection managers."""
    if not isinstance(listener, dict):
        return
    lname = listener.get("name") or fallback
    for ci, chain in enumerate(_list(listener.get("filter_chains"))):
        filters = chain.get("filters") if isinstance(chain, dict) else None
        for fi, flt in enumerate(filters if isinstance(filters, list) else [filters] if filters else []):
            if not isinstance(flt, dict):
                continue
            cfg_key = "typed_config" if "typed_config" in flt else "config"
            cfg = flt.get(cfg_key)
            if not isinstance(cfg, dict) or not isinstance(cfg.get("route_config"), dict):
                continue
            if flt.get("name") not in HCM_NAMES and not str(cfg.get("@type", "")).endswith("HttpConnectionManager"):
                continue
            rc = cfg["route_config"]
            fpath = ("filters", fi) if isinstance(filters, list) else ("filters",)
            rpath = path + ("filter_chains", ci, *fpath, cfg_key, "route_config")
            if not rc.get("name"):
                rc = {**rc, "name": f"{lname}/{ci}/{fi}"}
            # the connection manager's request rewriting options (model/envoy.py `HcmOptions`)
            hcm = {k: cfg[k] for k in HCM_REWRITE_KEYS if k in cfg}
            rc = {**rc, HCM_KEY: {"path": list(path + ("filter_chains", ci, *fpath, cfg_key)), "options": hcm}}
            out.objects.append(RawObject(doc, rpath, rc, ENVOY_ROUTE_API, "RouteConfiguration"))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
