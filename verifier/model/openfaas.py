"""OpenFaaS functions: a ``stack.yml`` entry (faas-cli) or an ``openfaas.com/v1 Function``, as a workload.

docs/SEMANTICS.md#openfaas. The provider turns a function into one Deployment (openfaas/faas-netes
``pkg/handlers/deploy.go`` ``makeDeploymentSpec``): pods labelled ``faas_function: <name>`` plus the function's
labels, one container named after the function with the function's ``limits``/``requests`` (memory, cpu), port
``http`` 8080 (the provider's default ``RuntimeHTTPPort``), a rolling update with maxSurge 1. Scaling is set by
labels (strings): ``com.openfaas.scale.min`` / ``.max`` / ``.zero``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from cnverify.model.apps import LabelSelector, OwnReplicas, Workload
from cnverify.model.base import Node, register_kind
from cnverify.model.core import PodTemplateSpec
from cnverify.model.synthesized import CONTAINER, bind_synthesized
from cnverify.model.types import _check_quantity
from pydantic import AfterValidator, BeforeValidator, Field, PrivateAttr

FUNCTION_NAMESPACE = "openfaas-fn"  # faas-netes' default functionNamespace (stack.yml functions without one)
HTTP_PORT = 8080  # faas-netes' default RuntimeHTTPPort: the watchdog's port
FUNCTION_LABEL = "faas_function"
SCALE_MIN, SCALE_MAX, SCALE_ZERO = "com.openfaas.scale.min", "com.openfaas.scale.max", "com.openfaas.scale.zero"
CE_MAX = 5  # faas-netes MaxReplicas: Community Edition's ceiling (replica_reader.go), also the gateway's clamp
PRO_MAX_DEFAULT = 20  # docs.openfaas.com/architecture/autoscaling: Pro's default com.openfaas.scale.max
_ATOI = re.compile(r"[+-]?[0-9]{1,18}")


def atoi(value: str | None) -> int | None:
    """Go's ``strconv.Atoi`` (None where it fails: the label is then ignored and the default applies)."""
    return int(value) if value is not None and _ATOI.fullmatch(value) else None


def _quantity_or_variable(value: str) -> str:
    """A Kubernetes quantity (faas-netes ``resource.ParseQuantity``), or a ``${…}`` faas-cli substitutes later."""
    if "${" not in value:
        _check_quantity(value)
    return value


