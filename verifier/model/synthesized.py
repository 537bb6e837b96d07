"""Pod templates cnverify builds for systems whose manifests are not pod specs (OpenFaaS, Compose).

A synthesized template is bound to a view of its source document in which template paths map to the fields
they were built from, so chain lines cite what the user wrote (``spec.containers[0].resources.limits.cpu`` →
a compose service's ``deploy.resources.limits.cpus``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnverify.errors import Span
from cnverify.model.core import PodTemplateSpec
from cnverify.source import Document, Path

CONTAINER: Path = ("spec", "containers", 0)


@dataclass(slots=True)
class _Redirected(Document):
    routes: tuple[tuple[Path, Path], ...] = ()

    def span(self, path: Path) -> Span:
        p = tuple(path)
        for prefix, target in self.routes:
            if p[: len(prefix)] == prefix:
                return Document.span(self, target + p[len(prefix) :])
        return Document.span(self, p)


def bind_synthesized(template: PodTemplateSpec, doc: Document, routes: Sequence[tuple[Path, Path]], home: Path) -> None:
    """Bind ``template`` so that a template path under a route's prefix points at the route's document path
    (longest prefixes first) and every other path at ``home`` (the object it was built from)."""
    ordered = sorted(routes, key=lambda r: -len(r[0]))
    view = _Redirected(doc.file, doc.index, doc.data, doc.spans, doc.has_nulls, (*ordered, ((), home)))
    template.bind(view, ())
