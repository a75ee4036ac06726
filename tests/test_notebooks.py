"""The notebooks in notebooks/ run top to bottom in a real kernel, and show what they teach.

Each notebook is executed as a reader runs it: nbclient starts an IPython kernel of this interpreter in
notebooks/ and runs every cell (an exception in any cell fails the test). Then the outputs of its tagged
cells (``metadata.tags``) are checked against ``EXPECT``: the text a cell prints and what its results
render as (their HTML when they have one, as Jupyter shows them, else their text), e.g. the trace across
proxies draws lanes for the reviews-v1 and reviews-v2 pods, the findings table holds ML1008, the fit cell
says balanced. Every notebook must have expectations here, and every expected tag must exist, so no
notebook runs untested and no assertion silently checks nothing.

The committed files are stored without outputs (outputs depend on the machine and the wall clock; the
test regenerates them), and hold no absolute machine path and no private key.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, REPO

NOTEBOOKS_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))

# notebook -> tag -> what the tagged cell's outputs must show; "!text" means it must NOT show text
EXPECT: dict[str, dict[str, list[str]]] = {
    "00_explore_a_capture.ipynb": {
        "load": ["productpage-v1-6c886ff494-7vxhs.default"],
        "clusters": ["outbound", "reviews.default.svc.cluster.local", "v3"],
        "trace": ["ROUTED", "outbound|9080|v2|reviews.default.svc.cluster.local"],
        "diff": ["SYNCED"],
        "ztunnel": ["reviews", "bookinfo"],
        "logs": ["balanced", "!NOT balanced"],
    },
    "01_triage_a_bug_report.ipynb": {
        "load": ["Snapshot", "productpage-v1-6c886ff494-7vxhs.default", "reviews-v2-65cb66b45c-9d2rz.default"],
        "mesh-table": ["most troubled: productpage-v1-6c886ff494-7vxhs.default", "STALE", "ERROR"],
        "check": ["worst: error", "would fail a CI gate at --fail-on error: True"],
        "findings-by-severity": ["reviews-v2-65cb66b45c-9d2rz.default", "details-v1-65599dcf68-x7ccd.default",
                                 "ztunnel-qk2pp"],
        "errors": ["ML1001", "ML1008", "ML3001", "ML5001", "certs.root-mismatch"],
        "explain": ["ML1008 certs.root-mismatch", "WHY IT MATTERS", "HOW TO FIX", "!``", "!:func:"],
        "finding-location": ["proxy:    reviews-v2-65cb66b45c-9d2rz.default",
                             "member:   bug-report/proxies/default/reviews-v2-65cb66b45c-9d2rz/config_dump?include_eds",
                             "JSON path: $.configs[6].dynamic_active_secrets[1].secret"],
        # reviews-v2's ROOTCA serial differs from reviews-v1's: the finding's evidence, seen in the tables
        "secrets": ["ROOTCA", "4a921ec763ef851620ee552de664326b579fa5c4", "125d59093432ea926687a7c118cc590b138e885e"],
        "report": ["HTML report:", "1 trace(s)", "bookinfo-report.html", "mesh", "findings", "certificates",
                   "traces", "proxies"],
    },
    "02_trace_and_explain_a_failure.ipynb": {
        "first-try": ["reviews-v1-5c4d6d447c-jq8sm      NO_FILTER_CHAIN"],
        "why-no-chain": ["istio.alpn"],
        # the hop diagram (SVG) has a lane per proxy: the source and both reviews sidecars it continued into
        "trace-reviews": ["<svg", "productpage-v1-6c886ff494-7vxhs.default", "reviews-v1-5c4d6d447c-jq8sm",
                          "reviews-v2-65cb66b45c-9d2rz", "ROUTED"],
        "trace-paths": ["reaches an upstream on every path: True",
                        "10.244.0.20:9080   reviews-v1-5c4d6d447c-jq8sm      ROUTED",
                        "10.244.0.21:9080   reviews-v2-65cb66b45c-9d2rz      ROUTED",
                        "reviews-v3", "placed by eds"],
        "hops": ["[productpage-v1-6c886ff494-7vxhs] listener      0.0.0.0_9080",
                 "skipped 10.96.117.95_9080", "[reviews-v1-5c4d6d447c-jq8sm ] filter_chain  0.0.0.0_9080"],
        "trace-missing": ["NO_CLUSTER (503)", "outbound|9080||missing.default.svc.cluster.local does not exist"],
        "explain-missing": ["ML3001", "503 NC", "VirtualService"],
        "dangling": ["route 9080/details.default.svc.cluster.local:9080/to-missing",
                     "cluster outbound|9080||missing.default.svc.cluster.local is not loaded",
                     "RDS route configuration '8081' is not loaded"],
        "trace-unhealthy": ["NO_HEALTHY_UPSTREAM 503 reviews-jason", "UNHEALTHY(failed_outlier_check)",
                            "panic mode is off"],
        "explain-unhealthy": ["FAILED", "ML4004", "ML4005"],
        "others-routed": ["ROUTED"],
    },
    "03_intended_vs_loaded.ipynb": {
        "in-sync": ["no drift", "in sync: True"],
        "drift": ["CDS DRIFTED", "LDS DRIFTED", "rejected  0.0.0.0_8082",
                  "missing   outbound|8080||broken.default.svc.cluster.local",
                  "warming   outbound|8080||ghost.default.svc.cluster.local"],
        "drift-frame": ["'CDS': 'DRIFTED'", "rejected", "missing", "warming"],
        "drift-findings": ["ML5001", "ML5002", "ML5003", "drift.missing"],
        "drift-skipped": ["ML5003 drift.missing skipped", "--intended"],
        "changed": ["changed   outbound|9080||reviews.default.svc.cluster.local", "$.connect_timeout: 5s -> 10s"],
        "changed-frame": ["$.connect_timeout", "$.outlier_detection"],
    },
    "04_ztunnel_balance_and_failover.ipynb": {
        "analysis": ["balanced", "!NOT balanced"],
        "fit": ["300 connections, 31 failed", "chi-square p = 0.0715: balanced"],
        "shares": ["reviews-v1-8f6d5c7b9a-m3n7p", "expected_share"],
        "failover": ["reviews-v2-7b8c6d9f5e-k4v2s", "failed 31x", "errors CONNECT",
                     "recovered at 2026-11-22T13:00:21.400000Z", "circuit_breaker", "health_check"],
        "window": ["reviews-v2-7b8c6d9f5e-k4v2s      31 connections,  31 failed"],
        "generate": ["400 lines"],
        "skewed": ["NOT balanced"],
        "checks": ["ML7"],
    },
    "05_gate_a_change_in_ci.ipynb": {
        "gate-fails": ["$ meshlens check ", "exit code 1", "!Traceback"],
        "gate-never": ["--fail-on never", "exit code 0"],
        "gate-select": ["ML3001", "exit code 1"],
        "baseline": ["known from the baseline", "exit code 0"],
        "sarif": ["SARIF 2.1.0", "ML1001", "exit code 1"],
        "junit": ["'failures': '", "ML1008", "ML3001"],
        "bad-input": ["no-such-capture.json", "exit code 2", "!Traceback"],
        "route-tests": ["PASS  reviews is routed", "FAIL  details /missing reaches an upstream", "NO_CLUSTER",
                        "2 passed, 1 failed", "exit code 1"],
        "route-junit": ["'tests': '3', 'failures': '1'", "details /missing reaches an upstream"],
        "router-check": ["actual: [outbound|9080||missing.default.svc.cluster.local], test type: cluster_name",
                         "exit code 1"],
        "python-gate": ["exceeds error: True", "'bad input': 2", "'--fail-on never': 0", "'router-check': 1"],
    },
}

# notebooks that read ../shared beside the clone (the others run on samples/ alone)
NEEDS_SHARED = {"01_triage_a_bug_report.ipynb", "02_trace_and_explain_a_failure.ipynb",
                "03_intended_vs_loaded.ipynb", "05_gate_a_change_in_ci.ipynb"}

_ABSOLUTE = re.compile(r"(?<![\w.])/(?:work|home|root|tmp|Users|private|var/folders)/|[A-Za-z]:\\\\")
_KEY = re.compile(r"PRIVATE KEY")


def _shown(cell: Any) -> str:
    """Everything a cell shows: printed text, errors, and each output as rendered (its HTML, else its text)."""
    parts: list[str] = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])))
        data = out.get("data", {})
        value = data.get("text/html") or data.get("text/plain")  # what Jupyter renders: the HTML when there is one
        if value:
            parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def kernel_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A JUPYTER_PATH holding a kernel spec for THIS interpreter ("meshlens-tests"): a system-wide "python3"
    spec may point at another Python, without meshlens.
    """
    pytest.importorskip("ipykernel")
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "meshlens-tests"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "meshlens tests", "language": "python"}))
    return str(root)


