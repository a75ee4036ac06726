"""Typed models of captured state: Envoy, ztunnel, istiod, admin endpoints, certificates, names."""
