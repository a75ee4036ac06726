"""The ``meshlens`` command: parses arguments, calls one library function, renders, exits.

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


def emit_json(value: Any) -> None:
    from meshlens.render.jsonout import dumps

    click.echo(dumps(value))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="meshlens")
def main() -> None:
    """Analyse captured Envoy and Istio ztunnel state offline."""


@main.command()
@click.argument("source")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def inspect(source: str, output: str) -> None:
    """Show what a capture holds: kind, proxy, versions, resource counts by state, load findings.

    SOURCE is a file (JSON, YAML, gzip), a bug-report archive or directory, or - for stdin.
    """
    from meshlens.summary import inspect as inspect_source

    summary = inspect_source(source)
    if output == "json":
        emit_json(summary.to_dict())
    else:
        from meshlens.render.inspect import render_summary

        click.echo(render_summary(summary), nl=False)


@main.command()
@click.argument("source")
@click.argument("expression")
@handle_errors
def query(source: str, expression: str) -> None:
    """Print the values matching a JSONPath EXPRESSION in SOURCE's raw JSON (as a JSON list)."""
    from meshlens.analysis.query import query as run_query

    emit_json(run_query(source, expression))


if __name__ == "__main__":  # pragma: no cover
    main()
