"""proxy-status: istioctl's goldens byte for byte (both syncz forms), the real fixtures, and the rules
behind them (ages, IGNORED, -n, -v 1, legacy columns, -o json|yaml)."""

from __future__ import annotations

import json
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest
import yaml

import meshlens as ml
from meshlens.encoding.gojson import go_string as go_json_string
from meshlens.encoding.gojson import jsonpb_indent
from meshlens.encoding.goyaml import go_yaml as json_to_yaml
from meshlens.errors import UnsupportedDumpError, UsageError
from meshlens.models.istiod import IstiodState, SyncStatus
from meshlens.views.status import ProxyStatusRow, proxy_status, render
from meshlens.views.status._time import go_timestamp, human_duration, parse_rfc3339_ns
from tests.conftest import fixture_path

DATA = Path(__file__).resolve().parent / "data" / "syncz"
FORMS = ("xds.json", "http")  # XDS ClientConfig responses / istiod HTTP /debug/syncz (bug-report layout)
# golden file -> (input folder under tests/data/syncz, proxy_status keyword arguments)
GOLDENS: dict[str, tuple[str, dict[str, object]]] = {
    "golden__ps-table__single-istiod.txt": ("single-istiod", {}),
    "golden__ps-table__multi-istiod.txt": ("multi-istiod", {}),
    "golden__ps-table__multi-istiod__istio1.26-legacy-columns.txt": ("multi-istiod", {"legacy": True}),
    "golden__ps-table-verbose__multi-istiod.txt": ("verbose-multi-istiod", {"verbosity": 1}),
}
XDS_JSON = ("istio", "istiod-xds-syncz__ClientConfig-discoveryresponse.json")
XDS_YAML = ("istio", "istiod-xds-syncz__ClientConfig-discoveryresponse.yaml")
XDS_NS_YAML = ("istio", "istiod-xds-syncz__ClientConfig-namespace-filtered.yaml")
BOOKINFO = ("bugreport", "bookinfo-mesh.tar.gz")
SYNCZ_MEMBER = "bug-report/istio/istio-system/istiod-7d4f8c9b6d-x2kqp/debug/syncz"
PRODUCTPAGE = "productpage-v1-6c886ff494-7vxhs.default"
P = "type.googleapis.com/"
CDS, LDS = P + "envoy.config.cluster.v3.Cluster", P + "envoy.config.listener.v3.Listener"
EDS, RDS = P + "envoy.config.endpoint.v3.ClusterLoadAssignment", P + "envoy.config.route.v3.RouteConfiguration"
ECDS, NDS = P + "envoy.config.core.v3.TypedExtensionConfig", P + "istio.networking.nds.v1.NameTable"


def istioctl_bytes(golden: Path) -> bytes:
    """What istioctl writes: every tabwriter line ends in a newline. Upstream compares goldens after
    TrimSpace, so one of them (the 1.26 legacy table) was committed without its final newline."""
    data = golden.read_bytes()
    return data if data.endswith(b"\n") else data + b"\n"


def lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


# ---------------------------------------------------------------------------------- goldens
def test_every_ps_golden_has_an_input() -> None:
    goldens = sorted(p.name for p in fixture_path("istio").glob("golden__ps-*"))
    assert goldens == sorted(GOLDENS)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("golden", sorted(GOLDENS))
def test_golden_byte_for_byte(golden: str, form: str) -> None:
    folder, kwargs = GOLDENS[golden]
    table = proxy_status(str(DATA / folder / form), **kwargs)  # type: ignore[arg-type]
    assert render(table).encode() == istioctl_bytes(fixture_path("istio", golden))


@pytest.mark.parametrize("folder", ["single-istiod", "multi-istiod", "verbose-multi-istiod"])
def test_both_forms_load_to_the_same_rows(folder: str) -> None:
    xds, http = (proxy_status(str(DATA / folder / form), verbosity=1) for form in FORMS)
    assert xds.cells == http.cells
    assert [r.model_dump(exclude={"form", "errors"}) for r in xds.rows] == \
        [r.model_dump(exclude={"form", "errors"}) for r in http.rows]
    assert {r.form for r in xds.rows} <= {"xds"} and {r.form for r in http.rows} <= {"http"}


