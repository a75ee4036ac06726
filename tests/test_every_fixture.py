"""Every Envoy, istiod, ztunnel and syncz capture (and Envoy's own log) in ../shared/fixtures loads; everything
else there (lab logs, event streams, manifests, a 404 body) is refused with one located line."""

from __future__ import annotations

from pathlib import Path

import pytest

import meshlens
from tests.conftest import FIXTURES

NOT_CAPTURES = (".log", ".jsonl", ".tsv")
LOGS = ("envoy.log", "istio-proxy.log")  # Envoy's own logs: loaded as typed events
NOT_CAPTURE_NAMES = ("manifest.json", "config_dump_resource_bogus.json")


def _files() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    out = []
    for path in sorted(FIXTURES.rglob("*")):
        rel = path.relative_to(FIXTURES).as_posix()
        if (path.is_dir() or path.suffix == ".md" or path.name.startswith("golden__") or "LICENSE" in path.name
                or rel.startswith("schemas/") or "/intended/xds/" in rel):
            continue
        out.append(path)
    return out


def _is_capture(path: Path) -> bool:
    return path.name in LOGS or not (path.suffix in NOT_CAPTURES or path.name in NOT_CAPTURE_NAMES)


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"real captures not found: {FIXTURES}")
@pytest.mark.parametrize("path", _files(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture(path: Path) -> None:
    if _is_capture(path):
        snap = meshlens.load(path)
        assert snap.sources and any(s.kind != "unrecognized" for s in snap.sources)
        assert snap.proxies or snap.ztunnels or snap.istiod is not None or snap.logs
    else:
        with pytest.raises(meshlens.LoadError) as info:
            meshlens.load(path)
        assert str(path) in str(info.value) and "\n" not in str(info.value)
