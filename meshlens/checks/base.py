"""The Check base class, the inputs a check can require, and the CheckContext it runs with.

A check is a small class whose metadata are plain ClassVars, validated when the class is created
(:meth:`Check.__init_subclass__`): a malformed check fails at import, not in a user's CI job::

    class CertExpired(Check):
        '''A certificate is past its notAfter date.

        ## What it checks
        ...
        ## Why it matters
        ...
        ## Example
        ...
        ## How to fix
        ...
        '''

        code = "ML1001"                 # ML + 4 digits; the first digit is the area (AREAS)
        name = "certs.expired"          # slug: <area>.<words-with-dashes>, for --select and config
        severity = Severity.ERROR
        title = "Certificate has expired"
        message = "{cert} expired on {not_after}"
        inputs = ("certificates",)      # absent from the capture => the check is skipped, with the reason

        def run(self, snapshot, ctx):
            ...
            yield subject                               # examined (passes unless also flagged)
            yield self.finding(subject, location, cert=..., not_after=...)

The docstring is the user documentation (``meshlens explain``, SARIF ``rules[].help``) and must have
the sections of :data:`DOC_SECTIONS`. Checks hold no state and never read the clock or the
environment: ``ctx.now`` and ``ctx.options`` are their only inputs besides the snapshot.
"""

from __future__ import annotations

import inspect
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from meshlens.models.base import Location, Severity
from meshlens.models.redaction import redact_text, redact_tree
from meshlens.models.snapshot import Snapshot
from meshlens.results import Finding, JsonScalar, Subject, iso

__all__ = ["AREAS", "DOC_SECTIONS", "INPUTS", "Check", "CheckContext", "CheckDefinitionError", "Severity",
           "SkipCheck", "Subject"]

# First digit of the code -> the slug prefixes allowed for it.
AREAS: Mapping[str, tuple[str, ...]] = {
    "0": ("load",),
    "1": ("certs",),
    "2": ("listeners",),
    "3": ("routes",),
    "4": ("clusters", "endpoints"),
    "5": ("sync", "drift"),
    "6": ("ztunnel",),
    "7": ("logs",),
}
AREA_TITLES: Mapping[str, str] = {"0": "load", "1": "certificates", "2": "listeners", "3": "routes",
                                  "4": "clusters and endpoints", "5": "drift and sync", "6": "ztunnel",
                                  "7": "ztunnel logs"}
DOC_SECTIONS = ("What it checks", "Why it matters", "Example", "How to fix")
CODE_RE = re.compile(r"^ML(\d)\d{3}$")
SLUG_RE = re.compile(r"^([a-z]+)\.[a-z0-9]+(?:-[a-z0-9]+)*$")
_SECTION_RE = re.compile(r"^## (.+?)\s*$", re.MULTILINE)


class CheckDefinitionError(TypeError):
    """A check class is malformed (bad code, slug, template, docstring, ...), or used wrongly."""


