"""One declaration per view: the registry (meshlens/views/registry.py) is what the pc/zc commands,
``proxy.view()`` and README's command list show; nothing repeats it."""

from __future__ import annotations

import inspect
import re

import click
import pytest

from meshlens.cli.pc import proxy_config
from meshlens.cli.zc import ztunnel_config
from meshlens.views import ENVOY_VIEWS, ZTUNNEL_VIEWS
from meshlens.views.registry import ENVOY, ZTUNNEL
from meshlens.views.spec import ViewSpec
from tests.conftest import REPO

FAMILIES = [("pc", proxy_config, ENVOY), ("zc", ztunnel_config, ZTUNNEL)]
COMMON = {"arguments", "file", "output", "proxy", "ztunnel", "node", "namespace", "help", "show_secrets"}


@pytest.mark.parametrize(("short", "group", "specs"), FAMILIES, ids=["pc", "zc"])
def test_readme_lists_exactly_the_registered_views(short: str, group: click.Group,
                                                    specs: tuple[ViewSpec, ...]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    lines = re.findall(rf"^meshlens {short} ([\w|]+) FILE", readme, flags=re.MULTILINE)
    assert lines, f"README lists no `meshlens {short} VIEW|... FILE` line"
    for line in lines:
        assert line.split("|") == [s.name for s in specs], f"README's {short} views differ from the registry"


@pytest.mark.parametrize(("short", "group", "specs"), FAMILIES, ids=["pc", "zc"])
def test_commands_are_derived_from_the_registry(short: str, group: click.Group, specs: tuple[ViewSpec, ...]) -> None:
    assert list(group.commands) == [s.name for s in specs]
    aliases = getattr(group, "aliases", {})
    for spec in specs:
        command = group.commands[spec.name]
        assert command.help == spec.help
        assert command.hidden == spec.hidden
        assert {a for a, target in aliases.items() if target == spec.name} == set(spec.aliases)
        params = [p.name for p in command.params if p.name not in COMMON]
        assert params == [f.name for f in spec.filters if f.cli], f"{short} {spec.name}: flags differ"
        for f in spec.filters:
            if f.cli:
                option = next(p for p in command.params if p.name == f.name)
                assert isinstance(option, click.Option) and f.flag in option.opts
                assert option.hidden == f.hidden


@pytest.mark.parametrize("spec", [*ENVOY, *ZTUNNEL], ids=lambda s: s.name)
def test_every_declared_filter_is_a_parameter_of_the_view_function(spec: ViewSpec) -> None:
    params = inspect.signature(spec.resolve()).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for name in spec.filter_names:
        assert takes_any or name in params, f"view {spec.name} declares filter {name} its function lacks"
    required = [n for n, p in list(params.items())[1:] if p.default is inspect.Parameter.empty
                and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    assert not required, f"view {spec.name}: required parameters the registry cannot fill: {required}"


def test_names_and_aliases_are_unique_per_family() -> None:
    for registry in (ENVOY_VIEWS, ZTUNNEL_VIEWS):
        names = [n for spec in registry.values() for n in spec.names]
        assert len(names) == len(set(names))


def test_the_cli_modules_repeat_no_view_list() -> None:
    for module in ("pc.py", "zc.py"):
        text = (REPO / "meshlens" / "cli" / module).read_text(encoding="utf-8")
        assert "VIEW_COMMANDS" not in text and "_VIEWS" not in text
        assert not re.search(r'click\.option\("--(fqdn|address|port|workload-namespace)', text)
