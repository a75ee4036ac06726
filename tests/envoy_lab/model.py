"""What a configuration is, what a probe (one request or connection) is, and what the lab records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Probe:
    """One connection to Envoy carrying one request.

    ``connect`` is where the client's socket connects; ``dst`` the connection's original destination as
    ``trace`` gets it (defaults to ``connect``; differs under iptables REDIRECT or a PROXY header).
    ``proxy_src``/``proxy_dst`` make the client send a PROXY protocol v1 header first.
    ``expect`` is what we believe Envoy does (a route name, or ``NR``, ``NC:<route>``, ``UH:<route>``,
    ``UF:<route>``, ``DR:<route>``, ``REDIR:<route>``, ``TCP:<cluster>``, ``NOCHAIN``, ``NOLISTENER``);
    it documents the configuration's intent and is checked by the harness self-test, never by the
    differential test (where Envoy alone is the truth).
    """

    id: str
    connect: str
    authority: str | None = None
    path: str = "/"
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    http_version: str = "1.1"
    dst: str | None = None
    src_ip: str | None = None
    src_port: int | None = None
    proxy_src: str | None = None
    proxy_dst: str | None = None
    expect: str | None = None
    note: str = ""
    extra_headers: list[list[str]] = field(default_factory=list)  # sent as written: repeated or padded
    tls: bool = False  # TLS to Envoy (no verification), with ``sni`` and ``alpn``
    sni: str | None = None
    alpn: list[str] | None = None
    router_check: bool = True  # whether the route-level differential (router-check) applies to this probe

    @property
    def original_dst(self) -> str:
        return self.proxy_dst or self.dst or self.connect

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Probe:
        return cls(**d)


@dataclass
class LabConfig:
    """A configuration: the bootstrap, the xDS files it reads, the backends to start, the probes."""

    name: str
    description: str
    bootstrap: dict[str, Any]
    probes: list[Probe]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # absolute path -> JSON (xDS files)
    backends: list[tuple[str, int]] = field(default_factory=lambda: [("127.0.0.1", 18080)])
    requires: list[str] = field(default_factory=list)  # "iptables": needs iptables + ip in the netns
    netns_setup: list[list[str]] = field(default_factory=list)  # commands run in the netns before Envoy


@dataclass
class Outcome:
    """What happened to one probe: what the client saw and the access-log lines joined to it."""

    probe: Probe
    client: dict[str, Any]
    http_log: dict[str, Any] | None = None
    tcp_log: dict[str, Any] | None = None
    conn_log: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"probe": self.probe.to_dict(), "client": self.client, "http_log": self.http_log,
                "tcp_log": self.tcp_log, "conn_log": self.conn_log}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Outcome:
        return cls(probe=Probe.from_dict(d["probe"]), client=d["client"], http_log=d.get("http_log"),
                   tcp_log=d.get("tcp_log"), conn_log=d.get("conn_log"))

    def envoy_verdict(self) -> str:
        """Envoy's outcome in one word, from the logs (and, without a log, from the client).

        ``HTTP`` (an HCM logged the request), ``TCP`` (a TCP proxy logged the connection), ``NOCHAIN``
        (the listener logged the connection with flag NR: no filter chain matched), ``NOLISTENER``
        (connection refused), ``UNKNOWN`` (no log joined: a harness failure).
        """
        if self.http_log is not None:
            return "HTTP"
        if self.tcp_log is not None:
            return "TCP"
        if self.conn_log is not None and "NR" in (self.conn_log.get("flags") or "").split(","):
            return "NOCHAIN"
        if self.client.get("refused"):
            return "NOLISTENER"
        return "UNKNOWN"