def test_multi_istiod_typed_rows() -> None:
    table = proxy_status(str(DATA / "multi-istiod" / "xds.json"))
    assert [r.name for r in table.rows] == ["proxy1", "proxy2", "proxy3", "proxy4"]  # sorted, input was 3,1,4,2
    row3 = table.rows[2]
    assert isinstance(row3, ProxyStatusRow)
    assert (row3.cluster, row3.istiod, row3.version) == ("cluster3", "istiod3", "1.20")
    assert (row3.cds, row3.lds, row3.eds, row3.rds, row3.ecds) == (
        SyncStatus.NOT_SENT, SyncStatus.ERROR, SyncStatus.STALE, SyncStatus.NOT_SENT, SyncStatus.NOT_SENT)
    assert row3.subscribed == ["CDS", "LDS", "EDS", "RDS", "ECDS"]
    assert row3.errors[LDS].startswith("Error adding/updating listener")
    assert table.rows[3].subscribed == [] and table.rows[3].cds is SyncStatus.IGNORED
    assert table.padding == 5 and table.json_indent == 4
    frame = table.to_frame()
    assert list(frame["name"]) == ["proxy1", "proxy2", "proxy3", "proxy4"]
    assert list(frame["lds"]) == ["SYNCED", "SYNCED", "ERROR", "IGNORED"]
    orjson.dumps(table.to_dict())  # JSON-safe
    assert "<td>5 (CDS,LDS,EDS,RDS,ECDS)</td>" in table._repr_html_()


# ------------------------------------------------------------------- real fixtures: XDS form
FIXTURE_TABLES = {
    0: "NAME       CLUSTER      ISTIOD      VERSION     SUBSCRIBED TYPES\n"
       "proxy1     cluster1     istiod1     1.20        5 (CDS,LDS,EDS,RDS,ECDS)\n",
    1: "NAME       CLUSTER      CDS       ECDS       EDS        LDS        RDS          ISTIOD      VERSION\n"
       "proxy1     cluster1     STALE     SYNCED     SYNCED     SYNCED     NOT SENT     istiod1     1.20\n",
}


@pytest.mark.parametrize("parts", [XDS_JSON, XDS_YAML, XDS_NS_YAML])
def test_xds_fixtures_render(parts: tuple[str, str]) -> None:
    path = fixture_path(*parts)
    assert render(proxy_status(path)) == FIXTURE_TABLES[0]
    # the -v 1 golden is exactly this proxy
    assert render(proxy_status(path, verbosity=1)) == FIXTURE_TABLES[1]
    legacy = lines(render(proxy_status(path, legacy=True)))
    assert legacy[0] == ["NAME", "CLUSTER", "CDS", "LDS", "EDS", "RDS", "ECDS", "ISTIOD", "VERSION"]
    assert legacy[1] == ["proxy1", "cluster1", "STALE", "SYNCED", "SYNCED", "NOT", "SENT", "SYNCED", "istiod1", "1.20"]


def test_namespace_filter_uses_node_metadata() -> None:
    path = fixture_path(*XDS_NS_YAML)
    assert [r.name for r in proxy_status(path, namespace="foo").rows] == ["proxy1"]
    assert proxy_status(path, namespace="foo").rows[0].namespace == "foo"
    empty = proxy_status(path, namespace="bar")
    assert empty.rows == [] and empty.cells == []
    assert empty.notes == ["no proxies found (checked 1 istiods)"]
    # the proxy of the unfiltered fixture has no NAMESPACE: any -n drops it, as istioctl does
    assert proxy_status(fixture_path(*XDS_JSON), namespace="foo").rows == []


