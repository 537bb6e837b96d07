"""Envoy configuration as the loader meets it: bootstraps and xDS resource files, split into objects.

A bootstrap's static listeners give one ``RouteConfiguration`` per inline ``route_config`` of their HTTP
connection managers (with the manager's request-rewriting options injected under ``HCM_KEY``, read by
``model/envoy.py`` ``HcmOptions``) and its static clusters one ``Cluster`` each; an xDS resource file
(RDS / CDS / LDS) gives its RouteConfigurations, Clusters and listeners' inline route configs.
"""

from __future__ import annotations

from typing import Any

from cnverify.loader import LoadResult, RawObject
from cnverify.model.envoy import ENVOY_CLUSTER, ENVOY_ROUTE
from cnverify.source import Document, Path

HCM_NAMES = ("envoy.filters.network.http_connection_manager", "envoy.http_connection_manager")
HCM_KEY = "cnverify_hcm"  # injected into an inline route_config: its connection manager's rewriting options
HCM_REWRITE_KEYS = (
    "normalize_path",
    "merge_slashes",
    "path_with_escaped_slashes_action",
    "strip_any_host_port",
    "strip_matching_host_port",
)


def split_raw(doc: Document, data: dict[str, Any], path: Path, out: LoadResult) -> bool:
    """Split a bootstrap (``static_resources``) or an xDS resource file (``resources``); False: neither."""
    if isinstance(data.get("static_resources"), dict):
        _split_bootstrap(doc, data["static_resources"], path + ("static_resources",), out)
        return True
    if not isinstance(data.get("resources"), list):
        return False
    for i, res in enumerate(data["resources"]):  # xDS resource files (RDS / CDS / LDS)
        if isinstance(res, dict):
            t = str(res.get("@type", ""))
            if t.endswith(".RouteConfiguration"):
                out.objects.append(RawObject(doc, path + ("resources", i), res, ENVOY_ROUTE, "RouteConfiguration"))
            elif t.endswith(".Cluster"):
                out.objects.append(RawObject(doc, path + ("resources", i), res, ENVOY_CLUSTER, "Cluster"))
            elif t.endswith(".Listener"):  # LDS: inline route_config of its HTTP connection managers
                _split_listener(doc, res, path + ("resources", i), f"listener-{i}", out)
    return True


def _split_bootstrap(doc: Document, static: dict[str, Any], path: Path, out: LoadResult) -> None:
    for li, listener in enumerate(_list(static.get("listeners"))):
        _split_listener(doc, listener, path + ("listeners", li), f"listener-{li}", out)
    for ci, cluster in enumerate(_list(static.get("clusters"))):
        if isinstance(cluster, dict):
            out.objects.append(RawObject(doc, path + ("clusters", ci), cluster, ENVOY_CLUSTER, "Cluster"))


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
            out.objects.append(RawObject(doc, rpath, rc, ENVOY_ROUTE, "RouteConfiguration"))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
