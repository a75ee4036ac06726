"""The check catalogue: every check, explicitly registered and sorted by code.

Codes are ``ML`` + 4 digits grouped by area: ML0xxx load, ML1xxx certificates, ML2xxx listeners,
ML3xxx routes, ML4xxx clusters and endpoints, ML5xxx drift and sync, ML6xxx ztunnel, ML7xxx ztunnel
logs. A code is
never reused (:mod:`meshlens.checks.retired`). To add a check: write the class in its area module,
add it to that module's ``CHECKS``, add a case file under ``tests/checks/cases/``.
"""

from __future__ import annotations

from meshlens.checks import certs, clusters, drift, listeners, load, logs, routes, ztunnel
from meshlens.checks.base import Check, CheckContext, CheckDefinitionError, Severity, SkipCheck
from meshlens.checks.retired import RETIRED
from meshlens.errors import UsageError

ALL_CHECKS: tuple[type[Check], ...] = tuple(sorted(
    (*load.CHECKS, *certs.CHECKS, *listeners.CHECKS, *routes.CHECKS, *clusters.CHECKS, *drift.CHECKS,
     *ztunnel.CHECKS, *logs.CHECKS),
    key=lambda c: c.code,
))

_BY_CODE = {c.code: c for c in ALL_CHECKS}
_BY_NAME = {c.name: c for c in ALL_CHECKS}
if len(_BY_CODE) != len(ALL_CHECKS) or len(_BY_NAME) != len(ALL_CHECKS):
    raise CheckDefinitionError("two checks share a code or a slug")

__all__ = ["ALL_CHECKS", "RETIRED", "Check", "CheckContext", "CheckDefinitionError", "Severity", "SkipCheck",
           "get_check", "list_checks", "select_checks"]


def get_check(key: str) -> type[Check]:
    """The check whose code (``ML1001``, any case) or slug (``certs.expired``) is ``key``.

    Raises:
        UsageError: no such check (a retired code says what replaced it).
    """
    found = _BY_CODE.get(key.upper()) or _BY_NAME.get(key.lower())
    if found is not None:
        return found
    if key.upper() in RETIRED:
        raise UsageError(f"check {key.upper()} is retired: {RETIRED[key.upper()]}")
    raise UsageError(f"no check {key!r}: run 'meshlens checks' for the list")


def list_checks() -> tuple[type[Check], ...]:
    """Every registered check class, sorted by code (``meshlens checks`` lists them)."""
    return ALL_CHECKS


def _matches(check: type[Check], selector: str) -> bool:
    sel = selector.strip()
    if not sel:
        return False
    if sel.upper().startswith("ML"):
        return check.code.startswith(sel.upper())  # ML1001, ML10, ML1 (ruff-style prefixes)
    slug = sel.lower()
    return check.name == slug or check.name.startswith(slug.rstrip(".") + ".")  # certs.expired, certs


def _split(values: object) -> list[str]:
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)  # type: ignore[call-overload]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def select_checks(select: object = None, ignore: object = None) -> tuple[type[Check], ...]:
    """The checks ``select`` keeps and ``ignore`` drops (codes, code prefixes, slugs, slug areas).

    ``select`` None or empty keeps every check. Comma-separated strings and lists are accepted.

    Raises:
        UsageError: a selector matches no check.
    """
    chosen = list(ALL_CHECKS)
    selectors, ignores = _split(select), _split(ignore)
    for sel in (*selectors, *ignores):
        if not any(_matches(c, sel) for c in ALL_CHECKS):
            raise UsageError(f"--select/--ignore {sel!r} matches no check: give codes (ML1001), code prefixes "
                             "(ML1), slugs (certs.expired) or areas (certs)")
    if selectors:
        chosen = [c for c in chosen if any(_matches(c, s) for s in selectors)]
    if ignores:
        chosen = [c for c in chosen if not any(_matches(c, s) for s in ignores)]
    return tuple(chosen)
