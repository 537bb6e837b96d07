"""API Gateway routes of SAM functions' ``Api``/``HttpApi`` events as route tables (docs/SEMANTICS.md#aws-lambda-via-sam).

Each event is a route ``METHOD /path`` (``ANY``: every method not defined for the path; an ``HttpApi`` event without
``Path`` and ``Method`` is ``$default``: samtranslator/plugins/api/implicit_http_api_plugin.py) of the API its
``RestApiId``/``ApiId`` names, else of the implicit ``ServerlessRestApi``/``ServerlessHttpApi``; SAM drops a
trailing ``/`` (eventsources/push.py). API Gateway takes the most specific match: a full match of route and method
(``ANY`` matching methods the path does not define) before a match with a greedy ``{proxy+}``, then ``$default``
(developer guide, "Routing API requests"); a literal segment is more specific than a ``{param}``, a method than
``ANY``. Nothing more is documented, so within a class a route ``A`` *precedes* ``B`` only when it is at least as
specific in both the path and the method (and more in one); routes neither precedes that share a request are ordered
both ways (table variants): a verdict that depends on it is ``unknown`` (CNV106 names the request).

Each route gets its own table: the routes that precede it, then (second variant) those of undecided order, then the
route. Requests use path segments of ``[A-Za-z0-9_-]`` (no percent-escape, which API Gateway decodes before
matching): route literals outside that alphabet make the route ``unknown``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cnverify.encodings.http import Entry, HostPattern, Match, PathMatch, StrMatch
from cnverify.encodings.http_precheck import disjoint
from cnverify.encodings.http_rewrite import Rewrite
from cnverify.errors import Span
from cnverify.model.lambda_sam import SAM_FUNCTION, Template
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.rewrites import RewriteSource
from cnverify.systems.routing.tables import Clause, Table, clause_key, scoped

READS = (Template,)
IMPLICIT = {"Api": "ServerlessRestApi", "HttpApi": "ServerlessHttpApi"}
EXPLICIT = {"Api": "AWS::Serverless::Api", "HttpApi": "AWS::Serverless::HttpApi"}
DEFAULT = "$default"
SEGMENT, GREEDY = "[A-Za-z0-9_-]+", "[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*"
_LITERAL = re.compile(r"[A-Za-z0-9._~-]+")
_PARAM = re.compile(r"\{[^{}/+]+\}")
_GREEDY = re.compile(r"\{[^{}/+]+\+\}")
DECODED = RewriteSource(
    Rewrite(),
    "API Gateway decodes percent-escapes before matching: requests are taken without them (path segments of "
    "[A-Za-z0-9_-])",
    None,
)
X_ANY = "x-amazon-apigateway-any-method"
METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
ANY_METHOD = StrMatch("regex", "|".join(METHODS))
CLIENT_METHODS = (
    "assumes: requests use one of API Gateway's route methods (DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT); "
    "what ANY or $default do with others is not documented"
)
UNDECIDED = (
    "which route API Gateway prefers (documented: full matches before greedy ones, then $default; literal "
    "segments before parameters, methods before ANY — not the order of routes that differ both ways)"
)


@dataclass(frozen=True)
class Route:
    key: str  # clause key
    label: str
    method: str  # upper case; "ANY"
    path: str  # as SAM sends it ("$default" for the default route)
    segments: tuple[str, ...]  # "" for "/"; "{}" a parameter, "{+}" greedy
    at: Span
    event: bool = True  # False: a route of the API's own OpenAPI definition

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1] == "{+}"


def _segments(path: str) -> tuple[str, ...] | None:
    """The route's segments (literals, ``{}``, a final ``{+}``), or None when the path is not modelled."""
    parts = path.split("/")[1:] if path.startswith("/") else None
    if parts is None:
        return None
    if parts == [""]:
        return ()
    out = []
    for i, p in enumerate(parts):
        if _GREEDY.fullmatch(p) and i == len(parts) - 1:
            out.append("{+}")
        elif _PARAM.fullmatch(p):
            out.append("{}")
        elif _LITERAL.fullmatch(p):
            out.append(p)
        else:
            return None
    return tuple(out)


def _seg_ge(a: str, b: str) -> bool:
    """A segment at least as specific as another: equal, or any segment against a parameter."""
    return a == b or (b == "{}" and a != "{+}")


