"""Shared plumbing of the ``meshlens`` command: the group, error handling, common options.

Exit codes: 0 ran and nothing crossed the failure threshold; 1 findings at or above ``--fail-on``;
2 bad usage or unreadable input (one line on stderr, never a traceback).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

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




@click.group(cls=AliasedGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
