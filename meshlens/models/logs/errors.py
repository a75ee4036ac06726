"""Error classes of ztunnel access-log ``error=`` texts (``proxy::Error`` Display strings).

The order is the contract of ``meshlens logs -o json`` (``interfaces.md``): the first class whose
rule applies wins, so ``connection timed out, maybe a NetworkPolicy is blocking HBONE port 15008``
is ``NETWORK_POLICY``, not ``TIMEOUT``.
"""

from __future__ import annotations

from functools import lru_cache

ERROR_CLASSES = ("DENY", "CONNECT", "TIMEOUT", "TLS_FAILURE", "H2_HANDSHAKE_FAILURE", "NETWORK_POLICY",
                 "IDENTITY_ERROR", "NO_HEALTHY_UPSTREAM", "DRAIN", "OTHER")

# (class, lowercase substrings): tried in this order, the first match wins.
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("DENY", ("policy rejection", "policy change", "no longer allowed after a policy update")),
    ("NETWORK_POLICY", ("networkpolicy", "network policy")),
    ("DRAIN", ("connection drain", "failed to drain")),
    ("NO_HEALTHY_UPSTREAM", ("no healthy upstream",)),
    ("TLS_FAILURE", ("tls error", "tls handshake", "handshake failure", "certificate revoked")),
    ("H2_HANDSHAKE_FAILURE", ("http2 handshake", "h2 failed")),
    ("IDENTITY_ERROR", ("identity error",)),
    ("TIMEOUT", ("deadline has elapsed", "timed out")),
    ("CONNECT", ("connection refused", "connection reset", "connection failed")),
)


@lru_cache(maxsize=4096)
def classify_error(text: str) -> str:
    """The class of an ``error=`` text: one of :data:`ERROR_CLASSES` (``OTHER`` when no rule applies)."""
    low = text.lower()
    for cls, needles in _RULES:
        if any(n in low for n in needles):
            return cls
    return "OTHER"
