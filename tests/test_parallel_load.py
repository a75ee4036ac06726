"""Archives loaded on several processes, or on any Executor (Dask), give the serial load's snapshot.

Issue 12 item 6: members are parsed in worker processes and merged in a stable order; the same
snapshot, byte for byte in its serialised form, whichever worker finishes first.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import pytest

import meshlens
from meshlens.sources import parallel
from tests.conftest import SAMPLES, fixture_path

NOW = "2026-11-22T14:00:00Z"


def fingerprint(snapshot: meshlens.Snapshot) -> bytes:
    """Everything a load decides, in a canonical byte form: resources (with their raw JSON), findings,
    sources, logs, istiod rows, extras, and what inspect and check make of it."""
    out: dict[str, Any] = {
        "proxies": [{"name": p.name, "group": p.group, "sections": sorted(p.sections),
                     "resources": [{**r.to_dict(), "raw": r.raw}
                                   for r in (*p.listeners, *p.clusters, *p.route_configs, *p.endpoints,
                                             *p.secrets, *p.ecds)],
                     "statuses": len(p.cluster_statuses or ()), "sources": [s.to_dict() for s in p.sources]}
                    for p in snapshot.proxies],
        "ztunnels": [z.name for z in snapshot.ztunnels],
        "findings": [f.model_dump(mode="json") for f in snapshot.findings],
        "sources": [s.to_dict() for s in snapshot.sources],
        "logs": [getattr(getattr(log, "location", None), "member", None) for log in snapshot.logs],
        "istiod": len(snapshot.istiod.sync) if snapshot.istiod else None,
        "extras": sorted(snapshot.extras),
        "kind": snapshot.kind,
        "captured_at": str(snapshot.captured_at),
        "inspect": meshlens.inspect(snapshot).to_dict(),
        "check": _untimed(meshlens.check(snapshot, now=NOW, hash_inputs=False).to_dict()),
    }
    return orjson.dumps(out, option=orjson.OPT_SORT_KEYS, default=str)


def _untimed(value: Any) -> Any:
    """``value`` without the checks' own durations (the one thing two runs never share)."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k != "duration_ms"}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


@pytest.fixture()
def always_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)


@pytest.fixture(scope="module")
def archive() -> str:
    return str(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))


@pytest.fixture(scope="module")
def serial(archive: str) -> bytes:
    return fingerprint(meshlens.load(archive, jobs=1))


def test_worker_processes_give_the_serial_snapshot(archive: str, serial: bytes, always_parallel: None) -> None:
    loaded = meshlens.load(archive, jobs=2)
    assert len(loaded.proxies) > 1
    assert fingerprint(loaded) == serial


def test_any_executor_gives_the_serial_snapshot(archive: str, serial: bytes) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert fingerprint(meshlens.load_many([archive], executor=pool)) == serial


def test_a_directory_in_parallel_is_the_same(always_parallel: None) -> None:
    folder = SAMPLES / "envoy"
    assert fingerprint(meshlens.load(folder, jobs=2)) == fingerprint(meshlens.load(folder, jobs=1))


def test_dask_local_cluster_gives_the_in_process_snapshot(archive: str, serial: bytes) -> None:
    distributed = pytest.importorskip("distributed", reason="dask[distributed] (meshlens[dask]) not installed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster, timeout=60) as client:
        loaded = meshlens.load_many([archive], executor=client.get_executor())
    assert fingerprint(loaded) == serial


def test_ps_on_an_archive_without_syncz_says_so_before_parsing_it(tmp_path: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14 item 5: proxy-status needs a syncz; an archive without one is refused unparsed."""
    import io
    import tarfile

    from click.testing import CliRunner

    from meshlens.cli import main
    from meshlens.sources import read

    archive = tmp_path / "no-syncz.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in ("config_dump_include_eds.json", "clusters.json", "certs.json"):
            body = (SAMPLES / "envoy" / "productpage" / name).read_bytes()
            info = tarfile.TarInfo(f"bug-report/proxies/default/productpage-v1-x/{name}")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    parsed: list[str] = []
    real = read.parse_bytes
    monkeypatch.setattr(read, "parse_bytes", lambda data, location, **kw: parsed.append(location.member or "")
                        or real(data, location, **kw))
    result = CliRunner().invoke(main, ["ps", str(archive)])
    assert result.exit_code == 2
    assert "no istiod sync status" in result.output and "without istiod-syncz" in result.output
    assert parsed == []  # said before loading the rest
    assert meshlens.load(archive).proxies  # the same archive loads in full otherwise
