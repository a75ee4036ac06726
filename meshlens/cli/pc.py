"""``meshlens proxy-config`` (alias ``pc``): istioctl's proxy-config tables from a captured Envoy.

    meshlens pc VIEW FILE [POD] [flags]        meshlens pc VIEW [POD] -f FILE [flags]

VIEW, its aliases and flags are istioctl's, and come from the views registry
(:data:`meshlens.views.registry.ENVOY`): one sub-command per declared view. POD (istioctl's
``[pod/]<name>[.<namespace>]``) or ``--proxy`` picks one proxy of a bug-report archive. Boolean
flags take istioctl's forms: ``--verbose``, ``--verbose=false``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from meshlens.cli.app import AliasedGroup, handle_errors, resolve_input, show_secrets_option
from meshlens.cli.view_options import filter_option
from meshlens.errors import UsageError
from meshlens.views.registry import ENVOY, listed
from meshlens.views.spec import ViewSpec

# Go's strconv.ParseBool, which pflag uses for "--flag=value".
_GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
             "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}
_BOOL_FLAGS = tuple(sorted({f.flag for spec in ENVOY for f in spec.filters if f.type is bool}))


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
            raise _UsageLine(f"proxy-config: {exc.format_message()} (views: {listed(ENVOY, hidden=True)})") from None


@click.group("proxy-config", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             help=f"istioctl proxy-config tables ({listed(ENVOY)}) from a captured Envoy /config_dump, "
                  "a /clusters capture, or a bug-report archive.")
def proxy_config() -> None:
    """istioctl proxy-config tables from captured Envoy state (help text: from the registry)."""


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


def _view_command(spec: ViewSpec) -> click.Command:
    """The ``pc VIEW`` sub-command of a registered view: its filters become istioctl's flags."""
    view = spec.name

    @handle_errors
    def run(arguments: tuple[str, ...], file: str | None, output: str | None, proxy: str | None,
            show_secrets: bool, **filters: Any) -> None:
        from meshlens.views.envoy import render_view

        source, selector = _split_arguments(arguments, file, proxy)
        result = render_view(source, view, output, proxy=selector, show_secrets=show_secrets,
                             **{k: v for k, v in filters.items() if v is not None})
        for note in result.notes:
            click.echo(f"meshlens: note: {note}", err=True)
        click.echo(result.text, nl=False)

    run.__doc__ = spec.help
    command: Callable[..., Any] = run
    common = [
        click.argument("arguments", nargs=-1, metavar="[FILE] [POD]"),
        click.option("-f", "--file", "file", metavar="FILE", help="the captured config_dump (- for stdin)"),
        click.option("-o", "--output", type=click.Choice(["short", "json", "yaml"]), default=None,
                     help=f"istioctl's output format (default: {spec.default_output})"),
        click.option("--proxy", metavar="NAME", help="which proxy of an archive (node id, pod.namespace or pod)"),
        show_secrets_option,
    ]
    options = [filter_option(f, pflag_bools=True) for f in spec.filters if f.cli]
    for option in reversed([*common, *options]):
        command = option(command)
    return click.command(view, cls=_Command, hidden=spec.hidden)(command)


for _spec in ENVOY:
    proxy_config.add_command(_view_command(_spec), _spec.name, aliases=_spec.aliases)

__all__ = ["proxy_config"]
