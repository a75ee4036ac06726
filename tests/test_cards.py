"""Notebook summary cards: Snapshot, EnvoyProxy and Ztunnel show what they hold in _repr_html_."""

from __future__ import annotations

import meshlens as ml
from tests.conftest import fixture_path


def test_cards_show_the_capture() -> None:
    snap = ml.load(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))
    html = snap._repr_html_()
    assert "meshlens-card snapshot" in html and "<td>bug-report</td>" in html
    from meshlens.summary import mesh_rows
    rows = mesh_rows(snap)
    positions = [html.index(f"<td>{r.name}</td>") for r in rows]  # every proxy, problems first
    assert positions == sorted(positions) and rows[0].problems > 0
    assert html.count("#fdecea") == sum(1 for r in rows if r.problems)

    proxy = snap.proxies[0]
    card = proxy._repr_html_()
    assert f"Envoy proxy {proxy.name}" in card and f"<td>{proxy.node_id}</td>" in card
    assert f"clusters: {len(proxy.clusters)} total" in card

    z = snap.ztunnels[0]
    card = z._repr_html_()
    assert f"ztunnel {z.name}" in card and f"{len(z.workloads)} workloads" in card


def test_traces_draw_hops_in_notebooks() -> None:
    snap = ml.load(fixture_path("bugreport", "bookinfo-mesh.tar.gz"))
    source = "productpage-v1-6c886ff494-7vxhs.default"
    mesh = ml.trace(snap, "reviews:9080", "/reviews/0", from_=source)
    html = mesh._repr_html_()
    assert html.count('class="hop"') == len(mesh.hops)
    assert {h.proxy for h in mesh.hops} >= {source} and len({h.proxy for h in mesh.hops}) == 2
    for proxy in {h.proxy for h in mesh.hops}:
        assert f'font-weight="bold">{proxy}</text>' in html
    single = ml.trace(snap.proxy(source), "reviews:9080", "/reviews/0")
    html = single._repr_html_()
    assert 'class="trace-diagram"' in html and html.count('class="hop"') == len(single.hops)
    assert single.disposition.value in html
