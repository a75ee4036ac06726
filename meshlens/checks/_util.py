"""Small helpers shared by the check modules: subjects, time text, the sources a proxy was read from."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from meshlens.models.base import Location
from meshlens.models.derived import Fact
from meshlens.models.snapshot import EnvoyProxy
from meshlens.results import Subject, iso

PROXY_NAME: Fact[EnvoyProxy, str] = Fact("checks.proxy_name", lambda proxy: proxy.name)

def proxy_name(proxy: EnvoyProxy) -> str:
    """``proxy.name`` (parsed from the node id), computed once per proxy: checks ask for it per subject."""
    return PROXY_NAME.of(proxy)


def subject(proxy: EnvoyProxy, kind: str, name: str) -> Subject:
    return Subject(proxy_name(proxy), kind, name)


def when(value: datetime) -> str:
    return iso(value)


def span(delta: timedelta) -> str:
    """A duration for people: ``2d 3h``, ``5h 12m``, ``42m``, ``30s``."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def source_location(proxy: EnvoyProxy, kinds: tuple[str, ...], json_path: str = "$") -> Location:
    """Where the proxy's capture of one of ``kinds`` (``envoy-clusters``, ...) came from."""
    for info in proxy.sources:
        if info.kind in kinds:
            return Location(file=info.location.file, member=info.location.member, json_path=json_path)
    if proxy.config_dump_location is not None:
        loc = proxy.config_dump_location
        return Location(file=loc.file, member=loc.member, json_path="$")
    return Location(json_path=json_path)


def dig(raw: Any, *keys: str) -> Any:
    """``raw[k1][k2]...`` through dicts, None as soon as a step is missing or not a dict."""
    for key in keys:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


def type_suffix(typed_config: Any) -> str:
    """``HttpConnectionManager`` for ``type.googleapis.com/envoy...v3.HttpConnectionManager``."""
    url = typed_config.get("@type") if isinstance(typed_config, dict) else None
    return url.rsplit(".", 1)[-1] if isinstance(url, str) else ""
