"""``meshlens proxy-config`` (alias ``pc``): istioctl's proxy-config tables from a captured Envoy.

    meshlens pc VIEW FILE [POD] [flags]        meshlens pc VIEW [POD] -f FILE [flags]

VIEW, aliases and flags are istioctl's: ``cluster|clusters|c``, ``listener|listeners|l``,
``route|routes|r``, ``endpoint|endpoints|ep`` (reads a ``/clusters`` capture), ``eds`` (hidden),
``secret|secrets|s``, ``bootstrap|b``, ``ecds|ec``, ``all|a``. POD (istioctl's
``[pod/]<name>[.<namespace>]``) or ``--proxy`` picks one proxy of a bug-report archive. Boolean
flags take istioctl's forms: ``--verbose``, ``--verbose=false``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from meshlens.cli.app import AliasedGroup, handle_errors, now_option, resolve_input
from meshlens.errors import UsageError

# Go's strconv.ParseBool, which pflag uses for "--flag=value".
_GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
             "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}
_BOOL_FLAGS = ("--verbose", "--with-headers", "--waypoint")
_VIEWS = "cluster, listener, route, endpoint, eds, secret, bootstrap, ecds, all"


class _UsageLine(click.ClickException):
    """A usage error printed as one stderr line (exit 2), like every other meshlens error."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"meshlens: {self.format_message()}", err=True)


_NO_ARGS_IS_HELP: type[Exception] = getattr(click.exceptions, "NoArgsIsHelpError", type("_Never", (Exception,), {}))


def _pflag_bools(args: list[str]) -> list[str]:
    """``--verbose=false`` -> ``--no-verbose`` (pflag's bool syntax onto click's flag pair)."""
    out = []
    for arg in args:
        name, sep, value = arg.partition("=")
        if sep and name in _BOOL_FLAGS:
            if value not in _GO_BOOLS:
                raise click.UsageError(f'invalid argument "{value}" for "{name}" flag: '
                                       f'strconv.ParseBool: parsing "{value}": invalid syntax')
            out.append(name if _GO_BOOLS[value] else "--no-" + name[2:])
        else:
            out.append(arg)
    return out


class _Command(click.Command):
    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, _pflag_bools(list(args)), parent=parent, **extra)
        except click.UsageError as exc:
            raise _UsageLine(f"proxy-config {self.name}: {exc.format_message()}") from None


class _Group(AliasedGroup):
    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except _NO_ARGS_IS_HELP:
            raise  # "meshlens pc" alone prints the help
        except click.UsageError as exc:
            raise _UsageLine(f"proxy-config: {exc.format_message()}") from None

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                              list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise _UsageLine(f"proxy-config: {exc.format_message()} (views: {_VIEWS})") from None


