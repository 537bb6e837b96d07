"""How Linkerd reads a reference's group and kind (linkerd2 b24cd405 ``policy-controller/k8s/api/src/policy.rs``
``targets_kind``: an empty or absent group is the core group; kinds compare case-insensitively).

An HTTPRoute ``parentRef`` without a group gets the CRD's default ``policy.linkerd.io`` (and ``Gateway``
without a kind: ``charts/linkerd-crds`` httproutes), so ``{kind: Service, name: web}`` names no Service:
Linkerd's examples write ``group: core``.  AuthorizationPolicy references have no such default.
"""

from __future__ import annotations

from cnverify.model.gateway import ParentReference
from cnverify.model.linkerd import POLICY, TargetRef

GATEWAY_API = "gateway.networking.k8s.io"


def _is(group: str | None, kind: str, want_kind: str, *groups: str) -> bool:
    g = (group or "core").lower()
    return kind.lower() == want_kind.lower() and g in {x.lower() for x in groups}


def parent_is(pref: ParentReference, kind: str) -> bool:
    """Does the HTTPRoute parentRef name a ``kind`` ("Service" or "Server") as Linkerd reads it?"""
    group = pref.group if pref.group is not None else POLICY
    return _is(group, pref.kind or "Gateway", kind, "core" if kind == "Service" else POLICY)


def target_is(ref: TargetRef, kind: str) -> bool:
    """Does an AuthorizationPolicy reference name ``kind`` (HTTPRoute: either group)?"""
    groups = {"Namespace": ("core",), "ServiceAccount": ("core",), "HTTPRoute": (POLICY, GATEWAY_API)}
    return _is(ref.group, ref.kind, kind, *groups.get(kind, (POLICY,)))


def defaulted_service(pref: ParentReference) -> bool:
    """A parentRef written as a Service whose group the CRD defaults to policy.linkerd.io."""
    return (pref.kind or "").lower() == "service" and pref.group is None
