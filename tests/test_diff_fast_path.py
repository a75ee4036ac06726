"""diff's own comparison runs first: unchanged resources never reach deepdiff, and what does gives the
same hunks as the whole-resource canonical comparison (issue 14, item 1: diff near the load).
"""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from typing import Any

import deepdiff
import pytest

import meshlens
from meshlens.analysis.diff import canonical, canonical_pair, compare
from tests.conftest import fixture_path, needs_shared


def _dump(capture: str = "sidecar-productpage") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(fixture_path("envoy", capture, "config_dump_include_eds.json").read_text())
    return doc


def _clusters(doc: dict[str, Any]) -> list[dict[str, Any]]:
    section = next(s for s in doc["configs"] if s["@type"].endswith("ClustersConfigDump"))
    return [entry["cluster"] for entry in section["dynamic_active_clusters"]]


@needs_shared
def test_unchanged_resources_never_reach_deepdiff(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _dump()
    after = copy.deepcopy(before)
    changed = _clusters(after)[3]
    changed["connect_timeout"] = "7s"
    seen: list[tuple[Any, Any]] = []
    real = deepdiff.DeepDiff

    def spy(t1: Any, t2: Any, **kwargs: Any) -> Any:
        seen.append((t1, t2))
        return real(t1, t2, **kwargs)

    monkeypatch.setattr(deepdiff, "DeepDiff", spy)
    drift = meshlens.diff(before, after)
    assert [(r.type, r.name, r.status) for r in drift.resources] == [("CDS", changed["name"], "changed")]
    # One call, for the one changed cluster, holding only the changed field.
    assert seen == [({"connect_timeout": _clusters(before)[3]["connect_timeout"]}, {"connect_timeout": "7s"})]

    seen.clear()
    assert meshlens.diff(before, copy.deepcopy(before)).in_sync
    assert seen == []


@needs_shared
def test_diff_of_equal_captures_does_not_import_deepdiff() -> None:
    dump = str(fixture_path("envoy", "sidecar-productpage", "config_dump_include_eds.json"))
    child = ("import sys, meshlens; d = meshlens.diff(sys.argv[1], sys.argv[1]); "
             "print(d.in_sync, 'deepdiff' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", child, dump], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["True", "False"]


def _mutations(rng: random.Random, raw: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``raw`` with a few random edits of the kinds the canonical form cares about."""
    out = copy.deepcopy(raw)
    containers: list[tuple[Any, Any]] = []  # (container, key or index) of every value

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            containers.append((node, k))
            walk(v)

    walk(out)
    for _ in range(rng.randint(1, 3)):
        if not containers:
            break
        node, k = rng.choice(containers)
        value = node[k]
        action = rng.choice(["leaf", "drop", "add", "reverse", "envoy-added"])
        if action == "leaf" and not isinstance(value, (dict, list)):
            node[k] = f"{value}-changed"
        elif action == "drop" and isinstance(node, dict):
            del node[k]
        elif action == "add" and isinstance(value, dict):
            value["added_field"] = {"x": 1}
        elif action == "reverse" and isinstance(value, list):
            value.reverse()
        elif action == "envoy-added" and isinstance(value, dict):
            value["locality"] = rng.choice([{}, {"zone": "z"}])
        containers = []
        walk(out)
    return out


@needs_shared
@pytest.mark.parametrize("capture", ["sidecar-productpage", "sidecar-productpage-degraded"])
def test_changed_resources_give_the_same_hunks_as_the_whole_canonical_form(capture: str) -> None:
    doc = _dump(capture)
    rng = random.Random(14)
    resources: list[dict[str, Any]] = []
    for section in doc["configs"]:
        for entries in section.values():
            if isinstance(entries, list):
                resources += [v for e in entries if isinstance(e, dict) for v in e.values() if isinstance(v, dict)]
    compared = 0
    for raw in resources:
        for _ in range(4):
            other = _mutations(rng, raw)
            whole = compare(canonical(raw), canonical(other))
            assert compare(*canonical_pair(raw, other)) == whole, raw.get("name")
            compared += bool(whole)
    assert compared > 50  # the mutations really changed things


@needs_shared
@pytest.mark.parametrize("bounded_eq", [True, False], ids=["eq-bounded", "walk-first"])
def test_equal_but_too_deep_pairs_are_refused_not_equal(monkeypatch: pytest.MonkeyPatch, bounded_eq: bool) -> None:
    """The fast ``==`` is also the depth check (or, where Python does not bound it, a walk goes first)."""
    import meshlens.analysis.diff as diff_module

    monkeypatch.setattr(diff_module, "_DEPTH_BOUNDED_EQ", bounded_eq)
    nested: dict[str, Any] = {}
    for _ in range(120):
        nested = {"a": nested}
    before = _dump()
    _clusters(before)[0]["metadata"] = nested
    drift = meshlens.diff(before, copy.deepcopy(before))
    (entry,) = drift.resources
    assert entry.status == "changed" and "nested deeper" in (entry.details or "")
    shallow = _dump()  # and the bound does not refuse real captures
    assert meshlens.diff(shallow, copy.deepcopy(shallow)).in_sync
