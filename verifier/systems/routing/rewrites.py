"""Which request rewriting (`Rewrite`) a table's proxy applies before routing, and where that is said.

* Envoy: the options of the HttpConnectionManager that holds the inline ``route_config``
  (`normalize_path`, `merge_slashes`, `path_with_escaped_slashes_action`,
  `strip_any_host_port` / `strip_matching_host_port`); absent options take Envoy's defaults
  (all off, ``KEEP_UNCHANGED``); a route configuration from an RDS file has no connection
  manager in the inputs, so Envoy's defaults are assumed.
* Istio: meshConfig ``pathNormalization.normalization`` as pilot sets the HCM on every listener
  (istio/istio ``pilot/pkg/networking/core/listener_builder.go`` ``buildHTTPConnectionManager``):
  ``NONE`` → nothing; ``BASE`` / ``DEFAULT`` (the default) → ``normalize_path``;
  ``MERGE_SLASHES`` → also ``merge_slashes``; ``DECODE_AND_MERGE_SLASHES`` → also
  ``UNESCAPE_AND_FORWARD``. ``defaultConfig.connectionSettings`` ``httpMergeSlashes`` /
  ``httpPathWithEscapedSlashesAction`` override them, and its ``profile: EDGE`` gives gateways
  ``merge_slashes`` and ``UNESCAPE_AND_REDIRECT`` where unset (``connection_settings.go``).
  The mesh config comes from ``--mesh-config FILE`` / ``mesh-config:`` (a MeshConfig YAML or the
  ``istio`` ConfigMap with its ``mesh`` key); without it Istio's default is assumed.

Each source yields a `RewriteSource`: the rewrite, one sentence for the proof chain (said only
when a verdict depends on it) and its location; a mesh config that cannot be read gives an error
(the tables' verdicts become unknown).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml
from cnverify.encodings.http import ESCAPED_SLASHES, Rewrite
from cnverify.errors import Span
from cnverify.model import RouteConfiguration
from cnverify.source import Document, compose, decode

ISTIO_LEVELS = {
    "NONE": Rewrite(),
    "BASE": Rewrite(normalize_path=True),
    "DEFAULT": Rewrite(normalize_path=True),
    "MERGE_SLASHES": Rewrite(normalize_path=True, merge_slashes=True),
    "DECODE_AND_MERGE_SLASHES": Rewrite(
        normalize_path=True, merge_slashes=True, escaped_slashes="UNESCAPE_AND_FORWARD"
    ),
}


@dataclass(frozen=True)
class RewriteSource:
    rewrite: Rewrite
    note: str  # the chain step (said when a verdict depends on the rewrite)
    at: Span | None
    error: str = ""  # the options cannot be read: every verdict of the table is unknown


def envoy_rewrite(rc: RouteConfiguration) -> RewriteSource:
    """The rewriting of the connection manager holding ``rc`` (Envoy's defaults where not set)."""
    ref = rc.cnverify_hcm
    if ref is None:
        return RewriteSource(
            Rewrite(),
            "the connection manager using this route configuration is not in the "
            "inputs: assumed Envoy's defaults (no path normalisation, escaped slashes kept)",
            rc.at(),
        )
    o = ref.options
    action = o.path_with_escaped_slashes_action or "KEEP_UNCHANGED"
    action = "KEEP_UNCHANGED" if action == "IMPLEMENTATION_SPECIFIC_DEFAULT" else action
    doc, path = rc.doc, tuple(ref.path)
    at = doc.span(path) if doc is not None else rc.at()
    if action not in ESCAPED_SLASHES:
        return RewriteSource(Rewrite(), "", at, f"unknown path_with_escaped_slashes_action {action!r}")
    strip = "any" if o.strip_any_host_port else "matching" if o.strip_matching_host_port else "none"
    rw = Rewrite(bool(o.normalize_path), bool(o.merge_slashes), action, strip)  # type: ignore[arg-type]
    unset = [
        k for k in ("normalize_path", "merge_slashes", "path_with_escaped_slashes_action") if getattr(o, k) is None
    ]
    said = f"the listener's connection manager: {rw.describe()}"
    if unset:
        said += f" ({', '.join(unset)} not set: Envoy's default)"
    return RewriteSource(rw, said, at)


def istio_rewrite(mesh_file: str | None, gateway: bool) -> RewriteSource:
    """Istio's rewriting on sidecars (``gateway=False``) or gateways, from the mesh config file."""
    if not mesh_file:
        return RewriteSource(
            ISTIO_LEVELS["DEFAULT"],
            "no mesh config given (--mesh-config): assumed Istio's "
            "default pathNormalization DEFAULT (normalize_path on every listener)",
            None,
        )
    try:
        mesh, doc, base = _read_mesh(mesh_file)
    except ValueError as exc:
        return RewriteSource(Rewrite(), "", None, str(exc))
    level = _get(mesh, "pathNormalization", "normalization") or "DEFAULT"
    at = doc.span(base or ("pathNormalization", "normalization"))
    if level not in ISTIO_LEVELS:
        return RewriteSource(Rewrite(), "", at, f"{at}: unknown pathNormalization {level!r}")
    rw = ISTIO_LEVELS[level]
    cs = _get(mesh, "defaultConfig", "connectionSettings") or {}
    merge, action = cs.get("httpMergeSlashes"), cs.get("httpPathWithEscapedSlashesAction")
    if gateway and cs.get("profile") == "EDGE":
        merge = True if merge is None else merge
        action = action or "UNESCAPE_AND_REDIRECT"
    if isinstance(merge, bool):
        rw = Rewrite(rw.normalize_path, merge, rw.escaped_slashes, rw.strip_port)
    if action in ESCAPED_SLASHES:
        rw = Rewrite(rw.normalize_path, rw.merge_slashes, action, rw.strip_port)
    elif action not in (None, "PATH_WITH_ESCAPED_SLASHES_UNSPECIFIED"):
        return RewriteSource(Rewrite(), "", at, f"{at}: unknown httpPathWithEscapedSlashesAction {action!r}")
    where = "gateways" if gateway else "sidecars"
    return RewriteSource(rw, f"mesh config pathNormalization {level}: {where} apply {rw.describe()}", at)


def _get(data: Any, *keys: str) -> Any:
    for k in keys:
        data = data.get(k) if isinstance(data, dict) else None
    return data


@lru_cache(maxsize=8)
def _read_mesh(file: str) -> tuple[dict[str, Any], Document, tuple[str, ...]]:
    """(MeshConfig, its document, the path of the mesh text inside it: () for a MeshConfig file)."""
    try:
        with open(file, "rb") as fh:
            text, err = decode(fh.read(), file)
    except OSError as exc:
        raise ValueError(f"{file}: cannot read the mesh config: {exc.strerror}") from None
    if err is not None or text is None:
        raise ValueError(str(err))
    docs = [d for d in compose(text, file)]
    bad = [d for d in docs if not isinstance(d, Document)]
    if bad:
        raise ValueError(str(bad[0]))
    for doc in [d for d in docs if isinstance(d, Document)]:  # every one, after the check above
        data = doc.data
        if isinstance(data, dict) and data.get("kind") == "ConfigMap":
            mesh_text = _get(data, "data", "mesh")
            if not isinstance(mesh_text, str):
                continue
            try:
                mesh = yaml.safe_load(mesh_text) or {}
            except yaml.YAMLError as exc:
                raise ValueError(f"{doc.span(('data', 'mesh'))}: the mesh key is not YAML: {exc}") from None
            if not isinstance(mesh, dict):
                raise ValueError(f"{doc.span(('data', 'mesh'))}: the mesh key is not a mapping")
            return mesh, doc, ("data", "mesh")
        if isinstance(data, dict):
            return data, doc, ()
    raise ValueError(f"{file}: no MeshConfig (or ConfigMap with a 'mesh' key) in the mesh config file")
