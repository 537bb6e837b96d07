"""Delivery properties: what a GitOps controller (Argo CD) does with the manifests it applies."""
