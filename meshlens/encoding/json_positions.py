"""Where a JSON path points in a JSON text: line and column of the value, for SARIF regions.

One pass over the text's tokens (strings, punctuation, bare scalars) keeps the path of the value
being read and records the start of every value whose path is asked for. Keys are matched in either
spelling (the path may say ``dynamic_active_clusters`` where istiod wrote ``dynamicActiveClusters``).
A path that is not in the text is simply absent from the answer: callers say so, they never guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from meshlens.models.casing import camel_to_snake

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')
_STEP = re.compile(r"\.([A-Za-z_@$][\w@$-]*)|\[(\d+)\]|\[['\"](.*?)['\"]\]")

Step = str | int


def parse_path(path: str) -> tuple[Step, ...] | None:
    """``$.configs[1].cluster`` -> ``("configs", 1, "cluster")``; None when it is not such a path."""
    if not path.startswith("$"):
        return None
    steps: list[Step] = []
    pos = 1
    for m in _STEP.finditer(path, 1):
        if m.start() != pos:
            return None
        pos = m.end()
        if m.group(2) is not None:
            steps.append(int(m.group(2)))
        else:
            steps.append(camel_to_snake(m.group(1) if m.group(1) is not None else m.group(3)))
    return tuple(steps) if pos == len(path) else None


def _key(token: str) -> str:
    raw = token[1:-1]
    if "\\" in raw:
        import json

        raw = json.loads(token)
    return camel_to_snake(raw)


class _Scanner:
    """The path of the value being read, moved token by token."""

    def __init__(self, wanted: dict[tuple[Step, ...], list[str]]) -> None:
        self.wanted = wanted
        self.prefixes = {steps[:i] for steps in wanted for i in range(len(steps) + 1)}
        self.found: dict[str, int] = {}
        self.stack: list[str] = []  # "{" or "[" per open container
        self.path: list[Step] = []
        self.expect_key = False
        self.skip_depth = 0  # > 0 inside a container no wanted path goes through

    def feed(self, tok: str, start: int) -> None:
        if self.skip_depth:
            self.skip_depth += 1 if tok in ("{", "[") else -1 if tok in ("}", "]") else 0
        elif self.expect_key:
            self.expect_key = False
            if tok == "}":  # an empty object
                self.stack.pop()
            else:
                self.path.append(_key(tok))
        elif tok == ",":
            self._next()
        elif tok in ("}", "]"):
            if self.stack:
                self.path.pop()  # the last key or index of the container closing
                self.stack.pop()
        elif tok != ":":
            self._value(tok, start)

    def _next(self) -> None:
        if not self.stack:
            return
        last = self.path.pop()
        if self.stack[-1] == "{":
            self.expect_key = True
        else:
            assert isinstance(last, int)
            self.path.append(last + 1)

    def _value(self, tok: str, start: int) -> None:
        here = tuple(self.path)
        for p in self.wanted.get(here, ()):
            self.found.setdefault(p, start)
        if tok not in ("{", "["):
            return
        if here not in self.prefixes:
            self.skip_depth = 1
        elif tok == "{":
            self.stack.append("{")
            self.expect_key = True
        else:
            self.stack.append("[")
            self.path.append(0)


def positions(text: str, paths: Iterable[str]) -> dict[str, tuple[int, int]]:
    """``{path: (line, column)}`` (both 1-based) of each path's value in the JSON ``text``."""
    wanted: dict[tuple[Step, ...], list[str]] = {}
    for p in paths:
        steps = parse_path(p)
        if steps is not None:
            wanted.setdefault(steps, []).append(p)
    scanner = _Scanner(wanted)
    for m in _TOKEN.finditer(text):
        scanner.feed(m.group(0), m.start())
    return {p: _line_col(text, offset) for p, offset in scanner.found.items()}


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
