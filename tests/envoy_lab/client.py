"""Send one probe: a fresh TCP connection from a chosen source, an optional PROXY v1 header, then one
HTTP/1.0, HTTP/1.1 or h2c (prior knowledge) request; report what came back. Bounded in time."""

from __future__ import annotations

import socket
import ssl
import time
from typing import Any

from envoy_lab.envoy_json import LAB_ID_HEADER
from envoy_lab.model import Probe

TIMEOUT_S = 4.0
BODY_LIMIT = 8000


def _split(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host, int(port)


def _request_headers(probe: Probe) -> list[tuple[str, str]]:
    """The request's headers besides the pseudo-headers / request line, in sending order."""
    return [*probe.headers.items(), *((k, v) for k, v in probe.extra_headers), (LAB_ID_HEADER, probe.id)]


def _http1_bytes(probe: Probe) -> bytes:
    lines = [f"{probe.method} {probe.path} HTTP/{probe.http_version}"]
    if probe.authority is not None:
        lines.append(f"Host: {probe.authority}")
    lines += [f"{k}:{v}" if v[:1] in (" ", "\t") else f"{k}: {v}" for k, v in _request_headers(probe)]
    if probe.http_version == "1.1":
        lines.append("Connection: close")
    if probe.method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _parse_http1(raw: bytes) -> dict[str, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return {"error": f"not an HTTP response: {raw[:80]!r}"}
    headers: dict[str, str] = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        key = k.strip().lower()
        headers[key] = f"{headers[key]},{v.strip()}" if key in headers else v.strip()
    return {"status": int(parts[1]), "headers": headers, "body": body.decode("latin-1", "replace")[:BODY_LIMIT]}


def _complete(raw: bytes, method: str) -> bool:
    """Whether ``raw`` holds a whole HTTP/1 response (Envoy delays closing after local replies by 1 s)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return False
    parsed = _parse_http1(head + sep)
    status, headers = parsed.get("status"), parsed.get("headers", {})
    if status is None:
        return False
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return True
    if "content-length" in headers:
        return len(body) >= int(headers["content-length"])
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return body.endswith(b"0\r\n\r\n")
    return False


def _recv_all(sock: socket.socket, deadline: float, method: str = "GET") -> bytes:
    chunks: list[bytes] = []
    while time.monotonic() < deadline and not _complete(b"".join(chunks), method):
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except TimeoutError:
            break
        except (ConnectionResetError, BrokenPipeError):
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def _h2c(sock: socket.socket, probe: Probe, deadline: float) -> dict[str, Any]:
    import h2.config
    import h2.connection
    import h2.events

    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    headers = [(":method", probe.method), (":scheme", "https" if probe.tls else "http"), (":path", probe.path)]
    if probe.authority is not None:
        headers.insert(1, (":authority", probe.authority))
    headers += [(k.lower(), v.strip()) for k, v in _request_headers(probe)]
    conn.send_headers(1, headers, end_stream=True)
    sock.sendall(conn.data_to_send())
    out: dict[str, Any] = {"headers": {}, "body": ""}
    body = b""
    done = False
    while not done and time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not data:
            break
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                hd: dict[str, str] = {}
                for k, v in ev.headers:
                    hd[k] = f"{hd[k]},{v}" if k in hd else v
                out["status"] = int(hd.pop(":status"))
                out["headers"] = hd
            elif isinstance(ev, h2.events.DataReceived):
                body += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset, h2.events.ConnectionTerminated)):
                done = True
        pending = conn.data_to_send()
        if pending:
            sock.sendall(pending)
    out["body"] = body.decode("latin-1", "replace")[:BODY_LIMIT]
    if "status" not in out and not body:
        out["closed_without_response"] = True
    return out


def send_probe(probe: Probe, src_port: int) -> dict[str, Any]:
    """Run ``probe`` from source port ``src_port`` (unless the probe names one); never raises."""
    result: dict[str, Any] = {"refused": False, "status": None, "headers": {}, "body": "", "error": None,
                              "closed_without_response": False, "src": None}
    t0 = time.monotonic()
    deadline = t0 + TIMEOUT_S
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((probe.src_ip or "0.0.0.0", probe.src_port or src_port))
        sock.settimeout(TIMEOUT_S)
        try:
            sock.connect(_split(probe.connect))
        except ConnectionRefusedError:
            result["refused"] = True
            return result
        ip, port = sock.getsockname()[:2]
        result["src"] = f"{ip}:{port}"
        if probe.proxy_src or probe.proxy_dst:
            sip, sport = _split(probe.proxy_src or result["src"])
            dip, dport = _split(probe.proxy_dst or probe.connect)
            sock.sendall(f"PROXY TCP4 {sip} {dip} {sport} {dport}\r\n".encode())
            result["src"] = f"{sip}:{sport}"
        if probe.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            if probe.alpn:
                ctx.set_alpn_protocols(probe.alpn)
            try:
                sock = ctx.wrap_socket(sock, server_hostname=probe.sni)
            except (ssl.SSLError, ConnectionError, TimeoutError):  # no chain for it: Envoy closes
                result["closed_without_response"] = True
                return result
        if probe.http_version == "2":
            result.update(_h2c(sock, probe, deadline))
        else:
            sock.sendall(_http1_bytes(probe))
            raw = _recv_all(sock, deadline, probe.method)
            if raw:
                result.update(_parse_http1(raw))
            else:
                result["closed_without_response"] = True
    except Exception as exc:  # a probe never takes the lab down; the failure is recorded
        result["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        sock.close()
        result["elapsed_s"] = round(time.monotonic() - t0, 3)
    return result
