"""ztunnel log loading: every documented line shape (ztunnel.md section 3), wrapping, garbage, archives."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

import meshlens as ml
from meshlens.models.logs import ERROR_CLASSES, ZtunnelLog, classify_error
from meshlens.sources.ztunnel_logs import parse_text
from tests.conftest import fixture_path

# ztunnel.md 3.1: the documented example line (1.23+ quoting, tab-separated).
DOC_LINE = (
    "2025-01-23T05:07:25.806642Z\tinfo\taccess\tconnection complete\tsrc.addr=10.129.0.48:40978 "
    'src.workload="productpage-v1-57ffb6658c-vmb6z" src.namespace="bookinfo" '
    'src.identity="spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage" dst.addr=10.129.0.43:15008 '
    'dst.hbone_addr=10.129.0.43:9080 dst.service="details.bookinfo.svc.cluster.local" '
    'dst.workload="details-v1-6cd6d9df6b-mddv2" dst.namespace="bookinfo" '
    'dst.identity="spiffe://cluster.local/ns/bookinfo/sa/bookinfo-details" direction="outbound" '
    'bytes_sent=283 bytes_recv=358 duration="2ms"'
)
# <= 1.22 quoting: workloads, namespaces, services bare; hbone_addr, identities, direction, duration quoted.
LEGACY_LINE = (
    "2024-03-01T10:00:00.000001Z\tinfo\taccess\tconnection complete\tsrc.addr=10.244.0.5:51234 "
    "src.workload=sleep-7656cf8794-abcde src.namespace=default "
    'src.identity="spiffe://cluster.local/ns/default/sa/sleep" dst.addr=10.244.0.9:15008 '
    'dst.hbone_addr="10.244.0.9:80" dst.service=httpbin.default.svc.cluster.local '
    "dst.workload=httpbin-86869bccff-xyz dst.namespace=default "
    'dst.identity="spiffe://cluster.local/ns/default/sa/httpbin" direction="outbound" '
    'bytes_sent=100 bytes_recv=200 duration="3ms"'
)


def one(text: str) -> ZtunnelLog:
    log = parse_text(text)
    assert log.unparsed == 0, log.unparsed_examples
    return log


def test_documented_example_line() -> None:
    log = one(DOC_LINE)
    (e,) = list(log.access)
    assert (e.time, e.level, e.message, e.direction) == ("2025-01-23T05:07:25.806642Z", "info",
                                                          "connection complete", "outbound")
    assert (e.src_addr, e.src_workload, e.src_namespace) == ("10.129.0.48:40978", "productpage-v1-57ffb6658c-vmb6z",
                                                             "bookinfo")
    assert e.src_identity == "spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage"
    assert (e.dst_addr, e.dst_hbone_addr, e.target_addr) == ("10.129.0.43:15008", "10.129.0.43:9080",
                                                              "10.129.0.43:9080")
    assert (e.dst_service, e.dst_workload, e.dst_namespace) == ("details.bookinfo.svc.cluster.local",
                                                                "details-v1-6cd6d9df6b-mddv2", "bookinfo")
    assert e.dst_identity == "spiffe://cluster.local/ns/bookinfo/sa/bookinfo-details"
    assert (e.bytes_sent, e.bytes_recv, e.duration_ms, e.error, e.protocol) == (283, 358, 2, None, "HBONE")
    assert e.to_dict()["dst.hbone_addr"] == "10.129.0.43:9080" and e.to_dict()["duration"] == "2ms"


def test_pre_1_23_quoting_reads_the_same_fields() -> None:
    (e,) = list(one(LEGACY_LINE).access)
    assert (e.src_workload, e.dst_service, e.dst_hbone_addr, e.direction, e.duration_ms) == (
        "sleep-7656cf8794-abcde", "httpbin.default.svc.cluster.local", "10.244.0.9:80", "outbound", 3)


def test_spaces_instead_of_tabs_as_in_copied_docs() -> None:
    spaced = DOC_LINE.replace("\t", "    ", 3).replace("\t", "  ")
    assert "\t" not in spaced
    assert list(one(spaced).access) == list(one(DOC_LINE).access)


def test_fields_out_of_order_unknown_fields_and_escapes() -> None:
    line = ('2025-01-23T05:07:25.806642Z\terror\taccess\tconnection complete\tdirection="inbound" '
            'src.addr=10.0.0.1:5 dst.addr=10.0.0.2:15008 dst.hbone_addr=10.0.0.2:80 src.cluster="c1" '
            'new.field=42 bytes_sent=0 bytes_recv=0 duration="1ms" '
            'error="http status: 503 \\"Service Unavailable\\" \\\\ done\\n"')
    (e,) = list(one(line).access)
    assert e.direction == "inbound" and e.dst_hbone_addr == "10.0.0.2:80"
    assert e.error == 'http status: 503 "Service Unavailable" \\ done\n'
    assert e.extra == {"src.cluster": "c1", "new.field": "42"}


def test_connection_failed_and_opened() -> None:
    log = one(
        "2025-01-23T05:07:25.000001Z\twarn\taccess\tconnection failed\tsrc.addr=10.0.0.1:5 dst.addr=10.0.0.2:80 "
        'direction="inbound" '
        'error="connection closed due to policy rejection: allow policies exist, but none allowed"\n'
        '2025-01-23T05:07:25.000002Z\tdebug\taccess\tconnection opened\tsrc.addr=10.0.0.1:6 src.workload="a" '
        'src.namespace="ns" dst.addr=10.0.0.2:15008 dst.hbone_addr=10.0.0.2:80 direction="outbound"')
    failed, opened = list(log.access)
    assert (failed.message, failed.error_class, failed.src_workload) == ("connection failed", "DENY", None)
    assert (opened.message, opened.duration_ms, opened.bytes_sent) == ("connection opened", None, None)


def test_json_lines() -> None:
    obj = {"level": "info", "time": "2025-01-23T05:07:25.806642Z", "scope": "access",
           "message": "connection complete", "src.addr": "10.129.0.48:40978", "src.workload": "pp",
           "src.namespace": "bookinfo", "dst.addr": "10.129.0.43:15008", "dst.hbone_addr": "10.129.0.43:9080",
           "dst.service": "details.bookinfo.svc.cluster.local", "dst.workload": "details-v1",
           "direction": "outbound", "bytes_sent": 283, "bytes_recv": 358, "duration": "2ms",
           "inbound": "span-field"}
    other = {"level": "warn", "time": "2025-01-23T05:07:26.000000Z", "scope": "ztunnel::identity::manager",
             "message": "certificate fetch failed", "id": "spiffe://cluster.local/ns/a/sa/b"}
    log = one(json.dumps(obj) + "\n" + json.dumps(other))
    (e,) = list(log.access)
    assert (e.src_workload, e.dst_workload, e.bytes_sent, e.duration_ms) == ("pp", "details-v1", 283, 2)
    assert e.extra == {"inbound": "span-field"}
    (cert,) = log.events
    assert (cert.kind, cert.fields["id"]) == ("identity", "spiffe://cluster.local/ns/a/sa/b")


def test_kubectl_prefix_names_the_ztunnel() -> None:
    log = one(f"[pod/ztunnel-4xk2p/istio-proxy] {DOC_LINE}\n[pod/ztunnel-9zz7q/istio-proxy] {LEGACY_LINE}")
    assert [e.ztunnel for e in log.access] == ["ztunnel-4xk2p", "ztunnel-9zz7q"]
    assert log.ztunnels == ["ztunnel-4xk2p", "ztunnel-9zz7q"]


def test_kubectl_timestamps_prefix() -> None:
    (e,) = list(one("2025-01-23T05:07:25.806642123Z " + DOC_LINE).access)
    assert e.time == "2025-01-23T05:07:25.806642Z"


@pytest.mark.parametrize("cut", [60, 150, 151, 200, 333, 420, 500, len(DOC_LINE) - 3])
def test_wrapped_line_is_joined(cut: int) -> None:
    """Terminal copy-paste wraps at a column: inside a key, a value or between fields."""
    log = one(DOC_LINE[:cut] + "\n" + DOC_LINE[cut:] + "\n" + LEGACY_LINE)
    assert log.lines == 3 and log.joined == 1
    assert list(log.access)[0] == list(one(DOC_LINE).access)[0].__class__(**{
        **{f: getattr(list(one(DOC_LINE).access)[0], f) for f in list(one(DOC_LINE).access)[0].__slots__},
        "line": 1})


def test_wrapped_at_whitespace_and_over_three_lines() -> None:
    parts = DOC_LINE.split(" dst.addr=")
    text = parts[0] + "\n  dst.addr=" + parts[1][:40] + "\n" + parts[1][40:]
    log = one(text)
    assert log.joined == 2 and len(log.access) == 1
    assert list(log.access)[0].dst_service == "details.bookinfo.svc.cluster.local"


def test_mixed_garbage_reports_the_exact_unparsed_count() -> None:
    garbage = ["hello world", "Traceback (most recent call last):", "   File \"x.py\", line 1",
               "{\"not\": \"a log\"}", "2025-13-99 nonsense", "[pod/ztunnel-x/istio-proxy]",
               "key=value other=thing", "INFO something happened", "\x1b[31mred\x1b[0m"]
    lines: list[str] = []
    for i, g in enumerate(garbage):
        lines.append(DOC_LINE.replace("40978", str(40000 + i)))
        lines.append(g)
    lines.append("")  # blank lines are not counted
    log = parse_text("\n".join(lines))
    assert len(log.access) == len(garbage)
    assert log.unparsed == len(garbage), log.unparsed_examples
    assert log.lines == 2 * len(garbage)
    assert [(u.line, u.text) for u in log.unparsed_examples] == [(2 * i + 2, g) for i, g in enumerate(garbage[:5])]


def test_non_access_lines_become_typed_events() -> None:
    text = "\n".join([
        "2025-01-23T05:07:25.000001Z\twarn\tidentity::manager\tcertificate fetch failed (signing gRPC error) and "
        "no valid existing certificate; will retry in 10ms\tid=spiffe://cluster.local/ns/a/sa/b",
        "2025-01-23T05:07:25.000002Z\tinfo\tproxy::inbound\tconnection 10.0.0.1:5->10.0.0.2:80 closed because "
        "it's no longer allowed after a policy update",
        "2025-01-23T05:07:25.000003Z\tinfo\trbac\tdeny policy match\tpolicy=\"ns/deny-all\"",
        '2025-01-23T05:07:25.000004Z\twarn\tproxy::outbound::health_check\tendpoint unhealthy\t'
        'endpoint=10.0.0.7:80 consecutive_failures=3',
        "2025-01-23T05:07:25.000005Z\tinfo\tproxy::ewma\tlatency updated\tdst.workload=\"reviews-v2\" ewma=0.5",
        "2025-01-23T05:07:25.000006Z\tinfo\tproxy::circuit_breaker\tejected\taddress=10.0.0.7:80 backoff=\"30s\"",
        "2025-01-23T05:07:25.000007Z\tinfo\tproxy\toutlier detection: every endpoint ejected, dazed",
        "2025-01-23T05:07:25.000008Z\tinfo\txds::client:xds{id=1}\treceived response\t"
        'type_url="type.googleapis.com/istio.workload.Address" size=3',
    ])
    log = one(text)
    kinds = [(e.kind, e.outlier_kind, e.backend) for e in log.events]
    assert kinds == [("identity", None, None), ("policy", None, None), ("policy", None, None),
                     ("outlier", "health_check", "10.0.0.7:80"), ("outlier", "ewma", "reviews-v2"),
                     ("outlier", "circuit_breaker", "10.0.0.7:80"), ("outlier", "other", None),
                     ("other", None, None)]
    assert log.events[-1].target == "xds::client:xds{id=1}" and log.events[-1].fields["size"] == "3"


@pytest.mark.parametrize(("text", "cls"), [
    ("connection closed due to policy rejection: explicitly denied by: istio-system/deny", "DENY"),
    ("connection closed due to policy change", "DENY"),
    ("connection timed out, maybe a NetworkPolicy is blocking HBONE port 15008: deadline has elapsed",
     "NETWORK_POLICY"),
    ("connection closed due to connection drain", "DRAIN"),
    ("connection failed to drain within the timeout", "DRAIN"),
    ("no healthy upstream: 10.96.0.1:80", "NO_HEALTHY_UPSTREAM"),
    ("tls error: invalid peer certificate", "TLS_FAILURE"),
    ("http2 handshake failed: connection reset", "H2_HANDSHAKE_FAILURE"),
    ("h2 failed: stream error", "H2_HANDSHAKE_FAILURE"),
    ("identity error: no cert", "IDENTITY_ERROR"),
    ("io error: deadline has elapsed", "TIMEOUT"),
    ("io error: Connection refused (os error 111)", "CONNECT"),
    ("io error: Connection reset by peer (os error 104)", "CONNECT"),
    ("connection failed: bad", "CONNECT"),
    ("http status: 503 Service Unavailable", "OTHER"),
])
def test_error_classes_in_contract_order(text: str, cls: str) -> None:
    assert classify_error(text) == cls and cls in ERROR_CLASSES


def test_load_detects_and_streams_a_log_file(tmp_path: Path) -> None:
    path = tmp_path / "ztunnel.log"
    path.write_text(DOC_LINE + "\n" + LEGACY_LINE + "\n")
    snap = ml.load(path)
    assert snap.kind == "ztunnel-log"
    (log,) = snap.logs
    assert isinstance(log, ZtunnelLog) and len(log.access) == 2
    gz = tmp_path / "ztunnel.log.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert len(ml.load(gz).logs[0].access) == 2
    assert len(ml.load(path.read_bytes()).logs[0].access) == 2
    jsonl = tmp_path / "json.log"
    jsonl.write_text('{"level":"info","time":"2025-01-23T05:07:25.806642Z","scope":"access",'
                     '"message":"connection complete","src.addr":"10.0.0.1:1","direction":"inbound"}\n' * 2)
    assert len(ml.load(jsonl).logs[0].access) == 2
    prefixed = tmp_path / "prefixed.log"
    prefixed.write_text(f"[pod/ztunnel-a/istio-proxy] {DOC_LINE}\n")
    assert ml.load(prefixed).logs[0].access[0].ztunnel == "ztunnel-a"


def test_text_that_is_no_ztunnel_log_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\nnothing else\n")
    with pytest.raises(ml.LoadError, match="a ztunnel log"):
        ml.load(path)


def test_bug_report_ztunnel_log_is_typed_and_attributed(tmp_path: Path) -> None:
    """The real bookinfo archive has no ztunnel log: add one to its ztunnel pod folder."""
    src = fixture_path("bugreport", "bookinfo-mesh.tar.gz")
    out = io.BytesIO()
    wrapped = DOC_LINE[:200] + "\n" + DOC_LINE[200:]
    body = (wrapped + "\nnot a log line\n" + LEGACY_LINE + "\n").encode()
    with tarfile.open(src) as tin, tarfile.open(fileobj=out, mode="w:gz") as tout:
        for member in tin:
            tout.addfile(member, tin.extractfile(member) if member.isfile() else None)
        info = tarfile.TarInfo("bug-report/proxies/istio-system/ztunnel-qk2pp/istio-proxy.log")
        info.size = len(body)
        tout.addfile(info, io.BytesIO(body))
    path = tmp_path / "br.tar.gz"
    path.write_bytes(out.getvalue())
    snap = ml.load(path)
    (log,) = [x for x in snap.logs if isinstance(x, ZtunnelLog)]
    assert log.name == "ztunnel-qk2pp" and log.joined == 1 and log.unparsed == 1
    assert [e.ztunnel for e in log.access] == ["ztunnel-qk2pp", "ztunnel-qk2pp"]
    assert log.unparsed_examples[0].line == 3
    assert len(snap.ztunnels) == 1 and len(snap.proxies) == 4  # the rest of the archive still loads


def test_inspect_counts_the_log(tmp_path: Path) -> None:
    path = tmp_path / "z.log"
    path.write_text(DOC_LINE + "\nnot a log line\n")
    summary = ml.inspect(str(path))
    assert summary.kind == "ztunnel-log"
    assert (summary.counts["ztunnel_log_lines"], summary.counts["ztunnel_log_events"],
            summary.counts["ztunnel_log_unparsed"]) == (2, 1, 1)
    assert "2 ztunnel log lines, 1 events, 1 unparsed" in str(summary)
