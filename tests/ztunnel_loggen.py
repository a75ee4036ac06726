"""A seeded generator of ztunnel access logs, written from ztunnel.md section 3 (not from meshlens).

``scenario()`` sends N connections from one client pod to a service with several backends, picking
each backend at random weighted by capacity (what ztunnel does, ztunnel.md 3.4), with an optional
failure window during which one backend refuses connections. It returns the log lines of both
ztunnels (the client's ``outbound`` lines, the backends' ``inbound`` lines for connections that
reached them, optional Solo outlier lines) and the ground truth computed here, so tests compare
meshlens' analysis with numbers it did not compute.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

T0 = datetime(2026, 11, 22, 13, 0, 0, tzinfo=timezone.utc)
CLIENT = ("productpage-v1-6c8f9d7b5b-q8m4z", "10.244.1.12", "bookinfo-productpage")
SERVICE = "reviews.bookinfo.svc.cluster.local"
BACKENDS = (("reviews-v1-8f6d5c7b9a-m3n7p", "10.244.1.13"), ("reviews-v2-7b8c6d9f5e-k4v2s", "10.244.2.22"),
            ("reviews-v3-6d9f7c8b4d-x7c5r", "10.244.1.14"))
REFUSED = "io error: Connection refused (os error 111)"


def ts(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def q(value: str, quoted: bool) -> str:
    if not quoted:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def access_line(when: datetime, *, direction: str, src: tuple[str, str, str], src_port: int, dst_workload: str,
                dst_ip: str, port: int = 9080, service: str | None = SERVICE, error: str | None = None,
                hbone: bool = True, legacy: bool = False, identity: bool = True, sep: str = "\t",
                bytes_sent: int = 283, bytes_recv: int = 358, duration: int = 2) -> str:
    """One ``connection complete`` line; ``legacy`` = pre-1.23 quoting (only some strings quoted)."""
    name, ip, sa = src
    all_q = not legacy
    fields = [f"src.addr={ip}:{src_port}", f"src.workload={q(name, all_q)}", f"src.namespace={q('bookinfo', all_q)}"]
    if identity:
        fields.append(f"src.identity={q(f'spiffe://cluster.local/ns/bookinfo/sa/{sa}', True)}")
    fields.append(f"dst.addr={dst_ip}:{15008 if hbone else port}")
    if hbone:
        fields.append(f"dst.hbone_addr={q(f'{dst_ip}:{port}', legacy)}")
    if service:
        fields.append(f"dst.service={q(service, all_q)}")
    fields += [f"dst.workload={q(dst_workload, all_q)}", f"dst.namespace={q('bookinfo', all_q)}"]
    if identity:
        fields.append(f"dst.identity={q('spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews', True)}")
    fields += [f"direction={q(direction, True)}", f"bytes_sent={bytes_sent}", f"bytes_recv={bytes_recv}",
               f"duration={q(f'{duration}ms', True)}"]
    if error:
        fields.append(f"error={q(error, True)}")
    level = "error" if error else "info"
    return sep.join([ts(when), level, "access", "connection complete", " ".join(fields)])


@dataclass
class Truth:
    """What the generator did, counted by the generator."""

    connections: dict[str, int] = field(default_factory=dict)  # per backend workload (outbound complete)
    failed: dict[str, int] = field(default_factory=dict)
    succeeded: dict[str, int] = field(default_factory=dict)
    first_failure: str | None = None
    last_failure: str | None = None
    recovered: str | None = None
    others_served: int = 0
    failures: int = 0


def scenario(n: int = 300, *, seed: int = 7, weights: tuple[int, ...] | None = None,
             backends: tuple[tuple[str, str], ...] = BACKENDS, fail: int | None = None,
             fail_window: tuple[int, int] = (0, 0), inbound: bool = True,
             outlier_lines: bool = False) -> tuple[list[str], Truth]:
    """Lines (client and backend ztunnels interleaved in time) and the truth.

    Connection ``i`` happens at ``T0 + i * 100ms``; with ``fail`` set, connections ``i`` with
    ``fail_window[0] <= i < fail_window[1]`` that pick backend ``fail`` are refused.
    """
    rng = random.Random(seed)
    truth = Truth(connections={b[0]: 0 for b in backends}, failed={b[0]: 0 for b in backends},
                  succeeded={b[0]: 0 for b in backends})
    lines: list[str] = []
    fail_times: list[int] = []
    success_log: list[tuple[int, str]] = []
    for i in range(n):
        when = T0 + timedelta(milliseconds=100 * i)
        k = rng.choices(range(len(backends)), weights=weights or [1] * len(backends))[0]
        workload, ip = backends[k]
        refused = fail is not None and k == fail and fail_window[0] <= i < fail_window[1]
        port = 40000 + i
        lines.append(access_line(when, direction="outbound", src=CLIENT, src_port=port, dst_workload=workload,
                                 dst_ip=ip, error=REFUSED if refused else None,
                                 bytes_recv=0 if refused else rng.randint(100, 5000)))
        truth.connections[workload] += 1
        if refused:
            truth.failed[workload] += 1
            fail_times.append(i)
            if outlier_lines:
                lines.append(f"{ts(when + timedelta(microseconds=500))}\twarn\tproxy::outlier::circuit_breaker\t"
                             f"endpoint ejected\tendpoint={ip}:9080 consecutive_failures={len(fail_times)} "
                             f'backoff="{len(fail_times) * 10}s"')
        else:
            truth.succeeded[workload] += 1
            success_log.append((i, workload))
            if inbound:
                lines.append(access_line(when + timedelta(microseconds=300), direction="inbound", src=CLIENT,
                                         src_port=port, dst_workload=workload, dst_ip=ip))
    if fail is not None and fail_times:
        failed_name = backends[fail][0]
        first, last = fail_times[0], fail_times[-1]
        truth.failures = len(fail_times)
        truth.first_failure = ts(T0 + timedelta(milliseconds=100 * first))
        truth.last_failure = ts(T0 + timedelta(milliseconds=100 * last))
        truth.others_served = sum(1 for i, w in success_log if first < i < last and w != failed_name)
        after = [i for i, w in success_log if i > last and w == failed_name]
        truth.recovered = ts(T0 + timedelta(milliseconds=100 * after[0])) if after else None
    return lines, truth
