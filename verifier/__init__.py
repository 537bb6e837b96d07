"""cnverify: proofs and counterexamples for Kubernetes, Istio, Envoy, Knative and Gateway API configuration.

Library API::

    import cnverify
    report = cnverify.prove(["deploy/"])
    for f in report.results:
        print(f.property, f.status, f.message)
"""

from __future__ import annotations

from cnverify.proof import VERSION as __version__
from cnverify.proof import Finding, Report, Step


def prove(paths: list[str] | tuple[str, ...], **options: object) -> Report:
    """Verify manifests at ``paths``; keyword options as :class:`cnverify.engine.Options`."""
    from cnverify.engine import Options
    from cnverify.engine import prove as _prove

    return _prove(paths, Options(**options))  # type: ignore[arg-type]


__all__ = ["prove", "Report", "Finding", "Step", "__version__"]
