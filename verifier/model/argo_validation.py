"""``ValidateRolloutSpec``'s strategy rules (docs/SEMANTICS.md#argo-rollouts): a Rollout that breaks one is not
progressed by the controller (condition InvalidSpec) and ``kubectl argo rollouts lint`` rejects it, so cnverify
reports it as a located input error and does not verify it.

argoproj/argo-rollouts 9f8d111d ``pkg/apis/rollouts/validation/validation.go`` (``ValidateRolloutStrategy``,
``ValidateRolloutStrategyBlueGreen``, ``ValidateRolloutStrategyCanary``, ``requireCanaryStableServices``,
``invalidMaxSurgeMaxUnavailable`` / ``getIntOrPercentValue``, ``hasMultipleStepsType``,
``ValidateStepRouteFoundInManagedRoute``); the messages are the controller's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnverify.model.argo import CanaryStrategy, RolloutSpec

_PERCENT = re.compile(r"([0-9]+)%")
_INT = re.compile(r"[+-]?[0-9]{1,10}")


def _int_or_percent(value: int | str) -> int:
    """``getIntOrPercentValue``: ``"N%"`` is N, any other string is its ``strconv.Atoi`` value (0 if none)."""
    if isinstance(value, int):
        return value
    m = _PERCENT.fullmatch(value)
    if m is not None and len(m.group(1)) <= 10:
        return int(m.group(1))
    return int(value) if _INT.fullmatch(value) else 0


def spec_errors(spec: RolloutSpec) -> list[str]:
    """The strategy errors of a Rollout spec, each ``field path: message``."""
    out: list[str] = []
    if spec.replicas is not None and spec.replicas < 0:
        out.append(f"spec.replicas: {spec.replicas}: must be greater than or equal to 0")
    s = spec.strategy
    if s.blue_green is None and s.canary is None:
        out.append(
            "spec.strategy: Required value: Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'"
        )
    elif s.blue_green is not None and s.canary is not None:
        out.append("spec.strategy: Multiple Strategies can not be listed")
    elif s.blue_green is not None:
        if s.blue_green.active_service == (s.blue_green.preview_service or ""):
            out.append(
                "spec.strategy.activeService: This rollout uses the same service for the active and preview services, "
                "but two different services are required."
            )
    elif s.canary is not None:
        out += _canary(s.canary)
    return out


def _canary(c: CanaryStrategy) -> list[str]:
    out: list[str] = []
    at = "spec.strategy.canary"
    surge = _int_or_percent("25" if c.max_surge is None else c.max_surge)
    unavailable = _int_or_percent("25" if c.max_unavailable is None else c.max_unavailable)
    if surge == 0 and unavailable == 0:
        out.append(f"{at}.maxSurge: MaxSurge and MaxUnavailable both can not be zero")
    if c.canary_service and c.canary_service == c.stable_service:
        out.append(
            f"{at}.stableService: This rollout uses the same service for the stable and canary services, but two "
            "different services are required."
        )
    tr = c.traffic_routing
    pp = c.ping_pong
    if pp is not None:
        ping, pong = pp.get("pingService") or "", pp.get("pongService") or ""
        if tr is not None and tr.alb is None and tr.istio is None and not tr.plugins:
            out.append(
                f"{at}.trafficRouting.alb: Ping-pong feature works with the ALB, Istio, and plugin-based traffic routers only"
            )
        out += [
            f"{at}.pingPong.{k}: Ping service and Pong service must to be set to use Ping-Pong feature"
            for k, v in (("pingService", ping), ("pongService", pong))
            if not v
        ]
        if ping == pong:
            out.append(
                f"{at}.pingPong.pingService: This rollout uses the same service for the ping and pong services, but two "
                "different services are required."
            )
        if tr is not None and tr.alb is not None and not tr.alb.get("rootService"):
            out.append(
                f"{at}.trafficRouting.alb.rootService: Root service field is required for the configuration with ALB and ping-pong feature enabled"
            )
    if tr is not None and (
        (tr.alb is not None and pp is None)
        or (tr.istio is not None and tr.istio.destination_rule is None and pp is None)
        or any(x is not None for x in (tr.smi, tr.apisix, tr.ambassador, tr.nginx, tr.app_mesh, tr.traefik))
    ):
        out += [
            f"{at}.{k}: Canary service and Stable service must to be set to use Traffic Routing"
            for k, v in (("stableService", c.stable_service), ("canaryService", c.canary_service))
            if not v
        ]
    if tr is None:
        if c.scale_down_delay_seconds is not None:
            out.append(
                f"{at}.scaleDownDelaySeconds: Canary scaleDownDelaySeconds can only be used with traffic routing"
            )
        if c.dynamic_stable_scale:
            out.append(f"{at}.dynamicStableScale: Canary dynamicStableScale can only be used with traffic routing")
    else:
        if c.scale_down_delay_seconds is not None and c.dynamic_stable_scale:
            out.append(f"{at}.dynamicStableScale: Canary dynamicStableScale cannot be used with scaleDownDelaySeconds")
        if tr.max_traffic_weight is not None and tr.nginx is None and not tr.plugins:
            out.append(
                f"{at}.trafficRouting.maxTrafficWeight: Canary maxTrafficWeight in traffic routing only supported in Nginx and Plugins"
            )
    out += _steps(c)
    return out


def _steps(c: CanaryStrategy) -> list[str]:
    out: list[str] = []
    tr = c.traffic_routing
    top = 100 if tr is None or tr.max_traffic_weight is None else tr.max_traffic_weight
    managed = None if tr is None or tr.managed_routes is None else {r.get("name") for r in tr.managed_routes}
    step_message = "Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause"
    for i, st in enumerate(c.steps or []):
        at = f"spec.strategy.canary.steps[{i}]"
        kinds = [st.set_weight, st.pause, st.experiment, st.analysis]
        actions = [*kinds, st.set_canary_scale, st.set_header_route, st.set_mirror_route, st.plugin]
        if sum(k is not None for k in kinds) > 1 or all(a is None for a in actions):
            out.append(f"{at}: {step_message}")
        if st.set_weight is not None and not 0 <= st.set_weight <= top:
            out.append(f"{at}.setWeight: {st.set_weight}: SetWeight needs to be between 0 and {top}")
        if st.set_canary_scale is not None and tr is None:
            out.append(
                "spec.strategy.canary.trafficRouting: Required value: SetCanaryScale requires TrafficRouting to be set"
            )
        if st.set_header_route is not None and (
            tr is None or (tr.istio is None and tr.alb is None and tr.apisix is None and not tr.plugins)
        ):
            out.append(
                f"{at}.setHeaderRoute: SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix"
            )
        if st.set_mirror_route is not None and (tr is None or (tr.istio is None and not tr.plugins)):
            out.append(f"{at}.setMirrorRoute: SetMirrorRoute requires TrafficRouting, supports Istio and Plugins")
        for fld, route in (("setHeaderRoute", st.set_header_route), ("setMirrorRoute", st.set_mirror_route)):
            if route is None or tr is None:
                continue
            if managed is None:
                out.append(
                    "spec.strategy.canary.trafficRouting.managedRoutes: Required value: Rollout has missing field "
                    "'spec.strategy.canary.trafficRouting.managedRoutes'"
                )
            elif route.get("name") not in managed:
                out.append(
                    f"{at}.{fld}: Steps define a route that does not exist in spec.strategy.canary.trafficRouting.managedRoutes"
                )
        out += _experiment_weights(at, st.experiment, tr)
    return out


def _experiment_weights(at: str, experiment: dict[str, Any] | None, tr: Any) -> list[str]:
    templates = (experiment or {}).get("templates")
    out = []
    for j, t in enumerate(templates if isinstance(templates, list) else []):
        if not isinstance(t, dict) or t.get("weight") is None:
            continue
        where = f"{at}.experiment.templates[{j}].weight: {t['weight']}"
        if tr is None:
            out.append(f"{where}: Experiment template weight cannot be set unless TrafficRouting is enabled")
        elif tr.alb is None and tr.smi is None and tr.istio is None and not tr.plugins:
            out.append(
                f"{where}: Experiment template weight is only available for TrafficRouting with SMI, ALB, Istio and "
                "Plugins at this time"
            )
    return out
