"""``meshlens ztunnel-config``: load a capture, pick the ztunnel, build a view, render it as istioctl does.

:func:`ztunnel_config` is the one library call behind the command; :func:`render` turns its
:class:`~meshlens.views.base.Table` into what ``istioctl ztunnel-config -o short|json|yaml`` prints.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from meshlens.errors import UnsupportedDumpError, UsageError
from meshlens.models.snapshot import Snapshot
from meshlens.models.ztunnel import Ztunnel
from meshlens.views.base import Table, call_view, resolve_view
from meshlens.views.registry import ZTUNNEL as VIEWS
from meshlens.views.ztunnel._common import PodRef, equal_fold
from meshlens.views.ztunnel._gofmt import go_json, go_yaml, serde_pretty

OUTPUTS = ("short", "json", "yaml")
# Views that need one specific ztunnel (istioctl: "ztunnel pod name or --node must be set").
SINGLE_ZTUNNEL_VIEWS = ("certificate", "connections")
# Views a workload pod argument filters (those declaring a "pod" filter); for the others it only picks
# the ztunnel on its node.
POD_FILTERED_VIEWS = tuple(spec.name for spec in VIEWS if "pod" in spec.filter_names)


def ztunnel_namespace(z: Ztunnel) -> str | None:
    """The namespace of a bug-report ``proxies/<ns>/<pod>/config_dump`` ztunnel."""
    parts = PurePosixPath(z.location.member or "").parts
    if "proxies" in parts:
        i = len(parts) - 1 - parts[::-1].index("proxies")
        if i + 2 < len(parts):
            return parts[i + 1]
    return None


def ztunnel_node(z: Ztunnel) -> str | None:
    """The node a ztunnel runs on: ``config.localNode``, else its own pod's entry in its workloads."""
    if z.local_node:
        return z.local_node
    namespace = ztunnel_namespace(z)
    for w in z.workloads:
        if w.name == z.name and (namespace is None or w.namespace == namespace) and w.node:
            return w.node
    return None


def _label(z: Ztunnel) -> str:
    namespace = ztunnel_namespace(z)
    return f"{z.name}.{namespace}" if namespace else z.name


def _names(zs: list[Ztunnel]) -> str:
    return ", ".join(sorted(_label(z) for z in zs))


def _is_named(z: Ztunnel, ref: PodRef) -> bool:
    return ref.matches(z.name, ztunnel_namespace(z) or ref.namespace or "")


def select_ztunnel(snap: Snapshot, view: str, *, ztunnel: str | None = None, node: str | None = None,
                   pod: PodRef | None = None) -> tuple[Ztunnel, PodRef | None, list[str]]:
    """The ztunnel to show, the workload pod to filter on (None when ``pod`` named the ztunnel
    itself), and notes for the user.

    With several ztunnels: ``ztunnel`` (``pod[.namespace]``) or ``node`` choose; else a pod
    argument that is a ztunnel chooses it, and a workload pod chooses the ztunnel on its node;
    else the certificate and connections views refuse (as istioctl does) and the others show
    the first ztunnel by name, saying so.

    Raises:
        UnsupportedDumpError: the capture holds no ztunnel.
        UsageError: no ztunnel matches, or the choice is ambiguous where one is needed.
    """
    every = list(snap.ztunnels)
    if not every:
        what = snap.kind if snap.kind not in ("empty", "mixed") else "no ztunnel state"
        origin = snap.origin or next((s.location.file for s in snap.sources if s.location.file), None)
        raise UnsupportedDumpError(
            f"holds {what}, not a ztunnel /config_dump: ztunnel-config {view} needs a ztunnel's "
            "/config_dump (or a bug-report archive with one)", file=origin)
    candidates = every
    if ztunnel:
        ref = PodRef.parse(ztunnel)
        candidates = [z for z in every if _is_named(z, ref) or ztunnel in (z.location.file, z.location.member)]
        if not candidates:
            raise UsageError(f"no ztunnel {ztunnel!r} in the capture (ztunnels: {_names(every)})")
    if node:
        candidates = [z for z in candidates if equal_fold(ztunnel_node(z) or "", node)]
        if not candidates:
            raise UsageError(f"no ztunnel on node {node!r} in the capture (ztunnels: {_names(every)})")
    workload_pod = pod
    if pod is not None:
        named = [z for z in candidates if _is_named(z, pod)]
        if named:
            candidates, workload_pod = named, None
        elif view not in POD_FILTERED_VIEWS and not any(pod.matches(w.name, w.namespace)
                                                        for z in candidates for w in z.workloads):
            # a positional name is never silently ignored (nor the only ztunnel shown in its place);
            # the workload and connections views filter by it, as istioctl does (no match: no rows)
            raise UsageError(f"no ztunnel or workload pod {str(pod)!r} in the capture (ztunnels: {_names(every)})")
        elif len(candidates) > 1:
            nodes = {w.node.casefold() for z in candidates for w in z.workloads
                     if w.node and pod.matches(w.name, w.namespace)}
            on_node = [z for z in candidates if (ztunnel_node(z) or "").casefold() in nodes]
            candidates = on_node or candidates
    notes: list[str] = []
    if len(candidates) > 1:
        if view in SINGLE_ZTUNNEL_VIEWS:
            raise UsageError(f"the capture holds {len(candidates)} ztunnels ({_names(candidates)}): "
                             "choose one with --ztunnel NAME or --node NODE")
        candidates = sorted(candidates, key=_label)
        notes.append(f"{len(candidates)} ztunnels in the capture; showing {_label(candidates[0])} "
                     f"(choose with --ztunnel NAME: {_names(candidates)})")
    return candidates[0], workload_pod, notes


