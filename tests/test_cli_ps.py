"""`meshlens proxy-status` / `meshlens ps` end to end: outputs, flags, and the one-line error contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from meshlens.cli import main
from tests.conftest import fixture_path

DATA = Path(__file__).resolve().parent / "data" / "syncz"
MULTI = str(DATA / "multi-istiod" / "xds.json")
BOOKINFO = ("bugreport", "bookinfo-mesh.tar.gz")


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, env=env)
    return result.exit_code, result.stdout, result.stderr


def golden(name: str) -> str:
    text = fixture_path("istio", name).read_text()
    return text if text.endswith("\n") else text + "\n"  # upstream goldens are compared after TrimSpace


@pytest.mark.parametrize("command", ["proxy-status", "ps"])
def test_name_and_alias_print_the_golden(command: str) -> None:
    code, out, err = run(command, MULTI)
    assert (code, err) == (0, "")
    assert out == golden("golden__ps-table__multi-istiod.txt")


@pytest.mark.parametrize(("args", "name"), [
    (["--legacy"], "golden__ps-table__multi-istiod__istio1.26-legacy-columns.txt"),
    (["-v", "0"], "golden__ps-table__multi-istiod.txt"),
])
def test_layout_flags(args: list[str], name: str) -> None:
    code, out, _ = run("ps", "-f", str(DATA / "multi-istiod" / "http"), *args)
    assert code == 0 and out == golden(name)


def test_verbose_and_stdin() -> None:
    data = (DATA / "verbose-multi-istiod" / "xds.json").read_bytes()
    code, out, _ = run("ps", "-f", "-", "-v", "1", stdin=data)
    assert code == 0 and out == golden("golden__ps-table-verbose__multi-istiod.txt")


def test_json_and_yaml() -> None:
    code, out, _ = run("ps", str(fixture_path("istio", "istiod-xds-syncz__ClientConfig-namespace-filtered.yaml")),
                       "-o", "json", "-n", "foo")
    assert code == 0
    doc = json.loads(out)
    assert doc["resources"][0]["node"]["metadata"]["NAMESPACE"] == "foo"
    assert out.startswith('{\n    "versionInfo": "1.1",\n    "resources": [\n') and out.endswith("}\n")
    code, out, _ = run("ps", MULTI, "-o", "yaml")
    assert code == 0
    docs = list(yaml.safe_load_all(out))
    assert [d["resources"][0]["node"]["id"] for d in docs] == ["proxy1", "proxy2", "proxy3", "proxy4"]


def test_namespace_and_now_on_a_bug_report() -> None:
    archive = str(fixture_path(*BOOKINFO))
    code, out, _ = run("ps", archive, "-n", "istio-system", "-v", "1", "--now", "2026-11-22T13:35:09Z")
    assert code == 0
    assert out.splitlines()[1].split()[-4:] == ["SYNCED", "(5m)", "istiod-7d4f8c9b6d-x2kqp", "1.24.2"]
    code, env_out, _ = run("ps", archive, "-n", "istio-system", "-v", "1", env={"MESHLENS_NOW": "2026-11-22T13:35:09Z"})
    assert (code, env_out) == (0, out)
    code, out, _ = run("proxy-status", archive, "--legacy")  # default now: the capture time
    productpage = next(line for line in out.splitlines() if line.startswith("productpage"))
    assert productpage.split()[2:6] == ["STALE", "(3s)", "ERROR", "(3s)"]


@pytest.mark.parametrize(("args", "needle"), [
    (["ps", "CONFIG_DUMP"], "no istiod sync status"),
    (["ps", MULTI, "-n", "nowhere"], "no proxies found (checked 4 istiods)"),
    (["ps", MULTI, "--now", "tomorrow"], "not an RFC 3339 time"),
    (["ps", MULTI, "--legacy", "-v", "1"], "no verbose form"),
    (["ps", MULTI, "-f", MULTI], "not both"),
    (["ps"], "an input is required"),
    (["ps", MULTI, "-o", "wide"], "'wide'"),
])
def test_errors_are_one_line_and_exit_2(args: list[str], needle: str) -> None:
    args = [str(fixture_path("envoy", "sidecar-productpage", "config_dump.json")) if a == "CONFIG_DUMP" else a
            for a in args]
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert needle in err
    if not err.startswith("Usage:"):  # click's own usage errors print a usage block
        assert err.count("\n") == 1 and err.startswith("meshlens: ")
