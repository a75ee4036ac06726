"""Check area modules are named for their area: a check lives in the module of its code's first digit."""

from __future__ import annotations

from meshlens.checks import ALL_CHECKS
from meshlens.checks.base import AREAS

# code's area digit -> the module under meshlens/checks/ that holds its checks
MODULES = {"0": "load", "1": "certs", "2": "listeners", "3": "routes", "4": "clusters", "5": "drift", "6": "ztunnel",
           "7": "logs"}


def test_every_area_has_its_module() -> None:
    assert set(MODULES) == set(AREAS)


def test_every_check_lives_in_its_area_module() -> None:
    misplaced = [f"{c.code} in {c.__module__}" for c in ALL_CHECKS
                 if c.__module__ != f"meshlens.checks.{MODULES[c.code[2]]}"]
    assert not misplaced, misplaced


def test_the_clusters_area_keeps_its_codes() -> None:
    from meshlens.checks import clusters

    assert [c.code for c in clusters.CHECKS] and all(c.code.startswith("ML4") for c in clusters.CHECKS)
