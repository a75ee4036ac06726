"""THE duration type of the models: protobuf's ``google.protobuf.Duration`` in every spelling captures use.

Envoy's ``/config_dump`` and istiod write protojson (``"5s"``, ``"0.250s"``, ``"-1.5s"``); YAML and
hand-written configs use the message form (``{seconds: 30}``, ``{seconds: "30", nanos: 5e8}``:
protojson writes int64 as strings); ztunnel's dump writes Rust serde's ``{"secs": 30, "nanos": 0}``.
:meth:`Duration.parse` reads them all; a model field typed ``Duration`` validates any of them and
serializes back to protojson text. Checks and views compare ``Duration`` values (or their
``timedelta``), never strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

_NANOS = 1_000_000_000
# protojson: optional sign, integer seconds, up to 9 fractional digits, a final "s".
_TEXT = re.compile(r"^(-)?(\d+)(?:\.(\d{1,9}))?s$")
# protobuf's range: +-10,000 years.
MAX_SECONDS = 315_576_000_000


@dataclass(frozen=True, order=True)
class Duration:
    """A signed span of time in whole seconds and nanoseconds (protobuf's ``Duration``).

    ``seconds`` and ``nanos`` have the same sign (or one is 0), ``|nanos| < 1e9``, as protobuf requires.
    """

    seconds: int = 0
    nanos: int = 0

    @classmethod
    def parse(cls, value: Any) -> Duration:
        """A Duration from ``"5s"``, ``"0.250s"``, ``{seconds, nanos}``, ``{secs, nanos}``, a number of
        seconds, a ``timedelta`` or a Duration.

        Raises:
            ValueError: any other value (the message says which spellings are accepted).
        """
        if isinstance(value, Duration):
            return value
        if isinstance(value, timedelta):
            micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
            return cls._from_nanos(micros * 1000)
        if isinstance(value, str):
            return _text_duration(value) if cls is Duration else cls._from_text(value)
        if isinstance(value, dict):
            return cls._from_message(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls._from_nanos(int(Decimal(str(value)) * _NANOS))
        raise ValueError(f"not a duration: {value!r} (expected protojson text like \"5s\" or \"0.250s\", "
                         "or {seconds, nanos})")

    @classmethod
    def _from_text(cls, text: str) -> Duration:
        match = _TEXT.match(text.strip())
        if match is None:
            raise ValueError(f"not a protobuf duration: {text!r} (expected seconds with an 's', like \"5s\" "
                             "or \"0.250s\")")
        sign, whole, fraction = match.groups()
        nanos = int(whole) * _NANOS + int((fraction or "").ljust(9, "0") or 0)
        return cls._from_nanos(-nanos if sign else nanos)

    @classmethod
    def _from_message(cls, message: dict[str, Any]) -> Duration:
        keys = set(message)
        if not keys <= {"seconds", "nanos", "secs"} or ("seconds" in keys and "secs" in keys):
            raise ValueError(f"not a duration message: {message!r} (expected {{seconds, nanos}})")
        try:
            seconds = Decimal(str(message.get("seconds", message.get("secs", 0))))
            nanos = Decimal(str(message.get("nanos", 0)))
        except InvalidOperation:
            raise ValueError(f"not a duration message: {message!r} (seconds and nanos must be numbers)") from None
        if seconds != seconds.to_integral_value() or nanos != nanos.to_integral_value() or abs(nanos) >= _NANOS:
            raise ValueError(f"not a duration message: {message!r} (whole seconds, |nanos| < 1e9)")
        if seconds and nanos and (seconds < 0) != (nanos < 0):
            raise ValueError(f"not a duration message: {message!r} (seconds and nanos of opposite signs)")
        return cls._from_nanos(int(seconds) * _NANOS + int(nanos))

    @classmethod
    def _from_nanos(cls, total: int) -> Duration:
        negative = total < 0
        seconds, nanos = divmod(abs(total), _NANOS)
        if seconds > MAX_SECONDS:
            raise ValueError(f"duration out of protobuf's range (±{MAX_SECONDS} s): {total / _NANOS} s")
        return cls(-seconds, -nanos) if negative else cls(seconds, nanos)

    # --- reading ------------------------------------------------------------------------------------
    @property
    def total_nanos(self) -> int:
        """The whole span in nanoseconds."""
        return self.seconds * _NANOS + self.nanos

    def total_seconds(self) -> float:
        """The span in seconds (a float, as ``timedelta.total_seconds()``)."""
        return self.total_nanos / _NANOS

    def to_timedelta(self) -> timedelta:
        """The span as a ``timedelta`` (microsecond precision: nanoseconds below it are dropped)."""
        return timedelta(seconds=self.seconds, microseconds=int(self.nanos / 1000))

    def __bool__(self) -> bool:
        return self.total_nanos != 0

    def __str__(self) -> str:
        """protojson's text: ``"5s"``, ``"0.250s"``, ``"1.000000001s"`` (0, 3, 6 or 9 fraction digits)."""
        sign = "-" if self.total_nanos < 0 else ""
        seconds, nanos = abs(self.seconds), abs(self.nanos)
        if not nanos:
            return f"{sign}{seconds}s"
        digits = f"{nanos:09d}"
        for width in (3, 6):
            if digits[width:] == "0" * (9 - width):
                digits = digits[:width]
                break
        return f"{sign}{seconds}.{digits}s"

    def __repr__(self) -> str:
        return f"Duration({str(self)!r})"

    # --- pydantic -----------------------------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        """Validate any accepted spelling; serialize to protojson text."""
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.to_string_ser_schema())


@lru_cache(maxsize=1024)
def _text_duration(text: str) -> Duration:
    """Parsed once per distinct text: a dump repeats a handful of timeouts thousands of times."""
    return Duration._from_text(text)


__all__ = ["MAX_SECONDS", "Duration"]
