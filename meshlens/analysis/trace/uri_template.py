"""Envoy's URI templates: ``path_match_policy`` (``UriTemplateMatchConfig``) and its rewrite
(``path_rewrite_policy``, ``UriTemplateRewriteConfig``).

A template is ``/``-separated segments, each a literal, ``*`` (one path segment, up to the next
``/``), ``**`` (zero or more segments; last only), or a variable ``{name}`` / ``{name=*}`` (one
segment), ``{name=**}`` (the rest) or ``{name=a/*/b}`` (several segments, captured together). A
segment matches the characters a path segment may hold (RFC 3986 ``pchar`` without ``/``), so the
template matches the path only (the query string is not part of it). The rewrite template is
literals and ``{name}`` references to the match's variables; the query string is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

SEGMENT = r"[a-zA-Z0-9\-._~%!$&'()+,;:@=]+"  # one segment (pchar, no "/")
REST = r"[a-zA-Z0-9\-._~%!$&'()+,;:@=/]*"  # zero or more segments
MATCH_TYPE = "envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig"
REWRITE_TYPE = "envoy.extensions.path.rewrite.uri_template.v3.UriTemplateRewriteConfig"


class TemplateError(ValueError):
    """A template meshlens cannot read."""


@dataclass(frozen=True)
class Template:
    """A compiled match template: its regex and the variable names in order."""

    text: str
    regex: re.Pattern[str]
    names: tuple[str, ...]


def _operator(op: str, last: bool) -> str:
    if op == "*":
        return SEGMENT
    if op == "**":
        if not last:
            raise TemplateError("** must be the last operator of the template")
        return REST
    if not re.fullmatch(r"[a-zA-Z0-9\-._~%!$&'()+,;:@=]+", op):
        raise TemplateError(f"invalid literal {op!r}")
    return re.escape(op)


def _segments(text: str) -> list[str]:
    """``text`` split on ``/`` outside ``{...}`` (a variable may span segments)."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch == "/" and depth == 0:
            out.append("".join(cur))
            cur = []
            continue
        depth += (ch == "{") - (ch == "}")
        cur.append(ch)
    out.append("".join(cur))
    return out


@lru_cache(maxsize=512)
def compile_template(text: str) -> Template:
    """``text`` (e.g. ``/books/{id}/reviews/**``) as a full-match regex with named groups."""
    if not text.startswith("/"):
        raise TemplateError(f"a path template starts with '/': {text!r}")
    segments = _segments(text[1:])
    parts: list[str] = []
    names: list[str] = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        var = re.fullmatch(r"\{([a-zA-Z][a-zA-Z0-9_]*)(?:=([^}]*))?\}", seg)
        if var is None and ("{" in seg or "}" in seg):
            raise TemplateError(f"unsupported template segment {seg!r}")
        if var is not None:
            name, body = var.group(1), var.group(2) or "*"
            if name in names:
                raise TemplateError(f"variable {name!r} appears twice")
            names.append(name)
            inner = "/".join(_operator(op, last and j == len(body.split("/")) - 1)
                             for j, op in enumerate(body.split("/")))
            parts.append(f"(?P<{name}>{inner})")
        else:
            parts.append(_operator(seg, last) if seg else "")
    pattern = "/" + "/".join(parts)
    if pattern.endswith("/" + REST):  # "/**" also matches the bare prefix without its slash
        pattern = pattern[: -len("/" + REST)] + f"(?:/{REST})?"
    return Template(text=text, regex=re.compile(pattern), names=tuple(names))


def template_text(policy: dict[str, object] | None, type_name: str, field_name: str) -> str | None:
    """The template string of a ``path_match_policy`` / ``path_rewrite_policy`` extension, if it is
    the URI-template one.
    """
    if not isinstance(policy, dict):
        return None
    typed = policy.get("typed_config")
    if not isinstance(typed, dict):
        return None
    if str(typed.get("@type", "")).rsplit("/", 1)[-1] != type_name:
        return None
    value = typed.get(field_name)
    return value if isinstance(value, str) else None


def match_template(policy: dict[str, object] | None) -> str | None:
    """The ``path_template`` of a route's ``path_match_policy`` (None: not a URI template)."""
    return template_text(policy, MATCH_TYPE, "path_template")


def rewrite_template(policy: dict[str, object] | None) -> str | None:
    """The ``path_template_rewrite`` of a route's ``path_rewrite_policy`` (None: none)."""
    return template_text(policy, REWRITE_TYPE, "path_template_rewrite")


def match_path(template: str, path: str) -> dict[str, str] | None:
    """The variables when ``path`` (without query) matches ``template``; None when it does not."""
    m = compile_template(template).regex.fullmatch(path)
    return None if m is None else {k: v or "" for k, v in m.groupdict().items()}


def rewrite_path(match: str, rewrite: str, path: str) -> str | None:
    """``path`` (with its query) rewritten by ``rewrite``; None when ``match`` does not match it."""
    cut = min((i for i in (path.find("?"), path.find("#")) if i >= 0), default=len(path))
    variables = match_path(match, path[:cut])
    if variables is None:
        return None

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in variables:
            raise TemplateError(f"the rewrite names {{{name}}}, which the match template does not capture")
        return variables[name]

    return re.sub(r"\{([a-zA-Z][a-zA-Z0-9_]*)\}", sub, rewrite) + path[cut:]