def path_at_least(a: Route, b: Route) -> bool:
    """Is ``a``'s path (of ``b``'s class: both full or both greedy) at least as specific as ``b``'s?"""
    if a.greedy:  # a longer (or equal) literal prefix, segment by segment at least as specific
        pa, pb = a.segments[:-1], b.segments[:-1]
        return len(pa) >= len(pb) and all(_seg_ge(x, y) for x, y in zip(pa, pb, strict=False))
    return len(a.segments) == len(b.segments) and all(
        _seg_ge(x, y) for x, y in zip(a.segments, b.segments, strict=True)
    )


def precedes(a: Route, b: Route) -> bool:
    """Does API Gateway take ``a`` over ``b`` for every request both match, by its documented rules: a full match
    (of route and method, ANY included) before a greedy one, both before ``$default``; within a class, ``a`` must be
    at least as specific in path and method and more specific in one."""
    if a.path == DEFAULT or b.path == DEFAULT:
        return b.path == DEFAULT and a.path != DEFAULT
    if a.greedy != b.greedy:
        return b.greedy
    a_ge_b = path_at_least(a, b) and (a.method == b.method or b.method == "ANY")
    b_ge_a = path_at_least(b, a) and (b.method == a.method or a.method == "ANY")
    return a_ge_b and not b_ge_a


def _match(r: Route) -> Match:
    if r.path == DEFAULT:
        return Match(method=ANY_METHOD)
    regex = "/" + "/".join(SEGMENT if s == "{}" else GREEDY if s == "{+}" else re.escape(s) for s in r.segments)
    method = ANY_METHOD if r.method == "ANY" else StrMatch("exact", r.method)
    return Match(path=PathMatch("regex", regex), method=method)


