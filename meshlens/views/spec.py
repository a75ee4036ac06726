"""How a view is declared: :class:`ViewSpec` (name, aliases, filters, help) and :class:`Filter`.

A view is declared once, in :mod:`meshlens.views.registry`; ``proxy.view(...)``, the ``pc`` / ``zc``
commands (their names, aliases, options and help) and README's command list are all derived from, or
checked against, that declaration. This module imports nothing heavy: the command line reads the
registry at start-up without importing the views themselves (``func`` is a ``"module:function"``
reference, imported on first call).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any


@dataclass(frozen=True)
class Filter:
    """One keyword argument of a view, and the istioctl flag it is on the command line.

    Attributes:
        name: the keyword argument (``fqdn``, ``workload_namespace``); the flag is ``--`` + the name
            with dashes (``--workload-namespace``).
        type: ``str``, ``int`` or ``bool``.
        help: the flag's help text.
        default: a bool filter's default (istioctl's).
        metavar: the flag's metavar in help (default: click's for the type).
        envvar: an environment variable the flag falls back to.
        hidden: a flag istioctl hides.
        cli: False for a filter the command line fills itself (the ztunnel POD argument).
    """

    name: str
    type: type = str
    help: str = ""
    default: Any = None
    metavar: str | None = None
    envvar: str | None = None
    hidden: bool = False
    cli: bool = True

    @property
    def flag(self) -> str:
        """The command-line flag: ``--`` + the name with dashes."""
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class ViewSpec:
    """A registered view: its name, istioctl's aliases, its filters, its help, its function.

    ``func`` is the view function, or a ``"package.module:function"`` reference imported on first
    use (so that reading the registry stays cheap).
    """

    name: str
    func: Callable[..., Any] | str
    aliases: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    help: str = ""
    hidden: bool = False
    default_output: str = "short"

    @property
    def filter_names(self) -> tuple[str, ...]:
        """The keyword arguments the view accepts."""
        return tuple(f.name for f in self.filters)

    @property
    def names(self) -> tuple[str, ...]:
        """The name and every alias."""
        return (self.name, *self.aliases)

    def resolve(self) -> Callable[..., Any]:
        """The view function (importing it when declared by reference)."""
        if callable(self.func):
            return self.func
        module, _, attr = self.func.partition(":")
        func: Callable[..., Any] = getattr(import_module(module), attr)
        return func


__all__ = ["Filter", "ViewSpec"]
