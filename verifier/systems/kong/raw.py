"""A decK / DB-less ``kong.yml`` as the loader meets it: one `KongConfig` per document with ``_format_version``.

Kong loads a declarative config whole or not at all, so a config that breaks one of the rules below
(Kong/kong 22246ef2 ``kong/db/schema/typedefs.lua``, ``entities/routes.lua``, ``entities/targets.lua``,
``others/declarative_config.lua`` ``validate_references``) is an input error at the offending field and
gives no object.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cnverify.errors import InputError
from cnverify.loader import LoadResult, RawObject
from cnverify.model.kong import KONG
from cnverify.source import Document, Path

FORMATS = ("1.1", "2.1", "3.0")
PATH_CHARS = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*")  # RFC 3986 characters (typedefs.lua)
DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:/|$)|%(?![0-9A-Fa-f]{2})")  # not normalized / a bad escape
HTTP_FAMILY = frozenset({"http", "https", "grpc", "grpcs"})


def split_raw(doc: Document, data: dict[str, Any], path: Path, out: LoadResult) -> bool:
    """A mapping with ``_format_version`` is a Kong declarative config (False: not one). Its name is the
    file's name (``#n`` for the n-th document): the same on both sides of ``cnverify diff``; two files of one
    name are two alternative configs, which deployment-unit discovery puts in units of their own."""
    if "_format_version" not in data:
        return False
    problems = list(_problems(data))
    for where, why in problems:
        out.errors.append(InputError(doc.span(path + where), f"kong.yml: {why}; Kong rejects the whole config"))
    if not problems:
        name = doc.file.replace("\\", "/").rsplit("/", 1)[-1] + (f"#{doc.index}" if doc.index else "")
        out.objects.append(RawObject(doc, path, {**data, "name": name}, KONG, "KongConfig"))
    return True


def _problems(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    if str(data.get("_format_version")) not in FORMATS:
        yield ("_format_version",), f"_format_version must be one of {', '.join(FORMATS)}"
    legacy = str(data.get("_format_version")) in FORMATS[:2]  # paths are migrated first (route_path.lua)
    services = [s for s in _items(data.get("services")) if isinstance(s, dict)]
    names = {str(s[k]) for s in services for k in ("name", "id") if k in s}
    for i, s in enumerate(_items(data.get("services"))):
        for j, r in enumerate(_items(s.get("routes") if isinstance(s, dict) else None)):
            yield from _route(r, ("services", i, "routes", j), legacy)
    for k, r in enumerate(_items(data.get("routes"))):
        yield from _route(r, ("routes", k), legacy)
        ref = r.get("service") if isinstance(r, dict) else None
        key = ref.get("name", ref.get("id")) if isinstance(ref, dict) else ref
        if ref is not None and str(key) not in names:
            yield ("routes", k, "service"), f"invalid reference 'service: {key}' (no such entry in 'services')"
    ups = {str(u[k]) for u in _items(data.get("upstreams")) if isinstance(u, dict) for k in ("name", "id") if k in u}
    for t, tg in enumerate(_items(data.get("targets"))):
        ref = tg.get("upstream") if isinstance(tg, dict) else None
        key = ref.get("name", ref.get("id")) if isinstance(ref, dict) else ref
        if str(key) not in ups:
            yield ("targets", t, "upstream"), f"invalid reference 'upstream: {key}' (no such entry in 'upstreams')"
        yield from _weight(tg, ("targets", t))
    for u, up in enumerate(_items(data.get("upstreams"))):
        for t, tg in enumerate(_items(up.get("targets") if isinstance(up, dict) else None)):
            yield from _weight(tg, ("upstreams", u, "targets", t))


def _weight(target: Any, at: Path) -> Iterator[tuple[Path, str]]:
    w = target.get("weight") if isinstance(target, dict) else None
    if isinstance(w, int) and not 0 <= w <= 65535:
        yield at + ("weight",), f"target weight {w} is outside 0 … 65535"


def _route(r: Any, at: Path, legacy: bool) -> Iterator[tuple[Path, str]]:
    if not isinstance(r, dict):
        return
    for n, p in enumerate(_items(r.get("paths"))):
        if not isinstance(p, str):
            continue
        body = p[1:] if p.startswith("~") else p
        if not body.startswith("/"):
            yield at + ("paths", n), f"path {p!r} must start with / (or ~/ for a regex)"
        elif (
            not p.startswith("~") and not legacy and ("//" in p or not PATH_CHARS.fullmatch(p) or DOT_SEGMENT.search(p))
        ):
            yield at + ("paths", n), f"path {p!r} is not a normalized RFC 3986 path"
    for n, h in enumerate(_items(r.get("hosts"))):
        if isinstance(h, str) and (h.count("*") > 1 or ("*" in h and not (h.startswith("*.") or h.endswith(".*")))):
            yield at + ("hosts", n), f"host {h!r}: at most one wildcard, as the leftmost or rightmost label"
    headers = r.get("headers")
    if isinstance(headers, dict) and any(str(k).lower() == "host" for k in headers):
        yield at + ("headers",), "headers may not contain 'host' (use hosts)"
    protocols = {str(p) for p in _items(r.get("protocols"))} or {"http", "https"}
    fields = ("methods", "hosts", "headers", "paths", "snis")
    if r.get("expression") is None and protocols & HTTP_FAMILY and not any(r.get(f) for f in fields):
        yield at, "an http(s) route needs at least one of methods, hosts, headers, paths or snis"


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
