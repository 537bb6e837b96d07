"""Emissary-ingress (Ambassador) ``getambassador.io`` v2 / v3alpha1: Mapping, Host, Listener, TCPMapping and the
resolvers a Mapping may name.

Source: emissary ``pkg/api/getambassador.io/v3alpha1/crd_{mapping,host,listener}.go`` (3ebe0f46). Mapping keys are
snake_case as written (``prefix_regex``, ``query_parameters``, ``ambassador_id``); Host and Listener keys are
camelCase (``mappingSelector``, ``hostBinding``) except ``ambassador_id``. v2 boolean headers / query parameters
(``{x: true}``) are kept as written; ``cnverify.systems.emissary.ir`` applies the v2 → v3alpha1 conversion (they
become ``regex_headers: {x: ".*"}``; v3alpha1's ``v2BoolHeaders`` only records that for the way back).
"""

from __future__ import annotations

from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import Int32
from pydantic import ConfigDict, Field

GROUP = "getambassador.io"
DEFAULT_ID = "default"  # AMBASSADOR_ID of an installation that sets none (ambassador/config: "default")


class SnakeNode(Node):
    """Keys exactly as Emissary's Mapping CRD writes them (snake_case)."""

    model_config = ConfigDict(alias_generator=None)


class Selector(Node):
    """A ``metav1.LabelSelector``; Emissary honours only ``matchLabels`` (irutils.selector_matches)."""

    match_labels: dict[str, str] | None = None
    match_expressions: list[dict[str, object]] | None = None


def ids_of(value: list[str] | str | None) -> tuple[str, ...]:
    """``ambassador_id`` as the installations it names (a v2 string is one id; none is ``default``)."""
    if value is None or value == []:
        return (DEFAULT_ID,)
    return (value,) if isinstance(value, str) else tuple(value)


class MappingSpec(SnakeNode):
    """``prefix`` and ``service`` are required by the CRD schema (``+kubebuilder:validation:Required``, v2 and
    v3alpha1): the API server rejects a Mapping without them (an input error)."""

    ambassador_id: list[str] | str | None = None
    prefix: str
    prefix_regex: bool | None = None
    prefix_exact: bool | None = None
    case_sensitive: bool | None = None
    hostname: str | None = None
    host: str | None = None
    host_regex: bool | None = None
    method: str | None = None
    method_regex: bool | None = None
    headers: dict[str, str | bool] | None = None
    regex_headers: dict[str, str] | None = None
    query_parameters: dict[str, str | bool] | None = None
    regex_query_parameters: dict[str, str] | None = None
    precedence: int | None = None
    weight: int | None = None
    service: str
    resolver: str | None = None
    host_redirect: bool | None = None
    shadow: bool | None = None


@register_kind(GROUP, "Mapping")
class EmissaryMapping(Resource):
    spec: MappingSpec

    @property
    def ids(self) -> tuple[str, ...]:
        return ids_of(self.spec.ambassador_id)


class TCPMappingSpec(SnakeNode):
    """``port`` and ``service`` are required by the CRD schema."""

    ambassador_id: list[str] | str | None = None
    port: Int32
    service: str
    resolver: str | None = None


@register_kind(GROUP, "TCPMapping")
class EmissaryTCPMapping(Resource):
    """Only as far as references: its ``service`` and ``resolver``."""

    spec: TCPMappingSpec


class InsecurePolicy(Node):
    action: str | None = None


class RequestPolicy(Node):
    insecure: InsecurePolicy | None = None


class HostSpec(Node):
    ambassador_id: list[str] | str | None = Field(default=None, alias="ambassador_id")
    hostname: str | None = None
    mapping_selector: Selector | None = None
    selector: Selector | None = None  # v2's name of mappingSelector (irhost: used when mappingSelector is unset)
    request_policy: RequestPolicy | None = None


@register_kind(GROUP, "Host")
class EmissaryHost(Resource):
    spec: HostSpec = Field(default_factory=HostSpec)

    @property
    def ids(self) -> tuple[str, ...]:
        return ids_of(self.spec.ambassador_id)

    @property
    def hostname(self) -> str:
        """``spec.hostname``, ``*`` when unset (irhost.setup)."""
        return self.spec.hostname or "*"

    @property
    def mapping_selector(self) -> Selector | None:
        return self.spec.mapping_selector or self.spec.selector


class NamespaceBinding(Node):
    from_: str | None = Field(default=None, alias="from")


class HostBinding(Node):
    namespace: NamespaceBinding | None = None
    selector: Selector | None = None


class ListenerSpec(Node):
    ambassador_id: list[str] | str | None = Field(default=None, alias="ambassador_id")
    port: Int32 | None = None
    protocol: str | None = None
    security_model: str | None = None
    host_binding: HostBinding | None = None


@register_kind(GROUP, "Listener")
class EmissaryListener(Resource):
    spec: ListenerSpec = Field(default_factory=ListenerSpec)

    @property
    def ids(self) -> tuple[str, ...]:
        return ids_of(self.spec.ambassador_id)


class ResolverSpec(SnakeNode):
    ambassador_id: list[str] | str | None = None


class EmissaryResolver(Resource):
    """A resolver a Mapping names in ``resolver``: only its identity and kind matter to cnverify."""

    spec: ResolverSpec = Field(default_factory=ResolverSpec)


@register_kind(GROUP, "KubernetesServiceResolver")
class KubernetesServiceResolver(EmissaryResolver):
    """Resolves a Mapping's service as a Kubernetes Service DNS name (the default, ``kubernetes-service``)."""


@register_kind(GROUP, "KubernetesEndpointResolver")
class KubernetesEndpointResolver(EmissaryResolver):
    """Resolves to the Service's endpoints."""


@register_kind(GROUP, "ConsulResolver")
class ConsulResolver(EmissaryResolver):
    """Resolves through a Consul catalog."""


RESOLVERS: tuple[type[Resource], ...] = (KubernetesServiceResolver, KubernetesEndpointResolver, ConsulResolver)
