"""Start-up imports only what a command uses (issue 14 item 1): an import-set check, not a timing.

Each command runs in a fresh interpreter (the in-process CLI runner would see this test session's
modules); the child reports ``sys.modules`` after the command and the test asserts the heavy
libraries and the model families the command does not need were never imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import SAMPLES

_CHILD = """
import json, sys
from meshlens.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stdout.flush()
print("\\n" + json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

# Heavy third-party libraries and model families an Envoy view never needs.
NOT_FOR_ENVOY_VIEWS = ("deepdiff", "networkx", "jsonpath_ng", "pandas", "meshlens.models.ztunnel",
                       "meshlens.models.istiod")
DUMP = SAMPLES / "envoy" / "productpage" / "config_dump_include_eds.json"


def _imported(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, timeout=120)
    last = proc.stderr.strip().splitlines()[-1]
    return set(json.loads(last))


def _loaded(modules: set[str], package: str) -> list[str]:
    return sorted(m for m in modules if m == package or m.startswith(package + "."))


@pytest.mark.parametrize("args", [("--help",), ("pc", "cluster", str(DUMP)), ("proxy-config", "listener", str(DUMP))],
                         ids=["help", "pc-cluster", "pc-listener"])
def test_envoy_commands_import_no_heavy_library(args: tuple[str, ...]) -> None:
    modules = _imported(*args)
    assert "meshlens.cli" in modules  # the child really ran the command line
    offenders = {p: _loaded(modules, p) for p in NOT_FOR_ENVOY_VIEWS if _loaded(modules, p)}
    assert not offenders, f"`meshlens {' '.join(args)}` imported {offenders}"


def test_help_imports_no_models_at_all() -> None:
    modules = _imported("--help")
    assert not _loaded(modules, "pydantic"), "--help built pydantic"
    assert not _loaded(modules, "meshlens.models.envoy")


def test_the_check_itself_sees_a_heavy_import() -> None:
    """The probe works: a command that does need networkx (graph) is seen importing it."""
    modules = _imported("graph", str(DUMP))
    assert _loaded(modules, "networkx")


def test_help_imports_no_command_module() -> None:
    """The top-level --help lists the commands from the static table, importing none of them."""
    modules = _imported("--help")
    assert _loaded(modules, "meshlens.cli") == ["meshlens.cli", "meshlens.cli.app"]
    assert not _loaded(modules, "meshlens.views") and not _loaded(modules, "meshlens.sources")


def test_pc_imports_only_its_own_command_module() -> None:
    modules = _imported("pc", "cluster", str(DUMP))
    commands = {m for m in _loaded(modules, "meshlens.cli") if m not in ("meshlens.cli", "meshlens.cli.app")}
    assert commands <= {"meshlens.cli.pc", "meshlens.cli.view_options"}, commands
    assert not _loaded(modules, "meshlens.views.ztunnel")
    assert not _loaded(modules, "meshlens.analysis")


def test_the_static_command_table_is_the_commands_own() -> None:
    """Each row's short help and aliases are the real command's, and --help reads as an eager group's would."""
    import click
    from click.testing import CliRunner

    from meshlens.cli import COMMANDS, main
    from meshlens.cli.app import AliasedGroup

    eager = AliasedGroup("meshlens", help=main.help, params=main.params)
    for name, row in COMMANDS.items():
        command = row.load()
        assert row.short_help == command.get_short_help_str(10**6), f"{name}: the table's short help drifted"
        assert command.name == name
        eager.add_command(command, name, aliases=row.aliases)
    fresh = type(main)("meshlens", help=main.help, params=main.params)
    fresh.add_lazy_commands(COMMANDS)  # nothing imported through it yet: --help comes from the table
    got = CliRunner().invoke(fresh, ["--help"], terminal_width=100).output
    want = CliRunner().invoke(eager, ["--help"], terminal_width=100).output
    assert got == want
    assert dict(fresh.aliases) == {a: n for n, r in COMMANDS.items() for a in r.aliases}
    assert fresh.get_command(click.Context(fresh), "pc") is COMMANDS["proxy-config"].load()
