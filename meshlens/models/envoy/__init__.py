"""Pydantic models of Envoy's xDS resources (listeners, clusters, routes, secrets, bootstrap)."""
