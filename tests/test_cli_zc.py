"""`meshlens ztunnel-config` / `zc` end to end: goldens on stdout byte for byte, aliases, stdin,
and the one-line exit-2 error contract."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from meshlens.cli import main
from tests.conftest import SAMPLES, fixture_path
from tests.test_views_ztunnel import GOLDEN_NOW, GOLDENS, LEGACY_MAP, golden, make_archive

SAMPLE = SAMPLES / "ztunnel" / "config_dump.json"


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, env=env)
    return result.exit_code, result.stdout, result.stderr


def _golden_args(name: str) -> list[str]:
    view, filters, output = GOLDENS[name]
    args = [view]
    if "pod" in filters:
        args.append(filters["pod"])
    if "now" in filters:
        args += ["--now", filters["now"]]
    return [*args, "-o", output]


@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_goldens_on_stdout(name: str) -> None:
    code, out, err = run("zc", *_golden_args(name), "-f", str(fixture_path(*LEGACY_MAP)))
    assert (code, err) == (0, "")
    assert out == golden(name)


@pytest.mark.parametrize("args", [
    ["ztunnel-config", "workloads"], ["zc", "w"], ["zc", "workload"],
])
def test_names_and_aliases(args: list[str]) -> None:
    code, out, _ = run(*args, str(fixture_path(*LEGACY_MAP)))
    assert code == 0 and out == golden("golden__zc-workloads-short.txt")


@pytest.mark.parametrize("view", ["s", "svc", "services", "p", "pol", "policies", "cert", "certs", "certificates",
                                  "cons", "all"])
def test_every_alias_runs(view: str) -> None:
    code, out, err = run("zc", view, str(SAMPLE), "--now", "2026-11-22T12:00:00Z") if view in (
        "cert", "certs", "certificates", "all") else run("zc", view, str(SAMPLE))
    assert code == 0, err
    assert out.count("\n") >= 2


def test_file_positional_pod_and_namespace_flag() -> None:
    path = str(fixture_path(*LEGACY_MAP))
    expected = golden("golden__zc-workloads-short__one-workload.txt")
    assert run("zc", "w", path, "productpage-v1-675fc69cf-jscn2.bookinfo")[1] == expected
    assert run("zc", "w", "productpage-v1-675fc69cf-jscn2", "-n", "bookinfo", "-f", path)[1] == expected
    code, out, _ = run("zc", "cons", "productpage-v1-796f87b58-97bjk", "--workload-namespace", "bookinfo",
                       "-f", path)
    assert code == 0 and out == golden("golden__zc-connections-short__one-workload.txt")


def test_stdin_and_flags() -> None:
    body = fixture_path(*LEGACY_MAP).read_bytes()
    code, out, _ = run("zc", "policies", "-f", "-", stdin=body)
    assert code == 0 and out == golden("golden__zc-policies-short.txt")
    code, out, _ = run("zc", "cons", "-f", "-", "--direction", "outbound", "--raw", stdin=body)
    assert code == 0 and {line.split()[1] for line in out.splitlines()[1:]} == {"Outbound"}
    code, out, _ = run("zc", "all", "-f", "-", "--with-headers", stdin=body, env={"MESHLENS_NOW": GOLDEN_NOW})
    assert code == 0 and out.startswith("\n------ WORKLOAD INFO ------\n\n")
    code, out, _ = run("zc", "all", "-f", "-", "-o", "json", stdin=body)
    assert code == 0 and out == body.decode() + "\n"
    code, out, _ = run("zc", "w", "-f", "-", "--address", "10.244.1.40", "--workload-node", "AMBIENT-WORKER",
                       stdin=body)
    assert code == 0 and out.splitlines()[1].split()[:2] == ["default", "httpbin-7447985f87-t8hv7"]
    code, out, _ = run("zc", "svc", "-f", "-", "--service-namespace", "sleep", "-o", "yaml", stdin=body)
    assert code == 0 and "  name: sleep\n" in out and out.endswith("\n\n")


def test_choice_notes_go_to_stderr(tmp_path: Path) -> None:
    path = str(make_archive(tmp_path, datetime(2026, 11, 22, 6, tzinfo=timezone.utc)))
    code, out, err = run("zc", "w", path)
    assert code == 0 and out.startswith("NAMESPACE")
    assert err.startswith("meshlens: 2 ztunnels in the capture; showing ztunnel-a.istio-system")
    code, out, err = run("zc", "certs", path, "--ztunnel", "ztunnel-b.istio-system")
    assert code == 0 and "bookinfo-details" in out
    # the instant VALID CERT is judged at is said (the one rule of models/clock), never silently chosen
    assert err == "meshlens: VALID CERT judged at the capture time 2026-11-22T06:00:00Z (--now to change)\n"
    code, out, err = run("zc", "certs", path, "--ztunnel", "ztunnel-b.istio-system", "--now", "2026-11-22T06:00:00Z")
    assert (code, err) == (0, "")


BAD_CASES = {
    "envoy-dump": (["w"], "not a ztunnel /config_dump"),
    "unknown-view": (["clusters"], "No such command 'clusters'"),
    "unknown-flag": (["w", "--fqdn", "x"], "No such option"),
    "bad-output": (["w", "-o", "xml"], "'xml' is not one of"),
    "bad-direction": (["cons", "--direction", "up"], "expected inbound or outbound"),
    "bad-now": (["certs", "--now", "soon"], "RFC 3339"),
    "too-many-args": (["w", "a.json", "pod", "extra"], "expected [FILE] [POD]"),
    "no-input": (["w"], "an input is required"),
    "missing-file": (["w", "/nonexistent/dump.json"], "no such file"),
    "ambiguous": (["certs"], "--ztunnel NAME"),
    "flag-of-other-view": (["svc", "--address", "1.2.3.4"], "No such option"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_errors_are_one_line_exit_2(case: str, tmp_path: Path) -> None:
    args, message = BAD_CASES[case]
    if case == "envoy-dump":
        args = [*args, str(fixture_path("envoy", "sidecar-productpage", "config_dump.json"))]
    elif case == "ambiguous":
        args = [*args, str(make_archive(tmp_path, datetime(2026, 11, 22, tzinfo=timezone.utc)))]
    elif case not in ("no-input", "too-many-args", "missing-file"):
        args = [*args, str(SAMPLE)]
    code, out, err = run("zc", *args)
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("meshlens: ") and message in lines[0]


def test_real_process_has_no_traceback() -> None:
    envoy = fixture_path("envoy", "sidecar-productpage", "config_dump.json")
    proc = subprocess.run([sys.executable, "-m", "meshlens.cli", "zc", "workload", str(envoy)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert str(envoy) in proc.stderr
