"""``meshlens ztunnel-config`` (alias ``zc``): istioctl's ztunnel-config tables from a captured dump.

    meshlens zc VIEW FILE [POD] [flags]        meshlens zc VIEW [POD] -f FILE [flags]

VIEW, its aliases and flags are istioctl's, and come from the views registry
(:data:`meshlens.views.registry.ZTUNNEL`): one sub-command per declared view. POD is istioctl's
positional ``[pod/]<name>[.<namespace>]``: a ztunnel pod picks that ztunnel of an archive; a workload
pod picks the ztunnel on its node and filters the workload and connections tables to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from meshlens.cli.app import AliasedGroup, handle_errors, resolve_input, show_secrets_option
from meshlens.cli.view_options import filter_option
from meshlens.errors import UsageError
from meshlens.views.registry import ZTUNNEL, listed
from meshlens.views.spec import ViewSpec


class _UsageLine(click.ClickException):
    """A usage error printed as one stderr line (exit 2), like every other meshlens error."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"meshlens: {self.format_message()}", err=True)


# click >= 8.2 signals "no arguments: print the help" with a UsageError subclass.
_NO_ARGS_IS_HELP: type[Exception] = getattr(click.exceptions, "NoArgsIsHelpError", type("_Never", (Exception,), {}))


class _Command(click.Command):
    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise _UsageLine(f"ztunnel-config {self.name}: {exc.format_message()}") from None


class _Group(AliasedGroup):
    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except _NO_ARGS_IS_HELP:
            raise  # "meshlens zc" alone prints the help
        except click.UsageError as exc:
            raise _UsageLine(f"ztunnel-config: {exc.format_message()}") from None

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                              list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            views = listed(ZTUNNEL, hidden=True)
            raise _UsageLine(f"ztunnel-config: {exc.format_message()} (views: {views})") from None


@click.group("ztunnel-config", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             help=f"istioctl ztunnel-config tables ({listed(ZTUNNEL)}) from a captured ztunnel /config_dump "
                  "or a bug-report archive.")
def ztunnel_config() -> None:
    """istioctl ztunnel-config tables from a captured ztunnel (help text: from the registry)."""


def _split_arguments(arguments: tuple[str, ...], file: str | None) -> tuple[str, str | None]:
    """``(input, pod)`` from ``[FILE] [POD]``: with ``-f`` the one positional is the pod."""
    try:
        if file is not None:
            if len(arguments) > 1:
                raise click.UsageError("with -f/--file give at most one positional argument: the pod")
            return resolve_input(None, file), (arguments[0] if arguments else None)
        if len(arguments) > 2:
            raise click.UsageError("expected [FILE] [POD], got more arguments")
        pod = arguments[1] if len(arguments) > 1 else None
        return resolve_input(arguments[0] if arguments else None, None), pod
    except click.UsageError as exc:
        raise UsageError(exc.format_message()) from None


def _view_command(spec: ViewSpec) -> click.Command:
    """The ``zc VIEW`` sub-command of a registered view: its filters become istioctl's flags."""
    view = spec.name
    options = [filter_option(f, pflag_bools=False) for f in spec.filters if f.cli]

    @handle_errors
    def run(arguments: tuple[str, ...], file: str | None, output: str, ztunnel: str | None, node: str | None,
            namespace: str | None, show_secrets: bool, **filters: Any) -> None:
        from meshlens.views.ztunnel import render
        from meshlens.views.ztunnel import ztunnel_config as build

        source, pod = _split_arguments(arguments, file)
        table = build(source, view, ztunnel=ztunnel, node=node, pod=pod, namespace=namespace,
                      **{k: v for k, v in filters.items() if v is not None and v is not False})
        for note in table.notes:
            click.echo(f"meshlens: {note}", err=True)
        click.echo(render(table, output, show_secrets=show_secrets), nl=False)

    run.__doc__ = spec.help
    command: Callable[..., Any] = run
    for option in reversed(options):
        command = option(command)
    common = [
        click.argument("arguments", nargs=-1, metavar="[FILE] [POD]"),
        click.option("-f", "--file", "file", metavar="FILE", help="the captured config_dump (- for stdin)"),
        click.option("-o", "--output", type=click.Choice(["short", "json", "yaml"]), default="short",
                     show_default=True, help="istioctl's output format"),
        click.option("--ztunnel", "--proxy", "ztunnel", metavar="NAME",
                     help="which ztunnel of an archive holding several"),
        show_secrets_option,
        click.option("--node", metavar="NODE", help="the ztunnel running on this node"),
        click.option("-n", "--namespace", metavar="NS", help="namespace of a POD given without one"),
    ]
    for option in reversed(common):
        command = option(command)
    return click.command(view, cls=_Command, hidden=spec.hidden)(command)


for _spec in ZTUNNEL:
    ztunnel_config.add_command(_view_command(_spec), _spec.name, aliases=_spec.aliases)

__all__ = ["ztunnel_config"]
