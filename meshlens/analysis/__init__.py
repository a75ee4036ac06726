"""Analyses of loaded captures: trace (Envoy's request path), diff, route tests, query."""
