"""The check catalogue as users read it: ``meshlens checks`` (list) and ``meshlens explain`` (one check)."""

from __future__ import annotations

from typing import Any

from meshlens.checks import ALL_CHECKS, RETIRED, get_check


def catalogue() -> list[dict[str, Any]]:
    """Every check as a JSON-safe record (``meshlens checks -o json``)."""
    return [{"code": c.code, "name": c.name, "severity": c.severity.value, "title": c.title, "area": c.area(),
             "summary": c.summary(), "inputs": list(c.inputs)} for c in ALL_CHECKS]


def render_catalogue() -> str:
    """Every check, grouped by area: code, slug, severity, title."""
    width = max(len(c.name) for c in ALL_CHECKS)
    lines: list[str] = []
    area = None
    for c in ALL_CHECKS:
        if c.area() != area:
            if area is not None:
                lines.append("")
            area = c.area()
            lines.append(f"# {area}")
        lines.append(f"{c.code}  {c.name:<{width}}  {c.severity.value:<7}  {c.title}")
    return "\n".join(lines) + "\n"


def explain(code: str) -> str:
    """One check's documentation, as ``meshlens explain CODE`` prints it.

    ``code`` is a code (``ML1001``) or a slug (``certs.expired``); a retired code says what replaced it.

    Raises:
        UsageError: no such check.
    """
    return render_explain(code)


def render_explain(code: str) -> str:
    """One check's documentation (``code`` is ``ML1001`` or a slug); a retired code says so."""
    if code.upper() in RETIRED:
        return f"{code.upper()} is retired: {RETIRED[code.upper()]}\n"
    cls = get_check(code)
    head = f"{cls.code} {cls.name}: {cls.title}"
    facts = [f"severity {cls.severity.value}", f"area {cls.area()}"]
    if cls.inputs:
        facts.append("needs " + ", ".join(cls.inputs))
    if cls.supersedes:
        facts.append("reports what " + ", ".join(cls.supersedes) + " relays")
    text = f"{head}\n{'=' * len(head)}\n{' · '.join(facts)}\n\n{cls.docs()}\n"
    if cls.options:
        text += "\nOptions (-O KEY=VALUE):\n"
        text += "".join(f"  {name} = {default!r}: {help_text}\n" for name, (default, help_text) in cls.options.items())
    return text
