"""Kubernetes Ingress: networking.k8s.io/v1 and the older v1beta1 shapes (extensions, networking)."""

from __future__ import annotations

from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import Int32, IntOrString
from pydantic import Field, model_validator


class ServiceBackendPort(Node):
    number: Int32 | None = None
    name: str | None = None


class IngressServiceBackend(Node):
    name: str = ""
    port: ServiceBackendPort | None = None


class IngressBackend(Node):
    """v1 ``service`` / ``resource``; v1beta1 ``serviceName`` / ``servicePort``."""

    service: IngressServiceBackend | None = None
    resource: dict[str, object] | None = None
    service_name: str | None = None
    service_port: IntOrString | None = None

    @property
    def service_ref(self) -> tuple[str, int | str | None] | None:
        """``(service name, port number or name)`` whatever the API version, or None."""
        if self.service is not None:
            p = self.service.port
            return self.service.name, (None if p is None else p.number if p.number is not None else p.name)
        if self.service_name is not None:
            return self.service_name, self.service_port
        return None


class HTTPIngressPath(Node):
    path: str | None = None
    path_type: str | None = None
    backend: IngressBackend = Field(default_factory=IngressBackend)


class HTTPIngressRuleValue(Node):
    paths: list[HTTPIngressPath] = Field(default_factory=list)


class IngressRule(Node):
    host: str | None = None
    http: HTTPIngressRuleValue | None = None


class IngressSpec(Node):
    ingress_class_name: str | None = None
    default_backend: IngressBackend | None = None
    backend: IngressBackend | None = None  # v1beta1 name of defaultBackend
    rules: list[IngressRule] | None = None

    @property
    def default(self) -> IngressBackend | None:
        return self.default_backend or self.backend


CLASS_ANNOTATION = "kubernetes.io/ingress.class"


@register_kind("networking.k8s.io", "Ingress", aliases=("extensions",))
class Ingress(Resource):
    spec: IngressSpec = Field(default_factory=IngressSpec)

    @model_validator(mode="after")
    def _one_class(self) -> Ingress:
        """validation.go ValidateIngressCreate: the legacy annotation and the class field exclude each other."""
        if self.spec.ingress_class_name is not None and CLASS_ANNOTATION in self.annotations:
            raise ValueError(f"annotation {CLASS_ANNOTATION} can not be set when spec.ingressClassName is also set")
        return self

    @property
    def ingress_class(self) -> str:
        """The class that selects the controller: ``spec.ingressClassName`` or the legacy annotation ("" = none)."""
        return self.spec.ingress_class_name or self.annotations.get(CLASS_ANNOTATION, "")