def _scalar_text(value: Any) -> Any:
    """faas-cli reads ``memory: 128`` as the string "128" (a YAML scalar into a Go string)."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


FunctionQuantity = Annotated[str, BeforeValidator(_scalar_text), AfterValidator(_quantity_or_variable)]


class FunctionResources(Node):
    memory: FunctionQuantity | None = None
    cpu: FunctionQuantity | None = None


class FunctionFields(Node):
    """The fields a function is deployed from (the same in stack.yml and the Function CR's spec)."""

    function_name: str | None = Field(default=None, alias="name")
    image: str | None = None
    function_labels: dict[str, str] | None = Field(default=None, alias="labels")
    annotations_: dict[str, str] | None = Field(default=None, alias="annotations")
    limits: FunctionResources | None = None
    requests: FunctionResources | None = None
    target_namespace: str | None = Field(default=None, alias="namespace")
    environment: dict[str, Any] | None = None


class Function(Workload):
    """A function's pods, built the way faas-netes builds its Deployment (see module docstring)."""

    TEMPLATE_PATH = ()
    SCALABLE = False  # scaled by OpenFaaS' own autoscaler, not an HPA
    _template: PodTemplateSpec | None = PrivateAttr(default=None)

    @property
    def fields(self) -> FunctionFields:
        raise NotImplementedError

    @property
    def function(self) -> str:
        return self.fields.function_name or self.name

    @property
    def scale_labels(self) -> dict[str, str]:
        return self.fields.function_labels or {}

    @property
    def interpolated(self) -> list[str]:
        """The values that hold ``${…}``: faas-cli substitutes them from the environment at deploy time."""
        f = self.fields
        values = [f.image, *(f.function_labels or {}).values()]
        for res in (f.limits, f.requests):
            values += [res.memory, res.cpu] if res else []
        return [v for v in values if isinstance(v, str) and "${" in v]

    @property
    def template_known(self) -> bool:
        return not self.interpolated

    @property
    def template(self) -> PodTemplateSpec:
        if self._template is None:
            self._template = self._build_template()
        return self._template

    @property
    def selector(self) -> LabelSelector | None:
        return LabelSelector.model_validate({"matchLabels": {FUNCTION_LABEL: self.function}})

    @property
    def pro_only(self) -> bool:
        """Served only by OpenFaaS Pro (the Function object's operator) rather than by either edition."""
        return False

    def own_replicas(self) -> OwnReplicas:
        """The replicas the edition's autoscaler allows (docs/SEMANTICS.md#openfaas): Pro keeps scale.min..
        scale.max (0 with scale.zero), CE 1..5; a stack file does not say which edition serves it: both count."""
        f, labels = self.fields, self.scale_labels
        kind_at = self.at("kind") if self.pro_only else f.at()
        if any("${" in labels.get(k, "") for k in (SCALE_MIN, SCALE_MAX, SCALE_ZERO)):
            return OwnReplicas(0, None, [], unknown="its scale labels take values from the deploy environment")
        lo, hi, zero = atoi(labels.get(SCALE_MIN)), atoi(labels.get(SCALE_MAX)), labels.get(SCALE_ZERO) == "true"
        why = [
            (f"{key} is {labels[key]!r}", f.at("labels", key)) if key in labels else (f"{key} is not set", f.at())
            for key in (SCALE_MIN, SCALE_MAX)
        ]
        if not self.pro_only and not f.target_namespace:
            why.append((f"it sets no namespace: faas-netes deploys it to {FUNCTION_NAMESPACE} (the default)", f.at()))
        pro_low = 0 if zero or (lo is not None and lo <= 0) else (lo or 1)
        pro_high = max(PRO_MAX_DEFAULT if hi is None else hi, lo or 1)
        pro = f"OpenFaaS Pro scales it between {pro_low} and {pro_high}" + (" (scale.zero)" if zero else "")
        if self.pro_only:
            why.append((pro + " (a Function object is served by the Pro operator)", kind_at))
            return OwnReplicas(pro_low, pro_high, why)
        why.append(
            (
                f"the edition is not in the inputs: {pro}; Community Edition keeps 1 to {CE_MAX} replicas "
                "(faas-netes MaxReplicas); both are counted",
                kind_at,
            )
        )
        return OwnReplicas(min(1, pro_low), max(CE_MAX, pro_high), why)

    def _build_template(self) -> PodTemplateSpec:
        f = self.fields
        resources: dict[str, dict[str, str]] = {}
        for key, res in (("limits", f.limits), ("requests", f.requests)):
            pairs = (("memory", res.memory), ("cpu", res.cpu)) if res is not None else ()
            given = {k: v for k, v in pairs if v and "${" not in v}
            if given:
                resources[key] = given
        container = {
            "name": self.function,
            "image": f.image,
            "ports": [{"name": "http", "containerPort": HTTP_PORT}],
            "resources": resources,
        }
        labels = {**(f.function_labels or {}), FUNCTION_LABEL: self.function}
        template = PodTemplateSpec.model_validate({"metadata": {"labels": labels}, "spec": {"containers": [container]}})
        doc, path = f._doc, f._path
        if doc is not None:
            bind_synthesized(
                template,
                doc,
                [
                    (CONTAINER + ("resources",), path),  # resources.limits.cpu → the function's limits.cpu
                    (CONTAINER + ("image",), path + ("image",)),
                    (("metadata", "labels"), path + ("labels",)),
                ],
                path,
            )
        return template


class FunctionSpec(FunctionFields):
    pass


@register_kind("openfaas.com", "Function")
class FunctionResource(Function):
    """``openfaas.com/v1 Function`` (the OpenFaaS operator; OpenFaaS Pro)."""

    spec: FunctionSpec = Field(default_factory=FunctionSpec)

    @property
    def fields(self) -> FunctionFields:
        return self.spec

    @property
    def pro_only(self) -> bool:
        return True


STACK_GROUP = "stack.openfaas.com"  # not an API group: the kind cnverify gives a stack.yml function entry


@register_kind(STACK_GROUP, "StackFunction")
class StackFunction(Function, FunctionFields):
    """One entry of a faas-cli ``stack.yml`` ``functions:`` map (its key is the name)."""

    @property
    def fields(self) -> FunctionFields:
        return self
