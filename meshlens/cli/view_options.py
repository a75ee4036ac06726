"""A registered view filter (:class:`meshlens.views.spec.Filter`) as a click option, for ``pc`` and ``zc``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from meshlens.views.spec import Filter


def filter_option(spec: Filter, *, pflag_bools: bool) -> Callable[[Any], Any]:
    """The click option of ``spec``.

    Bool filters are istioctl's pflag bools: with ``pflag_bools`` a ``--flag/--no-flag`` pair with
    its default shown (``pc``, which also accepts ``--flag=false``); else a plain switch (``zc``).
    """
    if spec.type is bool:
        if pflag_bools:
            name = spec.flag.removeprefix("--")
            return click.option(f"{spec.flag}/--no-{name}", spec.name, default=bool(spec.default),
                                show_default=True, hidden=spec.hidden,
                                help=f"{spec.help} (also {spec.flag}=false)")
        return click.option(spec.flag, spec.name, is_flag=True, default=bool(spec.default), hidden=spec.hidden,
                            help=spec.help)
    return click.option(spec.flag, spec.name, type=spec.type, default=None, metavar=spec.metavar,
                        envvar=spec.envvar, hidden=spec.hidden, help=spec.help)
