"""``meshlens check``, ``meshlens checks`` and ``meshlens explain``.

Exit codes of ``check``: 0 nothing new at or above ``--fail-on``; 1 a finding reached it; 2 bad
usage or unreadable input (one line on stderr). Writing a baseline (``--write-baseline``) exits 0.
"""

from __future__ import annotations

import os
import sys

import click

from meshlens.cli.app import emit_json, handle_errors, now_option

FORMATS = ("text", "json", "sarif", "junit")


def _options(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, not {value!r}", param_hint="-O/--option")
        out[key.strip()] = text.strip()
    return out


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="report format")
@click.option("--output", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="write the report to FILE instead of standard output")
@click.option("--fail-on", type=click.Choice(("error", "warning", "info", "never"), case_sensitive=False),
              default="error", show_default=True, help="exit 1 when a (new) finding is at least this severe")
@click.option("--select", multiple=True, metavar="CODES", help="run only these checks: codes, prefixes (ML1), "
              "slugs or areas (certs), comma-separated or repeated")
@click.option("--ignore", multiple=True, metavar="CODES", help="leave these checks out (same forms as --select)")
@now_option
@click.option("--intended", multiple=True, metavar="FILE", help="the intended configuration (istiod's "
              "/debug/config_dump?proxyID=...) for the drift checks ML5003-ML5005")
@click.option("-O", "--option", "options", multiple=True, metavar="KEY=VALUE",
              help="check option, e.g. cert_expiry_days=14 (see 'meshlens explain CODE')")
@click.option("--baseline", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="findings recorded in FILE are known: only new ones count for --fail-on")
@click.option("--write-baseline", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="record the current findings in FILE (and exit 0)")
@click.option("--color/--no-color", default=None, help="colour the text report (default: on a terminal)")
@click.option("-v", "--verbose", is_flag=True, help="text report: list skipped checks with their reasons")
@handle_errors
def check(paths: tuple[str, ...], fmt: str, output: str | None, fail_on: str, select: tuple[str, ...],
          ignore: tuple[str, ...], now: str | None, intended: tuple[str, ...], options: tuple[str, ...],
          baseline: str | None, write_baseline: str | None, color: bool | None, verbose: bool) -> None:
    """Check captures for problems: certificates, endpoints, dangling references, rejected and
    warming resources, drift, route hygiene, ztunnel state.

    PATH is a config dump, /clusters, /certs, /server_info, a ztunnel dump, a syncz, a bug-report
    archive or directory; files of one proxy given together are analysed as one proxy.
    """
    from meshlens.render.report import render
    from meshlens.results import Baseline
    from meshlens.runner import check as run_checks

    report = run_checks(list(paths), now=now, select=list(select), ignore=list(ignore), options=_options(options),
                        intended=list(intended) or None)
    if baseline:
        report = report.with_baseline(Baseline.load(baseline))
    if color is None:
        color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    text = render(report, fmt, color=color, verbose=verbose, fail_on=fail_on)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False, color=color)
    if write_baseline:
        Baseline.from_report(report).write(write_baseline)
        click.echo(f"meshlens: {len(report.findings)} finding(s) recorded in {write_baseline}", err=True)
        sys.exit(0)
    sys.exit(1 if report.exceeds(fail_on) else 0)


@click.command()
@click.option("-o", "--output", "fmt", type=click.Choice(("text", "json", "markdown")), default="text",
              show_default=True, help="same as --format")
@click.option("--format", "fmt", type=click.Choice(("text", "json", "markdown")),
              help="markdown: the whole catalogue with each check's documentation (docs/checks.md)")
@handle_errors
def checks(fmt: str) -> None:
    """List every check: code, slug, severity and title (--format markdown: the full documentation)."""
    from meshlens.render.catalogue import catalogue, render_catalogue, render_catalogue_markdown

    if fmt == "json":
        emit_json(catalogue())
    elif fmt == "markdown":
        click.echo(render_catalogue_markdown(), nl=False)
    else:
        click.echo(render_catalogue(), nl=False)


@click.command()
@click.argument("code")
@handle_errors
def explain(code: str) -> None:
    """Print a check's documentation (CODE is ML1001 or a slug such as certs.expired)."""
    from meshlens.render.catalogue import render_explain

    click.echo(render_explain(code), nl=False)
