"""A compose service's effective container resources and replica count (docs/SEMANTICS.md#docker-compose).

compose-go ``loader/validate.go`` ``checkConsistency``: the legacy ``cpus``/``mem_limit``/``mem_reservation``
and ``scale`` must agree with their ``deploy`` twins; ``deploy.mode: global`` runs one task per eligible node.
Memory is converted to bytes (go-units ``RAMInBytes``: binary multiples), cpus to milli-cores ordered exactly
(a sub-milli pair is rounded so that the comparison keeps the exact order).
"""

from __future__ import annotations

from fractions import Fraction

from cnverify.encodings.quantity import format_milli
from cnverify.model.apps import OwnReplicas
from cnverify.model.compose import ComposeService, Effective, cpus_in_milli, ram_in_bytes
from cnverify.source import Path, format_path
from cnverify.systems.compose.interpolate import interpolate

_SOURCES: tuple[tuple[str, str, Path, Path | None], ...] = (
    ("limits", "cpu", ("deploy", "resources", "limits", "cpus"), ("cpus",)),
    ("limits", "memory", ("deploy", "resources", "limits", "memory"), ("mem_limit",)),
    ("requests", "cpu", ("deploy", "resources", "reservations", "cpus"), None),
    ("requests", "memory", ("deploy", "resources", "reservations", "memory"), ("mem_reservation",)),
)


def _raw(svc: ComposeService, path: Path) -> object:
    node: object = svc
    for key in path:
        node = getattr(node, str(key), None)
    return node


def _exact(name: str, text: str) -> Fraction | None:
    """The value in milli-units (cpu) or bytes (memory), exactly; None when Compose cannot parse it."""
    if name == "memory":
        b = ram_in_bytes(text)
        return None if b is None else Fraction(b)
    return cpus_in_milli(text)


def settle(svc: ComposeService, merged_with: list[str]) -> None:
    """Compute and set ``svc``'s effective resources and replicas, or why its container is not known."""
    eff, exact, problems = Effective(), dict[tuple[str, str], Fraction](), list[str]()
    for kind, name, deploy_path, legacy_path in _SOURCES:
        found: list[tuple[Fraction, Path]] = []
        for path in (deploy_path, *((legacy_path,) if legacy_path is not None else ())):
            raw = _raw(svc, path)
            if raw is None:
                continue
            value = interpolate(raw)
            if value.text is None:
                problems.append(f"{format_path(path)}: {value.why}")
                continue
            q = _exact(name, value.text)
            if q is None:
                problems.append(f"{format_path(path)} {raw!r} is not a valid {name} value (docker compose rejects it)")
                continue
            found.append((q, path))
        if len({q for q, _ in found}) > 1:
            problems.append(
                f"can't set distinct values on '{format_path(found[1][1])}' and '{format_path(found[0][1])}' "
                "(docker compose rejects the file)"
            )
        if found:
            exact[(kind, name)] = found[0][0]
            eff.written[(kind, name)] = found[0][1]
    eff.exact = exact
    for (kind, name), q in exact.items():
        target = eff.limits if kind == "limits" else eff.requests
        target[name] = format_milli(int(q) * 1000, "memory") if name == "memory" else f"{_round_cpu(kind, q, exact)}m"
    for name in set(eff.limits) - set(eff.requests):  # no reservation is none (Kubernetes' request-from-limit
        eff.requests[name] = "0"  # default does not exist in Compose); its chain step points at the service
        eff.written[("requests", name)] = ()
    if merged_with:
        problems.append(
            f"the service is also defined in {', '.join(merged_with)}, which docker compose does not merge with this "
            "file by default (only the files given with -f or COMPOSE_FILE, or compose.yaml with compose.override.yaml)"
        )
    svc.settle(eff, _replicas(svc), "; ".join(problems) or None)


def _round_cpu(kind: str, q: Fraction, exact: dict[tuple[str, str], Fraction]) -> int:
    """Whole milli-cores keeping the exact order of reservation and limit (ceil both when they are whole)."""
    lim, req = exact.get(("limits", "cpu")), exact.get(("requests", "cpu"))
    if q.denominator == 1 or lim is None or req is None:
        return -(-q.numerator // q.denominator)
    up = req > lim  # a violation stays one, a proof stays one
    if kind == "requests":
        return -(-q.numerator // q.denominator) if up else q.numerator // q.denominator
    return q.numerator // q.denominator if up else -(-q.numerator // q.denominator)


def _replicas(svc: ComposeService) -> OwnReplicas:
    deploy = svc.deploy
    if deploy is not None and deploy.mode == "global":
        return OwnReplicas(
            0, None, [("deploy.mode is global", deploy.at("mode"))], unknown="global mode runs one task per node"
        )
    given = [
        (v, p)
        for v, p in ((deploy.replicas if deploy else None, "deploy.replicas"), (svc.scale, "scale"))
        if v is not None
    ]
    if not given:
        return OwnReplicas(1, 1, [("the service runs 1 container (deploy.replicas is not set)", svc.at())])
    raw, path = given[0]
    value = interpolate(raw)
    if value.text is None or not value.text.isdigit():
        why = value.why if value.text is None else f"{value.text!r} is not a count"
        return OwnReplicas(0, None, [(f"{path} is {raw!r}", svc.at(*path.split(".")))], unknown=f"{path}: {why}")
    n = int(value.text)
    return OwnReplicas(n, n, [(f"{path} is {n}", svc.at(*path.split(".")))])
