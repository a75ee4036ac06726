"""Archives and directories: an ``istioctl bug-report`` (tar or unpacked), or a folder of captures.

A bug-report is recognised by its layout, with or without the ``bug-report/`` prefix::

    versions                                    -> snapshot.extras["versions"] (text)
    analyze/allNamespaces                       -> snapshot.extras["analyze"] (text)
    proxies/<ns>/<pod>/config_dump?include_eds  \
    proxies/<ns>/<pod>/clusters, certs, ...      } one proxy per pod folder (nested
    proxies/<ns>/<pod>/stats/prometheus         /  stats/ included), ztunnel pods alike
    proxies/<ns>/<pod>/istio-proxy.log          -> an EnvoyLog of typed events (proxy.captures["log"], its lines
                                                   in proxy.logs) + snapshot.logs; a ztunnel pod's log, or
                                                   any log whose lines are ztunnel's: a ZtunnelLog
                                                   of typed events attributed to that pod)
    istio/<ns>/<istiod-pod>/debug/syncz         -> snapshot.istiod (ISTIOD = the pod)
    istio/<ns>/<istiod-pod>/discovery.log       -> snapshot.logs

Every member is still recognised by its content; the layout only decides which proxy a member
belongs to (its ``group``), and which text files are logs, ``versions`` or ``analyze`` output.
A plain folder of one proxy's files (``config_dump.json``, ``clusters.txt``, ``certs.json``, ...)
is one proxy; a nested ``stats/`` folder (the URL ``stats/prometheus``) belongs to its parent.
Members that are not captures become ML0008 findings. Archive member names are only read, never
used as paths to write to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from meshlens.models.admin import LogFile
from meshlens.sources.builder import SnapshotBuilder
from meshlens.sources.envoy_logs import KIND as ENVOY_LOG_KIND
from meshlens.sources.envoy_logs import attach as attach_envoy_log
from meshlens.sources.envoy_logs import looks_like_envoy_log
from meshlens.sources.read import Document
from meshlens.sources.ztunnel_log_grammar import looks_like_ztunnel_log

# Log files recognised by name (logs have no content signature), and what wrote them.
LOG_COMPONENTS = {"istio-proxy.log": "istio-proxy", "envoy.log": "istio-proxy", "discovery.log": "istiod",
                  "cni.log": "cni", "operator.log": "operator"}
# <section>/<ns>/<pod>/... folders of a bug-report.
_POD_SECTIONS = ("proxies", "istio", "operator")
# URL paths that bug-report stores as nested folders of a pod folder (``stats/prometheus``).
_NESTED_URL_DIRS = ("stats",)

Root = tuple[str, ...]


def _parts(doc: Document) -> list[str]:
    member = doc.location.member or ""
    return [p for p in member.replace("\\", "/").split("/") if p and p != "."]


def detect_layout(docs: list[Document]) -> Root | None:
    """The bug-report root (member path prefix before ``proxies/`` / ``istio/``), or None."""
    roots: Counter[Root] = Counter()
    for doc in docs:
        parts = _parts(doc)
        for i in range(len(parts) - 3):
            if parts[i] == "proxies" or (parts[i] == "istio" and "debug" in parts[i + 3:-1]):
                roots[tuple(parts[:i])] += 1
                break
    if not roots:
        return None
    return roots.most_common(1)[0][0]


def _role(doc: Document, root: Root | None) -> str | None:
    """Regroup ``doc`` by the layout and return its role: ``versions``, ``analyze`` or None."""
    parts = _parts(doc)
    if root is not None and tuple(parts[:len(root)]) == root:
        rel = parts[len(root):]
        if rel == ["versions"]:
            return "versions"
        if len(rel) == 2 and rel[0] == "analyze":
            return "analyze"
        if len(rel) >= 4 and rel[0] in _POD_SECTIONS:
            doc.group = "/".join(parts[:len(root) + 3])
            doc.extra.setdefault("namespace", rel[1])
            doc.extra.setdefault("pod", rel[2])
            return None
        if len(rel) >= 3 and rel[0] == "cni":
            doc.group = "/".join(parts[:len(root) + 2])
            return None
    # Outside a bug-report: a nested URL folder of a proxy's folder belongs to that proxy.
    head, sep, last = doc.group.rpartition("/")
    if last in _NESTED_URL_DIRS and len(parts) >= 2 and parts[-2] == last:
        doc.group = head if sep else ""
    return None


def assign_group(doc: Document, root: Root | None) -> None:
    """Set ``doc.group`` (the proxy folder it belongs to) from the layout, as loading it would."""
    _role(doc, root)


def is_log(doc: Document) -> bool:
    """A log file by its name (loaded after the captures, so that it knows whose it is)."""
    return _log_component(doc) is not None


def _log_component(doc: Document) -> str | None:
    return LOG_COMPONENTS.get(doc.basename)


def _group_kinds(builder: SnapshotBuilder, group: str) -> set[str]:
    return {s.kind for s in builder.snapshot.sources if s.group == group}


def _load_log(doc: Document, text: str, builder: SnapshotBuilder) -> None:
    component = _log_component(doc) or "log"
    lines = text.splitlines()
    if component == "istio-proxy":
        if builder.has_envoy(doc.group) or (not _group_kinds(builder, doc.group)
                                            and looks_like_envoy_log(text[:65536])):
            builder.snapshot.logs.append(attach_envoy_log(doc, lines, builder))  # typed events, on the proxy
            builder.record_source(doc, ENVOY_LOG_KIND)
            return
        if (any("ztunnel" in kind for kind in _group_kinds(builder, doc.group))
                or looks_like_ztunnel_log(text[:65536])):
            component = "ztunnel"
    if component == "ztunnel":
        from meshlens.sources.ztunnel_logs import parse_log  # its models only when a ztunnel log is there

        pod = str(doc.extra.get("pod") or doc.group.rstrip("/").rsplit("/", 1)[-1])
        builder.snapshot.logs.append(parse_log(lines, doc.location, name=pod, group=doc.group))
        builder.record_source(doc, "ztunnel-log")
        return
    builder.snapshot.logs.append(LogFile(location=doc.location, group=doc.group, component=component,
                                         lines=lines))
    builder.record_source(doc, f"{component}-log")


def _collection_kind(docs: list[Document], builder: SnapshotBuilder) -> str | None:
    kinds = {s.kind for s in builder.snapshot.sources if s.kind != "unrecognized"}
    if len(kinds) < 2 or not docs or not docs[0].location.file:
        return None
    return "directory" if Path(docs[0].location.file).is_dir() else "archive"


_DETECT = ("<detect>",)


def load_collection(docs: list[Document], builder: SnapshotBuilder,
                    load_document: Callable[..., str | None], *, root: Root | None = _DETECT,
                    collection_kind: bool = True) -> None:
    """Load every member of an archive or directory into ``builder`` (unknown members -> ML0008).

    ``root`` is the bug-report layout's root when the caller knows it (a worker loading one proxy's
    members of an archive: the layout is the whole archive's); ``collection_kind`` False leaves the
    ``collection`` extra to the caller (which sees every member).
    """
    if root == _DETECT:
        root = detect_layout(docs)
    logs: list[Document] = []
    for doc in docs:
        role = _role(doc, root)
        if _log_component(doc) is not None:
            logs.append(doc)  # after the captures, so the log knows whose it is
        elif role is not None and doc.syntax != "unreadable":
            builder.set_extra(role, doc.text if doc.text is not None else doc.data)
            builder.record_source(doc, "bug-report-versions" if role == "versions" else "istioctl-analyze")
        else:
            load_document(doc, builder, strict=False)
    for doc in logs:
        if doc.text is None:
            load_document(doc, builder, strict=False)  # unreadable: reported as ML0008
        else:
            _load_log(doc, doc.text, builder)
    if not collection_kind:
        return
    set_collection_kind(docs, builder, root)


def set_collection_kind(docs: list[Document], builder: SnapshotBuilder, root: Root | None) -> None:
    """Record what the collection was (``bug-report``, ``directory`` or ``archive``) once it is loaded."""
    if root is not None:
        builder.set_extra("collection", "bug-report")
    else:
        kind = _collection_kind(docs, builder)
        if kind is not None:
            builder.set_extra("collection", kind)
