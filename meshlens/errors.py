"""Errors raised by meshlens.

Every message names where the problem is (file, archive member, JSON path) and what was expected,
so the CLI can print it as one line::

    MeshlensError
    ├── LoadError              input could not be read or is not a capture meshlens understands
    │   └── UnsupportedDumpError  readable, but of a kind this command cannot use
    ├── UsageError             a call's arguments are wrong (unknown view, proxy not found, ...)
    └── MissingExtraError      an optional extra is not installed (``pip install 'meshlens[pandas]'``)
"""

from __future__ import annotations


class MeshlensError(Exception):
    """Base class of all meshlens errors.

    Attributes:
        message: what went wrong and what was expected.
        file: the file (or ``-`` for stdin, ``<bytes>``/``<dict>`` for in-memory input).
        member: the archive member, when the input is an archive or directory.
        json_path: where in the document the problem is (``$.configs[2].dynamic_listeners[0]``).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        member: str | None = None,
        json_path: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.member = member
        self.json_path = json_path
        super().__init__(str(self))

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.member:
            parts.append(f"[{self.member}]")
        where = "".join(parts)
        if self.json_path:
            where = f"{where} at {self.json_path}" if where else f"at {self.json_path}"
        return where

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class LoadError(MeshlensError):
    """The input could not be read, or is not a capture meshlens understands."""


class UnsupportedDumpError(LoadError):
    """The input was read, but it is not of a kind the requested operation can use."""


class UsageError(MeshlensError):
    """The arguments of a call are wrong (unknown view or flag value, proxy not found, ...)."""


class MissingExtraError(MeshlensError, ImportError):
    """An optional feature needs a package that is not installed; the message names the extra to install.

    Also an ``ImportError``, so code that guarded the optional import keeps working.
    """
