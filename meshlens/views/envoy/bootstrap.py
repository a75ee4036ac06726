"""``pc bootstrap`` (``-o short``: the version summary; default ``-o json``) and ``pc ecds``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from meshlens.encoding.gosort import go_sort_by_key
from meshlens.encoding.protojson import to_go
from meshlens.encoding.tabwriter import tabwriter
from meshlens.views.envoy._common import EnvoyTable, dump_section, require_section

if TYPE_CHECKING:
    from meshlens.models.snapshot import EnvoyProxy

_TYPE_URL_PREFIX = "type.googleapis.com/"


class VersionRow(BaseModel):
    """The ``pc bootstrap -o short`` summary as one record."""

    istio_version: str
    istio_proxy_version: str
    envoy_version: str


class EcdsRow(BaseModel):
    """One ``pc ecds`` row: an extension config and its ``typed_config`` type."""

    name: str
    type: str
    type_url: str
    version_info: str | None = None


def _bootstrap_raw(proxy: EnvoyProxy) -> dict[str, Any]:
    sections = dump_section(proxy, "bootstrap")
    return sections[0] if sections else {}


def _get(obj: Any, snake: str, camel: str) -> Any:
    if not isinstance(obj, dict):
        return None
    return obj.get(snake, obj.get(camel))


def _string(value: Any) -> str:
    """A ``google.protobuf.Value`` read with Go's ``GetStringValue()`` (non-strings read as "")."""
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def version_summary(proxy: EnvoyProxy) -> VersionRow:
    """Istio version (node metadata), proxy SHA (after ``:``) and Envoy's build version."""
    section = _bootstrap_raw(proxy)
    node = _get(_get(section, "bootstrap", "bootstrap"), "node", "node") or {}
    metadata = found if isinstance(found := node.get("metadata"), dict) else {}
    istio_version = _string(metadata.get("ISTIO_VERSION"))
    sha = _string(metadata.get("ISTIO_PROXY_SHA"))
    parts = sha.split(":")
    if len(parts) > 1:
        sha = parts[1]
    build = _get(node, "user_agent_build_version", "userAgentBuildVersion") or {}
    version = found if isinstance(found := build.get("version"), dict) else {}
    envoy = (f"{_int(_get(version, 'major_number', 'majorNumber'))}."
             f"{_int(_get(version, 'minor_number', 'minorNumber'))}.{_int(version.get('patch'))}")
    build_md = found if isinstance(found := build.get("metadata"), dict) else {}
    for key, sep in (("build.label", "-"), ("revision.status", "/"), ("build.type", "/"), ("ssl.version", "/")):
        if key in build_md:
            envoy += sep + _string(build_md[key])
    return VersionRow(istio_version=istio_version, istio_proxy_version=sha, envoy_version=envoy)


def version_text(summary: VersionRow) -> str:
    """The version block ``pc all`` and ``pc bootstrap`` print (Istio, Istio proxy, Envoy)."""
    lines = [[label, value] for label, value in (("Istio Version:", summary.istio_version),
                                                 ("Istio Proxy Version:", summary.istio_proxy_version),
                                                 ("Envoy Version:", summary.envoy_version)) if value]
    return tabwriter(lines, padding=1) + "\n" if lines else ""


def bootstrap_view(proxy: EnvoyProxy) -> EnvoyTable:
    """istioctl ``proxy-config bootstrap``: ``-o json`` (the default) prints the BootstrapConfigDump."""
    require_section(proxy, "bootstrap", "bootstrap")
    summary = version_summary(proxy)
    text = version_text(summary)
    cells = [[label, value] for label, value in (("Istio Version:", summary.istio_version),
                                                 ("Istio Proxy Version:", summary.istio_proxy_version),
                                                 ("Envoy Version:", summary.envoy_version)) if value]
    return EnvoyTable(view="bootstrap", headers=[], rows=[summary], cells=cells, padding=1, text_override=text,
                      json_style="jsonpb", json_indent=4,
                      raw_factory=lambda: to_go(_bootstrap_raw(proxy)))


def ecds_view(proxy: EnvoyProxy) -> EnvoyTable:
    """istioctl ``proxy-config ecds``: extension configs by type, then name."""
    require_section(proxy, "ecds", "ecds")
    entries = []
    for res in proxy.valid_ecds:
        type_url = res.type_url or ""
        entries.append(((type_url, res.name), EcdsRow(name=res.name, type=type_url.removeprefix(_TYPE_URL_PREFIX),
                                                      type_url=type_url, version_info=res.version_info)))
    go_sort_by_key(entries, lambda item: item[0])
    rows = [row for _, row in entries]
    return EnvoyTable(view="ecds", headers=["ECDS NAME", "TYPE"], rows=list(rows),
                      cells=[[r.name, r.type] for r in rows], padding=5, json_style="protojson", json_indent=4,
                      raw_factory=lambda: ecds_dump(proxy))


def ecds_dump(proxy: EnvoyProxy) -> dict[str, Any]:
    """Every EcdsConfigDump section merged into one, as ``pc ecds -o json`` prints it."""
    filters: list[Any] = []
    for section in dump_section(proxy, "ecds"):
        filters.extend(_get(section, "ecds_filters", "ecdsFilters") or [])
    return to_go({"ecds_filters": filters}) if filters else {}