def test_json_output_is_istioctls_layout() -> None:
    """The loader keeps each captured response, so -o json prints it byte for byte."""
    expected = fixture_path(*XDS_JSON).read_text()
    assert render(proxy_status(fixture_path(*XDS_JSON)), "json") == expected
    from_yaml = render(proxy_status(fixture_path(*XDS_YAML)), "json")
    assert orjson.loads(from_yaml) == orjson.loads(expected)


def test_yaml_output_is_istioctls_layout() -> None:
    expected = fixture_path(*XDS_YAML).read_text()
    assert render(proxy_status(fixture_path(*XDS_JSON)), "yaml") == expected
    # namespace-filtered variant (its golden lacks the newline Fprintln adds after the document)
    filtered = fixture_path(*XDS_NS_YAML).read_text()
    got = render(proxy_status(fixture_path(*XDS_NS_YAML), namespace="foo"), "yaml")
    assert got == filtered + "\n"


def test_json_and_yaml_echo_captured_responses_exactly() -> None:
    """When a row carries its captured resource (``raw``) and its control plane the response
    (``response``), -o json|yaml print them verbatim: the fixtures come out byte for byte."""
    response = orjson.loads(fixture_path(*XDS_JSON).read_bytes())
    state = ml.load(fixture_path(*XDS_JSON)).istiod
    assert state is not None
    (row,), (plane,) = state.sync, state.control_planes
    echo = IstiodState(sync=[row.model_copy(update={"raw": response["resources"][0]})],
                       control_planes=[plane.model_copy(update={"response": response})])
    assert render(proxy_status(echo), "json") == fixture_path(*XDS_JSON).read_text()
    assert render(proxy_status(echo), "yaml") == fixture_path(*XDS_YAML).read_text()


def test_json_with_several_istiods_and_namespace_filter() -> None:
    table = proxy_status(str(DATA / "multi-istiod" / "xds.json"))
    text, decoder, docs = render(table, "json"), json.JSONDecoder(), []
    while text.strip():
        doc, end = decoder.raw_decode(text.lstrip())
        docs.append(doc)
        text = text.lstrip()[end:]
    assert [orjson.loads(d["controlPlane"]["identifier"])["ID"] for d in docs] == [
        "istiod1", "istiod2", "istiod3", "istiod4"]
    assert [r["node"]["id"] for d in docs for r in d.get("resources", [])] == ["proxy1", "proxy2", "proxy3", "proxy4"]
    stream = list(yaml.safe_load_all(render(table, "yaml")))
    assert len(stream) == 4 and stream[2]["resources"][0]["node"]["id"] == "proxy3"
    # -n keeps every istiod's answer, with only the matching proxies (none here)
    filtered = proxy_status(str(DATA / "multi-istiod" / "xds.json"), namespace="x")
    assert [("resources" in d) for d in filtered.raw] == [False] * 4


# ------------------------------------------------------------- real fixtures: bug-report (HTTP)
def _bookinfo_syncz() -> bytes:
    with tarfile.open(fixture_path(*BOOKINFO), mode="r:gz") as tar:
        handle = tar.extractfile(SYNCZ_MEMBER)
        assert handle is not None
        return handle.read()


BOOKINFO_TABLE = """\
NAME                                        CLUSTER        ISTIOD                      VERSION     SUBSCRIBED TYPES
details-v1-65599dcf68-x7ccd.default         Kubernetes     istiod-7d4f8c9b6d-x2kqp     1.24.2      4 (CDS,LDS,EDS,RDS)
productpage-v1-6c886ff494-7vxhs.default     Kubernetes     istiod-7d4f8c9b6d-x2kqp     1.24.2      4 (CDS,LDS,EDS,RDS)
reviews-v1-5c4d6d447c-jq8sm.default         Kubernetes     istiod-7d4f8c9b6d-x2kqp     1.24.2      4 (CDS,LDS,EDS,RDS)
reviews-v2-65cb66b45c-9d2rz.default         Kubernetes     istiod-7d4f8c9b6d-x2kqp     1.24.2      4 (CDS,LDS,EDS,RDS)
ztunnel-qk2pp.istio-system                  Kubernetes     istiod-7d4f8c9b6d-x2kqp     1.24.2      2 (WADS,WDS)
"""  # noqa: E501


