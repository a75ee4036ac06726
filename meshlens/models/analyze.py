"""``istioctl analyze`` messages (bug-report ``analyze/allNamespaces``): level, IST code, resource, text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["AnalyzeMessage"]


@dataclass(frozen=True)
class AnalyzeMessage:
    """One ``istioctl analyze`` message: ``Warning [IST0151] (EnvoyFilter default/name) text``.

    Attributes:
        level: ``Error``, ``Warning`` or ``Info`` as istioctl prints it.
        code: the IST code (``IST0151``).
        kind / namespace / name: the resource the message is about (namespace None for cluster-scoped).
        text: the message text.
        line: 1-based line number in the output.
    """

    level: str
    code: str
    kind: str
    namespace: str | None
    name: str
    text: str
    line: int

    @property
    def resource(self) -> str:
        """``Kind ns/name`` (``Kind name`` when cluster-scoped), as istioctl prints it."""
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"level": self.level, "code": self.code, "kind": self.kind, "namespace": self.namespace,
                "name": self.name, "text": self.text, "line": self.line}
