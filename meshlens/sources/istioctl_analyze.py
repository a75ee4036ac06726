"""Parse ``istioctl analyze`` log-format output (``formatting.printLog``): ``Level [CODE] (Kind ns/name) text``.

Lines that are not messages (headers such as ``✔ No validation issues found``, continuation text)
are returned as unparsed line numbers, never dropped silently.
"""

from __future__ import annotations

import re

from meshlens.models.analyze import AnalyzeMessage

__all__ = ["parse_analyze"]

_LINE = re.compile(r"^(?P<level>Error|Warning|Info)\s+\[(?P<code>IST\d{4})\]\s+"
                   r"(?:\((?P<kind>[\w.]+) (?P<ref>[^)\s]+)\)\s+)?(?P<text>.*)$")


def parse_analyze(text: str) -> tuple[list[AnalyzeMessage], list[int]]:
    """The messages of an ``istioctl analyze`` output, and the numbers of the lines that are none."""
    messages: list[AnalyzeMessage] = []
    unparsed: list[int] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.match(line.strip())
        if m is None:
            unparsed.append(number)
            continue
        ref = m["ref"] or ""
        namespace, sep, name = ref.partition("/")
        messages.append(AnalyzeMessage(level=m["level"], code=m["code"], kind=m["kind"] or "",
                                       namespace=namespace if sep else None, name=name if sep else ref,
                                       text=m["text"].strip(), line=number))
    return messages, unparsed
