"""Pictures drawn as inline SVG at report time (no JavaScript, no network): certificate timeline, trace hops."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape
from typing import NamedTuple

_STATE_COLOURS = {"expired": "#c62828", "expiring": "#ef6c00", "not-yet-valid": "#6a1b9a", "valid": "#2e7d32"}


class CertBar(NamedTuple):
    """One certificate on the timeline."""

    holder: str
    label: str
    not_before: datetime
    not_after: datetime


def cert_state(bar: CertBar, now: datetime, warn: timedelta) -> str:
    """``expired``, ``not-yet-valid``, ``expiring`` (less than ``warn`` left) or ``valid`` at ``now``."""
    if bar.not_after < now:
        return "expired"
    if bar.not_before > now:
        return "not-yet-valid"
    return "expiring" if bar.not_after - now < warn else "valid"


def cert_timeline(bars: Sequence[CertBar], now: datetime, warn: timedelta = timedelta(days=7)) -> str:
    """An SVG of every certificate's validity span, ``now`` marked by a line, states coloured.

    The time axis spans the certificates and ``now``; each bar has a <title> (hover) and a text label.
    """
    if not bars:
        return '<p class="empty">No certificate with validity dates in this capture.</p>'
    start = min(min(b.not_before for b in bars), now)
    end = max(max(b.not_after for b in bars), now)
    span = max((end - start).total_seconds(), 1.0)
    left, width, row = 420, 560, 18
    height = row * len(bars) + 40

    def x(t: datetime) -> float:
        return left + width * (t - start).total_seconds() / span

    out = [f'<svg class="cert-timeline" xmlns="http://www.w3.org/2000/svg" width="{left + width + 20}" '
           f'height="{height}" role="img" aria-label="certificate timeline">']
    for i, bar in enumerate(bars):
        y = 20 + i * row
        state = cert_state(bar, now, warn)
        x0, x1 = x(bar.not_before), x(bar.not_after)
        tip = escape(f"{bar.holder}: {bar.label}, {bar.not_before:%Y-%m-%d %H:%M} to {bar.not_after:%Y-%m-%d %H:%M}"
                     f" UTC ({state})")
        out.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" font-size="11">'
                   f'{escape(_short(bar.holder + " " + bar.label, 64))}</text>')
        out.append(f'<rect class="cert {state}" data-state="{state}" x="{x0:.1f}" y="{y + 2}" '
                   f'width="{max(x1 - x0, 2):.1f}" height="{row - 6}" fill="{_STATE_COLOURS[state]}">'
                   f'<title>{tip}</title></rect>')
    nx = x(now)
    out.append(f'<line class="now" x1="{nx:.1f}" y1="10" x2="{nx:.1f}" y2="{height - 14}" stroke="#000" '
               f'stroke-dasharray="4 2"/><text x="{nx:.1f}" y="{height - 2}" text-anchor="middle" '
               f'font-size="11">now {now:%Y-%m-%d %H:%M} UTC</text>')
    out.append(f'<text x="{left}" y="10" font-size="10">{start:%Y-%m-%d}</text>'
               f'<text x="{left + width}" y="10" font-size="10" text-anchor="end">{end:%Y-%m-%d}</text>')
    out.append("</svg>")
    return "".join(out)


class HopBox(NamedTuple):
    """One hop of a trace: the proxy it happens in, its kind and name."""

    proxy: str
    kind: str
    name: str
    detail: str = ""


def hop_diagram(title: str, hops: Sequence[HopBox], disposition: str, ok: bool) -> str:
    """An SVG of a trace: hops top to bottom, grouped in one lane per proxy, the disposition at the end.

    Hops of a single-proxy trace (no proxy name) are drawn in one lane.
    """
    lanes: list[str] = []
    for h in hops:
        if not lanes or lanes[-1] != h.proxy:
            lanes.append(h.proxy)
    box_w, box_h, gap, lane_h = 520, 30, 8, 24
    y = 10
    parts: list[str] = []
    lane = None
    for h in hops:
        if h.proxy != lane:
            lane = h.proxy
            parts.append(f'<text class="lane" x="10" y="{y + 14}" font-size="12" font-weight="bold">'
                         f'{escape(h.proxy or "proxy")}</text>')
            y += lane_h
        tip = escape(f"{h.kind} {h.name} {h.detail}".strip())
        parts.append(f'<g class="hop" data-kind="{escape(h.kind)}"><title>{tip}</title>'
                     f'<rect x="30" y="{y}" width="{box_w}" height="{box_h}" rx="4" fill="#e3f2fd" stroke="#1565c0"/>'
                     f'<text x="40" y="{y + 19}" font-size="12"><tspan font-weight="bold">{escape(h.kind)}</tspan> '
                     f'{escape(_short(h.name, 70))}</text></g>')
        y += box_h
        parts.append(f'<line x1="290" y1="{y}" x2="290" y2="{y + gap}" stroke="#1565c0"/>')
        y += gap
    colour = "#2e7d32" if ok else "#c62828"
    parts.append(f'<rect class="disposition" x="30" y="{y}" width="{box_w}" height="{box_h}" rx="4" fill="{colour}"/>'
                 f'<text x="40" y="{y + 19}" font-size="12" fill="#fff">{escape(disposition)}</text>')
    y += box_h + 10
    return (f'<svg class="trace-diagram" xmlns="http://www.w3.org/2000/svg" width="{box_w + 60}" height="{y}" '
            f'role="img" aria-label="{escape(title)}">{"".join(parts)}</svg>')


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
