"""Write meshlens/models/envoy/proto_fields.json from the Envoy API descriptors in PyPI ``xds-protos``.

istioctl re-marshals both sides of ``proxy-status <pod>`` through Go's legacy jsonpb, which writes a
message's fields in their *declaration* order in the .proto file (a oneof at its first member's place),
sorts map keys and ``google.protobuf.Struct`` keys, and leaves default-valued fields out. Reproducing
that needs each message's field list, which only Envoy's protos know. The table is generated once and
committed (a few hundred KB of JSON) so that meshlens does not depend at run time on ``xds-protos``
(20 MB, grpcio, protobuf) for one command. Regenerate when Envoy's API moves:

    python3 -m venv .xds-venv && .xds-venv/bin/pip install xds-protos   # a throwaway venv, anywhere
    .xds-venv/bin/python scripts/gen_proto_fields.py

Table shape: ``{"version": ..., "messages": {full_name: [[name, json_name, kind, value], ...]}}`` with
fields in declaration order; ``kind`` is ``"m"`` (a message field, ``value`` its type), ``"map"`` (a
map; ``value`` the value message type or ``""`` for scalar values), ``"e"`` (an enum; ``value`` the name
of its zero value, which proto3 leaves out), ``"s"`` (a scalar without presence: its default is left
out), ``"o"`` (a scalar with presence, written even when zero). Repeated fields are marked by a
trailing ``"*"`` on the kind. ``"sensitive"`` lists, per message, the fields Envoy's API marks
``[(udpa.annotations.sensitive) = true]``: what Envoy itself prints as ``[redacted]`` in its admin
output, and what meshlens redacts (:mod:`meshlens.models.redaction`).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "meshlens" / "models" / "envoy" / "proto_fields.json"
PACKAGES = ("envoy", "xds", "udpa", "contrib")


def _import_all() -> None:
    for root in PACKAGES:
        try:
            pkg = importlib.import_module(root)
        except ImportError:
            continue
        for info in pkgutil.walk_packages(pkg.__path__, f"{root}."):
            if info.name.endswith("_pb2"):
                try:
                    importlib.import_module(info.name)
                except Exception as exc:  # a module that needs something absent: reported, not hidden
                    print(f"skipped {info.name}: {exc}", file=sys.stderr)


def _field(f: Any) -> list[str]:
    repeated = bool(f.is_repeated)
    if f.message_type is not None and f.message_type.GetOptions().map_entry:
        value = f.message_type.fields_by_name["value"]
        return [f.name, f.json_name, "map", value.message_type.full_name if value.message_type else ""]
    star = "*" if repeated else ""
    if f.message_type is not None:
        return [f.name, f.json_name, "m" + star, f.message_type.full_name]
    if f.enum_type is not None:
        return [f.name, f.json_name, "e" + star, f.enum_type.values[0].name]
    presence = getattr(f, "has_presence", False) and not repeated
    return [f.name, f.json_name, ("o" if presence else "s") + star, ""]


def main() -> None:
    """Import every Envoy API module and write the field table of every message they define."""
    _import_all()
    from google.protobuf import descriptor_pool

    pool = descriptor_pool.Default()
    messages: dict[str, list[list[str]]] = {}
    sensitive: dict[str, list[str]] = {}
    seen_files: set[str] = set()
    from udpa.annotations import sensitive_pb2

    def visit(desc: Any) -> None:
        if desc.GetOptions().map_entry or desc.full_name in messages:
            return
        messages[desc.full_name] = [_field(f) for f in desc.fields]
        marked = [f.name for f in desc.fields
                  if f.GetOptions().HasExtension(sensitive_pb2.sensitive)
                  and f.GetOptions().Extensions[sensitive_pb2.sensitive]]
        if marked:
            sensitive[desc.full_name] = marked
        for nested in desc.nested_types:
            visit(nested)

    for mod in list(sys.modules.values()):
        fd = getattr(mod, "DESCRIPTOR", None)
        if fd is None or not hasattr(fd, "message_types_by_name") or fd.name in seen_files:
            continue
        seen_files.add(fd.name)
        for desc in fd.message_types_by_name.values():
            visit(desc)
    # every message type referenced by a field, well-known types included
    pending = [v[3] for fields in messages.values() for v in fields if v[3] and v[2].rstrip("*") in ("m", "map")]
    while pending:
        name = pending.pop()
        if name in messages:
            continue
        desc = pool.FindMessageTypeByName(name)
        visit(desc)
        pending.extend(v[3] for v in messages[name] if v[3] and v[2].rstrip("*") in ("m", "map"))
    from importlib.metadata import version

    # one message a line, so that a regeneration reads as a reviewable diff
    lines = [f"{json.dumps(name)}:{json.dumps(fields, separators=(',', ':'))}"
             for name, fields in sorted(messages.items())]
    OUT.write_text('{"source":' + json.dumps(f"xds-protos {version('xds-protos')}") + ',\n"sensitive":'
                   + json.dumps(dict(sorted(sensitive.items())), separators=(",", ":")) + ',\n"messages":{\n'
                   + ",\n".join(lines) + "\n}}\n")
    print(f"{OUT}: {len(messages)} messages, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