class SkipCheck(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a check that finds, once running, that it cannot judge this capture (the reason)."""


@dataclass(frozen=True)
class CheckContext:
    """What a check runs with besides the snapshot.

    Attributes:
        now: the instant validity is judged at (never the wall clock inside a check).
        now_source: where ``now`` came from (``--now``, capture time, ...), for messages.
        options: check options by name (``cert_expiry_days``, ...); see each check's ``options``.
        intended: the intended capture for drift checks (``--intended FILE``), if any.
    """

    now: datetime
    now_source: str = "given"
    options: Mapping[str, Any] = field(default_factory=dict)
    intended: Snapshot | None = None

    def option(self, name: str, default: Any) -> Any:
        """Option ``name`` converted to the type of ``default`` (the CLI passes strings)."""
        value = self.options.get(name, default)
        if value is default or isinstance(value, type(default)) and not isinstance(value, bool):
            return value
        try:
            if isinstance(default, bool):
                return str(value).lower() in ("1", "true", "yes", "on")
            return type(default)(value)
        except (TypeError, ValueError) as exc:
            raise CheckDefinitionError(f"option {name}={value!r}: expected a {type(default).__name__}") from exc


# Inputs a check may declare: name -> (is it in the capture?, why the check is skipped otherwise).
InputTest = Callable[[Snapshot, CheckContext], bool]
INPUTS: Mapping[str, tuple[InputTest, str]] = {
    "envoy": (lambda s, c: bool(s.proxies), "the capture holds no Envoy proxy"),
    "listeners": (lambda s, c: any("listeners" in p.sections for p in s.proxies),
                  "no Envoy listeners in the capture (a config dump with LDS)"),
    "routes": (lambda s, c: any(p.sections & {"listeners", "routes"} for p in s.proxies),
               "no Envoy listeners or route configurations in the capture"),
    "clusters": (lambda s, c: any("clusters" in p.sections for p in s.proxies),
                 "no Envoy clusters in the capture (a config dump with CDS)"),
    "endpoints": (lambda s, c: any("endpoints" in p.sections or p.cluster_statuses for p in s.proxies),
                  "no endpoints in the capture: give /config_dump?include_eds or /clusters"),
    "eds": (lambda s, c: any("endpoints" in p.sections for p in s.proxies),
            "no EndpointsConfigDump in the capture (capture /config_dump?include_eds)"),
    "clusters_status": (lambda s, c: any(p.cluster_statuses for p in s.proxies),
                        "no /clusters capture given with the config dump (runtime health flags)"),
    "certificates": (lambda s, c: any(p.secrets or p.certs for p in s.proxies)
                     or any(z.certificates for z in s.ztunnels),
                     "no certificates in the capture (SDS secrets, /certs or ztunnel certificates)"),
    "several_proxies": (lambda s, c: len(s.proxies) + sum(1 for z in s.ztunnels if z.certificates) > 1,
                        "one proxy in the capture: nothing to compare its trust roots with"),
    "ztunnel": (lambda s, c: bool(s.ztunnels), "the capture holds no ztunnel"),
    "logs": (lambda s, c: any(hasattr(log, "access") for log in s.logs), "no ztunnel log among the inputs"),
    "istiod": (lambda s, c: s.istiod is not None and bool(s.istiod.sync),
               "no istiod sync status (syncz) in the capture"),
    "intended": (lambda s, c: c.intended is not None, "no intended capture given (--intended FILE)"),
    "envoy_logs": (lambda s, c: any(getattr(log, "component", "") == "envoy" and hasattr(log, "events")
                                    for log in s.logs),
                   "no Envoy / istio-proxy log in the capture (a bug-report's istio-proxy.log, or envoy.log)"),
    "analyze": (lambda s, c: bool(s.extras.get("analyze")), "no istioctl analyze output in the capture"),
    "load_findings": (lambda s, c: True, ""),
}


def _scalar(value: Any) -> JsonScalar:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return str(value)


def _template_fields(template: str) -> set[str]:
    fields = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is None:
            continue
        if not name or name.isdigit() or not name.isidentifier():
            raise CheckDefinitionError(f"message template field {{{name}}}: use named fields only")
        fields.add(name)
    return fields


def _doc_sections(doc: str) -> list[str]:
    return _SECTION_RE.findall(doc)


class Check:
    """Base class of every check (see the module docstring)."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    title: ClassVar[str]
    message: ClassVar[str]
    inputs: ClassVar[tuple[str, ...]] = ()
    # Load-finding codes this check reports better: while it runs, the runner does not relay them.
    supersedes: ClassVar[tuple[str, ...]] = ()
    # Options it reads: name -> (default, help).
    options: ClassVar[Mapping[str, tuple[Any, str]]] = {}

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not abstract:
            _validate(cls)

    # --- to implement ---------------------------------------------------------------------------
    def run(self, snapshot: Snapshot, ctx: CheckContext) -> Iterable[Finding | Subject | list[Subject]]:
        """Yield every subject examined (one by one, or a ``list`` of them at once: big captures
        have tens of thousands), and a finding for each problem.
        """
        raise NotImplementedError

    # --- helpers --------------------------------------------------------------------------------
    def finding(self, subject: Subject, location: Location | None = None, *, severity: Severity | None = None,
                **fields: Any) -> Finding:
        """A finding of this check: the message template filled with ``fields`` (all kept as data).

        ``severity`` overrides the declared one; only the load checks use it, to relay the
        severity the loader gave.
        """
        missing = self.template_fields() - set(fields)
        if missing:
            raise CheckDefinitionError(f"{self.code}: finding() lacks template field(s) {sorted(missing)}")
        # a finding quotes the capture; private key material never reaches a report (no flag: a
        # finding never needs the key itself)
        data = {k: redact_tree(_scalar(v)) for k, v in fields.items()}
        shown = {k: (v if isinstance(v, (int, float)) and not isinstance(v, bool) else redact_tree(_scalar(v)))
                 for k, v in fields.items()}
        text = " ".join(line.strip() for line in self.message.format_map(shown).splitlines() if line.strip())
        text = redact_text(text)
        return Finding(code=self.code, name=self.name, severity=severity or self.severity, title=self.title,
                       message=text, subject=subject,
                       location=location or Location(), data=data)

    @classmethod
    def template_fields(cls) -> set[str]:
        return _template_fields(cls.message)

    @classmethod
    def docs(cls) -> str:
        """The check's documentation: its docstring, dedented."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """The first line of the documentation."""
        return cls.docs().split("\n", 1)[0].strip()

    @classmethod
    def section(cls, title: str) -> str:
        """The text of section ``## title`` of the documentation ("" if absent)."""
        doc = cls.docs()
        parts = _SECTION_RE.split(doc)
        for i in range(1, len(parts) - 1, 2):
            if parts[i] == title:
                return parts[i + 1].strip()
        return ""

    @classmethod
    def area(cls) -> str:
        return AREA_TITLES[cls.code[2]]


def _validate(cls: type[Check]) -> None:
    where = f"check class {cls.__name__}"
    for attr in ("code", "name", "severity", "title", "message"):
        if getattr(cls, attr, None) is None:
            raise CheckDefinitionError(f"{where}: missing ClassVar {attr!r}")
    _validate_identity(cls, where)
    _validate_texts(cls, where)
    _validate_declarations(cls, where)


def _validate_identity(cls: type[Check], where: str) -> None:
    """Code, slug (its area must match the code's) and severity."""
    match = CODE_RE.match(cls.code)
    if match is None:
        raise CheckDefinitionError(f"{where}: code {cls.code!r} is not ML + 4 digits")
    slug = SLUG_RE.match(cls.name)
    if slug is None:
        raise CheckDefinitionError(f"{where}: slug {cls.name!r} is not <area>.<lowercase-words-with-dashes>")
    if slug.group(1) not in AREAS[match.group(1)]:
        raise CheckDefinitionError(f"{where}: slug {cls.name!r} must start with one of "
                                   f"{AREAS[match.group(1)]} for code {cls.code}")
    if not isinstance(cls.severity, Severity):
        raise CheckDefinitionError(f"{where}: severity must be a Severity")


def _validate_texts(cls: type[Check], where: str) -> None:
    """Title, message template and the docstring's summary and sections."""
    if not cls.title.strip() or len(cls.title) > 80 or cls.title.endswith("."):
        raise CheckDefinitionError(f"{where}: title must be one short line without a final period")
    if not cls.message.strip():
        raise CheckDefinitionError(f"{where}: empty message template")
    _template_fields(cls.message)
    sections = _doc_sections(cls.docs())
    expected = [s for s in sections if s in DOC_SECTIONS]
    if expected != list(DOC_SECTIONS):
        raise CheckDefinitionError(f"{where}: the docstring needs the sections "
                                   f"{', '.join('## ' + s for s in DOC_SECTIONS)} in that order (has {sections})")
    if not cls.summary():
        raise CheckDefinitionError(f"{where}: the docstring needs a one-line summary first")


def _validate_declarations(cls: type[Check], where: str) -> None:
    """Declared inputs, superseded codes and options."""
    unknown = [i for i in cls.inputs if i not in INPUTS]
    if unknown:
        raise CheckDefinitionError(f"{where}: unknown inputs {unknown} (known: {sorted(INPUTS)})")
    for code in cls.supersedes:
        if not CODE_RE.match(code) or code == cls.code:
            raise CheckDefinitionError(f"{where}: supersedes {code!r} is not another check code")
    for opt, spec in cls.options.items():
        if not (isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], str)):
            raise CheckDefinitionError(f"{where}: option {opt!r} must be (default, help)")


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