def test_bug_report_default_table() -> None:
    table = proxy_status(fixture_path(*BOOKINFO))
    assert table.text() == BOOKINFO_TABLE


def test_bug_report_verbose_statuses_and_ages_at_capture_time() -> None:
    # ages are measured at the capture time: the syncz member's time, 2026-11-22T13:31:47Z
    table = proxy_status(fixture_path(*BOOKINFO), verbosity=1)
    rows = {cells[0]: cells for cells in table.cells}
    assert table.headers == ["NAME", "CLUSTER", "CDS", "ECDS", "EDS", "LDS", "RDS", "WADS", "WDS", "ISTIOD",
                             "VERSION"]
    # productpage: CDS sent /24 never ACKed (STALE), LDS NACKed (ERROR: lastError first), EDS/RDS SYNCED
    assert rows[PRODUCTPAGE][2:9] == ["STALE (3s)", "IGNORED", "SYNCED (3s)", "ERROR (3s)", "SYNCED (3s)",
                                      "IGNORED", "IGNORED"]
    assert rows["details-v1-65599dcf68-x7ccd.default"][2:9] == [
        "SYNCED (10s)", "IGNORED", "SYNCED (10s)", "SYNCED (10s)", "SYNCED (10s)", "IGNORED", "IGNORED"]
    assert rows["ztunnel-qk2pp.istio-system"][2:9] == ["IGNORED"] * 5 + ["SYNCED (98s)", "SYNCED (98s)"]
    typed = {r.name: r for r in table.rows}
    assert typed[PRODUCTPAGE].lds is SyncStatus.ERROR and typed[PRODUCTPAGE].cds is SyncStatus.STALE
    assert "0.0.0.0_8082" in typed[PRODUCTPAGE].errors[LDS]
    assert typed["ztunnel-qk2pp.istio-system"].subscribed == ["WADS", "WDS"]
    assert {r.form for r in table.rows} == {"http"}


def test_bug_report_legacy_and_namespace_and_later_now() -> None:
    table = proxy_status(fixture_path(*BOOKINFO), legacy=True, namespace="default", now="2026-11-22T15:01:02.5Z")
    assert [c[0] for c in table.cells] == [
        "details-v1-65599dcf68-x7ccd.default", PRODUCTPAGE, "reviews-v1-5c4d6d447c-jq8sm.default",
        "reviews-v2-65cb66b45c-9d2rz.default"]
    productpage = table.cells[1]
    assert productpage[2:7] == ["STALE (89m)", "ERROR (89m)", "SYNCED (89m)", "SYNCED (89m)", "IGNORED"]
    assert [c[0] for c in proxy_status(fixture_path(*BOOKINFO), namespace="istio-system").cells] == [
        "ztunnel-qk2pp.istio-system"]


def test_bare_http_syncz_has_no_istiod_and_wall_clock_ages() -> None:
    now = datetime(2026, 11, 22, 16, 31, 44, tzinfo=timezone.utc)  # 3h0m0.6s after its CDS push
    table = proxy_status(_bookinfo_syncz(), verbosity=1, now=now)
    productpage = next(c for c in table.cells if c[0] == PRODUCTPAGE)
    assert productpage[2] == "STALE (3h)" and productpage[-2:] == ["", "1.24.2"]  # no istiod pod path


