"""Run one configuration in the current (private) network namespace and write ``result.json``.

    unshare --net -- python -m envoy_lab.run_one CONFIG OUT_DIR ENVOY_BINARY

Brings loopback up, runs the configuration's namespace setup (iptables), starts the backends, writes
the xDS files and the bootstrap, starts Envoy (admin on 127.0.0.1:15000 of this namespace), waits until
it is ready, sends every probe, waits for the access log, captures ``/config_dump``,
``/config_dump?include_eds`` and ``/clusters?format=json``, stops Envoy by pid, and joins log lines to
probes. Every wait is bounded; whatever fails is recorded in ``result.json`` rather than raised.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from envoy_lab import configs
from envoy_lab.backend import Backends
from envoy_lab.client import send_probe
from envoy_lab.model import LabConfig, Outcome

ADMIN_PORT = 15000
READY_TIMEOUT_S = 20.0
LOG_WAIT_S = 6.0
PROBES_DEADLINE_S = 60.0  # all probes of one configuration; the rest are recorded as not sent
FIRST_SRC_PORT = 31000


def loopback_up() -> None:
    """``ip link set lo up`` without needing iproute2 (SIOCGIFFLAGS / SIOCSIFFLAGS)."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, siocgifflags, ifr)[:18])[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH", b"lo", flags | iff_up))


_PRCTL = ctypes.CDLL(None, use_errno=True).prctl  # looked up before any fork
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Envoy gets SIGKILL if the lab child dies (e.g. killed at its timeout): nothing outlives the lab."""
    _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def send_all(cfg: LabConfig) -> list[dict[str, Any]]:
    deadline = time.monotonic() + PROBES_DEADLINE_S
    clients = []
    for i, p in enumerate(cfg.probes):
        if time.monotonic() > deadline:
            clients.append({"refused": False, "status": None, "src": None, "error": "not sent: lab deadline",
                            "closed_without_response": False, "headers": {}, "body": ""})
        else:
            clients.append(send_probe(p, FIRST_SRC_PORT + i))
    return clients


def admin_get(path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ADMIN_PORT}{path}", timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def wait_ready(proc: subprocess.Popen[bytes]) -> str | None:
    """None when Envoy is LIVE with nothing warming; else why not."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer from admin"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"envoy exited with {proc.returncode} before becoming ready"
        code, body = admin_get("/ready", timeout=1.0)
        if code == 200:
            _, stats = admin_get("/stats?filter=(warming_clusters|total_listeners_warming)$", timeout=1.0)
            warming = [ln for ln in stats.decode().splitlines() if not ln.endswith(": 0")]
            if not warming:
                return None
            last = f"still warming: {warming}"
        elif code:
            last = f"/ready answered {code}: {body[:80]!r}"
        time.sleep(0.05)
    return f"not ready within {READY_TIMEOUT_S}s ({last})"


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                out.append({"kind": "unparsed", "line": line})
    return out


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def expected_lines(outcomes: list[dict[str, Any]]) -> int:
    """A lower bound of the log lines the probes should produce (one connection line per accepted one)."""
    return sum(1 for c in outcomes if not c["refused"] and c["src"])


def join(cfg: LabConfig, clients: list[dict[str, Any]], lines: list[dict[str, Any]]) -> tuple[
        list[Outcome], list[dict[str, Any]]]:
    """Join log lines to probes: HTTP lines by ``x-lab-id``, TCP-proxy and listener lines by the client
    address. Returns the outcomes and the lines that joined no probe (duplicates included)."""
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for ln in lines:
        kind = ln.get("kind")
        key = ln.get("id") if kind == "http" else ln.get("remote") if kind in ("tcp", "conn") else None
        if kind == "http" and not key:  # the codec refused the request before its headers were read
            kind, key = "http-by-remote", ln.get("remote")
        if key and (kind, key) not in by_key:
            by_key[(kind, key)] = ln
    outcomes = []
    used: set[int] = set()
    for probe, client in zip(cfg.probes, clients, strict=True):
        src = client.get("src") or ""
        http = by_key.get(("http", probe.id)) or by_key.get(("http-by-remote", src))
        o = Outcome(probe=probe, client=client, http_log=http,
                    tcp_log=by_key.get(("tcp", src)), conn_log=by_key.get(("conn", src)))
        used.update(id(ln) for ln in (o.http_log, o.tcp_log, o.conn_log) if ln is not None)
        outcomes.append(o)
    return outcomes, [ln for ln in lines if id(ln) not in used]