def _snapshot(source: Any) -> Snapshot:
    from meshlens.sources.coerce import as_snapshot  # loaders sit below the views; imported on use

    return as_snapshot(source)


def ztunnel_config(source: Any, view: str, *, ztunnel: str | None = None, node: str | None = None,
                   pod: str | None = None, namespace: str | None = None, **filters: Any) -> Table:
    """What ``istioctl ztunnel-config VIEW [POD] --file SOURCE [flags]`` shows, as a Table.

    Args:
        source: a capture (path, bytes, dict, ``"-"``), a loaded Snapshot, or a Ztunnel.
        view: ``workload``, ``service``, ``policy``, ``certificate``, ``connections``, ``all``
            or one of istioctl's aliases (``w``, ``svc``, ``certs``, ``cons``...).
        ztunnel: which ztunnel of a multi-ztunnel capture (``pod[.namespace]``).
        node: the ztunnel on this Kubernetes node (istioctl's ``--node``).
        pod: istioctl's positional ``[pod/]<name>[.<namespace>]``: a ztunnel pod chooses that
            ztunnel; a workload pod chooses the ztunnel on its node and, for the workload and
            connections views, keeps only that pod.
        namespace: the namespace of a ``pod`` given without one (istioctl's ``-n``).
        filters: the view's filters (``address``, ``workload_namespace``, ``now``, ...).

    Raises:
        LoadError: the source cannot be read.
        UnsupportedDumpError: the source holds no ztunnel.
        UsageError: unknown view or filter, bad filter value, no such ztunnel.
    """
    spec = resolve_view({s.name: s for s in VIEWS}, view, "ztunnel-config")
    ref = PodRef.parse(pod, namespace) if pod else None
    snap = _snapshot(source)
    chosen, workload_pod, notes = select_ztunnel(snap, spec.name, ztunnel=ztunnel, node=node, pod=ref)
    if workload_pod is not None and spec.name in POD_FILTERED_VIEWS:
        filters = {**filters, "pod": workload_pod}
    table = call_view(spec, chosen, filters)
    table.notes[:0] = notes
    return table


def render(table: Table, output: str = "short", *, show_secrets: bool = False) -> str:
    """What istioctl prints for ``-o short|json|yaml`` (with its trailing newlines).

    ``-o json`` is Go's ``json.MarshalIndent`` of istioctl's structs (4-space indent) and a
    newline; for ``all`` it is the dump itself as ztunnel served it. ``-o yaml`` is
    ``yaml.JSONToYAML`` of that JSON, plus the newline ``fmt.Fprintln`` adds. Private key
    material is printed as ``[redacted]`` unless ``show_secrets``.
    """
    from meshlens.models.redaction import redact_output, redact_tree

    if output == "short":
        return redact_output(table.text(), show_secrets=show_secrets)
    raw = redact_tree(table.raw, show_secrets=show_secrets)
    if output == "json":
        if table.view == "all":
            return redact_output(serde_pretty(raw) + "\n", show_secrets=show_secrets)
        return redact_output(go_json(raw, table.json_indent) + "\n", show_secrets=show_secrets)
    if output == "yaml":
        return redact_output(go_yaml(raw) + "\n", show_secrets=show_secrets)
    raise UsageError(f"output format {output!r} not supported (choose from: {', '.join(OUTPUTS)})")


__all__ = ["OUTPUTS", "render", "select_ztunnel", "ztunnel_config", "ztunnel_namespace", "ztunnel_node"]