def test_every_notebook_has_expectations() -> None:
    assert NOTEBOOKS, "no notebooks in notebooks/"
    assert {p.name for p in NOTEBOOKS} == set(EXPECT), "each notebook needs its EXPECT entry (and vice versa)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_clean(path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)  # also catches duplicate cell ids
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: outputs are not committed"
    text = path.read_text(encoding="utf-8")
    assert not _ABSOLUTE.search(text), f"{path.name} names an absolute machine path: {_ABSOLUTE.search(text)}"
    assert not _KEY.search(text), f"{path.name} holds private key material"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_shows_what_it_teaches(path: Path, kernel_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("matplotlib")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if path.name in NEEDS_SHARED and not FIXTURES.is_dir():
        pytest.skip(f"{path.name} reads the real captures in {FIXTURES} (clone the project beside ../shared)")
    monkeypatch.setenv("JUPYTER_PATH", kernel_path)
    monkeypatch.delenv("MESHLENS_NOW", raising=False)
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="meshlens-tests",
                                     resources={"metadata": {"path": str(NOTEBOOKS_DIR)}})
    client.execute()  # raises CellExecutionError (with the cell and its traceback) when a cell fails

    shown: dict[str, str] = {}
    for cell in nb.cells:
        for tag in cell.metadata.get("tags", []):
            shown[tag] = shown.get(tag, "") + _shown(cell)
    everything = "\n".join(_shown(c) for c in nb.cells)
    assert not _KEY.search(everything), f"{path.name} printed private key material"
    for tag, wanted in EXPECT[path.name].items():
        assert tag in shown, f"{path.name}: no cell tagged {tag!r}"
        for text in wanted:
            if text.startswith("!"):
                assert text[1:] not in shown[tag], f"{path.name} [{tag}] shows {text[1:]!r}:\n{shown[tag][:3000]}"
            else:
                assert text in shown[tag], f"{path.name} [{tag}] does not show {text!r}:\n{shown[tag][:3000]}"
