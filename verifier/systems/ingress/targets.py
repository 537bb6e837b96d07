"""Targets of Kubernetes Ingresses: each backend's Service and port, or an AWS Load Balancer Controller action."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from cnverify.errors import Span
from cnverify.model.ingress import Ingress, IngressBackend
from cnverify.snapshot import Snapshot
from cnverify.source import format_path
from cnverify.systems.routing.targets import Check, service_target, step

READS = (Ingress,)
# AWS Load Balancer Controller: a backend whose port is "use-annotation" names the action defined in the
# annotation alb.ingress.kubernetes.io/actions.<service name> (docs: guide/ingress/annotations.md, "actions")
USE_ANNOTATION = "use-annotation"
ALB_ACTION = "alb.ingress.kubernetes.io/actions."


def checks(snap: Snapshot) -> Iterator[Check]:
    for ing in snap.all(Ingress):
        backends: list[tuple[IngressBackend, str]] = []
        if ing.spec.default is not None:
            backends.append((ing.spec.default, "default backend"))
        for rule in ing.spec.rules or []:
            for p in rule.http.paths if rule.http else []:
                backends.append((p.backend, f"{rule.host or '*'}{p.path or ''} backend"))
        for b, what in backends:
            yield _ingress_backend(snap, ing, b, what)


def _ingress_backend(snap: Snapshot, ing: Ingress, b: IngressBackend, what: str) -> Check:
    ref = b.service_ref
    steps: list[tuple[str, Span]] = []
    if ref is None:
        step(steps, f"{what} is a resource backend", b)
        return Check(ing, b, "unknown", "resource backends are controller-specific", steps)
    name, port = ref
    if port == USE_ANNOTATION:
        return _alb_action(snap, ing, b, name, what)
    step(steps, f"{what}: Service {ing.namespace}/{name} port {port}", b)
    if port is None:
        return Check(ing, b, "violated", "the backend names no Service port", steps)
    return service_target(snap, ing, b, ing.namespace, name, port, steps, port_required=True, what=what)


class _AlbError(ValueError):
    """The controller rejects the action annotation (json.Unmarshal or Action.validate fails)."""


def _go_field(obj: dict[str, Any], name: str) -> Any:
    """A JSON key as Go's encoding/json finds it: the exact name, else a case-insensitive match."""
    if name in obj:
        return obj[name]
    return next((v for k, v in obj.items() if k.lower() == name.lower()), None)