def test_http_json_is_the_discovery_response_istiod_would_send() -> None:
    (doc,) = proxy_status(fixture_path(*BOOKINFO), namespace="default").raw
    assert orjson.loads(doc["controlPlane"]["identifier"])["ID"] == "istiod-7d4f8c9b6d-x2kqp"
    resource = next(r for r in doc["resources"] if r["node"]["id"] == PRODUCTPAGE)
    assert resource["@type"] == P + "envoy.service.status.v3.ClientConfig"
    assert resource["node"]["metadata"] == {"CLUSTER_ID": "Kubernetes", "ISTIO_VERSION": "1.24.2",
                                            "NAMESPACE": "default"}
    configs = {c["typeUrl"]: c for c in resource["genericXdsConfigs"]}
    assert configs[CDS]["configStatus"] == "STALE"
    assert configs[LDS]["configStatus"] == "ERROR" and "0.0.0.0_8082" in configs[LDS]["errorState"]["details"]
    assert configs[LDS]["lastUpdated"] == "2026-11-22T13:31:43.410211Z"  # sentTime (model keeps microseconds)
    text = render(proxy_status(fixture_path(*BOOKINFO)), "json")
    assert orjson.loads(text)["resources"][0]["node"]["id"] == "details-v1-65599dcf68-x7ccd.default"


# ------------------------------------------------------------------------ rules, beyond goldens
def _response(proxies: list[dict[str, object]], istiod: str = "istiod-1") -> dict[str, object]:
    ident = orjson.dumps({"Component": "istiod", "ID": istiod, "Info": {"version": "1.27.0"}}).decode()
    return {"resources": [{"@type": P + "envoy.service.status.v3.ClientConfig", **p} for p in proxies],
            "typeUrl": P + "envoy.service.status.v3.ClientConfig", "controlPlane": {"identifier": ident}}


def _proxy(node_id: str, configs: list[dict[str, object]], **metadata: str) -> dict[str, object]:
    return {"node": {"id": node_id, "metadata": {"CLUSTER_ID": "Kubernetes", "ISTIO_VERSION": "1.27.0", **metadata}},
            "genericXdsConfigs": configs}


NOW = "2026-11-22T12:00:00Z"
AGED = _response([
    _proxy("a.ns1", [{"typeUrl": CDS, "configStatus": "SYNCED", "lastUpdated": "2026-11-22T11:59:15Z"},
                     {"typeUrl": LDS, "configStatus": "STALE", "lastUpdated": "2026-11-22T11:56:58Z"},
                     {"typeUrl": EDS, "configStatus": "ERROR", "lastUpdated": "2026-11-22T10:57:57Z"},
                     {"typeUrl": RDS, "configStatus": "NOT_SENT", "lastUpdated": "2026-11-22T11:00:00Z"},
                     {"typeUrl": ECDS, "configStatus": "SYNCED", "lastUpdated": "2026-11-22T06:50:00.999999999Z"}],
           NAMESPACE="ns1"),
    _proxy("b.ns2", [{"typeUrl": CDS, "configStatus": "SYNCED", "lastUpdated": "2026-11-20T09:00:00Z"},
                     {"typeUrl": LDS},  # configStatus UNKNOWN (the zero value, omitted): IGNORED
                     {"typeUrl": NDS, "configStatus": "SYNCED"},
                     {"typeUrl": P + "example.v1.Custom", "configStatus": "STALE"}],
           NAMESPACE="ns2"),
])


def test_ages_in_k8s_human_duration_form() -> None:
    table = proxy_status(AGED, legacy=True, now=NOW)
    assert table.cells[0][2:7] == ["SYNCED (45s)", "STALE (3m2s)", "ERROR (62m)", "NOT SENT", "SYNCED (5h9m)"]
    assert table.cells[1][2:7] == ["SYNCED (2d3h)", "IGNORED", "IGNORED", "IGNORED", "IGNORED"]
    later = proxy_status(AGED, legacy=True, now=datetime(2026, 11, 22, 20, 0, tzinfo=timezone.utc))
    assert later.cells[0][2:7] == ["SYNCED (8h)", "STALE (8h)", "ERROR (9h)", "NOT SENT", "SYNCED (13h)"]


