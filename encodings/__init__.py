"""Z3 encodings of Kubernetes, Istio, Envoy, Gateway API and Knative semantics."""