def run(name: str, out: Path, envoy: str) -> dict[str, Any]:
    t0 = time.monotonic()
    work = out / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    log_path = work / "access.log"
    cfg = configs.build(name, str(work), str(log_path))
    result: dict[str, Any] = {"config": name, "description": cfg.description, "error": None, "skipped": None,
                              "outcomes": [], "unjoined": [], "timings": {}}
    loopback_up()
    for cmd in cfg.netns_setup:
        if shutil.which(cmd[0]) is None:
            result["skipped"] = f"{cmd[0]} is not installed (needed for: {' '.join(cmd)})"
            return result
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        if proc.returncode != 0:
            result["skipped"] = f"{' '.join(cmd)} failed: {proc.stderr.strip()[:300]}"
            return result
    for path, content in cfg.files.items():  # xDS files must exist before Envoy subscribes to them
        Path(path).write_text(json.dumps(content, indent=1))
    (work / "bootstrap.json").write_text(json.dumps(cfg.bootstrap, indent=1))
    backends = Backends(cfg.backends)
    envoy_log = (work / "envoy.log").open("wb")
    proc = subprocess.Popen(
        [envoy, "-c", str(work / "bootstrap.json"), "--concurrency", "1", "--disable-hot-restart",
         "-l", "warning", "--file-flush-interval-msec", "50", "--drain-time-s", "1"],
        stdout=envoy_log, stderr=subprocess.STDOUT, cwd=str(work), preexec_fn=_die_with_parent)
    try:
        not_ready = wait_ready(proc)
        result["timings"]["ready_s"] = round(time.monotonic() - t0, 3)
        if not_ready:
            result["error"] = not_ready
            return result
        clients = send_all(cfg)
        result["timings"]["probes_s"] = round(time.monotonic() - t0, 3)
        want = expected_lines(clients)
        deadline = time.monotonic() + LOG_WAIT_S
        while time.monotonic() < deadline and len(read_log(log_path)) < want:
            time.sleep(0.05)
        time.sleep(0.2)  # lines for connections closed last
        for key, path in (("dump", "/config_dump"), ("dump_eds", "/config_dump?include_eds"),
                          ("clusters", "/clusters?format=json")):
            code, body = admin_get(path, timeout=10)
            result[key] = json.loads(body) if code == 200 else None
    finally:
        stop(proc)
        envoy_log.close()
        backends.close()
        result["envoy_log_tail"] = (work / "envoy.log").read_text(errors="replace").splitlines()[-15:]
    result["timings"]["total_s"] = round(time.monotonic() - t0, 3)
    outcomes, unjoined = join(cfg, clients, read_log(log_path))
    result["outcomes"] = [o.to_dict() for o in outcomes]
    result["unjoined"] = unjoined
    return result


def main(argv: list[str]) -> int:
    name, out, envoy = argv[0], Path(argv[1]), argv[2]
    out.mkdir(parents=True, exist_ok=True)
    try:
        result = run(name, out, envoy)
    except Exception as exc:  # recorded for the test to report
        import traceback

        result = {"config": name, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(),
                  "skipped": None, "outcomes": []}
    (out / "result.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    if os.environ.get("ENVOY_LAB_IN_NETNS") != "1":
        sys.exit("run_one must run inside a private network namespace (see envoy_lab.lab)")
    sys.exit(main(sys.argv[1:]))
