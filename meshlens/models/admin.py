"""Envoy admin endpoint records other than /config_dump (STUB: replaced by the admin work)."""
