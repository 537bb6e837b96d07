"""Consul's decode rules for raw config entries (HCL or JSON), into the consul-k8s CRD shape the model reads.

As ``consul config write`` decodes (command/helpers ``newDecodeConfigEntry``; agent/structs/config_entry.go
``DecodeConfigEntry``; lib/decode): keys match field names case-insensitively or their snake_case alias
(``HookTranslateKeys``: ``path_prefix`` ≡ ``PathPrefix``); ``WeaklyTypedInput`` (``Weight = "90"``, ``"true"``
for a bool, a single value where a list belongs); a one-element list where an object belongs is that object
(``HookWeakDecodeFromSlice``: HCL blocks); an unknown key is an error (``invalid config key "X"``;
``CreateIndex``/``ModifyIndex``/``Kind`` excepted). Fields cnverify does not read are accepted with any value.
"""

from __future__ import annotations

import re
from typing import Any

from cnverify.errors import InputError, Span
from cnverify.model.consul import RAW_API_VERSION
from cnverify.source import Document, Path, format_path

Schema = Any  # "str" | "int" | "float32" | "bool" | "any" | ("list", Schema) | ("map", Schema) | dict[str, Schema]
A = "any"
HEADERS = {"Add": ("map", "str"), "Set": ("map", "str"), "Remove": ("list", "str")}
TARGET = {"Service": "str", "ServiceSubset": "str", "Namespace": "str", "Partition": "str"}
HTTP = {
    "PathExact": "str",
    "PathPrefix": "str",
    "PathRegex": "str",
    "CaseInsensitive": "bool",
    "Header": (
        "list",
        {
            "Name": "str",
            "Present": "bool",
            "Exact": "str",
            "Prefix": "str",
            "Suffix": "str",
            "Regex": "str",
            "Invert": "bool",
        },
    ),
    "QueryParam": ("list", {"Name": "str", "Present": "bool", "Exact": "str", "Regex": "str"}),
    "Methods": ("list", "str"),
}
DESTINATION = TARGET | {
    "PrefixRewrite": "str",
    "RequestTimeout": A,
    "IdleTimeout": A,
    "NumRetries": "int",
    "RetryOnConnectFailure": "bool",
    "RetryOn": ("list", "str"),
    "RetryOnStatusCodes": ("list", "int"),
    "RequestHeaders": HEADERS,
    "ResponseHeaders": HEADERS,
}
REDIRECT = TARGET | {"Datacenter": "str", "Peer": "str", "SamenessGroup": "str"}
FAILOVER = {
    "Service": "str",
    "ServiceSubset": "str",
    "Namespace": "str",
    "Datacenters": ("list", "str"),
    "Targets": ("list", REDIRECT),
    "Policy": A,
    "SamenessGroup": "str",
}
COMMON = {"Name": "str", "Namespace": "str", "Partition": "str", "Meta": ("map", "str")}
ENTRIES: dict[str, tuple[str, dict[str, Schema]]] = {
    "service-router": ("ServiceRouter", {"Routes": ("list", {"Match": {"HTTP": HTTP}, "Destination": DESTINATION})}),
    "service-splitter": (
        "ServiceSplitter",
        {"Splits": ("list", TARGET | {"Weight": "float32", "RequestHeaders": HEADERS, "ResponseHeaders": HEADERS})},
    ),
    "service-resolver": (
        "ServiceResolver",
        {
            "DefaultSubset": "str",
            "Subsets": ("map", {"Filter": "str", "OnlyPassing": "bool"}),
            "Redirect": REDIRECT,
            "Failover": ("map", FAILOVER),
            "ConnectTimeout": A,
            "RequestTimeout": A,
            "LoadBalancer": A,
            "PrioritizeByLocality": A,
        },
    ),
    "service-defaults": (
        "ServiceDefaults",
        {"Protocol": "str"}
        | dict.fromkeys(
            "Mode TransparentProxy MutualTLSMode MeshGateway Expose ExternalSNI UpstreamConfig Destination "
            "MaxInboundConnections LocalConnectTimeoutMs LocalRequestTimeoutMs BalanceInboundConnections RateLimits "
            "EnvoyExtensions".split(),
            A,
        ),
    ),
    "proxy-defaults": (
        "ProxyDefaults",
        {"Config": ("map", A)}
        | dict.fromkeys(
            "Mode TransparentProxy MutualTLSMode MeshGateway Expose AccessLogs EnvoyExtensions FailoverPolicy "
            "PrioritizeByLocality".split(),
            A,
        ),
    ),
}
IGNORED = ("kind", "createindex", "modifyindex")
TRUE, FALSE = {"1", "t", "T", "TRUE", "true", "True"}, {"0", "f", "F", "FALSE", "false", "False"}


def entry_kind(data: dict[str, Any]) -> str | None:
    """The config-entry kind of a raw mapping (``Kind`` or ``kind``, as DecodeConfigEntry reads it)."""
    kind = data.get("Kind", data.get("kind"))
    return kind if isinstance(kind, str) else None


def camel(field: str) -> str:
    """``PathPrefix`` → ``pathPrefix``, ``HTTP`` → ``http``, ``MutualTLSMode`` → ``mutualTLSMode`` (the CRD's keys)."""
    head = re.match(r"[A-Z]+(?=[A-Z][a-z]|$)|[A-Z]", field)
    n = head.end() if head else 0
    return field[:n].lower() + field[n:]