def _events(t: Template) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(function id, event id, event type, event properties) of every Api/HttpApi event, in template order."""
    out = []
    for rid, props in t.of_type(SAM_FUNCTION):
        events = props.get("Events")
        for eid, ev in events.items() if isinstance(events, dict) else ():
            if isinstance(ev, dict) and ev.get("Type") in IMPLICIT and isinstance(ev.get("Properties") or {}, dict):
                out.append((rid, eid, str(ev["Type"]), ev.get("Properties") or {}))
    return out


def _body_routes(t: Template, api: str, props: dict[str, Any]) -> tuple[list[Route], str]:
    """The routes an API's OpenAPI ``DefinitionBody`` writes out (SAM adds the events' routes to it), or why they are
    not known: ``DefinitionUri``, an intrinsic body (``AWS::Include``), a ``$ref`` path item, an unmodelled path."""
    if "DefinitionUri" in props:
        return [], f"{api}'s OpenAPI definition is in another file (DefinitionUri): its routes are not modelled"
    body = props.get("DefinitionBody")
    if body is None:
        return [], ""
    paths = (
        body.get("paths", {}) if isinstance(body, dict) and not any(str(k).startswith("Fn::") for k in body) else None
    )
    if not isinstance(paths, dict):
        return [], f"{api}'s OpenAPI definition is not written out (an intrinsic such as AWS::Include): not modelled"
    out = []
    for p, item in paths.items():
        norm = DEFAULT if p == DEFAULT else re.sub(r"^(.+)/$", r"\1", str(p))
        segments = () if norm == DEFAULT else _segments(norm)
        if not isinstance(item, dict) or "$ref" in item or segments is None:
            return [], f"{api}'s OpenAPI path {p!r} is not modelled"
        for m in item:
            method = "ANY" if str(m).lower() == X_ANY else str(m).upper()
            if method == "ANY" or method in METHODS:
                at = t.at("Resources", api, "Properties", "DefinitionBody", "paths", p, m)
                label = f"{api} {method} {norm} (its OpenAPI definition)"
                out.append(Route(f"{api}:openapi:{method} {norm}", label, method, norm, segments, at, event=False))
    return out, ""


def _api(t: Template, kind: str, props: dict[str, Any]) -> tuple[str | None, list[Route], str]:
    """The API an event belongs to, the routes its OpenAPI definition adds, and why its routes are not all known."""
    given = props.get("RestApiId" if kind == "Api" else "ApiId")
    if given is None:
        defined = (t.globals_.get(kind) or {}) if isinstance(t.globals_.get(kind), dict) else {}
        body = "DefinitionBody" in defined or "DefinitionUri" in defined
        return IMPLICIT[kind], [], "Globals define an OpenAPI document for the API (not modelled)" if body else ""
    ref = given.get("Ref") if isinstance(given, dict) and len(given) == 1 else None
    res = t.resources.get(ref) if isinstance(ref, str) else None
    if not isinstance(res, dict) or res.get("Type") != EXPLICIT[kind]:
        return None, [], ""
    props_ = res.get("Properties") or {}
    routes, why = _body_routes(t, str(ref), props_) if isinstance(props_, dict) else ([], "")
    return str(ref), routes, why


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    tables: list[Table] = []
    for t in snap.all(Template):
        apis: dict[str, tuple[list[Route], str]] = {}
        for rid, eid, kind, props in _events(t):
            base = ("Resources", rid, "Properties", "Events", eid)
            rpath = ".".join(base)
            path, method = props.get("Path"), props.get("Method")
            if kind == "HttpApi" and path is None and method is None:
                path, method = DEFAULT, "any"
            if isinstance(path, str):
                path = re.sub(r"^(.+)/$", r"\1", path)
            rkey = f"{t.ref}:{rpath}"
            key = clause_key(rkey, rpath)
            shown = f"{str(method).upper()} {path}" if path != DEFAULT else DEFAULT
            api, body, why = _api(t, kind, props)
            label = f"{api or kind} {shown} ({rid} event {eid})"
            at = t.at(*base, "Properties", "Path") if path != DEFAULT else t.at(*base)
            clauses[key] = Clause(t, rkey, label, t.at(*base), rpath, at, rpath, 1)
            if api is None or not isinstance(path, str) or not isinstance(method, str):
                continue  # an API outside the template or an intrinsic: no table (CNV101: unknown)
            segments = () if path == DEFAULT else _segments(path)
            routes, note = apis.setdefault(api, (body, why)) if api is not None else ([], "")
            if segments is None:
                apis[api] = (routes, note or f"path {path!r} is not modelled (characters outside [A-Za-z0-9._~-])")
                continue
            m = method.upper() if method.lower() not in ("any", X_ANY) else "ANY"
            routes.append(Route(key, label, m, path, segments, at))
        for api, (routes, note) in apis.items():
            tables += _tables(t, api, routes, note)
    return clauses, tables


def _tables(t: Template, api: str, routes: list[Route], note: str) -> list[Table]:
    out = []
    unmodelled = [Entry(f"{api}'s other routes", f"{api}'s unmodelled routes", Match(unsupported=note))] if note else []
    given = {(r.method, r.path) for r in routes if r.event}
    routes = [r for r in routes if r.event or (r.method, r.path) not in given]  # SAM merges an event into its path
    matches = {r.key: _match(r) for r in routes}
    for r in (r for r in routes if r.event):
        entry = Entry(r.label, r.key, matches[r.key])
        blockers = {b.key: Entry(b.label, b.label, matches[b.key]) for b in routes if b is not r}
        near = [b for b in routes if b is not r and not disjoint(entry, blockers[b.key])]  # may share a request
        first = [b for b in near if precedes(b, r)]
        open_ = [b for b in near if b not in first and not precedes(r, b)]
        lead = unmodelled + [blockers[b.key] for b in first]
        variants = [[*lead, entry]] + ([[*lead, *(blockers[b.key] for b in open_), entry]] if open_ else [])
        scoped_variants, sample = [], None
        for v in variants:
            entries, sample = scoped(v, HostPattern("*"), [])
            scoped_variants.append(entries)
        ties = {r.key: ("undecided", r.key)} | {b.label: ("undecided", b.key) for b in open_}
        out.append(
            Table(
                "lambda",
                f"{r.label.split(' (', 1)[0]}: the most specific route first",
                r.at,
                scoped_variants,
                host_sample=sample,
                ties=ties if open_ else {},
                uncertain=UNDECIDED if open_ else "",
                places={b.label: b.at for b in [*first, *open_]},
                order_note=UNDECIDED if open_ else "",
                rewrite=DECODED,
                defaults=[(CLIENT_METHODS, r.at)],
            )
        )
    return out
