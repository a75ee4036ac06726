"""Shared plumbing of the ``meshlens`` command: the group, error handling, common options.

Exit codes: 0 ran and nothing crossed the failure threshold; 1 findings at or above ``--fail-on``;
2 bad usage or unreadable input (one line on stderr, never a traceback).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from functools import wraps
from importlib import import_module
from typing import Any, NamedTuple, TypeVar

import click

from meshlens._version import __version__
from meshlens.errors import MeshlensError

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"meshlens: {message}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn library errors into one stderr line and exit 2 (``MESHLENS_DEBUG=1`` keeps tracebacks)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MeshlensError as exc:
            if os.environ.get("MESHLENS_DEBUG"):
                raise
            _fail(str(exc))
        except (BrokenPipeError, KeyboardInterrupt):
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
            if os.environ.get("MESHLENS_DEBUG"):
                raise
            _fail(f"internal error ({type(exc).__name__}: {exc}); rerun with MESHLENS_DEBUG=1 and report it")
        return None

    return wrapper  # type: ignore[return-value]


class AliasedGroup(click.Group):
    """A click group whose commands can be called by aliases (``pc c`` = ``pc cluster``)."""

    def __init__(self, *args: Any, aliases: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.aliases: dict[str, str] = dict(aliases or {})

    def add_command(self, cmd: click.Command, name: str | None = None, aliases: tuple[str, ...] = ()) -> None:
        super().add_command(cmd, name)
        for alias in aliases:
            self.aliases[alias] = name or cmd.name or ""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, self.aliases.get(cmd_name, cmd_name))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, cmd, rest = super().resolve_command(ctx, args)
        return (cmd.name if cmd is not None else name), cmd, rest


class LazyCommand(NamedTuple):
    """A command of a :class:`LazyGroup`: where it is, its aliases, its short help (for the group's --help)."""

    ref: str  # "package.module:attribute"
    aliases: tuple[str, ...]
    short_help: str

    def load(self) -> click.Command:
        """The command itself (importing its module)."""
        module, _, attr = self.ref.partition(":")
        command: click.Command = getattr(import_module(module), attr)
        return command


class LazyGroup(AliasedGroup):
    """An :class:`AliasedGroup` whose commands are imported when resolved, not when the group is built.

    ``--help`` lists them from their :class:`LazyCommand` rows (name and short help), importing none.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, LazyCommand] = {}

    def add_lazy_commands(self, commands: Mapping[str, LazyCommand]) -> None:
        """Declare commands by name; each is imported the first time it is resolved."""
        for name, row in commands.items():
            self.lazy[name] = row
            for alias in row.aliases:
                self.aliases[alias] = name

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        name = self.aliases.get(cmd_name, cmd_name)
        if name not in self.commands and name in self.lazy:
            self.add_command(self.lazy[name].load(), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's command list, with the short help of commands not imported yet taken from their rows."""
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            cmd = self.commands.get(name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, ""))
            elif cmd is None and name in self.lazy:
                rows.append((name, self.lazy[name].short_help))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        # A row's text is shortened as click shortens a command's help (a stand-in command does it).
        texts = [(self.commands[name] if name in self.commands else click.Command(name, help=text))
                 .get_short_help_str(limit) for name, text in rows]
        with formatter.section("Commands"):
            formatter.write_dl(list(zip([name for name, _ in rows], texts, strict=True)))


def resolve_input(positional: str | None, file_option: str | None) -> str:
    """The one input of a view command: a positional FILE or ``-f FILE`` (``-`` is stdin)."""
    if positional and file_option:
        raise click.UsageError("give the input once: a positional FILE or -f/--file, not both")
    source = positional or file_option
    if not source:
        raise click.UsageError("an input is required: FILE or -f/--file FILE (- for stdin)")
    return source


def now_option(func: F) -> F:
    """``--now RFC3339`` (also ``MESHLENS_NOW``): the instant validity is judged against."""
    return click.option("--now", "now", envvar="MESHLENS_NOW", default=None, metavar="RFC3339",
                        help="judge certificate validity at this time (default: capture time, else now)")(func)


def show_secrets_option(func: F) -> F:
    """``--show-secrets``: print private key material as captured instead of Envoy's ``[redacted]``."""
    return click.option("--show-secrets", "show_secrets", is_flag=True, default=False,
                        help="print private keys and other secrets as captured (default: [redacted], "
                             "as Envoy prints them)")(func)


def emit_json(value: Any) -> None:
    """Print ``value`` as meshlens' JSON (2-space indent) on stdout."""
    from meshlens.render.jsonout import dumps

    click.echo(dumps(value))




@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="meshlens")
@click.option("--max-bytes", "max_bytes", envvar="MESHLENS_MAX_BYTES", default=None, metavar="SIZE",
              help="most bytes one load may read and inflate (files, archive members, gzip); default 2GiB")
@click.option("--jobs", "-j", "jobs", envvar="MESHLENS_JOBS", type=click.IntRange(min=1), default=None, metavar="N",
              help="worker processes that parse an archive's members (default: every core)")
@click.pass_context
def main(ctx: click.Context, max_bytes: str | None, jobs: int | None) -> None:
    """Analyse captured Envoy and Istio ztunnel state offline."""
    if jobs is not None:
        from meshlens.sources.parallel import jobs_default

        ctx.with_resource(jobs_default(jobs))
    if max_bytes is not None:
        from meshlens.errors import UsageError
        from meshlens.sources.bounded import limit

        try:
            ctx.with_resource(limit(max_bytes))
        except UsageError as exc:
            raise click.BadParameter(exc.message, param_hint="--max-bytes") from None
