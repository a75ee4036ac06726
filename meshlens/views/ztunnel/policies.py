"""``istioctl ztunnel-config policy``: ztunnel's L4 authorization policies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from meshlens.models.ztunnel import Policy, RbacMatch, ServiceAccountMatch, StringMatch, Ztunnel
from meshlens.views.base import Table
from meshlens.views.ztunnel._common import equal_fold, go_value

HEADERS = ["NAMESPACE", "POLICY NAME", "ACTION", "SCOPE"]

# istioctl's PolicyMatch fields, in its declaration order (each omitted when empty).
_STRING_MATCHES = ("namespaces", "notNamespaces", "principals", "notPrincipals")
_PLAIN = ("sourceIps", "notSourceIps", "destinationIps", "notDestinationIps", "destinationPorts",
          "notDestinationPorts")
_ACCOUNTS = ("serviceAccounts", "notServiceAccounts")
_FIELD = {"namespaces": "namespaces", "notNamespaces": "not_namespaces", "principals": "principals",
          "notPrincipals": "not_principals", "sourceIps": "source_ips", "notSourceIps": "not_source_ips",
          "destinationIps": "destination_ips", "notDestinationIps": "not_destination_ips",
          "destinationPorts": "destination_ports", "notDestinationPorts": "not_destination_ports",
          "serviceAccounts": "service_accounts", "notServiceAccounts": "not_service_accounts"}


class PolicyRow(BaseModel):
    """One authorization policy: istioctl's columns, plus its rule count and dry-run flag."""

    namespace: str
    name: str
    action: str  # Allow | Deny
    scope: str  # Global | Namespace | WorkloadSelector
    rules: int
    dry_run: bool

    def cells(self) -> list[str]:
        return [self.namespace, self.name, self.action, self.scope]


def _string_match_json(match: StringMatch) -> dict[str, Any]:
    if match.kind == "Presence":
        return {"Presence": []}
    return {match.kind: match.value} if match.value else {}


def _account_json(match: ServiceAccountMatch) -> dict[str, Any]:
    return {"namespace": match.namespace, "serviceAccount": match.service_account}


def _match_json(match: RbacMatch) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in (*_STRING_MATCHES, *_PLAIN, *_ACCOUNTS):
        values = getattr(match, _FIELD[key])
        if not values:
            continue
        if key in _STRING_MATCHES:
            out[key] = [_string_match_json(v) for v in values]
        elif key in _ACCOUNTS:
            out[key] = [_account_json(v) for v in values]
        else:
            out[key] = list(values)
    return out


def policy_json(p: Policy) -> dict[str, Any]:
    """The policy as istioctl re-marshals it (``ZtunnelPolicy``; ``dryRun`` is not part of it)."""
    rules = go_value(p, "rules", None)
    return {"name": p.name, "namespace": p.namespace, "scope": p.scope, "action": p.action,
            "rules": None if rules is None else [[[_match_json(m) for m in clause] for clause in rule]
                                                  for rule in rules]}


def policy_view(z: Ztunnel, *, policy_namespace: str | None = None) -> Table:
    """``istioctl ztunnel-config policy``, sorted by namespace, then name.

    Args:
        z: the ztunnel whose dump is shown.
        policy_namespace: keep policies of this namespace (case-insensitive).
    """
    kept = [p for p in z.policies if not policy_namespace or equal_fold(p.namespace, policy_namespace)]
    kept.sort(key=lambda p: (p.namespace, p.name))
    rows = [PolicyRow(namespace=p.namespace, name=p.name, action=p.action, scope=p.scope, rules=len(p.rules),
                      dry_run=p.dry_run) for p in kept]
    return Table(view="policy", headers=list(HEADERS), rows=list(rows), cells=[r.cells() for r in rows],
                 raw=[policy_json(p) for p in kept], json_indent=4)


__all__ = ["HEADERS", "PolicyRow", "policy_json", "policy_view"]