def snake(field: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", field).lower()


class Decoder:
    """Decodes one raw entry of ``doc`` at ``path``; ``errors`` collects located problems."""

    def __init__(self, doc: Document, path: Path) -> None:
        self.doc, self.base = doc, path
        self.spans: dict[Path, Span] = {}
        self.errors: list[InputError] = []

    def entry(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The entry as a CRD-shaped object (None when it has errors or is a kind cnverify does not model)."""
        kind = entry_kind(data)
        if kind not in ENTRIES:
            return None
        crd_kind, schema = ENTRIES[kind]
        top = self.struct(data, COMMON | schema, (), ())
        if kind == "proxy-defaults" and not top.get("name"):
            top["name"] = "global"  # ProxyConfigEntry.Normalize: the only (and default) name
        root = self.doc.span(self.base)
        if not self.errors and (not isinstance(top.get("name"), str) or not top["name"]):
            self._error((), f"{kind}: Name is required")
        if self.errors:
            return None
        meta = {"name": top.pop("name")} | ({"namespace": top.pop("namespace")} if "namespace" in top else {})
        top.pop("partition", None), top.pop("meta", None)
        self.spans[("metadata",)] = self.spans[("metadata", "name")] = self.spans.pop(("name",), root)
        if ("namespace",) in self.spans:
            self.spans[("metadata", "namespace")] = self.spans.pop(("namespace",))
        self.spans |= {(): root, ("spec",): root, ("apiVersion",): root, ("kind",): root}
        for p in [p for p in self.spans if p and p[0] not in ("metadata", "spec", "apiVersion", "kind")]:
            self.spans[("spec", *p)] = self.spans.pop(p)
        return {"apiVersion": RAW_API_VERSION, "kind": crd_kind, "metadata": meta, "spec": top}

    def _error(self, path: Path, message: str) -> None:
        self.errors.append(InputError(self.doc.span(self.base + path), message))

    def struct(self, data: Any, schema: dict[str, Schema], src: Path, out: Path) -> dict[str, Any]:
        if isinstance(data, list) and len(data) <= 1:  # HookWeakDecodeFromSlice: an HCL block is a 1-list
            return self.struct(data[0], schema, src + (0,), out) if data else {}
        if not isinstance(data, dict):
            self._error(src, f"'{format_path(out) or 'entry'}' expected a map, got '{type(data).__name__}'")
            return {}
        result: dict[str, Any] = {}
        for key, value in data.items():
            field = next((f for f in schema if str(key).lower() in (f.lower(), snake(f))), None)
            if field is None:
                if str(key).lower() not in IGNORED:
                    self._error(src + (key,), f'invalid config key "{format_path((*out, key))}"')
                continue
            name = camel(field)
            self.spans[out + (name,)] = self.doc.span(self.base + src + (key,))
            if value is not None:
                result[name] = self.value(value, schema[field], src + (key,), out + (name,))
        return result

    def value(self, data: Any, schema: Schema, src: Path, out: Path) -> Any:
        if schema == A:
            return data
        if isinstance(schema, dict):
            return self.struct(data, schema, src, out)
        if isinstance(schema, tuple):
            return self.map(data, schema[1], src, out) if schema[0] == "map" else self.list(data, schema[1], src, out)
        return self.scalar(data, schema, src, out)

    def list(self, data: Any, item: Schema, src: Path, out: Path) -> list[Any]:
        if not isinstance(data, list):  # WeaklyTypedInput: a single value where a list belongs
            return [self.value(data, item, src, out + (0,))]
        for i in range(len(data)):
            self.spans[out + (i,)] = self.doc.span(self.base + src + (i,))
        return [self.value(x, item, src + (i,), out + (i,)) for i, x in enumerate(data)]

    def map(self, data: Any, item: Schema, src: Path, out: Path) -> dict[str, Any]:
        if isinstance(data, list):  # mapstructure merges a list of maps into one map
            merged: dict[str, Any] = {}
            for i, part in enumerate(data):
                merged |= self.map(part, item, src + (i,), out)
            return merged
        if not isinstance(data, dict):
            self._error(src, f"'{format_path(out)}' expected a map, got '{type(data).__name__}'")
            return {}
        result = {}
        for k, v in data.items():
            self.spans[out + (str(k),)] = self.doc.span(self.base + src + (k,))
            result[str(k)] = self.value(v, item, src + (k,), out + (str(k),))
        return result

    def scalar(self, data: Any, kind: str, src: Path, out: Path) -> Any:
        """mapstructure's weak conversions to string, int, float32 and bool; anything else is an error."""
        try:
            if kind == "str" and not isinstance(data, dict | list):
                return (
                    ("1" if data else "0") if isinstance(data, bool) else data if isinstance(data, str) else str(data)
                )
            if kind == "int" and not isinstance(data, dict | list):
                return int(data, 0) if isinstance(data, str) else int(data)
            if kind == "float32" and not isinstance(data, dict | list):
                return float(data) if isinstance(data, str | bool) else data
            if kind == "bool" and not isinstance(data, dict | list):
                if isinstance(data, str):
                    if data not in TRUE | FALSE | {""}:
                        raise ValueError(data)
                    return data in TRUE
                return bool(data)
        except ValueError:
            pass
        self._error(src, f"'{format_path(out)}' expected type '{kind}', got {type(data).__name__} {data!r}")
        return None