def test_unknown_status_and_extra_types() -> None:
    default = proxy_status(AGED, now=NOW)
    assert [c[-1] for c in default.cells] == ["5 (CDS,LDS,EDS,RDS,ECDS)", f"3 (CDS,{P}example.v1.Custom,NDS)"]
    verbose = proxy_status(AGED, verbosity=1, now=NOW)
    assert verbose.headers == ["NAME", "CLUSTER", "CDS", "ECDS", "EDS", "LDS", "RDS", f"{P}example.v1.Custom", "NDS",
                               "ISTIOD", "VERSION"]
    assert verbose.cells[1][2:9] == ["SYNCED (2d3h)", "IGNORED", "IGNORED", "IGNORED", "IGNORED", "STALE", "SYNCED"]
    assert verbose.cells[0][7:9] == ["IGNORED", "IGNORED"]
    assert verbose.rows[1].statuses[LDS] is SyncStatus.IGNORED and verbose.rows[1].subscribed == [
        "CDS", f"{P}example.v1.Custom", "NDS"]


def test_namespace_filter_also_narrows_verbose_columns() -> None:
    table = proxy_status(AGED, verbosity=1, namespace="ns1", now=NOW)
    assert [c[0] for c in table.cells] == ["a.ns1"]
    assert table.headers == ["NAME", "CLUSTER", "CDS", "ECDS", "EDS", "LDS", "RDS", "ISTIOD", "VERSION"]
    (doc,) = table.raw
    assert [r["node"]["id"] for r in doc["resources"]] == ["a.ns1"]


def test_now_defaults_and_forms() -> None:
    at = parse_rfc3339_ns(NOW)
    assert at is not None
    a = proxy_status(AGED, legacy=True, now=NOW)
    b = proxy_status(AGED, legacy=True, now=datetime(2026, 11, 22, 12, tzinfo=timezone.utc))
    c = proxy_status(AGED, legacy=True, now=datetime(2026, 11, 22, 12))  # naive = UTC
    assert a.cells == b.cells == c.cells
    with pytest.raises(UsageError, match="RFC 3339"):
        proxy_status(AGED, now="yesterday")
    wall = proxy_status(AGED, legacy=True)  # no capture time in a dict: the wall clock
    assert wall.cells[0][3].startswith("STALE (")


def test_inputs_accepted_and_refused() -> None:
    snapshot = ml.load(AGED)
    assert snapshot.istiod is not None
    assert proxy_status(snapshot, now=NOW).cells == proxy_status(snapshot.istiod, now=NOW).cells
    assert proxy_status(orjson.dumps(AGED), now=NOW).cells == proxy_status(AGED, now=NOW).cells
    with pytest.raises(UnsupportedDumpError, match="no istiod sync status"):
        proxy_status(fixture_path("envoy", "sidecar-productpage", "config_dump.json"))
    with pytest.raises(UsageError):
        proxy_status(AGED, legacy=True, verbosity=1)
    with pytest.raises(UsageError):
        proxy_status(AGED, verbosity=-1)
    with pytest.raises(UsageError):
        render(proxy_status(AGED, now=NOW), "wide")


def test_rows_for_one_proxy_from_two_istiods_and_sorting_by_bytes() -> None:
    first = _response([_proxy("b.x", []), _proxy("B.x", [])], istiod="istiod-b")
    second = _response([_proxy("b.x", [{"typeUrl": CDS, "configStatus": "SYNCED"}])], istiod="istiod-a")
    table = proxy_status([first, second])
    assert [(c[0], c[2], c[4]) for c in table.cells] == [
        ("B.x", "istiod-b", "0"), ("b.x", "istiod-a", "1 (CDS)"), ("b.x", "istiod-b", "0")]


def test_no_proxies_at_all() -> None:
    table = proxy_status(_response([]))
    assert table.rows == [] and table.notes == ["no proxies found (checked 1 istiods)"]
    assert table.text() == "NAME     CLUSTER     ISTIOD     VERSION     SUBSCRIBED TYPES\n"


