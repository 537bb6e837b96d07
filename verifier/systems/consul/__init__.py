"""Consul service mesh: config entries as consul-k8s CRDs (``consul.hashicorp.com``) and as raw HCL/JSON entries
(``consul config write``): the discovery chain router → splitter → resolver, splitter weights, references and
the protocol L7 entries need. Rules: docs/SEMANTICS.md#consul (checked against hashicorp/consul and
hashicorp/consul-k8s).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction
from types import ModuleType
from typing import Any

from cnverify.loader import LoadResult, RawObject
from cnverify.model import consul as model
from cnverify.model.consul import CONSUL, ServiceSplitter
from cnverify.snapshot import Snapshot
from cnverify.source import Document, Path
from cnverify.systems.base import ActionReader, Group, Share, SideRule, Split, System
from cnverify.systems.consul import hcl, weights
from cnverify.systems.consul.decode import Decoder, entry_kind
from cnverify.systems.consul.hcl import CONFIG_ENTRY_KINDS

CONFIG_FILES = (".json", ".hcl")  # what `consul config write` reads (HCL or JSON); a YAML mapping is not an entry
CONSUL_RULE = (
    "Consul rounds each weight to 0.01 and requires the rounded weights to total exactly 100.00 "
    "(agent/structs ServiceSplitterConfigEntry.Normalize/Validate)"
)


class Consul(System):
    name = "consul"
    title = "Consul service mesh config entries"
    order = 83
    kinds = model.ROUTING_KINDS
    groups = {
        CONSUL: Group(creates_pods=False)
    }  # config entries configure Consul; consul-k8s runs no workload for them
    file_readers = {".hcl": hcl.read}
    declines = {
        "modelled_creators": "config entries configure the mesh; they create no pods",
        "links": "references between entries are followed by the discovery chain (chain.py) when checked",
    }

    def split_raw(self, doc: Document, data: dict[str, Any], path: Path, out: LoadResult) -> bool:
        """A raw config entry in a JSON or HCL file (:mod:`hcl`): decoded by Consul's rules into the CRD shape."""
        kind = entry_kind(data)
        if kind not in CONFIG_ENTRY_KINDS or "apiVersion" in data or not doc.file.endswith(CONFIG_FILES):
            return False
        decoder = Decoder(doc, path)
        obj = decoder.entry(data)
        out.errors += decoder.errors
        if obj is not None:
            entry_doc = Document(doc.file, doc.index, obj, decoder.spans)
            out.objects.append(RawObject(entry_doc, (), obj, obj["apiVersion"], obj["kind"]))
        return obj is not None or bool(decoder.errors)

    def route_tables(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.consul import tables

        return (tables,)

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.consul import targets

        return (targets,)

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """Each splitter's weights by Consul's rule (hundredths, total 10000); CRDs also by the webhook's."""
        for sp in snap.all(ServiceSplitter):
            splits = sp.spec.splits or []
            shares = []
            for j, s in enumerate(splits):
                label = (
                    f"splits[{j}] ({s.service or sp.name}{' subset ' + s.service_subset if s.service_subset else ''})"
                )
                shares.append(
                    Share(label, weights.consul_scaled(float(s.weight)), s.at("weight"), s.at(), str(s.weight))
                )
            also: tuple[SideRule, ...] = ()
            if not sp.raw:
                also = _webhook(sp, [float(s.weight) for s in splits], sum(x.weight or 0 for x in shares) == 10000)
            yield Split(
                sp,
                "spec.splits",
                sp.spec.at("splits"),
                shares,
                total=10000,
                field="scaled weight",
                effect=CONSUL_RULE
                + ("; the write is rejected" if sp.raw else "; the consul-k8s controller cannot sync it"),
                also=also,
            )

    def diff_actions(self) -> Mapping[str, ActionReader]:
        from cnverify.systems.consul.actions import consul_action

        return {"consul": consul_action}

    def split_reads(self) -> tuple[type[ServiceSplitter], ...]:
        return (ServiceSplitter,)


def _webhook(sp: ServiceSplitter, ws: list[float], consul_ok: bool) -> tuple[SideRule, ...]:
    """The consul-k8s webhook's rules: the float32 sum is exactly 100; each weight is 0 or within [0.01, 100]."""
    total = weights.webhook_sum(ws)
    shown = f"{float(total):.9g}"
    fails = f"the consul-k8s webhook adds the weights in float32 and gets {shown}, not 100: kubectl apply is rejected"
    if consul_ok:
        fails += " although Consul itself accepts these weights (rounded to 0.01 they total 100.00)"
    at = sp.spec.at("splits")
    rules = [
        SideRule(f"the consul-k8s webhook's float32 sum of the weights is {shown}", total, Fraction(100), at, fails)
    ]
    bad = [f"{w:g}" for w in ws if weights.webhook_bad_weight(w)]
    if bad:
        says = f"weights {', '.join(bad)} are neither 0 nor within [0.01, 100] (the consul-k8s webhook rejects them)"
        rules.append(SideRule(says, Fraction(len(bad)), Fraction(0), at, says))
    return tuple(rules)


SYSTEM = Consul()