@click.group("proxy-config", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def proxy_config() -> None:
    """istioctl proxy-config tables (cluster, listener, route, endpoint, secret, bootstrap, ecds, all)
    from a captured Envoy /config_dump, a /clusters capture, or a bug-report archive."""


def _split_arguments(arguments: tuple[str, ...], file: str | None, proxy: str | None) -> tuple[str, str | None]:
    """``(input, proxy)`` from ``[FILE] [POD]``: with ``-f`` the one positional is the pod."""
    try:
        if file is not None:
            if len(arguments) > 1:
                raise click.UsageError("with -f/--file give at most one positional argument: the pod")
            pod = arguments[0] if arguments else None
            source = resolve_input(None, file)
        else:
            if len(arguments) > 2:
                raise click.UsageError("expected [FILE] [POD], got more arguments")
            pod = arguments[1] if len(arguments) > 1 else None
            source = resolve_input(arguments[0] if arguments else None, None)
        if pod and proxy and pod != proxy:
            raise click.UsageError(f"two proxies named: {pod!r} and --proxy {proxy!r}")
        return source, pod or proxy
    except click.UsageError as exc:
        raise UsageError(exc.format_message()) from None


def _view_command(view: str, summary: str, options: list[Callable[[Any], Any]], *,
                  default_output: str = "short", hidden: bool = False) -> click.Command:
    @handle_errors
    def run(arguments: tuple[str, ...], file: str | None, output: str | None, proxy: str | None,
            **filters: Any) -> None:
        from meshlens.views.envoy import render_view

        source, selector = _split_arguments(arguments, file, proxy)
        result = render_view(source, view, output, proxy=selector,
                             **{k: v for k, v in filters.items() if v is not None})
        for note in result.notes:
            click.echo(f"meshlens: note: {note}", err=True)
        click.echo(result.text, nl=False)

    run.__doc__ = summary
    command: Callable[..., Any] = run
    common = [
        click.argument("arguments", nargs=-1, metavar="[FILE] [POD]"),
        click.option("-f", "--file", "file", metavar="FILE", help="the captured config_dump (- for stdin)"),
        click.option("-o", "--output", type=click.Choice(["short", "json", "yaml"]), default=None,
                     help=f"istioctl's output format (default: {default_output})"),
        click.option("--proxy", metavar="NAME", help="which proxy of an archive (node id, pod.namespace or pod)"),
    ]
    for option in reversed([*common, *options]):
        command = option(command)
    return click.command(view, cls=_Command, hidden=hidden)(command)


def _int(name: str, text: str) -> Callable[[Any], Any]:
    return click.option(name, type=int, default=None, help=text)


def _str(name: str, text: str) -> Callable[[Any], Any]:
    return click.option(name, default=None, help=text)


def _bool(name: str, default: bool, text: str) -> Callable[[Any], Any]:
    flag = name.removeprefix("--")
    return click.option(f"{name}/--no-{flag}", flag.replace("-", "_"), default=default, show_default=True,
                        help=f"{text} (also {name}=false)")


_ENDPOINT_FILTERS = [
    _str("--address", "filter endpoints by address"),
    _int("--port", "filter endpoints by port"),
    _str("--cluster", "filter endpoints by cluster name"),
    _str("--status", "filter endpoints by status (e.g. healthy)"),
]

VIEW_COMMANDS: tuple[tuple[click.Command, tuple[str, ...]], ...] = (
    (_view_command("cluster", "Clusters (istioctl pc cluster).", [
        _str("--fqdn", "filter clusters by substring of the service FQDN"),
        _int("--port", "filter clusters by port"),
        _str("--subset", "filter clusters by substring of the subset"),
        _str("--direction", "filter clusters by direction"),
    ]), ("clusters", "c")),
    (_view_command("listener", "Listeners, one row per filter chain (istioctl pc listener).", [
        _str("--address", "filter listeners by address"),
        _int("--port", "filter listeners by port"),
        _str("--type", "filter listeners by type (HTTP, TCP, HTTP+TCP, UNKNOWN)"),
        _bool("--verbose", True, "show MATCH and DESTINATION per filter chain"),
        click.option("--waypoint/--no-waypoint", "waypoint", default=False, hidden=True),
    ]), ("listeners", "l")),
    (_view_command("route", "Routes per virtual host (istioctl pc route).", [
        _str("--name", "filter route configurations by name (exact)"),
        _bool("--verbose", True, "one row per route instead of per route configuration"),
    ]), ("routes", "r")),
    (_view_command("endpoint", "Hosts of a /clusters capture with health and outlier state (istioctl pc endpoint).",
                   _ENDPOINT_FILTERS), ("endpoints", "ep")),
    (_view_command("eds", "EDS assignments of a /config_dump?include_eds (istioctl pc eds).", _ENDPOINT_FILTERS,
                   hidden=True), ()),
    (_view_command("secret", "SDS secrets and their certificates (istioctl pc secret).", [now_option]),
     ("secrets", "s")),
    (_view_command("bootstrap", "The bootstrap (-o json, the default) or versions (-o short) (istioctl pc bootstrap).",
                   [], default_output="json"), ("b",)),
    (_view_command("ecds", "Extension configs delivered by ECDS (istioctl pc ecds).", []), ("ec",)),
    (_view_command("all", "All the tables (istioctl pc all); -o json|yaml prints the whole dump.", [
        _str("--fqdn", "filter clusters by substring of the service FQDN"),
        _str("--direction", "filter clusters by direction"),
        _str("--subset", "filter clusters by substring of the subset"),
        _int("--port", "filter clusters, listeners and endpoints by port"),
        _str("--address", "filter listeners and endpoints by address"),
        _str("--type", "filter listeners by type"),
        _str("--name", "filter route configurations by name"),
        _bool("--verbose", True, "verbose listener and route tables"),
        _bool("--with-headers", False, "title each table"),
        now_option,
    ]), ("a",)),
)

for _command, _aliases in VIEW_COMMANDS:
    proxy_config.add_command(_command, _command.name, aliases=_aliases)

__all__ = ["proxy_config"]