# ---------------------------------------------------------------------------- Go formatting
@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (0.4, "0s"), (-0.9, "0s"), (-1.9, "0s"), (-2, "<invalid>"), (1, "1s"), (45, "45s"),
    (119.99, "119s"), (120, "2m"), (182, "3m2s"), (540, "9m"), (599, "9m59s"), (600, "10m"), (3723, "62m"),
    (10799, "179m"), (10800, "3h"), (10860, "3h1m"), (18600, "5h10m"), (28799, "7h59m"), (28800, "8h"),
    (172799, "47h"), (172800, "2d"), (183600, "2d3h"), (691199, "7d23h"), (691200, "8d"), (63071999, "729d"),
    (63072000, "2y"), (63158400, "2y1d"), (252460800, "8y"),
])
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(round(seconds * 1e9)) == text


def test_go_timestamps_and_strings() -> None:
    assert parse_rfc3339_ns("2026-11-22T13:31:36.772252006Z") == 1795354296772252006
    assert parse_rfc3339_ns("2026-11-22T14:31:36+01:00") == parse_rfc3339_ns("2026-11-22T13:31:36Z")
    assert parse_rfc3339_ns("2026-11-22 13:31:36Z") is None
    assert [go_timestamp(1795354296 * 10**9 + n) for n in (0, 772000000, 772252000, 772252006)] == [
        "2026-11-22T13:31:36Z", "2026-11-22T13:31:36.772Z", "2026-11-22T13:31:36.772252Z",
        "2026-11-22T13:31:36.772252006Z"]
    assert go_json_string('a"<b>&\n\x01é\u2028') == '"a\\"\\u003cb\\u003e\\u0026\\n\\u0001é\\u2028"'


def test_jsonpb_indents_struct_values_as_go_does() -> None:
    """jsonpb writes Struct (and the Values inside it) one marshal level deeper than plain maps."""
    text = jsonpb_indent({"node": {"id": "x", "metadata": {"N": "n", "LABELS": {"app": "a"}, "IPS": ["1"]}}},
                         "    ", is_struct=lambda path: path[-2:] == ("node", "metadata"))
    assert text == (
        '{\n    "node": {\n        "id": "x",\n        "metadata": {\n'
        '                "IPS": [\n                            "1"\n                        ],\n'
        '                "LABELS": {\n                            "app": "a"\n                        },\n'
        '                "N": "n"\n            }\n    }\n}')


def test_yaml_scalars_and_key_order_as_go_yaml() -> None:
    text = json_to_yaml({"b": "yes", "a10": 1, "a9": "1.20", "a_b": "@x", "aB": "x\ny\n", "z": "2026-11-22",
                         "y": "1.24.2", "n": None, "t": True, "k": "0x1F", "q": "1:20", "u": "~x"})
    assert text == ("a_b: '@x'\na9: \"1.20\"\na10: 1\naB: |\n  x\n  y\nb: \"yes\"\nk: \"0x1F\"\n\"n\": null\n"
                    "q: \"1:20\"\nt: true\nu: ~x\n\"y\": 1.24.2\nz: \"2026-11-22\"\n")


def test_generated_inputs_are_current() -> None:
    """tests/data/syncz is what generate.py writes, both forms (so the README's recipe is the truth)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate_syncz", DATA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, proxies in module.TABLES.items():
        order = list(dict.fromkeys([p[2] for p in proxies] + module.EMPTY_ISTIODS.get(name, [])))
        expected = [module.xds_response(i, [p for p in proxies if p[2] == i]) for i in order]
        assert orjson.loads((DATA / name / "xds.json").read_bytes()) == expected
        for istiod in order:
            rows = [module.http_row(p[0], p[1], p[3], p[4]) for p in proxies if p[2] == istiod]
            path = DATA / name / "http" / "istio" / "istio-system" / istiod / "debug" / "syncz"
            assert orjson.loads(path.read_bytes()) == rows