def _go_value(obj: dict[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    """A field decoded into a Go type (``null`` leaves it unset); a JSON value of another type is an error."""
    v = _go_field(obj, name)
    if v is None:
        return None
    if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
        raise _AlbError(f"{what}{name}: cannot unmarshal {type(v).__name__} into the controller's field")
    return v


def _alb_port(v: Any, what: str) -> int | str | None:
    """intstr.IntOrString, then intstr.Parse (normalizeServicePortForBackwardsCompatibility): "80" is 80."""
    if v is None:
        return None
    if isinstance(v, str):
        return int(v) if v.isdigit() else v
    if isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31:
        return v
    raise _AlbError(f"{what}servicePort: {v!r} is neither a string nor an int32")


def _alb_parse(raw: str) -> tuple[str, list[tuple[str | None, str | None, int | str | None]], dict[str, Any]]:
    """The action as the controller builds it (buildActionViaAnnotation: json.Unmarshal, Action.validate,
    the simplified forward schema normalised): ``(type, target groups (arn, service, port), config)``."""
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise _AlbError(f"the value is not JSON ({exc})") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise _AlbError(f"the value is a JSON {type(doc).__name__}, not an action object")
    kind = _go_value(doc, "type", str, "") or ""
    arn = _go_value(doc, "targetGroupARN", str, "")
    cfg: dict[str, Any] = {}
    if kind in ("fixed-response", "redirect"):
        name = "fixedResponseConfig" if kind == "fixed-response" else "redirectConfig"
        cfg = _go_value(doc, name, dict, "")
        if cfg is None:
            raise _AlbError(f"missing {name[0].upper()}{name[1:]}")
        fields = (
            ("contentType", "messageBody", "statusCode")
            if kind == "fixed-response"
            else ("host", "path", "port", "protocol", "query", "statusCode")
        )
        cfg = {f: _go_value(cfg, f, str, f"{name}.") for f in fields}
        if not cfg["statusCode"]:
            raise _AlbError(f"invalid {name}: statusCode is required")
        return kind, [], cfg
    if kind != "forward":
        raise _AlbError(f"unknown action type: {kind!r}")
    fwd = _go_value(doc, "forwardConfig", dict, "")
    if (arn is not None) == (fwd is not None):
        raise _AlbError("precisely one of TargetGroupArn and ForwardConfig can be specified")
    if arn is not None:
        return kind, [(arn, None, None)], cfg
    groups = _go_value(fwd, "targetGroups", list, "forwardConfig.") or []
    out: list[tuple[str | None, str | None, int | str | None]] = []
    for i, tg in enumerate(groups):
        at = f"forwardConfig.targetGroups[{i}]."
        if tg is None:
            tg = {}
        if not isinstance(tg, dict):
            raise _AlbError(f"{at[:-1]} is not an object")
        tarn, svc = _go_value(tg, "targetGroupARN", str, at), _go_value(tg, "serviceName", str, at)
        port = _alb_port(_go_field(tg, "servicePort"), at)
        weight = _go_value(tg, "weight", int, at)
        if (tarn is not None) == (svc is not None):
            raise _AlbError(
                f"invalid TargetGroupTuple {i}: precisely one of targetGroupARN and serviceName can be specified"
            )
        if svc is not None and port is None:
            raise _AlbError(f"invalid TargetGroupTuple {i}: missing servicePort")
        if len(groups) > 1 and weight is None:
            raise _AlbError("weight must be set when route to multiple target groups")
        out.append((tarn, svc, port))
    return kind, out, cfg


def _alb_action(snap: Snapshot, ing: Ingress, b: IngressBackend, name: str, what: str) -> Check:
    """An AWS Load Balancer Controller action backend: the action in annotation ``actions.<name>``.

    pkg/ingress/enhanced_backend_builder.go: a missing annotation becomes a fixed 503 ("Backend action
    does not exist"); JSON the controller cannot decode or an invalid action (config_types.go
    Action.validate) fails the Ingress's build; a forward action's Services are loaded
    (loadBackendServices): one missing Service behind a lone target group becomes a fixed 503 ("Backend
    service does not exist"), a missing one among several fails the build; a Service port that does not
    exist fails the target group's build.  Target group ARNs, fixed responses and redirects leave the
    cluster's objects: nothing there to resolve.
    """
    key = ALB_ACTION + name
    steps: list[tuple[str, Span]] = [
        (f"{what}: port {USE_ANNOTATION} names the action {name} of annotation {key}", b.at())
    ]
    if key not in ing.annotations:
        if ing.ingress_class == "alb":
            return Check(
                ing,
                b,
                "violated",
                f"{what} names the action {name} but the Ingress has no annotation "
                f"{key}: the controller answers 503 'Backend action does not exist'",
                steps,
            )
        return Check(
            ing,
            b,
            "unknown",
            f"{what} uses port {USE_ANNOTATION} (an AWS Load Balancer Controller "
            f"action) without annotation {key}, and the Ingress class {ing.ingress_class or '(none)'} "
            "is not alb",
            steps,
        )
    at = ing.metadata.at("annotations", key)
    here = (at, format_path(b.field_path[len(ing.field_path) :]))
    try:
        kind, groups, cfg = _alb_parse(ing.annotations[key])
    except _AlbError as exc:
        step(steps, f"annotation {key} defines the action {name}", at)
        return Check(
            ing,
            b,
            "violated",
            f"the AWS Load Balancer Controller rejects annotation {key}: {exc} (the Ingress is not reconciled)",
            steps,
            where=here,
        )
    if kind != "forward":
        shown = ", ".join(f"{k} {v}" for k, v in cfg.items() if v)
        step(steps, f"annotation {key}: the action is a {kind} ({shown}), answered by the load balancer itself", at)
        return Check(ing, b, "proved", f"{what} is the AWS Load Balancer Controller {kind} action {name}", steps)
    arns = [a for a, _, _ in groups if a is not None]
    services = [(s, p) for _, s, p in groups if s is not None]
    step(
        steps,
        f"annotation {key}: the action forwards to "
        + ", ".join(
            [f"target group {a} (outside the cluster: not checked)" for a in arns]
            + [f"Service {ing.namespace}/{s} port {p}" for s, p in services]
        ),
        at,
    )
    lone = len(groups) == 1 and len({s for s, _ in services}) == 1
    checks = [service_target(snap, ing, b, ing.namespace, s, p, [], port_required=True, what=what) for s, p in services]
    for c in checks:
        steps += c.steps
    worst = next((c for v in ("violated", "unknown") for c in checks if c.verdict == v), None)
    if worst is not None:
        claim = worst.claim
        if worst.verdict == "violated":
            claim += (
                ": the controller fails the Ingress's build (unable to find port)"
                if worst.service
                else ": the controller answers 503 'Backend service does not exist'"
                if lone
                else ": with several target groups the controller fails the Ingress's build"
            )
        return Check(ing, b, worst.verdict, claim, steps, service=worst.service, hop=worst.hop, where=here)
    if lone:
        c = checks[0]
        return Check(
            ing,
            b,
            "proved",
            c.claim + f" (through the action {name})",
            steps,
            service=c.service,
            port=c.port,
            port_unknown=c.port_unknown,
            hop=c.hop,
        )
    return Check(
        ing,
        b,
        "proved",
        f"{what} is the AWS Load Balancer Controller forward action {name}: "
        + ("every Service and port it names exists" if services else "its target groups are outside the cluster"),
        steps,
    )
